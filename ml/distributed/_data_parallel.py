"""``DataParallel``: one network trained where the data lives, by local SGD.

Each round, every worker that holds blocks of ``(X, y)`` trains a copy of the current model on
its own blocks for ``sync_every`` epochs (``partial_fit`` over them joined, one pass an epoch),
and returns the copy. The copies are averaged, weighted by the samples each
saw: the weights, the batch-norm statistics and the optimizer's state (Adam's moments, SGD's
velocities). This is parallel SGD by model averaging (Zinkevich et al. 2010), and with several
local epochs federated averaging (McMahan et al. 2017). Only models travel: a copy to each
worker and one back per round; the blocks never leave their workers.
"""

from __future__ import annotations

import copy
import pickle
from concurrent.futures import CancelledError

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier

from ml._validation import check_boolean, check_number
from ml.backend import check_random_state
from ml.distributed._blocks import (
    BlockPredictions,
    aligned_blocks,
    classes_of,
    keep_arrays_on_the_heap,
)
from ml.estimators import MLPClassifier, MLPRegressor


class DataParallel(BlockPredictions, MetaEstimatorMixin, BaseEstimator):
    """Train one copy of ``estimator`` per Dask worker on the blocks it holds, and average the
    copies every ``sync_every`` epochs.

    Parameters
    ----------
    estimator : MLPClassifier, MLPRegressor, ConvNetClassifier or ConvNetRegressor
        With ``solver="adam"`` or ``"sgd"``; a clone of it is trained. Its ``random_state``
        seeds the common starting weights (drawn from ``random_state`` here when it is None).
    epochs : int, default=10
        Passes over the data; each worker passes over its own blocks.
    sync_every : int, default=1
        Epochs each worker trains alone between two averages. 1 averages after every epoch
        (closest to training in one process); more send fewer models, and drift further apart.
    scale_learning_rate : bool, default=True
        Multiply ``learning_rate_init`` by the number of workers that train (the linear
        scaling rule of Goyal et al. 2017): K workers averaged take one step where one process
        takes K, and the larger step makes up for it (measured on digits: within a point of an
        in-memory fit of as many epochs, where the unscaled rate trails by 2 to 13 points).
        ``estimator_.learning_rate_init`` is the rate used.
    random_state : None, int or numpy.random.Generator
        Seeds the starting weights, each worker's shuffles in each round, and dropout.
    client : dask.distributed.Client or None
        The cluster; None takes the current client (``distributed.get_client()``).

    Attributes
    ----------
    estimator_ : the fitted estimator, the average of the last round
    classes_ : ndarray, for a classifier
    loss_curve_ : list of float
        The training loss of each epoch, averaged over the workers by their samples.
    n_iter_ : int
        Epochs run.
    workers_ : list of str
        The workers that trained in the last round.

    Examples
    --------
    >>> import dask.array as da
    >>> from dask.distributed import Client, LocalCluster
    >>> import ml
    >>> from ml.distributed import DataParallel
    >>> X, y = ml.datasets.load_digits()
    >>> X_big, y_big = da.from_array(X / 16, chunks=(450, 64)), da.from_array(y, chunks=450)
    >>> with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
    ...                   dashboard_address=None) as cluster, Client(cluster):
    ...     model = DataParallel(ml.MLPClassifier((32,)), epochs=20, random_state=0)
    ...     score = model.fit(X_big, y_big).estimator_.score(X / 16, y)
    >>> bool(score > 0.9)
    True
    """

    def __init__(
        self,
        estimator,
        *,
        epochs=10,
        sync_every=1,
        scale_learning_rate=True,
        random_state=None,
        client=None,
    ):
        self.estimator = estimator
        self.epochs = epochs
        self.sync_every = sync_every
        self.scale_learning_rate = scale_learning_rate
        self.random_state = random_state
        self.client = client

    def fit(self, X, y, classes=None, sample_weight=None):
        """Train on the blocks of ``(X, y)`` where they live.

        ``X``, ``y`` (and ``sample_weight``) are Dask arrays or DataFrames split into the same
        blocks of rows; blocks not yet in the cluster's memory are persisted there first.
        ``classes`` (a classifier's labels) is found in one pass over ``y`` when not given.
        """
        check_number("epochs", self.epochs, integer=True, low=1)
        check_number("sync_every", self.sync_every, integer=True, low=1)
        check_boolean("scale_learning_rate", self.scale_learning_rate)
        if not isinstance(self.estimator, MLPClassifier | MLPRegressor):
            raise TypeError(
                "estimator must be an ml MLPClassifier, MLPRegressor, ConvNetClassifier or "
                f"ConvNetRegressor; got {type(self.estimator).__name__}."
            )
        if self.estimator.solver not in ("adam", "sgd"):
            raise ValueError(
                f"estimator's solver must be 'adam' or 'sgd' for DataParallel; got "
                f"{self.estimator.solver!r} (L-BFGS takes whole-data steps)."
            )
        from distributed import wait

        client = self._client()
        blocks = aligned_blocks(X, y, sample_weight)
        blocks = dict(zip(blocks, client.persist(list(blocks.values())), strict=True))
        wait(list(blocks.values()))  # in the workers' memory, so that it is known where
        rng = check_random_state(self.random_state)
        model = clone(self.estimator)
        if model.random_state is None:  # one start for every copy
            model.set_params(random_state=int(rng.integers(2**31)))
        if self.scale_learning_rate:
            n_workers = len(_holders(client, *_index(blocks["X"])))
            model.set_params(learning_rate_init=model.learning_rate_init * n_workers)
        labels = classes_of(blocks["y"], classes) if is_classifier(model) else None
        self.loss_curve_, self._samples_seen, done = [], 0, 0
        while done < self.epochs:
            epochs = min(self.sync_every, self.epochs - done)
            model = self._round(client, blocks, model, epochs, labels, rng)
            done += epochs
        self.estimator_, self.n_iter_ = model, done
        if labels is not None:
            self.classes_ = model.classes_
        return self

    def _client(self):
        if self.client is not None:
            return self.client
        from distributed import get_client

        try:
            return get_client()
        except ValueError as error:
            raise ValueError(
                "DataParallel needs a Dask cluster: pass client=Client(...), or create a Client "
                "first (Client('tcp://scheduler:8786'), or Client(LocalCluster()))."
            ) from error

    def _round(self, client, blocks, model, epochs, labels, rng):
        """One round: a copy of ``model`` trained on each worker's blocks, then averaged."""
        from distributed import KilledWorker

        names = list(blocks)
        indexed = {name: _index(data) for name, data in blocks.items()}
        keys = {name: indexed[name][0] for name in names}
        futures = {key: f for _, found in indexed.values() for key, f in found.items()}
        by_worker = _holders(client, *indexed["X"])
        tasks = [
            client.submit(
                _train_here,
                model,
                {name: [futures[keys[name][i]] for i in indices] for name in names},
                epochs,
                int(rng.integers(2**63)),
                labels,
                **_where(worker),
                pure=False,
            )
            for worker, indices in by_worker.items()
        ]
        try:
            results = [r for r in client.gather(tasks) if r[1] > 0]
        except (KilledWorker, CancelledError) as error:  # the cluster's, not the model's
            raise RuntimeError(
                f"DataParallel: a round of training was lost on the cluster ({type(error).__name__}"
                f": {error}): workers died more often than the scheduler allows, or with blocks "
                "that cannot be recomputed (scattered data). Persist data Dask can read again."
            ) from error
        if not results:
            raise ValueError("X holds 0 samples in all of its blocks; at least one is needed.")
        self.workers_ = sorted(w for w in by_worker if w is not None)
        samples = np.array([n for _, n, _ in results], dtype=float)
        losses = np.array([curve for _, _, curve in results])
        self.loss_curve_ += list(samples @ losses / samples.sum())
        self._samples_seen += samples.sum() * epochs
        merged = average([pickle.loads(m) for m, _, _ in results], samples)
        return _with_history(merged, self.loss_curve_, self._samples_seen)


def _where(worker) -> dict:
    """Run on ``worker``, where the blocks are, or elsewhere if it dies (its blocks are then
    recomputed there); on any worker when the blocks are held nowhere now."""
    return {} if worker is None else {"workers": [worker], "allow_other_workers": True}


def _index(data) -> tuple[list, dict]:
    """A persisted Dask array's block keys, in order, and its futures by key."""
    from distributed import futures_of

    return list(_flat(data.__dask_keys__())), {f.key: f for f in futures_of(data)}


def _holders(client, keys, futures) -> dict:
    """``{worker: indices of the blocks it holds}`` for the blocks ``keys``, each block under
    one worker."""
    holders = client.who_has([futures[key] for key in keys])
    by_worker: dict = {}
    for i, key in enumerate(keys):  # a block held nowhere now (being recomputed): any worker
        by_worker.setdefault(min(holders[key]) if holders[key] else None, []).append(i)
    return by_worker


def _flat(keys):
    for key in keys:
        if isinstance(key, list):
            yield from _flat(key)
        else:
            yield key


def _train_here(model, blocks, epochs, seed, labels):
    """On a worker: ``epochs`` passes of ``partial_fit`` over its blocks, joined into one set
    (its rows shuffled together, one short last batch per pass, as a fit in memory has; one
    ``partial_fit`` per block would end each block in a short batch, and a dozen batches of a
    few rows per epoch cost Adam several points of accuracy). Returns the pickled model, the
    samples and the loss of each epoch."""
    keep_arrays_on_the_heap()
    if hasattr(model, "trainer_"):  # this round's own shuffles and dropout masks
        model.trainer_.rng.bit_generator.state = np.random.default_rng(seed).bit_generator.state
    data = {name: _joined(parts) for name, parts in blocks.items()}
    n_samples = len(data["X"])
    if n_samples == 0:  # blocks a filter emptied hold nothing to learn from
        return None, 0, [0.0] * epochs
    options = {} if labels is None else {"classes": labels}
    if "sample_weight" in data:
        options["sample_weight"] = data["sample_weight"]
    curve = []
    for _ in range(epochs):
        model.partial_fit(data["X"], data["y"], **options)
        curve.append(model.loss_curve_[-1])
    # as bytes: what travels back is then what Dask counts (its size estimate of an object is
    # a guess), and the model is unpickled once, on the client
    return pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL), n_samples, curve


def _joined(parts):
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def average(models, weights):
    """The weighted average of fitted copies of one estimator: its network's arrays (weights,
    batch-norm statistics) and its optimizer's state (moments; the step count is the largest).
    The rest (parameters, history, random state) is the first copy's."""
    weights = np.asarray(weights, dtype=float) / np.sum(weights)
    merged = copy.deepcopy(models[0])
    copies = (model.network_.all_layers() for model in models)
    for layer, *group in zip(merged.network_.all_layers(), *copies, strict=True):
        states = [other.state_dict() for other in group]
        layer.load_state_dict({k: _mean([s[k] for s in states], weights) for k in states[0]})
    state = merged.trainer_.state_dict()
    state["optimizer"] = _mean([m.trainer_.state_dict()["optimizer"] for m in models], weights)
    merged.trainer_.load_state_dict(state)
    return merged


def _with_history(model, loss_curve, samples_seen):
    """``model`` with the cluster's history: one loss per epoch, every worker's samples."""
    state = model.trainer_.state_dict()
    history = state["history"]
    rate = history["learning_rate"][-1:] or [None]
    history.update(
        loss=list(loss_curve),
        learning_rate=rate * len(loss_curve),
        n_iter=len(loss_curve),
        samples_seen=int(samples_seen),
    )
    model.trainer_.load_state_dict(state)
    return model


def _mean(values, weights):
    """The weighted mean of like structures: arrays and floats averaged, dicts and lists by
    entry, integers (step counts) the largest, anything else the first's."""
    first = values[0]
    if isinstance(first, np.ndarray):
        return sum(w * v for w, v in zip(weights, values, strict=True)).astype(first.dtype)
    if isinstance(first, dict):
        return {k: _mean([v[k] for v in values], weights) for k in first}
    if isinstance(first, list | tuple):
        return type(first)(_mean(list(group), weights) for group in zip(*values, strict=True))
    if isinstance(first, bool) or not isinstance(first, int | float):
        return first
    if isinstance(first, int):
        return max(values)
    return float(np.dot(weights, values))
