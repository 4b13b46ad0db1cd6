"""NumPy's own BLAS, for the two routines NumPy does not expose: ``axpy`` (``y <- a x + y``) and
OpenBLAS's ``axpby`` (``y <- a x + b y``), each one pass over the arrays where NumPy's ufuncs make
two or three, ``axpy`` on OpenBLAS's threads. Only :func:`ml.backend.axpby` uses it.

The library is the OpenBLAS that NumPy's wheels ship (scipy-openblas64, or NumPy 1.26's
openblas64_: 64-bit integers, its symbols named ``[scipy_]cblas_*64_``), found among the loaded
libraries by threadpoolctl (a dependency of scikit-learn's) in NumPy's own folder. It is the
library whose threads NumPy's products use, so calling it adds no second pool of threads. Any
other build (Accelerate, MKL, a system OpenBLAS, SciPy's own copy) is not used: :func:`routines`
is then None and the callers keep NumPy's passes.
"""

from __future__ import annotations

import ctypes
import functools
import os
import warnings

import numpy as np

_INT, _POINTER = ctypes.c_int64, ctypes.c_void_p
_TYPES = {np.dtype(np.float32): ("s", ctypes.c_float), np.dtype(np.float64): ("d", ctypes.c_double)}


@functools.cache
def routines() -> dict | None:
    """``{dtype: (axpy, axpby)}`` of NumPy's OpenBLAS as ctypes functions, or None where NumPy
    was built with another BLAS or the library cannot be opened."""
    try:
        import threadpoolctl

        folder = os.path.dirname(np.__file__)
        places = (folder + os.sep, folder + ".libs" + os.sep)  # numpy.libs/, numpy/.dylibs/
        with warnings.catch_warnings():  # its notes on OpenMP runtimes are not ours to show
            warnings.simplefilter("ignore")
            libraries = threadpoolctl.threadpool_info()
        paths = [
            info["filepath"]
            for info in libraries
            if info.get("internal_api") == "openblas" and info["filepath"].startswith(places)
        ]
        if not paths:
            return None
        library, found = ctypes.CDLL(paths[0]), {}
        prefix = "scipy_" if hasattr(library, "scipy_cblas_saxpy64_") else ""  # NumPy 1.26: ""
        for dtype, (letter, real) in _TYPES.items():
            axpy = getattr(library, f"{prefix}cblas_{letter}axpy64_")
            axpy.argtypes, axpy.restype = [_INT, real, _POINTER, _INT, _POINTER, _INT], None
            axpby = getattr(library, f"{prefix}cblas_{letter}axpby64_")
            axpby.argtypes = [_INT, real, _POINTER, _INT, real, _POINTER, _INT]
            axpby.restype = None
            found[dtype] = (axpy, axpby)
        return found
    except Exception:  # no threadpoolctl, library or symbol: NumPy's passes, as elsewhere
        return None
