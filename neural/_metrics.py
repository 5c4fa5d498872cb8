"""How good and how honest a classifier's probabilities are on held-out data.

Accuracy, log-loss, the Brier score (scikit-learn's definition: for two classes the mean squared
error of the positive class's probability, for more the mean over samples of the summed squared
errors over classes) and the expected calibration error (ECE: 15 equal-width bins on the
top-class confidence, the bin-size-weighted mean of ``|accuracy - confidence|``), and the
reliability diagram's data on the same bins (:func:`reliability_bins`).

The functions take integer targets ``y`` (the column of the true class) and probabilities
``(n, n_classes)``; :func:`evaluate` maps a model's labels to columns for you.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from nesy.errors import InputError

from ._arrays import as_labels, encode_labels

__all__ = [
    "Metrics",
    "Reliability",
    "accuracy",
    "brier_score",
    "evaluate",
    "expected_calibration_error",
    "log_loss",
    "reliability",
    "reliability_bins",
]

_EPS = 1e-15  # log-loss clips probabilities to [eps, 1 - eps], as scikit-learn long did


def _check(y: Any, probabilities: Any) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] < 2:
        raise InputError(
            f"expected (samples, classes) with 2 or more classes, got shape {p.shape}",
            field="probabilities",
        )
    if not np.isfinite(p).all() or (p < 0).any():
        raise InputError("must be finite and non-negative", field="probabilities")
    t = as_labels(y, p.shape[0])
    if t.dtype.kind not in "iu" or (t < 0).any() or (t >= p.shape[1]).any():
        raise InputError(f"must be class indices in 0..{p.shape[1] - 1}", field="y")
    return t.astype(np.int64), p


def accuracy(y: Any, probabilities: Any) -> float:
    """The fraction of samples whose most probable class is the true one.

    >>> accuracy([0, 1], [[0.8, 0.2], [0.6, 0.4]])
    0.5
    """
    t, p = _check(y, probabilities)
    return float(np.mean(np.argmax(p, axis=1) == t)) if len(t) else float("nan")


def log_loss(y: Any, probabilities: Any) -> float:
    """Mean negative log-probability of the true class (natural log).

    >>> round(log_loss([0, 1], [[0.5, 0.5], [0.5, 0.5]]), 6)
    0.693147
    """
    t, p = _check(y, probabilities)
    true = np.clip(p[np.arange(len(t)), t], _EPS, 1 - _EPS)
    return float(-np.mean(np.log(true))) if len(t) else float("nan")


def brier_score(y: Any, probabilities: Any) -> float:
    """Brier score as scikit-learn's ``brier_score_loss`` defines it (halved for two classes).

    >>> brier_score([0, 1], [[1.0, 0.0], [0.5, 0.5]])
    0.125
    >>> brier_score([0, 2], [[1.0, 0.0, 0.0], [0.5, 0.0, 0.5]])
    0.25
    """
    t, p = _check(y, probabilities)
    if not len(t):
        return float("nan")
    onehot = np.eye(p.shape[1])[t]
    total = float(np.mean(np.sum((p - onehot) ** 2, axis=1)))
    return total / 2 if p.shape[1] == 2 else total


def _bin_of(confidence: np.ndarray, bins: int) -> np.ndarray:
    """Bin ``b`` holds the confidences in ``(b / bins, (b + 1) / bins]`` (0 goes to bin 0)."""
    return np.clip(np.ceil(confidence * bins).astype(np.int64) - 1, 0, bins - 1)


def expected_calibration_error(y: Any, probabilities: Any, bins: int = 15) -> float:
    """ECE: over equal-width bins of top-class confidence, the weighted ``|acc - conf|``.

    Bin ``b`` holds the confidences in ``(b / bins, (b + 1) / bins]``.

    >>> expected_calibration_error([0, 0, 1, 1], [[0.9, 0.1]] * 4)
    0.4
    """
    t, p = _check(y, probabilities)
    if not len(t):
        return float("nan")
    confidence = p.max(axis=1)
    correct = np.argmax(p, axis=1) == t
    which = _bin_of(confidence, bins)
    total = 0.0
    for b in np.unique(which):
        members = which == b
        total += abs(correct[members].mean() - confidence[members].mean()) * members.mean()
    return float(total)


@dataclass(frozen=True)
class Reliability:
    """A reliability diagram's data: per bin of top-class confidence, how sure, how right.

    ``edges`` are the ``bins + 1`` bin edges; bin ``b`` holds the samples whose confidence
    is in ``(edges[b], edges[b + 1]]``: ``counts[b]`` of them, with mean confidence
    ``confidence[b]`` and accuracy ``accuracy[b]`` (None for an empty bin). A calibrated
    classifier's bins lie on the diagonal; ``counts`` is the histogram of confidences.
    """

    edges: tuple[float, ...]
    counts: tuple[int, ...]
    confidence: tuple[float | None, ...]
    accuracy: tuple[float | None, ...]

    @property
    def ece(self) -> float:
        """The expected calibration error of these bins (:func:`expected_calibration_error`)."""
        total = sum(self.counts)
        if not total:
            return float("nan")
        return float(sum(abs(a - c) * n / total for n, c, a in
                         zip(self.counts, self.confidence, self.accuracy, strict=True)
                         if n and a is not None and c is not None))

    def to_dict(self) -> dict[str, list[Any]]:
        return {"edges": list(self.edges), "counts": list(self.counts),
                "confidence": list(self.confidence), "accuracy": list(self.accuracy)}


def reliability_bins(y: Any, probabilities: Any, bins: int = 15) -> Reliability:
    """The reliability diagram on the bins of :func:`expected_calibration_error`.

    >>> y, p = [0, 0, 1, 1], [[0.9, 0.1], [0.9, 0.1], [0.9, 0.1], [0.2, 0.8]]
    >>> r = reliability_bins(y, p, bins=5)
    >>> r.counts, r.accuracy[3], round(r.accuracy[4], 4)
    ((0, 0, 0, 1, 3), 1.0, 0.6667)
    >>> round(r.ece, 6) == round(expected_calibration_error(y, p, bins=5), 6) == 0.225
    True
    """
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise InputError(f"must be a positive whole number, not {bins!r}", field="bins")
    t, p = _check(y, probabilities)
    confidence = p.max(axis=1) if len(t) else np.zeros(0)
    correct = np.argmax(p, axis=1) == t if len(t) else np.zeros(0, dtype=bool)
    which = _bin_of(confidence, bins)
    counts, confidences, accuracies = [], [], []
    for b in range(bins):
        members = which == b
        count = int(members.sum())
        counts.append(count)
        confidences.append(float(confidence[members].mean()) if count else None)
        accuracies.append(float(correct[members].mean()) if count else None)
    edges = tuple(round(b / bins, 12) for b in range(bins + 1))
    return Reliability(edges, tuple(counts), tuple(confidences), tuple(accuracies))


@dataclass(frozen=True)
class Metrics:
    """Held-out quality of a classifier's probabilities."""

    n_samples: int
    accuracy: float
    log_loss: float
    brier: float
    ece: float

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def evaluate(model: Any, X: Any, y: Any) -> Metrics:
    """Accuracy, log-loss, Brier score and ECE of ``model.predict_proba(X)`` against labels ``y``.

    ``y`` holds the model's labels (any of ``model.classes_``); an unknown label is an
    :class:`~nesy.errors.InputError`.

    Examples
    --------
    >>> from neural import MLPClassifier
    >>> X, y = [[0.0], [1.0], [0.1], [0.9]] * 5, [0, 1, 0, 1] * 5
    >>> model = MLPClassifier(hidden=(4,), epochs=30, learning_rate=0.05).fit(X, y)
    >>> metrics = evaluate(model, X, y)
    >>> metrics.accuracy, metrics.n_samples
    (1.0, 20)
    """
    probabilities = model.predict_proba(X)
    classes = np.asarray(model.classes_)
    labels = as_labels(y, probabilities.shape[0])
    t = encode_labels(labels, classes)
    return Metrics(
        n_samples=len(t),
        accuracy=accuracy(t, probabilities),
        log_loss=log_loss(t, probabilities),
        brier=brier_score(t, probabilities),
        ece=expected_calibration_error(t, probabilities),
    )


def reliability(model: Any, X: Any, y: Any, bins: int = 15) -> Reliability:
    """The reliability diagram of ``model.predict_proba(X)`` against labels ``y``.

    ``y`` holds the model's labels, as in :func:`evaluate`.

    Examples
    --------
    >>> from neural import MLPClassifier
    >>> X, y = [[0.0], [1.0], [0.1], [0.9]] * 5, [0, 1, 0, 1] * 5
    >>> model = MLPClassifier(hidden=(4,), epochs=30, learning_rate=0.05).fit(X, y)
    >>> sum(reliability(model, X, y).counts)
    20
    """
    probabilities = model.predict_proba(X)
    labels = as_labels(y, probabilities.shape[0])
    return reliability_bins(encode_labels(labels, np.asarray(model.classes_)), probabilities,
                            bins)
