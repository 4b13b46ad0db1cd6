"""Training: the one owner of training state, and the solvers that use it.

A :class:`Trainer` holds what training leaves behind (skorch's ``NeuralNet``): the optimizer
(and the flat buffer it keeps of a network), the schedule that sets the optimizer's rate
(PyTorch's ``lr_scheduler(optimizer)``), the :class:`History`, and the random generator of the
shuffles (and of dropout's masks). It runs the two solvers, minibatch gradient descent
(:meth:`Trainer.minibatch`) and L-BFGS (:meth:`Trainer.lbfgs`), through one lifecycle: callbacks,
Ctrl-C, divergence. Its whole state is one :meth:`Trainer.state_dict`.

The solvers know nothing about the model. ``loss_and_gradients(X_batch, Y_batch, w_batch)``
returns the loss of a batch and the gradient of each array of ``params``; the optimizer updates
``params`` in place.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Sequence

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ml._batches import dense_batches, minibatches
from ml._errors import DivergenceError
from ml._history import Callback, History, as_callbacks, overrides, postfix
from ml._progress import progress
from ml._validation import check_number
from ml.backend import array_namespace, check_random_state, copy
from ml.optim.lbfgs import minimize_lbfgs

__all__ = ["Callback", "History", "Trainer", "as_callbacks", "minibatches", "train"]


class Trainer:
    """The one owner of training state.

    Parameters
    ----------
    optimizer : ml.optim.Optimizer or None
        The update rule of :meth:`minibatch` (L-BFGS needs none).
    schedule : ml.optim.Schedule or None
        A schedule built on ``optimizer``: it sets the optimizer's rate after each epoch, so the
        rate is held once, by the optimizer.
    random_state : None, int or numpy.random.Generator
        The generator of the shuffles (``rng``), which dropout layers may share.

    Attributes
    ----------
    optimizer, schedule, history : the update rule, the schedule, and the :class:`History` of
        every run since the trainer was made
    rng : numpy.random.Generator

    Raises
    ------
    ValueError
        If ``schedule`` is not built on ``optimizer``.

    Examples
    --------
    Least squares by minibatches, the gradient written by hand:

    >>> import numpy as np
    >>> from ml import optim
    >>> from ml.train import Trainer
    >>> X = np.random.default_rng(0).normal(size=(100, 2))
    >>> Y = X @ np.array([[2.0], [-1.0]])
    >>> W = np.zeros((2, 1))
    >>> def loss_and_gradients(X_batch, Y_batch, w_batch):
    ...     error = X_batch @ W - Y_batch
    ...     return float(np.mean(error**2)), [2 * X_batch.T @ error / len(X_batch)]
    >>> trainer = Trainer(optim.SGD(0.1), random_state=0)
    >>> history = trainer.minibatch(loss_and_gradients, [W], X, Y, max_iter=50, batch_size=10)
    >>> np.round(W.ravel(), 3)
    array([ 2., -1.])
    """

    def __init__(self, optimizer=None, schedule=None, *, random_state=None):
        self.set_optimizer(optimizer, schedule)
        self.history = History()
        self.rng = check_random_state(random_state)

    def set_optimizer(self, optimizer, schedule=None) -> None:
        """Train from now on with a new ``optimizer`` (and a ``schedule`` built on it), as a
        fit that does not continue the last one does; the history and the generator go on."""
        if schedule is not None and schedule.optimizer is not optimizer:
            raise ValueError("schedule must be built on this trainer's optimizer.")
        self.optimizer, self.schedule = optimizer, schedule

    @property
    def learning_rate(self) -> float:
        """The optimizer's current rate (NaN without an optimizer)."""
        return getattr(self.optimizer, "learning_rate", np.nan)

    # --- the lifecycle that every solver shares ---------------------------------------------

    @contextlib.contextmanager
    def _run(self, params, callbacks, model, what: str):
        """One run: the callbacks told of its start and end, the history's run counters reset,
        and Ctrl-C turned into the best weights so far (``best.restore()``) and a warning."""
        history = self.history
        history.n_iter, history.stop = 0, "max_iter"
        best = _BestWeights(params)
        for callback in callbacks:
            callback.on_train_begin(model)
        try:
            yield best
        except KeyboardInterrupt:
            history.stop = "interrupted"
            best.restore()
            warnings.warn(
                f"Training interrupted by Ctrl-C in {what} {history.n_iter + 1}; the best "
                "weights so far are kept.",
                UserWarning,
                stacklevel=4,
            )
        for callback in callbacks:
            callback.on_train_end(model, history)

    def _epoch_end(self, callbacks, model, epoch) -> bool:
        """Tell every callback (each of them, even after one asks to stop); True to stop."""
        return any([bool(c.on_epoch_end(model, epoch, self.history)) for c in callbacks])

    # --- the solvers ---------------------------------------------------------------------------

    def minibatch(
        self,
        loss_and_gradients: Callable,
        params,
        X,
        Y,
        *,
        max_iter: int,
        batch_size: int,
        sample_weight=None,
        shuffle: bool = True,
        tol: float = 1e-4,
        n_iter_no_change: float = 10,
        validate: Callable[[], tuple[float, float]] | None = None,
        callbacks: Sequence = (),
        model=None,
        verbose: bool = False,
        desc: str = "training",
    ) -> History:
        """Run up to ``max_iter`` epochs of minibatch updates of ``params``; return the history.

        ``params`` is an ``ml.nn`` network (the optimizer then keeps it in one flat buffer,
        :meth:`ml.optim.Optimizer.flatten`) or a list of arrays. Each batch:
        ``loss, grads = loss_and_gradients(X_batch, Y_batch, w_batch)``, then
        ``optimizer.step(params, grads)``. ``X`` may be a sparse matrix: each batch is made dense
        on its own. The history goes on from earlier runs (warm start, ``partial_fit``): its
        losses, scores and stopping count carry over.

        Stopping follows scikit-learn's ``MLPClassifier`` (see :meth:`History.append`): after more
        than ``n_iter_no_change`` epochs without improvement the schedule may lower the rate and
        go on ("adaptive"); otherwise training stops. With ``validate()`` (which returns the
        validation loss and score) the weights of the best validation score are restored at the
        end. Ctrl-C stops training with a warning and the best weights so far. A NaN or infinite
        loss restores the weights of the start of that epoch and raises ``ml.DivergenceError``
        (a FloatingPointError and a ValueError).
        """
        check_number("max_iter", max_iter, integer=True, low=0)
        if hasattr(params, "parameters"):
            self.optimizer.flatten(params)
            params = params.parameters()
        callbacks = as_callbacks(callbacks)
        rng, history = self.rng if shuffle else None, self.history
        with self._run(params, callbacks, model, "epoch") as best:
            epochs = progress(range(1, max_iter + 1), verbose=verbose, desc=desc, unit="epoch")
            for epoch in epochs:
                best.keep_last(params)
                for callback in callbacks:
                    callback.on_epoch_begin(model, epoch)
                batches = dense_batches(X, Y, sample_weight, batch_size, rng)
                loss = self._epoch(loss_and_gradients, params, batches, callbacks, model)
                if not np.isfinite(loss):
                    best.restore_last()
                    raise DivergenceError(
                        divergence_message(loss, f"epoch {epoch}", self.optimizer)
                    )
                val_loss, val_score = validate() if validate is not None else (None, None)
                if history.append(loss, val_loss, val_score, self.learning_rate, X.shape[0], tol):
                    best.keep_best(params)
                epochs.set_postfix(postfix(history), refresh=False)
                if self.schedule is not None:
                    self.schedule.epoch_end(epoch, history.samples_seen)
                stop = self._epoch_end(callbacks, model, epoch)
                if history.no_improvement_count > n_iter_no_change:
                    if self.schedule is not None and self.schedule.plateau():  # a lower rate
                        history.no_improvement_count = 0
                    else:
                        stop = True
                if stop:
                    history.stop = "converged"
                    break
            if validate is not None:
                best.restore_best()
        return history

    def _epoch(self, loss_and_gradients, params, batches, callbacks, model) -> float:
        """One pass over the data; returns the mean of the batch losses, weighted by batch size.

        The losses are added up where they are computed (on the GPU, say) and become a number
        once, at the end of the epoch, unless a callback wants each; a non-finite loss then
        stops it.
        """
        total, n, per_batch = 0.0, 0, any(overrides(c, "on_batch_end") for c in callbacks)
        for i, (X_batch, Y_batch, w_batch) in enumerate(batches):
            loss, grads = loss_and_gradients(X_batch, Y_batch, w_batch)
            if per_batch:
                loss = float(loss)
                if not np.isfinite(loss):
                    return loss
            self.optimizer.step(params, grads)
            total, n = total + loss * X_batch.shape[0], n + X_batch.shape[0]
            for callback in callbacks if per_batch else ():
                callback.on_batch_end(model, i, loss)
        return float(total) / n

    def lbfgs(
        self,
        loss_and_gradients: Callable,
        params,
        *,
        max_iter: int,
        max_fun: int = 15000,
        tol: float = 1e-4,
        callbacks: Sequence = (),
        model=None,
    ) -> History:
        """Minimise ``loss_and_gradients()`` (the full batch's loss and gradients) over
        ``params`` (a network or a list of arrays) with SciPy's L-BFGS-B, each iteration an
        epoch of the history and of the callbacks.

        A non-finite result restores the starting weights and raises ``ml.DivergenceError``;
        Ctrl-C keeps the weights of the last iteration (the starting ones before the first);
        running out of ``max_iter`` or ``max_fun`` warns as scikit-learn does.
        """
        params = params.parameters() if hasattr(params, "parameters") else params
        callbacks, history = as_callbacks(callbacks), self.history
        with self._run(params, callbacks, model, "iteration") as best:
            best.keep_last(params)

            def on_iteration(loss):
                history.append(loss, None, None, np.nan, 0, tol)
                return self._epoch_end(callbacks, model, history.n_iter)

            result, losses = minimize_lbfgs(
                loss_and_gradients,
                params,
                max_iter=max_iter,
                max_fun=max_fun,
                tol=tol,
                callback=on_iteration,
            )
            if result.status == -2:  # Ctrl-C, caught by minimize_lbfgs, which warned
                history.stop = "interrupted"
                return history
            xp = array_namespace(*params)
            if not (np.isfinite(result.fun) and all(bool(xp.all(xp.isfinite(p))) for p in params)):
                best.restore_last()
                raise DivergenceError(divergence_message(result.fun, "L-BFGS"))
            if not losses:
                history.append(float(result.fun), None, None, np.nan, 0, tol)
            history.n_iter = result.nit
            history.stop = "converged" if result.status in (0, 99) else "max_iter"
        if history.stop == "max_iter":
            warnings.warn(
                f"lbfgs failed to converge after {result.nit} iterations: {result.message}. "
                "Increase max_iter or max_fun, or scale the data.",
                ConvergenceWarning,
                stacklevel=4,
            )
        return history

    # --- state ---------------------------------------------------------------------------------

    def state_dict(self) -> dict:
        """Everything the trainer holds, as plain numbers, lists and arrays: the optimizer's and
        the schedule's ``state_dict()`` (None where there is none), the history's fields and the
        generator's state."""
        return {
            "optimizer": None if self.optimizer is None else self.optimizer.state_dict(),
            "schedule": None if self.schedule is None else self.schedule.state_dict(),
            "history": dict(vars(self.history)),
            "rng": self.rng.bit_generator.state,
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned into this trainer (built with the same kinds
        of optimizer and schedule); every value is checked. The generator stays the same object,
        its state set, so that whoever shares it (dropout) goes on with it."""
        expected = {"optimizer", "schedule", "history", "rng"}
        if not isinstance(state, dict) or set(state) != expected:
            raise ValueError(f"state must be a dict with the keys {sorted(expected)}.")
        for part in ("optimizer", "schedule"):
            own, saved = getattr(self, part), state[part]
            if own is None and saved is not None:
                raise ValueError(f"the state has a {part}, but this trainer has none.")
            if own is not None and saved is None:
                raise ValueError(f"the state has no {part}, but this trainer has one.")
        history = History.from_state(state["history"])
        rng = state["rng"]
        if (
            not isinstance(rng, dict)
            or rng.get("bit_generator") != type(self.rng.bit_generator).__name__
        ):
            raise ValueError(
                f"rng is not a {type(self.rng.bit_generator).__name__} state of a Generator."
            )
        if self.optimizer is not None:
            self.optimizer.load_state_dict(state["optimizer"])
        if self.schedule is not None:
            self.schedule.load_state_dict(state["schedule"])
        self.rng.bit_generator.state = rng
        self.history = history


class _BestWeights:
    """Copies of the weights to go back to: those of the best epoch so far, and those of the
    start of the current epoch (the last finite ones)."""

    def __init__(self, params):
        self.params, self.best, self.last = params, None, None

    def keep_best(self, params) -> None:
        self.best = [copy(p) for p in params]

    def keep_last(self, params) -> None:
        self.last = [copy(p) for p in params]

    def restore_best(self) -> None:
        if self.best is not None:
            _restore(self.params, self.best)

    def restore_last(self) -> None:
        if self.last is not None:
            _restore(self.params, self.last)

    def restore(self) -> None:
        """The best weights so far, else the last finite ones."""
        saved = self.best if self.best is not None else self.last
        if saved is not None:
            _restore(self.params, saved)


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
    callbacks: Sequence[Callback] = (),
    model=None,
    verbose: bool = False,
    desc: str = "training",
) -> History:
    """Minibatch training in one call: a new :class:`Trainer` of ``optimizer`` and ``schedule``
    runs :meth:`Trainer.minibatch` over ``params`` and returns its history.

    Parameters
    ----------
    loss_and_gradients : callable
        ``loss_and_gradients(X_batch, Y_batch, w_batch)``: the loss of a batch and the gradient
        of each array of ``params``.
    params : list of arrays, or ml.nn.Sequential
        Updated in place.
    optimizer : ml.optim.Optimizer
    X, Y : arrays of the same number of rows
        The data; ``X`` may be a SciPy sparse matrix.
    max_iter : int
        The most epochs.
    batch_size : int
    sample_weight : array of shape (n_samples,), optional
    shuffle : bool, default=True
    random_state : None, int or Generator
        Seeds the shuffles.
    tol, n_iter_no_change : float
        scikit-learn's stopping rule (see :class:`Trainer`).
    validate : callable, optional
        ``validate()`` gives the validation loss and score after each epoch.
    schedule : ml.optim.Schedule, optional
        Built on ``optimizer``.
    callbacks : list of Callback or callables
    model : object, optional
        What the callbacks are handed as ``model``.
    verbose : bool, default=False
        Show a progress bar.
    desc : str
        The bar's label.

    Returns
    -------
    history : History

    Raises
    ------
    ml.DivergenceError
        If the loss becomes NaN or infinite (the weights of the start of that epoch are kept).

    Examples
    --------
    >>> import numpy as np
    >>> from ml import optim
    >>> from ml.train import train
    >>> X, Y = np.ones((20, 1)), np.full((20, 1), 3.0)
    >>> w = np.zeros((1, 1))
    >>> def loss_and_gradients(X_batch, Y_batch, w_batch):
    ...     error = X_batch @ w - Y_batch
    ...     return float(np.mean(error**2)), [2 * X_batch.T @ error / len(X_batch)]
    >>> history = train(loss_and_gradients, [w], optim.SGD(0.1), X, Y, max_iter=30, batch_size=5)
    >>> round(float(w[0, 0]), 3)
    3.0
    """
    trainer = Trainer(optimizer, schedule, random_state=random_state)
    return trainer.minibatch(
        loss_and_gradients,
        params,
        X,
        Y,
        max_iter=max_iter,
        batch_size=batch_size,
        sample_weight=sample_weight,
        shuffle=shuffle,
        tol=tol,
        n_iter_no_change=n_iter_no_change,
        validate=validate,
        callbacks=callbacks,
        model=model,
        verbose=verbose,
        desc=desc,
    )


def _restore(params, saved):
    for param, value in zip(params, saved, strict=True):
        param[...] = value


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
