"""What training reports and listens to: the :class:`History` of a model's epochs, and the
:class:`Callback` hooks of the training loop (:mod:`ml.train` runs both, and re-exports them)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ml._validation import check_number, check_option

__all__ = ["Callback", "History", "as_callbacks"]


class Callback:
    """Hooks into training; override any of them. ``model`` is the estimator being trained.

    ``on_epoch_end`` may return True to stop training (the stop counts as converged).

    Examples
    --------
    >>> import ml
    >>> from ml.train import Callback
    >>> class StopAtLoss(Callback):
    ...     def on_epoch_end(self, model, epoch, history):
    ...         return history.loss[-1] < 0.5  # True stops training
    >>> X, y = ml.datasets.load_digits()
    >>> model = ml.MLPClassifier((16,), callbacks=[StopAtLoss()], random_state=0).fit(X / 16, y)
    >>> model.history_.loss[-1] < 0.5 and model.history_.stop
    'converged'
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
    callbacks whose ``on_epoch_end`` they are.

    Parameters
    ----------
    callbacks : iterable of Callback or callable

    Returns
    -------
    callbacks : list of Callback

    Examples
    --------
    >>> from ml.train import as_callbacks
    >>> [type(c).__name__ for c in as_callbacks([lambda model, epoch, history: None])]
    ['_FunctionCallback']
    """
    return [c if isinstance(c, Callback) else _FunctionCallback(c) for c in callbacks]


@dataclass
class History:
    """What training did, epoch by epoch, over every run since the weights were initialised.

    ``loss``, ``learning_rate`` and, when validating, ``val_loss`` and ``val_score`` hold one
    value per epoch. ``samples_seen`` counts the training samples of all epochs, ``n_iter`` the
    epochs of the last run, ``no_improvement_count`` the epochs in a row that did not improve
    (it carries over from run to run, as scikit-learn's does) and ``stop`` says why the last run
    ended: "max_iter", "converged" (a stopping rule or a callback), or "interrupted" (Ctrl-C).

    Parameters
    ----------
    loss, val_loss, val_score, learning_rate : list of float
        One value per epoch (the validation ones only when validating).
    samples_seen : int, default=0
    n_iter : int, default=0
    no_improvement_count : int, default=0
    stop : {"max_iter", "converged", "interrupted"}, default="max_iter"

    Examples
    --------
    >>> import ml
    >>> X, y = ml.datasets.load_digits()
    >>> history = ml.MLPClassifier((16,), max_iter=5, random_state=0).fit(X / 16, y).history_
    >>> len(history.loss), history.n_iter, history.samples_seen
    (5, 5, 8985)
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


def overrides(callback, hook: str) -> bool:
    """Whether ``callback``'s class has its own ``hook`` (the loop calls only those)."""
    return getattr(type(callback), hook, None) is not getattr(Callback, hook)


def postfix(history: History) -> dict[str, str]:
    """The last epoch's loss (and validation score) as the progress bar shows them."""
    shown = {"loss": f"{history.loss[-1]:.4g}"}
    if history.val_score:
        shown["val_score"] = f"{history.val_score[-1]:.4g}"
    return shown
