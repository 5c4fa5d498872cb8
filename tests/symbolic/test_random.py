"""Differential test: the engine against ProbLog on seeded random programs.

For each seed, ``randprog.random_program(seed)`` gives a small stratified ProbLog program (see
that module for what it contains). ProbLog 2.3.0 and the engine both answer it; the answers
must have the same keys and values within 1e-9, and where ProbLog finds the evidence
inconsistent the engine must raise ``InconsistentEvidenceError``.

The default run uses seeds 0..299 (about 10 s of ProbLog time on one core); set
``NESY_RANDOM_PROGRAMS`` to another count to run more or fewer. A failing seed is replayed with
``python -c "import randprog; print(randprog.random_program(SEED))"`` from this directory.
"""

from __future__ import annotations

import os
import warnings
from types import ModuleType
from typing import Any

import pytest
from randprog import random_program

from nesy.errors import InconsistentEvidenceError
from symbolic import Program

TOLERANCE = 1e-9
SEEDS = range(int(os.environ.get("NESY_RANDOM_PROGRAMS", "300")))


class _Inconsistent:
    """Marker: ProbLog rejected the program's evidence as inconsistent."""


INCONSISTENT = _Inconsistent()


def _problog() -> tuple[ModuleType, ModuleType, ModuleType]:
    """Import ProbLog lazily, silencing the deprecation warnings its import emits.

    The project turns warnings into errors, and ProbLog 2.3.0 imports deprecated modules.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        problog = pytest.importorskip("problog")
        errors = pytest.importorskip("problog.errors")
        program = pytest.importorskip("problog.program")
    return problog, errors, program


def problog_answer(text: str) -> dict[str, float] | _Inconsistent:
    """ProbLog's answer (default settings): ``{term: probability}``, or ``INCONSISTENT``."""
    problog, errors, program = _problog()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = program.PrologString(text)
            result: dict[Any, float] = problog.get_evaluatable().create_from(model).evaluate()
        except errors.InconsistentEvidenceError:
            return INCONSISTENT
        except (errors.ProbLogError, AssertionError) as exc:  # a ProbLog bug, not avoided yet
            pytest.skip(f"ProbLog itself fails on this program: {type(exc).__name__}: {exc}")
    return {str(term): float(p) for term, p in result.items()}


@pytest.mark.parametrize("seed", SEEDS)
def test_engine_matches_problog(seed: int) -> None:
    """One random program: same keys as ProbLog, values within 1e-9, or the same error."""
    text = random_program(seed)
    expected = problog_answer(text)
    name = f"random_{seed}.pl"
    if isinstance(expected, _Inconsistent):
        with pytest.raises(InconsistentEvidenceError):
            Program.from_string(text, name=name).query()
        return
    actual = Program.from_string(text, name=name).query()
    assert sorted(actual) == sorted(expected), text
    for key, value in expected.items():
        assert actual[key] == pytest.approx(value, abs=TOLERANCE, rel=0), f"{key}\n{text}"


def test_generator_is_deterministic() -> None:
    """The same seed gives the same program, so a failing seed can be replayed."""
    assert random_program(7) == random_program(7)
    assert random_program(7) != random_program(8)
