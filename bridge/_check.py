"""The bundle-aware rule checker behind ``nesy check``.

A bundle's rule files are one program: a predicate one file defines, another uses, and
the case record and the knowledge graph give facts the rules never define
(``bundle.toml`` ``[record]`` and ``[knowledge.predicates]``). :func:`check_bundle`
checks the files together with those external predicates declared (one call into
Prolog), then what only the bundle can tell: that the rules define the decision query
and can derive each label, clause of the decision query answers with a label, that every network is
used by an ``nn(...)`` declaration and
every declaration names a network, that every record field and knowledge predicate is
used. A ``bundle.toml`` that cannot be read is a diagnostic too, at its line.

:func:`check_paths` is what the command runs: a bundle folder is checked as a bundle, a
rule file of a bundle (or a folder of them) as part of its bundle, any other ``*.pl``
file on its own.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nesy.errors import InputError, KnowledgeError, Location, NesyError
from symbolic import CODES, Diagnostic, check_file, check_program

from ._bundle import Bundle, BundleError
from ._toml import TomlPlaces

__all__ = ["CheckReport", "check_bundle", "check_paths"]


@dataclass(frozen=True)
class CheckReport:
    """What ``nesy check`` found: the diagnostics, sorted, and every file it read."""

    diagnostics: tuple[Diagnostic, ...]
    files: tuple[str, ...]

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> int:
        return len(self.diagnostics) - self.errors

    def to_dict(self) -> dict[str, Any]:
        return {"diagnostics": [d.to_dict() for d in self.diagnostics],
                "files": list(self.files), "errors": self.errors, "warnings": self.warnings}


def check_bundle(path: str | Path) -> list[Diagnostic]:
    """Every problem of a bundle: its rules as one program, and its ``bundle.toml``.

    A folder without ``bundle.toml`` is an :class:`~nesy.errors.InputError`.

    >>> check_bundle("examples/digits")
    []
    """
    root = Path(path)
    if not (root / "bundle.toml").is_file():
        raise InputError(f"{root} is not a bundle: it has no bundle.toml")
    return _BundleCheck(root).diagnostics()


def check_paths(paths: Iterable[str | Path]) -> CheckReport:
    """Check bundles, rule files and folders of them, as ``nesy check PATH...`` does.

    A folder with a ``bundle.toml`` is checked as a bundle (:func:`check_bundle`). A
    ``.pl`` file that is a rule file of a bundle (the nearest folder above it with a
    ``bundle.toml`` lists it) is checked as part of its bundle's program, so that the
    predicates of the other rule files and the external ones are known; only its own
    diagnostics are reported. Any other file is checked on its own. A folder without
    ``bundle.toml`` stands for the bundles in it and the ``*.pl`` files under it. A
    missing path is an :class:`~nesy.errors.InputError`.
    """
    bundles: dict[Path, _BundleCheck] = {}
    whole: list[_BundleCheck] = []
    parts: dict[Path, tuple[_BundleCheck, list[Path]]] = {}
    loose: list[Path] = []

    def bundle_at(root: Path) -> _BundleCheck:
        key = root.resolve()
        if key not in bundles:
            bundles[key] = _BundleCheck(root)
        return bundles[key]

    for path in map(Path, paths):
        if path.is_dir() and (path / "bundle.toml").is_file():
            whole.append(bundle_at(path))
            continue
        if path.is_dir():
            whole += [bundle_at(toml.parent) for toml in sorted(path.rglob("bundle.toml"))]
            files = sorted(path.rglob("*.pl"))
        elif path.exists():
            files = [path]
        else:
            raise InputError(f"no such file or folder: {path}")
        for file in files:
            root = _enclosing_bundle(file)
            check = bundle_at(root) if root is not None else None
            if check is not None and check in whole and check.has_rule_file(file):
                continue  # checked with the whole bundle
            if check is not None and check.has_rule_file(file):
                parts.setdefault(check.root.resolve(), (check, []))[1].append(file)
            else:
                loose.append(file)

    found: dict[str, Diagnostic] = {}
    read: dict[str, None] = {}  # the files, in order, once each
    for check in whole:
        found.update((str(d), d) for d in check.diagnostics())
        read.update(dict.fromkeys(check.files()))
    for check, files in parts.values():
        wanted = {str(f) for f in files}
        found.update((str(d), d) for d in check.diagnostics(files)
                     if d.location.file in wanted or d.code == "bundle")
        read.update(dict.fromkeys(str(f) for f in files))
    for file in loose:
        found.update((str(d), d) for d in check_file(file))
        read[str(file)] = None
    diagnostics = sorted(found.values(), key=Diagnostic.sort_key)
    return CheckReport(tuple(diagnostics), tuple(read))


def _enclosing_bundle(file: Path) -> Path | None:
    """The nearest folder above ``file`` with a ``bundle.toml``, as a path like ``file``'s."""
    folder = file.parent
    for _ in range(256):
        if (folder / "bundle.toml").is_file():
            return folder
        resolved = folder.resolve()
        if resolved == resolved.parent:
            return None
        folder = folder.parent if folder.name not in ("", "..") else folder / ".."
    return None


class _BundleCheck:
    """One bundle: read once, its rules checked once, its files named as they were given."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bundle: Bundle | None = None
        self.problem: Diagnostic | None = None
        try:
            self.places: TomlPlaces | None = Bundle.places(root)
            self.bundle = Bundle.read(root, self.places)
        except BundleError as exc:
            self.places = None
            self.problem = _bundle_diagnostic(exc, root)
        self._rule_files = {p.resolve(): p for p in self.bundle.rule_files} if self.bundle \
            else {}
        self._done: dict[tuple[str, ...], list[Diagnostic]] = {}

    def has_rule_file(self, file: Path) -> bool:
        # Unknown when bundle.toml cannot be read: then the file is the bundle's (its
        # check would be wrong without it) and the bundle's error is what is reported.
        return self.bundle is None or file.resolve() in self._rule_files

    def files(self) -> list[str]:
        return [str(self.root / "bundle.toml"), *map(str, self._rule_files.values())]

    def diagnostics(self, named: Sequence[Path] = ()) -> list[Diagnostic]:
        """Every diagnostic; the rule files in ``named`` carry the names given there."""
        if self.bundle is None or self.places is None:
            return [self.problem] if self.problem else []
        names = {p.resolve(): p for p in named}
        files = [names.get(key, path) for key, path in self._rule_files.items()]
        key = tuple(map(str, files))
        if key not in self._done:
            self._done[key] = _check(self.bundle, self.places, files)
        return self._done[key]


def _bundle_diagnostic(error: NesyError, root: Path) -> Diagnostic:
    location = error.location or Location(str(root / "bundle.toml"))
    message = error.message
    prefix = f"{location.file}: "
    if message.startswith(prefix):  # a knowledge error names the file in its message
        message = message[len(prefix):]
    return Diagnostic(location, CODES["bundle"], "bundle", message)


def _check(bundle: Bundle, places: TomlPlaces, files: Sequence[Path]) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    external, origins = _external(bundle, places, diagnostics)
    query = bundle.decision.query
    goals = [f"{query}({label})" for label in bundle.decision.labels]
    program = check_program(files, external, goals)
    diagnostics += program.diagnostics
    diagnostics += _decision(bundle, places, program.goals)
    diagnostics += _answers(bundle, program.unasked)
    diagnostics += _networks(bundle, places, program.networks)
    for indicator in program.unused_external:
        diagnostics.append(Diagnostic(
            origins[indicator], CODES["external-unused"], "external-unused",
            f"no rule uses {indicator}, which {_origin_text(bundle, indicator)} gives"))
    return sorted(diagnostics, key=Diagnostic.sort_key)


def _external(bundle: Bundle, places: TomlPlaces, diagnostics: list[Diagnostic]
              ) -> tuple[dict[str, int], dict[str, Location]]:
    """The external predicates of the record and the knowledge graph, and where each is."""
    external: dict[str, int] = {}
    origins: dict[str, Location] = {}
    for name, spec in bundle.record.items():
        external[spec.predicate] = spec.arity
        origins[f"{spec.predicate}/{spec.arity}"] = places.at("record", name, "predicate",
                                                         value=spec.predicate)
    if bundle.knowledge is None:
        return external, origins
    from knowledge import check_knowledge_config, knowledge_predicates

    try:
        check_knowledge_config(bundle.knowledge, places.file)
    except KnowledgeError as exc:
        diagnostics.append(_knowledge_diagnostic(exc, places))
    try:
        mapped = knowledge_predicates(bundle.knowledge, places.file)
    except KnowledgeError as exc:
        diagnostics.append(_knowledge_diagnostic(exc, places))
        return external, origins
    for predicate, arity in mapped.items():
        where = places.at("knowledge", "predicates", predicate)
        if external.get(predicate, arity) != arity:
            diagnostics.append(Diagnostic(
                where, CODES["bundle"], "bundle",
                f"predicate {predicate} is both a record field (arity {external[predicate]}) "
                f"and a knowledge predicate with arity {arity}"))
            continue
        external[predicate] = arity
        origins.setdefault(f"{predicate}/{arity}", where)
    return external, origins


_KNOWLEDGE_ENTRY = re.compile(r"\[knowledge(?:\.(?P<table>\w+))?\] (?P<key>\w+)|"
                              r"unknown key '(?P<unknown>[^']+)' in \[knowledge\]")


def _knowledge_diagnostic(error: KnowledgeError, places: TomlPlaces) -> Diagnostic:
    """A knowledge error at the entry its message names (``[knowledge] reasoning ...``)."""
    message = error.message.removeprefix(f"{places.file}: ")
    match = _KNOWLEDGE_ENTRY.search(message)
    path = ["knowledge"]
    if match is not None:
        path += [part for part in (match["table"], match["key"] or match["unknown"]) if part]
    return Diagnostic(places.at(*path), CODES["bundle"], "bundle", message)


def _origin_text(bundle: Bundle, indicator: str) -> str:
    name = indicator.rpartition("/")[0]
    fields = [field for field, spec in bundle.record.items() if spec.predicate == name]
    return f"the record field {fields[0]}" if fields else "the knowledge graph"


def _decision(bundle: Bundle, places: TomlPlaces, statuses: Sequence[str]) -> list[Diagnostic]:
    query, labels = bundle.decision.query, bundle.decision.labels
    query_place = places.at("decision", "query", value=query)
    if statuses and all(s == "unreadable" for s in statuses):
        return [Diagnostic(query_place, CODES["decision-query"], "decision-query",
                           f"the decision query {query!r} is not a predicate name "
                           "(lower case, letters, digits, _)")]
    diagnostics = []
    if "undefined" in statuses:  # every label that reads as a goal is undefined then
        diagnostics.append(Diagnostic(
            query_place, CODES["decision-query"], "decision-query",
            f"no rule defines the decision query {query}/1: the rules must derive "
            f"{query}(Label) for the labels"))
    for label, status in zip(labels, statuses, strict=True):
        where = places.at("decision", "labels", value=label)
        goal = f"{query}({label})"
        if status == "unmatched":
            message = f"no rule can derive {goal}: no clause head {query}(...) matches it"
        elif status == "nonground":
            message = f"the label {label!r} reads as a variable in {goal}: a label is a name " \
                      "starting with a lower-case letter"
        elif status == "unreadable":
            message = f"the label {label!r} cannot be read as a Prolog term in {goal}"
        else:
            continue
        diagnostics.append(Diagnostic(where, CODES["decision-label"], "decision-label",
                                      message))
    return diagnostics


def _answers(bundle: Bundle, unasked: Sequence[tuple[Location, str]]) -> list[Diagnostic]:
    """Heads of the decision query that no label matches: answers nobody asks for."""
    diagnostics = []
    labels = list(bundle.decision.labels)
    for where, head in unasked:
        argument = head.partition("(")[2].removesuffix(")")
        message = (f"the rules derive {head}, but {argument} is no label of bundle.toml "
                   "[decision]: the engine never asks for it")
        near = difflib.get_close_matches(argument, labels, n=1, cutoff=0.7)
        if near:
            message += f" (did you mean {near[0]}?)"
        diagnostics.append(Diagnostic(where, CODES["decision-answer"], "decision-answer",
                                      message))
    return diagnostics


def _networks(bundle: Bundle, places: TomlPlaces,
              used: Mapping[str, tuple[Location, ...]]) -> list[Diagnostic]:
    diagnostics = []
    known = ", ".join(sorted(bundle.networks)) or "none"
    for net, where in used.items():
        if net not in bundle.networks:
            diagnostics += [Diagnostic(
                place, CODES["network-unknown"], "network-unknown",
                f"nn({net}, ...) names no network of the bundle (bundle.toml [networks]: "
                f"{known})") for place in where]
    for net in bundle.networks:
        if net not in used:
            diagnostics.append(Diagnostic(
                places.at("networks", net), CODES["network-unused"], "network-unused",
                f"no nn({net}, ...) declaration in the rules uses the network {net}"))
    return diagnostics
