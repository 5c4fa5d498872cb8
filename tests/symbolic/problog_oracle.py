"""ProbLog itself (the ``problog`` package, default settings) as the oracle of the tests."""

from __future__ import annotations

import warnings
from typing import Any

import pytest


def problog_probabilities(text: str) -> dict[str, float]:
    """ProbLog's answer to a program, silencing the deprecation warnings of its import."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        problog = pytest.importorskip("problog")
        program = pytest.importorskip("problog.program")
        model = program.PrologString(text)
        result: dict[Any, float] = problog.get_evaluatable().create_from(model).evaluate()
    return {str(term): float(p) for term, p in result.items()}
