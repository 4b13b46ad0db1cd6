"""Time a hyper-parameter search of MLPClassifier on digits: in this process, then on a Dask
LocalCluster of 1 and of 2 single-threaded worker processes (joblib's dask backend).

    pip install ".[distributed]" && python benchmarks/bench_distributed.py [--max-iter 60]

Prints seconds per setting and the speed-up over one worker; each worker's BLAS is limited to
its one thread (ml.distributed.limit_blas_threads), so the workers do not fight over cores.
"""

from __future__ import annotations

import argparse
import time
import warnings

import joblib
from dask.distributed import Client, LocalCluster
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

import ml

GRID = {"hidden_layer_sizes": [(32,), (64,), (32, 32), (64, 64)], "alpha": [1e-4, 1e-2]}


def search(max_iter: int) -> GridSearchCV:
    model = ml.MLPClassifier(max_iter=max_iter, random_state=0)
    return GridSearchCV(model, GRID, cv=3, n_jobs=-1)


def timed(function) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-iter", type=int, default=60)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    X, y = ml.datasets.load_digits()
    X = X / 16
    fits = 3 * len(GRID["hidden_layer_sizes"]) * len(GRID["alpha"])
    print(f"GridSearchCV: {fits} fits of MLPClassifier(max_iter={args.max_iter}) on digits")
    with joblib.parallel_config(backend="sequential"):
        local, reference = timed(lambda: search(args.max_iter).fit(X, y))
    print(f"  this process, one fit at a time     {local:7.2f} s")
    seconds = {}
    for n_workers in (1, 2):
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        with cluster, Client(cluster) as client:
            ml.distributed.limit_blas_threads(client)
            with joblib.parallel_config(backend="dask", scatter=[X, y]):
                seconds[n_workers], result = timed(lambda: search(args.max_iter).fit(X, y))
        same = result.cv_results_["mean_test_score"] == reference.cv_results_["mean_test_score"]
        print(
            f"  LocalCluster, {n_workers} worker(s)              {seconds[n_workers]:7.2f} s"
            f"   speed-up {seconds[1] / seconds[n_workers]:4.2f}x   same scores: {same.all()}"
        )


if __name__ == "__main__":
    main()
