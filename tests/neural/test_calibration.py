"""Calibration: temperature scaling, isotonic and sigmoid, on held-out splits."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from neural import CalibratedModel, InputError, evaluate, fit_temperature

METHODS = ["temperature", "isotonic", "sigmoid"]


def test_fit_temperature_recovers_a_known_temperature() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=3.0, size=(20000, 3))
    true = logits / 2.5
    p = np.exp(true - true.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    y = np.array([rng.choice(3, p=row) for row in p])
    assert fit_temperature(logits, y) == pytest.approx(2.5, rel=0.05)


@pytest.mark.parametrize("method", METHODS)
def test_probabilities_are_distributions(method, digits_cnn, digits, breast_mlp, breast) -> None:
    for model, data in [(digits_cnn, digits), (breast_mlp, breast)]:
        calibrated = CalibratedModel(model, method).fit(data.X_cal, data.y_cal)
        p = calibrated.predict_proba(data.X_test)
        assert p.shape == (len(data.X_test), len(model.classes_)) and (p >= 0).all()
        np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
        assert calibrated.classes_.tolist() == model.classes_.tolist()
        assert calibrated.input_shape_ == model.input_shape_


def test_temperature_does_not_depend_on_the_logit_scale(digits_cnn, digits, overconfident) -> None:
    plain = CalibratedModel(digits_cnn).fit(digits.X_cal, digits.y_cal)
    scaled = CalibratedModel(overconfident(digits_cnn, 4.0)).fit(digits.X_cal, digits.y_cal)
    assert scaled.calibrator_.temperature == pytest.approx(4 * plain.calibrator_.temperature,
                                                           rel=1e-4)
    np.testing.assert_allclose(scaled.predict_proba(digits.X_test),
                               plain.predict_proba(digits.X_test), atol=1e-5)


@pytest.mark.parametrize("data_name", ["breast", "digits"])
@pytest.mark.parametrize("factor", [0.3, 4.0])
def test_temperature_repairs_miscalibrated_models(data_name, factor, request, overconfident):
    data = request.getfixturevalue(data_name)
    model = request.getfixturevalue({"breast": "breast_mlp", "digits": "digits_cnn"}[data_name])
    miscalibrated = overconfident(model, factor)
    before = evaluate(miscalibrated, data.X_test, data.y_test)
    after = evaluate(CalibratedModel(miscalibrated).fit(data.X_cal, data.y_cal),
                     data.X_test, data.y_test)
    assert after.log_loss < before.log_loss
    assert after.accuracy == before.accuracy  # a temperature never changes the ranking
    if factor < 1:  # underconfident: far off, and calibration brings ECE near 0.03
        assert before.ece > 0.1 and after.ece < 0.05


@pytest.mark.parametrize("method", ["isotonic", "sigmoid"])
@pytest.mark.parametrize("data_name", ["breast", "digits"])
def test_per_class_methods_lower_the_ece_of_underconfident_models(
    method, data_name, request, overconfident
) -> None:
    data = request.getfixturevalue(data_name)
    model = request.getfixturevalue({"breast": "breast_mlp", "digits": "digits_cnn"}[data_name])
    miscalibrated = overconfident(model, 0.3)
    before = evaluate(miscalibrated, data.X_test, data.y_test)
    after = evaluate(CalibratedModel(miscalibrated, method).fit(data.X_cal, data.y_cal),
                     data.X_test, data.y_test)
    assert after.ece < before.ece / 1.5


def test_digits_cnn_calibrated_ece(digits_cnn, digits) -> None:
    before = evaluate(digits_cnn, digits.X_test, digits.y_test)
    after = evaluate(CalibratedModel(digits_cnn).fit(digits.X_cal, digits.y_cal),
                     digits.X_test, digits.y_test)
    assert after.ece <= before.ece and after.log_loss <= before.log_loss
    assert after.ece < 0.03


def test_binary_isotonic_is_scikit_learns(breast_mlp, breast) -> None:
    calibrated = CalibratedModel(breast_mlp, "isotonic").fit(breast.X_cal, breast.y_cal)
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    iso.fit(breast_mlp.predict_proba(breast.X_cal)[:, 1], breast.y_cal == 1)
    expected = iso.predict(breast_mlp.predict_proba(breast.X_test)[:, 1])
    np.testing.assert_allclose(calibrated.predict_proba(breast.X_test)[:, 1], expected,
                               atol=1e-12)


def test_a_model_without_logits(breast) -> None:
    base = make_pipeline(StandardScaler(), LogisticRegression()).fit(breast.X_fit, breast.y_fit)
    for method in METHODS:
        calibrated = CalibratedModel(base, method).fit(breast.X_cal, breast.y_cal)
        np.testing.assert_allclose(calibrated.predict_proba(breast.X_test).sum(axis=1), 1.0)


def test_bad_calls(breast_mlp, breast) -> None:
    with pytest.raises(InputError, match="known: isotonic, sigmoid, temperature") as error:
        CalibratedModel(breast_mlp, "platt").fit(breast.X_cal, breast.y_cal)
    assert error.value.field == "method"
    with pytest.raises(InputError, match="fitted") as error:
        CalibratedModel(clone(breast_mlp)).fit(breast.X_cal, breast.y_cal)
    assert error.value.field == "model"
    with pytest.raises(InputError, match="not fitted"):
        CalibratedModel(breast_mlp).predict_proba(breast.X_test)
    with pytest.raises(InputError, match="unknown class") as error:
        CalibratedModel(breast_mlp).fit(breast.X_cal[:2], [0, 5])
    assert error.value.field == "y[1]"
    bad = breast.X_cal.copy()
    bad[2, 3] = np.nan
    with pytest.raises(InputError) as error:
        CalibratedModel(breast_mlp).fit(bad, breast.y_cal)
    assert error.value.field == "X[2]"


def test_get_params_and_clone(breast_mlp) -> None:
    calibrated = CalibratedModel(breast_mlp, method="isotonic")
    assert calibrated.get_params(deep=False) == {"model": breast_mlp, "method": "isotonic"}
    assert clone(calibrated).method == "isotonic"


@pytest.mark.parametrize("method", ["temperature", "isotonic"])
@pytest.mark.parametrize("data_name", ["breast", "digits"])
def test_agrees_with_scikit_learn(method, data_name, request) -> None:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    data = request.getfixturevalue(data_name)
    model = request.getfixturevalue({"breast": "breast_mlp", "digits": "digits_cnn"}[data_name])
    theirs = CalibratedClassifierCV(FrozenEstimator(model), method=method)
    theirs.fit(data.X_cal, data.y_cal)
    ours = CalibratedModel(model, method).fit(data.X_cal, data.y_cal)
    np.testing.assert_allclose(ours.predict_proba(data.X_test), theirs.predict_proba(data.X_test),
                               atol=1e-5)
