import numpy as np
import pytest

from ml import cross_entropy, cross_entropy_gradient, label_binarize
from ml.datasets import blobs
from ml.optim import gradient_descent, random_local_search, random_search

SEARCHES = [random_search, random_local_search]


@pytest.fixture(scope="module")
def problem():
    X, y = blobs(n_samples=300)
    X_b = np.hstack([np.ones((len(X), 1)), X])
    Y = label_binarize(y, 3)

    def loss(W):
        return cross_entropy(X_b @ W, Y)

    def gradient(W):
        return X_b.T @ cross_entropy_gradient(X_b @ W, Y)

    return loss, gradient, (3, 3)


@pytest.mark.parametrize("search", SEARCHES)
def test_search_returns_history_and_best_weights(problem, search):
    loss, _, shape = problem
    losses, W = search(loss, shape, max_iter=200, step_size=0.1, random_state=0, verbose=False)
    assert losses.shape == (200,) and W.shape == shape
    assert float(loss(W)) == pytest.approx(losses.min())


def test_local_search_improves_on_the_random_start(problem):
    loss, _, shape = problem
    losses, _ = random_local_search(
        loss, shape, max_iter=500, step_size=0.1, random_state=0, verbose=False
    )
    assert losses.min() < 0.5 * losses[0]


def test_gradient_descent_follows_the_gradient_down(problem):
    loss, gradient, shape = problem
    losses, W = gradient_descent(
        loss, gradient, shape, max_iter=300, step_size=0.5, random_state=0, verbose=False
    )
    assert np.all(np.diff(losses) <= 1e-12)
    assert losses[-1] < 0.1 and float(loss(W)) == pytest.approx(losses[-1])


@pytest.mark.parametrize("search", SEARCHES)
def test_same_seed_same_search(problem, search):
    loss, _, shape = problem
    first = search(loss, shape, max_iter=50, random_state=3, verbose=False)
    second = search(loss, shape, max_iter=50, random_state=3, verbose=False)
    other = search(loss, shape, max_iter=50, random_state=4, verbose=False)
    np.testing.assert_array_equal(first.losses, second.losses)
    assert not np.array_equal(first.losses, other.losses)


def test_gradient_descent_stops_loudly_when_it_diverges():
    with np.errstate(over="ignore"), pytest.raises(FloatingPointError, match="step_size=10 is"):
        gradient_descent(
            lambda W: np.sum(W**2),
            lambda W: 2 * W,
            (2, 2),
            step_size=10,
            max_iter=10_000,
            verbose=False,
        )


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"max_iter": -1}, ValueError, "max_iter must be an int >= 0"),
        ({"max_iter": 2.5}, TypeError, "max_iter must be an int"),
        ({"step_size": -0.1}, ValueError, "step_size must be a number > 0"),
        ({"step_size": 0}, ValueError, "step_size"),
        ({"random_state": -3}, ValueError, "random_state"),
        ({"random_state": "seed"}, TypeError, "random_state"),
    ],
)
def test_searches_reject_bad_arguments(problem, kwargs, error, match):
    loss, gradient, shape = problem
    for call in (
        lambda: random_search(loss, shape, verbose=False, **kwargs),
        lambda: random_local_search(loss, shape, verbose=False, **kwargs),
        lambda: gradient_descent(loss, gradient, shape, verbose=False, **kwargs),
    ):
        with pytest.raises(error, match=match):
            call()


def test_progress_bar_shows_only_when_verbose(problem, capsys):
    loss, _, shape = problem
    random_search(loss, shape, max_iter=5, verbose=False)
    assert capsys.readouterr().err == ""
    random_search(loss, shape, max_iter=5, verbose=True)
    assert "random search" in capsys.readouterr().err
