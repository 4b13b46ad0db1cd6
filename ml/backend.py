"""The one place that knows what is library-specific: array namespaces, random numbers, devices.

Numerical code elsewhere asks ``array_namespace(x)`` for the namespace of its inputs and calls
``xp.exp``, ``xp.sum``, ... on it, so the same code runs on NumPy, PyTorch or CuPy arrays.
NumPy stays the default and the fastest path on the CPU: its fast paths are here, the last of
them calling NumPy's own OpenBLAS (through :mod:`ml._blas`) for what NumPy does not expose.
"""

from __future__ import annotations

import importlib
import math
import numbers

import array_api_compat
import array_api_compat.numpy as numpy_namespace
import numpy as np
from numpy.lib.stride_tricks import as_strided

from ml._blas import routines as blas_routines

__all__ = [
    "array_namespace",
    "add_to_rows",
    "as_array",
    "axpby",
    "check_random_state",
    "copy",
    "device",
    "flatten_into",
    "joined",
    "is_numpy",
    "legacy_random_state",
    "matmul",
    "max_last",
    "move",
    "numpy_dtype",
    "permutation",
    "random_uniform",
    "relu",
    "resolve_device",
    "sklearn_seed",
    "sum_last",
    "sum_products",
    "sum_rows",
    "sum_squares",
    "take_rows",
    "to_numpy",
    "window_counts",
    "windows",
    "zeros",
]


def array_namespace(*arrays):
    """Return the array-API namespace shared by ``arrays``; NumPy's for lists, tuples, scalars.

    Parameters
    ----------
    *arrays : arrays, lists, tuples or scalars
        The inputs of a computation, all of one library.

    Returns
    -------
    xp : module
        The array-API namespace (array-api-compat's wrapper of NumPy, PyTorch or CuPy).

    Examples
    --------
    >>> import numpy as np
    >>> import ml
    >>> xp = ml.array_namespace(np.ones(3))
    >>> float(xp.sum(xp.exp(xp.zeros(2))))
    2.0
    """
    if all(type(a) is np.ndarray for a in arrays):  # the common case, asked on every layer call
        return numpy_namespace
    arrays = [a for a in arrays if array_api_compat.is_array_api_obj(a)]
    return array_api_compat.array_namespace(*arrays) if arrays else numpy_namespace


def as_array(x, name: str = "x"):
    """Return ``(xp, x)``: the namespace of ``x`` and ``x`` as an array of it (lists -> NumPy).

    Raises ``TypeError`` naming ``name`` when a NumPy ``x`` does not hold numbers.
    """
    if type(x) is np.ndarray:  # the common case: no conversion to look for
        xp = numpy_namespace
    else:
        xp = array_namespace(x)
        x = xp.asarray(x)
    if isinstance(x, np.ndarray) and x.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be an array of numbers; got dtype {x.dtype}.")
    return xp, x


def device(x):
    """The device ``x`` lives on (``"cpu"`` for NumPy)."""
    return array_api_compat.device(x)


def is_numpy(xp) -> bool:
    """Whether ``xp`` is NumPy's namespace (where the NumPy fast paths apply)."""
    return array_api_compat.is_numpy_namespace(xp)


def numpy_dtype(dtype) -> np.dtype:
    """The NumPy dtype of the same name as ``dtype`` of any library (``torch.float32`` ->
    ``float32``)."""
    try:
        return np.dtype(dtype)
    except TypeError:
        return np.dtype(str(dtype).rsplit(".", 1)[-1])


def zeros(shape, like, fill=0.0):
    """``shape`` filled with ``fill``, in the namespace, dtype and device of ``like``."""
    xp = array_namespace(like)
    return xp.full(tuple(shape), fill, dtype=like.dtype, device=device(like))


def copy(x):
    """A copy of the array ``x``, in its own namespace and on its own device."""
    return x.copy() if isinstance(x, np.ndarray) else array_namespace(x).asarray(x, copy=True)


def to_numpy(x) -> np.ndarray:
    """``x`` from any array library (and any device) as a NumPy array on the host (a NumPy
    array is returned as it is).

    Parameters
    ----------
    x : array of any array-API library, or array_like

    Returns
    -------
    array : numpy.ndarray
        On the host.

    Raises
    ------
    TypeError
        If ``x`` is an array on a device that NumPy cannot read and that has no way to the
        host (no ``to_device``).

    Examples
    --------
    >>> import ml
    >>> ml.to_numpy([1, 2, 3])
    array([1, 2, 3])
    """
    if isinstance(x, np.ndarray):
        return x
    if array_api_compat.is_torch_array(x):
        return x.detach().cpu().numpy()
    if array_api_compat.is_cupy_array(x):
        return x.get()
    try:
        return np.asarray(x)
    except (RuntimeError, TypeError, BufferError):  # another library's array on another device
        if not hasattr(x, "to_device"):
            raise
        info = array_api_compat.array_namespace(x).__array_namespace_info__()
        return np.asarray(x.to_device(info.default_device()))  # its host, the standard says


def move(x, xp, device=None):
    """``x`` (an array of any library, or a list) as an array of the namespace ``xp`` on
    ``device``; returned as it is when it is there already."""
    if is_numpy(xp):
        return to_numpy(x)
    if array_api_compat.is_torch_namespace(xp):
        if not array_api_compat.is_torch_array(x):
            x = xp.asarray(np.ascontiguousarray(to_numpy(x)))
        return x.to(device) if device is not None else x
    if array_namespace(x) is xp and (device is None or array_api_compat.device(x) == device):
        return x
    return xp.asarray(to_numpy(x), device=device)


def resolve_device(device, X):
    """``(xp, device)``, where an estimator computes for its ``device`` parameter and input ``X``.

    None computes where X lives. ``"cpu"`` computes on the CPU in X's library (NumPy for NumPy
    and CuPy input). ``"cuda"``, ``"cuda:1"`` or ``"mps"`` take PyTorch, or CuPy for CUDA where
    PyTorch cannot; a ``torch.device`` takes PyTorch on it. A device that is not there, or a
    library that is not installed, raises ``ValueError`` naming what to install or change.
    """
    xp = array_namespace(X)
    if device is None:
        return xp, None if is_numpy(xp) else array_api_compat.device(X)
    kind = getattr(device, "type", device)  # a torch.device has a .type
    if not isinstance(kind, str):
        raise ValueError(f"device must be None, a string or a torch.device; got {device!r}.")
    if device == "cpu":
        if array_api_compat.is_torch_namespace(xp):
            return xp, "cpu"
        return (numpy_namespace, None) if array_api_compat.is_cupy_namespace(xp) else (xp, None)
    problems = []
    torch, cupy = _library("torch"), _library("cupy")
    if torch is not None:
        try:
            place = torch.device(device)
            torch.empty(0, device=place)
            return array_namespace(torch.empty(0)), place
        except (RuntimeError, AssertionError) as error:
            problems.append(f"PyTorch: {str(error).splitlines()[0]}")
    if cupy is not None and kind.startswith("cuda"):
        try:
            place = cupy.cuda.Device(int(kind.partition(":")[2] or 0))
            place.compute_capability  # noqa: B018 -- raises where there is no such GPU
            return array_namespace(cupy.empty(0)), place
        except (ValueError, cupy.cuda.runtime.CUDARuntimeError) as error:
            problems.append(f"CuPy: {str(error).splitlines()[0]}")
    if not problems:
        raise ValueError(
            f"device={device!r} needs PyTorch (pip install torch, a build for your GPU) or, for "
            "CUDA, CuPy (pip install cupy-cuda12x); neither is installed."
        )
    raise ValueError(
        f"device={device!r} is not available here ({'; '.join(problems)}). Use device=None or "
        "'cpu', or install a build of PyTorch (or CuPy) for that device."
    )


def _library(name):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def check_random_state(random_state) -> np.random.Generator:
    """Turn ``random_state`` into a ``numpy.random.Generator``.

    Parameters
    ----------
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState
        None gives fresh entropy; an int gives the same stream every time; a Generator is used
        as it is (and advanced); a legacy RandomState seeds a new Generator from its stream.

    Returns
    -------
    rng : numpy.random.Generator

    Raises
    ------
    TypeError
        If ``random_state`` is none of these (a float, a string).
    ValueError
        If it is a negative int.

    Examples
    --------
    >>> import ml
    >>> a, b = ml.check_random_state(0), ml.check_random_state(0)
    >>> float(a.random()) == float(b.random())
    True
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
    """The rows ``index`` (a slice, or an integer array of x's namespace) of ``x`` (an array or
    a SciPy sparse matrix) as a dense array: a sparse matrix is made dense for those rows only."""
    if hasattr(x, "toarray"):
        return x[index].toarray()
    if isinstance(index, slice) or isinstance(x, np.ndarray):
        return x[index, ...]
    return array_namespace(x).take(x, index, axis=0)


# --- random numbers on the arrays' own device -----------------------------------------------------


def _seed(rng) -> int:
    """The next seed for a device generator, drawn from the NumPy Generator ``rng``."""
    return int(rng.integers(2**63))


def random_uniform(rng, shape, like):
    """Uniform numbers in [0, 1) of ``shape``, drawn on the device of ``like`` in its dtype.

    ``rng`` (a NumPy Generator) is the one source: NumPy draws from it directly; for PyTorch and
    CuPy it seeds a generator on the device, so that the numbers (dropout's masks) are made
    where they are used and never cross from the host. They are the device generator's own
    numbers, not NumPy's, as PyTorch's CPU and CUDA generators differ.
    """
    xp, shape = array_namespace(like), tuple(shape)
    if is_numpy(xp):
        return rng.random(shape, dtype=like.dtype)
    if array_api_compat.is_torch_array(like):
        generator = _torch_generator(rng, like.device)
        return xp.rand(shape, generator=generator, device=like.device, dtype=like.dtype)
    if array_api_compat.is_cupy_array(like):
        with like.device:
            return _library("cupy").random.default_rng(_seed(rng)).random(shape, like.dtype)
    return xp.asarray(rng.random(shape), dtype=like.dtype, device=device(like))


def permutation(rng, n: int, like):
    """A random permutation of ``range(n)`` from the NumPy Generator ``rng``, as an index array
    on the device of ``like``. Drawn on the host and sent over (n integers; the data stays where
    it is), so that a seed shuffles alike in every library: a fit on a GPU takes the same
    minibatches as the NumPy fit of the same seed."""
    order = rng.permutation(n)
    return (
        order if isinstance(like, np.ndarray) else move(order, array_namespace(like), device(like))
    )


def _torch_generator(rng, place):
    torch = _library("torch")
    return torch.Generator(device=place).manual_seed(_seed(rng))


# --- NumPy fast paths with a portable fallback ----------------------------------------------------


def window_counts(size, kernel, stride) -> tuple[int, int]:
    """How many windows of ``kernel`` fit, at ``stride``, down and across an input of ``size``
    (height, width); a ``ValueError`` where none does."""
    (h, w), (kh, kw), (sh, sw) = size, kernel, stride
    out_h, out_w = (h - kh) // sh + 1, (w - kw) // sw + 1
    if out_h < 1 or out_w < 1:
        raise ValueError(
            f"a {kh}x{kw} window does not fit in the padded input of size {h}x{w}; use a "
            "smaller kernel or more padding."
        )
    return out_h, out_w


def windows(x, kernel, stride, *, channels_last=False):
    """Every kernel-sized window of the 4-D ``x``: of shape (N, C, OH, OW, KH, KW) for NCHW input,
    or (N, OH, OW, KH, KW, C) for NHWC input with ``channels_last``.

    NumPy gets a strided view (no copy); other libraries stack one strided slice per kernel offset.
    """
    (kh, kw), (sh, sw) = kernel, stride
    out_h, out_w = window_counts(x.shape[1:3] if channels_last else x.shape[2:4], kernel, stride)
    if isinstance(x, np.ndarray):
        s = x.strides
        if channels_last:
            shape = (x.shape[0], out_h, out_w, kh, kw, x.shape[3])
            strides = (s[0], s[1] * sh, s[2] * sw, s[1], s[2], s[3])
        else:
            shape = (*x.shape[:2], out_h, out_w, kh, kw)
            strides = (s[0], s[1], s[2] * sh, s[3] * sw, s[2], s[3])
        return as_strided(x, shape=shape, strides=strides, writeable=False)
    xp = array_namespace(x)
    rows = [slice(i, i + sh * (out_h - 1) + 1, sh) for i in range(kh)]
    cols = [slice(j, j + sw * (out_w - 1) + 1, sw) for j in range(kw)]
    if channels_last:
        parts = [x[:, r, c, :] for r in rows for c in cols]
        return xp.reshape(xp.stack(parts, axis=3), (x.shape[0], out_h, out_w, kh, kw, x.shape[3]))
    parts = [x[:, :, r, c] for r in rows for c in cols]
    return xp.reshape(xp.stack(parts, axis=-1), (*x.shape[:2], out_h, out_w, kh, kw))


# --- NumPy fast paths: one flat buffer for many arrays, products written in place ---------------


_LONG, _PIECE, _SHORT = 8192, 4096, 64


def matmul(a, b, out=None):
    """``a @ b``, or with ``out`` (a NumPy view of a flat gradient buffer, which only NumPy
    networks have: ``Optimizer.flatten``) written into it without a temporary.

    A NumPy product of two matrices with a short side (at most 64) and a long one (8,192 or
    more: a convolution of few channels over a whole batch's pixels) is made in pieces of 4,096
    along the long side, the columns of a wide result side by side, the pieces of a long inner
    axis summed. OpenBLAS makes such a product at a fifth of its rate, and its pieces at
    twice to four times that one's (6 x 25 x 50,176: 1.33 ms whole, 0.35 ms in pieces).

    An inner axis of 1 (the weight gradient ``x^T dy`` of a batch of one sample) is an outer
    product, which NumPy's matmul makes without BLAS: ``np.dot`` makes it through BLAS, the
    same products (784 x 1 x 256: 0.35 ms, 0.06)."""
    if type(a) is np.ndarray and type(b) is np.ndarray and a.ndim == b.ndim == 2:
        (m, k), n = a.shape, b.shape[1]
        if k == 1 and (
            out is None or (out.dtype == np.result_type(a, b) and out.flags.c_contiguous)
        ):
            return np.dot(a, b, out=out)
        if m <= _SHORT and n >= _LONG:
            pieces = [a @ b[:, i : i + _PIECE] for i in range(0, n, _PIECE)]
            return np.concatenate(pieces, axis=1, out=out)
        if m <= _SHORT and n <= _SHORT and k >= _LONG:
            total = np.matmul(a[:, :_PIECE], b[:_PIECE], out=out)
            for i in range(_PIECE, k, _PIECE):
                total += a[:, i : i + _PIECE] @ b[i : i + _PIECE]
            return total
    return a @ b if out is None else np.matmul(a, b, out=out)


def sum_rows(x):
    """``sum_i x[i, :]``, the column sums of a 2-D array: on NumPy as the product ``1^T x``,
    twice as fast as its reduction along the first axis."""
    if type(x) is np.ndarray:
        return _ones(x.shape[0], x.dtype) @ x
    return array_namespace(x).sum(x, axis=0)


_BLAS_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def sum_last(x):
    """The sums over the last axis, kept as an axis of 1 (``sum(x, axis=-1, keepdims=True)``):
    for C-contiguous float32 or float64 rows on NumPy the product ``x 1`` (BLAS), a third to an
    eighth of the reduction's time for few columns (200 x 10: 7.0 to 2.5 us; 10,000 x 10: 217
    to 28 us). A NaN or an infinity makes its row's sum so."""
    if type(x) is np.ndarray and x.ndim == 2 and x.flags.c_contiguous and x.dtype in _BLAS_FLOATS:
        return (x @ _ones(x.shape[1], x.dtype))[:, None]
    return array_namespace(x).sum(x, axis=-1, keepdims=True)


def sum_products(a, b):
    """``sum(a * b)`` over all of the product: for NumPy arrays of one shape and of float32 or
    float64 the dot product of the flat arrays (BLAS: one pass, without the array of products),
    a sixth of the time for the squares of W2's weights (165 to 28 us a step), a fourth for a
    cross-entropy's ``sum(Y log q)`` of 200 x 10 (6.0 to 1.5 us); other arrays (other dtypes,
    shapes that broadcast) by the formula. A NaN or an infinity makes the sum so, as there."""
    if (
        type(a) is np.ndarray
        and type(b) is np.ndarray
        and a.dtype in _BLAS_FLOATS
        and a.dtype == b.dtype
        and a.shape == b.shape
    ):
        return a.reshape(-1) @ b.reshape(-1)  # views of contiguous arrays, in the same order
    return array_namespace(a, b).sum(a * b)


def sum_squares(x):
    """``sum(x * x)`` over all of ``x`` (:func:`sum_products`; scikit-learn's own formula for
    its L2 penalty)."""
    return sum_products(x, x)


_AXPBY_LEAST = 32_768


def axpby(a, x, b, y):
    """``y <- a x + b y``, in place; returns ``y``. For contiguous NumPy float32 or float64
    arrays of the same shape and 32,768 values or more (a layer's weights, an optimizer's flat
    buffers) one call of NumPy's own BLAS (:mod:`ml._blas`): one pass where NumPy's
    ``y *= b; y += a * x`` makes three, and with ``b = 1`` (``axpy``) on both of its threads
    (270,000 float32 values after a product: 97 us against 250, and 46 against 175). Smaller
    arrays, where the call costs more than the passes, other arrays, and ``a`` or ``b`` of 0
    (which BLAS takes as "do not read", so that a NaN would not carry) take NumPy's passes."""
    pointers = _blas_pointers(x, y, _AXPBY_LEAST)
    if pointers is not None and x.shape == y.shape and a and b:
        blas = blas_routines()[y.dtype]
        if b == 1:
            blas["axpy"](y.size, float(a), pointers[0], 1, pointers[1], 1)
        else:
            blas["axpby"](y.size, float(a), pointers[0], 1, float(b), pointers[1], 1)
        return y
    if _is_one(b):  # a rate that is a GPU tensor is not compared: that would wait for the GPU
        y += x if _is_one(a) else a * x
        return y
    term = a * x  # before y changes, which x may share
    y *= b
    y += term
    return y


def _is_one(rate) -> bool:
    return isinstance(rate, int | float) and rate == 1


_ADD_ROWS_LEAST, _ROW_MAJOR = 131_072, 101


def add_to_rows(y, b):
    """``y += b`` for a 2-D ``y`` and a row ``b`` of its width (a bias added to every row of a
    layer's output), in place; returns ``y``. For contiguous NumPy float32 or float64 arrays,
    ``y`` of 131,072 values or more, one BLAS rank-one update ``y <- y + 1 b^T`` (``ger``, on
    both of OpenBLAS's threads; :mod:`ml._blas`), NumPy's numbers bit for bit (``1 * b_j`` is
    ``b_j``): 10,000 x 256 float32 after a product 1.03 ms to 0.30, 1,024 x 256 107 us to 45.
    Smaller (where the call costs more than the pass) and other arrays: NumPy's ``y += b``."""
    pointers = _blas_pointers(b, y, _ADD_ROWS_LEAST)
    if pointers is not None and y.ndim == 2 and b.shape == y.shape[1:]:
        rows, width = y.shape
        ones = _ones(rows, y.dtype)
        ger = blas_routines()[y.dtype]["ger"]
        ger(_ROW_MAJOR, rows, width, 1.0, ones.ctypes.data, 1, pointers[0], 1, pointers[1], width)
        return y
    y += b
    return y


def _blas_pointers(x, y, least: int):
    """The addresses of ``x`` and ``y`` where a BLAS call may read ``x`` and write ``y``, else
    None: both NumPy arrays of one BLAS float dtype, ``y`` of ``least`` values or more, both
    C-contiguous and aligned, ``y`` writeable, the two the same memory or none of it in common,
    and NumPy's BLAS the OpenBLAS that :mod:`ml._blas` finds."""
    if not (type(x) is np.ndarray and type(y) is np.ndarray and y.size >= least):
        return None
    if x.dtype != y.dtype or y.dtype not in _BLAS_FLOATS:
        return None
    flags_x, flags_y = x.flags, y.flags
    if not (flags_x.c_contiguous and flags_y.c_contiguous and flags_x.aligned and flags_y.aligned):
        return None
    if not flags_y.writeable or blas_routines() is None:
        return None
    start_x, start_y = x.ctypes.data, y.ctypes.data
    same = start_x == start_y and x.nbytes == y.nbytes
    if not same and start_x < start_y + y.nbytes and start_y < start_x + x.nbytes:
        return None  # overlapping, shifted
    return start_x, start_y


def max_last(x):
    """The maxima over the last axis, kept as an axis of 1 (``max(x, axis=-1, keepdims=True)``):
    on NumPy rows of at most 64 values the maxima down the columns of the transposed copy, the
    same numbers at a fourth to a thirteenth of the time of a reduction along a short axis
    (200 x 10: 20 to 4 us; 10,000 x 10: 0.91 to 0.07 ms)."""
    if type(x) is np.ndarray and x.ndim == 2 and 0 < x.shape[1] <= _SHORT:
        return np.ascontiguousarray(x.T).max(axis=0)[:, None]
    return array_namespace(x).max(x, axis=-1, keepdims=True)


_ZEROS_MOST, _ONES_MOST = 1 << 18, 1 << 16  # 1 MB and 256 KB of float32 at most
_CONSTANTS: dict = {}  # (value, dtype) -> a read-only flat array of it, the largest asked for yet


def _constant(value: int, shape, dtype):
    """A read-only view of ``shape`` filled with ``value`` (0 or 1), cut from one array per
    value and dtype that grows (by powers of two) to the largest size asked for and is never
    written: the zeros of :func:`relu` and the ones that sums take as BLAS products, for arrays
    of at most 2**18 and 2**16 values, so that it stays a small fixed cost of the process (a
    prediction keeps nothing in proportion to its rows). Many threads may ask at once: a larger
    array replaces the dict's entry whole."""
    size = math.prod(shape)
    held = _CONSTANTS.get((value, dtype))
    if held is None or held.size < size:
        length = 1 << max(size - 1, 1).bit_length()
        held = np.zeros(length, dtype) if value == 0 else np.full(length, value, dtype)
        held.flags.writeable = False
        _CONSTANTS[value, dtype] = held
    return held[:size].reshape(shape)


def _ones(n: int, dtype):
    """A read-only row of ``n`` ones: :func:`_constant`'s, or a new one beyond 2**16 (a small
    cost beside the sum it serves)."""
    return _constant(1, (n,), dtype) if n <= _ONES_MOST else np.ones(n, dtype)


def relu(x, overwrite: bool = False):
    """``max(x, 0)`` elementwise, a NaN kept; written over ``x`` itself where ``overwrite`` (a
    writeable NumPy array). NumPy's maximum against the number 0 runs a loop without SIMD, and
    against a row of zeros (broadcast down the rows) one loop per row, which costs less as the
    rows grow: a C-contiguous NumPy float array of at most 2**18 values is compared with zeros
    of its own shape (:func:`_constant`), the same numbers at a fourth of the first's time and
    a half of the second's (float32 200 x 64: 7.1, 4.2 and 1.8 us; 1,024 x 256: 127, 54 and 28),
    a larger one with a row of zeros."""
    if type(x) is not np.ndarray:
        xp = array_namespace(x)
        return xp.maximum(x, xp.zeros_like(x))
    out = x if overwrite else None
    if x.dtype.kind == "f" and x.ndim > 1 and x.size and x.flags.c_contiguous:
        if x.size <= _ZEROS_MOST:
            return np.maximum(x, _constant(0, x.shape, x.dtype), out=out)
        rows = x.reshape(x.shape[0], -1)  # a view: over x's own memory
        zeros = np.zeros(rows.shape[1], x.dtype)
        return np.maximum(rows, zeros, out=rows if overwrite else None).reshape(x.shape)
    return np.maximum(x, 0, out=out)


def flatten_into(arrays, order=None):
    """Copy NumPy ``arrays`` of one dtype into one new flat buffer, one after another in
    ``order`` (indices of ``arrays``; by default as given); return their views in it (same
    shapes, same values) in the order of ``arrays``."""
    order = range(len(arrays)) if order is None else order
    flat = np.concatenate([np.ravel(arrays[i]) for i in order]) if arrays else np.zeros(0)
    views, offset = [None] * len(arrays), 0
    for i in order:
        views[i] = flat[offset : offset + arrays[i].size].reshape(arrays[i].shape)
        offset += arrays[i].size
    return views


def joined(arrays):
    """One flat view of NumPy ``arrays`` that lie back to back, in order, in one flat buffer
    (views that :func:`flatten_into` made one after another), or None where they do not."""
    if not arrays or any(type(a) is not np.ndarray for a in arrays):
        return None
    base = arrays[0].base
    if type(base) is not np.ndarray or base.ndim != 1 or not base.flags.c_contiguous:
        return None
    start = end = arrays[0].__array_interface__["data"][0]
    for array in arrays:
        here = array.__array_interface__["data"][0]
        if array.base is not base or not array.flags.c_contiguous or here != end:
            return None
        end += array.nbytes
    offset = (start - base.__array_interface__["data"][0]) // base.itemsize
    return base[offset : offset + (end - start) // base.itemsize]
