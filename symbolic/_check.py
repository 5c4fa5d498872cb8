"""The rule checker: every problem of a rule file, as ``path:line:col`` diagnostics.

Loading a program stops at its first problems; the checker reads the whole file and
reports all of them, each a :class:`Diagnostic` with a code (``undefined``,
``singleton``, ...). The reading and the checks run in SWI-Prolog
(``prolog/nesy_lint.pl``, one text back); the ``%!`` metadata of the clauses is checked
here, with :func:`~symbolic._rules.read_rules`.
"""

from __future__ import annotations

import bisect
import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nesy.errors import InputError, Location

from ._program import read_source
from ._prolog import engine
from ._rules import read_rules

__all__ = ["CODES", "Diagnostic", "check_file", "check_path", "check_string"]

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
    report = engine().call("nesy_check", text)
    return _read_report(report, text, name)


def check_file(path: str | Path) -> list[Diagnostic]:
    """Every problem of one rule file (see :func:`check_string`)."""
    return check_string(read_source(path), str(path))


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


def _read_report(report: str, text: str, name: str) -> list[Diagnostic]:
    source = _Positions(name, text)
    diagnostics: list[Diagnostic] = []
    undefined: list[tuple[str, str]] = []
    candidates: list[str] = []
    spans: dict[int, tuple[int, int]] = {}
    unparsed: set[str] = set()  # names of the clauses that did not parse
    for line in report.splitlines():
        tag, _, rest = line.partition(" ")
        if tag == "E":
            where, severity, code, message = rest.split(" ", 3)
            diagnostics.append(Diagnostic(source.location(where), severity, code, message))
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
    for where, indicator in undefined:
        if indicator.rpartition("/")[0] in unparsed:
            continue  # probably defined by a clause with a syntax error
        message = f"unknown predicate {indicator}"
        suggestion = _did_you_mean(indicator, candidates)
        if suggestion:
            message += f" (did you mean {suggestion}?)"
        diagnostics.append(Diagnostic(source.location(where), ERROR, "undefined", message))
    diagnostics += _metadata(text, name, spans)
    return sorted(diagnostics, key=Diagnostic.sort_key)


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


def _metadata(text: str, name: str, spans: dict[int, tuple[int, int]]) -> list[Diagnostic]:
    """Problems of the ``%!`` blocks, and rule ids given to more than one clause."""
    rules, problems = read_rules(text, name, spans)
    diagnostics = [Diagnostic(p.location, CODES[p.code], p.code, p.message) for p in problems]
    first: dict[str, Location] = {}
    for clause in sorted(rules):
        rule = rules[clause]
        if rule.id in first:
            where = first[rule.id]
            diagnostics.append(Diagnostic(
                rule.location, ERROR, "duplicate-id",
                f"rule id {rule.id} is already used by the clause at line {where.line}, "
                f"column {where.column}"))
        else:
            first[rule.id] = rule.location
    return diagnostics


class _Positions:
    """Character offsets (or ``line:col`` from the reader) to 1-based locations."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.length = len(text)
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def location(self, where: str) -> Location:
        if ":" in where:
            line_text, column_text = where.split(":")
            return Location(self.name, int(line_text), int(column_text))
        offset = max(0, min(int(where), self.length))
        line = bisect.bisect_right(self.line_starts, offset)
        return Location(self.name, line, offset - self.line_starts[line - 1] + 1)
