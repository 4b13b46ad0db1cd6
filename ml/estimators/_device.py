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

import array_api_compat
import numpy as np
import scipy.sparse as sp
import sklearn

from ml.backend import (
    array_namespace,
    device,
    is_numpy,
    move,
    numpy_dtype,
    resolve_device,
    to_numpy,
)
from ml.estimators._data import float_dtype


def placement(estimator, X):
    """``(xp, device)`` of the computation for the validated ``X`` and ``estimator.device``."""
    if sp.issparse(X):
        return resolve_device(estimator.device, X[:0].toarray())
    return resolve_device(estimator.device, X)


def lives_at(array, place) -> bool:
    """Whether ``array`` is in the namespace and on the device of ``place``."""
    xp, where = place
    return array_namespace(array) is xp and (where is None or device(array) == where)


def to_place(X, place):
    """``X`` in the namespace and on the device ``place``; a sparse X stays sparse for NumPy (its
    batches are made dense one at a time) and is made dense for any other library."""
    xp, where = place
    if sp.issparse(X):
        return X if is_numpy(xp) else move(X.toarray(), xp, where)
    return move(X, xp, where)


def homeward(X, dtype=None):
    """A function that moves a result to the namespace and device of the validated ``X``, and
    casts a float result to ``dtype`` when given: scikit-learn's results follow the input's
    precision (see :func:`result_dtype`)."""
    xp = None if sp.issparse(X) else array_namespace(X)
    go = to_numpy
    if xp is not None and not is_numpy(xp):
        go = functools.partial(move, xp=xp, device=device(X))
    if dtype is None:
        return go

    def back(result):
        result = go(result)
        given = np.dtype(numpy_dtype(result.dtype))
        if given.kind == "f" and given != dtype:
            rxp = array_namespace(result)
            return rxp.astype(result, getattr(rxp, np.dtype(dtype).name))
        return result

    return back


def check_same_place(estimator, X, fitted, method: str) -> None:
    """Under scikit-learn's ``array_api_dispatch``, for a model that computes where its data
    lives (``device=None``), X must come from the namespace and device of ``fitted`` (an array
    of the fit), as scikit-learn requires; NumPy, lists, DataFrames and sparse matrices are one
    family. Its message is scikit-learn's, so scikit-learn's checks know it."""
    if not sklearn.get_config()["array_api_dispatch"] or estimator.device is not None:
        return
    X_place, fit_place = _place_of(X), _place_of(fitted)
    if X_place == fit_place:
        return
    names = [getattr(xp, "__name__", "numpy") for xp, _ in (fit_place, X_place)]
    raise ValueError(
        f"Inputs passed to {type(estimator).__name__}.{method}() must use the same namespace "
        "and the same device as those passed to fit(). The model was fitted on "
        f"{names[0]} arrays (device {fit_place[1]}) and {method} was given {names[1]} "
        f"(device {X_place[1]}): move X there, or refit on X's kind of array."
    )


def _place_of(values) -> tuple:
    """``(namespace, device)`` of an array, ``(None, None)`` for NumPy and what becomes it."""
    if sp.issparse(values) or not array_api_compat.is_array_api_obj(values):
        return None, None
    xp = array_namespace(values)
    return (None, None) if is_numpy(xp) else (xp, device(values))


def result_dtype(X, model_dtype) -> np.dtype:
    """The dtype of a prediction for the raw ``X``, as scikit-learn's: a float32 X stays
    float32 and anything else becomes float64, then combined with the weights' dtype (a float32
    model answers float64 input in float64, a float64 model float32 input in float64)."""
    return np.result_type(float_dtype(None, X), numpy_dtype(model_dtype))


def labels_of(classes, index):
    """The labels ``classes[index]``: where ``index`` lives when they are numbers (``classes``
    being NumPy), on the host for strings and objects, which exist nowhere else."""
    if type(index) is np.ndarray:
        return classes[index]
    if classes.dtype.kind in "biuf":
        xp = array_namespace(index)
        return xp.take(move(classes, xp, device(index)), index, axis=0)
    return classes[to_numpy(index)]
