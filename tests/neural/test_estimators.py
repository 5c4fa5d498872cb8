"""The torch estimators: scikit-learn's contract, determinism, input checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.base import clone

from neural import CNNClassifier, InputError, MLPClassifier, evaluate

ESTIMATORS = [MLPClassifier, CNNClassifier]


def _weights(model) -> list[np.ndarray]:
    return [t.detach().numpy().copy() for t in model.module_.state_dict().values()]


def test_training_is_deterministic(digits) -> None:
    X, y = digits.X_fit[:300], digits.y_fit[:300]
    first = CNNClassifier(epochs=3).fit(X, y)
    second = CNNClassifier(epochs=3).fit(X, y)
    for a, b in zip(_weights(first), _weights(second), strict=True):
        assert np.array_equal(a, b)
    assert np.array_equal(first.predict_proba(digits.X_test), second.predict_proba(digits.X_test))
    other = CNNClassifier(epochs=3, random_state=1).fit(X, y)
    assert not np.array_equal(first.predict_proba(digits.X_test),
                              other.predict_proba(digits.X_test))


def test_mlp_training_is_deterministic(breast) -> None:
    first = MLPClassifier(epochs=5).fit(breast.X_fit, breast.y_fit)
    second = MLPClassifier(epochs=5).fit(breast.X_fit, breast.y_fit)
    assert np.array_equal(first.predict_proba(breast.X_test), second.predict_proba(breast.X_test))


def test_torch_global_state_is_left_as_it_was(breast) -> None:
    threads = torch.get_num_threads()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    model = MLPClassifier(epochs=2, n_threads=1).fit(breast.X_fit, breast.y_fit)
    model.predict_proba(breast.X_test)
    assert torch.equal(torch.rand(3), expected)  # the caller's random stream is untouched
    assert torch.get_num_threads() == threads
    assert not torch.are_deterministic_algorithms_enabled()


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_init_only_stores_parameters_and_clone_works(cls) -> None:
    model = cls(epochs=7, random_state=3)
    params = model.get_params()
    assert params["epochs"] == 7 and params["random_state"] == 3
    copy = clone(model)
    assert copy.get_params() == params and copy is not model
    assert not any(name.endswith("_") and not name.startswith("_") for name in vars(model))
    model.set_params(epochs=2)
    assert model.epochs == 2


def test_fit_returns_self_and_learns_state(breast) -> None:
    model = MLPClassifier(epochs=2)
    assert model.fit(breast.X_fit, breast.y_fit) is model
    assert model.classes_.tolist() == [0, 1]
    assert model.n_features_in_ == 30 and model.input_shape_ == (30,)
    assert model.mean_.shape == (30,) and (model.scale_ > 0).all()
    proba = model.predict_proba(breast.X_test)
    assert proba.shape == (len(breast.X_test), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert set(model.predict(breast.X_test)) <= {0, 1}


def test_clone_of_a_fitted_model_is_unfitted(breast_mlp, breast) -> None:
    copy = clone(breast_mlp)
    assert not hasattr(copy, "module_")
    with pytest.raises(InputError, match="not fitted") as error:
        copy.predict_proba(breast.X_test)
    assert error.value.field == "model"


def test_string_labels() -> None:
    X = np.array([[0.0, 1.0], [1.0, 0.0]] * 10)
    y = np.array(["no", "yes"] * 10)
    model = MLPClassifier(hidden=(8,), epochs=30, learning_rate=0.05).fit(X, y)
    assert model.classes_.tolist() == ["no", "yes"]
    assert model.predict(X[:2]).tolist() == ["no", "yes"]


def test_models_learn(breast_mlp, breast, digits_cnn, digits) -> None:
    assert evaluate(breast_mlp, breast.X_test, breast.y_test).accuracy > 0.93
    assert evaluate(digits_cnn, digits.X_test, digits.y_test).accuracy > 0.93


def test_cnn_scales_pixels_itself(digits_cnn) -> None:
    # the digits' 0..16 pixel values are standardized with statistics learned in fit
    assert 3.0 < float(digits_cnn.mean_) < 7.0 and float(digits_cnn.scale_) > 1.0


def test_cnn_accepts_flat_square_and_channel_images(digits_cnn, digits) -> None:
    X = digits.X_test[:20]
    flat = digits_cnn.predict_proba(X)
    assert np.array_equal(flat, digits_cnn.predict_proba(X.reshape(-1, 8, 8)))
    assert np.array_equal(flat, digits_cnn.predict_proba(X.reshape(-1, 1, 8, 8)))
    assert np.array_equal(flat, digits_cnn.predict_proba(torch.from_numpy(X)))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": -1}, "batch_size"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"weight_decay": -1.0}, "weight_decay"),
        ({"random_state": None}, "random_state"),
        ({"n_threads": 0}, "n_threads"),
        ({"hidden": (8, 0)}, "hidden"),
    ],
)
def test_bad_parameters(params, field, breast) -> None:
    with pytest.raises(InputError) as error:
        MLPClassifier(**params).fit(breast.X_fit, breast.y_fit)
    assert error.value.field == field


def test_bad_cnn_shape_parameter(digits) -> None:
    with pytest.raises(InputError, match="channels, height, width") as error:
        CNNClassifier(input_shape=(8, 8)).fit(digits.X_fit, digits.y_fit)
    assert error.value.field == "input_shape"


def _with(X: np.ndarray, row: int, value: float) -> np.ndarray:
    bad = X.astype(np.float64).copy()
    bad[row, 0] = value
    return bad


@pytest.mark.parametrize(
    ("make", "field", "message"),
    [
        (lambda X: _with(X, 3, np.nan), "X[3]", "NaN or infinite"),
        (lambda X: _with(X, 5, np.inf), "X[5]", "NaN or infinite"),
        (lambda X: _with(X, 1, 1e300), "X[1]", "too large"),
        (lambda X: X[:, :10], "X", "shape"),
        (lambda X: X[0], "X", "shape"),
        (lambda X: [*X[:2].tolist(), ["a"] * 30], "X[2]", "not numeric"),
        (lambda X: [*X[:2].tolist(), [1.0] * 29], "X[2]", "shape"),
        (lambda X: "text", "X", "string"),
    ],
)
def test_bad_inputs_to_predict_proba(breast_mlp, breast, make, field, message) -> None:
    with pytest.raises(InputError, match=message) as error:
        breast_mlp.predict_proba(make(breast.X_test[:10]))
    assert error.value.field == field
    assert breast_mlp.predict_proba(breast.X_test[:2]).shape == (2, 2)  # still usable


def test_bad_inputs_to_fit(breast) -> None:
    with pytest.raises(InputError) as error:
        MLPClassifier().fit(_with(breast.X_fit, 7, np.nan), breast.y_fit)
    assert error.value.field == "X[7]"
    with pytest.raises(InputError, match="labels for") as error:
        MLPClassifier().fit(breast.X_fit, breast.y_fit[:-1])
    assert error.value.field == "y"
    with pytest.raises(InputError, match="two classes"):
        MLPClassifier().fit(breast.X_fit, np.zeros(len(breast.X_fit)))
    with pytest.raises(InputError) as error:
        MLPClassifier().fit(breast.X_fit, np.where(np.arange(len(breast.X_fit)) == 4, np.nan, 1.0))
    assert error.value.field == "y[4]"
    with pytest.raises(InputError, match="shape") as error:
        CNNClassifier().fit(np.zeros((10, 7, 7)), np.arange(10) % 2)
    assert error.value.field == "X"
