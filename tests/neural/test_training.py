"""Training through logic: the Trainer loop, the Networks registry, and classifiers as networks.

The task of the Trainer tests is tiny and learnable in a few epochs: points of three Gaussian
clusters in 4 dimensions, a class per cluster, seen only in pairs labelled with the sum of
their classes (``add(tensor(p(i)), tensor(p(j)), Z)``). The network has a dropout layer, so
that resuming must also restore torch's random state to give the same weights.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from bridge import Example, NeuralProgram
from neural import (
    CNNClassifier,
    EpochRecord,
    InputError,
    InputRef,
    MLPClassifier,
    Networks,
    Trainer,
    TrainingHistory,
    query_loss,
)
from symbolic import Program

PROGRAM = """
nn(net, [X], Y, [0, 1, 2]) :: cls(X, Y).
add(X, Y, Z) :- cls(X, A), cls(Y, B), Z is A + B.
"""
N_POINTS = 160
FAST = {"batch_size": 4, "learning_rate": 0.05, "progress": False}


def _points() -> tuple[torch.Tensor, np.ndarray]:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, N_POINTS)
    centers = 2.0 * np.eye(3, 4)
    points = centers[labels] + 0.7 * rng.normal(size=(N_POINTS, 4))
    return torch.as_tensor(points, dtype=torch.float32), labels


POINTS, LABELS = _points()


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _network(seed: int = 0) -> torch.nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Dropout(0.2),
                                   torch.nn.Linear(8, 3), torch.nn.Softmax(dim=1))


def _model(seed: int = 0) -> NeuralProgram:
    return NeuralProgram(Program.from_string(PROGRAM), {"net": _network(seed)}, {"p": POINTS})


def _examples(shift: int = 0, outputs: tuple[int, ...] = (-1,)) -> list[Example]:
    """One example per pair of points: their classes' sum (plus ``shift``, mod 5: wrong)."""
    return [Example(f"add(tensor(p({i})),tensor(p({i + 1})),"
                    f"{(LABELS[i] + LABELS[i + 1] + shift) % 5})", outputs=outputs)
            for i in range(0, N_POINTS, 2)]


EXAMPLES = _examples()


def _weights(model: NeuralProgram) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.networks["net"].state_dict().items()}


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _accuracy(model: NeuralProgram) -> float:
    with model.networks.inference():
        predicted = model.networks["net"](POINTS).argmax(dim=1).numpy()
    return float(np.mean(predicted == LABELS))


# ---------------------------------------------------------------- the Trainer


def test_training_learns_the_classes_from_sums_alone() -> None:
    model = _model()
    before = _accuracy(model)
    history = Trainer(epochs=4, **FAST).fit(model, EXAMPLES)
    assert before < 0.6
    assert _accuracy(model) > 0.85
    assert history.epochs[-1].loss < history.epochs[0].loss
    assert not model.networks["net"].training  # left in eval mode


def test_the_same_seed_gives_the_same_weights() -> None:
    runs = []
    for seed in (0, 0, 1):
        model = _model()
        history = Trainer(epochs=2, seed=seed, validation=0.2, **FAST).fit(model, EXAMPLES)
        runs.append((_weights(model), history))
    assert _same(runs[0][0], runs[1][0])
    assert [r.loss for r in runs[0][1].epochs] == [r.loss for r in runs[1][1].epochs]
    assert not _same(runs[0][0], runs[2][0])
    assert not _same(runs[0][0], _weights(_model()))


def test_fit_leaves_torchs_global_state_alone() -> None:
    threads = torch.get_num_threads()
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    Trainer(epochs=1, n_threads=1, **FAST).fit(_model(), EXAMPLES[:12])
    assert torch.equal(torch.rand(3), expected)
    assert torch.get_num_threads() == threads
    assert not torch.are_deterministic_algorithms_enabled()


def test_the_history_records_every_epoch() -> None:
    seen: list[EpochRecord] = []
    history = Trainer(epochs=3, validation=0.25, **FAST).fit(_model(), EXAMPLES,
                                                             on_epoch=seen.append)
    assert isinstance(history, TrainingHistory)
    assert [r.epoch for r in history.epochs] == [1, 2, 3] and list(history.epochs) == seen
    for record in history.epochs:
        assert math.isfinite(record.loss) and record.loss > 0 and record.seconds >= 0
        assert record.validation is not None
        assert set(record.validation) == {"loss", "accuracy"}
        assert 0.0 <= record.validation["accuracy"] <= 1.0
        assert math.isfinite(record.validation["loss"])
    losses = [r.validation["loss"] for r in history.epochs]
    assert history.best_epoch == 1 + int(np.argmin(losses))
    assert history.monitor == "loss" and not history.stopped_early
    document = history.to_dict()
    assert document["best_epoch"] == history.best_epoch
    assert [e["epoch"] for e in document["epochs"]] == [1, 2, 3]
    assert document["seconds_per_epoch"] == pytest.approx(
        float(np.median([r.seconds for r in history.epochs])))


def test_without_validation_there_is_no_best_epoch() -> None:
    history = Trainer(epochs=2, **FAST).fit(_model(), EXAMPLES[:20])
    assert history.best_epoch is None
    assert all(r.validation is None for r in history.epochs)


def test_a_validation_list_is_used_as_given() -> None:
    validation = _examples()[:10]
    model = _model()
    history = Trainer(epochs=2, validation=validation, monitor="accuracy",
                      **FAST).fit(model, EXAMPLES[10:])
    accuracies = [r.validation["accuracy"] for r in history.epochs]
    assert history.best_epoch == 1 + int(np.argmax(accuracies))  # the first of the best
    assert all(abs(a * 10 - round(a * 10)) < 1e-9 for a in accuracies)  # on the 10 given
    assert model.evaluate(model.prepare(validation))["accuracy"] == \
        accuracies[history.best_epoch - 1]


def test_the_validation_fraction_is_held_out() -> None:
    """A quarter of the 80 examples is held out (accuracies in twentieths), chosen by the
    seed: the same seed validates on the same examples, and the held-out ones are not
    trained on (the weights differ from training on all 80)."""
    runs = {}
    for name, seed, validation in (("a", 3, 0.25), ("b", 3, 0.25), ("c", 4, 0.25),
                                   ("all", 3, 0.0)):
        model = _model()
        history = Trainer(epochs=2, validation=validation, seed=seed, **FAST).fit(model,
                                                                                  EXAMPLES)
        runs[name] = (_weights(model), history)
    for record in runs["a"][1].epochs:
        assert record.validation is not None
        twentieths = record.validation["accuracy"] * 20
        assert abs(twentieths - round(twentieths)) < 1e-9
    assert runs["a"][1].epochs == tuple(
        EpochRecord(r.epoch, r.loss, a.seconds, r.validation)
        for r, a in zip(runs["b"][1].epochs, runs["a"][1].epochs, strict=True))
    assert _same(runs["a"][0], runs["b"][0])
    assert runs["a"][1].epochs[0].validation != runs["c"][1].epochs[0].validation
    assert not _same(runs["a"][0], runs["all"][0])


@pytest.mark.parametrize("validation", [0.0, 0.25])
def test_resuming_gives_the_weights_of_one_long_run(tmp_path: Path, validation: float) -> None:
    straight = _model()
    whole = Trainer(epochs=4, validation=validation, checkpoints=tmp_path / "a",
                    **FAST).fit(straight, EXAMPLES)
    first = _model()
    half = Trainer(epochs=2, validation=validation, checkpoints=tmp_path / "b",
                   **FAST).fit(first, EXAMPLES)
    assert (tmp_path / "b" / "last.pt").is_file()
    assert (tmp_path / "b" / "best.pt").is_file() == (validation > 0)
    resumed = _model()  # a fresh model: everything comes from the checkpoint
    rest = Trainer(epochs=4, validation=validation, checkpoints=tmp_path / "b",
                   **FAST).fit(resumed, EXAMPLES, resume=True)
    assert _same(_weights(resumed), _weights(straight))
    assert [r.loss for r in rest.epochs] == [r.loss for r in whole.epochs]
    assert [r.validation for r in rest.epochs] == [r.validation for r in whole.epochs]
    assert rest.epochs[:2] == half.epochs
    assert rest.best_epoch == whole.best_epoch
    assert not _same(_weights(first), _weights(straight))
    state = torch.load(tmp_path / "b" / "last.pt", weights_only=True)
    assert len(state["records"]) == 4
    again = _model()
    done = Trainer(epochs=4, validation=validation, checkpoints=tmp_path / "b",
                   **FAST).fit(again, EXAMPLES, resume=True)  # nothing left to do
    assert done.epochs == rest.epochs
    assert _same(_weights(again), _weights(straight))


def test_resuming_without_the_dropout_state_would_differ(tmp_path: Path) -> None:
    """The resume test can fail: the dropout masks of epochs 3-4 depend on the random state
    saved in last.pt; a fresh 2-epoch run continued without it ends elsewhere."""
    straight = _model()
    Trainer(epochs=4, **FAST).fit(straight, EXAMPLES)
    first = _model()
    Trainer(epochs=2, checkpoints=tmp_path, **FAST).fit(first, EXAMPLES)
    state = torch.load(tmp_path / "last.pt", weights_only=True)
    state["torch"] = torch.manual_seed(12345).get_state()
    torch.save(state, tmp_path / "last.pt")
    resumed = _model()
    Trainer(epochs=4, checkpoints=tmp_path, **FAST).fit(resumed, EXAMPLES, resume=True)
    assert not _same(_weights(resumed), _weights(straight))


def test_early_stopping_restores_the_best_epoch(tmp_path: Path) -> None:
    """The validation examples carry wrong sums: the better the network learns the true
    ones, the worse the validation loss, so training stops after ``patience`` epochs without
    improvement and the networks go back to the best epoch's."""
    model = _model()
    snapshots: dict[int, dict[str, torch.Tensor]] = {}

    def snapshot(record: EpochRecord) -> None:
        snapshots[record.epoch] = _weights(model)

    history = Trainer(epochs=12, validation=_examples(shift=2)[:20], patience=2,
                      checkpoints=tmp_path, **FAST).fit(model, EXAMPLES[20:],
                                                        on_epoch=snapshot)
    losses = [r.validation["loss"] for r in history.epochs]
    assert history.stopped_early and len(history.epochs) < 12
    assert history.best_epoch == 1 + int(np.argmin(losses))
    assert len(history.epochs) == history.best_epoch + 2
    assert _same(_weights(model), snapshots[history.best_epoch])
    assert not _same(_weights(model), snapshots[len(history.epochs)])
    best = torch.load(tmp_path / "best.pt", weights_only=True)
    assert all(torch.equal(best["net"][k], v) for k, v in snapshots[history.best_epoch].items())
    # resuming a run that stopped early trains no more
    again = _model()
    resumed = Trainer(epochs=12, validation=_examples(shift=2)[:20], patience=2,
                      checkpoints=tmp_path, **FAST).fit(again, EXAMPLES[20:], resume=True)
    assert resumed.epochs == history.epochs and resumed.stopped_early
    assert _same(_weights(again), snapshots[history.best_epoch])


def test_without_patience_training_runs_every_epoch() -> None:
    history = Trainer(epochs=5, validation=_examples(shift=2)[:20], **FAST).fit(
        _model(), EXAMPLES[20:])
    assert len(history.epochs) == 5 and not history.stopped_early


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"epochs": 0}, "epochs"),
    ({"epochs": 1.5}, "epochs"),
    ({"batch_size": -1}, "batch_size"),
    ({"optimizer": "adamw"}, "optimizer"),
    ({"learning_rate": 0}, "learning_rate"),
    ({"learning_rate": float("nan")}, "learning_rate"),
    ({"seed": 1.5}, "seed"),
    ({"seed": True}, "seed"),
    ({"validation": 1.5}, "validation"),
    ({"validation": 1}, "validation"),
    ({"validation": -0.1}, "validation"),
    ({"validation": True}, "validation"),
    ({"validation": None}, "validation"),
    ({"validation": "abc"}, "validation"),
    ({"monitor": "f1"}, "monitor"),
    ({"patience": 0}, "patience"),
    ({"n_threads": 0}, "n_threads"),
])
def test_a_bad_parameter_names_its_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError, match=f"^{field}: ") as caught:
        Trainer(**kwargs)
    assert caught.value.field == field


def test_resume_without_a_checkpoint_is_refused(tmp_path: Path) -> None:
    model = _model()
    weights = _weights(model)
    with pytest.raises(InputError, match=r"nothing to resume: no last\.pt") as caught:
        Trainer(epochs=2, **FAST).fit(model, EXAMPLES, resume=True)
    assert caught.value.field == "resume"
    with pytest.raises(InputError, match="nothing to resume") as caught:
        Trainer(epochs=2, checkpoints=tmp_path / "empty", **FAST).fit(model, EXAMPLES,
                                                                     resume=True)
    assert caught.value.field == "resume"
    assert _same(_weights(model), weights)


def test_bad_examples_are_refused_before_training() -> None:
    model = _model()
    weights = _weights(model)
    with pytest.raises(InputError, match="no training examples") as caught:
        Trainer(**FAST).fit(model, [])
    assert caught.value.field == "examples"
    with pytest.raises(InputError, match=r"validation fraction of 0\.01 leaves 0 of 10") as c2:
        Trainer(validation=0.01, **FAST).fit(model, EXAMPLES[:10])
    assert c2.value.field == "validation"
    with pytest.raises(InputError, match=r"examples\[1\]: an example must be an Example"):
        Trainer(**FAST).fit(model, [EXAMPLES[0], "add(tensor(p(0)),tensor(p(1)),0)"])
    assert _same(_weights(model), weights)


def test_monitoring_accuracy_needs_outputs() -> None:
    examples = _examples(outputs=())
    model = _model()
    weights = _weights(model)
    with pytest.raises(InputError, match="the validation metrics have no accuracy") as caught:
        Trainer(epochs=2, validation=0.25, monitor="accuracy", **FAST).fit(model, examples)
    assert caught.value.field == "monitor"
    assert _same(_weights(model), weights)  # refused before the first step


def test_sgd_trains_too() -> None:
    model = _model()
    history = Trainer(epochs=3, optimizer="sgd", batch_size=4, learning_rate=0.5,
                      progress=False).fit(model, EXAMPLES)
    assert history.epochs[-1].loss < history.epochs[0].loss
    assert not _same(_weights(model), _weights(_model()))


@pytest.mark.parametrize("progress", [True, False])
def test_progress_bars_go_to_stderr(capsys: pytest.CaptureFixture[str], progress: bool) -> None:
    Trainer(epochs=2, batch_size=8, learning_rate=0.05, progress=progress).fit(
        _model(), EXAMPLES[:24])
    captured = capsys.readouterr()
    assert captured.out == ""
    if progress:
        assert "epoch 1/2" in captured.err and "epoch 2/2" in captured.err
        assert "batch" in captured.err
    else:
        assert captured.err == ""


def test_query_loss_is_deepproblogs_cross_entropy() -> None:
    p = torch.tensor([0.5, 0.25, 0.0, 1.0], dtype=torch.float64)
    targets = np.array([1.0, 0.3, 1.0, 0.0])
    expected = -np.mean([math.log(0.5 + 1e-12),
                         0.3 * math.log(0.25 + 1e-12) + 0.7 * math.log(0.75 + 1e-12),
                         math.log(1e-12), math.log(1e-12)])
    assert float(query_loss([p[:2], p[2:]], targets)) == pytest.approx(expected, rel=1e-12)
    assert float(query_loss([torch.tensor([1.0 + 1e-9])], np.array([0.0]))) == pytest.approx(
        -math.log(1e-12))  # rounding above 1 is clamped, not a NaN


# ---------------------------------------------------------------- Networks


class _Rows(torch.nn.Module):
    """Returns ``rows[i]`` for input ``i``: a network whose outputs the tests choose."""

    def __init__(self, rows: torch.Tensor) -> None:
        super().__init__()
        self.rows = rows

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rows[x.reshape(-1).long()]


def test_register_refuses_what_is_not_a_module() -> None:
    networks = Networks({})
    with pytest.raises(InputError, match=r"network net must be a torch\.nn\.Module, not "
                                         r"function") as caught:
        networks.register("net", lambda x: x)  # type: ignore[arg-type]
    assert caught.value.field == "networks['net']"
    with pytest.raises(InputError, match="a network name must be a non-empty str"):
        networks.register("", torch.nn.Identity())
    with pytest.raises(InputError, match="tensor source s cannot be indexed: int") as c2:
        networks.add_source("s", 5)
    assert c2.value.field == "tensors['s']"
    assert networks.names == () and networks.sources == ()
    networks.register("net", torch.nn.Identity())
    assert "net" in networks and networks.names == ("net",)


def test_read_mixes_sources_in_the_order_asked() -> None:
    class Pairs:
        def __getitem__(self, item: tuple[Any, ...]) -> np.ndarray:
            return np.array([100.0 + 10 * item[0] + item[1], 0.0], dtype=np.float32)

    a = torch.tensor([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    b = np.array([[-1.0, -1.0], [-2.0, -2.0]], dtype=np.float32)
    networks = Networks({}, {"a": a, "b": b, "c": Pairs(), "d": [torch.tensor([7.0, 7.0])]})
    refs = [InputRef("b", (1,)), InputRef("a", (2,)), InputRef("c", (3, 4)),
            InputRef("a", (0,)), InputRef("d", (0,)), InputRef("b", (0,)), InputRef("a", (2,))]
    read = networks.read(refs)
    expected = torch.tensor([[-2.0, -2.0], [2.0, 2.0], [134.0, 0.0], [0.0, 0.0], [7.0, 7.0],
                             [-1.0, -1.0], [2.0, 2.0]])
    assert torch.equal(read, expected)
    assert torch.equal(networks.read(refs[:1]), expected[:1])
    assert str(InputRef("c", (3, 4))) == "tensor(c(3,4))"


def test_read_names_a_missing_source_or_item() -> None:
    networks = Networks({}, {"a": torch.zeros(3, 2)})
    with pytest.raises(InputError, match=r"no tensor source z for tensor\(z\(1\)\) "
                                         r"\(sources: a\)"):
        networks.read([InputRef("a", (0,)), InputRef("z", (1,))])
    with pytest.raises(InputError, match=r"tensor source a has no item for one of "
                                         r"tensor\(a\(0\)\), tensor\(a\(3\)\)"):
        networks.read([InputRef("a", (0,)), InputRef("a", (3,))])


def test_run_calls_each_network_once_on_stacked_inputs() -> None:
    calls: list[int] = []

    class Counting(torch.nn.Module):
        def __init__(self, size: int) -> None:
            super().__init__()
            self.weight = torch.nn.Parameter(torch.zeros(size))

        def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            calls.append(len(x))
            return torch.softmax(self.weight + (x + y).reshape(-1, 1), dim=1)

    networks = Networks({"two": Counting(2), "three": Counting(3)},
                        {"s": torch.arange(4.0).reshape(4, 1)})
    ref = [InputRef("s", (i,)) for i in range(4)]
    out = networks.run({"three": [(ref[0], ref[1])], "two": [(ref[0], ref[1]), (ref[2], ref[3]),
                                                             (ref[3], ref[3])]},
                       {"two": 2, "three": 3})
    assert calls == [1, 3]
    assert out.offsets == {"three": 0, "two": 3} and out.sizes == {"two": 2, "three": 3}
    assert tuple(out.values.shape) == (3 + 3 * 2,)
    assert torch.allclose(out.values[:3], torch.full((3,), 1 / 3))
    out.values.sum().backward()
    assert networks["two"].weight.grad is not None
    empty = networks.run({"two": []}, {"two": 2})
    assert empty.values.numel() == 0 and empty.offsets == {}


@pytest.mark.parametrize(("rows", "match"), [
    (torch.full((3, 4), 0.25), r"returned shape \(2, 4\) for 2 inputs; the rules' domain needs "
                               r"\(2, 3\)"),
    (torch.tensor([[0.5, 0.5, 0.5]] * 3), "must return probabilities"),
    (torch.tensor([[-0.1, 0.6, 0.5]] * 3), "must return probabilities"),
    (torch.tensor([[float("inf"), 0.0, 0.0]] * 3), "must return probabilities"),
])
def test_run_checks_the_outputs(rows: torch.Tensor, match: str) -> None:
    networks = Networks({"net": _Rows(rows)}, {"s": torch.arange(3)})
    with pytest.raises(InputError, match=match) as caught:
        networks.run({"net": [(InputRef("s", (0,)),), (InputRef("s", (1,)),)]}, {"net": 3})
    assert caught.value.field == "networks['net']"


def test_run_accepts_rows_below_one_and_softmax_rounding() -> None:
    rows = torch.tensor([[0.2, 0.3, 0.1], [1 / 3 + 3e-5, 1 / 3, 1 / 3]])
    networks = Networks({"net": _Rows(rows)}, {"s": torch.arange(2)})
    out = networks.run({"net": [(InputRef("s", (0,)),), (InputRef("s", (1,)),)]}, {"net": 3})
    assert torch.equal(out.values, rows.reshape(-1))


def test_run_names_an_unregistered_network() -> None:
    networks = Networks({"net": _Rows(torch.eye(3))}, {"s": torch.arange(3)})
    with pytest.raises(InputError, match=r"no network other is registered \(networks: net\)"):
        networks.run({"other": [(InputRef("s", (0,)),)]}, {"other": 3})


def test_parameters_counts_shared_modules_once() -> None:
    shared = torch.nn.Linear(3, 3)
    frozen = torch.nn.Linear(3, 3)
    frozen.requires_grad_(False)
    networks = Networks({"a": torch.nn.Sequential(shared, torch.nn.Softmax(dim=1)),
                         "b": torch.nn.Sequential(shared, torch.nn.Linear(3, 2)),
                         "c": shared, "d": frozen})
    found = networks.parameters()
    assert len(found) == 4  # shared's weight and bias, b's second layer's weight and bias
    assert len({id(p) for p in found}) == 4
    assert all(p is not frozen.weight and p is not frozen.bias for p in found)


def test_inference_restores_each_networks_mode() -> None:
    training, evaluating = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    training.train()
    evaluating.eval()
    networks = Networks({"t": training, "e": evaluating})
    with networks.inference():
        assert not training.training and not evaluating.training
        assert not torch.is_grad_enabled()
    assert training.training and not evaluating.training and torch.is_grad_enabled()
    with pytest.raises(RuntimeError, match="boom"), networks.inference():
        raise RuntimeError("boom")
    assert training.training and not evaluating.training and torch.is_grad_enabled()


def test_state_dict_is_a_copy_and_load_needs_every_network() -> None:
    networks = Networks({"a": torch.nn.Linear(2, 2), "b": torch.nn.Linear(2, 1)})
    saved = networks.state_dict()
    with torch.no_grad():
        networks["a"].weight.add_(1.0)
    assert not torch.equal(saved["a"]["weight"], networks["a"].weight)
    networks.load_state_dict(saved)
    assert torch.equal(saved["a"]["weight"], networks["a"].weight)
    with pytest.raises(InputError, match=r"the saved state has no network b \(it has a\)") as c:
        networks.load_state_dict({"a": saved["a"]})
    assert c.value.field == "checkpoint"


# ---------------------------------------------------------------- classifiers as networks


@pytest.fixture(scope="module")
def digit_images() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images[:200], digits.target[:200]


CLASSIFIERS = [
    (lambda: CNNClassifier(channels=(4,), random_state=0), lambda X: X),
    (lambda: MLPClassifier(hidden=(16,), random_state=0), lambda X: X.reshape(len(X), -1)),
]


@pytest.mark.parametrize(("make", "shape"), CLASSIFIERS, ids=["cnn", "mlp"])
def test_the_network_is_the_classifiers_predict_proba(digit_images, make, shape) -> None:
    X, _ = digit_images
    X = shape(X)
    classifier = make().initialize(X, classes=range(10))
    network = classifier.network()
    with torch.no_grad():
        out = network(torch.as_tensor(X)).numpy()
    np.testing.assert_allclose(out, classifier.predict_proba(X), atol=1e-6)
    assert classifier.predict(X[:5]).tolist() == out[:5].argmax(axis=1).tolist()
    flat = torch.as_tensor(X.reshape(len(X), -1))  # raw samples, flat, also go in
    with torch.no_grad():
        np.testing.assert_allclose(network(flat).numpy(), out, atol=1e-6)


@pytest.mark.parametrize(("make", "shape"), CLASSIFIERS, ids=["cnn", "mlp"])
def test_training_the_network_trains_the_classifier(digit_images, make, shape) -> None:
    X, y = digit_images
    X = shape(X)
    classifier = make().initialize(X, classes=range(10))
    before = classifier.predict_proba(X)
    network = classifier.network()
    optimizer = torch.optim.Adam(network.parameters(), lr=0.02)
    inputs, targets = torch.as_tensor(X), torch.as_tensor(y)
    for _ in range(15):
        optimizer.zero_grad()
        torch.nn.functional.nll_loss(torch.log(network(inputs)), targets).backward()
        optimizer.step()
    after = classifier.predict_proba(X)
    assert np.abs(after - before).max() > 0.1
    assert np.mean(classifier.predict(X) == y) > np.mean(before.argmax(axis=1) == y) + 0.3


def test_initialize_is_seeded_and_names_the_classes(digit_images) -> None:
    X, _ = digit_images
    torch.manual_seed(3)
    expected = torch.rand(2)
    torch.manual_seed(3)
    first = CNNClassifier(channels=(4,), random_state=5).initialize(X, classes=["a", "b", "c"])
    assert torch.equal(torch.rand(2), expected)  # the caller's random stream is untouched
    second = CNNClassifier(channels=(4,), random_state=5).initialize(X, classes=["a", "b", "c"])
    other = CNNClassifier(channels=(4,), random_state=6).initialize(X, classes=["a", "b", "c"])
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    assert not np.array_equal(first.predict_proba(X), other.predict_proba(X))
    assert set(first.predict(X)) <= {"a", "b", "c"}
    assert first.predict_proba(X).shape == (len(X), 3)
    assert first.mean_ == pytest.approx(X.mean()) and first.scale_ == pytest.approx(X.std())


@pytest.mark.parametrize("classes", [[0], [], ["a", "a"]])
def test_initialize_needs_two_distinct_classes(digit_images, classes) -> None:
    X, _ = digit_images
    with pytest.raises(InputError, match="needs at least two distinct classes") as caught:
        CNNClassifier().initialize(X, classes=classes)
    assert caught.value.field == "classes"


def test_a_network_needs_an_initialized_classifier() -> None:
    with pytest.raises(InputError, match="is not fitted yet"):
        CNNClassifier().network()
