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

*One network trained where the data lives*: :class:`DataParallel` trains a copy of the network
on each worker, on the blocks that worker holds, and averages the copies' weights and optimizer
state every ``sync_every`` epochs (local SGD, or federated averaging); only those travel.

Needs the ``distributed`` extra: ``pip install "ml-nn[distributed]"``.
"""

from __future__ import annotations

from ml._validation import check_number
from ml.distributed._blocks import keep_arrays_on_the_heap
from ml.distributed._data_parallel import DataParallel
from ml.distributed._incremental import Incremental

__all__ = ["DataParallel", "Incremental", "limit_blas_threads"]


def _set_blas_threads(n_threads=None, dask_worker=None) -> int:
    """Limit this process's BLAS and OpenMP pools to ``n_threads`` (the worker's own threads
    when None); runs on a worker. Returns the limit set."""
    from threadpoolctl import threadpool_limits

    keep_arrays_on_the_heap()  # the nanny's malloc setting would halve training's speed
    n_threads = n_threads or (dask_worker.state.nthreads if dask_worker is not None else 1)
    threadpool_limits(limits=n_threads)  # kept for the life of the process
    return n_threads


def limit_blas_threads(client, n_threads: int | None = None) -> dict:
    """Limit the BLAS threads of every worker of ``client`` to ``n_threads``, by default to the
    worker's own ``nthreads``, so that workers sharing a machine do not oversubscribe its cores.

    Returns ``{worker address: limit}``. Workers that join later are not covered: call it again.

    Parameters
    ----------
    client : dask.distributed.Client
    n_threads : int, optional
        The limit; each worker's own ``nthreads`` when None.

    Returns
    -------
    limits : dict of str to int
        The limit set on each worker, by address.

    Raises
    ------
    ValueError
        If ``n_threads`` is not a positive int.

    Examples
    --------
    >>> from dask.distributed import Client, LocalCluster
    >>> from ml.distributed import limit_blas_threads
    >>> with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
    ...                   dashboard_address=None) as cluster, Client(cluster) as c:
    ...     limits = limit_blas_threads(c)
    >>> list(limits.values())
    [1]
    """
    if n_threads is not None:
        check_number("n_threads", n_threads, integer=True, low=1)
    return client.run(_set_blas_threads, n_threads)
