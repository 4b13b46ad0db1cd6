"""The figures of the lecture: data, decision regions, losses, activations, digits, filters,
feature maps and the training of a network.

Every ``plot_*`` function draws on the Axes it is given (a new one when ``ax`` is None) and
returns it, so figures compose. ``from ml import plots`` is what the lecture does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap, to_hex
from matplotlib.ticker import MaxNLocator
from sklearn.utils.validation import check_is_fitted

from ml import nn
from ml._validation import check_number
from ml.datasets import twospirals
from ml.functional import get_activation

__all__ = [
    "create_discrete_colormap",
    "plot_activations",
    "plot_decision_regions",
    "plot_digits",
    "plot_feature_maps",
    "plot_filters",
    "plot_loss_curves",
    "plot_training",
    "set_plot_style",
    "twospirals",
]

# Ten colours that stay apart from each other, also for most colour-blind readers.
_PALETTE = [
    "#4477aa",
    "#ee6677",
    "#228833",
    "#ccbb44",
    "#66ccee",
    "#aa3377",
    "#bbbbbb",
    "#ee8866",
    "#332288",
    "#117733",
]


def set_plot_style() -> None:
    """A clean house style for matplotlib: white background, light grid, no top/right spines,
    readable font sizes and the discrete palette of :func:`create_discrete_colormap`.

    Examples
    --------
    >>> from ml import plots
    >>> plots.set_plot_style()
    """
    plt.rcParams.update(
        {
            "figure.figsize": (6.4, 4.4),
            "figure.dpi": 100,
            "savefig.dpi": 120,
            "savefig.bbox": "tight",
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 13,
            "axes.labelsize": 11,
            "legend.frameon": False,
            "image.cmap": "viridis",
            "axes.prop_cycle": plt.cycler(color=_PALETTE),
        }
    )


def create_discrete_colormap(n: int) -> ListedColormap:
    """A colormap of ``n`` distinct colours, one per class.

    Use it with ``norm = plt.Normalize(-0.5, n - 0.5)``: ``cmap(norm(k))`` is the colour of class k.

    Parameters
    ----------
    n : int
        The number of classes, at least 1.

    Returns
    -------
    cmap : matplotlib.colors.ListedColormap

    Raises
    ------
    ValueError
        If ``n`` is not a positive int.

    Examples
    --------
    >>> from ml import plots
    >>> plots.create_discrete_colormap(3).N
    3
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be a positive int; got {n!r}.")
    if n <= len(_PALETTE):
        colors = _PALETTE[:n]
    else:
        colors = [to_hex(c) for c in plt.get_cmap("hsv")(np.linspace(0, 1, n, endpoint=False))]
    return ListedColormap(colors, name=f"discrete_{n}")


def _axes(ax):
    return plt.figure().add_subplot() if ax is None else ax


def plot_decision_regions(model, X, y=None, *, ax=None, resolution: int = 200, margin=0.5):
    """Colour the plane by the class ``model.predict`` gives each point, and scatter ``X`` on it.

    Parameters
    ----------
    model : fitted classifier on two features
    X : array of shape (n_samples, 2)
    y : array of shape (n_samples,), optional
        True labels, drawn as the points' colours.
    resolution : int
        Grid points per axis.
    margin : float
        Space around the data, in the data's units.
    ax : matplotlib Axes, optional
        Where to draw; a new figure's Axes when None.

    Returns
    -------
    ax : matplotlib Axes

    Raises
    ------
    ValueError
        If ``X`` does not have two columns.

    Examples
    --------
    >>> import ml
    >>> from ml import plots
    >>> X, y = ml.datasets.blobs(random_state=0)
    >>> model = ml.SoftmaxClassifier(random_state=0).fit(X, y)
    >>> plots.plot_decision_regions(model, X, y).get_xlabel()
    '$x_1$'
    """
    check_number("resolution", resolution, integer=True, low=2)
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n_samples, 2) to be drawn; got {X.shape}.")
    ax = _axes(ax)
    classes = getattr(model, "classes_", None)
    if classes is None:
        classes = np.unique(y if y is not None else model.predict(X))
    n = len(classes)
    cmap, norm = create_discrete_colormap(n), plt.Normalize(-0.5, n - 0.5)
    (x0, y0), (x1, y1) = X.min(axis=0) - margin, X.max(axis=0) + margin
    xx, yy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    Z = np.searchsorted(classes, model.predict(np.column_stack([xx.ravel(), yy.ravel()])))
    ax.contourf(xx, yy, Z.reshape(xx.shape), levels=np.arange(n + 1) - 0.5, cmap=cmap, alpha=0.3)
    colors = "k" if y is None else cmap(norm(np.searchsorted(classes, np.asarray(y))))
    ax.scatter(X[:, 0], X[:, 1], c=colors, s=12, edgecolors="white", linewidths=0.3)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax


def plot_loss_curves(
    curves: Mapping[str, Sequence[float]] | Sequence[float],
    *,
    ax=None,
    title: str = "Cross Entropy Loss",
    xlabel: str = "Iterations",
    ylabel: str = "Loss Function",
    marker: str = ".",
):
    """The lecture's loss-per-iteration figure, e.g. random local search against gradient descent.

    ``curves`` maps a label to a loss history (one legend entry each), or is a single history.

    Parameters
    ----------
    curves : mapping of str to sequence of float, or sequence of float
        The losses, per label.
    ax : matplotlib Axes, optional
        Where to draw; a new figure's Axes when None.
    title, xlabel, ylabel : str
        The texts of the figure.
    marker : str, default="."
        Matplotlib's marker of each point.

    Returns
    -------
    ax : matplotlib Axes

    Raises
    ------
    TypeError
        If a curve is not a sequence of numbers.

    Examples
    --------
    >>> from ml import plots
    >>> ax = plots.plot_loss_curves({"a": [3, 2, 1], "b": [3, 2.5, 2]})
    >>> [line.get_label() for line in ax.lines]
    ['a', 'b']
    """
    ax = _axes(ax)
    named = curves.items() if isinstance(curves, Mapping) else [(None, curves)]
    for label, losses in named:
        try:
            losses = np.asarray(losses, dtype=float)
        except (TypeError, ValueError) as error:
            raise TypeError(f"curves must hold sequences of numbers: {error}") from None
        ax.plot(losses, marker, label=label, markersize=3)
    if isinstance(curves, Mapping):
        ax.legend()
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return ax


def plot_activations(
    names: Sequence[str] = ("sigmoid", "tanh", "relu", "softplus"), *, ax=None, x=None
):
    """Each activation ``g`` (solid) with its derivative ``g'`` (dashed, same colour).

    Parameters
    ----------
    names : sequence of str, default=("sigmoid", "tanh", "relu", "softplus")
        Activations of :func:`ml.get_activation`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure's Axes when None.
    x : array, optional
        Where to evaluate them; ``linspace(-5, 5, 400)`` when None.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> from ml import plots
    >>> ax = plots.plot_activations(["tanh", "relu"])
    >>> len(ax.lines)  # each function and its derivative
    4
    """
    ax = _axes(ax)
    x = np.linspace(-5, 5, 401) if x is None else np.asarray(x, dtype=float)
    for name, color in zip(names, _PALETTE * 2, strict=False):
        activation = get_activation(name)
        ax.plot(x, activation.function(x), color=color, label=activation.name)
        ax.plot(x, activation.gradient(x), color=color, ls="--", label=f"{activation.name}'")
    ax.spines["left"].set_position(("data", 0.0))
    ax.spines["bottom"].set_position(("data", 0.0))
    ax.legend(ncols=2, fontsize="small")
    ax.set_title("Activation functions (solid) and their derivatives (dashed)")
    return ax


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
    ax = _axes(ax)
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
    ax = _axes(ax)
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


def plot_training(model, *, axes=None):
    """The lecture's "Iteration N" figure: each layer's weight matrix as an image, then the loss.

    Parameters
    ----------
    model : fitted estimator with ``coefs_`` and ``loss_curve_`` (MLPClassifier, MLPRegressor,
        and scikit-learn's MLPs too)
    axes : sequence of ``len(model.coefs_) + 1`` Axes, optional
        Where to draw; a new figure with one row when None.

    Returns
    -------
    axes : ndarray of Axes

    Raises
    ------
    ValueError
        If ``axes`` does not hold one Axes per weight matrix and one for the loss.

    Examples
    --------
    >>> import ml
    >>> from ml import plots
    >>> X, y = ml.datasets.load_digits()
    >>> axes = plots.plot_training(ml.MLPClassifier((16,), max_iter=5, random_state=0).fit(X, y))
    >>> len(axes)
    3
    """
    check_is_fitted(model, "coefs_")
    n_layers = len(model.coefs_)
    if axes is None:
        _, axes = plt.subplots(
            1, n_layers + 1, figsize=(3 * (n_layers + 1), 3.4), layout="constrained"
        )
    axes = np.asarray(axes).ravel()
    if len(axes) != n_layers + 1:
        raise ValueError(
            f"axes must hold {n_layers + 1} Axes (one per layer and one for the "
            f"loss); got {len(axes)}."
        )
    for i, (ax, W) in enumerate(zip(axes, model.coefs_, strict=False)):
        ax.clear()
        ax.imshow(np.asarray(W), aspect="auto", cmap="viridis")
        ax.set_title(f"Layer {i + 1}")
        ax.set_xlabel("output unit")
        ax.set_ylabel("input unit" if i == 0 else "")
        for axis in (ax.xaxis, ax.yaxis):  # units are counted: whole numbers only
            axis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        ax.grid(False)
    loss_ax = axes[-1]
    loss_ax.clear()
    curve = np.asarray(model.loss_curve_, dtype=float)
    loss_ax.plot(np.arange(1, len(curve) + 1), curve, color="purple")
    loss_ax.set(title="Loss Function", xlabel="Iteration")
    loss_ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    axes[0].figure.suptitle(f"Iteration {len(curve)}")
    return axes
