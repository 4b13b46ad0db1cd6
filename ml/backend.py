"""The one place that knows what is library-specific: array namespaces, random numbers, devices.

Numerical code elsewhere asks ``array_namespace(x)`` for the namespace of its inputs and calls
``xp.exp``, ``xp.sum``, ... on it, so the same code runs on NumPy, PyTorch or CuPy arrays.
NumPy stays the default and the fastest path on the CPU.
"""

from __future__ import annotations

import numbers

import array_api_compat
import array_api_compat.numpy as numpy_namespace
import numpy as np

__all__ = [
    "array_namespace",
    "as_array",
    "check_random_state",
    "legacy_random_state",
    "sklearn_seed",
    "take_rows",
    "to_numpy",
]


def array_namespace(*arrays):
    """Return the array-API namespace shared by ``arrays``; NumPy's for lists, tuples, scalars."""
    arrays = [a for a in arrays if array_api_compat.is_array_api_obj(a)]
    return array_api_compat.array_namespace(*arrays) if arrays else numpy_namespace


def as_array(x, name: str = "x"):
    """Return ``(xp, x)``: the namespace of ``x`` and ``x`` as an array of it (lists -> NumPy).

    Raises ``TypeError`` naming ``name`` when a NumPy ``x`` does not hold numbers.
    """
    xp = array_namespace(x)
    x = xp.asarray(x)
    if isinstance(x, np.ndarray) and x.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be an array of numbers; got dtype {x.dtype}.")
    return xp, x


def to_numpy(x) -> np.ndarray:
    """Copy ``x`` from any array library (and any device) into a NumPy array."""
    if isinstance(x, np.ndarray):
        return x
    if array_api_compat.is_torch_array(x):
        return x.detach().cpu().numpy()
    if array_api_compat.is_cupy_array(x):
        return x.get()
    return np.asarray(x)


def check_random_state(random_state) -> np.random.Generator:
    """Turn ``random_state`` into a ``numpy.random.Generator``.

    Parameters
    ----------
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState
        None gives fresh entropy; an int gives the same stream every time; a Generator is used
        as it is (and advanced); a legacy RandomState seeds a new Generator from its stream.
    """
    if random_state is None or isinstance(random_state, numbers.Integral):
        if isinstance(random_state, numbers.Integral) and random_state < 0:
            raise ValueError(f"random_state must be a non-negative integer; got {random_state}.")
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    raise TypeError(
        "random_state must be None, an int, a numpy.random.Generator or a RandomState; "
        f"got {type(random_state).__name__}."
    )


def legacy_random_state(random_state) -> np.random.RandomState:
    """scikit-learn's stream for ``random_state``: ``RandomState(seed)`` for an int or None, a
    RandomState as it is, one seeded from a Generator's next number. Drawing from it in
    scikit-learn's order gives scikit-learn's numbers (the estimators' initial weights)."""
    if isinstance(random_state, np.random.RandomState):
        return random_state
    if isinstance(random_state, np.random.Generator):
        return np.random.RandomState(int(random_state.integers(2**32)))
    check_random_state(random_state)  # rejects what is neither None nor a non-negative int
    return np.random.RandomState(random_state)


def sklearn_seed(random_state) -> int | None:
    """An int or None for functions of scikit-learn that take a legacy ``random_state``.

    Ints and None pass through unchanged, so ``random_state=0`` gives scikit-learn's own result;
    a Generator gives an int drawn from it.
    """
    if random_state is None or isinstance(random_state, numbers.Integral):
        check_random_state(random_state)  # rejects negative seeds with a clear message
        return random_state
    return int(check_random_state(random_state).integers(np.iinfo(np.int32).max))


def take_rows(x, index):
    """The rows ``index`` of ``x`` (an array or a SciPy sparse matrix) as a dense array: a sparse
    matrix is made dense for those rows only."""
    rows = x[index]
    return rows.toarray() if hasattr(rows, "toarray") else rows
