"""Built-in data: generated toy problems, scikit-learn's digits, and MNIST from local IDX files.

Nothing is downloaded. Every generator takes ``random_state`` and returns ``X, y`` with ``X`` of
shape (n_samples, n_features) and integer labels ``y``.
"""

from __future__ import annotations

import gzip
import math
import os
from pathlib import Path

import numpy as np

from ml._validation import check_boolean, check_number
from ml.backend import check_random_state, sklearn_seed

__all__ = [
    "blobs",
    "bumps",
    "circles",
    "load_digits",
    "load_mnist",
    "moons",
    "plane",
    "read_idx",
    "shift_images",
    "twospirals",
    "xor",
]


def twospirals(n_samples: int = 300, noise: float = 0.5, random_state=None):
    """Two interleaved spirals, the lecture's example of data no linear classifier separates.

    Parameters
    ----------
    n_samples : int
        Points *per spiral*; ``X`` has ``2 * n_samples`` rows.
    noise : float
        Scale of the uniform noise added to each coordinate.
    random_state : None, int or Generator

    Returns
    -------
    X : ndarray of shape (2 * n_samples, 2)
    y : ndarray of shape (2 * n_samples,), 0 for the first spiral and 1 for the second.

    Notes
    -----
    The angle is ``t = sqrt(u) * 780 degrees`` with ``u ~ U(0, 1)``; the first spiral is
    ``(-t cos t, t sin t)`` and the second its point reflection through the origin.

    Raises
    ------
    ValueError
        If ``n_samples`` is not a positive int or ``noise`` is negative.

    Examples
    --------
    >>> from ml import plots
    >>> X, y = plots.twospirals(n_samples=100, random_state=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((200, 2), [0, 1])
    """
    check_number("n_samples", n_samples, integer=True, low=1)
    check_number("noise", noise, low=0)
    rng = check_random_state(random_state)
    t = np.sqrt(rng.random(n_samples)) * np.deg2rad(780)
    spiral = np.column_stack([-np.cos(t) * t, np.sin(t) * t])
    spiral += rng.random((n_samples, 2)) * noise
    X = np.vstack([spiral, -spiral])
    y = np.repeat([0, 1], n_samples)
    return X, y


def xor(n_samples: int = 400, noise: float = 0.0, random_state=None):
    """Points in the square [-1, 1]^2 labelled ``(x_1 > 0) xor (x_2 > 0)``.

    ``noise`` is the standard deviation of Gaussian noise added to the points after labelling.
    """
    check_number("n_samples", n_samples, integer=True, low=1)
    check_number("noise", noise, low=0)
    rng = check_random_state(random_state)
    X = rng.uniform(-1, 1, size=(n_samples, 2))
    y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(np.int64)
    return X + rng.normal(0, noise, size=X.shape) if noise else X, y


def _sklearn_datasets():
    """scikit-learn's datasets, imported where a function here first needs them: with SciPy's
    file readers and its fetchers' download code they are 90 modules and 5 MB that ``import ml``
    does without."""
    import sklearn.datasets

    return sklearn.datasets


def circles(n_samples: int = 400, noise: float = 0.1, factor: float = 0.5, random_state=None):
    """A small circle (label 1) inside a large one (label 0); ``factor`` is their radius ratio."""
    check_number("n_samples", n_samples, integer=True, low=2)
    check_number("noise", noise, low=0)
    check_number("factor", factor, low=0, high=1, low_inclusive=False, high_inclusive=False)
    return _sklearn_datasets().make_circles(
        n_samples, noise=noise, factor=factor, random_state=sklearn_seed(random_state)
    )


def blobs(
    n_samples: int = 1500,
    n_classes: int = 3,
    cluster_std: float = 0.3,
    random_state=0,
):
    """The lecture's Gaussian blobs: ``n_classes`` centres drawn in the box (-5, 5)^2."""
    check_number("n_samples", n_samples, integer=True, low=1)
    check_number("n_classes", n_classes, integer=True, low=1)
    check_number("cluster_std", cluster_std, low=0)
    return _sklearn_datasets().make_blobs(
        n_samples=n_samples,
        n_features=2,
        centers=n_classes,
        center_box=(-5, 5),
        cluster_std=cluster_std,
        random_state=sklearn_seed(random_state),
    )


def moons(n_samples: int = 400, noise: float = 0.1, random_state=None):
    """Two interleaving half circles (scikit-learn's ``make_moons``), labels 0 and 1."""
    check_number("n_samples", n_samples, integer=True, low=2)
    check_number("noise", noise, low=0)
    return _sklearn_datasets().make_moons(
        n_samples, noise=noise, random_state=sklearn_seed(random_state)
    )


def plane(n_samples: int = 400, noise: float = 0.0, random_state=None):
    """Regression on a tilted plane: points in [-1, 1]^2, target ``(x_1 + x_2) / 2`` plus Gaussian
    noise of standard deviation ``noise``; returns float ``y``."""
    return _uniform_square(n_samples, noise, random_state, lambda X: X.sum(axis=1) / 2)


def bumps(n_samples: int = 400, noise: float = 0.0, random_state=None):
    """Regression on two Gaussian bumps of opposite sign: points in [-1, 1]^2, target
    ``exp(-|x - c|^2 / 0.18) - exp(-|x + c|^2 / 0.18)`` with ``c = (0.4, 0.4)``, plus noise."""

    def height(X):
        centre = np.array([0.4, 0.4])
        up = np.exp(-np.sum((X - centre) ** 2, axis=1) / 0.18)
        return up - np.exp(-np.sum((X + centre) ** 2, axis=1) / 0.18)

    return _uniform_square(n_samples, noise, random_state, height)


def _uniform_square(n_samples, noise, random_state, target):
    check_number("n_samples", n_samples, integer=True, low=1)
    check_number("noise", noise, low=0)
    rng = check_random_state(random_state)
    X = rng.uniform(-1, 1, size=(n_samples, 2))
    return X, target(X) + rng.normal(0, noise, size=n_samples)


def load_digits(*, images: bool = False):
    """scikit-learn's 1797 handwritten digits, 8x8 pixels with values 0..16 (it ships with it).

    Returns ``X`` of shape (1797, 64), or (1797, 8, 8) with ``images=True``, and labels 0..9.
    """
    check_boolean("images", images)
    digits = _sklearn_datasets().load_digits()
    return (digits.images if images else digits.data), digits.target


def shift_images(images, max_shift: int = 2, random_state=None):
    """Move each image (n, h, w) or (n, c, h, w) by its own random offset of up to ``max_shift``
    pixels along each axis, filling the uncovered border with zeros.

    The lecture's translation-invariance claim is tested with it: a network that learned digits
    in place should still recognise them shifted.
    """
    check_number("max_shift", max_shift, integer=True, low=0)
    images = np.asarray(images)
    if images.ndim not in (3, 4):
        raise ValueError(
            f"images must have shape (n, h, w) or (n, c, h, w); got {images.shape}. Reshape rows "
            "of pixels first, e.g. images.reshape(-1, 8, 8)."
        )
    rng = check_random_state(random_state)
    shifted = np.zeros_like(images)
    height, width = images.shape[-2:]
    if max_shift >= min(height, width):
        raise ValueError(
            f"max_shift must be smaller than the images ({height} x {width}); got {max_shift}."
        )
    offsets = rng.integers(-max_shift, max_shift + 1, size=(len(images), 2))
    for i, (dy, dx) in enumerate(offsets):
        source = images[i, ..., max(0, -dy) : height - max(0, dy), max(0, -dx) : width - max(0, dx)]
        shifted[i, ..., max(0, dy) : height - max(0, -dy), max(0, dx) : width - max(0, -dx)] = (
            source
        )
    return shifted


# --- MNIST's IDX files ---------------------------------------------------------------------------

_IDX_DTYPES = {
    0x08: np.uint8,
    0x09: np.int8,
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


_MAX_IDX_DIMENSIONS = 16  # MNIST's have 1 and 3
_MAX_IDX_BYTES = 2**31  # MNIST's largest file holds 47 MB; no IDX file here needs more


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (optionally gzipped), the format MNIST is distributed in.

    The header is two zero bytes, a type code, the number of dimensions ``d`` and ``d`` big-endian
    uint32 sizes; the data follow in C order. The header is read and checked first, and then
    exactly the bytes it declares (a gzip file is inflated as it is read, never beyond them), so a
    small file cannot make us allocate more than its header admits.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"path {str(path)!r} does not exist.")
    if not path.is_file():  # a folder, a FIFO or a device would block or never end
        raise ValueError(f"path {str(path)!r} is not a regular file.")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            return _read_idx(f, path)
    except (OSError, EOFError) as error:
        if isinstance(error, FileNotFoundError | PermissionError):
            raise
        raise ValueError(f"path {str(path)!r} is not a readable IDX file: {error}") from None


def _read_idx(f, path: Path) -> np.ndarray:
    magic = f.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _IDX_DTYPES:
        raise ValueError(f"path {str(path)!r} is not an IDX file: its magic number is wrong.")
    ndim = magic[3]
    if not 1 <= ndim <= _MAX_IDX_DIMENSIONS:
        raise ValueError(
            f"path {str(path)!r} declares {ndim} dimensions; an IDX file here has 1 to "
            f"{_MAX_IDX_DIMENSIONS}."
        )
    sizes = f.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise ValueError(f"path {str(path)!r} is truncated: its header is incomplete.")
    shape = tuple(int(s) for s in np.frombuffer(sizes, ">u4"))
    dtype = np.dtype(_IDX_DTYPES[magic[2]])
    expected = math.prod(shape) * dtype.itemsize
    if expected > _MAX_IDX_BYTES:
        raise ValueError(
            f"path {str(path)!r} declares shape {shape} ({expected} bytes), more than an IDX file "
            f"may hold here ({_MAX_IDX_BYTES} bytes)."
        )
    data = bytearray(expected)  # the one buffer: the array is made in it, swapped in place
    view, filled = memoryview(data), 0
    # a megabyte at a time: gzip inflates each read into a temporary of the read's size
    while filled < expected and (n := f.readinto(view[filled : filled + 2**20])):
        filled += n
    if filled != expected or f.read(1):
        raise ValueError(
            f"path {str(path)!r} declares shape {shape} ({expected} bytes of data) but holds "
            f"{'fewer' if filled != expected else 'more'}."
        )
    array = np.frombuffer(data, dtype).reshape(shape)
    if not dtype.isnative:
        array = array.byteswap(inplace=True).view(dtype.newbyteorder("="))
    return array


def load_mnist(path: str | os.PathLike, kind: str = "train"):
    """Load MNIST (or Fashion-MNIST) from the IDX files in the folder ``path``.

    Parameters
    ----------
    path : str or PathLike
        Folder holding ``train-images-idx3-ubyte`` and ``train-labels-idx1-ubyte`` (for
        ``kind="train"``) or ``t10k-...`` (for ``kind="test"``), each possibly ending in ``.gz``.
    kind : {"train", "test"}

    Returns
    -------
    X : ndarray of shape (n_samples, 28, 28), uint8
    y : ndarray of shape (n_samples,), int64
    """
    prefix = {"train": "train", "test": "t10k"}.get(kind)
    if prefix is None:
        raise ValueError(f"kind must be 'train' or 'test'; got {kind!r}.")
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"path {str(folder)!r} is not a folder holding MNIST's IDX files.")
    X = read_idx(_find(folder, f"{prefix}-images-idx3-ubyte"))
    labels_path = _find(folder, f"{prefix}-labels-idx1-ubyte")
    y = read_idx(labels_path)
    if y.dtype.kind == "f" and not (np.isfinite(y).all() and (y == np.round(y)).all()):
        raise ValueError(f"path {str(labels_path)!r}: labels must be whole numbers.")
    if y.size and (y.min() < 0 or y.max() > 2**31):
        raise ValueError(f"path {str(labels_path)!r}: labels must be 0 to 2**31.")
    y = y.astype(np.int64)
    if X.ndim != 3 or y.ndim != 1 or len(X) != len(y):
        raise ValueError(
            f"The MNIST files in {str(folder)!r} do not fit together: images {X.shape}, "
            f"labels {y.shape}."
        )
    return X, y


def _find(folder: Path, name: str) -> Path:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"Neither {name} nor {name}.gz is in {str(folder)!r}.")
