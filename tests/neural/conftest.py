"""Shared data and small trained models for the neural tests (trained once per session)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import train_test_split

from neural import CNNClassifier, MLPClassifier


@dataclass(frozen=True)
class Splits:
    """A data set cut into a training part, a calibration part and a test part."""

    X_fit: np.ndarray
    y_fit: np.ndarray
    X_cal: np.ndarray
    y_cal: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def _splits(X: np.ndarray, y: np.ndarray) -> Splits:
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=0, stratify=y
    )
    X_fit, X_cal, y_fit, y_cal = train_test_split(
        X_train, y_train, test_size=0.4, random_state=0, stratify=y_train
    )
    return Splits(X_fit, y_fit, X_cal, y_cal, X_test, y_test)


@pytest.fixture(scope="session")
def breast() -> Splits:
    return _splits(*load_breast_cancer(return_X_y=True))


@pytest.fixture(scope="session")
def digits() -> Splits:
    return _splits(*load_digits(return_X_y=True))


@pytest.fixture(scope="session")
def breast_mlp(breast: Splits) -> MLPClassifier:
    return MLPClassifier().fit(breast.X_fit, breast.y_fit)


@pytest.fixture(scope="session")
def digits_cnn(digits: Splits) -> CNNClassifier:
    return CNNClassifier(epochs=15).fit(digits.X_fit, digits.y_fit)


class Overconfident:
    """A fitted model whose logits are multiplied by ``factor``: miscalibrated on purpose."""

    def __init__(self, model: Any, factor: float) -> None:
        self.model = model
        self.factor = factor
        self.classes_ = model.classes_
        self.input_shape_ = model.input_shape_

    def logits(self, X: Any) -> np.ndarray:
        return self.model.logits(X) * self.factor

    def predict_proba(self, X: Any) -> np.ndarray:
        z = self.logits(X)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)


@pytest.fixture(scope="session")
def overconfident() -> type[Overconfident]:
    return Overconfident
