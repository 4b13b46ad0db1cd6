"""The standard stacks of layers the estimators train, built here so that a network of your own
can start from the same blocks.

Each weighted layer is initialised for the activation that follows it
(:func:`ml.nn.init.for_activation`, scikit-learn's choice), Dense and Conv2D alike.
"""

from __future__ import annotations

import numpy as np

from ml.functional import get_activation
from ml.nn.activations import activation_layer
from ml.nn.conv import Conv2D
from ml.nn.init import for_activation
from ml.nn.layers import Dense, Dropout, Layer
from ml.nn.norm import BatchNorm1d, BatchNorm2d
from ml.nn.pool import MaxPool2D
from ml.nn.sequential import Sequential

__all__ = ["conv_stack", "dense_stack"]


def dense_stack(
    n_inputs: int,
    hidden_layer_sizes,
    n_outputs: int,
    *,
    activations,
    dropouts,
    batch_norm: bool = False,
    random_state=None,
    dtype=np.float32,
) -> list[Layer]:
    """``Dense -> [BatchNorm1d] -> activation -> [Dropout]`` per hidden layer, then the output
    Dense layer (``n_outputs`` linear units; the loss applies the output activation).

    ``activations`` and ``dropouts`` hold one name and one probability per hidden layer. The
    weights (and Dropout's random streams) are drawn from ``random_state``; a legacy RandomState
    is drawn from as it is, so ``RandomState(seed)`` gives scikit-learn's initial weights. As
    scikit-learn does, the output layer is initialised for a sigmoid after sigmoid layers.

    Parameters
    ----------
    n_inputs : int
        Features of the input.
    hidden_layer_sizes : sequence of int
        Width of each hidden layer.
    n_outputs : int
        Units of the output layer.
    activations : sequence of str
        One activation name per hidden layer.
    dropouts : sequence of float
        One dropout probability per hidden layer (0 for none).
    batch_norm : bool, default=False
        A BatchNorm1d before each hidden activation.
    random_state : None, int, Generator or RandomState
        Seeds the weights and dropout's masks.
    dtype : dtype, default=numpy.float32

    Returns
    -------
    layers : list of Layer

    Examples
    --------
    >>> from ml import nn
    >>> nn.dense_stack(4, [8], 3, activations=["relu"], dropouts=[0.0], random_state=0)
    [Dense(4, 8), ReLU(), Dense(8, 3)]
    """
    names = [get_activation(activation).name for activation in activations]
    layers, widths = [], [n_inputs, *hidden_layer_sizes]
    for fan_in, fan_out, name, p in zip(widths[:-1], widths[1:], names, dropouts, strict=True):
        init = for_activation(name)
        layers.append(Dense(fan_in, fan_out, **init, random_state=random_state, dtype=dtype))
        if batch_norm:
            layers.append(BatchNorm1d(fan_out, dtype=dtype))
        layers.append(activation_layer(name))
        if p > 0:
            layers.append(Dropout(p, random_state=random_state))
    last = names[-1] if names and names[-1] == "sigmoid" else "identity"
    init = for_activation(last)
    return [*layers, Dense(widths[-1], n_outputs, **init, random_state=random_state, dtype=dtype)]


def conv_stack(
    image_shape: tuple[int, int, int],
    blocks,
    *,
    activation: str = "relu",
    pool: int | None = 2,
    padding="same",
    batch_norm: bool = False,
    random_state=None,
    dtype=np.float32,
) -> list[Layer]:
    """``Conv2D -> [BatchNorm2d] -> activation -> [MaxPool2D]`` per ``(out_channels,
    kernel_size[, stride])`` of ``blocks``, for images of ``image_shape`` (C, H, W).

    Kernels and pools are clipped to the image, so a 1 x n signal gets 1 x k kernels; "same"
    padding with a stride above 1 pads by ``kernel_size // 2``.

    Parameters
    ----------
    image_shape : (int, int, int)
        Channels, height and width of the input images.
    blocks : sequence of (out_channels, kernel_size) or (out_channels, kernel_size, stride)
        One convolutional block each.
    activation : str, default="relu"
    pool : int or None, default=2
        Max-pooling window after each block; None for none.
    padding : int, "same" or "valid", default="same"
    batch_norm : bool, default=False
        A BatchNorm2d after each convolution.
    random_state : None, int or Generator
        Seeds the kernels.
    dtype : dtype, default=numpy.float32

    Returns
    -------
    layers : list of Layer
        To be put in a :class:`Sequential`, with a Flatten and Dense layers after them.

    Raises
    ------
    ValueError
        For a block that is not (out_channels, kernel_size[, stride]) of positive ints.

    Examples
    --------
    >>> from ml import nn
    >>> layers = nn.conv_stack((1, 8, 8), [(4, 3)], random_state=0)
    >>> [type(layer).__name__ for layer in layers]
    ['Conv2D', 'ReLU', 'MaxPool2D']
    """
    layers, name = [], get_activation(activation).name
    shape = tuple(image_shape)
    for block in blocks:
        out_channels, kernel, stride = (*block, 1)[:3]
        channels, height, width = shape
        pad = padding if stride == 1 or padding != "same" else kernel // 2
        kernel_size = (min(kernel, height), min(kernel, width))
        options = {**for_activation(name), "random_state": random_state, "dtype": dtype}
        layers.append(Conv2D(channels, out_channels, kernel_size, stride, pad, **options))
        if batch_norm:
            layers.append(BatchNorm2d(out_channels, dtype=dtype))
        layers.append(activation_layer(name))
        shape = output_shape(layers, image_shape, dtype)
        if pool and pool > 1:
            layers.append(MaxPool2D((min(pool, shape[1]), min(pool, shape[2]))))
            shape = output_shape(layers, image_shape, dtype)
    return layers


def output_shape(layers, input_shape, dtype=np.float32) -> tuple[int, ...]:
    """The shape of one sample after ``layers``, found by passing a blank one through them."""
    return Sequential(*layers).forward(np.zeros((1, *input_shape), dtype)).shape[1:]
