"""NeuralProgram against DeepProbLog itself: same program, same network, same numbers.

DeepProbLog 2.1.0 (the ``deepproblog`` package, exact engine) and :class:`NeuralProgram` both
load ``examples/digits/learning/addition.pl`` (DeepProbLog's MNIST-addition program) and
read the same untrained, seeded CNN on scikit-learn's 8x8 digits. Their query probabilities
must agree to 1e-6 (DeepProbLog evaluates its circuits in float32), their answers over all
sums too, and the gradients of the cross-entropy loss with respect to the network's weights to
1e-5 (relative to the largest gradient entry).

DeepProbLog's ``deepproblog.engines`` package imports its approximate engine, which imports
pyswip and so starts SWI-Prolog in the importing thread; nesy runs SWI-Prolog on a thread of
its own, and a process where both started it crashes. The exact engine needs no Prolog, so
the approximate engine's module is marked missing before DeepProbLog is imported (its
``engines/__init__`` expects that and goes on without it).
"""

from __future__ import annotations

import contextlib
import io
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from bridge import Example, NeuralProgram

sys.modules.setdefault("deepproblog.engines.approximate_engine", None)  # type: ignore[arg-type]
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # "ApproximateEngine is not available", deprecations
    pytest.importorskip("deepproblog")
    from deepproblog.engines import ExactEngine
    from deepproblog.model import Model
    from deepproblog.network import Network
    from deepproblog.query import Query
    from deepproblog.semiring.graph_semiring import GraphSemiring
    from problog.logic import Constant, Term, list2term

PROGRAM = Path(__file__).resolve().parents[2] / "examples" / "digits" / "learning" / \
    "addition.pl"
SOURCE = "digits"
PROBABILITY_TOLERANCE = 1e-6
GRADIENT_TOLERANCE = 1e-5

# addition(tensor(digits(i)), tensor(digits(j)), z): the true sum of load_digits()'s
# targets, wrong sums, an impossible one, and one image twice (one digit, read once).
TARGETS = load_digits().target
ADDITIONS = [
    (0, 1, int(TARGETS[0] + TARGETS[1])),
    (2, 3, int(TARGETS[2] + TARGETS[3])),
    (4, 5, int(TARGETS[4] + TARGETS[5])),
    (6, 7, 0),
    (8, 9, 18),
    (10, 11, 19),            # no two digits make 19: probability 0 in both
    (12, 12, 2 * int(TARGETS[12])),
    (13, 13, 1),             # an odd sum of one image twice: impossible
]
# multi_addition([a, b], [c, d], z) with distinct images, as DeepProbLog's own data build
# them; true and wrong sums.
MULTI = [
    ((20, 21, 22, 23), 10 * int(TARGETS[20] + TARGETS[22]) + int(TARGETS[21] + TARGETS[23])),
    ((24, 25, 26, 27), 0),
    ((32, 33, 34, 35), 199),  # above 99 + 99: probability 0
]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


class ItemSource:
    """DeepProbLog indexes a tensor source with the tuple of the term's arguments."""

    def __init__(self, images: torch.Tensor) -> None:
        self.images = images

    def __getitem__(self, item: tuple[Any, ...]) -> torch.Tensor:
        return self.images[int(item[0])]


def _images() -> torch.Tensor:
    return torch.as_tensor(load_digits().images, dtype=torch.float32).unsqueeze(1) / 16.0


def _network() -> torch.nn.Module:
    """A small CNN, seeded and untrained: its outputs are spread over the classes."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return torch.nn.Sequential(
            torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(64, 10), torch.nn.Softmax(dim=1))


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """DeepProbLog prints "Caching ACs" and warns about float() of tensors needing grad."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


class Systems:
    """DeepProbLog's model and ours on one network module and one image tensor."""

    def __init__(self) -> None:
        self.images = _images()
        self.network = _network()
        with _quiet():
            self.dpl = Model(str(PROGRAM), [Network(self.network, "mnist_net",
                                                    batching=True)])
            self.dpl.set_engine(ExactEngine(self.dpl), cache=True)
            self.dpl.add_tensor_source(SOURCE, ItemSource(self.images))
        self.ours = NeuralProgram.from_file(PROGRAM, {"mnist_net": self.network},
                                            {SOURCE: self.images})

    def solve(self, queries: list[Query]) -> list[Any]:
        with _quiet():
            return self.dpl.solve(queries)


@pytest.fixture(scope="module")
def systems() -> Systems:
    return Systems()


def _tensor(i: int) -> Term:
    return Term("tensor", Term(SOURCE, Constant(i)))


def _addition(i: int, j: int, z: int) -> tuple[Query, Example]:
    query = Query(Term("addition", _tensor(i), _tensor(j), Constant(z)))
    return query, Example(f"addition(tensor({SOURCE}({i})),tensor({SOURCE}({j})),{z})")


def _multi(images: tuple[int, ...], z: int, p: float = 1.0) -> tuple[Query, Example]:
    """DeepProbLog's form of a query: constants substituted by the tensors after grounding
    (one compiled circuit per sum); ours written out."""
    names = [Term(f"img{k}") for k in range(4)]
    query = Query(Term("multi_addition", list2term(names[:2]), list2term(names[2:]),
                       Constant(z)),
                  substitution={name: _tensor(i) for name, i in zip(names, images,
                                                                      strict=True)}, p=p)
    refs = [f"tensor({SOURCE}({i}))" for i in images]
    example = Example(f"multi_addition([{refs[0]},{refs[1]}],[{refs[2]},{refs[3]}],{z})", p=p)
    return query, example


def _probability(result: Any, query: Query) -> float:
    """P(query) of a DeepProbLog result: a tensor, a float, or no entry (no proof)."""
    if not result.result:
        return 0.0
    value = result.result[query.substitute().query]
    return float(value.detach()) if isinstance(value, torch.Tensor) else float(value)


@pytest.mark.parametrize(("i", "j", "z"), ADDITIONS,
                         ids=[f"{i}+{j}={z}" for i, j, z in ADDITIONS])
def test_addition_probability_is_deepproblogs(systems: Systems, i: int, j: int, z: int) -> None:
    query, example = _addition(i, j, z)
    theirs = _probability(systems.solve([query])[0], query)
    ours = systems.ours.probabilities([example])[0]
    assert ours == pytest.approx(theirs, abs=PROBABILITY_TOLERANCE)
    if theirs > 0:
        assert ours == pytest.approx(theirs, rel=1e-4)


def test_the_cases_are_not_trivial(systems: Systems) -> None:
    """True sums have real probability, wrong ones little, impossible ones none."""
    found = systems.ours.probabilities([_addition(*case)[1] for case in ADDITIONS])
    assert min(found[:3]) > 1e-3
    assert found[5] == 0.0 and found[7] == 0.0
    assert 0.0 < found[3] < 0.1 and 0.0 < found[4] < 0.1
    assert len({round(p, 9) for p in found}) >= 6


def test_one_image_twice_is_one_digit_as_in_deepproblog(systems: Systems) -> None:
    """addition(X, X, 2d) is P(X = d) in both, not the sum over independent pairs."""
    query, example = _addition(12, 12, 2 * int(TARGETS[12]))
    theirs = _probability(systems.solve([query])[0], query)
    with torch.no_grad():
        p = systems.network(systems.images[12:13])[0].double()
    d = int(TARGETS[12])
    independent = float(sum(p[k] * p[2 * d - k] for k in range(10) if 0 <= 2 * d - k <= 9))
    assert theirs == pytest.approx(float(p[d]), abs=PROBABILITY_TOLERANCE)
    assert systems.ours.probabilities([example])[0] == pytest.approx(float(p[d]), abs=1e-7)
    assert abs(independent - float(p[d])) > 1e-3


def test_all_sums_are_deepproblogs(systems: Systems) -> None:
    """The lifted query (sum left free) gives DeepProbLog's answers, one per sum."""
    query, example = _addition(40, 41, 0)
    result = systems.solve([query.variable_output()])[0]
    theirs = {str(term.args[2]): float(value.detach()) if isinstance(value, torch.Tensor)
              else float(value) for term, value in result.result.items()}
    ours = systems.ours.answers([example])[0]
    assert sorted(ours, key=int) == sorted(theirs, key=int) == [str(z) for z in range(19)]
    for z, p in theirs.items():
        assert ours[z] == pytest.approx(p, abs=PROBABILITY_TOLERANCE), z
    assert sum(ours.values()) == pytest.approx(1.0, abs=1e-6)  # float32 softmax rows


@pytest.mark.parametrize(("images", "z"), MULTI, ids=[f"{z}" for _, z in MULTI])
def test_multi_addition_probability_is_deepproblogs(systems: Systems, images: tuple[int, ...],
                                                    z: int) -> None:
    query, example = _multi(images, z)
    theirs = _probability(systems.solve([query])[0], query)
    ours = systems.ours.probabilities([example])[0]
    assert ours == pytest.approx(theirs, abs=PROBABILITY_TOLERANCE)
    if theirs > 0:
        assert ours == pytest.approx(theirs, rel=1e-4)
    assert (theirs > 0) == (z <= 198)


def _gradients(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.grad.detach().clone() if p.grad is not None else torch.zeros_like(p)
            for p in module.parameters()]


def test_loss_gradients_are_deepproblogs(systems: Systems) -> None:
    """One batch: DeepProbLog's cross-entropy (its train loop's weights 1/batch, its own
    backward) and our mean loss give the same gradients on every network parameter."""
    cases = [_addition(0, 1, int(TARGETS[0] + TARGETS[1])), _addition(2, 3, 17),
             _addition(12, 12, 2 * int(TARGETS[12])),
             _multi(*MULTI[0])]
    query, example = _addition(6, 7, int(TARGETS[6] + TARGETS[7]))
    cases.append((Query(query.query, p=0.3), Example(str(example), p=0.3)))
    module = systems.network
    module.zero_grad(set_to_none=True)
    results = systems.solve([q for q, _ in cases])
    theirs_loss = 0.0
    with _quiet():
        for result, (query, _) in zip(results, cases, strict=True):
            theirs_loss += GraphSemiring.cross_entropy(result, query.p, weight=1 / len(cases),
                                                       q=query.substitute().query)
    theirs = _gradients(module)
    module.zero_grad(set_to_none=True)
    loss = systems.ours.loss(systems.ours.prepare([e for _, e in cases]))
    loss.backward()
    ours = _gradients(module)
    module.zero_grad(set_to_none=True)
    assert float(loss) == pytest.approx(theirs_loss, rel=1e-5)
    assert any(float(g.abs().max()) > 1e-3 for g in theirs)
    for mine, other in zip(ours, theirs, strict=True):
        scale = float(other.abs().max())
        torch.testing.assert_close(mine.to(other.dtype), other, rtol=GRADIENT_TOLERANCE,
                                   atol=GRADIENT_TOLERANCE * scale)


def test_one_training_step_moves_both_alike(systems: Systems) -> None:
    """An SGD step on each system's gradients, from the same weights, ends at the same
    weights (to float32 rounding): the learning signal is the same, not only its size."""
    cases = [_addition(50 + 2 * k, 51 + 2 * k, int(TARGETS[50 + 2 * k] + TARGETS[51 + 2 * k]))
             for k in range(4)]
    start = {k: v.clone() for k, v in systems.network.state_dict().items()}
    stepped = []
    for system in ("deepproblog", "nesy"):
        systems.network.load_state_dict(start)
        optimizer = torch.optim.SGD(systems.network.parameters(), lr=0.5)
        optimizer.zero_grad()
        if system == "deepproblog":
            results = systems.solve([q for q, _ in cases])
            with _quiet():
                for result, (query, _) in zip(results, cases, strict=True):
                    GraphSemiring.cross_entropy(result, 1.0, weight=1 / len(cases),
                                                q=query.query)
        else:
            systems.ours.loss(systems.ours.prepare([e for _, e in cases])).backward()
        optimizer.step()
        stepped.append({k: v.clone() for k, v in systems.network.state_dict().items()})
    systems.network.load_state_dict(start)
    systems.network.zero_grad(set_to_none=True)
    moved = max(float((stepped[1][k] - start[k]).abs().max()) for k in start)
    assert moved > 1e-4
    for key in start:
        np.testing.assert_allclose(stepped[1][key].numpy(), stepped[0][key].numpy(),
                                   rtol=0, atol=1e-6 + 1e-5 * moved, err_msg=key)
