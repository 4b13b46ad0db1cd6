"""ml on a Dask LocalCluster of 1 and of 2 single-threaded worker processes on 127.0.0.1.

1. A hyper-parameter search of MLPClassifier on digits: in this process, then through joblib's
   dask backend.
2. One network trained on 100,000 rows (make_classification, 64 features, 10 classes, in 16
   blocks persisted on the workers): seconds per epoch and test accuracy of an in-memory fit
   (one thread, and every thread), of Incremental (blocks pulled to this process) and of
   DataParallel (trained where the blocks are), with the bytes the workers sent.

    pip install ".[distributed]" && python benchmarks/bench_distributed.py [--max-iter 60]
        [--epochs 5] [--rows 100000]

Each worker's BLAS is limited to its one thread (ml.distributed.limit_blas_threads), so the
workers do not fight over cores.
"""

from __future__ import annotations

import argparse
import time
import warnings

import dask.array as da
import joblib
from dask.distributed import Client, LocalCluster, wait
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from threadpoolctl import threadpool_limits

import ml
from ml.distributed import DataParallel, Incremental

GRID = {"hidden_layer_sizes": [(32,), (64,), (32, 32), (64, 64)], "alpha": [1e-4, 1e-2]}


def search(max_iter: int) -> GridSearchCV:
    model = ml.MLPClassifier(max_iter=max_iter, random_state=0)
    return GridSearchCV(model, GRID, cv=3, n_jobs=-1)


def timed(function) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def cluster_of(n_workers: int) -> LocalCluster:
    return LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )


def sent(client) -> int:
    """Bytes the workers have sent so far (to each other and to clients)."""
    return sum(client.run(lambda dask_worker: dask_worker.transfer_outgoing_bytes_total).values())


def one_network(epochs: int, rows: int) -> None:
    X, y = make_classification(
        n_samples=rows, n_features=64, n_informative=32, n_classes=10, random_state=0
    )
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    mlp = ml.MLPClassifier((128,), random_state=0)
    print(
        f"\nOne MLPClassifier(128) on {len(X_train):,} rows x 64 ({X_train.nbytes / 1e6:.0f} MB),"
        f" {epochs} epochs: seconds per epoch, test accuracy, MB the workers sent"
    )
    for threads in (1, None):
        with threadpool_limits(limits=threads):
            seconds, model = timed(lambda: mlp.set_params(max_iter=epochs).fit(X_train, y_train))
        where = f"in memory, {'1 thread' if threads else 'all threads'}"
        print(f"  {where:40s} {seconds / epochs:6.2f} s   {model.score(X_test, y_test):.3f}")
    chunks = len(X_train) // 16 + 1
    for n_workers in (1, 2):
        with cluster_of(n_workers) as cluster, Client(cluster) as client:
            ml.distributed.limit_blas_threads(client)
            blocks = client.persist(
                [da.from_array(X_train, chunks=(chunks, 64)), da.from_array(y_train, chunks)]
            )
            wait(blocks)
            for name, model in [
                ("Incremental", Incremental(mlp, epochs=epochs, random_state=0)),
                ("DataParallel", DataParallel(mlp, epochs=epochs, random_state=0)),
                ("DataParallel, sync_every=5", DataParallel(mlp, epochs=epochs, sync_every=5)),
            ]:
                before = sent(client)
                seconds, model = timed(lambda m=model, b=blocks: m.fit(*b))
                moved = (sent(client) - before) / 1e6
                accuracy = model.estimator_.score(X_test, y_test)
                where = f"{name}, {n_workers} worker(s)"
                print(f"  {where:40s} {seconds / epochs:6.2f} s   {accuracy:.3f}   {moved:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-iter", type=int, default=60)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    warnings.filterwarnings("ignore", message="Sending large graph")
    X, y = ml.datasets.load_digits()
    X = X / 16
    fits = 3 * len(GRID["hidden_layer_sizes"]) * len(GRID["alpha"])
    print(f"GridSearchCV: {fits} fits of MLPClassifier(max_iter={args.max_iter}) on digits")
    with joblib.parallel_config(backend="sequential"):
        local, reference = timed(lambda: search(args.max_iter).fit(X, y))
    print(f"  this process, one fit at a time     {local:7.2f} s")
    seconds = {}
    for n_workers in (1, 2):
        with cluster_of(n_workers) as cluster, Client(cluster) as client:
            ml.distributed.limit_blas_threads(client)
            with joblib.parallel_config(backend="dask", scatter=[X, y]):
                seconds[n_workers], result = timed(lambda: search(args.max_iter).fit(X, y))
        same = result.cv_results_["mean_test_score"] == reference.cv_results_["mean_test_score"]
        print(
            f"  LocalCluster, {n_workers} worker(s)              {seconds[n_workers]:7.2f} s"
            f"   speed-up {seconds[1] / seconds[n_workers]:4.2f}x   same scores: {same.all()}"
        )
    one_network(args.epochs, args.rows)


if __name__ == "__main__":
    main()
