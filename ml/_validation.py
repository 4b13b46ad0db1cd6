"""Checks of arguments shared by every floor: each error names the argument and the problem."""

from __future__ import annotations

import numbers
import os


def check_number(
    name: str,
    value,
    *,
    integer: bool = False,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
):
    """Return ``value`` if it is a real number (an int where ``integer``) within the bounds.

    Raises ``TypeError`` for the wrong type and ``ValueError`` for a value out of range or NaN,
    with a message such as ``max_iter must be an int >= 0; got -1.``
    """
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        what = "an int" if integer else "a real number"
        raise TypeError(f"{name} must be {what}; got {value!r} of type {type(value).__name__}.")
    bounds = []
    if low is not None:
        bounds.append((">=" if low_inclusive else ">") + f" {low}")
    if high is not None:
        bounds.append(("<=" if high_inclusive else "<") + f" {high}")
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    too_high = high is not None and (value > high if high_inclusive else value >= high)
    if value != value or too_low or too_high:
        what = "an int" if integer else "a number"
        raise ValueError(f"{name} must be {what} {' and '.join(bounds)}; got {value!r}.")
    return value


def check_boolean(name: str, value):
    """Return ``value`` if it is True or False; strings such as "False" are refused."""
    import numpy as np

    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False; got {value!r}.")
    return bool(value)


def check_option(name: str, value, options):
    """Return ``value`` if it is one of ``options``; otherwise a ValueError that lists them."""
    if not isinstance(value, str) or value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name} must be one of {listed}; got {value!r}.")
    return value


def check_float_array(name: str, value, shape: tuple | None = None):
    """Return ``value`` if it is a NumPy array of finite float32 or float64 numbers, of ``shape``
    when given; otherwise a ValueError (or TypeError) that names it."""
    import numpy as np

    if not isinstance(value, np.ndarray) or value.dtype not in (np.float32, np.float64):
        kind = getattr(value, "dtype", type(value).__name__)
        raise TypeError(f"{name} must be an array of float32 or float64; got {kind}.")
    if shape is not None and value.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}; got {value.shape}.")
    if not np.isfinite(value).all():
        raise ValueError(f"{name} holds NaN or infinite values.")
    return value


def check_float_dtype(name: str, dtype):
    """``dtype`` as a NumPy dtype if it is float32 or float64 (the dtypes we compute in)."""
    import numpy as np

    try:
        dtype = np.dtype(dtype)
    except TypeError:
        pass
    check_option(name, getattr(dtype, "name", dtype), ("float32", "float64"))
    return dtype


def memory_bytes() -> int:
    """The machine's physical memory in bytes (a large number where it cannot be read)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 2**50


def check_memory(name: str, n_bytes: int, what: str) -> None:
    """Refuse, before anything is allocated, what could never fit in this machine's memory: a
    ValueError naming ``name``, what needs the memory and how much."""
    available = memory_bytes()
    if n_bytes > available:
        raise ValueError(
            f"{name}: {what} would take {_size(n_bytes)}, more than this machine's "
            f"{_size(available)} of memory."
        )


def _size(n_bytes: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n_bytes < 1024 or unit == "PiB":
            return f"{n_bytes:.0f} {unit}" if unit == "bytes" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes} bytes"
