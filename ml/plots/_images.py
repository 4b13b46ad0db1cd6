"""The figures of images: digits, a convolution's filters and a network's feature maps."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from ml import nn
from ml._validation import check_number
from ml.plots._figures import new_axes

__all__ = ["plot_digits", "plot_feature_maps", "plot_filters"]


def plot_digits(images, labels=None, *, predictions=None, ax=None, n_cols: int = 10):
    """Tile images (rows of 64 pixels or 8x8 arrays) into one picture, captioned with labels.

    With ``predictions`` each caption shows the prediction, green where it equals the label and
    red where it does not.

    Parameters
    ----------
    images : array of shape (n, 64) or (n, 8, 8)
        Rows of pixels, or images.
    labels : array of shape (n,), optional
        The captions.
    predictions : array of shape (n,), optional
        Predicted labels, shown beside the labels.
    ax : matplotlib Axes, optional
        Where to draw; a new figure's Axes when None.
    n_cols : int, default=10
        Images per row.

    Returns
    -------
    ax : matplotlib Axes

    Raises
    ------
    ValueError
        If ``images`` are not square images or rows of a square number of pixels.

    Examples
    --------
    >>> import ml
    >>> from ml import plots
    >>> X, y = ml.datasets.load_digits()
    >>> ax = plots.plot_digits(X[:20], y[:20])
    """
    check_number("n_cols", n_cols, integer=True, low=1)
    images = np.asarray(images, dtype=float)
    if images.ndim == 2:
        side = int(round(np.sqrt(images.shape[1])))
        if side * side != images.shape[1]:
            raise ValueError(f"images of {images.shape[1]} pixels are not square; pass (n, h, w).")
        images = images.reshape(-1, side, side)
    if images.ndim != 3 or len(images) == 0:
        raise ValueError(f"images must have shape (n, h, w) or (n, h*w); got {images.shape}.")
    n, h, w = images.shape
    n_cols = min(n_cols, n)
    ax = new_axes(ax)
    ax.imshow(_tile(images, n_cols), cmap="gray_r", interpolation="nearest")
    ax.axis("off")
    captions = predictions if predictions is not None else labels
    for i in range(n if captions is not None else 0):
        r, c = divmod(i, n_cols)
        ok = predictions is None or labels is None or predictions[i] == labels[i]
        ax.text(
            c * (w + 1),
            r * (h + 1),
            str(captions[i]),
            fontsize=7,
            va="top",
            color="tab:green" if ok else "tab:red",
        )
    return ax


def _tile(images, n_cols: int) -> np.ndarray:
    """Images (n, h, w) side by side, ``n_cols`` to a row, one blank (NaN) pixel apart."""
    n, h, w = images.shape
    n_rows = -(-n // n_cols)
    canvas = np.full((n_rows * (h + 1) - 1, n_cols * (w + 1) - 1), np.nan)
    for i, image in enumerate(images):
        r, c = divmod(i, n_cols)
        canvas[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = image
    return canvas


def _conv_layers(model):
    network = getattr(model, "network_", model)
    layers = list(network.all_layers()) if hasattr(network, "all_layers") else []
    return layers, [layer for layer in layers if isinstance(layer, nn.Conv2D)]


def plot_filters(model, *, layer: int = 0, ax=None, n_cols: int = 8):
    """The learned kernels of the ``layer``-th Conv2D layer of a fitted ConvNetClassifier (or of
    a Sequential), blue negative and red positive: ``n_cols`` to a row for one input channel,
    else one row per output channel with a kernel per input channel.

    Parameters
    ----------
    model : fitted ConvNetClassifier or ConvNetRegressor, or ml.nn.Sequential
    layer : int, default=0
        Which Conv2D layer, counted from 0.
    ax : matplotlib Axes, optional
        Where to draw; a new figure's Axes when None.
    n_cols : int, default=8
        Kernels per row (for one input channel).

    Returns
    -------
    ax : matplotlib Axes

    Raises
    ------
    ValueError
        If the model has no such Conv2D layer.

    Examples
    --------
    >>> from ml import nn, plots
    >>> ax = plots.plot_filters(nn.Sequential(nn.Conv2D(1, 8, 3, random_state=0)))
    """
    _, convs = _conv_layers(model)
    if convs:
        check_number("layer", layer, integer=True, low=0, high=len(convs) - 1)
    if not convs:
        raise ValueError("model has no Conv2D layer to show; fit a ConvNetClassifier first.")
    W = np.asarray(convs[layer].params["W"], dtype=float)
    out_channels, in_channels, kh, kw = W.shape
    kernels = W.reshape(out_channels * in_channels, kh, kw)
    ax = new_axes(ax)
    limit = np.abs(W).max() or 1.0
    n_cols = in_channels if in_channels > 1 else min(n_cols, len(kernels))
    ax.imshow(
        _tile(kernels, n_cols), cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest"
    )
    ax.set_title(
        f"Conv2D layer {layer + 1}: {out_channels} kernels of {kh}x{kw}"
        + (f" on {in_channels} channels" if in_channels > 1 else "")
    )
    ax.axis("off")
    return ax


def plot_feature_maps(model, image, *, axes=None, max_channels: int = 16):
    """What each layer sees: ``image`` (h, w) or (c, h, w), then the output of every activation
    and pooling layer on images, up to ``max_channels`` channels each, one panel per layer.

    Returns the array of Axes (a new figure when ``axes`` is None).

    Parameters
    ----------
    model : fitted ConvNetClassifier or ConvNetRegressor, or ml.nn.Sequential
    image : array of shape (h, w) or (c, h, w)
    axes : sequence of matplotlib Axes, optional
        One per panel; a new figure when None.
    max_channels : int, default=16
        The most channels drawn of each layer.

    Returns
    -------
    axes : array of matplotlib Axes

    Raises
    ------
    ValueError
        If ``image`` does not fit the model's input.

    Examples
    --------
    >>> import ml
    >>> from ml import plots
    >>> images, labels = ml.datasets.load_digits(images=True)
    >>> cnn = ml.ConvNetClassifier(conv_layers=[(4, 3)], max_iter=2, random_state=0)
    >>> axes = plots.plot_feature_maps(cnn.fit(images[:200] / 16, labels[:200]), images[0] / 16)
    """
    layers, _ = _conv_layers(model)
    x = np.asarray(image, dtype=layers[0].params["W"].dtype if layers else float)
    x = x[None, None] if x.ndim == 2 else x[None]
    expected = getattr(model, "image_shape_", None)
    if x.ndim != 4 or (expected is not None and x.shape[1:] != tuple(expected)):
        raise ValueError(
            f"image must have shape (h, w) or (c, h, w) of the model's images {expected}; "
            f"got {np.shape(image)}."
        )
    maps = [("input", x[0])]
    for layer in layers:
        x = layer.forward(x, training=False)
        shown = isinstance(layer, nn.Activation | nn.MaxPool2D | nn.AvgPool2D)
        if x.ndim != 4:
            break
        if shown:
            maps.append((f"{type(layer).__name__} ({x.shape[1]}x{x.shape[2]}x{x.shape[3]})", x[0]))
    if axes is None:
        _, axes = plt.subplots(1, len(maps), figsize=(2.6 * len(maps), 3), layout="constrained")
    axes = np.asarray(axes).ravel()
    if len(axes) != len(maps):
        raise ValueError(f"axes must hold {len(maps)} Axes, one per map; got {len(axes)}.")
    for ax, (title, fmap) in zip(axes, maps, strict=True):
        channels = fmap[:max_channels]
        ax.imshow(
            _tile(channels, math.ceil(math.sqrt(len(channels)))),
            cmap="viridis",
            interpolation="nearest",
        )
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    return axes
