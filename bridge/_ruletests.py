"""Rule tests: a bundle's ``tests/*.toml``, each test a case given by what the networks and
the graph would say about it, and what the rules must make of it.

The format (the header of ``examples/clinic/tests/guideline.toml`` describes it for users)::

    [[test]]
    name = "a malignant-looking aspirate warrants a biopsy"
    record = { age = 45, family_history = false, patient = "t01" }
    inputs.fna = { malignant = 0.95, benign = 0.05 }
    knowledge = {}                     # optional: all of the case's graph facts
    expect = "biopsy"                  # optional: the decided label, or "abstain"
    probability = { "recommend(biopsy)" = [0.9499, 0.9501] }   # optional: bounds

A test has ``expect``, ``probability`` or both.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nesy.errors import Location, NesyError

from ._bundle import Bundle, BundleError
from ._decision import ABSTAIN

if TYPE_CHECKING:
    from ._engine import Engine

__all__ = ["RuleTest", "RuleTestResult", "read_rule_tests", "run_rule_tests"]

_KEYS = {"name", "record", "inputs", "knowledge", "expect", "probability"}
_TEST_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*test[ \t]*\]\]", re.MULTILINE)


@dataclass(frozen=True)
class RuleTest:
    """One ``[[test]]``: where it is, what it gives, what it expects."""

    name: str
    location: Location
    record: Mapping[str, Any]
    inputs: Mapping[str, Mapping[str, float]]
    knowledge: Mapping[str, float | None] | None
    expect: str | None
    probability: Mapping[str, tuple[float, float]]


@dataclass(frozen=True)
class RuleTestResult:
    """A test's outcome: ``problems`` is empty when it passed."""

    test: RuleTest
    problems: tuple[str, ...]
    decided: str | None = None  # the label, or "abstain"
    probabilities: Mapping[str, float] | None = None

    @property
    def passed(self) -> bool:
        return not self.problems

    def line(self) -> str:
        """``file:line: PASS|FAIL name[: problems]``."""
        status = "PASS" if self.passed else "FAIL"
        text = f"{self.test.location}: {status} {self.test.name}"
        return text + (": " + "; ".join(self.problems) if self.problems else "")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.test.name, "location": self.test.location.to_dict(),
                "passed": self.passed, "problems": list(self.problems),
                "decided": self.decided,
                "probabilities": dict(self.probabilities or {})}


def read_rule_tests(bundle: Bundle) -> list[RuleTest]:
    """Every test of ``tests/*.toml`` in the bundle, in file order.

    A file that is not TOML or a test that breaks the format is a :class:`BundleError`
    naming the file and the test's line.
    """
    tests: list[RuleTest] = []
    for path in sorted((bundle.root / "tests").glob("*.toml")):
        tests += _read_file(path, bundle)
    return tests


def run_rule_tests(engine: Engine, tests: Sequence[RuleTest]) -> list[RuleTestResult]:
    """Run each test through the engine (no networks, no training: the tests give their
    outputs). A test whose case the engine refuses fails with the engine's reason."""
    return [_run(engine, test) for test in tests]


def _run(engine: Engine, test: RuleTest) -> RuleTestResult:
    try:
        decision = engine.decide_given(test.record, test.inputs, test.knowledge,
                                       case_id=test.name)
        query = engine.bundle.decision.query
        probabilities = {f"{query}({label})": p for label, p in decision.alternatives.items()}
        asked = [q for q in test.probability if q not in probabilities]
        if asked:
            probabilities.update(engine.query_given(asked, test.record, test.inputs,
                                                    test.knowledge))
    except NesyError as exc:
        return RuleTestResult(test, (f"the engine refused the case: {exc}",))
    problems = []
    decided = ABSTAIN if decision.abstained else decision.label
    if test.expect is not None and decided != test.expect:
        problems.append(f"expected {test.expect}, decided {decided} "
                        f"({decision.decided} at {decision.probability:.4g})")
    for query, (low, high) in test.probability.items():
        value = probabilities.get(query, 0.0)
        if not low <= value <= high:
            problems.append(f"P({query}) = {value:.6g}, not in [{low:g}, {high:g}]")
    return RuleTestResult(test, tuple(problems), decided, probabilities)


def _read_file(path: Path, bundle: Bundle) -> list[RuleTest]:
    where = _relative(path)
    try:
        text = path.read_text(encoding="utf-8")
        config = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise BundleError(f"{where}: cannot read: {exc}", Location(where)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise BundleError(f"{where}: not TOML: {exc}", Location(where)) from exc
    unknown = sorted(set(config) - {"test"})
    if unknown:
        raise BundleError(f"{where}: unknown table {unknown[0]!r} (tests are [[test]])",
                          Location(where))
    found = config.get("test", [])
    if not isinstance(found, list):
        raise BundleError(f"{where}: tests are written [[test]]", Location(where))
    lines = [text.count("\n", 0, m.start()) + 1 for m in _TEST_HEADER.finditer(text)]
    return [_test(entry, Location(where, lines[i] if i < len(lines) else None), bundle)
            for i, entry in enumerate(found)]


def _test(entry: Any, location: Location, bundle: Bundle) -> RuleTest:
    def fail(message: str) -> BundleError:
        return BundleError(f"{location}: {message}", location)

    if not isinstance(entry, dict):
        raise fail("a test is a table")
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise fail(f"unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise fail("a test needs a name")
    record = entry.get("record", {})
    if not isinstance(record, dict):
        raise fail(f"{name}: record is a table of the case's fields")
    inputs = entry.get("inputs", {})
    if not isinstance(inputs, dict) or not all(isinstance(v, dict) for v in inputs.values()):
        raise fail(f"{name}: inputs.<input> = {{ label = probability, ... }}")
    knowledge = entry.get("knowledge")
    if knowledge is not None and not isinstance(knowledge, dict):
        raise fail(f"{name}: knowledge is a table {{ \"atom\" = probability }}")
    expect = entry.get("expect")
    labels = [*bundle.decision.labels, ABSTAIN]
    if expect is not None and expect not in labels:
        raise fail(f"{name}: expect {expect!r} is not a label (labels: {', '.join(labels)})")
    bounds: dict[str, tuple[float, float]] = {}
    for query, pair in entry.get("probability", {}).items():
        if not (isinstance(pair, list) and len(pair) == 2 and all(
                _number(v) and 0.0 <= v <= 1.0 for v in pair) and pair[0] <= pair[1]):
            raise fail(f"{name}: probability of {query} is [low, high] within [0, 1]")
        bounds[query] = (float(pair[0]), float(pair[1]))
    if expect is None and not bounds:
        raise fail(f"{name}: a test has expect, probability or both")
    return RuleTest(name, location, record, inputs, knowledge, expect, bounds)


def _number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(
        value)


def _relative(path: Path) -> str:
    """The path as the user can open it: relative to the working folder when inside it."""
    absolute = path.resolve()
    cwd = Path.cwd().resolve()
    return str(absolute.relative_to(cwd)) if absolute.is_relative_to(cwd) else str(path)

