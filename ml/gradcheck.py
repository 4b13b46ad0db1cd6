"""Gradient checking: compare an analytic gradient with central differences.

Every analytic gradient in the package is checked this way in the tests, in float64, with a
relative error below 1e-6.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ml._validation import check_number

__all__ = ["check_gradient", "numerical_gradient"]


def numerical_gradient(f: Callable[[np.ndarray], float], x, *, eps: float = 1e-6) -> np.ndarray:
    """Central differences ``df/dx_i ~ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``.

    Parameters
    ----------
    f : callable
        Scalar function of one array.
    x : array_like
        Point at which to differentiate; taken as float64 and never modified.
    eps : float
        Step of the differences.

    Returns
    -------
    grad : ndarray of the same shape as ``x``

    Raises
    ------
    ValueError
        If ``eps`` is not a positive number.

    Examples
    --------
    >>> import numpy as np
    >>> import ml
    >>> np.round(ml.numerical_gradient(lambda v: float(np.sum(v**3)), np.array([1.0, 2.0])), 6)
    array([ 3., 12.])
    """
    check_number("eps", eps, low=0, low_inclusive=False)
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        saved = x[i]
        x[i] = saved + eps
        f_plus = float(f(x))
        x[i] = saved - eps
        f_minus = float(f(x))
        x[i] = saved
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def check_gradient(f: Callable[[np.ndarray], float], x, analytic, *, eps: float = 1e-6) -> float:
    """Relative error ``||a - n|| / (||a|| + ||n||)`` between the ``analytic`` gradient ``a`` of
    ``f`` at ``x`` and the :func:`numerical_gradient` ``n``.

    Below about 1e-7 the analytic gradient is right in float64; near 1 it is wrong. Both zero
    gives 0.

    Parameters
    ----------
    f : callable
        Scalar function of one array.
    x : array_like
        The point at which the gradients are compared.
    analytic : array_like
        The gradient to check, of the shape of ``x``.
    eps : float, default=1e-6
        Step of the central differences.

    Returns
    -------
    error : float
        The relative error, in [0, 1].

    Raises
    ------
    ValueError
        If ``analytic`` does not have the shape of ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> import ml
    >>> x = np.array([1.0, 2.0])
    >>> ml.check_gradient(lambda v: float(np.sum(v**2)), x, 2 * x) < 1e-7
    True
    """
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = numerical_gradient(f, x, eps=eps)
    if analytic.shape != numeric.shape:
        raise ValueError(
            f"analytic has shape {analytic.shape} but x has shape {numeric.shape}; they must match."
        )
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return 0.0 if scale == 0 else float(np.linalg.norm(analytic - numeric) / scale)
