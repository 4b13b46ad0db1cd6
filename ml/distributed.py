"""Beyond one machine, on Dask: many fits at once, and one fit over data larger than memory.

*Many fits* (a hyper-parameter search) need nothing of ours: scikit-learn's ``GridSearchCV`` and
``RandomizedSearchCV`` run on a Dask cluster through joblib's dask backend. Call
:func:`limit_blas_threads` once per client, so that each worker's BLAS uses only the threads the
worker was given instead of every core of the machine::

    from dask.distributed import Client
    client = Client("tcp://scheduler:8786")          # or Client(LocalCluster(...))
    ml.distributed.limit_blas_threads(client)
    with joblib.parallel_config(backend="dask", scatter=[X, y]):
        search = GridSearchCV(ml.MLPClassifier(), grid, n_jobs=-1).fit(X, y)

*One fit over more data than memory*: :class:`Incremental` trains an estimator by ``partial_fit``
on the blocks of a Dask array or DataFrame, pulling one block at a time to this process.

Needs the ``distributed`` extra: ``pip install "ml-nn[distributed]"``.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.utils.validation import check_is_fitted

from ml._validation import check_number
from ml.backend import check_random_state

__all__ = ["Incremental", "limit_blas_threads"]


def _set_blas_threads(n_threads=None, dask_worker=None) -> int:
    """Limit this process's BLAS and OpenMP pools to ``n_threads`` (the worker's own threads
    when None); runs on a worker. Returns the limit set."""
    from threadpoolctl import threadpool_limits

    n_threads = n_threads or (dask_worker.state.nthreads if dask_worker is not None else 1)
    threadpool_limits(limits=n_threads)  # kept for the life of the process
    return n_threads


def limit_blas_threads(client, n_threads: int | None = None) -> dict:
    """Limit the BLAS threads of every worker of ``client`` to ``n_threads``, by default to the
    worker's own ``nthreads``, so that workers sharing a machine do not oversubscribe its cores.

    Returns ``{worker address: limit}``. Workers that join later are not covered: call it again.
    """
    if n_threads is not None:
        check_number("n_threads", n_threads, integer=True, low=1)
    return client.run(_set_blas_threads, n_threads)


class Incremental(MetaEstimatorMixin, BaseEstimator):
    """Train ``estimator`` by ``partial_fit`` on the blocks of data larger than memory.

    Parameters
    ----------
    estimator : estimator with ``partial_fit``
        For example ``ml.MLPClassifier(solver="adam")``; a clone of it is trained.
    epochs : int, default=1
        Passes over all the blocks.
    shuffle_blocks : bool, default=True
        Visit the blocks in a new random order in each epoch.
    random_state : None, int or Generator
        Seeds the block order.

    Attributes
    ----------
    estimator_ : the trained estimator; use it as any fitted estimator on in-memory data.
    classes_ : labels of a classifier.

    ``fit`` takes a Dask array (n_samples, n_features) or a Dask DataFrame, and ``y`` as a Dask
    array or Series with the same blocks of rows; it computes one block of ``X`` and ``y`` at a
    time, so memory holds one block, and calls ``partial_fit`` on it. ``predict``,
    ``predict_proba`` and ``predict_log_proba`` map the trained estimator over the blocks and
    return Dask arrays; ``score`` returns a float.
    """

    def __init__(self, estimator, *, epochs=1, shuffle_blocks=True, random_state=None):
        self.estimator = estimator
        self.epochs = epochs
        self.shuffle_blocks = shuffle_blocks
        self.random_state = random_state

    def fit(self, X, y, classes=None, sample_weight=None):
        """Train a clone of ``estimator`` on the blocks of ``(X, y)``, ``epochs`` times.

        ``classes`` (a classifier's labels) is found in one pass over ``y`` when not given;
        ``sample_weight`` is a Dask array with the same blocks of rows, or None.
        """
        import dask
        import dask.array as da

        check_number("epochs", self.epochs, integer=True, low=1)
        if not hasattr(self.estimator, "partial_fit"):
            raise TypeError(
                f"estimator must have partial_fit; {type(self.estimator).__name__} has not."
            )
        blocks = {"X": _blocks_of_rows(X, "X"), "y": _blocks_of_rows(y, "y")}
        if sample_weight is not None:
            blocks["sample_weight"] = _blocks_of_rows(sample_weight, "sample_weight")
        for name, data in blocks.items():
            if data.chunks[0] != blocks["X"].chunks[0]:
                raise ValueError(
                    f"X and {name} must be split into the same blocks of rows; got "
                    f"{blocks['X'].chunks[0]} and {data.chunks[0]}. Rechunk one like the other."
                )
        self.estimator_ = clone(self.estimator)
        options = {}
        if is_classifier(self.estimator_):
            if classes is None:
                classes = da.unique(blocks["y"]).compute()  # one pass over y, block by block
            options["classes"] = np.asarray(classes)
        rng = check_random_state(self.random_state)
        n_blocks = blocks["X"].numblocks[0]
        for _ in range(self.epochs):
            order = rng.permutation(n_blocks) if self.shuffle_blocks else range(n_blocks)
            for i in order:
                computed = dask.compute(*(data.blocks[i] for data in blocks.values()))
                block = dict(zip(blocks, computed, strict=True))  # one block of each, together
                X_block, y_block = block.pop("X"), block.pop("y")
                if X_block.shape[0] == 0:
                    continue  # a block a filter emptied holds nothing to learn from
                self.estimator_.partial_fit(X_block, y_block, **block, **options)
        if not hasattr(self.estimator_, "n_features_in_"):
            raise ValueError("X holds 0 samples in all of its blocks; at least one is needed.")
        if is_classifier(self.estimator_):
            self.classes_ = self.estimator_.classes_
        return self

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
        predictions, y = self.predict(X), _blocks_of_rows(y, "y")
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
        X = _blocks_of_rows(X, "X")
        function = getattr(self.estimator_, method)
        sample = function(np.zeros((1, X.shape[1]), X.dtype))  # the outputs' dtype and width
        meta = np.empty((0, *sample.shape[1:]), sample.dtype)
        if sample.ndim == 1:
            return X.map_blocks(function, drop_axis=1, chunks=(X.chunks[0],), meta=meta)
        return X.map_blocks(function, chunks=(X.chunks[0], (sample.shape[1],)), meta=meta)


def _blocks_of_rows(data, name):
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
