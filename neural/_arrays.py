"""Turning user input into checked float arrays, and the softmax used on model outputs.

Every public entry point of the package validates its input here, so a wrong shape, a NaN or a
string among numbers is an :class:`~nesy.errors.InputError` naming the field, never a torch or
NumPy error from deep inside a forward pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from nesy.errors import InputError

_FLOAT32_MAX = float(np.finfo(np.float32).max)


def accepted_shapes(input_shape: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """The shapes one sample may have for a model whose input is ``input_shape``.

    The shape itself, the shape without leading size-1 axes (an 8x8 image for ``(1, 8, 8)``)
    and the flat vector (the 64 columns of scikit-learn's ``load_digits``).

    >>> accepted_shapes((1, 8, 8))
    ((1, 8, 8), (8, 8), (64,))
    >>> accepted_shapes((30,))
    ((30,),)
    """
    shapes = [tuple(input_shape)]
    squeezed = tuple(input_shape)
    while len(squeezed) > 1 and squeezed[0] == 1:
        squeezed = squeezed[1:]
        shapes.append(squeezed)
    shapes.append((math.prod(input_shape),))
    return tuple(dict.fromkeys(shapes))


def _describe(shapes: Sequence[tuple[int, ...]]) -> str:
    return " or ".join(str(shape) for shape in shapes)


def _as_float(value: Any, field: str) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor: leave autograd and the device behind
        value = value.detach().cpu().numpy()
    try:
        raw = np.asarray(value)
        if raw.dtype.kind not in "biufO":
            raise TypeError(f"dtype {raw.dtype}")
        if raw.dtype.kind == "O" and any(isinstance(item, (str, bytes)) for item in raw.flat):
            raise TypeError("it holds strings")
        return raw.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"is not numeric or not rectangular ({exc})", field=field) from exc


def _check_finite(array: np.ndarray, name_of: Callable[[int], str]) -> np.ndarray:
    rows = array.reshape(array.shape[0], -1)
    bad = ~np.isfinite(rows).all(axis=1)
    if bad.any():
        raise InputError("contains NaN or infinite values", field=name_of(int(np.argmax(bad))))
    big = (np.abs(rows) > _FLOAT32_MAX).any(axis=1)
    if big.any():
        raise InputError("has values too large for float32", field=name_of(int(np.argmax(big))))
    return array


def as_batch(
    X: Any,
    input_shape: tuple[int, ...] | None,
    field: str = "X",
    name_of: Callable[[int], str] | None = None,
) -> np.ndarray:
    """Check a batch of samples and return it as float32 of shape ``(n, *input_shape)``.

    ``input_shape`` ``None`` accepts any 2-D batch (fitting a tabular model). ``name_of(i)``
    names sample ``i`` in errors (default ``f"{field}[{i}]"``).

    >>> as_batch([[0, 16], [8, 4]], (2,)).dtype
    dtype('float32')
    >>> as_batch([[0.0, float("nan")]], (2,))
    Traceback (most recent call last):
    ...
    nesy.errors.InputError: X[0]: contains NaN or infinite values
    """
    def default_name(i: int) -> str:
        return f"{field}[{i}]"

    name = name_of or default_name
    if isinstance(X, (str, bytes)):
        raise InputError("expected a batch of numeric samples, got a string", field=field)
    if isinstance(X, Sequence) and not isinstance(X, np.ndarray):
        samples = [_as_float(sample, name(i)) for i, sample in enumerate(X)]
        if input_shape is not None:
            shapes = accepted_shapes(input_shape)
            for i, sample in enumerate(samples):
                if sample.shape not in shapes:
                    raise InputError(
                        f"has shape {sample.shape}, expected {_describe(shapes)}", field=name(i)
                    )
            samples = [sample.reshape(input_shape) for sample in samples]
        elif len({sample.shape for sample in samples}) > 1:
            first = samples[0].shape
            i = next(i for i, sample in enumerate(samples) if sample.shape != first)
            raise InputError(f"has shape {samples[i].shape}, expected {first}", field=name(i))
        if not samples:
            return np.zeros((0, *(input_shape or (0,))), dtype=np.float32)
        array = np.stack(samples)
    else:
        array = _as_float(X, field)
    if array.ndim == 0:
        raise InputError("expected a batch of samples, got a single number", field=field)
    if input_shape is None:
        if array.ndim != 2:
            raise InputError(
                f"expected a 2-D array (samples, features), got shape {array.shape}", field=field
            )
    else:
        shapes = accepted_shapes(input_shape)
        if array.shape[1:] not in shapes:
            wanted = " or ".join(str(("n", *shape)).replace("'", "") for shape in shapes)
            raise InputError(f"has shape {array.shape}, expected {wanted}", field=field)
        array = array.reshape((array.shape[0], *input_shape))
    if array.shape[0]:
        _check_finite(array, name)
    return array.astype(np.float32)


def as_labels(y: Any, n_samples: int, field: str = "y") -> np.ndarray:
    """Check class labels: one per sample, 1-D, no NaN.

    >>> as_labels([0, 1, 1], 3)
    array([0, 1, 1])
    """
    if hasattr(y, "detach"):
        y = y.detach().cpu().numpy()
    labels = np.asarray(y)
    if labels.ndim != 1:
        raise InputError(f"expected a 1-D array of labels, got shape {labels.shape}", field=field)
    if labels.shape[0] != n_samples:
        raise InputError(f"has {labels.shape[0]} labels for {n_samples} samples", field=field)
    if labels.dtype.kind == "f" and not np.isfinite(labels).all():
        i = int(np.argmax(~np.isfinite(labels)))
        raise InputError("is NaN or infinite", field=f"{field}[{i}]")
    if labels.dtype.kind not in "biufUS":
        raise InputError(f"labels must be numbers or strings, not {labels.dtype}", field=field)
    return labels


def encode_labels(labels: np.ndarray, classes: np.ndarray, field: str = "y") -> np.ndarray:
    """The index of each label in the sorted ``classes``; an unknown label is an error.

    >>> encode_labels(np.array(["b", "a"]), np.array(["a", "b"]))
    array([1, 0])
    """
    try:
        index = np.searchsorted(classes, labels)
    except TypeError as exc:
        raise InputError(
            f"labels of type {labels.dtype} do not match the classes {classes.tolist()}",
            field=field,
        ) from exc
    index = np.clip(index, 0, len(classes) - 1)
    unknown = classes[index] != labels
    if np.any(unknown):
        i = int(np.argmax(unknown))
        raise InputError(
            f"unknown class {labels[i]!r} (known: {classes.tolist()})", field=f"{field}[{i}]"
        )
    return index.astype(np.int64)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax in float64.

    >>> np.round(np.exp(log_softmax(np.array([[0.0, 0.0]]))), 3)
    array([[0.5, 0.5]])
    """
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax in float64: rows sum to 1 to within rounding.

    >>> softmax(np.array([[0.0, np.log(3.0)]])).round(3)
    array([[0.25, 0.75]])
    """
    z = np.asarray(logits, dtype=np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
