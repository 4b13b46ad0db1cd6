"""Softmax and the losses of a network's output, each with its fused, stable gradient.

Every loss takes the network's raw outputs (the logits ``f``; for regression the predictions) and
the targets, averages over samples (weighted by ``sample_weight`` when given) and returns a 0-d
array; its ``*_gradient`` returns ``dL/df`` of the same shape as ``f``. Fusing the output
activation into the loss gives the simple gradients of the lecture (``q - y``) and avoids log(0):
softmax and log-softmax shift by the row maximum, the logistic loss is computed from the logits.
Every function takes its array namespace from its inputs, so it runs on NumPy, PyTorch, CuPy or
``array_api_strict`` arrays.
"""

from __future__ import annotations

import math

from ml.backend import array_namespace, max_last, sum_last, sum_products, sum_squares
from ml.backend import as_array as _as_array

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_gradient",
    "cross_entropy",
    "cross_entropy_gradient",
    "cross_entropy_with_gradient",
    "l2_penalty",
    "l2_penalty_gradient",
    "label_binarize",
    "log_softmax",
    "multiclass_hinge",
    "multiclass_hinge_gradient",
    "one_hot",
    "poisson_loss",
    "poisson_loss_gradient",
    "softmax",
    "squared_error",
    "squared_error_gradient",
]


def softmax(logits):
    """Row-wise softmax ``q_k = exp(f_k) / sum_j exp(f_j)``.

    Parameters
    ----------
    logits : array of shape (n_samples, n_classes)
        The scores ``f = X W``.

    Returns
    -------
    probs : array of the same shape, each row non-negative and summing to one.

    Notes
    -----
    Each row is shifted by its maximum first, ``exp(f - max f)``: the result is the same, and the
    largest exponent is ``exp(0) = 1``, so nothing overflows.

    Examples
    --------
    >>> import numpy as np
    >>> import ml
    >>> ml.softmax(np.array([[0.0, np.log(3.0)]]))
    array([[0.25, 0.75]])
    """
    xp, f = _as_array(logits, "logits")
    exp_f = xp.exp(f - max_last(f))
    return exp_f / sum_last(exp_f)


def log_softmax(logits):
    """Row-wise ``log q_k = f_k - max f - log sum_j exp(f_j - max f)``, without forming ``q``.

    Finite for any finite logits (no log(0)), so it is the safe way to a cross-entropy.

    Parameters
    ----------
    logits : array of shape (n_samples, n_classes)

    Returns
    -------
    log_probs : array of the same shape

    Examples
    --------
    >>> import numpy as np
    >>> import ml
    >>> ml.log_softmax(np.array([[0.0, 1000.0]]))  # no overflow, no log(0)
    array([[-1000.,     0.]])
    """
    xp, f = _as_array(logits, "logits")
    shifted = f - max_last(f)
    return shifted - xp.log(sum_last(xp.exp(shifted)))


def cross_entropy(logits, Y, *, sample_weight=None, base: float | None = None):
    """Mean cross-entropy ``L = -1/n sum_i sum_k Y_ik log q_ik`` with ``q = softmax(logits)``.

    Parameters
    ----------
    logits : array of shape (n_samples, n_classes)
    Y : array of shape (n_samples, n_classes)
        True distributions, usually one-hot rows from :func:`label_binarize`.
    sample_weight : array of shape (n_samples,), optional
        Weights ``w_i``: the mean becomes ``sum_i w_i L_i / sum_i w_i``.
    base : float, optional
        Base of the logarithm: natural log when None, bits with ``base=2`` (as in the lecture).

    Returns
    -------
    loss : 0-d array

    Examples
    --------
    >>> import numpy as np
    >>> import ml
    >>> logits, Y = np.zeros((1, 4)), np.array([[1.0, 0.0, 0.0, 0.0]])
    >>> float(ml.cross_entropy(logits, Y, base=2))  # uniform over 4 classes: 2 bits
    2.0
    """
    xp, f, Y, weight = _prepare(logits, Y, sample_weight)
    loss = -xp.sum(Y * log_softmax(f) * weight)
    return loss if base is None else loss / math.log(_check_base(base))


def cross_entropy_gradient(logits, Y, *, sample_weight=None, base: float | None = None):
    """Gradient of :func:`cross_entropy` with respect to the logits: ``dL/df = (q - Y) / n``.

    Parameters
    ----------
    logits : array of shape (n_samples, n_classes)
    Y : array of shape (n_samples, n_classes)
        True distributions, usually one-hot rows.
    sample_weight : array of shape (n_samples,), optional
        Weights ``w_i``: the gradient becomes ``w_i (q_i - Y_i) / sum_j w_j``.
    base : float, optional
        Base of the loss's logarithm; the gradient is divided by ``log(base)``.

    Returns
    -------
    gradient : array of shape (n_samples, n_classes)

    Examples
    --------
    >>> import numpy as np
    >>> import ml
    >>> ml.cross_entropy_gradient(np.zeros((1, 2)), np.array([[1.0, 0.0]]))
    array([[-0.5,  0.5]])
    """
    xp, f, Y, weight = _prepare(logits, Y, sample_weight)
    grad = (softmax(f) - Y) * weight
    return grad if base is None else grad / math.log(_check_base(base))


def cross_entropy_with_gradient(logits, Y, *, sample_weight=None):
    """:func:`cross_entropy` and :func:`cross_entropy_gradient` from one log-softmax: the loss
    ``-sum_i w_i (Y_i, log q_i)`` and its gradient ``(q - Y) w`` with ``q = exp(log q)``."""
    xp, f, Y, weight = _prepare(logits, Y, sample_weight)
    log_q = log_softmax(f)
    if isinstance(weight, float):  # 1 / n: the loss one dot product
        loss = -sum_products(Y, log_q) * weight
    else:
        loss = -sum_products(Y, log_q * weight)
    gradient = xp.exp(log_q)
    gradient -= Y
    gradient *= weight
    return loss, gradient


def binary_cross_entropy(logits, Y, *, sample_weight=None):
    """Logistic loss of independent sigmoid outputs ``p = sigmoid(f)``, summed over outputs:
    ``L = -1/n sum_i sum_k [Y_ik log p_ik + (1 - Y_ik) log(1 - p_ik)]``.

    Computed as ``softplus(f) - Y f = max(f, 0) - Y f + log(1 + exp(-|f|))``, never log(0). One
    output column is binary classification; several are independent labels (multilabel).
    """
    xp, f, Y, weight = _prepare(logits, Y, sample_weight)
    per_output = xp.where(f > 0, f, xp.zeros_like(f)) - Y * f + xp.log1p(xp.exp(-xp.abs(f)))
    return xp.sum(per_output * weight)


def binary_cross_entropy_gradient(logits, Y, *, sample_weight=None):
    """``dL/df = (sigmoid(f) - Y) / n``."""
    xp, f, Y, weight = _prepare(logits, Y, sample_weight)
    z = xp.exp(-xp.abs(f))
    sigmoid = xp.where(f >= 0, 1 / (1 + z), z / (1 + z))
    return (sigmoid - Y) * weight


def squared_error(predictions, Y, *, sample_weight=None):
    """Half the mean squared error, ``L = 1/(2 n m) sum_i sum_k (f_ik - Y_ik)^2`` for m outputs
    (scikit-learn's ``squared_error`` loss of ``MLPRegressor``)."""
    xp, f, Y, weight = _prepare(predictions, Y, sample_weight)
    return 0.5 * xp.sum((f - Y) ** 2 * weight) / f.shape[1]


def squared_error_gradient(predictions, Y, *, sample_weight=None):
    """``dL/df = (f - Y) / (n m)``."""
    xp, f, Y, weight = _prepare(predictions, Y, sample_weight)
    return (f - Y) * weight / f.shape[1]


def poisson_loss(logits, Y, *, sample_weight=None):
    """Poisson deviance of predictions ``mu = exp(f)`` (log link), summed over outputs:
    ``L = 1/n sum_i sum_k [mu_ik - Y_ik log mu_ik + Y_ik log Y_ik - Y_ik]``, zero at ``mu = Y``.

    The targets must be non-negative counts or rates.
    """
    xp, f, Y, weight = _prepare(logits, Y, sample_weight)
    y_log_y = Y * xp.log(xp.where(Y > 0, Y, xp.ones_like(Y)))
    return xp.sum((xp.exp(f) - Y * f + y_log_y - Y) * weight)


def poisson_loss_gradient(logits, Y, *, sample_weight=None):
    """``dL/df = (exp(f) - Y) / n``."""
    xp, f, Y, weight = _prepare(logits, Y, sample_weight)
    return (xp.exp(f) - Y) * weight


def multiclass_hinge(logits, Y, *, sample_weight=None, margin: float = 1.0):
    """The multi-class SVM loss ``L_i = sum_{j != y_i} max(0, f_j - f_{y_i} + margin)``, averaged.

    ``Y`` holds one-hot rows; the loss is zero once the true class's score beats every other by
    at least ``margin``.
    """
    xp, f, Y, weight = _prepare(logits, Y, sample_weight)
    return xp.sum(_hinge_margins(xp, f, Y, margin) * weight)


def multiclass_hinge_gradient(logits, Y, *, sample_weight=None, margin: float = 1.0):
    """``dL/df_j = [margin_j > 0]`` for ``j != y_i`` and ``-sum_j [margin_j > 0]`` for ``y_i``."""
    xp, f, Y, weight = _prepare(logits, Y, sample_weight)
    active = xp.astype(_hinge_margins(xp, f, Y, margin) > 0, f.dtype)
    return (active - Y * xp.sum(active, axis=1, keepdims=True)) * weight


def _hinge_margins(xp, f, Y, margin):
    true_score = xp.sum(f * Y, axis=1, keepdims=True)
    margins = f - true_score + margin
    return xp.where(margins > 0, margins, xp.zeros_like(margins)) * (1 - Y)


def l2_penalty(weights, alpha: float):
    """``0.5 * alpha * sum_l ||W_l||^2`` over a sequence of weight matrices; its gradient with
    respect to each ``W_l`` is :func:`l2_penalty_gradient`."""
    return 0.5 * alpha * sum(sum_squares(W) for W in weights)


def l2_penalty_gradient(W, alpha: float):
    """``d/dW 0.5 * alpha * ||W||^2 = alpha * W``."""
    return alpha * W


def _prepare(f, Y, sample_weight):
    """Namespace, ``f``, ``Y`` (in ``f``'s dtype) and the weights ``w_i / sum w`` as a column
    (the scalar ``1 / n`` without ``sample_weight``), after checking the shapes."""
    xp = array_namespace(f, Y)
    (_, f), (_, Y) = _as_array(f, "logits"), _as_array(Y, "Y")
    if f.ndim != 2 or tuple(Y.shape) != tuple(f.shape):
        raise ValueError(
            "logits and Y must both have shape (n_samples, n_outputs); "
            f"got logits {tuple(f.shape)} and Y {tuple(Y.shape)}."
        )
    Y = xp.astype(Y, f.dtype, copy=False)
    n = f.shape[0]
    if sample_weight is None:
        return xp, f, Y, 1.0 / n
    w = xp.asarray(sample_weight, dtype=f.dtype)
    if tuple(w.shape) != (n,):
        raise ValueError(f"sample_weight must have shape ({n},); got {tuple(w.shape)}.")
    if bool(xp.any(~(w >= 0))):  # NaN is refused too
        raise ValueError("sample_weight must be non-negative.")
    # weights that are all zero (a minibatch of zero-weight samples) give no loss and no gradient
    total = xp.sum(w)
    return xp, f, Y, xp.reshape(w / xp.where(total > 0, total, xp.ones_like(total)), (n, 1))


def _check_base(base):
    if not base > 0 or base == 1:
        raise ValueError(f"base must be positive and not 1; got {base}.")
    return base


def one_hot(labels, n_classes: int | None = None, *, dtype=None):
    """One row per label with a single 1 in the label's column: ``Y_ik = [labels_i == k]``.

    Parameters
    ----------
    labels : 1-d array of integers in ``[0, n_classes)``
    n_classes : int, optional
        Number of columns; ``max(labels) + 1`` when None.
    dtype : dtype, optional
        Of the result; the namespace's default integer type when None.

    Returns
    -------
    Y : array of shape (n_labels, n_classes)

    Raises
    ------
    ValueError
        If a label is negative or not below ``n_classes``, or the labels are not integers.

    Examples
    --------
    >>> import ml
    >>> ml.one_hot([2, 0], 3)
    array([[0, 0, 1],
           [1, 0, 0]])
    """
    xp, labels = _as_array(labels, "labels")
    if labels.ndim != 1 or not xp.isdtype(labels.dtype, "integral"):
        raise ValueError(
            f"labels must be a 1-d array of integers; got shape {tuple(labels.shape)} "
            f"and dtype {labels.dtype}."
        )
    lowest = int(xp.min(labels)) if labels.shape[0] else 0
    needed = int(xp.max(labels)) + 1 if labels.shape[0] else 0
    if lowest < 0:
        raise ValueError(f"labels must be non-negative; got {lowest}.")
    if n_classes is None:
        n_classes = needed
    if not isinstance(n_classes, int) or n_classes < needed or n_classes < 1:
        raise ValueError(
            f"n_classes must be a positive int of at least max(labels) + 1 = {needed}; "
            f"got {n_classes!r}."
        )
    columns = xp.arange(n_classes, device=getattr(labels, "device", None))
    hits = labels[:, None] == columns[None, :]
    return xp.astype(hits, dtype if dtype is not None else xp.int64)


def label_binarize(labels, n_classes: int):
    """The lecture's ``label_binarize``: one-hot rows with ``n_classes`` columns.

    Unlike ``sklearn.preprocessing.label_binarize``, a binary problem still gets two columns, which
    is what the softmax formulation needs: ``label_binarize([0, 1, 1, 0], 2)`` is
    ``[[1, 0], [0, 1], [0, 1], [1, 0]]``.

    Parameters
    ----------
    labels : 1-d array of integers in ``[0, n_classes)``
    n_classes : int
        Number of columns, two or more.

    Returns
    -------
    Y : ndarray of shape (n_labels, n_classes)

    Raises
    ------
    ValueError
        If a label is outside ``[0, n_classes)``.

    Examples
    --------
    >>> import ml
    >>> ml.label_binarize([0, 1, 1, 0], 2)
    array([[1, 0],
           [0, 1],
           [0, 1],
           [1, 0]])
    """
    return one_hot(labels, n_classes)
