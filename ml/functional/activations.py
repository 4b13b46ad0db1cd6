"""Activation functions and their derivatives, each overflow-safe, and a registry by name.

Each derivative is taken with respect to the activation's input ``x``. Every function takes its
array namespace from its input, so it runs on NumPy, PyTorch, CuPy or ``array_api_strict`` arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from ml.backend import as_array as _as_array
from ml.backend import relu as _relu

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "get_activation",
    "identity",
    "identity_gradient",
    "leaky_relu",
    "leaky_relu_gradient",
    "relu",
    "relu_gradient",
    "sigmoid",
    "sigmoid_gradient",
    "softplus",
    "softplus_gradient",
    "tanh",
    "tanh_gradient",
]


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
    return _relu(_as_array(x)[1])  # ml.backend.relu: NumPy's fast path


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
    scikit-learn's name), ``"softplus"``, ``"leaky_relu"``, ``"identity"`` (or ``"linear"``).

    Parameters
    ----------
    name : str
        One of the names above.

    Returns
    -------
    activation : ml.functional.Activation
        Its ``function`` and ``gradient``, both elementwise.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the known ones.

    Examples
    --------
    >>> import numpy as np
    >>> import ml
    >>> relu = ml.get_activation("relu")
    >>> relu.function(np.array([-1.0, 2.0])) + 0.0, relu.gradient(np.array([-1.0, 2.0]))
    (array([0., 2.]), array([0., 1.]))
    """
    key = _ALIASES.get(name, name) if isinstance(name, str) else name
    if key not in ACTIVATIONS:
        known = ", ".join(repr(k) for k in [*ACTIVATIONS, *_ALIASES])
        raise ValueError(f"activation must be one of {known}; got {name!r}.")
    return ACTIVATIONS[key]
