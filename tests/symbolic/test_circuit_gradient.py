"""Circuit.gradient (reverse mode by hand) against torch's autograd on random programs."""

from __future__ import annotations

import numpy as np
import pytest
from randprog import random_program

from nesy.errors import InconsistentEvidenceError
from symbolic import Program

torch = pytest.importorskip("torch")


def _circuits(seeds: range) -> list[tuple[int, object, np.ndarray]]:
    found = []
    for seed in seeds:
        try:
            compiled = Program.from_string(random_program(seed)).compile()
        except InconsistentEvidenceError:
            continue
        circuit = compiled._compiled.circuit
        found.append((seed, circuit, compiled.parameter_vector()))
    return found


def _autograd(circuit: object, p: np.ndarray, adjoints: np.ndarray) -> np.ndarray:
    tensor = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    out = circuit.evaluate_torch(tensor)  # type: ignore[attr-defined]
    total = (out * torch.tensor(adjoints, dtype=torch.float64)).sum()
    if not total.requires_grad:
        return np.zeros_like(p)
    (gradient,) = torch.autograd.grad(total, tensor)
    return np.asarray(gradient.numpy())


@pytest.mark.parametrize("seed_block", range(4))
def test_gradient_equals_autograd(seed_block: int) -> None:
    rng = np.random.default_rng(seed_block)
    checked = 0
    for _seed, circuit, defaults in _circuits(range(seed_block * 25, seed_block * 25 + 25)):
        n = len(defaults)
        outputs = len(circuit.outputs)  # type: ignore[attr-defined]
        for trial in range(3):
            # the program's own probabilities first, then random ones that keep each choice's
            # mass at most 1 (scaled per choice), with exact zeros and ones among them
            p = defaults.copy() if trial == 0 else rng.random(n)
            if trial == 2:
                p[rng.random(n) < 0.2] = 0.0
            first = circuit.group_first  # type: ignore[attr-defined]
            for group in np.unique(first):
                members = first == group
                mass = p[members].sum()
                if mass > 1.0:
                    p[members] = p[members] / mass
            adjoints = rng.normal(size=outputs)
            expected = _autograd(circuit, p, adjoints)
            scalar = circuit.gradient(p, adjoints)  # type: ignore[attr-defined]
            batch = circuit.gradient(np.stack([p, p]), np.stack([adjoints, adjoints]))  # type: ignore[attr-defined]
            np.testing.assert_allclose(scalar, expected, rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(batch[0], expected, rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(batch[1], expected, rtol=1e-9, atol=1e-12)
            checked += 1
    assert checked >= 30


def test_batch_rows_are_independent() -> None:
    program = Program.from_string("0.3::a. 0.6::b. 0.2::x; 0.5::y. c :- a, x. c :- b, y. query(c).")
    compiled = program.compile()
    circuit = compiled._compiled.circuit
    rng = np.random.default_rng(7)
    rows = rng.random((5, len(compiled.parameters))) * 0.5
    adjoints = rng.normal(size=(5, len(circuit.outputs)))
    together = circuit.gradient(rows, adjoints)
    for row, adjoint, got in zip(rows, adjoints, together, strict=True):
        np.testing.assert_allclose(got, _autograd(circuit, row, adjoint), rtol=1e-9, atol=1e-12)
