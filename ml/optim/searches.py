"""The lecture's three searches for the weight matrix ``W`` that minimises a loss ``L(W)``.

``random_search`` draws a fresh random ``W`` each step and keeps the best; ``random_local_search``
(the lecture's "random descent") steps from the best ``W`` so far in a random direction; and
``gradient_descent`` follows the analytic gradient, ``W <- W - step_size * dL/dW``.
Each returns the loss after every step and the best weights it saw.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from ml._errors import DivergenceError
from ml._progress import progress
from ml._validation import check_number
from ml.backend import check_random_state

__all__ = ["SearchResult", "gradient_descent", "random_local_search", "random_search"]

Loss = Callable[[np.ndarray], float]


class SearchResult(NamedTuple):
    """What a search returns: unpack it as ``losses, W = random_search(...)``.

    Examples
    --------
    >>> import numpy as np
    >>> import ml
    >>> result = ml.random_search(lambda W: float(np.sum(W**2)), (2, 2), max_iter=10,
    ...                           random_state=0, verbose=False)
    >>> losses, W = result
    >>> result.losses is losses, W.shape
    (True, (2, 2))
    """

    losses: np.ndarray
    """Loss after each of the ``max_iter`` steps."""
    W: np.ndarray
    """The weights with the lowest loss seen."""


def random_search(
    loss: Loss,
    shape: tuple[int, ...],
    *,
    max_iter: int = 1000,
    step_size: float = 0.01,
    random_state=None,
    verbose: bool = True,
) -> SearchResult:
    """Try ``max_iter`` independent random matrices ``W ~ N(0, step_size^2)``; keep the best.

    Parameters
    ----------
    loss : callable
        ``loss(W)`` returns the scalar loss of a weight matrix, e.g.
        ``lambda W: cross_entropy(X @ W, Y)``.
    shape : tuple of int
        Shape of ``W``, e.g. ``(n_features + 1, n_classes)``.
    max_iter : int
        Number of candidates tried.
    step_size : float
        Standard deviation of the entries of each candidate.
    random_state : None, int or Generator
        Seeds the candidates; the same seed gives the same search.
    verbose : bool
        Show a tqdm progress bar.

    Returns
    -------
    result : ml.optim.SearchResult
        ``(losses, W)``: the loss of each candidate, and the best candidate.

    Examples
    --------
    >>> import numpy as np
    >>> import ml
    >>> losses, W = ml.random_search(lambda W: float(np.sum((W - 0.01) ** 2)), (2, 2),
    ...                              max_iter=50, random_state=0, verbose=False)
    >>> len(losses), W.shape
    (50, (2, 2))
    """
    max_iter, step_size, rng = _check_search(shape, max_iter, step_size, random_state)
    W = rng.normal(0, step_size, size=shape)

    def propose(W):
        return rng.normal(0, step_size, size=shape)

    return _keep_best(loss, propose, W, max_iter, verbose, "random search")


def random_local_search(
    loss: Loss,
    shape: tuple[int, ...],
    *,
    max_iter: int = 1000,
    step_size: float = 0.01,
    random_state=None,
    verbose: bool = True,
) -> SearchResult:
    """Step from the best ``W`` so far to ``W_new ~ N(W, step_size^2)``; move there if it is better.

    The lecture calls this "random descent": a local search in a random direction. Parameters as
    in :func:`random_search`; ``step_size`` is the standard deviation of each step.

    Parameters
    ----------
    loss : callable
        ``loss(W)``, the scalar loss of a weight matrix.
    shape : tuple of int
        Shape of ``W``.
    max_iter : int, default=1000
        Steps tried.
    step_size : float, default=0.01
        Standard deviation of each step.
    random_state : None, int or Generator
        Seeds the start and the steps.
    verbose : bool, default=True
        Show a tqdm progress bar.

    Returns
    -------
    result : ml.optim.SearchResult
        ``(losses, W)``: the loss after each step, and the best weights.

    Examples
    --------
    >>> import numpy as np
    >>> import ml
    >>> losses, W = ml.random_local_search(lambda W: float(np.sum(W**2)), (2, 2),
    ...                                    max_iter=100, random_state=0, verbose=False)
    >>> len(losses), W.shape
    (100, (2, 2))
    """
    max_iter, step_size, rng = _check_search(shape, max_iter, step_size, random_state)
    W = rng.normal(size=shape) * step_size

    def propose(W):
        return rng.normal(W, step_size)

    return _keep_best(loss, propose, W, max_iter, verbose, "random local search")


def gradient_descent(
    loss: Loss,
    gradient: Callable[[np.ndarray], np.ndarray],
    shape: tuple[int, ...],
    *,
    max_iter: int = 1000,
    step_size: float = 0.01,
    random_state=None,
    verbose: bool = True,
) -> SearchResult:
    """Follow the analytic gradient: ``W <- W - step_size * gradient(W)``.

    Starts from ``W ~ N(0, step_size^2)``; ``step_size`` is the learning rate. ``gradient(W)``
    returns ``dL/dW``, for the softmax classifier ``X^T (softmax(X W) - Y) / n``. Other parameters
    as in :func:`random_search`.

    Raises
    ------
    ml.DivergenceError
        (a FloatingPointError and ValueError) if the loss becomes NaN or infinite: the step size
        is then too large.

    Parameters
    ----------
    loss : callable
        ``loss(W)``, the scalar loss of a weight matrix.
    gradient : callable
        ``gradient(W)``, its gradient ``dL/dW``, of the shape of ``W``.
    shape : tuple of int
        Shape of ``W``.
    max_iter : int, default=1000
        Steps taken.
    step_size : float, default=0.01
        The learning rate.
    random_state : None, int or Generator
        Seeds the starting point.
    verbose : bool, default=True
        Show a tqdm progress bar.

    Returns
    -------
    result : ml.optim.SearchResult
        ``(losses, W)``: the loss after each step, and the last weights.

    Examples
    --------
    >>> import numpy as np
    >>> import ml
    >>> target = np.array([[1.0, -2.0]])
    >>> losses, W = ml.gradient_descent(
    ...     lambda W: float(np.sum((W - target) ** 2)), lambda W: 2 * (W - target), (1, 2),
    ...     max_iter=200, step_size=0.1, random_state=0, verbose=False)
    >>> np.round(W, 3)
    array([[ 1., -2.]])
    """
    max_iter, step_size, rng = _check_search(shape, max_iter, step_size, random_state)
    W = rng.normal(0, step_size, size=shape)
    best_W, best_loss, losses = W, np.inf, []
    with _interruptible("gradient descent"):
        for i in progress(range(max_iter), verbose=verbose, desc="gradient descent"):
            W = W - step_size * gradient(W)
            loss_new = float(loss(W))
            if not np.isfinite(loss_new):
                raise DivergenceError(
                    f"The loss became {loss_new} at iteration {i + 1} of gradient descent; "
                    f"step_size={step_size} is probably too large."
                )
            losses.append(loss_new)
            if loss_new < best_loss:
                best_W, best_loss = W, loss_new
    return SearchResult(np.asarray(losses), best_W)


def _keep_best(loss, propose, W, max_iter, verbose, desc):
    """Propose ``W_new = propose(W)`` ``max_iter`` times; move to it whenever its loss is lower.

    Raises ``DivergenceError`` when no proposal had a finite loss.
    """
    best_loss, losses = np.inf, []
    with _interruptible(desc):
        for _ in progress(range(max_iter), verbose=verbose, desc=desc):
            W_new = propose(W)
            loss_new = float(loss(W_new))
            losses.append(loss_new)
            if loss_new < best_loss:
                W, best_loss = W_new, loss_new
    if losses and not np.isfinite(best_loss):
        raise DivergenceError(
            f"Every loss of the {desc} was infinite or NaN; the step size is probably too large, "
            "or X holds huge values."
        )
    return SearchResult(np.asarray(losses), W)


@contextlib.contextmanager
def _interruptible(desc):
    """Ctrl-C ends a search early with a warning; the search returns what it found so far."""
    try:
        yield
    except KeyboardInterrupt:
        warnings.warn(
            f"The {desc} was interrupted by Ctrl-C; the best weights so far are returned.",
            UserWarning,
            stacklevel=4,
        )


def _check_search(shape, max_iter, step_size, random_state):
    if not isinstance(shape, tuple | list) or not all(
        isinstance(size, int | np.integer) and not isinstance(size, bool) and size >= 1
        for size in shape
    ):
        raise ValueError(f"shape must be a tuple of positive ints; got {shape!r}.")
    check_number("max_iter", max_iter, integer=True, low=0)
    check_number("step_size", step_size, low=0, low_inclusive=False)
    return max_iter, step_size, check_random_state(random_state)
