"""Neural predicates: a batch of inputs becomes annotated disjunctions or independent facts."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from neural import (
    CalibratedModel,
    InputError,
    MLPClassifier,
    NeuralFacts,
    NeuralPredicate,
    model_version,
)


@pytest.fixture(scope="module")
def digit(digits_cnn) -> NeuralPredicate:
    return NeuralPredicate("digit_net", digits_cnn)


def test_annotated_disjunctions_sum_to_one(digit, digits, digits_cnn) -> None:
    facts = digit.facts(digits.X_test[:25])
    assert len(facts) == 25 and all(isinstance(f, NeuralFacts) for f in facts)
    for i, fact in enumerate(facts):
        assert fact.input_id == i and not fact.independent
        assert list(fact.probabilities) == list(range(10))
        assert sum(fact.probabilities.values()) == pytest.approx(1.0, abs=1e-9)
        assert fact.model == "digit_net" and fact.version == model_version(digits_cnn)
    np.testing.assert_array_equal(
        [f.most_probable for f in facts], digits_cnn.predict(digits.X_test[:25])
    )


def test_batch_equals_one_by_one(digit, digits) -> None:
    images = digits.X_test[:30]
    batch = digit.facts(images, ids=[f"img{i}" for i in range(30)])
    for i, fact in enumerate(batch):
        [single] = digit.facts(images[i : i + 1], ids=[f"img{i}"])
        assert single.input_id == fact.input_id
        # float32 kernels may differ in the last bits between batch sizes
        np.testing.assert_allclose(list(single.probabilities.values()),
                                   list(fact.probabilities.values()), atol=1e-6)


def test_one_forward_pass_for_a_batch(digits_cnn, digits) -> None:
    calls = []

    class Counting:
        classes_ = digits_cnn.classes_
        input_shape_ = digits_cnn.input_shape_

        def predict_proba(self, X):
            calls.append(len(X))
            return digits_cnn.predict_proba(X)

    NeuralPredicate("net", Counting(), version="v1").facts(digits.X_test[:40])
    assert calls == [40]


def test_domain_names_the_classes(digits_cnn, digits) -> None:
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    net = NeuralPredicate("digit_net", digits_cnn, domain=words)
    [fact] = net.facts(digits.X_test[:1], ids=["a"])
    assert list(fact.probabilities) == words
    assert fact.source("two") == {"model": "digit_net", "version": net.version,
                                  "input": "a", "class": "two"}
    with pytest.raises(InputError, match="not in the domain"):
        fact.source("ten")


def test_binary_models_as_independent_facts(breast_mlp, breast) -> None:
    X = breast.X_test[:10]
    p = breast_mlp.predict_proba(X)
    by_positive = NeuralPredicate("benign_net", breast_mlp, positive=1).facts(X)
    by_domain = NeuralPredicate("benign_net", breast_mlp, domain=["true"]).facts(X)
    by_class0 = NeuralPredicate("malignant_net", breast_mlp, positive=0,
                                domain=["malignant"]).facts(X)
    for i in range(10):
        assert by_positive[i].independent and by_domain[i].independent
        assert by_positive[i].probabilities == {1: pytest.approx(p[i, 1])}
        assert by_domain[i].probabilities == {"true": pytest.approx(p[i, 1])}
        assert by_class0[i].probabilities == {"malignant": pytest.approx(p[i, 0])}
    disjunction = NeuralPredicate("net", breast_mlp, domain=["malignant", "benign"]).facts(X)
    assert not disjunction[0].independent and len(disjunction[0].probabilities) == 2


def test_facts_serialize(digit, digits) -> None:
    [fact] = digit.facts(digits.X_test[:1], ids=["case-17/scan"])
    data = json.loads(json.dumps(fact.to_dict()))
    assert data["model"] == "digit_net" and data["input"] == "case-17/scan"
    assert set(data["probabilities"]) == {str(d) for d in range(10)}


def test_inputs_in_many_forms(digit, digits) -> None:
    X = digits.X_test[:3]
    expected = [f.probabilities for f in digit.facts(X)]
    forms = [X.reshape(-1, 8, 8), X.reshape(-1, 1, 8, 8), list(X), [x.reshape(8, 8) for x in X],
             X.tolist(), torch.from_numpy(X)]
    for form in forms:
        got = [f.probabilities for f in digit.facts(form)]
        for a, b in zip(got, expected, strict=True):
            assert a == pytest.approx(b, abs=1e-6)
    assert digit.facts([]) == [] and digit.facts(np.zeros((0, 64))) == []


def test_calibrated_and_foreign_models(digits_cnn, digits, breast) -> None:
    calibrated = CalibratedModel(digits_cnn).fit(digits.X_cal, digits.y_cal)
    net = NeuralPredicate("digit_net", calibrated)
    assert net.version == model_version(calibrated) != model_version(digits_cnn)
    [fact] = net.facts(digits.X_test[:1])
    assert sum(fact.probabilities.values()) == pytest.approx(1.0)
    foreign = make_pipeline(StandardScaler(), LogisticRegression()).fit(breast.X_fit, breast.y_fit)
    net = NeuralPredicate("lr", foreign)
    assert net.version == "unknown" and net.input_shape == (30,)
    with pytest.raises(InputError) as error:
        net.facts(breast.X_test[:2, :5])
    assert error.value.field == "inputs"


def _nan_at(X: np.ndarray, i: int) -> np.ndarray:
    bad = X.copy()
    bad[i, 10] = np.nan
    return bad


def _inf_at(X: np.ndarray, i: int) -> np.ndarray:
    bad = X.copy()
    bad[i, 0] = -np.inf
    return bad


@pytest.mark.parametrize(
    ("make", "ids", "field", "message"),
    [
        (lambda X: _nan_at(X, 3), None, "inputs[3]", "NaN or infinite"),
        (lambda X: _inf_at(X, 1), None, "inputs[1]", "NaN or infinite"),
        (lambda X: _nan_at(X, 2), ["a", "b", "c", "d", "e"], "c", "NaN or infinite"),
        (lambda X: X[:, :60], None, "inputs", "shape"),
        (lambda X: X.reshape(5, 4, 16), None, "inputs", "shape"),
        (lambda X: [*X[:3], X[3][:10], X[4]], None, "inputs[3]", "shape"),
        (lambda X: [*X[:3], X[3][:10], X[4]], ["a", "b", "c", "d", "e"], "d", "shape"),
        (lambda X: [*X[:4], ["x"] * 64], None, "inputs[4]", "not numeric"),
        (lambda X: [*X[:4], [None] * 64], None, "inputs[4]", "NaN"),
        (lambda X: [*X[:4], {"a": 1}], None, "inputs[4]", "not numeric"),
        (lambda X: "an image", None, "inputs", "string"),
        (lambda X: 3.0, None, "inputs", "not a sequence|expected an array"),
        (lambda X: np.float64(3.0), None, "inputs", "single number"),
        (lambda X: X, ["a", "b"], "ids", "2 ids for 5 inputs"),
        (lambda X: X, ["a", "a", "b", "c", "d"], "ids", "repeat"),
        (lambda X: X, [1.5, 2, 3, 4, 5], "ids[0]", "string or an integer"),
    ],
)
def test_bad_inputs_name_the_field(digit, digits, make, ids, field, message) -> None:
    X = digits.X_test[:5].copy()
    with pytest.raises(InputError, match=message) as error:
        digit.facts(make(X), ids=ids)
    assert error.value.field == field
    [fact] = digit.facts(X[:1])  # the predicate still works
    assert sum(fact.probabilities.values()) == pytest.approx(1.0)


def test_bad_construction(digits_cnn, breast_mlp) -> None:
    cases = [
        (lambda: NeuralPredicate("", digits_cnn), "name"),
        (lambda: NeuralPredicate("n", object()), "model"),
        (lambda: NeuralPredicate("n", MLPClassifier()), "model"),
        (lambda: NeuralPredicate("n", digits_cnn, domain=[0, 1, 2]), "domain"),
        (lambda: NeuralPredicate("n", digits_cnn, domain=["a"]), "domain"),
        (lambda: NeuralPredicate("n", digits_cnn, positive=1), "positive"),
        (lambda: NeuralPredicate("n", breast_mlp, positive="yes"), "positive"),
        (lambda: NeuralPredicate("n", breast_mlp, domain=["a", "a"]), "domain"),
        (lambda: NeuralPredicate("n", breast_mlp, domain=["a", 1.5]), "domain[1]"),
        (lambda: NeuralPredicate("n", breast_mlp, positive=1, domain=["a", "b"]), "domain"),
    ]
    for make, field in cases:
        with pytest.raises(InputError) as error:
            make()
        assert error.value.field == field, error.value
