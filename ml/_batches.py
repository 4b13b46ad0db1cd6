"""The order of a pass over the data, and the batches it gathers (:mod:`ml.train`'s loop
takes them from here, and re-exports :func:`minibatches`)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ml._validation import check_number
from ml.backend import permutation, take_rows

__all__ = ["dense_batches", "minibatches"]


def minibatches(n_samples: int, batch_size: int, rng=None, like=None) -> Iterator:
    """Yield indices that cover ``range(n_samples)`` once, ``batch_size`` at a time.

    The order is a fresh permutation from ``rng`` when it is given (an index array on the device
    of the array ``like``, NumPy's by default), else ``0, 1, 2, ...`` (slices).

    Parameters
    ----------
    n_samples : int
    batch_size : int
        Rows per batch, positive; the last batch may be smaller.
    rng : numpy.random.Generator, optional
        Shuffles the order; None keeps it.
    like : array, optional
        The index arrays are made on this array's device.

    Yields
    ------
    index : slice or array of int
        The rows of one batch.

    Raises
    ------
    ValueError
        If ``batch_size`` is not a positive int.

    Examples
    --------
    >>> from ml.train import minibatches
    >>> list(minibatches(5, 2))
    [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """
    check_number("batch_size", batch_size, integer=True, low=1)
    if rng is None:
        for start in range(0, n_samples, batch_size):
            yield slice(start, min(start + batch_size, n_samples))
        return
    order = permutation(rng, n_samples, like=np.empty(0) if like is None else like)
    for start in range(0, n_samples, batch_size):
        yield order[start : min(start + batch_size, n_samples)]


def dense_batches(X, Y, sample_weight, batch_size, rng):
    """``(X_batch, Y_batch, w_batch)`` for each minibatch; sparse rows are made dense here."""
    like = Y  # the index arrays live where the targets (and a dense X) live
    for index in minibatches(X.shape[0], batch_size, rng, like):
        w = None if sample_weight is None else take_rows(sample_weight, index)
        yield take_rows(X, index), take_rows(Y, index), w
