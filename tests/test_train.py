import copy
import pickle

import numpy as np
import pytest

from ml.optim import SGD, Adam, make_schedule
from ml.train import Callback, Trainer, minibatches, train


def test_minibatches_cover_every_sample_once():
    batches = list(minibatches(10, 4, np.random.default_rng(0)))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches)) == list(range(10))
    assert not np.array_equal(np.concatenate(batches), np.arange(10))
    in_order = [np.arange(5)[index] for index in minibatches(5, 2)]  # slices, in order
    np.testing.assert_array_equal(np.concatenate(in_order), np.arange(5))


class MeanProblem:
    """Fit a number w to the mean of y by SGD on 0.5 (w - y)^2."""

    def __init__(self, learning_rate=0.1):
        self.y = np.linspace(0, 2, 50)[:, None]
        self.w = np.zeros(1)
        self.optimizer = SGD(learning_rate)

    def loss_and_gradients(self, X_batch, y_batch, weight):
        loss = 0.5 * np.mean((self.w - y_batch) ** 2)
        return loss, [np.mean(self.w - y_batch, keepdims=True)[0]]

    def fit(self, loss_and_gradients=None, **options):
        defaults = dict(max_iter=20, batch_size=10, random_state=0)
        return train(
            loss_and_gradients or self.loss_and_gradients,
            [self.w],
            self.optimizer,
            self.y,
            self.y,
            **{**defaults, **options},
        )


def test_train_runs_epochs_and_records_the_history():
    problem = MeanProblem()
    history = problem.fit(max_iter=5, n_iter_no_change=100)
    assert history.n_iter == 5 and len(history.loss) == 5 and history.stop == "max_iter"
    assert history.loss[-1] < history.loss[0]
    assert history.learning_rate == [0.1] * 5 and history.samples_seen == 250


def _runs(trainer, problem, *epochs):
    for max_iter in epochs:
        history = trainer.minibatch(
            problem.loss_and_gradients,
            [problem.w],
            problem.y,
            problem.y,
            max_iter=max_iter,
            batch_size=10,
            n_iter_no_change=100,
        )
    return history


def test_a_trainers_history_carries_over_from_run_to_run():
    problem = MeanProblem()
    trainer = Trainer(problem.optimizer, random_state=0)
    history = _runs(trainer, problem, 3, 2)
    assert history is trainer.history and history.n_iter == 2 and len(history.loss) == 5
    assert history.samples_seen == 250 and history.best_loss == min(history.loss)


def test_the_trainers_state_dict_is_all_it_holds():
    problem = MeanProblem()
    optimizer = Adam(0.1)
    trainer = Trainer(optimizer, make_schedule("step", optimizer, step_size=2), random_state=3)
    _runs(trainer, problem, 3)
    state = copy.deepcopy(trainer.state_dict())
    w = problem.w.copy()
    _runs(trainer, problem, 2)
    other_optimizer = Adam(0.1)
    other = Trainer(other_optimizer, make_schedule("step", other_optimizer, step_size=2))
    other.load_state_dict(state)
    problem.w[...] = w
    _runs(other, problem, 2)
    assert other.history.loss == trainer.history.loss
    assert other.optimizer.learning_rate == trainer.optimizer.learning_rate == pytest.approx(0.01)
    assert pickle.loads(pickle.dumps(other)).state_dict()["history"] == vars(other.history)
    with pytest.raises(ValueError, match="the state has a schedule, but this trainer has none"):
        Trainer(Adam(0.1)).load_state_dict(state)
    with pytest.raises(ValueError, match="schedule must be built on"):
        Trainer(Adam(0.1), make_schedule("constant", Adam(0.1)))


def test_the_learning_rate_is_held_once_by_the_optimizer():
    optimizer = SGD(0.5)
    schedule = make_schedule("adaptive", optimizer)
    trainer = Trainer(optimizer, schedule)
    assert not any("learning_rate" == name for name in vars(schedule))
    schedule.plateau()
    assert trainer.learning_rate == optimizer.learning_rate == 0.1


def test_ctrl_c_in_the_first_lbfgs_iteration_keeps_the_start_with_a_warning():
    w = np.array([3.0])

    def loss_and_gradients():
        raise KeyboardInterrupt

    with pytest.warns(UserWarning, match="interrupted by Ctrl-C"):
        history = Trainer().lbfgs(loss_and_gradients, [w], max_iter=10)
    assert history.stop == "interrupted" and w[0] == 3.0


def test_both_solvers_share_the_callback_lifecycle():
    calls = []

    class Recorder(Callback):
        def on_train_begin(self, model):
            calls.append("begin")

        def on_epoch_end(self, model, epoch, history):
            calls.append(epoch)

        def on_train_end(self, model, history):
            calls.append("end")

    problem = MeanProblem()
    Trainer(problem.optimizer).minibatch(
        problem.loss_and_gradients,
        [problem.w],
        problem.y,
        problem.y,
        max_iter=2,
        batch_size=25,
        callbacks=[Recorder()],
    )
    w = np.array([3.0])
    Trainer().lbfgs(
        lambda: (0.5 * float(w[0] ** 2), [w.copy()]), [w], max_iter=50, callbacks=[Recorder()]
    )
    assert calls[:4] == ["begin", 1, 2, "end"] and calls[4] == "begin" and calls[-1] == "end"
    assert abs(w[0]) < 1e-6


def test_train_stops_when_the_loss_stops_improving():
    problem = MeanProblem()
    history = problem.fit(max_iter=1000, batch_size=50, tol=1e-6, n_iter_no_change=3)
    assert history.stop == "converged" and history.n_iter < 1000
    assert history.no_improvement_count == 4
    assert problem.w[0] == pytest.approx(1.0, abs=1e-2)


def test_adaptive_schedule_lowers_the_rate_instead_of_stopping():
    problem = MeanProblem(learning_rate=0.5)
    schedule = make_schedule("adaptive", problem.optimizer)
    history = problem.fit(max_iter=200, tol=1e-3, n_iter_no_change=2, schedule=schedule)
    rates = history.learning_rate
    assert rates[0] == 0.5 and min(rates) < 0.5 / 5 and history.stop == "converged"


def test_early_stopping_on_a_validation_score_restores_the_best_weights():
    problem = MeanProblem()
    scores = iter([0.1, 0.5, 0.3, 0.2, 0.2, 0.1])
    weights_at_best = []

    def validate():
        score = next(scores)
        if score == 0.5:
            weights_at_best.append(problem.w.copy())
        return 1 - score, score

    history = problem.fit(validate=validate, n_iter_no_change=3, tol=0.0)
    assert history.n_iter == 6 and history.stop == "converged" and history.best_score == 0.5
    assert history.val_score == [0.1, 0.5, 0.3, 0.2, 0.2, 0.1]
    assert history.val_loss == pytest.approx([0.9, 0.5, 0.7, 0.8, 0.8, 0.9])
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

    history = MeanProblem().fit(callbacks=[Recorder()], model="the model", batch_size=25)
    assert history.n_iter == 2 and history.stop == "converged"
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

    def loss_and_gradients(X, y, weight):
        calls.append(1)
        if len(calls) > 7:
            return np.nan, [np.full(1, np.nan)]
        return 1.0, [-np.ones(1) / problem.optimizer.learning_rate]  # a step of +1

    with pytest.raises(FloatingPointError, match="learning rate is probably too large"):
        problem.fit(loss_and_gradients, max_iter=5, shuffle=False)
    assert problem.w[0] == 5.0  # the weights at the start of epoch 2, after 5 finite steps


def test_ctrl_c_stops_cleanly_with_the_best_weights():
    problem = MeanProblem()
    calls = []

    def loss_and_gradients(X, y, weight):
        calls.append(1)
        if len(calls) == 13:
            raise KeyboardInterrupt
        return problem.loss_and_gradients(X, y, weight)

    with pytest.warns(UserWarning, match="interrupted by Ctrl-C in epoch 3"):
        history = problem.fit(loss_and_gradients, max_iter=10)
    assert history.stop == "interrupted" and history.n_iter == 2
    best = MeanProblem()
    best.fit(max_iter=2)
    np.testing.assert_array_equal(problem.w, best.w)


def test_the_optimizer_is_handed_the_parameters_every_step_and_keeps_none():
    problem = MeanProblem()
    problem.fit(max_iter=2)
    state = problem.optimizer.state_dict()
    assert state["t"] == 10 and all(p is not problem.w for s in state["state"] for p in s.values())
