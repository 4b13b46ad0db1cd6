"""The lecture's math as functions: softmax, cross-entropy and its gradient, activations.

Every function takes its array namespace from its inputs (``xp = array_namespace(x)``), so it runs
unchanged on NumPy, PyTorch, CuPy or ``array_api_strict`` arrays. Every one is numerically safe by
construction: softmax and log-softmax shift by the row maximum, sigmoid and softplus never overflow,
cross-entropy is computed from the logits and so never takes log(0).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

from ml.backend import array_namespace

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "cross_entropy",
    "cross_entropy_gradient",
    "get_activation",
    "identity",
    "identity_gradient",
    "label_binarize",
    "leaky_relu",
    "leaky_relu_gradient",
    "log_softmax",
    "one_hot",
    "relu",
    "relu_gradient",
    "sigmoid",
    "sigmoid_gradient",
    "softmax",
    "softplus",
    "softplus_gradient",
    "tanh",
    "tanh_gradient",
]


def _as_array(x):
    xp = array_namespace(x)
    return xp, xp.asarray(x)


# --- softmax and cross-entropy -------------------------------------------------------------------


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
    """
    xp, f = _as_array(logits)
    exp_f = xp.exp(f - xp.max(f, axis=-1, keepdims=True))
    return exp_f / xp.sum(exp_f, axis=-1, keepdims=True)


def log_softmax(logits):
    """Row-wise ``log q_k = f_k - max f - log sum_j exp(f_j - max f)``, without forming ``q``.

    Finite for any finite logits (no log(0)), so it is the safe way to a cross-entropy.
    """
    xp, f = _as_array(logits)
    shifted = f - xp.max(f, axis=-1, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=-1, keepdims=True))


def cross_entropy(logits, Y, *, base: float | None = None):
    """Mean cross-entropy ``L = -1/n sum_i sum_k Y_ik log q_ik`` with ``q = softmax(logits)``.

    Parameters
    ----------
    logits : array of shape (n_samples, n_classes)
    Y : array of shape (n_samples, n_classes)
        True distributions, usually one-hot rows from :func:`label_binarize`.
    base : float, optional
        Base of the logarithm: natural log when None, bits with ``base=2`` (as in the lecture).

    Returns
    -------
    loss : 0-d array
    """
    xp = array_namespace(logits, Y)
    f, Y = xp.asarray(logits), xp.asarray(Y)
    _check_same_shape(f, Y)
    loss = -xp.mean(xp.sum(xp.astype(Y, f.dtype) * log_softmax(f), axis=-1))
    return loss if base is None else loss / math.log(_check_base(base))


def cross_entropy_gradient(logits, Y, *, base: float | None = None):
    """Gradient of :func:`cross_entropy` with respect to the logits: ``dL/df = (q - Y) / n``."""
    xp = array_namespace(logits, Y)
    f, Y = xp.asarray(logits), xp.asarray(Y)
    _check_same_shape(f, Y)
    grad = (softmax(f) - xp.astype(Y, f.dtype)) / f.shape[0]
    return grad if base is None else grad / math.log(_check_base(base))


def _check_same_shape(logits, Y):
    if logits.ndim != 2 or tuple(Y.shape) != tuple(logits.shape):
        raise ValueError(
            "logits and Y must both have shape (n_samples, n_classes); "
            f"got logits {tuple(logits.shape)} and Y {tuple(Y.shape)}."
        )


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
    """
    xp, labels = _as_array(labels)
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
    """
    return one_hot(labels, n_classes)


# --- activations and their derivatives -----------------------------------------------------------


def sigmoid(x):
    """Logistic sigmoid ``g(x) = 1 / (1 + exp(-x))``, squashing into (0, 1).

    Computed from ``z = exp(-|x|) <= 1`` as ``1 / (1 + z)`` for x >= 0 and ``z / (1 + z)`` for
    x < 0, so no exponent overflows.
    """
    xp, x = _as_array(x)
    z = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + z), z / (1 + z))


def sigmoid_gradient(x):
    """``dg/dx = e^x / (1 + e^x)^2 = g(x) (1 - g(x))``."""
    g = sigmoid(x)
    return g * (1 - g)


def tanh(x):
    """Hyperbolic tangent ``g(x) = tanh x = 2 sigmoid(2x) - 1``, squashing into (-1, 1)."""
    xp, x = _as_array(x)
    return xp.tanh(x)


def tanh_gradient(x):
    """``dg/dx = 1 - tanh^2 x``."""
    return 1 - tanh(x) ** 2


def relu(x):
    """Rectified linear unit ``g(x) = max(0, x)``."""
    xp, x = _as_array(x)
    return xp.where(x > 0, x, xp.zeros_like(x))


def relu_gradient(x):
    """``dg/dx = 1 if x > 0 else 0`` (the undefined value at 0 is taken as 0, as PyTorch does)."""
    xp, x = _as_array(x)
    return xp.astype(x > 0, x.dtype)


def leaky_relu(x, negative_slope: float = 0.01):
    """Leaky ReLU ``g(x) = x if x > 0 else negative_slope * x``: no neuron dies completely."""
    xp, x = _as_array(x)
    return xp.where(x > 0, x, negative_slope * x)


def leaky_relu_gradient(x, negative_slope: float = 0.01):
    """``dg/dx = 1 if x > 0 else negative_slope``."""
    xp, x = _as_array(x)
    return xp.where(x > 0, xp.ones_like(x), xp.full_like(x, negative_slope))


def softplus(x):
    """Softplus ``g(x) = log(1 + e^x)``, a smooth ReLU.

    Computed as ``max(x, 0) + log1p(exp(-|x|))``, which never overflows.
    """
    xp, x = _as_array(x)
    return xp.where(x > 0, x, xp.zeros_like(x)) + xp.log1p(xp.exp(-xp.abs(x)))


def softplus_gradient(x):
    """``dg/dx = 1 / (1 + e^-x)``: the sigmoid."""
    return sigmoid(x)


def identity(x):
    """``g(x) = x``: no non-linearity (the output of a regression network)."""
    return _as_array(x)[1]


def identity_gradient(x):
    """``dg/dx = 1``."""
    xp, x = _as_array(x)
    return xp.ones_like(x)


class Activation(NamedTuple):
    """An activation ``function`` and its derivative ``gradient``, both elementwise in x."""

    name: str
    function: Callable
    gradient: Callable


ACTIVATIONS: dict[str, Activation] = {
    "identity": Activation("identity", identity, identity_gradient),
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_gradient),
    "tanh": Activation("tanh", tanh, tanh_gradient),
    "relu": Activation("relu", relu, relu_gradient),
    "leaky_relu": Activation("leaky_relu", leaky_relu, leaky_relu_gradient),
    "softplus": Activation("softplus", softplus, softplus_gradient),
}
_ALIASES = {"logistic": "sigmoid", "linear": "identity"}


def get_activation(name: str) -> Activation:
    """Look an activation up by name: ``"relu"``, ``"tanh"``, ``"sigmoid"`` (or ``"logistic"``,
    scikit-learn's name), ``"softplus"``, ``"leaky_relu"``, ``"identity"`` (or ``"linear"``)."""
    key = _ALIASES.get(name, name) if isinstance(name, str) else name
    if key not in ACTIVATIONS:
        known = ", ".join(repr(k) for k in [*ACTIVATIONS, *_ALIASES])
        raise ValueError(f"activation must be one of {known}; got {name!r}.")
    return ACTIVATIONS[key]
