"""Every loss of a network's output: value against references, gradient against differences."""

import numpy as np
import pytest
from sklearn.metrics import log_loss, mean_poisson_deviance, mean_squared_error

import ml.functional as F
from ml import check_gradient, nn

RNG = np.random.default_rng(0)
LOGITS = RNG.normal(size=(6, 4)) * 2
ONE_HOT = np.eye(4)[[0, 1, 2, 3, 1, 2]]
BINARY = RNG.integers(0, 2, size=(6, 4)).astype(float)
TARGETS = RNG.normal(size=(6, 4))
COUNTS = RNG.poisson(2.0, size=(6, 4)).astype(float)
WEIGHTS = RNG.uniform(0.1, 3, size=6)

CASES = {
    "cross_entropy": (F.cross_entropy, F.cross_entropy_gradient, ONE_HOT),
    "binary_cross_entropy": (F.binary_cross_entropy, F.binary_cross_entropy_gradient, BINARY),
    "squared_error": (F.squared_error, F.squared_error_gradient, TARGETS),
    "poisson_loss": (F.poisson_loss, F.poisson_loss_gradient, COUNTS),
    "multiclass_hinge": (F.multiclass_hinge, F.multiclass_hinge_gradient, ONE_HOT),
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("weighted", [False, True])
def test_loss_gradients(name, weighted):
    loss, gradient, Y = CASES[name]
    w = WEIGHTS if weighted else None
    analytic = gradient(LOGITS, Y, sample_weight=w)
    assert check_gradient(lambda f: loss(f, Y, sample_weight=w), LOGITS, analytic) < 1e-6


@pytest.mark.parametrize("name", CASES)
def test_weights_are_a_weighted_mean_of_per_sample_losses(name):
    loss, _, Y = CASES[name]
    per_sample = [float(loss(LOGITS[i : i + 1], Y[i : i + 1])) for i in range(6)]
    assert float(loss(LOGITS, Y)) == pytest.approx(np.mean(per_sample))
    weighted = float(loss(LOGITS, Y, sample_weight=WEIGHTS))
    assert weighted == pytest.approx(np.average(per_sample, weights=WEIGHTS))


def test_loss_values_match_scikit_learn():
    probs = 1 / (1 + np.exp(-LOGITS[:, :1]))
    expected = log_loss(BINARY[:, 0], probs[:, 0])
    assert float(F.binary_cross_entropy(LOGITS[:, :1], BINARY[:, :1])) == pytest.approx(expected)
    assert float(F.squared_error(LOGITS[:, :1], TARGETS[:, :1])) == pytest.approx(
        mean_squared_error(TARGETS[:, 0], LOGITS[:, 0]) / 2
    )
    deviance = mean_poisson_deviance(COUNTS[:, 0], np.exp(LOGITS[:, 0]))
    assert float(F.poisson_loss(LOGITS[:, :1], COUNTS[:, :1])) == pytest.approx(deviance / 2)


def test_losses_are_stable_for_huge_logits():
    f = np.array([[1e4, -1e4]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        assert np.isfinite(F.binary_cross_entropy(f, np.array([[0.0, 1.0]])))
        assert np.isfinite(F.binary_cross_entropy_gradient(f, np.array([[0.0, 1.0]]))).all()
        assert float(F.cross_entropy(f, np.array([[0.0, 1.0]]))) == pytest.approx(2e4)


def test_hinge_is_the_lectures_svm_loss():
    f = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])  # cs231n's example
    Y = np.eye(3)
    per_sample = [2.9, 0.0, 12.9]
    assert float(F.multiclass_hinge(f, Y)) == pytest.approx(np.mean(per_sample))


def test_l2_penalty_and_its_gradient():
    weights = [RNG.normal(size=(3, 2)), RNG.normal(size=(2, 1))]
    expected = 0.5 * 0.3 * sum(np.sum(W**2) for W in weights)
    assert F.l2_penalty(weights, 0.3) == pytest.approx(expected)
    W = weights[0]
    assert check_gradient(lambda V: F.l2_penalty([V], 0.3), W, 0.3 * W) < 1e-8


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"sample_weight": np.ones(5)}, "sample_weight must have shape \\(6,\\)"),
        ({"sample_weight": -np.ones(6)}, "non-negative"),
    ],
)
def test_losses_reject_bad_weights(kwargs, match):
    with pytest.raises(ValueError, match=match):
        F.cross_entropy(LOGITS, ONE_HOT, **kwargs)


@pytest.mark.parametrize(
    "name", ["log_loss", "binary_log_loss", "squared_error", "poisson", "hinge"]
)
def test_loss_layers_wrap_the_functions(name):
    layer = nn.losses.LOSSES[name]()
    function, gradient, Y = CASES[layer.function.__name__]
    assert layer(LOGITS, Y) == pytest.approx(float(function(LOGITS, Y)))
    np.testing.assert_allclose(layer.backward(), gradient(LOGITS, Y))


def test_losses_match_pytorch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    f, labels = torch.tensor(LOGITS), torch.tensor(ONE_HOT.argmax(1))
    assert float(F.cross_entropy(LOGITS, ONE_HOT)) == pytest.approx(
        float(tf.cross_entropy(f, labels))
    )
    bce = tf.binary_cross_entropy_with_logits(f, torch.tensor(BINARY), reduction="sum") / 6
    assert float(F.binary_cross_entropy(LOGITS, BINARY)) == pytest.approx(float(bce))
    mse = tf.mse_loss(f, torch.tensor(TARGETS))
    assert float(F.squared_error(LOGITS, TARGETS)) == pytest.approx(float(mse) / 2)
    # torch averages the multi-class margin loss over the classes too
    margin = tf.multi_margin_loss(f, labels) * 4
    assert float(F.multiclass_hinge(LOGITS, ONE_HOT)) == pytest.approx(float(margin))
