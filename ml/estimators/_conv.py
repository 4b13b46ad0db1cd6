"""The convolutional networks' shared core: images in, ``Conv2D -> [BatchNorm2d] -> activation
-> MaxPool2D`` blocks, then the dense layers of an MLP. :class:`ml.ConvNetClassifier` and
:class:`ml.ConvNetRegressor` are this core on :class:`ml.MLPClassifier` and
:class:`ml.MLPRegressor`: everything else (solvers, schedules, early stopping, callbacks, dropout,
partial_fit, the fitted attributes, saving) is theirs.
"""

from __future__ import annotations

import copy
import math

import array_api_compat
import numpy as np
import scipy.sparse as sp

from ml import nn
from ml._validation import check_number, check_option
from ml.backend import array_namespace, numpy_dtype
from ml.estimators._data import as_array, check_X

CONV_PARAMETERS = """
    conv_layers : sequence of (out_channels, kernel_size) or (out_channels, kernel_size, stride)
        One convolutional block per entry, default ``((16, 3), (32, 3))``.
    pool : int or None, default=2
        Max-pooling window (and stride) after each block; None for no pooling.
    padding : int, "same" or "valid", default="same"
    image_shape : (channels, height, width) or None
        How to read rows of a 2-D ``X``. None: images of shape (N, H, W) or (N, C, H, W) are
        taken as they are, and rows of n features as square images when n is a square, else as
        1 x n signals (kernels and pools never exceed an image's size).
    network : ml.nn.Sequential or None
        Any network of your own instead of the blocks above. A copy of it is trained, its
        weights first drawn anew from ``random_state`` (``Sequential.reset_parameters``), so
        that a seed gives the same fit in every process. Its output must have one unit per
        output of the model.
    hidden_layer_sizes : tuple of int, default=(64,)
        Dense layers after the convolutional blocks."""


class ConvNetMixin:
    """Images in and a convolutional network inside, for an MLP estimator that follows it in
    the bases; the parameters ``conv_layers``, ``pool``, ``padding``, ``image_shape`` and
    ``network`` and the fitted ``image_shape_``."""

    _saved_attributes = ("image_shape_",)
    _parameter_rules = {
        "conv_layers": lambda name, value: _check_conv_layers(name, value),
        "pool": lambda name, value: value is None or check_number(name, value, integer=True, low=1),
        "padding": lambda name, value: (
            check_number(name, value, integer=True, low=0)
            if not isinstance(value, str)
            else check_option(name, value, ("same", "valid"))
        ),
        "image_shape": lambda name, value: _check_image_shape(name, value),
        "network": lambda name, value: _check_network(name, value),
    }

    def _input_dtype(self, X, reset) -> np.dtype:
        """A network of your own trains in its parameters' dtype; else as the MLPs do."""
        if reset and self.network is not None and self.network.parameters():
            return numpy_dtype(self.network.parameters()[0].dtype)
        return super()._input_dtype(X, reset)

    def _input_shape(self) -> tuple[int, ...]:
        shape = self.image_shape_
        if not (
            isinstance(shape, tuple) and len(shape) == 3 and math.prod(shape) == self.n_features_in_
        ):
            raise ValueError(f"image_shape_ {shape!r} does not hold n_features_in_ values.")
        return shape

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags

    def _check_input(self, X, *, reset, check_finite=True):
        """Images (n_samples, channels, height, width) from rows or images (``check_finite``:
        as :func:`check_X`'s)."""
        if sp.issparse(X):
            return check_X(self, X, reset=reset)  # raises the sparse error
        X_array = as_array(X)
        if X_array.ndim in (3, 4):
            shape = X_array.shape[1:] if X_array.ndim == 4 else (1, *X_array.shape[1:])
            rows = _reshape(X_array, (X_array.shape[0], math.prod(shape)))
            if not reset and tuple(shape) != self.image_shape_:
                raise ValueError(
                    f"X holds images of shape {tuple(shape)}, but the model was "
                    f"fitted on images of shape {self.image_shape_}."
                )
        elif X_array.ndim == 2:
            rows, shape = X, None
        else:
            raise ValueError(
                "X must be images of shape (n_samples, height, width) or (n_samples, channels, "
                f"height, width), or rows of pixels (n_samples, n_features); got {X_array.ndim} "
                f"dimensions of shape {X_array.shape}. Reshape your data."
            )
        dtype = self._input_dtype(rows, reset)
        rows = check_X(self, rows, reset=reset, dtype=dtype, check_finite=check_finite)
        if reset:
            self.image_shape_ = tuple(int(s) for s in (shape or self._row_shape(rows.shape[1])))
        return _reshape(rows, (rows.shape[0], *self.image_shape_))

    def _row_shape(self, n_features):
        if self.image_shape is not None:
            if math.prod(self.image_shape) != n_features:
                raise ValueError(
                    f"image_shape {tuple(self.image_shape)} holds "
                    f"{math.prod(self.image_shape)} pixels, but X has {n_features} "
                    "features."
                )
            return tuple(self.image_shape)
        side = math.isqrt(n_features)
        return (1, side, side) if side * side == n_features else (1, 1, n_features)

    def _build_network(self, X, n_outputs, sizes, weights_stream):
        if self.network is not None:
            network = copy.deepcopy(self.network)
            network.reset_parameters(weights_stream)  # random_state decides the start, always
            out = network.predict(np.zeros((2, *X.shape[1:]), numpy_dtype(X.dtype)))
            if out.ndim != 2 or out.shape[1] != n_outputs:
                raise ValueError(
                    f"network must output {n_outputs} values per sample for this y; it "
                    f"outputs shape {out.shape[1:]}."
                )
            return network
        first = self.activation if isinstance(self.activation, str) else self.activation[0]
        conv = nn.conv_stack(
            X.shape[1:],
            self.conv_layers,
            activation=first,
            pool=self.pool,
            padding=self.padding,
            batch_norm=self.batch_norm,
            random_state=weights_stream,
            dtype=numpy_dtype(X.dtype),
        )
        n_flat = math.prod(nn.build.output_shape(conv, X.shape[1:], numpy_dtype(X.dtype)))
        dense = self._dense_stack(n_flat, n_outputs, sizes, weights_stream, numpy_dtype(X.dtype))
        return nn.Sequential(*conv, nn.Flatten(), *dense)


def _reshape(X, shape):
    """``X`` reshaped, in its own namespace (lists and NumPy arrays as NumPy)."""
    if isinstance(X, np.ndarray) or not array_api_compat.is_array_api_obj(X):
        return np.asarray(X).reshape(shape)
    return array_namespace(X).reshape(X, shape)


def _check_conv_layers(name, value):
    if not isinstance(value, list | tuple):
        raise TypeError(f"{name} must be a sequence of (out_channels, kernel_size); got {value!r}.")
    for i, block in enumerate(value):
        if not isinstance(block, list | tuple) or len(block) not in (2, 3):
            raise ValueError(
                f"{name}[{i}] must be (out_channels, kernel_size[, stride]); got {block!r}."
            )
        for part, what in zip(block, ("out_channels", "kernel_size", "stride"), strict=False):
            check_number(f"{name}[{i}] {what}", part, integer=True, low=1)


def _check_image_shape(name, value):
    if value is None:
        return
    if not isinstance(value, list | tuple) or len(value) != 3:
        raise ValueError(f"{name} must be (channels, height, width); got {value!r}.")
    for part, what in zip(value, ("channels", "height", "width"), strict=True):
        check_number(f"{name} {what}", part, integer=True, low=1)


def _check_network(name, value):
    if value is not None and not isinstance(value, nn.Sequential):
        raise TypeError(f"{name} must be an ml.nn.Sequential or None; got {type(value).__name__}.")
