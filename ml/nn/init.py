"""Weight initialisation: Glorot/Xavier and He, uniform and normal.

A layer's weights start small and random so that signals neither die out nor blow up on their way
through the network: the variance of each weight is set from the layer's fan-in and fan-out.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

from ml._validation import check_float_dtype
from ml.backend import check_random_state

__all__ = [
    "INITIALIZERS",
    "default_bias_init",
    "default_init",
    "glorot_normal",
    "glorot_uniform",
    "glorot_uniform_bias",
    "he_normal",
    "he_uniform",
    "for_activation",
    "weights_and_bias",
]


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a Dense weight (in, out) or a Conv2D weight (out, in, kh, kw)."""
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def glorot_uniform(shape, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    """``W ~ U(-a, a)`` with ``a = gain * sqrt(6 / (fan_in + fan_out))`` (Glorot & Bengio 2010)."""
    fan_in, fan_out = _fans(shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=shape)


def glorot_uniform_bias(shape, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    """Biases ``b ~ U(-a, a)`` with the bound ``a`` of :func:`glorot_uniform` for weights of
    ``shape``, one per output (scikit-learn's initialisation of its MLPs' biases)."""
    fan_in, fan_out = _fans(shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    n_outputs = shape[1] if len(shape) == 2 else shape[0]
    return rng.uniform(-bound, bound, size=n_outputs)


def glorot_normal(shape, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    """``W ~ N(0, s^2)`` with ``s = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _fans(shape)
    return rng.normal(0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), size=shape)


def he_uniform(shape, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    """``W ~ U(-a, a)`` with ``a = gain * sqrt(6 / fan_in)`` (He et al. 2015, for ReLU)."""
    fan_in, _ = _fans(shape)
    bound = gain * math.sqrt(6.0 / fan_in)
    return rng.uniform(-bound, bound, size=shape)


def he_normal(shape, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    """``W ~ N(0, s^2)`` with ``s = gain * sqrt(2 / fan_in)``: keeps the variance through ReLUs."""
    fan_in, _ = _fans(shape)
    return rng.normal(0.0, gain * math.sqrt(2.0 / fan_in), size=shape)


INITIALIZERS = {
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
}


def _default_gain(activation: str) -> float:
    return math.sqrt(1 / 3) if activation == "sigmoid" else 1.0


def default_init(activation: str) -> Callable:
    """The weight initialiser of a Dense layer followed by ``activation``: Glorot uniform, with
    gain ``sqrt(1/3)`` before a sigmoid (scikit-learn's choice: bound ``sqrt(2 / (fan_in +
    fan_out))``).

    Glorot also for the ReLU family: on unscaled inputs He's larger weights saturate deep ReLU
    networks (two spirals, (64, 64, 64): 62-68 % training accuracy with He, 100 % with Glorot).
    Pass ``init="he_uniform"`` to a Dense layer to choose He.
    """
    return functools.partial(glorot_uniform, gain=_default_gain(activation))


def default_bias_init(activation: str) -> Callable:
    """The bias initialiser that goes with :func:`default_init`: uniform within the same bound.

    Measured against zero biases (20 seeds, scaled data, (64, 64) ReLU network): iris test
    accuracy 95.1 % against 94.5 %, diabetes R^2 0.436 against 0.427.
    """
    return functools.partial(glorot_uniform_bias, gain=_default_gain(activation))


def for_activation(activation: str) -> dict:
    """``init`` and ``bias_init`` of a Dense or Conv2D layer followed by ``activation``:
    :func:`default_init` and :func:`default_bias_init`, as scikit-learn initialises its MLPs."""
    return {"init": default_init(activation), "bias_init": default_bias_init(activation)}


def weights_and_bias(shape, init, bias_init, random_state, dtype):
    """The initial ``W`` of ``shape`` and ``b`` (one per output) of a Dense or Conv2D layer.

    ``init`` is a name of :data:`INITIALIZERS` or a function ``init(shape, rng)``; ``bias_init``
    is "zeros" or a function ``bias_init(shape, rng)`` of the weights' shape. ``random_state``
    is None, an int or a Generator, or a legacy ``RandomState``, which is drawn from as it is:
    the estimators pass scikit-learn's own stream, so that they start from its weights.
    """
    rng = (
        random_state
        if isinstance(random_state, np.random.RandomState)
        else check_random_state(random_state)
    )
    if not callable(init) and init not in INITIALIZERS:
        raise ValueError(f"init must be one of {sorted(INITIALIZERS)}; got {init!r}.")
    dtype = check_float_dtype("dtype", dtype)
    W = (init if callable(init) else INITIALIZERS[init])(shape, rng)
    n_outputs = shape[1] if len(shape) == 2 else shape[0]
    b = np.zeros(n_outputs) if bias_init == "zeros" else bias_init(shape, rng)
    return W.astype(dtype), b.astype(dtype)
