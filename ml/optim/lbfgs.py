"""L-BFGS through ``scipy.optimize``: a quasi-Newton method for small problems, full batch."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
import scipy.optimize

from ml.backend import array_namespace, device, move, numpy_dtype, to_numpy

__all__ = ["minimize_lbfgs"]


def minimize_lbfgs(
    loss_and_gradients: Callable[[], tuple[float, list[np.ndarray]]],
    params: list[np.ndarray],
    *,
    max_iter: int,
    max_fun: int = 15000,
    tol: float = 1e-4,
    callback: Callable[[float], bool | None] | None = None,
) -> tuple[scipy.optimize.OptimizeResult, list[float]]:
    """Minimise ``loss_and_gradients()`` over ``params``, which are updated in place.

    ``loss_and_gradients()`` evaluates the loss at the current ``params`` and returns it with the
    gradient of each parameter. The parameters are packed into one float64 vector for scipy's
    L-BFGS-B; ``max_iter`` bounds its iterations, ``max_fun`` its loss evaluations, and ``tol`` is
    its gradient tolerance ``gtol`` (as in scikit-learn's ``lbfgs`` solver). SciPy's optimizer
    lives on the host: for arrays of another library (on a GPU) every evaluation copies the
    parameters over and the gradients back, the one solver that does. ``callback(loss)``
    is called after each iteration and may return True to stop there.

    Ctrl-C stops the search with a warning and the parameters of the last iteration (the result's
    ``status`` is then -2). Returns scipy's result and the loss after each iteration.

    Parameters
    ----------
    loss_and_gradients : callable
        ``loss_and_gradients()``: the loss at the current ``params`` and one gradient per
        parameter.
    params : list of ndarray
        Updated in place.
    max_iter : int
        The most iterations.
    max_fun : int, default=15000
        The most loss evaluations.
    tol : float, default=1e-4
        SciPy's ``ftol`` and ``gtol``.
    callback : callable, optional
        ``callback(loss)`` after each iteration; returning True stops.

    Returns
    -------
    result : scipy.optimize.OptimizeResult
    losses : list of float
        The loss after each iteration.

        Examples
    --------
    >>> import numpy as np
    >>> from ml import optim
    >>> w = np.array([3.0, -1.0])
    >>> result, losses = optim.minimize_lbfgs(
    ...     lambda: (float(np.sum((w - 1) ** 2)), [2 * (w - 1)]), [w], max_iter=50)
    >>> np.round(w, 4)
    array([1., 1.])
    """
    sizes = [math.prod(p.shape) for p in params]
    splits = np.cumsum(sizes)[:-1]
    xp, place = array_namespace(*params), device(params[0])

    def unpack(vector):
        for param, part in zip(params, np.split(vector, splits), strict=True):
            param[...] = move(part.reshape(tuple(param.shape)).astype(param_dtype), xp, place)

    def flat(arrays):  # SciPy's L-BFGS-B works on the host: the one place arrays cross to it
        return np.concatenate([to_numpy(a).ravel() for a in arrays]).astype(np.float64)

    def fun(vector):
        unpack(vector)
        loss, grads = loss_and_gradients()
        return float(loss), flat(grads)

    param_dtype = numpy_dtype(params[0].dtype)
    start = flat(params)
    losses, last = [], {"x": start, "fun": np.inf}

    def record(intermediate_result):
        losses.append(float(intermediate_result.fun))
        last.update(x=intermediate_result.x.copy(), fun=float(intermediate_result.fun))
        if callback is not None and callback(losses[-1]):
            raise StopIteration  # scipy ends the search and reports it

    options = {"maxiter": max_iter, "maxfun": max_fun, "gtol": tol}
    try:
        result = scipy.optimize.minimize(
            fun, start, method="L-BFGS-B", jac=True, callback=record, options=options
        )
    except KeyboardInterrupt:
        warnings.warn(
            f"L-BFGS interrupted by Ctrl-C after {len(losses)} iterations; the weights of the "
            "last one are kept.",
            UserWarning,
            stacklevel=2,
        )
        result = scipy.optimize.OptimizeResult(
            x=last["x"], fun=last["fun"], nit=len(losses), status=-2, message="interrupted"
        )
    unpack(result.x)
    return result, losses
