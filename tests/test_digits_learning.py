"""The digits example's learning through logic: ``examples/digits/learn.py`` and its programs.

A short run of ``learn`` (N = 1, two epochs) teaches the CNN digits from sums alone; the
examples it builds are what they say; ``learning/carry.pl`` has the distribution of
DeepProbLog's ``multi_addition/3`` (``learning/addition.pl``) for N = 1 and N = 2 on the same
network, and for N = 4, where ``addition.pl`` cannot be grounded, the exact distribution of
the sum of two 4-digit numbers (by convolution of the numbers' distributions, and by
enumerating the few digit combinations of a network with few non-zero classes).
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch

from bridge import Example, NeuralProgram

DIGITS = Path(__file__).resolve().parents[1] / "examples" / "digits"
ADDITION = DIGITS / "learning" / "addition.pl"
CARRY = DIGITS / "learning" / "carry.pl"


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def learn() -> ModuleType:
    """``learn.py``, imported from its path (it puts its folder on sys.path for train.py)."""
    spec = importlib.util.spec_from_file_location("_digits_learn_tests", DIGITS / "learn.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    assert Path(sys.modules["train"].__file__).resolve() == DIGITS / "train.py"
    return module


class Lookup(torch.nn.Module):
    """A network of fixed rows: input ``i`` gives ``rows[i]``."""

    def __init__(self, rows: np.ndarray) -> None:
        super().__init__()
        self.rows = torch.nn.Parameter(torch.as_tensor(rows, dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rows[x.reshape(-1).long()]


def _multi(first: list[int], second: list[int], z: int, source: str = "d",
           outputs: tuple[int, ...] = ()) -> Example:
    a = ",".join(f"tensor({source}({i}))" for i in first)
    b = ",".join(f"tensor({source}({i}))" for i in second)
    return Example(f"multi_addition([{a}],[{b}],{z})", outputs=outputs)


def _number(digits: np.ndarray | list[int]) -> int:
    return int("".join(str(int(d)) for d in digits))


# ---------------------------------------------------------------- learn.py


def test_learning_from_sums_reads_digits(learn: ModuleType) -> None:
    classifier, summary = learn.learn(1, epochs=2)
    assert summary["circuits"] == 1                      # every pair and sum: one circuit
    assert summary["training_examples"] == 628 and summary["epochs_run"] == 2
    heldout = summary["heldout"]
    assert heldout["digit_accuracy"] > 0.6               # 0.91 when written; chance is 0.1
    assert heldout["sum_accuracy"] > 0.4
    pixels, digits, parts = learn.data()
    accuracy = np.mean(classifier.predict(pixels[parts["heldout"]]) == digits[parts["heldout"]])
    assert heldout["digit_accuracy"] == pytest.approx(accuracy, abs=1e-4)
    untrained = learn.digit_classifier()
    before = np.mean(untrained.predict(pixels[parts["heldout"]]) == digits[parts["heldout"]])
    assert accuracy > before + 0.4


@pytest.mark.parametrize("n_digits", [1, 2, 4])
def test_sum_examples_are_disjoint_tuples_labelled_with_their_sum(learn: ModuleType,
                                                                   n_digits: int) -> None:
    _, digits, parts = learn.data()
    examples, groups = learn.sum_examples(n_digits, "heldout")
    assert groups.shape == (len(parts["heldout"]) // (2 * n_digits), 2 * n_digits)
    assert len(examples) == len(groups)
    assert len(np.unique(groups)) == groups.size                   # no image twice
    assert set(groups.ravel().tolist()) <= set(parts["heldout"].tolist())
    for example, group in zip(examples[:20], groups[:20], strict=True):
        refs = [f"tensor(digits({int(i)}))" for i in group]
        for ref in refs:
            assert ref in str(example)
        expected = _number(digits[group[:n_digits]]) + _number(digits[group[n_digits:]])
        assert example.query.args[-1] == expected
        assert example.outputs == (len(example.query.args) - 1,)
    repeated, again = learn.sum_examples(n_digits, "train", repeats=2)
    assert len(repeated) == 2 * (len(parts["train"]) // (2 * n_digits))
    assert not np.array_equal(again[:len(again) // 2], again[len(again) // 2:])
    assert learn.program_for(n_digits) == (ADDITION if n_digits <= 2 else CARRY)


def test_the_parts_share_no_image(learn: ModuleType) -> None:
    _, _, parts = learn.data()
    seen = [set(learn.sum_examples(2, part)[1].ravel().tolist())
            for part in ("train", "calibration", "heldout")]
    assert [len(s) for s in seen] == [len(parts[p]) // 4 * 4
                                      for p in ("train", "calibration", "heldout")]
    assert not (seen[0] & seen[1]) and not (seen[0] & seen[2]) and not (seen[1] & seen[2])


# ---------------------------------------------------------------- carry.pl against addition.pl


@pytest.fixture(scope="module")
def cnn_programs(learn: ModuleType) -> tuple[NeuralProgram, NeuralProgram, ModuleType]:
    """Both programs on one untrained CNN (its outputs spread over the classes)."""
    network = learn.digit_classifier().network()
    images = learn.images()
    return (NeuralProgram.from_file(ADDITION, {"mnist_net": network}, {"digits": images}),
            NeuralProgram.from_file(CARRY, {"mnist_net": network}, {"digits": images}), learn)


def test_carry_is_multi_addition_for_two_digits(cnn_programs) -> None:
    addition, carry, learn = cnn_programs
    examples, groups = learn.sum_examples(2, "heldout")
    for example, group in list(zip(examples, groups, strict=True))[:3]:
        answers = addition.answers([example])[0]            # every sum, one circuit
        assert len(answers) == 199 and sum(answers.values()) == pytest.approx(1.0, abs=1e-6)
        sums = [int(example.query.args[-1]), 0, 9, 10, 99, 100, 123, 198]
        ours = carry.probabilities([_multi(list(group[:2]), list(group[2:]), z, "digits")
                                    for z in [*sums, 199, 250]])
        for z, p in zip(sums, ours[:-2], strict=True):
            assert p == pytest.approx(answers[str(z)], rel=1e-5, abs=1e-12), z
        assert ours[-2:] == [0.0, 0.0]                     # above 99 + 99
    addition_fixed = addition.probabilities([Example(examples[0].query, outputs=())])
    assert addition_fixed == pytest.approx(addition.probabilities([examples[0]]), rel=1e-5)


def test_carry_is_addition_for_one_digit(cnn_programs) -> None:
    addition, carry, _ = cnn_programs
    pairs = [(0, 1), (2, 3), (4, 4)]
    for i, j in pairs:
        answers = addition.answers([Example(f"addition(tensor(digits({i})),"
                                            f"tensor(digits({j})),0)")])[0]
        ours = carry.probabilities([_multi([i], [j], z, "digits") for z in range(20)])
        assert ours[:19] == pytest.approx([answers[str(z)] for z in range(19)], rel=1e-5,
                                          abs=1e-12)
        assert ours[19] == 0.0


def _number_distribution(rows: np.ndarray) -> np.ndarray:
    """P(number = n) for digits read most significant first, independent rows."""
    distribution = np.array([1.0])
    for row in rows:
        distribution = np.kron(distribution, row)
    return distribution


def test_carry_for_four_digits_is_the_convolution() -> None:
    rows = np.random.default_rng(0).dirichlet(np.ones(10), size=8)
    model = NeuralProgram.from_file(CARRY, {"mnist_net": Lookup(rows)},
                                    {"d": torch.arange(8).reshape(8, 1)})
    exact = np.convolve(_number_distribution(rows[:4]), _number_distribution(rows[4:]))
    sums = [0, 5, 1234, 9999, 10000, 10999, 15555, 19998]
    ours = model.probabilities([_multi([0, 1, 2, 3], [4, 5, 6, 7], z) for z in sums])
    for z, p in zip(sums, ours, strict=True):
        assert p == pytest.approx(exact[z], rel=1e-9, abs=1e-15), z
    assert model.probabilities([_multi([0, 1, 2, 3], [4, 5, 6, 7], 19999)]) == [0.0]
    # the digit order matters: the same images as other numbers give another answer
    swapped = model.probabilities([_multi([3, 2, 1, 0], [4, 5, 6, 7], 1234)])[0]
    assert abs(swapped - ours[2]) > 1e-3 * ours[2]


def test_carry_for_four_digits_sums_to_one_over_every_possible_sum() -> None:
    """A network with one or two possible digits per image: eight digit combinations,
    enumerated; their sums' probabilities through carry.pl add up to 1."""
    support = [(9, 4), (1,), (5,), (7, 3), (8, 2), (0,), (6,), (5,)]
    rng = np.random.default_rng(1)
    rows = np.zeros((8, 10))
    for k, digits in enumerate(support):
        rows[k, list(digits)] = rng.dirichlet(np.ones(len(digits)))
    expected: dict[int, float] = {}
    for combination in itertools.product(*[list(d) for d in support]):
        p = float(np.prod([rows[k, d] for k, d in enumerate(combination)]))
        z = _number(combination[:4]) + _number(combination[4:])
        expected[z] = expected.get(z, 0.0) + p
    model = NeuralProgram.from_file(CARRY, {"mnist_net": Lookup(rows)},
                                    {"d": torch.arange(8).reshape(8, 1)})
    sums = sorted(expected)
    ours = model.probabilities([_multi([0, 1, 2, 3], [4, 5, 6, 7], z) for z in sums])
    assert ours == pytest.approx([expected[z] for z in sums], abs=1e-12)
    assert sum(ours) == pytest.approx(1.0, abs=1e-12)
    assert len(sums) >= 6 and all(p > 0 for p in ours)
    assert model.probabilities([_multi([0, 1, 2, 3], [4, 5, 6, 7], sums[0] + 1)]) == [0.0]
