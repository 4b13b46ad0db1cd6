"""ml on Dask: a search on a real LocalCluster of worker processes on 127.0.0.1, and Incremental
training over blocks of data larger than one block of memory. Skipped without the extra."""

import os
import pickle
import tracemalloc

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

import ml
from ml.distributed import Incremental, limit_blas_threads

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("dask.distributed")
joblib = pytest.importorskip("joblib")

X_DIGITS, Y_DIGITS = ml.datasets.load_digits()
X_DIGITS = X_DIGITS / 16
GRID = {"hidden_layer_sizes": [(8,), (16,)], "alpha": [1e-4, 1e-1]}


def _search():
    return GridSearchCV(ml.MLPClassifier(max_iter=10, random_state=0), GRID, cv=3, n_jobs=-1)


@pytest.mark.filterwarnings("ignore::UserWarning:distributed")
def test_a_search_runs_on_the_workers_and_equals_a_local_run(client):
    worker_pids = client.run(os.getpid)
    assert len(set(worker_pids.values())) == 2 and os.getpid() not in worker_pids.values()
    limits = limit_blas_threads(client)
    assert limits == {address: 1 for address in worker_pids}
    with (
        distributed.get_task_stream(client) as tasks,
        joblib.parallel_config(backend="dask", scatter=[X_DIGITS, Y_DIGITS]),
    ):
        on_cluster = _search().fit(X_DIGITS, Y_DIGITS)
    ran_on = {task["worker"] for task in tasks.data}
    assert ran_on == set(worker_pids)  # both worker processes fitted, and nothing else did
    local = GridSearchCV(ml.MLPClassifier(max_iter=10, random_state=0), GRID, cv=3)
    local.fit(X_DIGITS, Y_DIGITS)
    np.testing.assert_allclose(
        on_cluster.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"], rtol=1e-12
    )
    assert on_cluster.best_params_ == local.best_params_


def test_limit_blas_threads_reaches_every_worker(client):
    from threadpoolctl import threadpool_info

    limit_blas_threads(client, 1)
    for pools in client.run(threadpool_info).values():
        assert all(pool["num_threads"] == 1 for pool in pools)
    with pytest.raises(ValueError, match="n_threads"):
        limit_blas_threads(client, 0)


def test_a_fitted_estimator_pickles_its_weights_and_optimizer_only():
    model = ml.MLPClassifier((64,), max_iter=5, random_state=0).fit(X_DIGITS, Y_DIGITS)
    weights = sum(p.nbytes for p in model.network_.parameters())
    size = len(pickle.dumps(model))
    assert size < 3 * weights + 20_000  # the weights and Adam's two moments, no cached batch
    copy = pickle.loads(pickle.dumps(model))
    assert not any(k.startswith("_x") for layer in copy.network_.layers for k in vars(layer))
    np.testing.assert_array_equal(copy.predict_proba(X_DIGITS), model.predict_proba(X_DIGITS))


def _blocks(X, y, rows):
    return da.from_array(X, chunks=(rows, X.shape[1])), da.from_array(y, chunks=rows)


@pytest.mark.parametrize("shuffle_blocks", [False, True])
def test_incremental_equals_partial_fit_over_the_same_blocks(shuffle_blocks):
    # blocks of whole batches (4 x 400 rows): partial_fit block by block, by hand, is the same
    X_rows, y_rows = X_DIGITS[:1600], Y_DIGITS[:1600]
    X, y = _blocks(X_rows, y_rows, 400)
    estimator = ml.MLPClassifier((16,), random_state=0)
    model = Incremental(estimator, epochs=3, shuffle_blocks=shuffle_blocks, random_state=5)
    model.fit(X, y)
    by_hand = ml.MLPClassifier((16,), random_state=0)
    rng = np.random.default_rng(5)
    starts = np.arange(0, len(X_rows), 400)
    for _ in range(3):
        for i in rng.permutation(len(starts)) if shuffle_blocks else range(len(starts)):
            rows = slice(starts[i], starts[i] + 400)
            by_hand.partial_fit(X_rows[rows], y_rows[rows], classes=np.arange(10))
    for ours, theirs in zip(model.estimator_.coefs_, by_hand.coefs_, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    assert model.estimator_ is not estimator and not hasattr(estimator, "coefs_")
    assert model.classes_.tolist() == list(range(10))


def test_incremental_predicts_block_by_block():
    X, y = _blocks(X_DIGITS, Y_DIGITS, 400)
    model = Incremental(ml.MLPClassifier((32,), random_state=0), epochs=10).fit(X, y)
    predictions, proba = model.predict(X), model.predict_proba(X)
    assert isinstance(predictions, da.Array) and predictions.chunks == (X.chunks[0],)
    assert isinstance(proba, da.Array) and proba.shape == (len(X_DIGITS), 10)
    np.testing.assert_array_equal(predictions.compute(), model.estimator_.predict(X_DIGITS))
    np.testing.assert_allclose(model.predict_log_proba(X).compute(), np.log(proba.compute()))
    score = model.score(X, y)
    assert isinstance(score, float) and score == model.estimator_.score(X_DIGITS, Y_DIGITS) > 0.7
    regressor = Incremental(ml.MLPRegressor(hidden_layer_sizes=(16,), random_state=0), epochs=5)
    targets = X_DIGITS[:, 20:22]
    regressor.fit(X, da.from_array(targets, chunks=(400, 2)))
    r2 = regressor.score(X, da.from_array(targets, chunks=(400, 2)))
    assert r2 == pytest.approx(regressor.estimator_.score(X_DIGITS, targets), rel=1e-9)


def test_incremental_passes_the_sample_weights_of_each_block():
    X, y = _blocks(X_DIGITS[:1600], Y_DIGITS[:1600], 400)
    weight = np.where(Y_DIGITS[:1600] < 5, 0.0, 1.0)
    model = Incremental(ml.MLPClassifier((16,), random_state=0), shuffle_blocks=False)
    model.fit(X, y, sample_weight=da.from_array(weight, chunks=400))
    by_hand = ml.MLPClassifier((16,), random_state=0)
    for start in range(0, 1600, 400):
        rows = slice(start, start + 400)
        by_hand.partial_fit(
            X_DIGITS[rows], Y_DIGITS[rows], classes=np.arange(10), sample_weight=weight[rows]
        )
    np.testing.assert_array_equal(model.estimator_.coefs_[0], by_hand.coefs_[0])
    with pytest.raises(ValueError, match="X and sample_weight must be split"):
        model.fit(X, y, sample_weight=da.from_array(weight, chunks=200))


def test_incremental_takes_dask_dataframes():
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    frame = dd.from_pandas(pd.DataFrame(X_DIGITS), npartitions=4)
    labels = dd.from_pandas(pd.Series(Y_DIGITS), npartitions=4)
    model = Incremental(ml.MLPClassifier((16,), random_state=0), epochs=2).fit(frame, labels)
    assert model.predict(frame).compute().shape == (len(X_DIGITS),)


def _peak_memory_of_fit(n_blocks, rows=2_000, features=50):
    """Peak bytes allocated while Incremental trains on ``n_blocks`` generated blocks."""
    X = da.random.default_rng(0).random((rows * n_blocks, features), chunks=(rows, features))
    y = (X[:, 0] > 0.5).astype(int)
    model = Incremental(ml.MLPClassifier((16,), random_state=0), random_state=0)
    tracemalloc.start()
    try:  # blocks computed here (a LocalCluster's in-process scheduler keeps task records)
        with dask.config.set(scheduler="synchronous"):
            model.fit(X, y, classes=[0, 1])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert model.estimator_.t_ == rows * n_blocks
    return X.nbytes, peak


def test_incremental_holds_one_block_in_memory():
    _peak_memory_of_fit(2)  # the first fit's one-time allocations (imports, caches)
    _, peak_of_10_blocks = _peak_memory_of_fit(10)
    data_bytes, peak_of_80_blocks = _peak_memory_of_fit(80)
    assert peak_of_80_blocks < data_bytes / 8  # 64 MB of data, a few blocks of 0.8 MB in memory
    assert peak_of_80_blocks < 2 * peak_of_10_blocks  # eight times the data, about the same memory


def test_incremental_refuses_what_it_cannot_train():
    X, y = _blocks(X_DIGITS, Y_DIGITS, 300)
    with pytest.raises(TypeError, match="must be a Dask array"):
        Incremental(ml.MLPClassifier()).fit(X_DIGITS, Y_DIGITS)
    with pytest.raises(ValueError, match="X and y must be split into the same blocks"):
        Incremental(ml.MLPClassifier()).fit(X, da.from_array(Y_DIGITS, chunks=200))
    with pytest.raises(TypeError, match="partial_fit"):
        Incremental(ml.MLPClassifier(solver="lbfgs")).fit(X, y)
    with pytest.raises(ValueError, match="epochs"):
        Incremental(ml.MLPClassifier(), epochs=0).fit(X, y)


def test_incremental_skips_empty_blocks_and_scores_as_scikit_learn():
    from sklearn.metrics import r2_score

    X = da.from_array(X_DIGITS, chunks=(300, 64))
    y = da.from_array(Y_DIGITS, chunks=300)
    keep = da.from_array(np.arange(len(X_DIGITS)) >= 300, chunks=300)  # empties block 0
    X_kept, y_kept = X[keep], y[keep]
    X_kept.compute_chunk_sizes()
    y_kept.compute_chunk_sizes()
    assert X_kept.chunks[0][0] == 0
    model = Incremental(ml.MLPClassifier((16,), random_state=0), epochs=2).fit(X_kept, y_kept)
    assert model.estimator_.t_ == 2 * (len(X_DIGITS) - 300)
    constant = da.from_array(np.full(len(X_DIGITS), 2.0), chunks=300)
    regressor = Incremental(ml.MLPRegressor(hidden_layer_sizes=(4,), random_state=0)).fit(
        X, constant
    )
    predictions = regressor.predict(X).compute()
    expected = r2_score(np.full(len(X_DIGITS), 2.0), predictions)
    assert regressor.score(X, constant) == expected == 0.0  # scikit-learn's rule, not -inf
    nothing = da.from_array(np.zeros(len(X_DIGITS), bool), chunks=300)
    X_empty, y_empty = X[nothing], y[nothing]
    X_empty.compute_chunk_sizes()
    y_empty.compute_chunk_sizes()
    with pytest.raises(ValueError, match="X holds 0 samples in all of its blocks"):
        Incremental(ml.MLPClassifier((4,))).fit(X_empty, y_empty, classes=np.arange(10))


def test_an_epoch_ends_in_one_short_batch_not_one_per_block(monkeypatch):
    sizes = []
    partial_fit = ml.MLPClassifier.partial_fit

    def spy(self, X, y, *args, **kwargs):
        sizes.append(len(X))
        return partial_fit(self, X, y, *args, **kwargs)

    monkeypatch.setattr(ml.MLPClassifier, "partial_fit", spy)
    X_blocks = da.from_array(X_DIGITS[:1005], chunks=(201, 64))  # 5 blocks of 200 + 1 rows
    y_blocks = da.from_array(Y_DIGITS[:1005], chunks=201)
    model = Incremental(ml.MLPClassifier(random_state=0), epochs=2, random_state=0)
    model.fit(X_blocks, y_blocks)
    assert sum(sizes) == 2 * 1005 and all(size % 200 == 0 for size in sizes if size != 5)
    assert sizes.count(5) == 2  # the rows short of a batch, once an epoch, as a fit in memory
