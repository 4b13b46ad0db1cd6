import numpy as np
import pytest

from ml.train import minibatches, train


def test_minibatches_cover_every_sample_once():
    batches = list(minibatches(10, 4, np.random.default_rng(0)))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches)) == list(range(10))
    assert not np.array_equal(np.concatenate(batches), np.arange(10))
    np.testing.assert_array_equal(np.concatenate(list(minibatches(5, 2))), np.arange(5))


def _mean_problem():
    """Fit a single number w to the mean of y by SGD on 0.5 (w - y)^2."""
    y = np.linspace(0, 2, 50)[:, None]
    w = np.zeros(1)

    def step(X_batch, y_batch):
        w[:] -= 0.1 * np.mean(w - y_batch)
        return 0.5 * np.mean((w - y_batch) ** 2)

    return step, y, w


def test_train_runs_epochs_and_records_the_loss():
    step, y, w = _mean_problem()
    result = train(step, y, y, max_iter=5, batch_size=10, random_state=0, n_iter_no_change=100)
    assert result.n_iter == 5 and len(result.loss_curve) == 5 and not result.converged
    assert result.loss_curve[-1] < result.loss_curve[0]


def test_train_stops_when_the_loss_stops_improving():
    step, y, w = _mean_problem()
    result = train(step, y, y, max_iter=1000, batch_size=50, tol=1e-6, n_iter_no_change=3)
    assert result.converged and result.n_iter < 1000
    assert w[0] == pytest.approx(1.0, abs=1e-2)


def test_train_raises_on_a_nan_loss():
    with pytest.raises(FloatingPointError, match="learning rate is probably too large"):
        train(lambda X, Y: np.nan, np.zeros((4, 1)), np.zeros((4, 1)), max_iter=3, batch_size=2)
