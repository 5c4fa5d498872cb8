"""Golden programs: the engine must give exactly ProbLog's answers.

Each ``golden/NAME.pl`` begins with a header written from the output of the real ``problog``
package (default settings), either::

    % Expected:
    %   path(a,d): 0.3360000000000001

with one line per query result (the key as ``problog`` prints it, the value as ``repr``), or::

    % Expected error: InconsistentEvidenceError

naming a class of ``nesy.errors`` the engine must raise. The test checks that the result has
exactly the header's keys, and each value within 1e-9.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

import nesy.errors
from symbolic import Program

GOLDEN = Path(__file__).parent / "golden"
TOLERANCE = 1e-9
_RESULT_PREFIX = "%   "


@dataclass(frozen=True)
class Expectation:
    """What a golden file expects: query results, or the name of an error class."""

    results: dict[str, float]
    error: str | None = None


def parse_header(text: str) -> Expectation:
    """Read the expectation from the leading ``%`` comment block of a golden file."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("%"):
            break
        if line.startswith("% Expected error:"):
            return Expectation({}, line.split(":", 1)[1].strip())
        if line.rstrip() == "% Expected:":
            return Expectation(_parse_results(lines[i + 1 :]))
    raise ValueError("no '% Expected:' or '% Expected error:' header")


def _parse_results(lines: list[str]) -> dict[str, float]:
    """The ``key: value`` lines that follow ``% Expected:``, up to the first other line."""
    results: dict[str, float] = {}
    for line in lines:
        if not line.startswith(_RESULT_PREFIX):
            break
        key, value = line[len(_RESULT_PREFIX) :].rsplit(": ", 1)
        results[key] = float(value)
    return results


def _golden_files() -> list[Path]:
    return sorted(GOLDEN.glob("*.pl"))


def test_there_are_enough_golden_files() -> None:
    """Guard against the glob silently finding nothing (wrong directory, renamed folder)."""
    assert len(_golden_files()) >= 45


@pytest.mark.parametrize("path", _golden_files(), ids=lambda p: p.stem)
def test_golden(path: Path) -> None:
    """The engine's answer for one golden program equals ProbLog's, key for key."""
    expected = parse_header(path.read_text())
    if expected.error is not None:
        error_class = getattr(nesy.errors, expected.error)
        with pytest.raises(error_class):
            Program.from_file(path).query()
        return
    actual = Program.from_file(path).query()
    assert sorted(actual) == sorted(expected.results)
    for key, value in expected.results.items():
        assert actual[key] == pytest.approx(value, abs=TOLERANCE, rel=0), key


def test_parse_header_reads_results_and_errors() -> None:
    """The header parser itself: keys may contain ': ' free punctuation, values are floats."""
    text = "% Expected:\n%   p(a:b,[1, 2]): 0.25\n%   q: 1.0\n%\n% comment\nq.\n"
    assert parse_header(text) == Expectation({"p(a:b,[1, 2])": 0.25, "q": 1.0})
    error = parse_header("% Expected error: InconsistentEvidenceError\na.\n")
    assert error == Expectation({}, "InconsistentEvidenceError")
