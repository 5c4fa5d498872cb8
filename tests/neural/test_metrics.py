"""Metrics agree with scikit-learn's definitions; ECE on hand-checked examples."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn import metrics as skm

from neural import (
    InputError,
    Metrics,
    accuracy,
    brier_score,
    evaluate,
    expected_calibration_error,
    log_loss,
    reliability,
    reliability_bins,
)


@pytest.mark.parametrize("n_classes", [2, 3, 10])
def test_agree_with_scikit_learn(n_classes: int) -> None:
    rng = np.random.default_rng(n_classes)
    p = rng.dirichlet(np.ones(n_classes), size=200)
    y = rng.integers(0, n_classes, size=200)
    y[:n_classes] = np.arange(n_classes)  # every class present, as scikit-learn needs
    labels = list(range(n_classes))
    assert accuracy(y, p) == pytest.approx(skm.accuracy_score(y, p.argmax(axis=1)))
    assert log_loss(y, p) == pytest.approx(skm.log_loss(y, p, labels=labels), rel=1e-12)
    expected = skm.brier_score_loss(y, p, labels=labels)
    assert brier_score(y, p) == pytest.approx(expected, rel=1e-12)


def test_ece_by_hand() -> None:
    # two bins used: confidence 0.9 (2 of 2 right: |1 - 0.9|) and 0.6 (1 of 2 right: |0.5 - 0.6|)
    p = [[0.9, 0.1], [0.1, 0.9], [0.6, 0.4], [0.4, 0.6]]
    y = [0, 1, 0, 0]
    assert expected_calibration_error(y, p) == pytest.approx(0.5 * 0.1 + 0.5 * 0.1)
    assert expected_calibration_error([0, 1], [[1.0, 0.0], [0.0, 1.0]]) == 0.0


def test_ece_bins_are_right_closed() -> None:
    # 0.6 lies in bin (8/15, 9/15]; 9/15 = 0.6 exactly belongs to the same bin
    p = [[0.6, 0.4], [9 / 15, 6 / 15]]
    assert expected_calibration_error([0, 1], p) == pytest.approx(abs(0.5 - 0.6))


@pytest.mark.parametrize("n_classes", [2, 10])
def test_reliability_bins_are_the_bins_of_ece(n_classes: int) -> None:
    rng = np.random.default_rng(n_classes)
    p = rng.dirichlet(np.ones(n_classes) * 0.3, size=300)
    y = rng.integers(0, n_classes, size=300)
    bins = reliability_bins(y, p)
    assert len(bins.edges) == 16 and sum(bins.counts) == 300
    assert bins.ece == pytest.approx(expected_calibration_error(y, p), abs=1e-12)
    for low, high, n, c, a in zip(bins.edges, bins.edges[1:], bins.counts, bins.confidence,
                                  bins.accuracy, strict=False):
        assert (c is None and a is None) if n == 0 else (low < c <= high and 0 <= a <= 1)
    assert json.loads(json.dumps(bins.to_dict()))["counts"] == list(bins.counts)


def test_reliability_of_a_model(breast_mlp, breast) -> None:
    bins = reliability(breast_mlp, breast.X_test, breast.y_test)
    metrics = evaluate(breast_mlp, breast.X_test, breast.y_test)
    assert bins.ece == pytest.approx(metrics.ece, abs=1e-12)
    with pytest.raises(InputError, match="positive whole number"):
        reliability_bins([0], [[0.5, 0.5]], bins=0)


def test_log_loss_clips_zero_probabilities() -> None:
    assert np.isfinite(log_loss([1], [[1.0, 0.0]]))


def test_evaluate_maps_labels_and_serializes(breast_mlp, breast) -> None:
    metrics = evaluate(breast_mlp, breast.X_test, breast.y_test)
    assert isinstance(metrics, Metrics) and metrics.n_samples == len(breast.y_test)
    data = json.loads(json.dumps(metrics.to_dict()))
    assert set(data) == {"n_samples", "accuracy", "log_loss", "brier", "ece"}
    with pytest.raises(InputError, match="unknown class") as error:
        evaluate(breast_mlp, breast.X_test[:3], [0, 1, 7])
    assert error.value.field == "y[2]"


@pytest.mark.parametrize(
    ("y", "p", "field"),
    [
        ([0], [[0.5, 0.5, 0.0, 0.0]][0], "probabilities"),
        ([0, 3], [[0.5, 0.5], [0.5, 0.5]], "y"),
        ([0], [[np.nan, 0.5]], "probabilities"),
        ([0, 1], [[0.5, 0.5]], "y"),
    ],
)
def test_bad_arguments(y, p, field) -> None:
    with pytest.raises(InputError) as error:
        log_loss(y, p)
    assert error.value.field == field
