import numpy as np
import pytest

from ml import check_gradient, numerical_gradient


def test_numerical_gradient_of_a_quadratic():
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    x = np.array([0.5, -1.5])
    np.testing.assert_allclose(numerical_gradient(lambda v: 0.5 * v @ A @ v, x), A @ x, rtol=1e-8)


def test_numerical_gradient_leaves_x_alone():
    x = np.arange(6.0).reshape(2, 3)
    numerical_gradient(lambda v: np.sum(v**2), x)
    np.testing.assert_array_equal(x, np.arange(6.0).reshape(2, 3))


def test_check_gradient_tells_right_from_wrong():
    x = np.random.default_rng(0).normal(size=(4, 3))
    assert check_gradient(lambda v: np.sum(np.sin(v)), x, np.cos(x)) < 1e-8
    assert check_gradient(lambda v: np.sum(np.sin(v)), x, -np.cos(x)) > 0.9
    assert check_gradient(lambda v: 0.0, x, np.zeros_like(x)) == 0.0


def test_check_gradient_rejects_a_gradient_of_the_wrong_shape():
    with pytest.raises(ValueError, match="analytic has shape"):
        check_gradient(lambda v: np.sum(v), np.zeros(3), np.zeros(4))
