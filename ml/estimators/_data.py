"""Validation of the data an estimator is given; every error names ``X`` or ``y``."""

from __future__ import annotations

import re

import array_api_compat
import numpy as np
import scipy.sparse as sp
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_array, column_or_1d, validate_data

from ml import nn
from ml.backend import (
    array_namespace,
    device,
    move,
    numpy_dtype,
    sklearn_seed,
    sum_last,
    take_rows,
    to_numpy,
)


def _naming(name: str, error: Exception) -> Exception:
    """The same exception, its message prefixed with ``name`` unless it already names it."""
    message = str(error)
    if re.search(rf"\b{name}\b", message):
        return error
    return type(error)(f"{name}: {message}")


def float_dtype(dtype, X) -> np.dtype:
    """The float dtype to train in: ``dtype`` when given, else X's own when it is float32, and
    float64 for everything else (scikit-learn's rule: weights follow the input)."""
    if dtype is not None:
        return np.dtype(dtype)
    return np.dtype(np.float32 if _all_float32(X) else np.float64)


def _all_float32(X) -> bool:
    """Whether X's values are all float32: an array's dtype, or every column's of a DataFrame
    (pandas' ``float32`` and ``Float32``, polars' ``Float32``), as scikit-learn reads them."""
    dtypes = getattr(X, "dtypes", None)  # a DataFrame's, one per column
    if dtypes is None:
        try:
            return numpy_dtype(X.dtype) == np.float32
        except (AttributeError, TypeError):
            return False
    names = [str(d).lower() for d in dtypes]
    return len(names) > 0 and all(name == "float32" for name in names)


def as_array(X, name: str = "X"):
    """``X`` itself when it has a shape, else ``np.asarray(X)``; a ragged nested list is a
    ValueError naming ``name``."""
    if hasattr(X, "shape"):
        return X
    try:
        return np.asarray(X)
    except ValueError as error:
        raise ValueError(
            f"{name} could not be read as an array: its rows have different lengths or shapes "
            f"({error})"
        ) from error


def host(values):
    """Labels, targets or weights of any array library as NumPy (they are checked and encoded
    on the host, before training); anything else as it is."""
    if sp.issparse(values) or isinstance(values, np.ndarray | np.generic):
        return values
    return to_numpy(values) if array_api_compat.is_array_api_obj(values) else values


def check_X(estimator, X, *, reset: bool, dtype=np.float64, accept_sparse=False, check_finite=True):
    """Return ``X`` as a finite 2-D array of ``dtype`` of shape (n_samples, n_features).

    Strings are refused, even numeric ones, as scikit-learn does. With ``accept_sparse`` a SciPy
    sparse matrix is returned as CSR (rows are taken from it a batch at a time); otherwise it is
    refused with a clear message.

    With ``reset`` (in ``fit``) it records ``n_features_in_`` (and ``feature_names_in_`` for a
    DataFrame) on the estimator; without it (in ``predict``) it checks ``X`` against them.

    Without ``check_finite``, float NumPy rows of ``dtype`` that need no other check are
    returned as they are, their finiteness left to the caller (:func:`first_output_check`).
    """
    if sp.issparse(X) and not accept_sparse:
        raise TypeError(
            f"X is a sparse matrix; {type(estimator).__name__} needs dense data: pass X.toarray()."
        )
    shape = tuple(as_array(X).shape)
    if len(shape) != 2:
        raise ValueError(
            f"X must be a 2-D array of shape (n_samples, n_features); got a {len(shape)}-D array "
            f"of shape {shape}. Reshape your data: X.reshape(-1, 1) for a single feature or "
            "X.reshape(1, -1) for a single sample."
        )
    validated = not _known_float_rows(estimator, X, reset)
    given = X
    try:
        if validated:  # scikit-learn's checks, its finiteness check among them
            X = validate_data(
                estimator,
                X,
                reset=reset,
                dtype="numeric",
                accept_sparse="csr" if accept_sparse else False,
            )
        xp = np if sp.issparse(X) or isinstance(X, np.ndarray) else array_namespace(X)
        converted = np.dtype(numpy_dtype(X.dtype)) != np.dtype(dtype)
        if converted and xp is np:
            with np.errstate(over="ignore"):  # a value too large for dtype is refused below
                X = X.astype(dtype)
        elif converted:  # an array of another library, under scikit-learn's array_api_dispatch
            X = xp.astype(X, getattr(xp, np.dtype(dtype).name))
    except (ValueError, TypeError) as error:  # a column of text or categories, among others
        raise _naming("X", _column_error(given) or error) from error
    if (validated or not check_finite) and not converted:
        return X
    refuse_non_finite(X.data if sp.issparse(X) else X, xp, dtype)
    return X


def refuse_non_finite(values, xp, dtype) -> None:
    """Raise the ValueError that names what is wrong where ``values`` (X's) are not all finite:
    NaN, or infinity (or a value too large for ``dtype``, which made it so)."""
    if not all_finite(values, xp):
        if bool(xp.any(xp.isnan(values))):
            raise ValueError("X contains NaN (missing values such as None count as NaN).")
        raise ValueError(f"X contains infinity or a value too large for {np.dtype(dtype).name}.")


_SHORTCUT_LEAST = 4096  # values: below, one pass over them costs less than a shortcut's set-up


def first_output_check(X, network, sample_shape):
    """For NumPy rows ``X`` of more than 4,096 values that go to a ``network`` whose first layer
    is ml's Dense, or ml's Conv2D with every value of a sample (of ``sample_shape`` as the
    network takes it) in some window: a function to call on that layer's output, which refuses
    a non-finite X as :func:`check_X` does, without a pass over X of its own. Else None: X is
    to be checked itself (for fewer values that pass costs less than the switch of NumPy's
    error state around the first layer: one row of W6, 38.5 us against 40.7).

    A NaN or an infinity in a sample makes every output value that reads it non-finite (each
    is a sum of products with the values it reads, ``inf * 0`` is NaN, and a NaN or an
    infinity stays so in any sum), and every value is read by some output, so finite outputs
    vouch for a finite X. Only outputs that are not finite send us to X itself (where they may
    instead have overflowed from finite values, which the network's output check then
    refuses). The first layer runs with NumPy's "invalid value" warnings off: such values are
    what is refused. W6's prediction of 10,000 rows, where the check of X was a pass over its
    31 MB: 0.95 of the time (median of 40 interleaved pairs)."""
    if X.size <= _SHORTCUT_LEAST:
        return None
    first = network._in_order()[0]
    if type(first) is nn.Conv2D:
        reads_all = first._reads_every_input((len(X), *sample_shape))
    else:
        reads_all = type(first) is nn.Dense
    if not reads_all:
        return None

    def check(output) -> None:
        if not all_finite(output, np):
            refuse_non_finite(X, np, X.dtype)

    return check


def all_finite(values, xp) -> bool:
    """Whether every value is finite. A NumPy float array whose sum is finite has only finite
    values (NaN and infinity make the sum so): one pass, without the mask of ``isfinite``
    (scikit-learn's own shortcut, here the sum of the rows' sums, :func:`ml.backend.sum_last`:
    one product with ones for float rows, both cores, a third of ``np.sum``'s time), for
    arrays large enough that the pass costs more than the shortcut's set-up. A sum that
    overflows is looked at value by value."""
    if type(values) is np.ndarray:
        if values.dtype.kind == "f" and values.size > _SHORTCUT_LEAST:
            with np.errstate(over="ignore", invalid="ignore"):
                if np.isfinite(np.sum(sum_last(values))):
                    return True
        return bool(np.isfinite(values).all())  # the method: no dispatch wrappers
    return bool(xp.all(xp.isfinite(values)))


def _column_error(X) -> Exception | None:
    """For a DataFrame that could not be read as numbers, the error naming its first column
    that is not numeric (a categorical or text column), else None."""
    columns = getattr(X, "columns", None)
    if columns is None or not hasattr(X, "dtypes"):
        return None
    for column, column_dtype in zip(columns, X.dtypes, strict=False):
        try:
            np.asarray(X[column], dtype=np.float64)
        except (ValueError, TypeError) as error:
            return type(error)(
                f"X's column {column!r} (dtype {column_dtype}) is not numeric ({error}); encode "
                "it first, for instance with sklearn.preprocessing.OneHotEncoder or "
                "OrdinalEncoder in a ColumnTransformer."
            )
    return None


def _known_float_rows(estimator, X, reset: bool) -> bool:
    """Whether ``X`` is a float NumPy array of rows with the fitted number of features and the
    estimator knows no feature names: all that ``validate_data`` would check of it in ``predict``
    (a one-row prediction then costs a few microseconds, not scikit-learn's dozens)."""
    return (
        not reset
        and type(X) is np.ndarray
        and X.dtype.kind == "f"
        and X.shape[0] > 0
        and X.shape[1] == getattr(estimator, "n_features_in_", None)
        and not hasattr(estimator, "feature_names_in_")
    )


def check_classification_y(
    estimator, y, n_samples: int, *, allow_one_class: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(classes, y_index)``: the sorted distinct labels and each label's index in them.

    ``y`` must be 1-D (a column vector is accepted with a warning), free of NaN, as long as ``X``
    and hold at least two classes (unless ``allow_one_class``, as for ``partial_fit``).
    """
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y is None."
        )
    y = host(y)
    if sp.issparse(y):
        raise TypeError("y is a sparse matrix; pass a 1-D array of labels.")
    if not _plain_labels(y):
        try:
            y = column_or_1d(y, warn=True)
            check_classification_targets(y)
            if y.dtype.kind == "f" and not np.isfinite(y).all():
                raise ValueError("Input y contains NaN or infinity.")
        except (ValueError, TypeError) as error:
            raise _naming("y", error) from error
    if len(y) != n_samples:
        raise ValueError(
            f"X and y have different numbers of samples: {n_samples} rows in X, {len(y)} in y."
        )
    classes, y_index = np.unique(y, return_inverse=True)
    classes = _as_text(classes)
    if len(classes) < 2 and not allow_one_class:
        raise ValueError(
            f"y holds one class only ({classes[0]!r}); a classifier needs at least 2 classes."
        )
    return classes, y_index


def _plain_labels(y) -> bool:
    """Whether ``y`` is a 1-D NumPy array of integers, booleans or strings: labels that
    scikit-learn's checks (``column_or_1d``, ``check_classification_targets``) always pass, as
    binary or multiclass, and that they would return unchanged; skipping them saves some 440 us
    a call, most of a small ``partial_fit``'s checks."""
    return type(y) is np.ndarray and y.ndim == 1 and y.dtype.kind in "biuU"


def _as_text(labels: np.ndarray) -> np.ndarray:
    """Object labels that are all strings as a NumPy string array (``<U``, as scikit-learn's
    ``classes_``), unless one ends in NUL, which ``<U`` cannot hold: those stay exact."""
    if labels.dtype == object and all(type(v) is str and not v.endswith("\0") for v in labels):
        return labels.astype(str)
    return labels


def check_partial_fit_classes(estimator, classes):
    """The ``classes`` of a ``partial_fit`` call as a sorted array: required on the first call
    (None returned on later calls without it), the same as before on later calls."""
    if classes is None:
        if not hasattr(estimator, "classes_"):
            raise ValueError("classes must be passed on the first call to partial_fit.")
        return None
    try:
        classes = _as_text(np.asarray(unique_labels(classes)))
    except (ValueError, TypeError) as error:
        raise _naming("classes", error) from error
    if hasattr(estimator, "classes_") and not np.array_equal(estimator.classes_, classes):
        raise ValueError(
            f"classes={classes!r} is not the same as on last call to partial_fit, "
            f"was: {estimator.classes_!r}."
        )
    return classes


def index_of_labels(classes: np.ndarray, labels: np.ndarray, y_index: np.ndarray) -> np.ndarray:
    """Each sample's index in ``classes``, from ``labels`` (y's distinct labels) and its index
    in them; a label that is not in ``classes`` is an error naming it (scikit-learn's words)."""
    new = np.setdiff1d(labels, classes)
    if len(new):
        raise ValueError(
            f"`y` has classes not in `self.classes_`. `self.classes_` has {classes}. "
            f"'y' has {labels}. New in y: {new}."
        )
    return np.searchsorted(classes, labels)[y_index]


def check_sample_weight(sample_weight, n_samples: int, dtype) -> np.ndarray:
    """``sample_weight`` as a finite, non-negative array of shape (n_samples,); ones when None."""
    if sample_weight is None:
        return np.ones(n_samples, dtype=dtype)
    sample_weight = host(sample_weight)
    try:
        weight = np.asarray(sample_weight, dtype=dtype)
    except (ValueError, TypeError) as error:
        raise type(error)(f"sample_weight must be numbers: {error}") from error
    if weight.ndim == 0:
        weight = np.full(n_samples, weight, dtype=dtype)
    if weight.shape != (n_samples,):
        raise ValueError(
            f"sample_weight.shape == {weight.shape}, expected ({n_samples},): one weight per "
            "sample."
        )
    if not np.isfinite(weight).all() or (weight < 0).any():
        raise ValueError("sample_weight must be finite and non-negative.")
    if weight.sum() == 0:
        raise ValueError("sample_weight is all zero; at least one weight must be positive.")
    return weight


def check_regression_y(y, n_samples: int, dtype) -> np.ndarray:
    """``y`` as a finite float array of shape (n_samples, n_outputs)."""
    if y is None:
        raise ValueError("This regressor requires y to be passed, but the target y is None.")
    y = host(y)
    if sp.issparse(y):
        raise TypeError("y is a sparse matrix; pass a dense array of targets.")
    try:
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        y = check_array(y, ensure_2d=False, dtype="numeric", ensure_min_samples=0, input_name="y")
    except (ValueError, TypeError) as error:
        raise _naming("y", error) from error
    if y.ndim not in (1, 2):
        raise ValueError(f"y must be 1-D or 2-D (n_samples, n_outputs); got shape {y.shape}.")
    if len(y) != n_samples:
        raise ValueError(
            f"X and y have different numbers of samples: {n_samples} rows in X, {len(y)} in y."
        )
    with np.errstate(over="ignore"):  # a value too large for dtype is refused just below
        y = y.reshape(n_samples, -1).astype(dtype)
    if not np.isfinite(y).all():
        raise ValueError(f"y contains infinity or a value too large for {np.dtype(dtype).name}.")
    return y


def validation_split(arrays, fraction: float, rng, stratify=None):
    """Hold out ``fraction`` of the samples of ``(X, Y, weight)`` (scikit-learn's split of the
    same seed): returns ``X_train, X_val, Y_train, Y_val, weight_train``. The indices are drawn
    on the host and the rows taken where the data lives; ``weight`` may be None."""
    # imported where early stopping needs it: 66 modules and 6 MB that ``import ml`` does without
    from sklearn.model_selection import train_test_split

    X, Y, weight = arrays
    try:
        rows, val_rows = train_test_split(
            np.arange(X.shape[0]),
            test_size=fraction,
            random_state=sklearn_seed(rng),
            stratify=stratify,
        )
    except ValueError as error:
        raise ValueError(
            f"early_stopping cannot hold out validation_fraction={fraction} of the data: {error}"
        ) from error
    if len(val_rows) < 2:
        raise ValueError(
            f"The validation set is too small. Increase 'validation_fraction' or the size of "
            f"your dataset: validation_fraction={fraction} of {X.shape[0]} samples leaves "
            f"{len(val_rows)} for early_stopping."
        )
    rows, val_rows = (move(r, array_namespace(Y), device(Y)) for r in (rows, val_rows))
    weight_rows = None if weight is None else take_rows(weight, rows)
    return (
        take_rows(X, rows),
        take_rows(X, val_rows),
        take_rows(Y, rows),
        take_rows(Y, val_rows),
        weight_rows,
    )
