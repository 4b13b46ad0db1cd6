"""Where an estimator computes, and where its results go: scikit-learn's array API convention
and the ``device`` parameter.

With ``sklearn.set_config(array_api_dispatch=True)`` everything follows X: X validated in its own
namespace, computed there, fitted arrays kept there, results returned there. Without it, input is
made NumPy as scikit-learn always did. ``device`` then moves the computation (NumPy in, a GPU
inside through PyTorch or CuPy, NumPy out). Labels, targets and weights are checked on the host,
once, and moved to where X is computed; nothing crosses back inside the training loop.
"""

from __future__ import annotations

import functools

import scipy.sparse as sp

from ml.backend import array_namespace, device, is_numpy, move, resolve_device, to_numpy


def placement(estimator, X):
    """``(xp, device)`` of the computation for the validated ``X`` and ``estimator.device``."""
    if sp.issparse(X):
        return resolve_device(estimator.device, X[:0].toarray())
    return resolve_device(estimator.device, X)


def to_place(X, place):
    """``X`` in the namespace and on the device ``place``; a sparse X stays sparse for NumPy (its
    batches are made dense one at a time) and is made dense for any other library."""
    xp, where = place
    if sp.issparse(X):
        return X if is_numpy(xp) else move(X.toarray(), xp, where)
    return move(X, xp, where)


def homeward(X):
    """A function that moves a result to the namespace and device of the validated ``X``."""
    xp = None if sp.issparse(X) else array_namespace(X)
    if xp is None or is_numpy(xp):
        return to_numpy
    return functools.partial(move, xp=xp, device=device(X))


def labels_of(classes, index):
    """The labels ``classes[index]``: where ``index`` lives when they are numbers (``classes``
    being NumPy), on the host for strings and objects, which exist nowhere else."""
    if classes.dtype.kind in "biuf":
        xp = array_namespace(index)
        return xp.take(move(classes, xp, device(index)), index, axis=0)
    return classes[to_numpy(index)]
