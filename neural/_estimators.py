"""Torch classifiers behind scikit-learn's estimator contract.

``__init__`` only stores parameters; :meth:`fit` learns ``classes_``, ``input_shape_``, the
preprocessing statistics (``mean_``, ``scale_``) and the torch module ``module_``, and returns
``self``; :meth:`predict_proba` gives rows that sum to 1. Both are scikit-learn
``BaseEstimator`` subclasses, so ``get_params``, ``set_params`` and ``sklearn.base.clone`` work.

Training is deterministic: the same data, parameters and ``random_state`` give bit-identical
weights and probabilities. Inside ``fit`` and ``predict_proba`` torch runs on ``n_threads``
threads (default 1: on a 2-core machine torch's default threading made a tiny CNN 50x slower,
and results computed on one thread do not depend on the machine's core count), with
deterministic algorithms, and on a forked random generator, so the global torch state (threads,
seed, deterministic mode) is as it was when the call returns.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Self

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from torch import nn

from nesy.errors import InputError

from ._arrays import as_batch, as_labels, encode_labels, softmax

__all__ = ["CNNClassifier", "MLPClassifier"]


@contextmanager
def torch_settings(n_threads: int, seed: int | None = None) -> Iterator[None]:
    """Run torch on ``n_threads`` threads, deterministically, restoring the global state after.

    With a ``seed``, the global torch generator is forked and seeded, so module initialisation
    is reproducible and the caller's random stream is untouched; without one (inference, which
    draws no random numbers) it is not forked.
    """
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.set_num_threads(n_threads)
    torch.use_deterministic_algorithms(True)
    try:
        with torch.random.fork_rng(devices=[], enabled=seed is not None):
            if seed is not None:
                torch.manual_seed(seed)
            yield
    finally:
        torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
        torch.set_num_threads(threads)


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InputError(f"must be a positive integer, got {value!r}", field=name)
    return int(value)


def _positive_float(value: Any, name: str, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise InputError(f"must be a number, got {value!r}", field=name)
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise InputError(f"must be {'>= 0' if allow_zero else '> 0'}, got {value!r}", field=name)
    return float(value)


def _sizes(value: Any, name: str) -> tuple[int, ...]:
    if not isinstance(value, (tuple, list)):
        raise InputError(f"must be a tuple of positive integers, got {value!r}", field=name)
    return tuple(_positive_int(size, name) for size in value)


class _TorchClassifier(ClassifierMixin, BaseEstimator):
    """What the MLP and the CNN share: validation, training loop, prediction."""

    kind: ClassVar[str]

    # set by the subclasses' __init__
    epochs: int
    learning_rate: float
    batch_size: int
    weight_decay: float
    random_state: int
    n_threads: int

    # learned by fit
    classes_: np.ndarray
    input_shape_: tuple[int, ...]
    n_features_in_: int
    mean_: np.ndarray
    scale_: np.ndarray
    module_: nn.Module

    # -- what a subclass provides ------------------------------------------------------------

    def _fit_shape(self, X: Any) -> tuple[int, ...]:
        """The input shape of one sample, from the training data and the parameters."""
        raise NotImplementedError

    def _fit_preprocessing(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(mean, scale)`` for ``(X - mean) / scale``, learned on the training batch."""
        raise NotImplementedError

    def _build(self, n_classes: int) -> nn.Module:
        """A freshly initialised module for ``input_shape_`` and ``n_classes`` outputs."""
        raise NotImplementedError

    # -- the estimator contract --------------------------------------------------------------

    def _check_common(self) -> None:
        _positive_int(self.epochs, "epochs")
        _positive_int(self.batch_size, "batch_size")
        _positive_int(self.n_threads, "n_threads")
        _positive_float(self.learning_rate, "learning_rate")
        _positive_float(self.weight_decay, "weight_decay", allow_zero=True)
        if isinstance(self.random_state, bool) or not isinstance(
            self.random_state, (int, np.integer)
        ):
            raise InputError(
                f"must be an integer seed (training is deterministic), got {self.random_state!r}",
                field="random_state",
            )

    def fit(self, X: Any, y: Any) -> Self:
        """Train on samples ``X`` with labels ``y``; returns ``self``.

        Raises
        ------
        InputError
            A bad parameter, a wrong shape, NaN or infinite values, fewer than two classes.
        """
        self._check_common()
        input_shape = self._fit_shape(X)
        batch = as_batch(X, input_shape)
        labels = as_labels(y, batch.shape[0])
        classes = np.unique(labels)
        if len(classes) < 2:
            raise InputError(f"needs at least two classes, got {classes.tolist()}", field="y")
        self._start(batch, input_shape, classes)
        targets = torch.from_numpy(encode_labels(labels, classes))
        inputs = torch.from_numpy(self._preprocess(batch))
        seed = int(self.random_state)
        module = self.module_
        with torch_settings(self.n_threads, seed):
            optimizer = torch.optim.Adam(
                module.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay
            )
            loss_fn = nn.CrossEntropyLoss()
            order = torch.Generator().manual_seed(seed)
            module.train()
            for _ in range(self.epochs):
                permutation = torch.randperm(len(targets), generator=order)
                for start in range(0, len(targets), self.batch_size):
                    index = permutation[start : start + self.batch_size]
                    optimizer.zero_grad()
                    loss = loss_fn(module(inputs[index]), targets[index])
                    loss.backward()
                    optimizer.step()
            module.eval()
        return self

    def initialize(self, X: Any, classes: Any) -> Self:
        """Get ready to be trained by something other than :meth:`fit`; returns ``self``.

        Learning through logic has no class labels: this learns the preprocessing from the
        unlabelled samples ``X``, sets ``classes_`` and builds a freshly initialised module
        (seeded by ``random_state``), so the classifier predicts, with untrained weights,
        and :meth:`network` can be trained (``neural.Trainer``).
        """
        self._check_common()
        input_shape = self._fit_shape(X)
        batch = as_batch(X, input_shape)
        found = np.asarray(list(classes))
        if len(found) < 2 or len(np.unique(found)) != len(found):
            raise InputError(f"needs at least two distinct classes, got {found.tolist()}",
                             field="classes")
        self._start(batch, input_shape, found)
        return self

    def _start(self, batch: np.ndarray, input_shape: tuple[int, ...],
               classes: np.ndarray) -> None:
        """What fit and initialize share: the learned shape, classes and preprocessing, and a
        freshly initialised module (seeded by ``random_state``), in eval mode."""
        self.classes_ = classes
        self.input_shape_ = input_shape
        self.n_features_in_ = math.prod(input_shape)
        self.mean_, self.scale_ = self._fit_preprocessing(batch)
        with torch_settings(self.n_threads, int(self.random_state)):
            module = self._build(len(classes))
        module.eval()
        self.module_ = module

    def network(self) -> nn.Module:
        """This classifier as a torch module: raw samples ``(n, *input_shape)`` (or as
        :meth:`predict_proba` takes them) to class probabilities, in the order of
        ``classes_``. It shares the classifier's weights: training it trains the classifier.
        """
        self._check_fitted()
        return _ProbabilityNetwork(self)

    def _preprocess(self, batch: np.ndarray) -> np.ndarray:
        return ((batch - self.mean_) / self.scale_).astype(np.float32)

    def _check_fitted(self) -> None:
        if not hasattr(self, "module_"):
            raise InputError(
                f"this {type(self).__name__} is not fitted yet: call fit first", field="model"
            )

    def logits(self, X: Any) -> np.ndarray:
        """Raw network outputs, ``(n, n_classes)`` float64; ``softmax`` gives predict_proba."""
        self._check_fitted()
        batch = as_batch(X, self.input_shape_)
        inputs = torch.from_numpy(self._preprocess(batch))
        with torch_settings(self.n_threads), torch.inference_mode():
            out = self.module_(inputs)
        return out.numpy().astype(np.float64)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, ``(n, n_classes)`` in the order of ``classes_``; rows sum to 1."""
        return softmax(self.logits(X))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each sample."""
        return np.asarray(self.classes_[np.argmax(self.predict_proba(X), axis=1)])


class _ProbabilityNetwork(nn.Module):
    """A fitted classifier's preprocessing, module and softmax as one torch module."""

    def __init__(self, classifier: _TorchClassifier) -> None:
        super().__init__()
        self.module = classifier.module_
        self.input_shape = tuple(classifier.input_shape_)
        self.mean: torch.Tensor
        self.scale: torch.Tensor
        self.register_buffer("mean", torch.as_tensor(np.asarray(classifier.mean_),
                                                     dtype=torch.float32))
        self.register_buffer("scale", torch.as_tensor(np.asarray(classifier.scale_),
                                                      dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(torch.float32).reshape(-1, *self.input_shape)
        out: torch.Tensor = torch.softmax(self.module((x - self.mean) / self.scale), dim=1)
        return out


class MLPClassifier(_TorchClassifier):
    """A multi-layer perceptron for tabular float features.

    Parameters
    ----------
    hidden : tuple of int
        Sizes of the hidden layers (ReLU between layers).
    epochs, learning_rate, batch_size, weight_decay
        Adam on the cross-entropy loss, ``epochs`` passes over the shuffled data.
    standardize : bool
        Learn each feature's mean and standard deviation in ``fit`` and standardize with them.
    random_state : int
        Seed of the initialisation and of the shuffling.
    n_threads : int
        torch threads used inside ``fit`` and ``predict_proba``.

    Examples
    --------
    >>> X = [[0.0, 1.0], [1.0, 0.0], [0.1, 0.9], [0.9, 0.2]] * 5
    >>> model = MLPClassifier(hidden=(8,), epochs=30, learning_rate=0.05)
    >>> model = model.fit(X, ["a", "b", "a", "b"] * 5)
    >>> model.predict([[0.0, 1.0], [1.0, 0.1]]).tolist()
    ['a', 'b']
    >>> model.predict_proba([[0.0, 1.0]]).sum().round(6)
    np.float64(1.0)
    """

    kind = "mlp"

    def __init__(
        self,
        hidden: tuple[int, ...] = (64, 32),
        epochs: int = 30,
        learning_rate: float = 1e-3,
        batch_size: int = 32,
        weight_decay: float = 1e-4,
        standardize: bool = True,
        random_state: int = 0,
        n_threads: int = 1,
    ) -> None:
        self.hidden = hidden
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.standardize = standardize
        self.random_state = random_state
        self.n_threads = n_threads

    def _fit_shape(self, X: Any) -> tuple[int, ...]:
        _sizes(self.hidden, "hidden")
        return (as_batch(X, None).shape[1],)

    def _fit_preprocessing(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n_features = X.shape[1]
        if not self.standardize:
            return np.zeros(n_features), np.ones(n_features)
        data = X.astype(np.float64)
        scale = data.std(axis=0)
        return data.mean(axis=0), np.where(scale > 0, scale, 1.0)

    def _build(self, n_classes: int) -> nn.Module:
        layers: list[nn.Module] = []
        width = self.input_shape_[0]
        for size in _sizes(self.hidden, "hidden"):
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        layers.append(nn.Linear(width, n_classes))
        return nn.Sequential(*layers)


class CNNClassifier(_TorchClassifier):
    """A small convolutional network for small images (e.g. scikit-learn's 8x8 digits).

    Each entry of ``channels`` is a block ``conv 3x3 -> ReLU -> max-pool 2x2`` (no pooling once
    the image is 1 pixel wide), then a linear layer to the classes. Pixels are standardized with
    one mean and standard deviation learned in ``fit`` (so the digits' 0..16 need no scaling by
    the caller). A sample may be given as ``input_shape``, without its leading 1-axes, or flat:
    ``(1, 8, 8)``, ``(8, 8)`` or the 64 columns of ``load_digits().data``.

    Parameters
    ----------
    input_shape : tuple of int
        ``(channels, height, width)`` of one image.
    channels : tuple of int
        Output channels of each convolution block.
    epochs, learning_rate, batch_size, weight_decay, random_state, n_threads
        As for :class:`MLPClassifier`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(0, 16, size=(40, 16))
    >>> y = (X[:, :8].sum(axis=1) > X[:, 8:].sum(axis=1)).astype(int)
    >>> model = CNNClassifier(input_shape=(1, 4, 4), channels=(4,), epochs=3).fit(X, y)
    >>> model.predict_proba(X[:2]).shape
    (2, 2)
    """

    kind = "cnn"

    def __init__(
        self,
        input_shape: tuple[int, ...] = (1, 8, 8),
        channels: tuple[int, ...] = (16, 32),
        epochs: int = 30,
        learning_rate: float = 2e-3,
        batch_size: int = 64,
        weight_decay: float = 1e-4,
        random_state: int = 0,
        n_threads: int = 1,
    ) -> None:
        self.input_shape = input_shape
        self.channels = channels
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.random_state = random_state
        self.n_threads = n_threads

    def _fit_shape(self, X: Any) -> tuple[int, ...]:
        shape = _sizes(self.input_shape, "input_shape")
        if len(shape) != 3:
            raise InputError(
                f"must be (channels, height, width), got {self.input_shape!r}",
                field="input_shape",
            )
        _sizes(self.channels, "channels")
        return shape

    def _fit_preprocessing(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        data = X.astype(np.float64)
        scale = data.std()
        return np.asarray(data.mean()), np.asarray(scale if scale > 0 else 1.0)

    def _build(self, n_classes: int) -> nn.Module:
        layers: list[nn.Module] = []
        depth, height, width = self.input_shape_
        for size in _sizes(self.channels, "channels"):
            layers += [nn.Conv2d(depth, size, kernel_size=3, padding=1), nn.ReLU()]
            if height >= 2 and width >= 2:
                layers.append(nn.MaxPool2d(2))
                height, width = height // 2, width // 2
            depth = size
        layers += [nn.Flatten(), nn.Linear(depth * height * width, n_classes)]
        return nn.Sequential(*layers)
