"""``ConvNetClassifier``: a convolutional network with scikit-learn's API, which scikit-learn lacks.

``Conv2D -> [BatchNorm2d] -> activation -> MaxPool2D`` per convolutional block, then the dense
layers of an MLP. Everything else (solvers, schedules, early stopping, callbacks, dropout,
class weights, partial_fit, the fitted attributes) is :class:`ml.MLPClassifier`'s.
"""

from __future__ import annotations

import copy
import math
import numbers

import numpy as np
import scipy.sparse as sp

from ml import nn
from ml._validation import check_number
from ml.estimators._data import check_X
from ml.estimators._mlp import init_options
from ml.estimators.mlp import MLPClassifier, _store_parameters
from ml.functional import get_activation


class ConvNetClassifier(MLPClassifier):
    """Convolutional neural network classifier for images.

    Parameters
    ----------
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
        Any network of your own instead of the blocks above; a copy of it is trained. Its output
        must have one unit per class (one for two classes).
    hidden_layer_sizes : tuple of int, default=(64,)
        Dense layers after the convolutional blocks.
    **others
        Every other parameter is :class:`ml.MLPClassifier`'s, with the same default.

    Attributes
    ----------
    image_shape_ : (channels, height, width)
        The shape the images were read in.
    Others as :class:`ml.MLPClassifier`'s; ``coefs_`` holds the Dense layers' weights.
    """

    def __init__(
        self,
        conv_layers=((16, 3), (32, 3)),
        pool=2,
        hidden_layer_sizes=(64,),
        activation="relu",
        *,
        padding="same",
        image_shape=None,
        network=None,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        batch_norm=False,
        class_weight=None,
        callbacks=None,
        dtype="float32",
    ):
        _store_parameters(self, locals())

    def _check_params(self):
        sizes = super()._check_params()
        if self.network is not None and not isinstance(self.network, nn.Sequential):
            raise TypeError(
                f"network must be an ml.nn.Sequential or None; got {type(self.network).__name__}."
            )
        for i, block in enumerate(self.conv_layers):
            if isinstance(block, numbers.Integral) or len(block) not in (2, 3):
                raise ValueError(
                    f"conv_layers[{i}] must be (out_channels, kernel_size[, stride]); "
                    f"got {block!r}."
                )
            for part, name in zip(block, ("out_channels", "kernel_size", "stride"), strict=False):
                check_number(f"conv_layers[{i}] {name}", part, integer=True, low=1)
        if self.pool is not None:
            check_number("pool", self.pool, integer=True, low=1)
        if self.image_shape is not None and (
            len(self.image_shape) != 3 or min(self.image_shape) < 1
        ):
            raise ValueError(
                f"image_shape must be (channels, height, width) of positive ints; "
                f"got {self.image_shape!r}."
            )
        return sizes

    def _check_input(self, X, *, reset):
        """Images (n_samples, channels, height, width) from rows or images."""
        if sp.issparse(X):
            return check_X(self, X, reset=reset)  # raises the sparse error
        X_array = X if hasattr(X, "shape") else np.asarray(X)
        if X_array.ndim in (3, 4):
            shape = X_array.shape[1:] if X_array.ndim == 4 else (1, *X_array.shape[1:])
            rows = np.asarray(X_array).reshape(len(X_array), math.prod(shape))
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
        rows = super()._check_input(rows, reset=reset)
        if reset:
            self.image_shape_ = tuple(int(s) for s in (shape or self._row_shape(rows.shape[1])))
        return rows.reshape(len(rows), *self.image_shape_)

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

    def _build_network(self, X, n_outputs, sizes):
        if self.network is not None:
            network = copy.deepcopy(self.network)
            out = network.forward(X[:2], training=False)
            if out.ndim != 2 or out.shape[1] != n_outputs:
                raise ValueError(
                    f"network must output {n_outputs} values per sample for these "
                    f"classes; it outputs shape {out.shape[1:]}."
                )
            return network
        conv = nn.Sequential(*self._conv_blocks(X.shape[1:]))
        n_flat = math.prod(conv.forward(X[:1], training=False).shape[1:])
        return nn.Sequential(
            *conv.layers, nn.Flatten(), *self._dense_layers(n_flat, n_outputs, sizes)
        )

    def _conv_blocks(self, image_shape):
        """``Conv2D -> [BatchNorm2d] -> activation -> [MaxPool2D]`` per entry of ``conv_layers``;
        kernels and pools are clipped to the image, so a 1 x n signal gets 1 x k kernels."""
        layers, dtype, rng = [], np.dtype(self.dtype), self._rng
        first = self.activation if isinstance(self.activation, str) else self.activation[0]
        activation = get_activation(first).name
        shape = image_shape
        for block in self.conv_layers:
            out_channels, kernel, stride = (*block, 1)[:3]
            channels, height, width = shape
            padding = self.padding if stride == 1 or self.padding != "same" else kernel // 2
            kernel_size = (min(kernel, height), min(kernel, width))
            options = init_options(activation, rng, dtype)
            layers.append(
                nn.Conv2D(channels, out_channels, kernel_size, stride, padding, **options)
            )
            if self.batch_norm:
                layers.append(nn.BatchNorm2d(out_channels, dtype=dtype))
            layers.append(nn.activation_layer(activation))
            shape = _output_shape(layers, image_shape, dtype)
            if self.pool and self.pool > 1:
                layers.append(nn.MaxPool2D((min(self.pool, shape[1]), min(self.pool, shape[2]))))
                shape = _output_shape(layers, image_shape, dtype)
        return layers


def _output_shape(layers, image_shape, dtype):
    """The shape of one sample after ``layers``, found by passing a blank image through them."""
    return nn.Sequential(*layers).forward(np.zeros((1, *image_shape), dtype)).shape[1:]
