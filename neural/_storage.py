"""Saving and loading models: a torch weights file and a JSON metadata file side by side.

``save_model(model, folder, "digits")`` writes ``digits.pt`` (a plain dict of tensors, loaded
back with ``torch.load(weights_only=True)``: no pickled objects) and ``digits.json``::

    {"format": 1, "name": "digits", "kind": "cnn", "version": "<sha256>",
     "parameters": {...}, "classes": [0, 1, ...], "input_shape": [1, 8, 8],
     "preprocessing": {"mean": ..., "scale": ...}, "calibration": {"method": ..., ...} | null,
     "training_data": {"sha256": ..., "n_samples": ...} | null, "metrics": {...} | null,
     "libraries": {"torch": ..., "numpy": ..., "scikit-learn": ..., "nesy-engine": ...},
     "training": {"method": ..., ...} | null}

``version`` is the sha256 of everything that decides the model's predictions: the weight
tensors (name, dtype, shape, bytes, in name order) and the metadata that rebuilds the model
(kind, parameters, classes, input shape, preprocessing, calibration). :func:`model_version`
computes the same hash for a model in memory, so a saved model, the same model loaded back and
the facts it emits all carry one version, and any change to the weights changes it. Loading
recomputes it and refuses files that do not match.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nesy.errors import InputError, Location

from ._calibration import CalibratedModel, calibrator_class
from ._estimators import CNNClassifier, MLPClassifier, torch_settings
from ._metrics import Metrics

__all__ = [
    "ModelMetadata",
    "data_hash",
    "load_model",
    "model_version",
    "read_metadata",
    "save_model",
]

FORMAT = 1
_KINDS: dict[str, type[MLPClassifier] | type[CNNClassifier]] = {
    cls.kind: cls for cls in (MLPClassifier, CNNClassifier)
}
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class ModelMetadata:
    """What ``<name>.json`` says about a saved model (see the module docstring)."""

    name: str
    kind: str
    version: str
    parameters: Mapping[str, Any]
    classes: tuple[Any, ...]
    input_shape: tuple[int, ...]
    preprocessing: Mapping[str, Any]
    calibration: Mapping[str, Any] | None = None
    training_data: Mapping[str, Any] | None = None
    metrics: Mapping[str, Any] | None = None
    libraries: Mapping[str, str] = field(default_factory=dict)
    training: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "name": self.name,
            "kind": self.kind,
            "version": self.version,
            "parameters": dict(self.parameters),
            "classes": list(self.classes),
            "input_shape": list(self.input_shape),
            "preprocessing": dict(self.preprocessing),
            "calibration": dict(self.calibration) if self.calibration is not None else None,
            "training_data": dict(self.training_data) if self.training_data is not None else None,
            "metrics": dict(self.metrics) if self.metrics is not None else None,
            "libraries": dict(self.libraries),
            "training": dict(self.training) if self.training is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelMetadata:
        """Read the JSON form back; a missing key is a ``KeyError``."""
        return cls(
            name=str(data["name"]),
            kind=str(data["kind"]),
            version=str(data["version"]),
            parameters=dict(data["parameters"]),
            classes=tuple(data["classes"]),
            input_shape=tuple(int(size) for size in data["input_shape"]),
            preprocessing=dict(data["preprocessing"]),
            calibration=data.get("calibration"),
            training_data=data.get("training_data"),
            metrics=data.get("metrics"),
            libraries=dict(data.get("libraries", {})),
            training=data.get("training"),
        )


def data_hash(X: Any, y: Any) -> str:
    """sha256 of a training set: ``X`` as float64 and ``y`` as an array, with dtypes and shapes.

    >>> data_hash([[1, 2]], [0]) == data_hash(np.array([[1.0, 2.0]]), np.array([0]))
    True
    >>> data_hash([[1, 2]], [0]) == data_hash([[1, 2]], [1])
    False
    """
    digest = hashlib.sha256()
    labels = np.asarray(y)
    if labels.dtype.kind == "O":
        labels = labels.astype(str)
    for part in (np.asarray(X, dtype=np.float64), labels):
        array = np.ascontiguousarray(part)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _split(model: Any) -> tuple[MLPClassifier | CNNClassifier, CalibratedModel | None]:
    calibrated = model if isinstance(model, CalibratedModel) else None
    base = model.model if calibrated is not None else model
    if not isinstance(base, (MLPClassifier, CNNClassifier)):
        raise InputError(
            f"can only save MLPClassifier or CNNClassifier models (or a CalibratedModel of one), "
            f"not {type(base).__name__}",
            field="model",
        )
    if not hasattr(base, "module_") or (calibrated is not None and not hasattr(
        calibrated, "calibrator_"
    )):
        raise InputError("the model is not fitted", field="model")
    return base, calibrated


def _json_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_json_value(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _state(model: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The model as JSON-ready metadata and named arrays: what rebuilds it exactly."""
    base, calibrated = _split(model)
    info: dict[str, Any] = {
        "kind": base.kind,
        "parameters": {key: _json_value(v) for key, v in sorted(base.get_params().items())},
        "classes": np.asarray(base.classes_).tolist(),
        "input_shape": list(base.input_shape_),
        "preprocessing": {"mean": base.mean_.tolist(), "scale": base.scale_.tolist()},
        "calibration": None,
    }
    arrays = {
        f"module.{key}": tensor.detach().cpu().numpy()
        for key, tensor in base.module_.state_dict().items()
    }
    if calibrated is not None:
        calibration, extra = calibrated.calibrator_.to_state()
        info["calibration"] = calibration
        arrays.update({f"calibration.{key}": np.asarray(v) for key, v in extra.items()})
    return info, arrays


def _version(info: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> str:
    digest = hashlib.sha256(json.dumps(info, sort_keys=True).encode())
    for key in sorted(arrays):
        array = np.ascontiguousarray(arrays[key])
        digest.update(f"{key}:{array.dtype.str}:{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def model_version(model: Any) -> str:
    """The version hash of a fitted model (the ``version`` its saved metadata would carry).

    >>> from neural import MLPClassifier
    >>> X, y = [[0.0], [1.0]] * 4, [0, 1] * 4
    >>> a = MLPClassifier(hidden=(2,), epochs=2).fit(X, y)
    >>> model_version(a) == model_version(MLPClassifier(hidden=(2,), epochs=2).fit(X, y))
    True
    >>> model_version(a) == model_version(MLPClassifier(hidden=(2,), epochs=3).fit(X, y))
    False
    """
    return _version(*_state(model))


def _libraries() -> dict[str, str]:
    versions = {}
    for package in ("nesy-engine", "torch", "numpy", "scikit-learn"):
        try:
            versions[package] = importlib_metadata.version(package)
        except importlib_metadata.PackageNotFoundError:
            versions[package] = "unknown"
    return versions


def _paths(folder: str | os.PathLike[str], name: str) -> tuple[Path, Path]:
    if not isinstance(name, str) or not _NAME.match(name):
        raise InputError(
            f"a model name is letters, digits, '_', '.' and '-', got {name!r}", field="name"
        )
    root = Path(folder)
    return root / f"{name}.pt", root / f"{name}.json"


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path`` and rename: readers never see half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save_model(
    model: Any,
    folder: str | os.PathLike[str],
    name: str,
    training_data: tuple[Any, Any] | None = None,
    metrics: Metrics | Mapping[str, Any] | None = None,
    training: Mapping[str, Any] | None = None,
) -> ModelMetadata:
    """Save a fitted model as ``folder/<name>.pt`` and ``folder/<name>.json``.

    ``model`` is an :class:`MLPClassifier`, a :class:`CNNClassifier` or a
    :class:`CalibratedModel` of one. ``training_data=(X, y)`` records the training set's
    :func:`data_hash`; ``metrics`` (e.g. from :func:`evaluate`) and ``training`` (how the model
    was trained, e.g. through which rules from which labels) are stored as given. The
    folder is created if missing. Returns the metadata written.

    Examples
    --------
    >>> import tempfile
    >>> from neural import MLPClassifier, load_model
    >>> X, y = [[0.0], [1.0]] * 4, [0, 1] * 4
    >>> model = MLPClassifier(hidden=(2,), epochs=2).fit(X, y)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     saved = save_model(model, folder, "toy", training_data=(X, y))
    ...     again = load_model(folder, "toy")
    >>> saved.version == model_version(again), saved.classes
    (True, (0, 1))
    """
    weights_path, metadata_path = _paths(folder, name)
    info, arrays = _state(model)
    version = _version(info, arrays)
    if isinstance(metrics, Metrics):
        metrics = metrics.to_dict()
    data_info = None
    if training_data is not None:
        X, y = training_data
        data_info = {"sha256": data_hash(X, y), "n_samples": int(np.asarray(y).shape[0])}
    meta = ModelMetadata(
        name=name,
        kind=info["kind"],
        version=version,
        parameters=info["parameters"],
        classes=tuple(info["classes"]),
        input_shape=tuple(info["input_shape"]),
        preprocessing=info["preprocessing"],
        calibration=info["calibration"],
        training_data=data_info,
        metrics=dict(metrics) if metrics is not None else None,
        libraries=_libraries(),
        training=dict(training) if training is not None else None,
    )
    tensors = {
        part: {
            key.removeprefix(f"{part}."): torch.from_numpy(np.array(value))
            for key, value in arrays.items()
            if key.startswith(f"{part}.")
        }
        for part in ("module", "calibration")
    }
    weights_path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    torch.save(tensors, buffer)
    _write_atomically(weights_path, buffer.getvalue())
    text = json.dumps(meta.to_dict(), indent=2, sort_keys=True) + "\n"
    _write_atomically(metadata_path, text.encode("utf-8"))
    return meta


def read_metadata(folder: str | os.PathLike[str], name: str) -> ModelMetadata:
    """The metadata of the saved model ``name``; a missing or corrupt file is an InputError."""
    _, metadata_path = _paths(folder, name)
    where = Location(str(metadata_path))
    try:
        data = json.loads(metadata_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError("no such model metadata file", location=where) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read model metadata: {exc}", location=where) from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(
            f"not a nesy model metadata file (format {FORMAT} expected)", location=where
        )
    try:
        meta = ModelMetadata.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"model metadata lacks or garbles {exc}", location=where) from exc
    if meta.kind not in _KINDS:
        raise InputError(f"unknown model kind {meta.kind!r}", location=where)
    return meta


def _as_tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def load_model(folder: str | os.PathLike[str], name: str) -> Any:
    """Load the model saved as ``name`` in ``folder``: it predicts exactly as the saved one.

    Returns an :class:`MLPClassifier`, a :class:`CNNClassifier` or a :class:`CalibratedModel`.
    Missing, corrupt or mismatched files are an :class:`~nesy.errors.InputError` naming the file.
    """
    meta = read_metadata(folder, name)
    weights_path, metadata_path = _paths(folder, name)
    where = Location(str(weights_path))
    if not weights_path.exists():
        raise InputError("no such model weights file", location=where)
    try:
        stored = torch.load(weights_path, map_location="cpu", weights_only=True)
        module_state = dict(stored["module"])
        calibration_state = {k: v.numpy() for k, v in stored["calibration"].items()}
    # torch.load raises many types for a damaged file (zip, unpickling, runtime errors)
    except Exception as exc:
        raise InputError(f"cannot read model weights: {exc}", location=where) from exc
    try:
        cls = _KINDS[meta.kind]
        params = {key: _as_tuple(value) for key, value in meta.parameters.items()}
        base = cls(**params)
        base.classes_ = np.asarray(meta.classes)
        base.input_shape_ = meta.input_shape
        base.n_features_in_ = int(np.prod(meta.input_shape))
        base.mean_ = np.asarray(meta.preprocessing["mean"], dtype=np.float64)
        base.scale_ = np.asarray(meta.preprocessing["scale"], dtype=np.float64)
        with torch_settings(base.n_threads, seed=0):
            module = base._build(len(base.classes_))
        module.load_state_dict(module_state, strict=True)
        module.eval()
        base.module_ = module
        model: Any = base
        if meta.calibration is not None:
            method = calibrator_class(meta.calibration["method"])
            calibrated = CalibratedModel(base, method=method.method)
            calibrated.calibrator_ = method.from_state(meta.calibration, calibration_state)
            calibrated.classes_ = base.classes_
            calibrated._copy_shape()
            model = calibrated
    except (KeyError, TypeError, ValueError, RuntimeError, InputError) as exc:
        raise InputError(
            f"the weights do not fit the metadata in {metadata_path.name}: {exc}", location=where
        ) from exc
    if model_version(model) != meta.version:
        raise InputError(
            f"the weights do not match the version in {metadata_path.name} "
            "(the files were changed or mixed up)",
            location=where,
        )
    return model

