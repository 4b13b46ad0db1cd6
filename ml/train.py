"""The minibatch training loop, which owns the update: epochs of shuffled minibatches, the
optimizer's step, history, stopping rules, callbacks.

The loop knows nothing about the model. ``loss_and_gradients(X_batch, Y_batch, w_batch)`` returns
the loss of a batch and the gradient of each array of ``params``; the loop hands both to the
optimizer, which updates ``params`` in place. Everything that training leaves behind is one
:class:`History`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from ml._errors import DivergenceError
from ml._progress import progress
from ml._validation import check_number, check_option
from ml.backend import check_random_state, copy, permutation, take_rows

__all__ = ["Callback", "History", "as_callbacks", "minibatches", "train"]


class Callback:
    """Hooks into training; override any of them. ``model`` is the estimator being trained.

    ``on_epoch_end`` may return True to stop training (the stop counts as converged).
    """

    def on_train_begin(self, model) -> None: ...

    def on_epoch_begin(self, model, epoch: int) -> None: ...

    def on_batch_end(self, model, batch: int, loss: float) -> None: ...

    def on_epoch_end(self, model, epoch: int, history: History) -> bool | None: ...

    def on_train_end(self, model, history: History) -> None: ...


class _FunctionCallback(Callback):
    """A plain function ``f(model, epoch, history)`` used as ``on_epoch_end``."""

    def __init__(self, function):
        self.function = function

    def on_epoch_end(self, model, epoch, history):
        return self.function(model, epoch, history)


def as_callbacks(callbacks) -> list[Callback]:
    """``Callback`` objects as they are, and functions ``f(model, epoch, history)`` as
    callbacks whose ``on_epoch_end`` they are."""
    return [c if isinstance(c, Callback) else _FunctionCallback(c) for c in callbacks]


@dataclass
class History:
    """What training did, epoch by epoch, over every run since the weights were initialised.

    ``loss``, ``learning_rate`` and, when validating, ``val_loss`` and ``val_score`` hold one
    value per epoch. ``samples_seen`` counts the training samples of all epochs, ``n_iter`` the
    epochs of the last run, ``no_improvement_count`` the epochs in a row that did not improve
    (it carries over from run to run, as scikit-learn's does) and ``stop`` says why the last run
    ended: "max_iter", "converged" (a stopping rule or a callback), or "interrupted" (Ctrl-C).
    """

    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_score: list[float] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)
    samples_seen: int = 0
    n_iter: int = 0
    no_improvement_count: int = 0
    stop: str = "max_iter"

    @classmethod
    def from_state(cls, state) -> History:
        """A History from ``vars(history)`` as a model file stores it, every field checked."""
        if not isinstance(state, dict) or not set(state) <= set(cls.__dataclass_fields__):
            raise ValueError(f"a history needs the fields {sorted(cls.__dataclass_fields__)}.")
        history = cls(**state)
        for name in ("loss", "val_loss", "val_score", "learning_rate"):
            values = getattr(history, name)
            if not isinstance(values, list) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in values
            ):
                raise ValueError(f"history.{name} must be a list of numbers.")
        for name in ("samples_seen", "n_iter", "no_improvement_count"):
            check_number(f"history.{name}", getattr(history, name), integer=True, low=0)
        check_option("history.stop", history.stop, ("max_iter", "converged", "interrupted"))
        return history

    @property
    def best_loss(self) -> float:
        """The lowest training loss so far (infinity before the first epoch)."""
        return min(self.loss, default=np.inf)

    @property
    def best_score(self) -> float:
        """The highest validation score so far (minus infinity before the first)."""
        return max(self.val_score, default=-np.inf)

    def append(self, loss, val_loss, val_score, learning_rate, n_samples, tol) -> bool:
        """Record one epoch and apply scikit-learn's stopping rule to it: the epoch improves when
        its validation score (or, without validation, its loss) beats the best so far by more
        than ``tol``. Returns True when the epoch is the best so far."""
        if val_score is None:
            improved, stale = loss < self.best_loss, loss > self.best_loss - tol
        else:
            improved, stale = val_score > self.best_score, val_score < self.best_score + tol
            self.val_loss.append(val_loss)
            self.val_score.append(val_score)
        self.no_improvement_count = self.no_improvement_count + 1 if stale else 0
        self.loss.append(loss)
        self.learning_rate.append(learning_rate)
        self.samples_seen += n_samples
        self.n_iter += 1
        return improved


def minibatches(n_samples: int, batch_size: int, rng=None, like=None) -> Iterator:
    """Yield indices that cover ``range(n_samples)`` once, ``batch_size`` at a time.

    The order is a fresh permutation from ``rng`` when it is given (an index array on the device
    of the array ``like``, NumPy's by default), else ``0, 1, 2, ...`` (slices).
    """
    check_number("batch_size", batch_size, integer=True, low=1)
    if rng is None:
        for start in range(0, n_samples, batch_size):
            yield slice(start, min(start + batch_size, n_samples))
        return
    order = permutation(rng, n_samples, like=np.empty(0) if like is None else like)
    for start in range(0, n_samples, batch_size):
        yield order[start : min(start + batch_size, n_samples)]


def train(
    loss_and_gradients: Callable,
    params: Sequence[np.ndarray],
    optimizer,
    X,
    Y,
    *,
    max_iter: int,
    batch_size: int,
    sample_weight=None,
    shuffle: bool = True,
    random_state=None,
    tol: float = 1e-4,
    n_iter_no_change: float = 10,
    validate: Callable[[], tuple[float, float]] | None = None,
    schedule=None,
    history: History | None = None,
    callbacks: Sequence[Callback] = (),
    model=None,
    verbose: bool = False,
    desc: str = "training",
) -> History:
    """Run up to ``max_iter`` epochs of minibatch updates of ``params``; return the history.

    Each batch: ``loss, grads = loss_and_gradients(X_batch, Y_batch, w_batch)``, then
    ``optimizer.step(params, grads)``. ``X`` may be a sparse matrix: each batch is made dense on
    its own, never the whole ``X``. A ``history`` from an earlier run is continued (warm start,
    ``partial_fit``): its losses, scores and stopping count carry over.

    Stopping follows scikit-learn's ``MLPClassifier`` (see :meth:`History.append`): after more
    than ``n_iter_no_change`` epochs without improvement the ``schedule`` may lower the learning
    rate and go on ("adaptive"); otherwise training stops. With ``validate()`` (which returns the
    validation loss and score) the weights of the best validation score are restored at the end.

    Ctrl-C stops training with a warning and the best weights so far in ``params``. A NaN or
    infinite loss restores the weights of the start of that epoch and raises ``ml.DivergenceError``
    (a FloatingPointError and a ValueError).
    """
    check_number("max_iter", max_iter, integer=True, low=0)
    rng = check_random_state(random_state) if shuffle else None
    history = History() if history is None else history
    history.n_iter, history.stop = 0, "max_iter"
    best_params = last_finite = None
    for callback in callbacks:
        callback.on_train_begin(model)
    epochs = progress(range(1, max_iter + 1), verbose=verbose, desc=desc, unit="epoch")
    epoch = 0
    try:
        for epoch in epochs:
            last_finite = [copy(p) for p in params]
            for callback in callbacks:
                callback.on_epoch_begin(model, epoch)
            batches = _batches(X, Y, sample_weight, batch_size, rng)
            loss = _run_epoch(loss_and_gradients, params, optimizer, batches, callbacks, model)
            if not np.isfinite(loss):
                _restore(params, last_finite)
                raise DivergenceError(divergence_message(loss, f"epoch {epoch}", optimizer))
            val_loss, val_score = validate() if validate is not None else (None, None)
            rate = getattr(optimizer, "learning_rate", np.nan)
            if history.append(loss, val_loss, val_score, rate, X.shape[0], tol):
                best_params = [copy(p) for p in params]
            epochs.set_postfix(_postfix(history), refresh=False)
            if schedule is not None:
                optimizer.learning_rate = schedule.epoch_end(epoch, history.samples_seen)
            stop = any([bool(c.on_epoch_end(model, epoch, history)) for c in callbacks])
            if history.no_improvement_count > n_iter_no_change:
                if schedule is not None and schedule.plateau():  # "adaptive": a lower rate
                    optimizer.learning_rate = schedule.learning_rate
                    history.no_improvement_count = 0
                else:
                    stop = True
            if stop:
                history.stop = "converged"
                break
    except KeyboardInterrupt:
        history.stop = "interrupted"
        if best_params is not None or last_finite is not None:
            _restore(params, best_params if best_params is not None else last_finite)
        warnings.warn(
            f"Training interrupted by Ctrl-C in epoch {epoch}; the best weights so far are kept.",
            UserWarning,
            stacklevel=2,
        )
    if validate is not None and best_params is not None:
        _restore(params, best_params)
    for callback in callbacks:
        callback.on_train_end(model, history)
    return history


def _batches(X, Y, sample_weight, batch_size, rng):
    """``(X_batch, Y_batch, w_batch)`` for each minibatch; sparse rows are made dense here."""
    like = Y  # the index arrays live where the targets (and a dense X) live
    for index in minibatches(X.shape[0], batch_size, rng, like):
        w = None if sample_weight is None else take_rows(sample_weight, index)
        yield take_rows(X, index), take_rows(Y, index), w


def _run_epoch(loss_and_gradients, params, optimizer, batches, callbacks, model) -> float:
    """One pass over the data; returns the mean of the batch losses, weighted by batch size.

    The losses are added up where they are computed (on the GPU, say) and become a number once,
    at the end of the epoch, unless a callback wants each; a non-finite loss then stops it.
    """
    total, n, per_batch = 0.0, 0, any(_overrides(c, "on_batch_end") for c in callbacks)
    for i, (X_batch, Y_batch, w_batch) in enumerate(batches):
        loss, grads = loss_and_gradients(X_batch, Y_batch, w_batch)
        if per_batch:
            loss = float(loss)
            if not np.isfinite(loss):
                return loss
        optimizer.step(params, grads)
        total, n = total + loss * X_batch.shape[0], n + X_batch.shape[0]
        for callback in callbacks if per_batch else ():
            callback.on_batch_end(model, i, loss)
    return float(total) / n


def _overrides(callback, hook: str) -> bool:
    return getattr(type(callback), hook, None) is not getattr(Callback, hook)


def _restore(params, saved):
    for param, value in zip(params, saved, strict=True):
        param[...] = value


def _postfix(history: History) -> dict[str, str]:
    shown = {"loss": f"{history.loss[-1]:.4g}"}
    if history.val_score:
        shown["val_score"] = f"{history.val_score[-1]:.4g}"
    return shown


def divergence_message(loss, where: str, optimizer=None) -> str:
    """The message of :class:`ml.DivergenceError`: scikit-learn's words, then what happened."""
    rate = getattr(optimizer, "learning_rate", None)
    rate = f" (learning rate {rate:g})" if rate is not None else ""
    return (
        "Solver produced non-finite parameter weights. The input data may contain large values "
        f"and need to be preprocessed. The training loss became {loss} in {where}; the learning "
        f"rate is probably too large{rate}. The last finite weights are kept: lower the learning "
        "rate, or scale X if it holds huge values."
    )
