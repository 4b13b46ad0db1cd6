"""The model file: a ZIP archive of one JSON description and NumPy ``.npy`` arrays.

Safe to open by construction: nothing in it is ever executed or unpickled (arrays are read with
``allow_pickle=False`` and only numeric, boolean and text dtypes are accepted); every size is
checked against the bytes actually in the file before anything is allocated (entries must be
stored uncompressed, so a few bytes cannot claim gigabytes); and files are written atomically
(a temporary file in the same folder, flushed to disk, then renamed over the target), so a crash
mid-save leaves the previous file intact.

Layout, format version 2 (version 1, which stored the derived training curves too, is read and
converted on load)::

    model.json          {"format": "ml-nn model", "format_version": 3, "ml_version": ..., ...}
    arrays/<name>.npy   one NumPy array each, .npy format 1.0 or 2.0
"""

from __future__ import annotations

import json
import math
import os
import stat
import tempfile
import zipfile
from pathlib import Path

import numpy as np

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "InvalidModelFile",
    "read_archive",
    "write_archive",
    "write_atomically",
]

FORMAT = "ml-nn model"
FORMAT_VERSION = 3
_DESCRIPTION = "model.json"
_MAX_DESCRIPTION_BYTES = 16 * 2**20
_MAX_DIMENSIONS = 32  # what NumPy itself allows (64) halved: no array of ours has more than 4
_ALLOWED_KINDS = "biufUmM"  # booleans, numbers, text, dates and durations; never objects


class InvalidModelFile(ValueError):
    """The file is not a model file this version of ml can read safely.

    Examples
    --------
    >>> import ml
    >>> with open("not-a-model.ml", "w") as f:
    ...     _ = f.write("hello")
    >>> try:
    ...     ml.load("not-a-model.ml")
    ... except ml.InvalidModelFile as error:
    ...     print(isinstance(error, ValueError))
    True
    """


def as_path(path) -> Path:
    """``path`` (a str or os.PathLike) as a Path, or a TypeError that names ``path``."""
    if not isinstance(path, str | os.PathLike):
        raise TypeError(
            f"path must be a file name (str or os.PathLike); got {type(path).__name__}."
        )
    return Path(path)


def write_atomically(path, write) -> Path:
    """Call ``write(file)`` on a temporary file in the target's folder, flush it to disk and
    rename it over the target: a crash leaves the previous file intact.

    The target is ``path``, or the file a symbolic link ``path`` points to (the link stays a
    link). A file written over keeps its permissions; a new one gets those any new file of the
    user gets (``0o666`` less the umask), not the temporary file's 0600. The temporary name is
    short (``.ml-`` and eight random characters), so any name the folder allows is written."""
    path = as_path(path)
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    if str(path) in ("", ".") or path.is_dir():
        raise ValueError(f"path must name a file; got {str(path)!r}.")
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"path {str(path)!r}: the folder {str(path.parent)!r} does not exist."
        )
    mode = stat.S_IMODE(path.stat().st_mode) if path.is_file() else 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=".ml-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_archive(path, description: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write ``description`` and ``arrays`` to ``path`` atomically (see the module docstring)."""
    header = {"format": FORMAT, "format_version": FORMAT_VERSION, **description}
    text = json.dumps(header, allow_nan=True).encode()

    def write(f):
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr(_DESCRIPTION, text)
            for name, array in arrays.items():
                with archive.open(f"arrays/{name}.npy", "w", force_zip64=True) as entry:
                    np.lib.format.write_array(entry, np.asarray(array), allow_pickle=False)

    write_atomically(path, write)


def read_archive(path) -> tuple[dict, dict[str, np.ndarray]]:
    """Read and check a model file; return its description and arrays.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    InvalidModelFile
        If the file is not a model file, is truncated or corrupt, has a wrong or future format
        version, or holds arrays whose headers do not match their data.
    """
    path = as_path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path {str(path)!r} is not a file.")
    if not zipfile.is_zipfile(path):
        raise InvalidModelFile(f"path {str(path)!r} is not an ml model file (not a ZIP archive).")
    try:
        with zipfile.ZipFile(path) as archive:
            entries = {info.filename: info for info in archive.infolist()}
            _check_entries(path, entries)
            description = _read_entry(path, archive, entries[_DESCRIPTION], _read_description)
            arrays = {
                name[len("arrays/") : -len(".npy")]: _read_entry(path, archive, info, _read_array)
                for name, info in entries.items()
                if name != _DESCRIPTION
            }
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile) as error:
        raise InvalidModelFile(f"path {str(path)!r} is truncated or corrupt: {error}") from error
    return description, arrays


def _check_entries(path, entries):
    if _DESCRIPTION not in entries:
        raise InvalidModelFile(
            f"path {str(path)!r} is not an ml model file: it has no {_DESCRIPTION}."
        )
    for name, info in entries.items():
        if name != _DESCRIPTION and not (name.startswith("arrays/") and name.endswith(".npy")):
            raise InvalidModelFile(f"path {str(path)!r} holds an unexpected entry {name!r}.")
        if info.compress_type != zipfile.ZIP_STORED:
            raise InvalidModelFile(
                f"path {str(path)!r}: entry {name!r} is compressed; model files store entries "
                "uncompressed, so that no entry can claim more bytes than the file holds."
            )
    if sum(info.file_size for info in entries.values()) > path.stat().st_size:
        raise InvalidModelFile(f"path {str(path)!r} declares more data than it holds.")


def _read_entry(path, archive, info, read):
    """``read(path, archive, info)``, with whatever a malformed entry provokes in the ZIP, JSON or
    ``.npy`` layer (an encrypted entry, an integer of 5000 digits, a header NumPy chokes on)
    turned into :class:`InvalidModelFile` naming the entry."""
    try:
        return read(path, archive, info)
    except (InvalidModelFile, MemoryError):
        raise
    except Exception as error:
        raise InvalidModelFile(
            f"path {str(path)!r}: entry {info.filename!r} cannot be read: {error!r}"
        ) from None


def _read_description(path, archive, info) -> dict:
    if info.file_size > _MAX_DESCRIPTION_BYTES:
        raise InvalidModelFile(f"path {str(path)!r}: its {_DESCRIPTION} is implausibly large.")
    try:
        description = json.loads(archive.read(info).decode())
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise InvalidModelFile(
            f"path {str(path)!r}: {_DESCRIPTION} is not valid JSON: {error}"
        ) from None
    if not isinstance(description, dict) or description.get("format") != FORMAT:
        raise InvalidModelFile(f"path {str(path)!r} is not an ml model file (wrong format tag).")
    version = description.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise InvalidModelFile(f"path {str(path)!r} has an invalid format_version {version!r}.")
    if version > FORMAT_VERSION:
        raise InvalidModelFile(
            f"path {str(path)!r} was written in model format {version}, by a newer ml "
            f"({description.get('ml_version', 'unknown')}); this ml reads format "
            f"{FORMAT_VERSION} and older. Upgrade ml to load it."
        )
    return description


def _read_array(path, archive, info) -> np.ndarray:
    name = info.filename
    with archive.open(info) as f:
        try:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                raise ValueError(f"unsupported .npy version {version}")
        except Exception as error:  # the header is untrusted text: any failure means invalid
            raise InvalidModelFile(
                f"path {str(path)!r}: {name} is not a valid array: {error!r}"
            ) from None
        if len(shape) > _MAX_DIMENSIONS or not all(
            type(size) is int and size >= 0 for size in shape
        ):
            raise InvalidModelFile(
                f"path {str(path)!r}: {name} declares shape {shape}: at most "
                f"{_MAX_DIMENSIONS} sizes, each a whole number >= 0."
            )
        if dtype.hasobject or dtype.kind not in _ALLOWED_KINDS:
            raise InvalidModelFile(
                f"path {str(path)!r}: {name} has dtype {dtype}; only numbers, booleans and text "
                "are allowed (objects would need unpickling, which could run code)."
            )
        n_bytes = math.prod(shape) * dtype.itemsize
        if n_bytes != info.file_size - f.tell():
            raise InvalidModelFile(
                f"path {str(path)!r}: {name} declares shape {shape} of {dtype} ({n_bytes} bytes) "
                f"but holds {info.file_size - f.tell()} bytes of data."
            )
        data = f.read(n_bytes)
    order = "F" if fortran_order else "C"
    return np.frombuffer(data, dtype=dtype).reshape(shape, order=order).copy()
