import warnings

import array_api_strict
import numpy as np
import pytest
import scipy.special
from sklearn.metrics import log_loss

import ml.functional as F
from ml import check_gradient

NAMESPACES = [pytest.param(np, id="numpy"), pytest.param(array_api_strict, id="array_api_strict")]
ACTIVATION_NAMES = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "softplus"]


def _np(x):
    return np.asarray(x.tolist() if hasattr(x, "tolist") and not isinstance(x, np.ndarray) else x)


@pytest.fixture
def logits():
    return np.random.default_rng(0).normal(size=(7, 4)) * 3


@pytest.fixture
def Y():
    return np.eye(4)[np.random.default_rng(1).integers(0, 4, 7)]


@pytest.mark.parametrize("xp", NAMESPACES)
def test_softmax_rows_are_distributions(xp, logits):
    probs = F.softmax(xp.asarray(logits))
    assert type(probs) is type(xp.asarray(logits))
    np.testing.assert_allclose(_np(probs), scipy.special.softmax(logits, axis=1), rtol=1e-12)
    np.testing.assert_allclose(
        _np(F.log_softmax(xp.asarray(logits))),
        scipy.special.log_softmax(logits, axis=1),
        rtol=1e-12,
    )


@pytest.mark.parametrize("xp", NAMESPACES)
def test_softmax_is_stable_for_huge_logits(xp):
    f = xp.asarray([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, 1e4]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        probs, log_probs = _np(F.softmax(f)), _np(F.log_softmax(f))
        loss = float(F.cross_entropy(f, xp.asarray(np.eye(3)[[1, 0, 2]])))
    assert np.isfinite(probs).all() and np.isfinite(log_probs).all() and np.isfinite(loss)
    np.testing.assert_allclose(probs, [[1, 0, 0], [1 / 3] * 3, [1 / 3] * 3])
    np.testing.assert_allclose(log_probs[0], [0, -2e4, -1e4])
    assert loss == pytest.approx((2e4 + np.log(3) + np.log(3)) / 3)


@pytest.mark.parametrize("xp", NAMESPACES)
def test_cross_entropy_is_log_loss_in_nats_and_bits(xp, logits, Y):
    expected = log_loss(Y.argmax(1), scipy.special.softmax(logits, axis=1), labels=range(4))
    assert float(F.cross_entropy(xp.asarray(logits), xp.asarray(Y))) == pytest.approx(expected)
    bits = float(F.cross_entropy(xp.asarray(logits), xp.asarray(Y), base=2))
    assert bits == pytest.approx(expected / np.log(2))


@pytest.mark.parametrize("base", [None, 2])
def test_cross_entropy_gradient_is_p_minus_y_over_n(logits, Y, base):
    grad = F.cross_entropy_gradient(logits, Y, base=base)
    scale = 1 if base is None else np.log(base)
    np.testing.assert_allclose(grad, (scipy.special.softmax(logits, axis=1) - Y) / 7 / scale)
    error = check_gradient(lambda f: F.cross_entropy(f, Y, base=base), logits, grad)
    assert error < 1e-6


def test_cross_entropy_gradient_on_array_api_strict(logits, Y):
    grad = F.cross_entropy_gradient(array_api_strict.asarray(logits), array_api_strict.asarray(Y))
    np.testing.assert_allclose(_np(grad), F.cross_entropy_gradient(logits, Y))


def test_cross_entropy_rejects_mismatched_shapes_and_bad_base(logits, Y):
    with pytest.raises(ValueError, match="logits and Y"):
        F.cross_entropy(logits, Y[:, :3])
    with pytest.raises(ValueError, match="base"):
        F.cross_entropy(logits, Y, base=1)


@pytest.mark.parametrize("xp", NAMESPACES)
def test_label_binarize_and_one_hot(xp):
    labels = xp.asarray([0, 1, 1, 0])
    np.testing.assert_array_equal(
        _np(F.label_binarize(labels, 2)), [[1, 0], [0, 1], [0, 1], [1, 0]]
    )
    np.testing.assert_array_equal(_np(F.one_hot(xp.asarray([2, 0]))), [[0, 0, 1], [1, 0, 0]])
    as_float = F.one_hot(xp.asarray([1]), 3, dtype=xp.float32)
    assert as_float.dtype == xp.float32
    np.testing.assert_array_equal(_np(as_float), [[0, 1, 0]])


@pytest.mark.parametrize(
    "labels, n_classes, match",
    [
        ([0, 3], 3, "n_classes"),
        ([0, 1], 0, "n_classes"),
        ([0, -1], 2, "non-negative"),
        ([0.5, 1.0], 2, "integers"),
        ([[0, 1]], 2, "1-d"),
    ],
)
def test_label_binarize_rejects_bad_labels(labels, n_classes, match):
    with pytest.raises(ValueError, match=match):
        F.label_binarize(np.asarray(labels), n_classes)


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_activation_derivatives_pass_the_gradient_check(name):
    activation = F.get_activation(name)
    x = np.random.default_rng(2).normal(size=(5, 3)) * 3
    weights = np.random.default_rng(3).normal(size=x.shape)
    # d/dx sum(w * g(x)) = w * g'(x) checks every element's derivative at once
    error = check_gradient(
        lambda z: np.sum(weights * activation.function(z)), x, weights * activation.gradient(x)
    )
    assert error < 1e-6


@pytest.mark.parametrize("xp", NAMESPACES)
@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_activations_are_finite_without_warnings_at_1e4(xp, name):
    activation = F.get_activation(name)
    x = xp.asarray([-1e4, -30.0, 0.0, 30.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values, slopes = _np(activation.function(x)), _np(activation.gradient(x))
    assert np.isfinite(values).all() and np.isfinite(slopes).all()


def test_activation_values():
    x = np.array([-1e4, -1.0, 0.0, 2.0, 1e4])
    np.testing.assert_allclose(F.sigmoid(x), scipy.special.expit(x))
    np.testing.assert_allclose(F.softplus(x), np.logaddexp(0, x))
    np.testing.assert_allclose(F.relu(x), np.maximum(x, 0))
    np.testing.assert_allclose(F.leaky_relu(x, 0.1), np.where(x > 0, x, 0.1 * x))
    np.testing.assert_allclose(F.tanh(x), np.tanh(x))
    np.testing.assert_array_equal(F.relu_gradient(x), [0, 0, 0, 1, 1])
    assert F.sigmoid(np.array([-40.0]))[0] == pytest.approx(scipy.special.expit(-40.0), rel=1e-12)


def test_activation_registry():
    assert F.get_activation("logistic") is F.ACTIVATIONS["sigmoid"]
    assert F.get_activation("linear").function is F.identity
    assert set(F.ACTIVATIONS) == set(ACTIVATION_NAMES)
    with pytest.raises(ValueError, match="activation must be one of"):
        F.get_activation("swish")
