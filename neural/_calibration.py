"""Calibration: making a fitted classifier's probabilities honest on held-out data.

Three methods, chosen by name (``CalibratedModel(model, method=...)``):

- ``"temperature"``: one temperature ``T`` divides the logits, fitted by minimising the
  negative log-likelihood (Guo et al., 2017). Keeps the ranking and the accuracy; one parameter,
  so it is safe on small calibration sets.
- ``"isotonic"``: per class (one-vs-rest), a monotone step function of the class probability
  (scikit-learn's ``IsotonicRegression``), then rows renormalised, as scikit-learn's
  ``CalibratedClassifierCV`` does; for two classes only the positive class is calibrated.
- ``"sigmoid"``: per class, Platt scaling of the one-vs-rest log-odds
  ``sigmoid(a * s + b)`` with Platt's smoothed targets, then rows renormalised. (scikit-learn
  fits the sigmoid on the probabilities of a model without ``decision_function``; the log-odds
  are Platt's own input.) Platt's targets cap the confidence near ``(n + 1) / (n + 2)`` for
  ``n`` calibration samples of a class, so on small sets of near-certain predictions this method
  is underconfident; prefer ``"temperature"`` there.

``"temperature"`` and ``"isotonic"`` give the probabilities of scikit-learn's
``CalibratedClassifierCV(FrozenEstimator(model), method=...)`` (checked by the tests).

The calibrators are small frozen values that hold arrays, not fitted scikit-learn objects, so
they save without pickle (``neural.save_model``) and predict the same after loading.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, Self

import numpy as np
from scipy.optimize import minimize, minimize_scalar
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.isotonic import IsotonicRegression

from nesy.errors import InputError

from ._arrays import as_labels, encode_labels, log_softmax, softmax

__all__ = ["CalibratedModel", "fit_temperature"]

_TEMPERATURE_RANGE = (1e-2, 1e2)


def fit_temperature(logits: Any, y: Any) -> float:
    """The temperature ``T`` that minimises the NLL of ``softmax(logits / T)`` on ``y``.

    ``y`` holds column indices. A 1-D bounded search over ``log T`` in [0.01, 100].

    >>> logits = np.array([[4.0, 0.0], [0.0, 4.0], [4.0, 0.0], [4.0, 0.0]])
    >>> round(fit_temperature(logits, [0, 1, 1, 0]), 2)  # one error in four: soften
    3.64
    """
    z = np.asarray(logits, dtype=np.float64)
    t = np.asarray(y, dtype=np.int64)
    rows = np.arange(len(t))

    def nll(log_t: float) -> float:
        return float(-np.mean(log_softmax(z / np.exp(log_t))[rows, t]))

    low, high = np.log(_TEMPERATURE_RANGE)
    found = minimize_scalar(nll, bounds=(low, high), method="bounded", options={"xatol": 1e-6})
    return float(np.exp(found.x))


def one_vs_rest_log_odds(logits: np.ndarray) -> np.ndarray:
    """``log(p_k / (1 - p_k))`` for each class, computed from the logits without overflow."""
    z = np.asarray(logits, dtype=np.float64)
    out = np.empty_like(z)
    for k in range(z.shape[1]):
        rest = np.delete(z, k, axis=1)
        top = rest.max(axis=1)
        out[:, k] = z[:, k] - (top + np.log(np.exp(rest - top[:, None]).sum(axis=1)))
    return out


def _renormalise(calibrated: np.ndarray, columns: tuple[int, ...], n_classes: int) -> np.ndarray:
    """Rows of probabilities from the calibrated columns (two classes: ``1 - p`` for the other)."""
    if n_classes == 2 and columns == (1,):
        p1 = np.clip(calibrated[:, 0], 0.0, 1.0)
        return np.column_stack([1.0 - p1, p1])
    total = calibrated.sum(axis=1, keepdims=True)
    uniform = np.full_like(calibrated, 1.0 / n_classes)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, calibrated / total, uniform)


def _columns(n_classes: int) -> tuple[int, ...]:
    return (1,) if n_classes == 2 else tuple(range(n_classes))


class Calibrator(Protocol):
    """What a calibration method is: fitted on logits, applied to logits, saved as arrays."""

    method: ClassVar[str]

    @classmethod
    def fit(cls, logits: np.ndarray, y: np.ndarray) -> Self: ...

    def apply(self, logits: np.ndarray) -> np.ndarray: ...

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]: ...

    @classmethod
    def from_state(cls, info: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> Self: ...


@dataclass(frozen=True)
class TemperatureScaling:
    """``softmax(logits / temperature)``."""

    temperature: float
    method: ClassVar[str] = "temperature"

    @classmethod
    def fit(cls, logits: np.ndarray, y: np.ndarray) -> Self:
        return cls(fit_temperature(logits, y))

    def apply(self, logits: np.ndarray) -> np.ndarray:
        return softmax(np.asarray(logits, dtype=np.float64) / self.temperature)

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {"method": self.method, "temperature": self.temperature}, {}

    @classmethod
    def from_state(cls, info: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> Self:
        return cls(float(info["temperature"]))


@dataclass(frozen=True)
class IsotonicCalibration:
    """Per class, the monotone map of ``IsotonicRegression`` (thresholds, linear between)."""

    n_classes: int
    thresholds: tuple[tuple[np.ndarray, np.ndarray], ...]
    method: ClassVar[str] = "isotonic"

    @classmethod
    def fit(cls, logits: np.ndarray, y: np.ndarray) -> Self:
        n_classes = logits.shape[1]
        p = softmax(logits)
        thresholds = []
        for k in _columns(n_classes):
            iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
            iso.fit(p[:, k], (y == k).astype(np.float64))
            thresholds.append((np.asarray(iso.X_thresholds_), np.asarray(iso.y_thresholds_)))
        return cls(n_classes, tuple(thresholds))

    def apply(self, logits: np.ndarray) -> np.ndarray:
        p = softmax(logits)
        columns = _columns(self.n_classes)
        calibrated = np.column_stack(
            [np.interp(p[:, k], x, y) for k, (x, y) in zip(columns, self.thresholds, strict=True)]
        )
        return _renormalise(calibrated, columns, self.n_classes)

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays: dict[str, np.ndarray] = {}
        for i, (x, y) in enumerate(self.thresholds):
            arrays[f"x{i}"], arrays[f"y{i}"] = x, y
        return {"method": self.method, "n_classes": self.n_classes}, arrays

    @classmethod
    def from_state(cls, info: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> Self:
        n_classes = int(info["n_classes"])
        count = len(_columns(n_classes))
        return cls(n_classes, tuple((arrays[f"x{i}"], arrays[f"y{i}"]) for i in range(count)))


def _platt(scores: np.ndarray, positive: np.ndarray) -> tuple[float, float]:
    """Platt's sigmoid fit: ``a, b`` of ``sigmoid(a * s + b)``, with his smoothed targets."""
    n_pos = float(positive.sum())
    n_neg = float(len(positive) - n_pos)
    target = np.where(positive, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        a, b = params
        x = a * scores + b
        # -(t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))), written without overflow
        value = np.sum(np.logaddexp(0.0, x) - target * x)
        residual = 1.0 / (1.0 + np.exp(-x)) - target
        return float(value), np.array([np.sum(residual * scores), np.sum(residual)])

    found = minimize(loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B")
    return float(found.x[0]), float(found.x[1])


@dataclass(frozen=True)
class SigmoidCalibration:
    """Per class, Platt scaling of the one-vs-rest log-odds."""

    n_classes: int
    a: np.ndarray
    b: np.ndarray
    method: ClassVar[str] = "sigmoid"

    @classmethod
    def fit(cls, logits: np.ndarray, y: np.ndarray) -> Self:
        n_classes = logits.shape[1]
        scores = one_vs_rest_log_odds(logits)
        fitted = [_platt(scores[:, k], y == k) for k in _columns(n_classes)]
        return cls(n_classes, np.array([a for a, _ in fitted]), np.array([b for _, b in fitted]))

    def apply(self, logits: np.ndarray) -> np.ndarray:
        columns = _columns(self.n_classes)
        x = one_vs_rest_log_odds(logits)[:, list(columns)] * self.a + self.b
        calibrated = 1.0 / (1.0 + np.exp(-x))
        return _renormalise(calibrated, columns, self.n_classes)

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {"method": self.method, "n_classes": self.n_classes}, {"a": self.a, "b": self.b}

    @classmethod
    def from_state(cls, info: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> Self:
        return cls(int(info["n_classes"]), np.asarray(arrays["a"]), np.asarray(arrays["b"]))


CALIBRATORS: dict[str, type[Calibrator]] = {
    "temperature": TemperatureScaling,
    "isotonic": IsotonicCalibration,
    "sigmoid": SigmoidCalibration,
}


def calibrator_class(method: str) -> type[Calibrator]:
    """The calibrator registered under ``method``; an unknown name lists the known ones."""
    try:
        return CALIBRATORS[method]
    except (KeyError, TypeError):
        known = ", ".join(sorted(CALIBRATORS))
        raise InputError(f"unknown method {method!r} (known: {known})", field="method") from None


def base_logits(model: Any, X: Any) -> np.ndarray:
    """The model's logits, or the log of its probabilities for a model that has none."""
    if hasattr(model, "logits"):
        return np.asarray(model.logits(X), dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.log(np.clip(np.asarray(model.predict_proba(X), dtype=np.float64), 1e-300, 1.0))


class CalibratedModel(ClassifierMixin, BaseEstimator):
    """A fitted classifier whose probabilities are calibrated on a held-out split.

    ``fit(X_val, y_val)`` only fits the calibration: ``model`` must already be fitted on other
    data (scikit-learn's "prefit" calibration). Exposes ``classes_``, ``input_shape_`` and
    ``predict_proba`` like the base model, and ``calibrator_`` (e.g. ``.temperature``).

    Parameters
    ----------
    model
        A fitted classifier with ``classes_`` and ``predict_proba`` (``logits`` if it has one).
    method : {"temperature", "isotonic", "sigmoid"}
        The calibration method.

    Examples
    --------
    >>> from neural import MLPClassifier
    >>> X, y = [[0.0], [1.0], [0.2], [0.8], [0.5]] * 4, [0, 1, 0, 1, 1] * 4
    >>> base = MLPClassifier(hidden=(4,), epochs=30, learning_rate=0.05).fit(X, y)
    >>> calibrated = CalibratedModel(base, method="temperature").fit(X, y)
    >>> calibrated.calibrator_.temperature > 0
    True
    >>> calibrated.predict_proba([[0.5]]).shape
    (1, 2)
    """

    def __init__(self, model: Any, method: str = "temperature") -> None:
        self.model = model
        self.method = method

    def fit(self, X: Any, y: Any) -> Self:
        """Fit the calibration on held-out samples ``X`` and labels ``y``; returns ``self``."""
        kind = calibrator_class(self.method)
        if not hasattr(self.model, "classes_"):
            raise InputError("the model must be fitted before it is calibrated", field="model")
        classes = np.asarray(self.model.classes_)
        logits = base_logits(self.model, X)
        targets = encode_labels(as_labels(y, logits.shape[0]), classes)
        if not len(targets):
            raise InputError("needs at least one held-out sample", field="X")
        self.calibrator_ = kind.fit(logits, targets)
        self.classes_ = classes
        self._copy_shape()
        return self

    def _copy_shape(self) -> None:
        for name in ("input_shape_", "n_features_in_"):
            if hasattr(self.model, name):
                setattr(self, name, getattr(self.model, name))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated class probabilities, ``(n, n_classes)``; rows sum to 1."""
        if not hasattr(self, "calibrator_"):
            raise InputError("this CalibratedModel is not fitted yet: call fit", field="model")
        return self.calibrator_.apply(base_logits(self.model, X))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each sample after calibration."""
        return np.asarray(self.classes_[np.argmax(self.predict_proba(X), axis=1)])
