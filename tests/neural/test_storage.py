"""Saving and loading: identical predictions, truthful metadata, clear errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from neural import (
    CalibratedModel,
    CNNClassifier,
    InputError,
    MLPClassifier,
    data_hash,
    evaluate,
    load_model,
    model_version,
    read_metadata,
    save_model,
)


@pytest.fixture(params=["mlp", "cnn", "temperature", "isotonic", "sigmoid"])
def model_and_data(request, breast_mlp, breast, digits_cnn, digits):
    if request.param == "mlp":
        return breast_mlp, breast
    if request.param == "cnn":
        return digits_cnn, digits
    return CalibratedModel(digits_cnn, request.param).fit(digits.X_cal, digits.y_cal), digits


def test_round_trip_predicts_identically(model_and_data, tmp_path) -> None:
    model, data = model_and_data
    metrics = evaluate(model, data.X_test, data.y_test)
    saved = save_model(model, tmp_path / "models", "net", training_data=(data.X_fit, data.y_fit),
                       metrics=metrics)
    loaded = load_model(tmp_path / "models", "net")
    assert type(loaded) is type(model)
    assert np.array_equal(loaded.predict_proba(data.X_test), model.predict_proba(data.X_test))
    assert loaded.classes_.tolist() == model.classes_.tolist()
    assert model_version(loaded) == model_version(model) == saved.version
    assert read_metadata(tmp_path / "models", "net") == saved
    assert saved.metrics == metrics.to_dict()


def test_metadata_content(digits_cnn, digits, tmp_path) -> None:
    calibrated = CalibratedModel(digits_cnn).fit(digits.X_cal, digits.y_cal)
    save_model(calibrated, tmp_path, "digits", training_data=(digits.X_fit, digits.y_fit))
    data = json.loads((tmp_path / "digits.json").read_text())
    assert data["format"] == 1 and data["name"] == "digits" and data["kind"] == "cnn"
    assert data["classes"] == list(range(10))
    assert data["input_shape"] == [1, 8, 8]
    assert data["parameters"]["channels"] == [16, 32] and data["parameters"]["epochs"] == 15
    assert data["preprocessing"]["mean"] == pytest.approx(float(digits_cnn.mean_))
    assert data["calibration"] == {"method": "temperature",
                                   "temperature": calibrated.calibrator_.temperature}
    assert data["training_data"] == {"sha256": data_hash(digits.X_fit, digits.y_fit),
                                     "n_samples": len(digits.y_fit)}
    assert data["metrics"] is None
    assert set(data["libraries"]) == {"nesy-engine", "torch", "numpy", "scikit-learn"}
    assert len(data["version"]) == 64
    # the weights file is plain tensors: it loads with weights_only
    stored = torch.load(tmp_path / "digits.pt", weights_only=True)
    assert set(stored) == {"module", "calibration"}


def test_version_follows_the_weights(breast, tmp_path) -> None:
    X, y = breast.X_fit[:100], breast.y_fit[:100]
    model = MLPClassifier(epochs=2).fit(X, y)
    first = save_model(model, tmp_path, "a", training_data=(X, y))
    again = save_model(MLPClassifier(epochs=2).fit(X, y), tmp_path, "b")
    assert first.version == again.version  # same data, same seed: same model, same version
    with torch.no_grad():
        next(model.module_.parameters())[0, 0] += 1.0
    changed = save_model(model, tmp_path, "a", training_data=(X, y))
    assert changed.version != first.version
    assert changed.training_data == first.training_data
    reseeded = save_model(MLPClassifier(epochs=2, random_state=1).fit(X, y), tmp_path, "c")
    assert reseeded.version != first.version


def test_data_hash_sees_every_value(breast) -> None:
    X, y = breast.X_fit, breast.y_fit
    other = X.copy()
    other[10, 3] += 1e-9
    assert data_hash(X, y) != data_hash(other, y)
    assert data_hash(X, y) != data_hash(X, 1 - y)


def test_mismatched_weights_are_refused(breast_mlp, breast, tmp_path) -> None:
    save_model(breast_mlp, tmp_path, "one")
    save_model(MLPClassifier(epochs=1).fit(breast.X_fit, breast.y_fit), tmp_path, "two")
    (tmp_path / "one.pt").write_bytes((tmp_path / "two.pt").read_bytes())
    with pytest.raises(InputError, match=r"do not match the version in one\.json") as error:
        load_model(tmp_path, "one")
    assert error.value.file == str(tmp_path / "one.pt")


@pytest.mark.parametrize(
    ("damage", "file", "message"),
    [
        (lambda folder: (folder / "m.json").unlink(), "m.json", "no such model metadata"),
        (lambda folder: (folder / "m.pt").unlink(), "m.pt", "no such model weights"),
        (lambda folder: (folder / "m.json").write_text("{not json"), "m.json", "cannot read"),
        (lambda folder: (folder / "m.json").write_text("[]"), "m.json", "not a nesy model"),
        (lambda folder: (folder / "m.json").write_text('{"format": 1}'), "m.json", "lacks"),
        (lambda folder: (folder / "m.pt").write_bytes(b"garbage"), "m.pt", "cannot read"),
    ],
)
def test_damaged_files(damage, file, message, breast_mlp, tmp_path) -> None:
    save_model(breast_mlp, tmp_path, "m")
    damage(tmp_path)
    with pytest.raises(InputError, match=message) as error:
        load_model(tmp_path, "m")
    assert error.value.file == str(tmp_path / file)


def test_weights_that_do_not_fit_the_architecture(breast_mlp, breast, tmp_path) -> None:
    save_model(breast_mlp, tmp_path, "m")
    save_model(MLPClassifier(hidden=(4,), epochs=1).fit(breast.X_fit, breast.y_fit), tmp_path, "s")
    (tmp_path / "m.pt").write_bytes((tmp_path / "s.pt").read_bytes())
    with pytest.raises(InputError, match="do not fit the metadata") as error:
        load_model(tmp_path, "m")
    assert error.value.file == str(tmp_path / "m.pt")


def test_bad_save_calls(breast, tmp_path) -> None:
    with pytest.raises(InputError) as error:
        save_model(MLPClassifier(), tmp_path, "m")
    assert error.value.field == "model"
    foreign = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(InputError, match="LogisticRegression") as error:
        save_model(foreign, tmp_path, "m")
    assert error.value.field == "model"
    with pytest.raises(InputError) as error:
        save_model(CNNClassifier(), tmp_path, "../escape")
    assert error.value.field == "name"
    assert not list(tmp_path.iterdir())
