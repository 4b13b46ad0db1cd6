"""Dask collections as blocks of rows, and what every estimator on them shares."""

from __future__ import annotations

import ctypes
import functools
import sys

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted


class BlockPredictions:
    """``predict``, ``predict_proba``, ``predict_log_proba`` and ``score`` of a fitted
    ``estimator_`` over Dask collections, block by block, where the blocks are."""

    def predict(self, X):
        """The estimator's predictions, block by block, as a Dask array."""
        return self._map_blocks(X, "predict")

    def predict_proba(self, X):
        """Class probabilities, block by block, as a Dask array (n_samples, n_classes)."""
        return self._map_blocks(X, "predict_proba")

    def predict_log_proba(self, X):
        """Logarithms of :meth:`predict_proba`, block by block, as a Dask array."""
        return self._map_blocks(X, "predict_log_proba")

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy for a classifier, R^2 for a regressor, over all the blocks."""
        if sample_weight is not None:
            raise ValueError("sample_weight is not supported by Incremental.score.")
        predictions, y = self.predict(X), blocks_of_rows(y, "y")
        if is_classifier(self.estimator_):
            return float((predictions == y).mean().compute())
        y = y.reshape(-1, 1) if y.ndim == 1 else y
        predictions = predictions.reshape(-1, 1) if predictions.ndim == 1 else predictions
        residual = ((y - predictions) ** 2).sum(axis=0)
        total = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
        import dask

        residual, total = dask.compute(residual, total)
        # scikit-learn's r2_score, output by output: constant targets score 1.0 where they are
        # predicted exactly and 0.0 otherwise (its force_finite rule), never -inf or NaN
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = np.where(total > 0, 1 - residual / total, np.where(residual == 0, 1.0, 0.0))
        return float(np.mean(scores))

    def _map_blocks(self, X, method):
        """``estimator_.method`` on each block of rows of ``X``: a Dask array of its outputs."""
        check_is_fitted(self)
        X = blocks_of_rows(X, "X")
        function = getattr(self.estimator_, method)
        sample = function(np.zeros((1, X.shape[1]), X.dtype))  # the outputs' dtype and width
        meta = np.empty((0, *sample.shape[1:]), sample.dtype)
        if sample.ndim == 1:
            return X.map_blocks(function, drop_axis=1, chunks=(X.chunks[0],), meta=meta)
        return X.map_blocks(function, chunks=(X.chunks[0], (sample.shape[1],)), meta=meta)


def aligned_blocks(X, y, sample_weight=None) -> dict:
    """``{"X": ..., "y": ..., ["sample_weight": ...]}`` as Dask arrays of the same blocks of
    rows; a mismatch is an error naming the argument."""
    blocks = {"X": blocks_of_rows(X, "X"), "y": blocks_of_rows(y, "y")}
    if sample_weight is not None:
        blocks["sample_weight"] = blocks_of_rows(sample_weight, "sample_weight")
    for name, data in blocks.items():
        if data.chunks[0] != blocks["X"].chunks[0]:
            raise ValueError(
                f"X and {name} must be split into the same blocks of rows; got "
                f"{blocks['X'].chunks[0]} and {data.chunks[0]}. Rechunk one like the other."
            )
    return blocks


def classes_of(y, classes=None) -> np.ndarray:
    """A classifier's labels: ``classes`` when given, else found in one pass over ``y``."""
    import dask.array as da

    return np.asarray(da.unique(y).compute() if classes is None else classes)


def blocks_of_rows(data, name):
    """``data`` as a Dask array split only along its rows (DataFrames and Series converted)."""
    import dask.array as da

    if hasattr(data, "to_dask_array"):  # a Dask DataFrame or Series
        data = data.to_dask_array(lengths=True)
    if not isinstance(data, da.Array):
        raise TypeError(
            f"{name} must be a Dask array, DataFrame or Series; got {type(data).__name__}. For "
            "data in memory, use the estimator itself."
        )
    if data.ndim == 2 and data.numblocks[1] > 1:
        data = data.rechunk({1: data.shape[1]})
    return data


@functools.cache
def keep_arrays_on_the_heap() -> bool:
    """On a Dask worker (glibc): serve allocations up to 32 MB from the heap again.

    Dask's nannies start workers with ``MALLOC_TRIM_THRESHOLD_`` set, which pins glibc's mmap
    threshold at 128 kB: every batch-sized temporary of a training step is then a fresh mmap
    and its page faults, and training runs at half speed (measured: 0.50 s against 0.23 s an
    epoch of 80,000 rows). Freed memory is still trimmed. Returns whether it was set; elsewhere
    than glibc it does nothing.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    M_MMAP_THRESHOLD = -3  # glibc's malloc.h; 32 MB is its largest value on 64-bit machines
    return bool(libc.mallopt(M_MMAP_THRESHOLD, 32 << 20))
