"""The minibatch training loop: epochs of shuffled minibatches, history, stopping rules, callbacks.

The loop knows nothing about the model. ``step(X_batch, Y_batch, w_batch)`` computes the loss and
its gradient on a batch, updates the parameters in place and returns the batch's loss; ``params``
are those parameter arrays, which the loop copies to keep the best and the last finite weights.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from ml._errors import DivergenceError
from ml._progress import progress
from ml.backend import check_random_state

__all__ = ["Callback", "History", "TrainResult", "minibatches", "train"]


class Callback:
    """Hooks into training; override any of them. ``model`` is the estimator being trained.

    ``on_epoch_end`` may return True to stop training (the stop counts as converged).
    """

    def on_train_begin(self, model) -> None: ...

    def on_epoch_begin(self, model, epoch: int) -> None: ...

    def on_batch_end(self, model, batch: int, loss: float) -> None: ...

    def on_epoch_end(self, model, epoch: int, history: History) -> bool | None: ...

    def on_train_end(self, model, history: History) -> None: ...


@dataclass
class History:
    """Per-epoch records: training loss, validation loss and score (when validating), rate."""

    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_score: list[float] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)

    def append(self, loss, val_loss, val_score, learning_rate) -> None:
        """Record one epoch; the validation values are None when there is no validation."""
        self.loss.append(loss)
        self.learning_rate.append(learning_rate)
        if val_score is not None:
            self.val_loss.append(val_loss)
            self.val_score.append(val_score)


@dataclass
class TrainResult:
    history: History
    n_iter: int
    """Epochs run."""
    samples_seen: int
    converged: bool
    """True when a stopping rule ended training before ``max_iter``."""
    interrupted: bool
    """True when Ctrl-C ended training."""
    best_loss: float
    best_score: float | None


def minibatches(n_samples: int, batch_size: int, rng=None) -> Iterator[np.ndarray]:
    """Yield index arrays that cover ``range(n_samples)`` once, ``batch_size`` at a time.

    The order is a fresh permutation from ``rng`` when it is given, else ``0, 1, 2, ...``.
    """
    order = np.arange(n_samples) if rng is None else rng.permutation(n_samples)
    for start in range(0, n_samples, batch_size):
        yield order[start : start + batch_size]


def train(
    step: Callable,
    X,
    Y,
    *,
    params: Sequence[np.ndarray] = (),
    max_iter: int,
    batch_size: int,
    sample_weight=None,
    shuffle: bool = True,
    random_state=None,
    tol: float = 1e-4,
    n_iter_no_change: int = 10,
    validate: Callable[[], tuple[float, float]] | None = None,
    optimizer=None,
    schedule=None,
    callbacks: Sequence[Callback] = (),
    model=None,
    verbose: bool = False,
    desc: str = "training",
) -> TrainResult:
    """Run up to ``max_iter`` epochs of ``step`` over (shuffled) minibatches of ``(X, Y)``.

    Stopping follows scikit-learn's ``MLPClassifier``: without ``validate`` an epoch improves when
    its loss falls below ``best_loss - tol``; with ``validate()`` (which returns the validation
    loss and score) when the score rises above ``best_score + tol``. After more than
    ``n_iter_no_change`` epochs without improvement the ``schedule`` may lower the learning rate
    and go on ("adaptive"); otherwise training stops. With ``validate`` the weights of the best
    validation score are restored at the end.

    Ctrl-C stops training with a warning and the best weights so far in ``params``. A NaN or
    infinite loss restores the weights of the start of that epoch and raises ``ml.DivergenceError``
    (a FloatingPointError and a ValueError).
    """
    rng = check_random_state(random_state) if shuffle else None
    history, plateau = History(), _Plateau(tol, by_score=validate is not None)
    best_params, samples_seen, converged, interrupted, epoch = None, 0, False, False, 0
    for callback in callbacks:
        callback.on_train_begin(model)
    epochs = progress(range(1, max_iter + 1), verbose=verbose, desc=desc, unit="epoch")
    try:
        for epoch in epochs:
            last_finite = [p.copy() for p in params]
            for callback in callbacks:
                callback.on_epoch_begin(model, epoch)
            loss = _run_epoch(step, X, Y, sample_weight, batch_size, rng, callbacks, model)
            if not np.isfinite(loss):
                _restore(params, last_finite)
                raise DivergenceError(_divergence_message(loss, epoch, optimizer))
            samples_seen += X.shape[0]
            val_loss, val_score = validate() if validate is not None else (None, None)
            history.append(loss, val_loss, val_score, getattr(optimizer, "learning_rate", np.nan))
            if plateau.update(loss, val_score):
                best_params = [p.copy() for p in params]
            epochs.set_postfix(_postfix(history), refresh=False)
            if schedule is not None and optimizer is not None:
                optimizer.learning_rate = schedule.epoch_end(epoch, samples_seen)
            stop = any([bool(c.on_epoch_end(model, epoch, history)) for c in callbacks])
            if plateau.stale > n_iter_no_change:
                if schedule is not None and schedule.plateau():  # "adaptive": a lower rate
                    optimizer.learning_rate, plateau.stale = schedule.learning_rate, 0
                else:
                    stop = True
            if stop:
                converged = True
                break
    except KeyboardInterrupt:
        interrupted = True
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
    best_score = plateau.best_score if validate is not None else None
    return TrainResult(
        history,
        len(history.loss),
        samples_seen,
        converged,
        interrupted,
        plateau.best_loss,
        best_score,
    )


class _Plateau:
    """scikit-learn's stopping rule: count the epochs in a row that did not improve by more than
    ``tol`` the validation score (``by_score``) or else the training loss."""

    def __init__(self, tol: float, by_score: bool):
        self.tol, self.by_score = tol, by_score
        self.best_loss, self.best_score, self.stale = np.inf, -np.inf, 0

    def update(self, loss: float, score: float | None) -> bool:
        """Record an epoch; return True when it is the best so far."""
        if self.by_score:
            improved = score > self.best_score
            self.stale = self.stale + 1 if score < self.best_score + self.tol else 0
            self.best_score = max(self.best_score, score)
        else:
            improved = loss < self.best_loss
            self.stale = self.stale + 1 if loss > self.best_loss - self.tol else 0
        self.best_loss = min(self.best_loss, loss)
        return improved


def _run_epoch(step, X, Y, sample_weight, batch_size, rng, callbacks, model) -> float:
    """One pass over the data; returns the mean of the batch losses, weighted by batch size."""
    total = 0.0
    for i, batch in enumerate(minibatches(X.shape[0], batch_size, rng)):
        w = None if sample_weight is None else sample_weight[batch]
        loss = float(step(X[batch], Y[batch], w))
        if not np.isfinite(loss):
            return loss
        total += loss * len(batch)
        for callback in callbacks:
            callback.on_batch_end(model, i, loss)
    return total / X.shape[0]


def _restore(params, saved):
    for param, value in zip(params, saved, strict=True):
        param[...] = value


def _postfix(history: History) -> dict[str, str]:
    shown = {"loss": f"{history.loss[-1]:.4g}"}
    if history.val_score:
        shown["val_score"] = f"{history.val_score[-1]:.4g}"
    return shown


def _divergence_message(loss, epoch, optimizer) -> str:
    rate = getattr(optimizer, "learning_rate", None)
    rate = f" (learning rate {rate:g})" if rate is not None else ""
    return (
        f"The training loss became {loss} in epoch {epoch}; the learning rate is probably too "
        f"large{rate}. The weights of the start of that epoch, all finite, are kept. Lower the "
        "learning rate, or scale X if it holds huge values."
    )
