"""Batch normalisation (Ioffe & Szegedy 2015): each feature, or each channel of images,
standardised with its batch's mean and variance in training and with running averages of them in
inference, then scaled and shifted by the learned ``gamma`` and ``beta``."""

from __future__ import annotations

import math

import numpy as np

from ml._validation import check_float_dtype, check_number
from ml.backend import array_namespace
from ml.nn.layers import MAX_FEATURES, Layer, config_int

__all__ = ["BatchNorm1d", "BatchNorm2d"]


class _BatchNorm(Layer):
    """Batch normalisation over the axes ``_axes`` (all but the feature or channel axis).

    Training: ``x_hat = (x - mu_B) / sqrt(var_B + eps)``, ``y = gamma x_hat + beta``, and running
    averages ``r <- (1 - momentum) r + momentum * stat`` (unbiased variance), as PyTorch does.
    Inference uses the running statistics (and keeps nothing). Backward, with ``m`` values per
    feature:
    ``dx = (gamma / sqrt(var_B + eps)) * (dy - mean(dy) - x_hat * mean(dy * x_hat))``.
    """

    _axes: tuple[int, ...] = (0,)
    fresh_output = True  # gamma x_hat + beta, a new array
    keeps_output = False  # training keeps x_hat and 1 / std
    _buffers = ("running_mean", "running_var")

    def __init__(
        self, num_features: int, *, momentum: float = 0.1, eps: float = 1e-5, dtype=np.float32
    ):
        super().__init__()
        check_number("num_features", num_features, integer=True, low=1, high=MAX_FEATURES)
        check_number("momentum", momentum, low=0, high=1)
        check_number("eps", eps, low=0, low_inclusive=False, high=1)
        dtype = check_float_dtype("dtype", dtype)
        self.num_features, self.momentum, self.eps = num_features, momentum, eps
        self.params = {"gamma": np.ones(num_features, dtype), "beta": np.zeros(num_features, dtype)}
        self.running_mean = np.zeros(num_features, dtype)
        self.running_var = np.ones(num_features, dtype)

    def reset_parameters(self, random_state=None, init=None, bias_init=None) -> None:
        """``gamma = 1``, ``beta = 0`` and fresh running statistics."""
        self.params["gamma"][...], self.params["beta"][...] = 1, 0
        self.running_mean[...], self.running_var[...] = 0, 1

    def _shaped(self, v, ndim):
        """``v`` of shape (features,) made broadcastable against the input."""
        return array_namespace(v).reshape(v, tuple(-1 if axis == 1 else 1 for axis in range(ndim)))

    def forward(self, x, training: bool = False):
        if x.ndim != len(self._axes) + 1 or x.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}) needs input of "
                f"{len(self._axes) + 1} dimensions with {self.num_features} features on axis 1; "
                f"got shape {tuple(x.shape)}."
            )
        xp = array_namespace(x)
        if training:
            mean, var = xp.mean(x, axis=self._axes), xp.var(x, axis=self._axes)
            m = math.prod(x.shape) // self.num_features
            self.running_mean += self.momentum * (mean - self.running_mean)
            self.running_var += self.momentum * (var * m / max(m - 1, 1) - self.running_var)
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = xp.astype(self._shaped(1 / xp.sqrt(var + self.eps), x.ndim), x.dtype)
        x_hat = (x - self._shaped(mean, x.ndim)) * inv_std
        self._save_for_backward(training, x_hat=x_hat, inv_std=inv_std)
        return self._shaped(self.params["gamma"], x.ndim) * x_hat + self._shaped(
            self.params["beta"], x.ndim
        )

    def backward(self, dout):
        xp, axes = array_namespace(dout), self._axes
        x_hat, inv_std = self._saved_for_backward("x_hat", "inv_std")
        self._keep_grad("gamma", xp.sum(dout * x_hat, axis=axes))
        self._keep_grad("beta", xp.sum(dout, axis=axes))
        scale = self._shaped(self.params["gamma"], dout.ndim) * inv_std
        mean_dout = xp.mean(dout, axis=axes, keepdims=True)
        mean_dout_x_hat = xp.mean(dout * x_hat, axis=axes, keepdims=True)
        return scale * (dout - mean_dout - x_hat * mean_dout_x_hat)

    def get_config(self) -> dict:
        return {"num_features": self.num_features, "momentum": self.momentum, "eps": self.eps}

    @classmethod
    def array_shapes(cls, config):
        n = (config_int(config, "num_features"),)
        return {"gamma": n, "beta": n, "running_mean": n, "running_var": n}

    def _describe(self) -> str:
        return str(self.num_features)


_PARAMETERS = """
    Parameters
    ----------
    num_features : int
        Features (BatchNorm1d) or channels (BatchNorm2d) normalised.
    momentum : float, default=0.1
        Weight of each batch in the running statistics used at inference (PyTorch's).
    eps : float, default=1e-5
        Added to the variance before its square root.
    dtype : dtype, default=numpy.float32
        Of ``gamma``, ``beta`` and the running statistics.

    Raises
    ------
    ValueError
        If ``num_features`` is not a positive int, ``momentum`` not in [0, 1] or ``eps`` not
        positive.
"""  # BatchNorm1d's and BatchNorm2d's


class BatchNorm1d(_BatchNorm):
    __doc__ = f"""Batch normalisation of input (n, features) over the batch, per feature.

{_PARAMETERS}
    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> layer = nn.BatchNorm1d(3)
    >>> x = np.random.default_rng(0).normal(5, 2, size=(8, 3)).astype(np.float32)
    >>> y = layer.forward(x, training=True)
    >>> bool(abs(float(y.mean())) < 1e-5)
    True
    """


class BatchNorm2d(_BatchNorm):
    __doc__ = f"""Batch normalisation of images (N, C, H, W), per channel over N, H and W.

{_PARAMETERS}
    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> layer = nn.BatchNorm2d(3)
    >>> x = np.random.default_rng(0).normal(5, 2, size=(4, 3, 5, 5)).astype(np.float32)
    >>> y = layer.forward(x, training=True)
    >>> bool(abs(float(y.mean())) < 1e-5)
    True
    """

    _axes = (0, 2, 3)
