"""NeuralProgram: ProbLog semantics with networks as annotated disjunctions, one circuit per
template, the loss and its gradient, the user's calls, and bad input.

The oracle of the first part is ProbLog itself (the ``problog`` package): a network that
returns fixed rows is exactly an annotated disjunction per input with those probabilities, so
on seeded random programs (see :func:`random_program`) our probabilities and ProbLog's must
agree to 1e-9.
"""

from __future__ import annotations

import math
import random
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from bridge import Example, NeuralProgram
from nesy.errors import InputError, ProgramError
from symbolic import Program

TOLERANCE = 1e-9
N_INPUTS = 4          # tensor(x(0)) .. tensor(x(3))
SEEDS = range(30)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


class Lookup(torch.nn.Module):
    """A network of fixed rows: input ``i`` (or inputs ``i, j``) gives row ``i`` (``i*n+j``)."""

    def __init__(self, rows: np.ndarray | torch.Tensor, n: int = N_INPUTS) -> None:
        super().__init__()
        self.rows = torch.nn.Parameter(torch.as_tensor(rows, dtype=torch.float64).clone())
        self.n = n

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        index = torch.zeros(len(inputs[0]), dtype=torch.long)
        for x in inputs:
            index = index * self.n + x.reshape(-1).long()
        return self.rows[index]


def _source(n: int = N_INPUTS) -> torch.Tensor:
    return torch.arange(n).reshape(n, 1)


def t(i: int, source: str = "x") -> str:
    return f"tensor({source}({i}))"


# ---------------------------------------------------------------- random programs vs ProbLog


@dataclass
class RandomProgram:
    text: str                       # the program with nn(...) declarations
    tables: dict[str, np.ndarray]   # each network's fixed rows
    queries: list[str]              # ground queries, compiled as they are (outputs=())
    sums: list[str]                 # s(a, b, Z) for every Z: lifted, one template
    features: set[str]

    def problog(self) -> str:
        """The same program for ProbLog: each neural predicate an annotated disjunction per
        input (per pair of inputs for net2), with the network's rows as probabilities."""
        lines = [line for line in self.text.splitlines() if not line.startswith("nn(")]
        for pred, net in (("d", "net1"), ("e", "net1"), ("rel", "net2")):
            if f"{pred}_declared" not in self.features:
                continue
            table = self.tables[net]
            for k, row in enumerate(table):
                args = [t(k)] if net == "net1" else [t(k // N_INPUTS), t(k % N_INPUTS)]
                lines.append("; ".join(f"{float(p)!r}::{pred}({', '.join([*args, str(c)])})"
                                       for c, p in enumerate(row)) + ".")
        if "net3" in self.tables:
            lines += [f"{float(p)!r}::flag({t(k)})." for k, p in
                      enumerate(self.tables["net3"][:, 0])]
        lines += [f"query({q})." for q in self.queries + self.sums]
        return "\n".join(lines) + "\n"


def random_program(seed: int) -> RandomProgram:
    """A small random program over neural facts of up to three inputs.

    ``d/2`` is ``net1`` over a domain of 2 or 3 numbers; sometimes ``rel/3`` (``net2``, two
    inputs, classes 0/1), ``flag/1`` (``net3``, one probability: ``nn(net3, [X]) ::
    flag(X)``) and ``e/2`` (``net1`` again: another, independent AD with the same rows).
    Probabilistic facts ``f/1`` and ``g``; ``r/2`` and ``q/3`` have one to three rules (a
    disjunction), each a conjunction of literals drawn from: neural facts with a constant
    class, two inputs with the same class, a class joined with ``f``, comparisons and
    arithmetic over classes, negated neural facts and ``r``, ``g``. ``s/3`` sums two digits.
    Some rows sum to less than 1. Queries may repeat an input (correlated reads).
    """
    rng = random.Random(seed)
    k1 = rng.choice([2, 3])
    domain = list(range(k1))
    features = {"d_declared"}
    listed = ", ".join(map(str, domain))
    lines = [f"nn(net1, [X], Y, [{listed}]) :: d(X, Y)."]
    if rng.random() < 0.5:
        features.add("rel_declared")
        lines.append("nn(net2, [X, Y], Z, [0, 1]) :: rel(X, Y, Z).")
    if rng.random() < 0.5:
        features.add("flag")
        lines.append("nn(net3, [X]) :: flag(X).")
    if rng.random() < 0.3:
        features.add("e_declared")
        lines.append(f"nn(net1, [X], Y, [{listed}]) :: e(X, Y).")
    for v in [v for v in domain if rng.random() < 0.7] or [0]:
        lines.append(f"{rng.choice([0.2, 0.3, 0.5, 0.7, 0.9])}::f({v}).")
    lines.append(f"{rng.choice([0.1, 0.4, 0.6])}::g.")
    fresh = iter(f"V{i}" for i in range(1000))

    def literal(variables: list[str], with_r: bool) -> str:
        a, b = rng.choice(variables), rng.choice(variables)
        k = rng.choice(domain)
        y, z, s = next(fresh), next(fresh), next(fresh)
        options = [f"d({a}, {k})", f"d({a}, {y}), d({b}, {y})", f"d({a}, {y}), f({y})",
                   f"d({a}, {y}), d({b}, {z}), {y} < {z}",
                   f"d({a}, {y}), d({b}, {z}), {s} is {y} + {z}, {s} >= {k1 - 1}",
                   f"\\+ d({a}, {k})", "g", "\\+ g"]
        if "rel_declared" in features:
            options += [f"rel({a}, {b}, {rng.choice([0, 1])})", f"\\+ rel({a}, {b}, 1)"]
        if "flag" in features:
            options += [f"flag({a})", f"\\+ flag({a})"]
        if "e_declared" in features:
            options += [f"e({a}, {k})", f"d({a}, {y}), e({b}, {y})"]
        if with_r:
            options += [f"r({a}, {b})", f"\\+ r({a}, {b})"]
        chosen = rng.choice(options)
        if "\\+" in chosen:
            features.add("negation")
        return chosen

    for _ in range(rng.randint(1, 2)):
        body = ", ".join(literal(["A", "B"], False) for _ in range(rng.randint(1, 2)))
        lines.append(f"r(A, B) :- {body}.")
    rules = rng.randint(1, 3)
    if rules > 1:
        features.add("disjunction")
    for _ in range(rules):
        body = ", ".join(literal(["A", "B", "C"], True) for _ in range(rng.randint(1, 3)))
        lines.append(f"q(A, B, C) :- {body}.")
    extra = rng.choice(["", "f(X), ", "\\+ g, ", "r(A, B), "]
                       + (["flag(A), "] if "flag" in features else []))
    lines.append(f"s(A, B, Z) :- d(A, X), d(B, Y), {extra}Z is X + Y.")

    values = np.random.default_rng(seed)

    def rows(n: int, size: int) -> np.ndarray:
        table = values.dirichlet(np.ones(size), size=n)
        mass = np.where(values.random(n) < 0.3, 0.9, 1.0)  # some rows sum to 0.9
        if (mass < 1).any():
            features.add("mass below 1")
        return table * mass[:, None]

    tables = {"net1": rows(N_INPUTS, k1)}
    if "rel_declared" in features:
        tables["net2"] = rows(N_INPUTS * N_INPUTS, 2)
    if "flag" in features:
        tables["net3"] = values.uniform(0.05, 0.95, size=(N_INPUTS, 1))
    queries = []
    for _ in range(2):
        picked = [rng.randrange(N_INPUTS) for _ in range(3)]
        if len(set(picked)) < 3:
            features.add("repeated input")
        queries.append(f"q({', '.join(t(i) for i in picked)})")
    a, b = rng.randrange(N_INPUTS), rng.randrange(N_INPUTS)
    sums = [f"s({t(a)}, {t(b)}, {z})" for z in range(2 * k1 - 1)]
    return RandomProgram("\n".join(lines) + "\n", tables, queries, sums, features)


def problog_probabilities(text: str) -> dict[str, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        problog = pytest.importorskip("problog")
        program = pytest.importorskip("problog.program")
        result = problog.get_evaluatable().create_from(program.PrologString(text)).evaluate()
    return {str(term).replace(" ", ""): float(p) for term, p in result.items()}


def _model(case: RandomProgram) -> NeuralProgram:
    networks = {name: Lookup(rows) for name, rows in case.tables.items()}
    return NeuralProgram(Program.from_string(case.text), networks, {"x": _source()})


@pytest.mark.parametrize("seed", SEEDS)
def test_random_program_is_problogs(seed: int) -> None:
    case = random_program(seed)
    model = _model(case)
    examples = [Example(q, outputs=()) for q in case.queries] + [Example(s) for s in case.sums]
    ours = model.probabilities(examples)
    theirs = problog_probabilities(case.problog())
    expected = [theirs.get(q.replace(" ", ""), 0.0) for q in case.queries + case.sums]
    for query, mine, other in zip(case.queries + case.sums, ours, expected, strict=True):
        assert mine == pytest.approx(other, abs=TOLERANCE), f"{query}\n{case.text}"
    # the sums share one circuit; each query is its own template at most
    assert model.circuits <= len(case.queries) + 1


def test_the_random_programs_cover_the_features() -> None:
    """The generator is not degenerate: every feature occurs, answers are not all 0 or 1."""
    seen: set[str] = set()
    interesting = 0
    for seed in SEEDS:
        case = random_program(seed)
        seen |= case.features
        values = problog_probabilities(case.problog()).values()
        interesting += any(0.01 < p < 0.99 for p in values)
    assert seen >= {"d_declared", "rel_declared", "e_declared", "flag", "negation",
                    "disjunction", "mass below 1", "repeated input"}
    assert interesting >= 0.9 * len(SEEDS)


def test_a_wrong_class_order_would_be_caught() -> None:
    """The comparison is sharp: the network's columns reversed give other probabilities."""
    case = next(c for c in map(random_program, SEEDS) if len(c.tables) == 1
                and c.tables["net1"].shape[1] == 3)
    theirs = problog_probabilities(case.problog())
    flipped = RandomProgram(case.text, {"net1": case.tables["net1"][:, ::-1].copy()},
                            case.queries, case.sums, case.features)
    ours = _model(flipped).probabilities([Example(s) for s in case.sums])
    expected = [theirs.get(s.replace(" ", ""), 0.0) for s in case.sums]
    assert max(abs(a - b) for a, b in zip(ours, expected, strict=True)) > 1e-3


# ---------------------------------------------------------------- the digits-style program

ADDITION = """
nn(net, [X], Y, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) :: digit(X, Y).
addition(X, Y, Z) :- digit(X, X2), digit(Y, Y2), Z is X2 + Y2.
above(X, Z) :- digit(X, D), D > Z.
"""
N_IMAGES = 12


def _digit_network(seed: int = 0) -> torch.nn.Module:
    """A linear softmax in float64, so that batching changes no digit of its outputs."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return torch.nn.Sequential(torch.nn.Linear(5, 10), torch.nn.Softmax(dim=1)).double()


def _images(seed: int = 0) -> torch.Tensor:
    return torch.as_tensor(np.random.default_rng(seed).normal(size=(N_IMAGES, 5)),
                           dtype=torch.float64)


@pytest.fixture
def addition() -> NeuralProgram:
    return NeuralProgram(Program.from_string(ADDITION), {"net": _digit_network()},
                         {"img": _images()})


def _example(i: int, j: int, z: int, p: float = 1.0) -> Example:
    return Example(f"addition({t(i, 'img')},{t(j, 'img')},{z})", p=p)


def _direct(network: torch.nn.Module, images: torch.Tensor, i: int, j: int,
            z: int) -> torch.Tensor:
    """P(a + b = z) = sum_k p_a(k) p_b(z - k), in float64."""
    p = network(images[[i, j]]).double()
    terms = [p[0, k] * p[1, z - k] for k in range(10) if 0 <= z - k <= 9]
    return torch.stack(terms).sum() if terms else torch.zeros((), dtype=torch.float64)


def test_one_circuit_for_every_pair_and_sum(addition: NeuralProgram) -> None:
    rng = np.random.default_rng(1)
    examples = [_example(int(i), int(j), int(z)) for i, j, z in
                zip(rng.choice(N_IMAGES, 40), rng.choice(N_IMAGES, 40), rng.integers(0, 19, 40),
                    strict=True) if i != j]
    assert len({str(e) for e in examples}) > 30
    addition.probabilities(examples)
    addition.loss(addition.prepare(examples[:10]))
    addition.answers(examples[:3])
    assert addition.circuits == 1
    addition.probabilities([_example(3, 3, 4)])    # one image twice: another template
    assert addition.circuits == 2
    addition.probabilities([_example(5, 5, 6), _example(7, 7, 0)])
    assert addition.circuits == 2


def test_without_outputs_one_circuit_per_sum(addition: NeuralProgram) -> None:
    sums = [3, 7, 7, 12, 3, 0]
    examples = [Example(str(_example(i, i + 1, z)), outputs=()) for i, z in enumerate(sums)]
    lifted = addition.probabilities([_example(i, i + 1, z) for i, z in enumerate(sums)])
    assert addition.circuits == 1
    assert addition.probabilities(examples) == pytest.approx(lifted, abs=1e-12)
    assert addition.circuits == 1 + len(set(sums))


def test_probabilities_are_the_direct_computation(addition: NeuralProgram) -> None:
    cases = [(0, 1, 9), (2, 3, 0), (4, 5, 18), (6, 7, 10), (8, 9, 19)]
    ours = addition.probabilities([_example(*c) for c in cases])
    network, images = addition.networks["net"], _images()
    with torch.no_grad():
        direct = [float(_direct(network, images, *c)) for c in cases]
    assert ours == pytest.approx(direct, abs=1e-12)
    assert ours[-1] == 0.0 and min(ours[:-1]) > 0.0


@pytest.mark.parametrize("targets", [(1.0, 1.0, 1.0, 1.0), (1.0, 0.0, 0.25, 1.0)])
def test_loss_and_gradient_are_the_direct_computation(addition: NeuralProgram,
                                                      targets: tuple[float, ...]) -> None:
    """The batch loss is mean -(t log P + (1-t) log(1-P)) with DeepProbLog's eps of 1e-12,
    and its gradient reaches the network's weights exactly as the direct formula's."""
    cases = [(0, 1, 9), (2, 3, 5), (4, 5, 12), (6, 6, 8)]
    examples = [_example(*c, p=p) for c, p in zip(cases, targets, strict=True)]
    network, images = addition.networks["net"], _images()
    network.zero_grad()
    loss = addition.loss(addition.prepare(examples))
    loss.backward()
    ours = [p.grad.clone() for p in network.parameters()]
    network.zero_grad()
    terms = []
    for (i, j, z), target in zip(cases, targets, strict=True):
        if i == j:  # one image twice: its digit is z / 2
            p = network(images[[i]]).double()[0, z // 2]
        else:
            p = _direct(network, images, i, j, z)
        terms.append(-(target * torch.log(p + 1e-12) + (1 - target) * torch.log(1 - p + 1e-12)))
    direct = torch.stack(terms).mean()
    direct.backward()
    theirs = [p.grad.clone() for p in network.parameters()]
    network.zero_grad()
    assert float(loss.detach()) == pytest.approx(float(direct.detach()), rel=1e-9)
    for mine, other in zip(ours, theirs, strict=True):
        assert float(other.abs().max()) > 1e-4
        torch.testing.assert_close(mine, other, rtol=1e-5, atol=1e-7)


def test_an_impossible_example_has_a_finite_loss(addition: NeuralProgram) -> None:
    loss = addition.loss(addition.prepare([_example(0, 1, 19)]))
    assert float(loss.detach()) == pytest.approx(-math.log(1e-12))
    metrics = addition.evaluate(addition.prepare([_example(0, 1, 19), _example(2, 3, 5)]))
    assert math.isfinite(metrics["loss"]) and metrics["accuracy"] == 0.0


def test_one_image_twice_is_correlated(addition: NeuralProgram) -> None:
    network, images = addition.networks["net"], _images()
    with torch.no_grad():
        p = network(images[[3]]).double()[0]
    independent = float(sum(p[k] * p[4 - k] for k in range(5)))
    ours = addition.probabilities([_example(3, 3, 4), _example(3, 3, 5)])
    assert ours[0] == pytest.approx(float(p[2]), abs=1e-12)   # only digit 2 makes 2 + 2
    assert ours[1] == 0.0                                        # an odd sum cannot be d + d
    assert abs(ours[0] - independent) > 1e-3
    answers = addition.answers([_example(3, 3, 0)])[0]
    assert {z for z, p in answers.items() if p > 0} == {str(2 * d) for d in range(10)}
    assert sum(answers.values()) == pytest.approx(1.0, abs=1e-12)
    assert answers["4"] == ours[0]


def test_answers_predict_and_accuracy(addition: NeuralProgram) -> None:
    examples = [_example(0, 1, 9), _example(2, 3, 0), _example(4, 5, 18)]
    answers = addition.answers(examples)
    for row in answers:
        assert set(row) == {str(z) for z in range(19)}
        assert sum(row.values()) == pytest.approx(1.0, abs=1e-12)
        assert min(row.values()) >= 0.0
    assert [row["9"] for row in answers[:1]] == pytest.approx(
        addition.probabilities(examples[:1]), abs=1e-12)
    predicted = addition.predict(examples)
    assert predicted == [max(row, key=row.__getitem__) for row in answers]
    # examples whose sums are the predicted ones are all right, others all wrong
    right = [_example(i, i + 1, int(z)) for i, z in zip((0, 2, 4), predicted, strict=True)]
    wrong = [_example(i, i + 1, (int(z) + 1) % 19)
             for i, z in zip((0, 2, 4), predicted, strict=True)]
    assert addition.accuracy(right) == 1.0
    assert addition.accuracy(wrong) == 0.0
    assert addition.accuracy(right[:2] + wrong[2:]) == pytest.approx(2 / 3)
    assert addition.evaluate(addition.prepare(right[:2] + wrong[2:]))["accuracy"] == \
        pytest.approx(2 / 3)


def test_a_correct_network_reads_every_sum() -> None:
    """With a network that knows each image's digit, every sum is predicted with P = 1."""
    digits = np.random.default_rng(3).integers(0, 10, N_IMAGES)
    model = NeuralProgram(Program.from_string(ADDITION),
                          {"net": Lookup(np.eye(10)[digits], n=N_IMAGES)},
                          {"img": _source(N_IMAGES)})
    examples = [_example(i, i + 1, int(digits[i] + digits[i + 1])) for i in range(N_IMAGES - 1)]
    assert model.probabilities(examples) == pytest.approx([1.0] * len(examples), abs=1e-12)
    assert model.accuracy(examples) == 1.0
    assert model.predict(examples) == [str(int(digits[i] + digits[i + 1]))
                                       for i in range(N_IMAGES - 1)]


def test_several_outputs_are_answered_together() -> None:
    rows = np.random.default_rng(0).dirichlet(np.ones(3), size=2)
    model = NeuralProgram(Program.from_string(
        "nn(net, [X], Y, [0, 1, 2]) :: d(X, Y).\npair(X, Y, A, B) :- d(X, A), d(Y, B).\n"),
        {"net": Lookup(rows, n=2)}, {"x": _source(2)})
    example = Example(f"pair({t(0)}, {t(1)}, 2, 1)", outputs=(2, 3))
    answers = model.answers([example])[0]
    assert len(answers) == 9 and answers["2, 1"] == pytest.approx(rows[0, 2] * rows[1, 1])
    assert model.probabilities([example]) == pytest.approx([rows[0, 2] * rows[1, 1]])
    assert model.predict([example]) == [
        f"{np.unravel_index(np.argmax(np.outer(rows[0], rows[1])), (3, 3))[0]}, "
        f"{np.unravel_index(np.argmax(np.outer(rows[0], rows[1])), (3, 3))[1]}"]


def test_examples_without_outputs_have_no_accuracy(addition: NeuralProgram) -> None:
    example = Example(str(_example(0, 1, 9)), outputs=())
    assert addition.predict([example]) == [""]
    assert addition.answers([example])[0] == {"": pytest.approx(
        addition.probabilities([example])[0])}
    assert "accuracy" not in addition.evaluate(addition.prepare([example]))
    with pytest.raises(InputError, match="accuracy needs examples with outputs"):
        addition.accuracy([example])
    with pytest.raises(InputError, match="no examples"):
        addition.accuracy([])


def test_a_batch_mixing_templates_keeps_each_examples_place(addition: NeuralProgram) -> None:
    examples = [_example(0, 1, 9), _example(3, 3, 4), Example(str(_example(2, 4, 7)),
                                                               outputs=()),
                _example(5, 6, 11), _example(7, 7, 2)]
    together = addition.probabilities(examples)
    alone = [addition.probabilities([e])[0] for e in examples]
    assert together == pytest.approx(alone, abs=1e-12)
    assert len(set(together)) == len(together)


def test_the_example_defaults() -> None:
    example = Example("addition(tensor(img(0)), tensor(img(1)), 7)")
    assert example.p == 1.0 and example.outputs == (2,)
    assert Example(example.query, p=0, outputs=(0, -1)).outputs == (0, 2)
    assert str(example) == "addition(tensor(img(0)),tensor(img(1)),7)"


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(("kwargs", "field", "match"), [
    ({"p": 1.5}, "p", r"target probability must be in \[0, 1\], not 1.5"),
    ({"p": -0.1}, "p", "not -0.1"),
    ({"p": True}, "p", "not True"),
    ({"p": "1"}, "p", "not '1'"),
    ({"outputs": (3,)}, "outputs", "output position 3 is not an argument of addition"),
    ({"outputs": (-4,)}, "outputs", "output position -4"),
    ({"outputs": (1.0,)}, "outputs", "output position 1.0"),
])
def test_a_bad_example_is_refused(kwargs: dict, field: str, match: str) -> None:
    with pytest.raises(InputError, match=match) as caught:
        Example("addition(tensor(img(0)), tensor(img(1)), 7)", **kwargs)
    assert caught.value.field == field


def test_a_target_may_be_any_real_number_type() -> None:
    assert Example("addition(tensor(img(0)),tensor(img(1)),7)", p=np.float32(0.5)).p == 0.5


def test_a_query_that_is_not_a_term_is_refused() -> None:
    with pytest.raises(InputError, match="must be a Term or its text") as caught:
        Example(42)  # type: ignore[arg-type]
    assert caught.value.field == "query"


def test_an_unregistered_network_names_its_declaration(tmp_path: Path) -> None:
    path = tmp_path / "rules.pl"
    path.write_text("% digits\n\nnn(mnist, [X], Y, [0, 1]) :: digit(X, Y).\n"
                    "same(X, Y) :- digit(X, D), digit(Y, D).\n")
    with pytest.raises(InputError, match=r"nn\(mnist, \.\.\.\) names no registered network "
                                         r"\(registered: other\)") as caught:
        NeuralProgram.from_file(path, {"other": _digit_network()}, {"img": _images()})
    assert str(caught.value).startswith(f"{path}:3")
    assert caught.value.line == 3


def test_one_network_with_two_domain_sizes_is_refused() -> None:
    program = Program.from_string("nn(net, [X], Y, [0, 1]) :: a(X, Y).\n"
                                  "nn(net, [X], Y, [0, 1, 2]) :: b(X, Y).\n")
    with pytest.raises(InputError, match="network net has 2 classes in one nn declaration "
                                         "and 3 here") as caught:
        NeuralProgram(program, {"net": Lookup(np.ones((4, 3)) / 3)})
    assert caught.value.line == 2


class _Wrong(torch.nn.Module):
    def __init__(self, make) -> None:
        super().__init__()
        self.make = make

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.make(len(x))


BAD_NETWORKS = {
    "wrong shape": (lambda n: torch.full((n, 9), 0.1), r"returned shape \(2, 9\) for 2 inputs; "
                    r"the rules' domain needs \(2, 10\)"),
    "logits": (lambda n: torch.linspace(-3, 3, 10).repeat(n, 1), "must return probabilities"),
    "rows above 1": (lambda n: torch.full((n, 10), 0.2), "must return probabilities"),
    "nan": (lambda n: torch.full((n, 10), float("nan")), "must return probabilities"),
    "not a tensor": (lambda n: [[0.1] * 10] * n, "returned list, not a tensor"),
}


@pytest.mark.parametrize("bad", list(BAD_NETWORKS))
def test_a_network_with_bad_output_is_refused_and_the_model_recovers(
        addition: NeuralProgram, bad: str) -> None:
    make, match = BAD_NETWORKS[bad]
    good = addition.networks["net"]
    before = addition.probabilities([_example(0, 1, 9)])
    addition.networks.register("net", _Wrong(make))
    with pytest.raises(InputError, match=match) as caught:
        addition.probabilities([_example(0, 1, 9)])
    assert caught.value.field == "networks['net']"
    with pytest.raises(InputError, match=match):
        addition.loss(addition.prepare([_example(0, 1, 9)]))
    addition.networks.register("net", good)
    assert addition.probabilities([_example(0, 1, 9)]) == before
    assert addition.circuits == 1


BAD_QUERIES = [
    (lambda: [_example(0, 1, 9), Example("addition(tensor(nowhere(0)),tensor(img(1)),3)")],
     InputError, r"no tensor source nowhere for tensor\(nowhere\(0\)\) \(sources: img\)"),
    (lambda: [Example(f"addition(tensor(img({N_IMAGES})),tensor(img(1)),3)")],
     InputError, rf"tensor source img has no item for one of tensor\(img\({N_IMAGES}\)\)"),
    (lambda: [_example(0, 1, 9), "addition(tensor(img(0)),tensor(img(1)),9)"],
     InputError, r"examples\[1\]: an example must be an Example, not str"),
    (lambda: [Example("addition(tensor(img(0)),tensor(img(1)))")],
     InputError, r"examples\[0\] addition\(tensor\(img\(0\)\),tensor\(img\(1\)\)\): "
                 "unknown predicate addition/2"),
    (lambda: [Example("above(tensor(img(0)),3)")],  # the lifted bound is unbound in D > Z
     ProgramError, r"examples\[0\] above\(tensor\(img\(0\)\),3\): instantiation error"),
    (lambda: [Example("addition(tensor(img(0)),tensor(img(1)),3)", outputs=(0,))],
     ProgramError, r"examples\[0\] addition\(.*\): query answer .* is not ground"),
    (lambda: [Example("addition(tensor(img(0)),two,2)")],
     InputError, "network net reads two for addition.*not one of the query's tensor"),
    (lambda: [Example("addition(tensor(img(0)),tensor(img(f(1))),2)")],
     InputError, r"tensor\(img\(f\(1\)\)\) is not a tensor input"),
    (lambda: [Example("addition(tensor(img(0)),tensor(img(-1)),2)")],
     InputError, r"tensor\(img\(-1\)\): an index of a tensor source cannot be negative"),
]


@pytest.mark.parametrize(("make", "error", "match"), BAD_QUERIES,
                         ids=["unknown source", "index out of range", "not an Example",
                              "unknown predicate", "grounding fails", "input lifted",
                              "not a tensor input",
                              "compound index", "negative index"])
def test_a_bad_query_is_refused_and_the_model_recovers(addition: NeuralProgram, make, error,
                                                       match: str) -> None:
    before = addition.probabilities([_example(0, 1, 9)])
    circuits = addition.circuits
    examples = make()
    for call in (addition.probabilities, addition.answers, addition.predict,
                 lambda e: addition.loss(addition.prepare(e))):
        with pytest.raises(error, match=match):
            call(examples)
    assert addition.circuits == circuits  # nothing half-compiled is kept
    assert addition.probabilities([_example(0, 1, 9)]) == before
    assert addition.accuracy([_example(0, 1, 9)]) in (0.0, 1.0)


def test_an_index_source_read_as_a_tuple() -> None:
    """A source that is not a tensor is indexed with the term's arguments: several (or
    non-integer) arguments as a tuple, one integer as itself."""

    class Grid:
        def __getitem__(self, item: tuple[int, int]) -> torch.Tensor:
            if not isinstance(item, tuple) or len(item) != 2:
                raise KeyError(item)
            return torch.tensor([float(item[0] * 2 + item[1])])

    rows = np.random.default_rng(5).dirichlet(np.ones(2), size=4)
    model = NeuralProgram(Program.from_string(
        "nn(net, [X], Y, [0, 1]) :: bit(X, Y).\nsame(X, Y) :- bit(X, B), bit(Y, B).\n"),
        {"net": Lookup(rows)}, {"grid": Grid(), "flat": [torch.tensor([3.0])]})
    ours = model.probabilities([Example("same(tensor(grid(0, 1)), tensor(grid(1, 0)))",
                                        outputs=()),
                                Example("same(tensor(grid(1, 1)), tensor(flat(0)))",
                                        outputs=())])
    assert ours == pytest.approx([rows[1] @ rows[2], rows[3] @ rows[3]], abs=1e-12)
    with pytest.raises(InputError, match="tensor source grid has no item"):
        model.probabilities([Example("same(tensor(grid(0, 1, 2)), tensor(grid(1, 0)))",
                                     outputs=())])


def test_an_inference_limit_keeps_its_budgets_name() -> None:
    from nesy.errors import InferenceLimitError
    from symbolic import Limits

    model = NeuralProgram(Program.from_string(ADDITION, limits=Limits(max_ground=20)),
                          {"net": _digit_network()}, {"img": _images()})
    with pytest.raises(InferenceLimitError, match=r"examples\[0\] .*exceeds 20") as caught:
        model.probabilities([_example(0, 1, 9)])
    assert caught.value.limit == "size"
