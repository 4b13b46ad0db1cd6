import numpy as np
import pytest

from ml.optim import SGD, make_schedule
from ml.train import Callback, minibatches, train


def test_minibatches_cover_every_sample_once():
    batches = list(minibatches(10, 4, np.random.default_rng(0)))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches)) == list(range(10))
    assert not np.array_equal(np.concatenate(batches), np.arange(10))
    np.testing.assert_array_equal(np.concatenate(list(minibatches(5, 2))), np.arange(5))


class MeanProblem:
    """Fit a number w to the mean of y by SGD on 0.5 (w - y)^2."""

    def __init__(self, learning_rate=0.1):
        self.y = np.linspace(0, 2, 50)[:, None]
        self.w = np.zeros(1)
        self.optimizer = SGD(learning_rate)

    def step(self, X_batch, y_batch, weight):
        self.optimizer.step([self.w], [np.mean(self.w - y_batch, keepdims=True)[0]])
        return 0.5 * np.mean((self.w - y_batch) ** 2)

    def fit(self, **options):
        defaults = dict(
            params=[self.w], max_iter=20, batch_size=10, random_state=0, optimizer=self.optimizer
        )
        return train(self.step, self.y, self.y, **{**defaults, **options})


def test_train_runs_epochs_and_records_the_history():
    problem = MeanProblem()
    result = problem.fit(max_iter=5, n_iter_no_change=100)
    assert result.n_iter == 5 and len(result.history.loss) == 5 and not result.converged
    assert result.history.loss[-1] < result.history.loss[0]
    assert result.history.learning_rate == [0.1] * 5 and result.samples_seen == 250


def test_train_stops_when_the_loss_stops_improving():
    problem = MeanProblem()
    result = problem.fit(max_iter=1000, batch_size=50, tol=1e-6, n_iter_no_change=3)
    assert result.converged and result.n_iter < 1000
    assert problem.w[0] == pytest.approx(1.0, abs=1e-2)


def test_adaptive_schedule_lowers_the_rate_instead_of_stopping():
    problem = MeanProblem(learning_rate=0.5)
    schedule = make_schedule("adaptive", 0.5)
    result = problem.fit(max_iter=200, tol=1e-3, n_iter_no_change=2, schedule=schedule)
    rates = result.history.learning_rate
    assert rates[0] == 0.5 and min(rates) < 0.5 / 5 and result.converged


def test_early_stopping_on_a_validation_score_restores_the_best_weights():
    problem = MeanProblem()
    scores = iter([0.1, 0.5, 0.3, 0.2, 0.2, 0.1])
    weights_at_best = []

    def validate():
        score = next(scores)
        if score == 0.5:
            weights_at_best.append(problem.w.copy())
        return 1 - score, score

    result = problem.fit(validate=validate, n_iter_no_change=3, tol=0.0)
    assert result.n_iter == 6 and result.converged and result.best_score == 0.5
    assert result.history.val_score == [0.1, 0.5, 0.3, 0.2, 0.2, 0.1]
    assert result.history.val_loss == pytest.approx([0.9, 0.5, 0.7, 0.8, 0.8, 0.9])
    np.testing.assert_array_equal(problem.w, weights_at_best[0])


def test_callbacks_see_every_event_and_can_stop_training():
    events = []

    class Recorder(Callback):
        def on_train_begin(self, model):
            events.append(("begin", model))

        def on_epoch_begin(self, model, epoch):
            events.append(("epoch", epoch))

        def on_batch_end(self, model, batch, loss):
            events.append(("batch", batch))

        def on_epoch_end(self, model, epoch, history):
            events.append(("end", len(history.loss)))
            return epoch == 2

        def on_train_end(self, model, history):
            events.append(("done", len(history.loss)))

    result = MeanProblem().fit(callbacks=[Recorder()], model="the model", batch_size=25)
    assert result.n_iter == 2 and result.converged
    assert events == [
        ("begin", "the model"),
        ("epoch", 1),
        ("batch", 0),
        ("batch", 1),
        ("end", 1),
        ("epoch", 2),
        ("batch", 0),
        ("batch", 1),
        ("end", 2),
        ("done", 2),
    ]


def test_a_nan_loss_raises_and_keeps_the_last_finite_weights():
    problem = MeanProblem()
    calls = []

    def step(X, y, weight):
        calls.append(1)
        problem.w[:] = np.nan if len(calls) > 7 else problem.w + 1
        return np.nan if len(calls) > 7 else 1.0

    with pytest.raises(FloatingPointError, match="learning rate is probably too large"):
        train(
            step,
            problem.y,
            problem.y,
            params=[problem.w],
            max_iter=5,
            batch_size=10,
            optimizer=problem.optimizer,
        )
    assert problem.w[0] == 5.0  # the weights at the start of epoch 2, after 5 finite steps


def test_ctrl_c_stops_cleanly_with_the_best_weights():
    problem = MeanProblem()
    calls = []

    def step(X, y, weight):
        calls.append(1)
        if len(calls) == 13:
            raise KeyboardInterrupt
        return problem.step(X, y, weight)

    with pytest.warns(UserWarning, match="interrupted by Ctrl-C in epoch 3"):
        result = train(
            step,
            problem.y,
            problem.y,
            params=[problem.w],
            max_iter=10,
            batch_size=10,
            optimizer=problem.optimizer,
            random_state=0,
        )
    assert result.interrupted and result.n_iter == 2
    best = MeanProblem()
    best.fit(max_iter=2)
    np.testing.assert_array_equal(problem.w, best.w)
