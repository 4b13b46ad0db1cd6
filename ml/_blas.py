"""NumPy's own BLAS, for three routines NumPy does not expose: ``axpy`` (``y <- a x + y``),
OpenBLAS's ``axpby`` (``y <- a x + b y``) and ``ger`` (the rank-one update ``A <- A + a x y^T``),
each one pass over the arrays where NumPy's ufuncs make two or three, ``axpy`` and ``ger`` on
OpenBLAS's threads. Only :func:`ml.backend.axpby` and :func:`ml.backend.add_to_rows` use it.

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
    """``{dtype: {"axpy": f, "axpby": f, "ger": f}}`` of NumPy's OpenBLAS as ctypes functions
    (CBLAS's arguments; ``ger``'s first is the layout, 101 for rows), or None where NumPy was
    built with another BLAS or the library cannot be opened."""
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
            arguments = {
                "axpy": [_INT, real, _POINTER, _INT, _POINTER, _INT],
                "axpby": [_INT, real, _POINTER, _INT, real, _POINTER, _INT],
                "ger": [ctypes.c_int, _INT, _INT, real, _POINTER, _INT, _POINTER, _INT]
                + [_POINTER, _INT],
            }
            found[dtype] = {}
            for name, types in arguments.items():
                function = getattr(library, f"{prefix}cblas_{letter}{name}64_")
                function.argtypes, function.restype = types, None
                found[dtype][name] = function
        return found
    except Exception:  # no threadpoolctl, library or symbol: NumPy's passes, as elsewhere
        return None
