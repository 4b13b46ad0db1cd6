"""``Incremental``: one fit over more data than memory, a block at a time on this process."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier

from ml._validation import check_number
from ml.backend import check_random_state
from ml.distributed._blocks import BlockPredictions, aligned_blocks, classes_of


class Incremental(BlockPredictions, MetaEstimatorMixin, BaseEstimator):
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
    time, so memory holds one block (and the fewer rows than a batch carried over to the next),
    and calls ``partial_fit`` on its whole batches. ``predict``,
    ``predict_proba`` and ``predict_log_proba`` map the trained estimator over the blocks and
    return Dask arrays; ``score`` returns a float.

    Examples
    --------
    >>> import dask
    >>> import dask.array as da
    >>> import ml
    >>> from ml.distributed import Incremental
    >>> X, y = ml.datasets.load_digits()
    >>> X_big, y_big = da.from_array(X / 16, chunks=(300, 64)), da.from_array(y, chunks=300)
    >>> with dask.config.set(scheduler="synchronous"):
    ...     model = Incremental(ml.MLPClassifier((32,)), epochs=40, random_state=0)
    ...     score = model.fit(X_big, y_big).estimator_.score(X / 16, y)
    >>> bool(score > 0.9)
    True
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

        check_number("epochs", self.epochs, integer=True, low=1)
        if not hasattr(self.estimator, "partial_fit"):
            raise TypeError(
                f"estimator must have partial_fit; {type(self.estimator).__name__} has not."
            )
        blocks = aligned_blocks(X, y, sample_weight)
        self.estimator_ = clone(self.estimator)
        options = {}
        if is_classifier(self.estimator_):
            options["classes"] = classes_of(blocks["y"], classes)
        rng = check_random_state(self.random_state)
        n_blocks, batch = blocks["X"].numblocks[0], _batch_rows(self.estimator_)
        for _ in range(self.epochs):
            order = rng.permutation(n_blocks) if self.shuffle_blocks else range(n_blocks)
            carried = None  # rows short of a whole batch, trained with the next block
            for i in order:
                computed = dask.compute(*(data.blocks[i] for data in blocks.values()))
                block = dict(zip(blocks, computed, strict=True))  # one block of each, together
                if carried is not None:
                    block = {k: np.concatenate([carried[k], v]) for k, v in block.items()}
                whole = len(block["X"]) - len(block["X"]) % batch
                carried = {k: v[whole:].copy() for k, v in block.items()}  # not the block
                if whole:
                    self._partial_fit({k: v[:whole] for k, v in block.items()}, options)
            if carried is not None and len(carried["X"]):  # the epoch's one short batch
                self._partial_fit(carried, options)
        if not hasattr(self.estimator_, "n_features_in_"):
            raise ValueError("X holds 0 samples in all of its blocks; at least one is needed.")
        if is_classifier(self.estimator_):
            self.classes_ = self.estimator_.classes_
        return self

    def _partial_fit(self, block: dict, options: dict) -> None:
        rows = dict(block)
        self.estimator_.partial_fit(rows.pop("X"), rows.pop("y"), **rows, **options)


def _batch_rows(estimator) -> int:
    """The rows of one minibatch of ``estimator`` (scikit-learn's "auto" is 200): blocks are
    cut to whole batches, the rest carried to the next block, so that an epoch ends in one
    short batch as a fit in memory does, not one per block (a dozen batches of a few rows an
    epoch cost Adam several points of accuracy, measured). 1 where there are no batches."""
    size = getattr(estimator, "batch_size", None)
    if size == "auto":
        return 200
    return size if isinstance(size, int) and size > 0 else 1
