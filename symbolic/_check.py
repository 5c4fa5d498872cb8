"""The rule checker: every problem of a rule file, as ``path:line:col`` diagnostics.

Loading a program stops at its first problems; the checker reads the whole file and
reports all of them, each a :class:`Diagnostic` with a code (``undefined``,
``singleton``, ...). The reading and the checks run in SWI-Prolog
(``prolog/nesy_lint.pl``, one text back); the ``%!`` metadata of the clauses is checked
here, with :func:`~symbolic._rules.read_rules`. Several files can be checked as one
program (:func:`check_files`, :func:`check_program`: a bundle's rules), each diagnostic
naming its own file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nesy.errors import InputError, Location

from ._program import _external, read_source, read_sources
from ._prolog import EncodedTerm, encode_term, engine
from ._rules import read_rules
from ._source import SourceText

__all__ = ["CODES", "Diagnostic", "ProgramCheck", "check_file", "check_files", "check_path",
           "check_program", "check_string"]

ERROR, WARNING = "error", "warning"

#: Every code the checker reports, with its severity.
CODES: dict[str, str] = {
    "syntax": ERROR,
    "undefined": ERROR,
    "singleton": WARNING,
    "unsafe-negation": ERROR,
    "unsafe-head": ERROR,  # a warning for deterministic rules
    "unsafe-arithmetic": ERROR,
    "arithmetic": ERROR,
    "probability": ERROR,
    "ad-mass": ERROR,
    "not-stratified": ERROR,
    "prob-aggregate": ERROR,
    "unreachable": WARNING,
    "duplicate-id": ERROR,
    "metadata-detached": WARNING,
    "metadata-key": ERROR,
    "forbidden": ERROR,
    "redefined": ERROR,
    "malformed": ERROR,
    # a bundle's checks (bridge.check_bundle): its bundle.toml with its rules
    "bundle": ERROR,
    "decision-query": ERROR,
    "decision-label": ERROR,
    "decision-answer": WARNING,
    "network-unknown": ERROR,
    "network-unused": WARNING,
    "external-unused": WARNING,
}

_COMMENTS = re.compile(r"%[^\n]*|/\*.*?\*/", re.DOTALL)
_HEAD = re.compile(r"\s*(?:[^\s:]+\s*::\s*)?(?P<name>[a-z]\w*)")
# How close a name must be to be suggested (difflib's ratio of the two names).
_SIMILAR = 0.7


@dataclass(frozen=True)
class Diagnostic:
    """One problem of a rule file: where, how bad, which check, what.

    >>> from nesy.errors import Location
    >>> d = Diagnostic(Location("r.pl", 3, 9), "warning", "singleton", "singleton variable Y")
    >>> str(d)
    'r.pl:3:9: warning: singleton variable Y [singleton]'
    """

    location: Location
    severity: str  # "error" | "warning"
    code: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"location": self.location.to_dict(), "severity": self.severity,
                "code": self.code, "message": self.message}

    def __str__(self) -> str:
        return f"{self.location}: {self.severity}: {self.message} [{self.code}]"

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.location.file, self.location.line or 0, self.location.column or 0,
                self.code, self.message)


@dataclass(frozen=True)
class ProgramCheck:
    """What the checker found in a program, with what a bundle's checks need besides.

    ``networks`` maps the network of each ``nn(Net, ...)`` declaration to where it is
    written; ``goals`` gives, for each goal asked of :func:`check_program`, ``"ok"``,
    ``"unreadable"``, ``"nonground"``, ``"undefined"`` (no clause defines its predicate),
    ``"unmatched"`` (no clause head unifies with it) or ``"unknown"`` (a clause that did
    not parse may define it); ``unasked`` are the clause heads of the goals' predicates
    that no goal unifies with (``(where, "recommend(biopsyy)")``: answers nobody asks
    for); ``unused_external`` lists the external predicates (``"name/arity"``) that no
    clause, query or goal uses.
    """

    diagnostics: list[Diagnostic]
    networks: Mapping[str, tuple[Location, ...]] = field(default_factory=dict)
    goals: tuple[str, ...] = ()
    unasked: tuple[tuple[Location, str], ...] = ()
    unused_external: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"diagnostics": [d.to_dict() for d in self.diagnostics],
                "networks": {net: [where.to_dict() for where in places]
                             for net, places in self.networks.items()},
                "goals": list(self.goals),
                "unasked": [{"location": where.to_dict(), "head": head}
                            for where, head in self.unasked],
                "unused_external": list(self.unused_external)}


def check_string(text: str, name: str = "<string>") -> list[Diagnostic]:
    """Every problem of the program ``text``, sorted by line and column.

    ``name`` is the file name the diagnostics carry.

    >>> for d in check_string("smoker(ann).\\nill(X) :- smoker(X), smokes(X).\\nquery(ill(ann)).",
    ...                       "r.pl"):
    ...     print(d)
    r.pl:2:22: error: unknown predicate smokes/1 (did you mean smoker/1?) [undefined]
    """
    if not isinstance(text, str):
        raise InputError(f"program text must be a str, not {type(text).__name__}")
    return _check(SourceText.single(name, text)).diagnostics


def check_file(path: str | Path) -> list[Diagnostic]:
    """Every problem of one rule file (see :func:`check_string`)."""
    return check_string(read_source(path), str(path))


def check_files(paths: Sequence[str | Path],
                external: Mapping[str, int] | None = None) -> list[Diagnostic]:
    """Every problem of rule files read together as one program (a bundle's rules).

    A predicate one file defines may be used in another; ``external`` names the
    predicates whose facts come with each query (``{"age": 2}``), as in
    :meth:`Program.from_files <symbolic.Program.from_files>`. Each diagnostic names
    its own file, line and column.

    >>> import glob
    >>> files = sorted(glob.glob("examples/clinic/rules/*.pl"))
    >>> external = {"age": 2, "patient": 2, "has_risk_factor": 2, "high_risk_factor": 1,
    ...             "moderate_risk_factor": 1}        # family_history/1 left out
    >>> for d in check_files(files, external):
    ...     print(d)
    examples/clinic/rules/risk.pl:32:18: error: unknown predicate family_history/1 [undefined]
    """
    return check_program(paths, external).diagnostics


def check_program(paths: Sequence[str | Path], external: Mapping[str, int] | None = None,
                  goals: Sequence[str] = ()) -> ProgramCheck:
    """:func:`check_files`, and what the checks of a bundle around the rules need.

    ``goals`` are goals the program will be asked, as text (a bundle's decision query
    for each label, ``"recommend(biopsy)"``): they count as queries for the
    ``unreachable`` check, and :attr:`ProgramCheck.goals` says whether each can be
    derived. One call into Prolog.

    >>> result = check_program(["examples/digits/rules/digits.pl"],
    ...                        goals=["result(s3)", "result(s19)", "results(s3)"])
    >>> result.diagnostics, result.goals, sorted(result.networks)
    ([], ('ok', 'ok', 'undefined'), ['digit'])
    """
    return _check(read_sources(paths), _external(external), list(goals))


def _check(source: SourceText, external: Mapping[str, int] | None = None,
           goals: Sequence[str] = ()) -> ProgramCheck:
    for goal in goals:
        if not isinstance(goal, str):
            raise InputError(f"a goal must be a str, not {type(goal).__name__}", field="goals")
    options: list[EncodedTerm] = []
    if external:
        options.append(encode_term("external", [encode_term("/", name, arity)
                                                 for name, arity in sorted(external.items())]))
    if goals:
        options.append(encode_term("goals", list(goals)))
    report = engine().call("nesy_check", source.encode(), options)
    return _read_report(report, source, len(goals))


def check_path(path: str | Path) -> list[Diagnostic]:
    """Check a rule file, or every ``*.pl`` under a folder (each file on its own); sorted.

    >>> check_path("examples/programs")
    []
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(path.rglob("*.pl"))
    elif path.exists():
        files = [path]
    else:
        raise InputError(f"no such file or folder: {path}")
    diagnostics = [d for file in files for d in check_file(file)]
    return sorted(diagnostics, key=Diagnostic.sort_key)


def _read_report(report: str, source: SourceText, goal_count: int = 0) -> ProgramCheck:
    text = source.text
    diagnostics: list[Diagnostic] = []
    networks: dict[str, list[Location]] = {}
    goals = ["unknown"] * goal_count
    goal_predicates: dict[int, str] = {}
    unused: list[str] = []
    unasked: list[tuple[Location, str]] = []
    undefined: list[tuple[str, str]] = []
    candidates: list[str] = []
    spans: dict[int, tuple[int, int]] = {}
    unparsed: set[str] = set()  # names of the clauses that did not parse
    for line in report.splitlines():
        tag, _, rest = line.partition(" ")
        if tag == "E":
            where, severity, code, message = rest.split(" ", 3)
            diagnostics.append(Diagnostic(source.locate(where), severity, code, message))
        elif tag == "U":
            where, indicator = rest.split(" ", 1)
            undefined.append((where, indicator))
        elif tag == "P":
            candidates.append(rest)
        elif tag == "K":
            start, end = rest.split()
            spans[len(spans) + 1] = (int(start), int(end))
        elif tag == "X":
            start, end = rest.split()
            head = _head_name(text[int(start):int(end)])
            if head:
                unparsed.add(head)
        elif tag == "N":
            offset, net = rest.split(" ", 1)
            networks.setdefault(net, []).append(source.locate(offset))
        elif tag == "G":
            number, status, *predicate = rest.split(" ", 2)
            goals[int(number) - 1] = status
            if predicate:
                goal_predicates[int(number) - 1] = predicate[0]
        elif tag == "Z":
            unused.append(rest)
        elif tag == "O":
            offset, head = rest.split(" ", 1)
            unasked.append((source.locate(offset), head))
    for where, indicator in undefined:
        if indicator.rpartition("/")[0] in unparsed:
            continue  # probably defined by a clause with a syntax error
        message = f"unknown predicate {indicator}"
        suggestion = _did_you_mean(indicator, candidates)
        if suggestion:
            message += f" (did you mean {suggestion}?)"
        diagnostics.append(Diagnostic(source.locate(where), ERROR, "undefined", message))
    diagnostics += _metadata(source, spans)
    for index, status in enumerate(goals):
        if status in ("undefined", "unmatched") and \
                goal_predicates.get(index, "").rpartition("/")[0] in unparsed:
            goals[index] = "unknown"  # probably defined by a clause with a syntax error
    return ProgramCheck(sorted(diagnostics, key=Diagnostic.sort_key),
                        {net: tuple(places) for net, places in networks.items()},
                        tuple(goals), tuple(unasked), tuple(sorted(unused)))


def _head_name(text: str) -> str | None:
    """The name of the predicate a clause that did not parse seems to define.

    >>> _head_name("\\n% a comment\\n0.3::smokes(X) :- stress(X.")
    'smokes'
    """
    text = _COMMENTS.sub(" ", text)
    match = _HEAD.match(text)
    return match.group("name") if match else None


def _did_you_mean(indicator: str, candidates: list[str]) -> str | None:
    """The defined predicate or safe built-in closest to ``indicator`` by name, then arity.

    >>> _did_you_mean("smokes/1", ["smoker/1", "smoker/2", "stress/1"])
    'smoker/1'
    >>> _did_you_mean("edge/3", ["edge/2", "path/2"])
    'edge/2'
    >>> _did_you_mean("foo/0", ["bar/0"]) is None
    True
    """
    name, _, arity = indicator.rpartition("/")
    best: tuple[float, bool, str] | None = None
    for candidate in candidates:
        other, _, other_arity = candidate.rpartition("/")
        ratio = difflib.SequenceMatcher(None, name, other).ratio()
        if ratio < _SIMILAR or candidate == indicator:
            continue
        key = (ratio, other_arity == arity, candidate)
        if best is None or key[:2] > best[:2]:
            best = key
    return best[2] if best else None


def _metadata(source: SourceText, spans: dict[int, tuple[int, int]]) -> list[Diagnostic]:
    """Problems of the ``%!`` blocks (each file's own), and rule ids given to more than
    one clause of the program (in any of its files)."""
    diagnostics = []
    first: dict[str, Location] = {}
    for segment, segment_spans in source.split(spans):
        rules, problems = read_rules(segment.text, segment.name, segment_spans)
        diagnostics += [Diagnostic(p.location, CODES[p.code], p.code, p.message)
                        for p in problems]
        for clause in sorted(rules):
            rule = rules[clause]
            if rule.id not in first:
                first[rule.id] = rule.location
                continue
            where = first[rule.id]
            place = (f"line {where.line}, column {where.column}" if where.file == segment.name
                     else str(where))
            diagnostics.append(Diagnostic(
                rule.location, ERROR, "duplicate-id",
                f"rule id {rule.id} is already used by the clause at {place}"))
    return diagnostics
