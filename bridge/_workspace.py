"""Editing a bundle's rules safely: check, test and save candidate texts, keep every version.

A :class:`RuleWorkspace` is what the console's Rules page stands on. It takes the rule
files' texts as an editor holds them (``{"rules/risk.pl": text}``, names relative to the
bundle) and never writes a file before the texts pass:

- :meth:`~RuleWorkspace.check` runs the bundle-aware rule checker on the texts as the
  bundle's one program (with ``bundle.toml``), then loads them as the engine would, so that
  what the sandbox refuses (``shell/1``, ``open/3``, ``halt``, ``assertz``) is an error;
- :meth:`~RuleWorkspace.test` runs the bundle's rule tests (``tests/*.toml``) on an engine
  built from the texts, the bundle's models and knowledge reused (nothing is trained);
- :meth:`~RuleWorkspace.save` writes the texts only when the check finds no error
  (warnings are fine), keeps each replaced version in ``.history/`` and returns the diff;
- :meth:`~RuleWorkspace.history` lists a file's earlier versions, newest first, and
  :meth:`~RuleWorkspace.restore` brings one back through the same check (a save).

The versions: when a save replaces ``rules/risk.pl``, the text it replaces is kept as
``<bundle>/.history/rules/risk.pl.<UTC time of the save>`` (``20261121T095540.123456Z``),
a name that no rule-file pattern matches. The check and the tests run on a temporary copy
of the bundle (the rule files written, everything else linked); their locations name the
files as the workspace does, ``rules/risk.pl:12:5``.

>>> workspace = RuleWorkspace("examples/clinic")              # doctest: +SKIP
>>> texts = workspace.texts()                                  # doctest: +SKIP
>>> texts["rules/risk.pl"] += "\\np :- shell(ls).\\n"           # doctest: +SKIP
>>> workspace.check(texts).errors, workspace.save(texts).saved  # doctest: +SKIP
(1, False)
"""

from __future__ import annotations

import contextlib
import difflib
import fcntl
import glob
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nesy.errors import InputError, Location, NesyError
from symbolic import CODES, Diagnostic, Program

from ._bundle import Bundle, BundleError
from ._check import CheckReport, check_bundle
from ._ruletests import RuleTestResult, read_rule_tests, run_rule_tests

__all__ = ["HISTORY", "RuleTestRun", "RuleVersion", "RuleWorkspace", "SaveResult",
           "unified_diff"]

#: The folder of a bundle that keeps the replaced versions of its rule files.
HISTORY = ".history"
_STAMP = "%Y%m%dT%H%M%S.%fZ"
_VERSION = re.compile(r"^(?P<name>.+)\.(?P<stamp>\d{8}T\d{6}\.\d{6}Z)$")


@dataclass(frozen=True)
class RuleVersion:
    """An earlier version of a rule file: its text until a save replaced it at ``replaced``."""

    file: str  # the rule file, relative to the bundle: "rules/risk.pl"
    path: Path  # where the version is kept
    replaced: datetime  # when a save replaced it (UTC)

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def label(self) -> str:
        """``2026-11-21 09:55:40 UTC``: when this version was replaced."""
        return self.replaced.strftime("%Y-%m-%d %H:%M:%S UTC")

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "path": str(self.path),
                "replaced": self.replaced.isoformat()}


@dataclass(frozen=True)
class SaveResult:
    """What :meth:`RuleWorkspace.save` did: written or not, why, and what changed.

    ``report`` is the check of the texts (its warnings are shown even when saved);
    ``reason`` says why nothing was written (empty when ``saved``); ``kept`` are the
    versions the save replaced; ``diff`` a unified diff from them to the saved texts.
    """

    saved: bool
    reason: str
    report: CheckReport | None
    changed: tuple[str, ...] = ()
    kept: tuple[RuleVersion, ...] = ()
    diff: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"saved": self.saved, "reason": self.reason,
                "report": self.report.to_dict() if self.report else None,
                "changed": list(self.changed), "kept": [v.to_dict() for v in self.kept],
                "diff": self.diff}


@dataclass(frozen=True)
class RuleTestRun:
    """The bundle's rule tests run on candidate rules; ``error`` when no engine could be built."""

    results: tuple[RuleTestResult, ...]
    error: str | None = None

    @property
    def passed(self) -> int:
        return sum(result.passed for result in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    @property
    def ok(self) -> bool:
        return self.error is None and self.failed == 0

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.error, "passed": self.passed, "failed": self.failed,
                "tests": [result.to_dict() for result in self.results]}


class RuleWorkspace:
    """A bundle's rule files as an editor sees them: check, test, save, history, restore.

    ``texts`` arguments map rule-file names relative to the bundle (``rules/risk.pl``,
    see :attr:`files`) to their edited text; files left out are taken as they are on disk.
    A name that is no rule file of the bundle is an :class:`~nesy.errors.InputError`.
    """

    def __init__(self, bundle: str | Path) -> None:
        self.root = Path(bundle)
        self.bundle = Bundle.read(self.root)
        resolved = self.root.resolve()
        files: dict[str, Path] = {}
        for path in self.bundle.rule_files:
            try:
                name = path.resolve().relative_to(resolved).as_posix()
            except ValueError as exc:
                raise BundleError(f"the rule file {path} is outside the bundle folder: the "
                                  "workspace edits rule files inside it only") from exc
            files[name] = path
        self._paths = files

    @property
    def files(self) -> tuple[str, ...]:
        """The rule files, relative to the bundle, in the order the engine reads them."""
        return tuple(self._paths)

    def path(self, file: str) -> Path:
        """Where a rule file is."""
        self._known(file)
        return self._paths[file]

    def texts(self) -> dict[str, str]:
        """The rule files' texts as they are on disk."""
        return {name: path.read_text(encoding="utf-8") for name, path in self._paths.items()}

    # ----------------------------------------------------------------- check

    def check(self, texts: Mapping[str, str] | None = None) -> CheckReport:
        """Every problem of the texts read as the bundle's program, with ``bundle.toml``.

        When the checker finds no error, the texts are also loaded as the engine loads
        them (SWI-Prolog's sandbox and the loader's own checks): a refusal there is an
        error too, so that what passes the check can be saved and served.
        """
        full = self._complete(texts)
        with self._candidate(full) as candidate:
            diagnostics = [self._named(d, candidate) for d in check_bundle(candidate)]
            if not any(d.severity == "error" for d in diagnostics):
                diagnostics += self._load(candidate)
        diagnostics.sort(key=Diagnostic.sort_key)
        return CheckReport(tuple(diagnostics), ("bundle.toml", *self.files))

    def _load(self, candidate: Path) -> list[Diagnostic]:
        bundle = Bundle.read(candidate)
        external = bundle.record_predicates()
        if bundle.knowledge is not None:
            from knowledge import knowledge_predicates

            external.update(knowledge_predicates(bundle.knowledge))
        try:
            Program.from_files(bundle.rule_files, external=external).close()
        except NesyError as exc:
            where = exc.location or Location(str(candidate / self.files[0]))
            errors = getattr(exc, "errors", None) or [(where, exc.message)]
            return [self._named(Diagnostic(location, CODES["forbidden"], "load",
                                           f"the engine refuses to load the rules: {message}"),
                                candidate)
                    for location, message in errors]
        return []

    # ------------------------------------------------------------------ test

    def test(self, texts: Mapping[str, str] | None = None) -> RuleTestRun:
        """The bundle's rule tests (``tests/*.toml``) run on an engine built from the texts.

        The models are the bundle's (trained first if missing), the knowledge graph is
        loaded from the bundle's files into memory, no audit log is written. Rules the
        engine refuses give a run with ``error`` and no results.
        """
        from ._engine import Engine

        full = self._complete(texts)
        try:
            tests = read_rule_tests(self.bundle)
        except NesyError as exc:
            return RuleTestRun((), str(exc))
        self._ensure_models()
        with self._candidate(full) as candidate:
            try:
                bundle = Bundle.read(candidate)
                engine = Engine(replace(bundle, audit_log=None,
                                        knowledge=_in_memory(bundle.knowledge)), train=False)
            except NesyError as exc:
                return RuleTestRun((), self._text(str(exc), candidate))
            try:
                results = run_rule_tests(engine, tests)
            finally:
                engine.program.close()
        return RuleTestRun(tuple(
            replace(r, test=replace(r.test, location=self._relative(r.test.location)),
                    problems=tuple(self._text(p, candidate) for p in r.problems))
            for r in results))

    def _ensure_models(self) -> None:
        if self.bundle.untrained():
            from ._engine import train_bundle

            train_bundle(self.bundle)

    # ------------------------------------------------------------------ save

    def save(self, texts: Mapping[str, str], base: Mapping[str, str] | None = None
             ) -> SaveResult:
        """Write the texts when their check finds no error; keep the versions they replace.

        ``base`` is what the editor started from (``{file: text}``): when a file changed
        on disk since (another session saved it), nothing is written. Files whose text
        is unchanged are not touched. The engine of the console, keyed by the rule files'
        contents, serves the saved rules from the next page run.
        """
        edited = self._edited(texts)
        disk = self.texts()
        changed = tuple(name for name, text in edited.items() if text != disk[name])
        if base is not None:
            stale = [name for name in changed if name in base and base[name] != disk[name]]
            if stale:
                return SaveResult(False, f"{', '.join(stale)} changed on disk since it was "
                                  "opened (saved elsewhere): reload it, then edit again", None)
        if not changed:
            return SaveResult(False, "nothing to save: the texts are the saved rules", None)
        report = self.check({**disk, **edited})
        if report.errors:
            return SaveResult(False, f"not saved: the check found {_count(report.errors, 'error')}"
                              " (warnings alone do not stop a save)", report)
        now = datetime.now(UTC)
        try:
            with self._locked():
                if any(self._paths[name].read_text(encoding="utf-8") != disk[name]
                       for name in changed):
                    return SaveResult(False, "the rules changed on disk while checking "
                                      "(saved elsewhere): reload them, then edit again", report)
                # Every new text is written beside its file first, then all replace theirs:
                # a failed write leaves every file as it was.
                staged = [_stage(self._paths[name], edited[name]) for name in changed]
                kept = [self._keep(name, disk[name], now) for name in changed]
                for temporary, name in zip(staged, changed, strict=True):
                    os.replace(temporary, self._paths[name])
        except OSError as exc:
            for name in changed:
                with contextlib.suppress(OSError):
                    _staging(self._paths[name]).unlink()
            return SaveResult(False, f"not saved: cannot write the rules ({exc})", report)
        diff = "".join(unified_diff(disk[name], edited[name], name, f"before {version.label}",
                                    "saved") for name, version in zip(changed, kept, strict=True))
        return SaveResult(True, "", report, changed, tuple(kept), diff)

    def restore(self, version: RuleVersion, base: Mapping[str, str] | None = None
                ) -> SaveResult:
        """Bring an earlier version back: a :meth:`save` of its text, through the check."""
        return self.save({version.file: version.text()}, base)

    # --------------------------------------------------------------- history

    def history(self, file: str) -> list[RuleVersion]:
        """The earlier versions of a rule file, newest first."""
        self._known(file)
        kept = self.root / HISTORY / file
        versions = []
        for path in kept.parent.glob(f"{glob.escape(kept.name)}.*"):
            match = _VERSION.match(path.name)
            if match and match["name"] == kept.name:
                stamp = datetime.strptime(match["stamp"], _STAMP).replace(tzinfo=UTC)
                versions.append(RuleVersion(file, path, stamp))
        return sorted(versions, key=lambda v: v.replaced, reverse=True)

    def _keep(self, name: str, text: str, when: datetime) -> RuleVersion:
        kept = self.root / HISTORY / name
        kept.parent.mkdir(parents=True, exist_ok=True)
        while True:  # one name per version, also for saves within a microsecond
            path = kept.with_name(f"{kept.name}.{when.strftime(_STAMP)}")
            try:
                with open(path, "x", encoding="utf-8") as out:
                    out.write(text)
                return RuleVersion(name, path, when)
            except FileExistsError:
                when = when.replace(microsecond=(when.microsecond + 1) % 1_000_000)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One save at a time per bundle, across sessions and processes."""
        folder = self.root / HISTORY
        folder.mkdir(exist_ok=True)
        with open(folder / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    # --------------------------------------------------------------- helpers

    def _known(self, file: str) -> None:
        if file not in self._paths:
            raise InputError(f"{file!r} is not a rule file of the bundle (its rule files: "
                             f"{', '.join(self._paths)})", field="file")

    def _edited(self, texts: Mapping[str, str] | None) -> dict[str, str]:
        if texts is None:
            return {}
        if not isinstance(texts, Mapping):
            raise InputError("the texts are a mapping {rule file: text}", field="texts")
        for name, text in texts.items():
            self._known(name)
            if not isinstance(text, str):
                raise InputError(f"the text of {name} must be a str, not "
                                 f"{type(text).__name__}", field=f"texts[{name!r}]")
        return dict(texts)

    def _complete(self, texts: Mapping[str, str] | None) -> dict[str, str]:
        edited = self._edited(texts)
        return {name: edited[name] if name in edited else path.read_text(encoding="utf-8")
                for name, path in self._paths.items()}

    @contextlib.contextmanager
    def _candidate(self, texts: Mapping[str, str]) -> Iterator[Path]:
        """A temporary copy of the bundle with the texts as its rule files.

        Only the rule files are written; every other file and folder is a symbolic link
        to the bundle's own, so models and knowledge are reused as they are.
        """
        with tempfile.TemporaryDirectory(prefix="nesy-rules-") as folder:
            candidate = Path(folder) / self.root.resolve().name
            _mirror(self.root.resolve(), candidate, texts, "")
            yield candidate

    def _named(self, diagnostic: Diagnostic, candidate: Path) -> Diagnostic:
        """A diagnostic of the candidate, naming the file as the workspace does."""
        file = diagnostic.location.file
        for prefix in (f"{candidate}{os.sep}", f"{candidate.resolve()}{os.sep}"):
            if file.startswith(prefix):
                file = Path(file[len(prefix):]).as_posix()
                break
        return replace(diagnostic, location=replace(diagnostic.location, file=file))

    def _relative(self, location: Location) -> Location:
        """A location in the bundle, named relative to the bundle (``tests/clinic.toml:12``)."""
        try:
            file = Path(location.file).resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return location
        return replace(location, file=file)

    def _text(self, text: str, candidate: Path) -> str:
        """A message of the candidate with its paths named as the workspace does."""
        for prefix in (f"{candidate.resolve()}{os.sep}", f"{candidate}{os.sep}"):
            text = text.replace(prefix, "")
        return text


def unified_diff(old: str, new: str, file: str, old_label: str = "before",
                 new_label: str = "after") -> str:
    """A unified diff of two texts of ``file`` (empty when they are equal).

    >>> print(unified_diff("a.\\nb.\\n", "a.\\nc.\\n", "r.pl"), end="")
    --- r.pl (before)
    +++ r.pl (after)
    @@ -1,2 +1,2 @@
     a.
    -b.
    +c.
    """
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                 f"{file} ({old_label})", f"{file} ({new_label})")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _mirror(source: Path, target: Path, texts: Mapping[str, str], prefix: str) -> None:
    target.mkdir(parents=True)
    for entry in source.iterdir():
        name = prefix + entry.name
        if name == HISTORY:
            continue
        if name in texts:
            (target / entry.name).write_text(texts[name], encoding="utf-8")
        elif entry.is_dir() and any(file.startswith(name + "/") for file in texts):
            _mirror(entry, target / entry.name, texts, name + "/")
        else:
            (target / entry.name).symlink_to(entry.resolve())


def _in_memory(config: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """A knowledge configuration that loads the same files into an in-memory store.

    A persistent store (``location``) is open in the bundle's engine, and a remote one
    must not be loaded twice: a candidate engine reads the files into memory instead.
    """
    if config is None:
        return None
    changed = {key: value for key, value in config.items() if key != "location"}
    if str(changed.get("store", "oxigraph")).startswith(("http://", "https://")):
        changed["store"] = "oxigraph"
    return changed


def _staging(path: Path) -> Path:
    """Where a new text of ``path`` waits to replace it (no rule-file pattern matches it)."""
    return path.with_name(f".{path.name}.saving")


def _stage(path: Path, text: str) -> Path:
    """Write ``text`` beside ``path``, with its permissions, ready for ``os.replace``."""
    temporary = _staging(path)
    temporary.write_text(text, encoding="utf-8")
    with contextlib.suppress(OSError):
        os.chmod(temporary, path.stat().st_mode & 0o777)
    return temporary


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
