"""Perception: torch classifiers whose calibrated outputs become probabilistic facts.

Estimators follow scikit-learn's contract (``fit`` returns ``self``, ``predict_proba``),
train deterministically on a single torch thread, calibrate on held-out data, save with a
metadata file and a version hash, and are read by the rules through a :class:`NeuralPredicate`.

>>> from neural import MLPClassifier, NeuralPredicate
>>> X, y = [[0.0, 1.0], [1.0, 0.0]] * 10, [0, 1] * 10
>>> model = MLPClassifier(hidden=(4,), epochs=30, learning_rate=0.05).fit(X, y)
>>> net = NeuralPredicate("net", model)
>>> facts = net.facts([[0.0, 1.0]], ids=["x1"])[0]
>>> facts.most_probable, sorted(facts.probabilities)
(0, [0, 1])
"""

from nesy.errors import InputError, NesyError

from ._calibration import CalibratedModel, fit_temperature
from ._estimators import CNNClassifier, MLPClassifier, torch_settings
from ._metrics import (
    Metrics,
    Reliability,
    accuracy,
    brier_score,
    evaluate,
    expected_calibration_error,
    log_loss,
    reliability,
    reliability_bins,
)
from ._networks import InputRef, NetworkOutputs, Networks
from ._predicate import Label, NeuralFacts, NeuralPredicate
from ._storage import (
    ModelMetadata,
    data_hash,
    load_model,
    model_version,
    read_metadata,
    save_model,
)
from ._training import EpochRecord, Learnable, Trainer, TrainingHistory, query_loss

__all__ = [
    "CNNClassifier",
    "CalibratedModel",
    "EpochRecord",
    "InputError",
    "InputRef",
    "Label",
    "Learnable",
    "MLPClassifier",
    "Metrics",
    "ModelMetadata",
    "NesyError",
    "NetworkOutputs",
    "Networks",
    "NeuralFacts",
    "NeuralPredicate",
    "Reliability",
    "Trainer",
    "TrainingHistory",
    "accuracy",
    "brier_score",
    "data_hash",
    "evaluate",
    "expected_calibration_error",
    "fit_temperature",
    "load_model",
    "log_loss",
    "model_version",
    "query_loss",
    "read_metadata",
    "reliability",
    "reliability_bins",
    "save_model",
    "torch_settings",
]
