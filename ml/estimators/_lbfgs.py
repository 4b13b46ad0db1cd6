"""The MLPs' ``solver="lbfgs"``: SciPy's L-BFGS-B over the network's parameters, with the same
history, callbacks, divergence check and convergence warning as the stochastic solvers."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ml._errors import DivergenceError
from ml.backend import array_namespace, copy
from ml.optim import minimize_lbfgs
from ml.train import as_callbacks, divergence_message


def fit_lbfgs(model, loss_and_gradients) -> None:
    """Minimise ``loss_and_gradients()`` (the full batch's loss and gradients) over
    ``model.network_``'s parameters, recording each iteration in ``model.history_``.

    A non-finite result restores the starting weights and raises ``ml.DivergenceError``; running
    out of ``max_iter`` or ``max_fun`` warns as scikit-learn does."""
    params, history = model.network_.parameters(), model.history_
    start = [copy(p) for p in params]
    callbacks = as_callbacks(model.callbacks or [])
    for callback in callbacks:
        callback.on_train_begin(model)
    history.n_iter = 0

    def on_iteration(loss):  # an L-BFGS iteration is the epoch of the callbacks
        history.append(loss, None, None, np.nan, 0, model.tol)
        return any([bool(c.on_epoch_end(model, history.n_iter, history)) for c in callbacks])

    result, losses = minimize_lbfgs(
        loss_and_gradients,
        params,
        max_iter=model.max_iter,
        max_fun=model.max_fun,
        tol=model.tol,
        callback=on_iteration,
    )
    xp = array_namespace(*params)
    if not (np.isfinite(result.fun) and all(bool(xp.all(xp.isfinite(p))) for p in params)):
        for param, value in zip(params, start, strict=True):
            param[...] = value
        raise DivergenceError(divergence_message(result.fun, "L-BFGS"))
    if not losses:
        history.append(float(result.fun), None, None, np.nan, 0, model.tol)
    history.n_iter = result.nit
    history.stop = {0: "converged", 99: "converged", -2: "interrupted"}.get(
        result.status, "max_iter"
    )
    for callback in callbacks:
        callback.on_train_end(model, history)
    if history.stop == "max_iter":
        warnings.warn(
            f"lbfgs failed to converge after {result.nit} iterations: {result.message}. "
            "Increase max_iter or max_fun, or scale the data.",
            ConvergenceWarning,
            stacklevel=4,
        )
