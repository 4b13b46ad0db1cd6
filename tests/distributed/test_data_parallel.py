"""DataParallel on a real LocalCluster of two worker processes on 127.0.0.1, with the blocks
persisted on the workers: what travels, what it learns, the average, and a worker killed."""

import os
import threading

import numpy as np
import pytest

import ml
from ml.distributed import DataParallel
from ml.distributed._data_parallel import average

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("dask.distributed")

X, Y = ml.datasets.load_digits()
ORDER = np.random.default_rng(0).permutation(len(X))
X, Y = X[ORDER] / 16, Y[ORDER]
X_TRAIN, Y_TRAIN, X_TEST, Y_TEST = X[:1400], Y[:1400], X[1400:], Y[1400:]


def _sent(client) -> int:
    """Bytes the workers have sent so far (to each other and to clients)."""
    return sum(client.run(lambda dask_worker: dask_worker.transfer_outgoing_bytes_total).values())


def _persisted(client, *arrays, chunks=175):
    persisted = client.persist([da.from_array(a, chunks=chunks) for a in arrays])
    distributed.wait(persisted)
    return persisted


def test_the_data_stays_on_the_workers_only_models_travel(client):
    # 16 MB made on the workers, where it stays, and a small network
    X_blocks = da.random.default_rng(1).normal(size=(100_000, 20), chunks=(12_500, 20))
    y_blocks = (X_blocks[:, 0] + X_blocks[:, 1] > 0).astype(int)
    X_blocks, y_blocks = client.persist([X_blocks, y_blocks])
    distributed.wait([X_blocks, y_blocks])
    before = _sent(client)
    model = DataParallel(ml.MLPClassifier((8,), random_state=0), epochs=3, random_state=0)
    model.fit(X_blocks, y_blocks, classes=[0, 1])
    sent = _sent(client) - before
    # a few models of 7 kB, and once the labels of the blocks whose X is on another worker
    assert sent < 0.05 * (X_blocks.nbytes + y_blocks.nbytes), sent
    assert len(model.workers_) == 2 and model.score(X_blocks, y_blocks) > 0.95
    computed = _sent(client)
    X_blocks.compute()  # what pulling the data to this process would cost, for comparison
    assert _sent(client) - computed >= X_blocks.nbytes


@pytest.mark.parametrize("epochs", [10, 30])
def test_accuracy_within_two_points_of_an_in_memory_fit(client, epochs):
    X_blocks, y_blocks = _persisted(client, X_TRAIN, Y_TRAIN)
    estimator = ml.MLPClassifier((64,), random_state=0)
    parallel = DataParallel(estimator, epochs=epochs, random_state=0).fit(X_blocks, y_blocks)
    in_memory = ml.MLPClassifier((64,), max_iter=epochs, random_state=0).fit(X_TRAIN, Y_TRAIN)
    assert parallel.estimator_.score(X_TEST, Y_TEST) >= in_memory.score(X_TEST, Y_TEST) - 0.02
    assert parallel.n_iter_ == parallel.estimator_.n_iter_ == len(parallel.loss_curve_) == epochs
    assert parallel.loss_curve_[-1] < parallel.loss_curve_[0]
    assert parallel.estimator_.learning_rate_init == 2 * estimator.learning_rate_init


def _fitted(seed, rows):
    model = ml.MLPClassifier((5,), batch_norm=True, random_state=seed, solver="adam")
    return model.partial_fit(X_TRAIN[rows], Y_TRAIN[rows], classes=np.arange(10))


def test_one_round_of_averaging_is_the_weighted_mean_by_hand():
    first, second = _fitted(0, slice(0, 300)), _fitted(1, slice(300, 400))
    before = [w.copy() for w in first.coefs_]
    merged = average([first, second], [300, 100])
    for name in ("coefs_", "intercepts_"):
        copies = (getattr(m, name) for m in (merged, first, second))
        for got, a, b in zip(*copies, strict=True):
            np.testing.assert_allclose(got, 0.75 * a + 0.25 * b, rtol=1e-12)
    norm = [layer for layer in merged.network_.all_layers() if hasattr(layer, "running_mean")][0]
    norms = [
        [layer for layer in m.network_.all_layers() if hasattr(layer, "running_mean")][0]
        for m in (first, second)
    ]
    expected = 0.75 * norms[0].running_var + 0.25 * norms[1].running_var
    np.testing.assert_allclose(norm.running_var, expected, rtol=1e-12)
    moments = [m.trainer_.state_dict()["optimizer"] for m in (first, second, merged)]
    for a, b, got in zip(*(m["state"] for m in moments), strict=True):
        np.testing.assert_allclose(got["m"], 0.75 * a["m"] + 0.25 * b["m"], rtol=1e-12)
        np.testing.assert_allclose(got["v"], 0.75 * a["v"] + 0.25 * b["v"], rtol=1e-12)
    assert moments[2]["t"] == max(moments[0]["t"], moments[1]["t"])
    for kept, was in zip(first.coefs_, before, strict=True):  # the copies are left as they were
        np.testing.assert_array_equal(kept, was)


@pytest.mark.parametrize(
    "estimator, target",
    [
        (ml.MLPRegressor(hidden_layer_sizes=(16,), learning_rate_init=0.01), "regression"),
        (ml.ConvNetClassifier(conv_layers=((4, 3),), learning_rate_init=0.01), "labels"),
        (ml.ConvNetRegressor(conv_layers=((4, 3),), learning_rate_init=0.01), "regression"),
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, str) else value,
)
def test_every_network_estimator_trains_and_predicts(client, estimator, target):
    y = X_TRAIN[:, 20:22].sum(axis=1) if target == "regression" else Y_TRAIN
    X_blocks, y_blocks = _persisted(client, X_TRAIN, y)
    model = DataParallel(estimator, epochs=10, random_state=0).fit(X_blocks, y_blocks)
    assert model.predict(X_blocks).compute().shape == (len(X_TRAIN),)
    assert model.score(X_blocks, y_blocks) > (0.9 if target == "labels" else 0.5)


def test_data_frames_and_sample_weight(client):
    frame = dd.from_pandas(
        __import__("pandas").DataFrame(X_TRAIN).assign(label=Y_TRAIN), npartitions=4
    )
    features, labels = frame.drop(columns="label"), frame["label"]
    weight = da.ones(len(X_TRAIN), chunks=tuple(features.map_partitions(len).compute()))
    estimator = ml.MLPClassifier((32,), learning_rate_init=0.01, random_state=0)
    model = DataParallel(estimator, epochs=10, random_state=0)
    model.fit(features, labels, sample_weight=weight)
    assert model.score(features, labels) > 0.9 and list(model.classes_) == list(range(10))


def test_a_worker_killed_mid_fit_is_survived(cluster, client):
    X_blocks, y_blocks = _persisted(client, X_TRAIN, Y_TRAIN)
    model = DataParallel(ml.MLPClassifier((64,), random_state=0), epochs=30, random_state=0)
    killed = []

    def kill_one_worker_after_the_first_round():
        while len(getattr(model, "loss_curve_", [])) < 2:  # a state, not a time
            threading.Event().wait(0.01)
        victim = sorted(client.scheduler_info()["workers"])[0]
        killed.append(victim)
        client.run(os._exit, 1, workers=[victim], on_error="ignore")  # it dies answering

    killer = threading.Thread(target=kill_one_worker_after_the_first_round, daemon=True)
    killer.start()
    model.fit(X_blocks, y_blocks)  # the nanny restarts the worker; lost blocks are recomputed
    killer.join()
    assert killed and model.n_iter_ == 30 and model.estimator_.score(X_TEST, Y_TEST) > 0.9


def test_refusals_name_the_argument(client):
    X_blocks, y_blocks = _persisted(client, X_TRAIN, Y_TRAIN)
    with pytest.raises(TypeError, match="estimator must be an ml MLPClassifier"):
        DataParallel(ml.SoftmaxClassifier()).fit(X_blocks, y_blocks)
    with pytest.raises(ValueError, match="solver must be 'adam' or 'sgd'"):
        DataParallel(ml.MLPClassifier(solver="lbfgs")).fit(X_blocks, y_blocks)
    with pytest.raises(ValueError, match="epochs"):
        DataParallel(ml.MLPClassifier(), epochs=0).fit(X_blocks, y_blocks)
    with pytest.raises(ValueError, match="same blocks of rows"):
        DataParallel(ml.MLPClassifier()).fit(X_blocks, da.from_array(Y_TRAIN, chunks=100))
    with pytest.raises(TypeError, match="X must be a Dask array"):
        DataParallel(ml.MLPClassifier()).fit(X_TRAIN, Y_TRAIN)


def test_workers_serve_arrays_from_the_heap_again(client):
    import sys

    from ml.distributed._blocks import keep_arrays_on_the_heap

    expected = sys.platform.startswith("linux")
    assert set(client.run(keep_arrays_on_the_heap).values()) == {expected}
