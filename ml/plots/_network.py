"""Backpropagation made visible: the network as a graph of its weights (TensorFlow Playground's
picture) and one forward and backward pass, layer by layer (:func:`ml.nn.trace`)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection

from ml import nn
from ml._validation import check_number

__all__ = ["plot_backprop", "plot_network"]

POSITIVE, NEGATIVE = "#ee6677", "#4477aa"  # red for weights above zero, blue below


def _dense_layers(model_or_net) -> list[nn.Dense]:
    network = getattr(model_or_net, "network_", model_or_net)
    if not isinstance(network, nn.Sequential):
        raise TypeError(
            "model_or_net must be a fitted MLP estimator or an ml.nn.Sequential; got "
            f"{type(model_or_net).__name__}."
        )
    layers = list(network.all_layers())
    dense = [layer for layer in layers if isinstance(layer, nn.Dense)]
    if not dense or any(isinstance(layer, nn.Conv2D) for layer in layers):
        raise ValueError("plot_network draws networks of Dense layers (an MLP).")
    return dense


def _shown(n: int, most: int) -> list[int]:
    """The units of a layer of ``n`` that are drawn: all, or the first and last ``most // 2``."""
    if n <= most:
        return list(range(n))
    half = most // 2
    return [*range(half), *range(n - half, n)]


def plot_network(model_or_net, *, X=None, ax=None, max_units: int = 12, maps: bool = True):
    """The network as a graph: one column of units per layer, every weight a line whose colour
    is its sign (red above zero, blue below) and whose width is its size.

    Parameters
    ----------
    model_or_net : fitted MLPClassifier or MLPRegressor, or ``ml.nn.Sequential`` of Dense layers
    X : array of shape (n_samples, 2), optional
        For a network of 2 inputs: each hidden unit then shows its own decision map, its
        activation over the plane of ``X``, as TensorFlow Playground draws it (``maps=True``).
    max_units : int
        Layers wider than this are summarised: their first and last ``max_units // 2`` units are
        drawn, with a "⋮" between them, and only the weights between drawn units.
    ax : Axes, optional
    maps : bool, default=True
        With ``X``, draw each hidden unit's own map over the plane.

    Returns
    -------
    ax : Axes

    Raises
    ------
    ValueError
        If the network has other layers than Dense and activations.

    Examples
    --------
    >>> import ml
    >>> from ml import plots
    >>> X, y = ml.datasets.twospirals(n_samples=50, random_state=0)
    >>> ax = plots.plot_network(ml.MLPClassifier((4,), max_iter=5, random_state=0).fit(X, y), X=X)
    """
    check_number("max_units", max_units, integer=True, low=2)
    dense = _dense_layers(model_or_net)
    ax = plt.subplots(figsize=(2.2 * (len(dense) + 1), 4.5))[1] if ax is None else ax
    widths = [dense[0].in_features, *[layer.out_features for layer in dense]]
    shown = [_shown(n, max_units) for n in widths]
    position = [{unit: _y(i, len(units)) for i, unit in enumerate(units)} for units in shown]
    largest = max(float(np.abs(layer.params["W"]).max()) for layer in dense) or 1.0
    segments, colours, linewidths = [], [], []
    for column, layer in enumerate(dense):
        W = layer.params["W"]
        for i in shown[column]:
            for j in shown[column + 1]:
                segments.append(
                    [(column, position[column][i]), (column + 1, position[column + 1][j])]
                )
                colours.append(POSITIVE if W[i, j] > 0 else NEGATIVE)
                linewidths.append(0.2 + 3.0 * abs(float(W[i, j])) / largest)
    ax.add_collection(LineCollection(segments, colors=colours, linewidths=linewidths, zorder=1))
    for column, units in enumerate(shown):
        ys = [position[column][u] for u in units]
        ax.scatter([column] * len(units), ys, s=160, c="white", edgecolors="#333333", zorder=2)
        if len(units) < widths[column]:
            ax.text(column, 0.5, "⋮", ha="center", va="center", fontsize=14, zorder=3)
    names = ["input", *[f"hidden {i}" for i in range(1, len(dense))], "output"]
    ax.set_xticks(range(len(widths)), [f"{n}\n({w})" for n, w in zip(names, widths, strict=True)])
    ax.set(yticks=[], xlim=(-0.5, len(dense) + 0.5), ylim=(-0.08, 1.08))
    ax.grid(False)
    ax.set_title("Weights: red > 0, blue < 0, width = size")
    if maps and X is not None and widths[0] == 2:
        _unit_maps(ax, model_or_net, dense, shown, position, np.asarray(X, dtype=float))
    return ax


def _y(i: int, n: int) -> float:
    return 0.5 if n == 1 else 1.0 - i / (n - 1)


def _unit_maps(ax, model_or_net, dense, shown, position, X, resolution: int = 40):
    """A small image of each hidden unit's activation over the plane of ``X``."""
    (x0, y0), (x1, y1) = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    xx, yy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    network = getattr(model_or_net, "network_", model_or_net)
    grid = np.c_[xx.ravel(), yy.ravel()].astype(dense[0].params["W"].dtype)
    for column, value in enumerate(nn.hidden_activations(network, grid), start=1):
        for unit in shown[column]:
            inset = ax.inset_axes(
                [column - 0.16, position[column][unit] - 0.05, 0.32, 0.1], transform=ax.transData
            )
            inset.imshow(value[:, unit].reshape(xx.shape), origin="lower", cmap="RdBu_r")
            inset.set_axis_off()


def plot_backprop(trace, *, axes=None):
    """One recorded forward and backward pass (:func:`ml.nn.trace`), layer by layer.

    The top row shows each layer's output for the batch, left to right as the values flow
    forward; the bottom row the gradient ``dL/d(input)`` each layer passes back, right to left as
    backpropagation runs. Each image has one row per sample; titles give the shapes.

    Parameters
    ----------
    trace : ml.nn.Trace
        A pass recorded by :func:`ml.nn.trace`.
    axes : array of matplotlib Axes of shape (2, n_layers), optional
        Where to draw; a new figure when None.

    Returns
    -------
    axes : array of matplotlib Axes

    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn, plots
    >>> net = nn.Sequential(nn.Dense(2, 4), nn.ReLU(), nn.Dense(4, 2))
    >>> axes = plots.plot_backprop(nn.trace(net, np.ones((8, 2), "float32"), np.arange(8) % 2))
    >>> axes.shape
    (2, 3)
    """
    n = len(trace.layers)
    if axes is None:
        fig, axes = plt.subplots(2, n, figsize=(2.2 * n, 4.6), layout="constrained", squeeze=False)
    axes = np.asarray(axes).reshape(2, n)
    for column, step in enumerate(trace.layers):
        for row, (array, label) in enumerate(
            [(step.output, "forward →"), (step.grad_input, "← backward")]
        ):
            ax = axes[row, column]
            ax.clear()
            flat = np.asarray(array).reshape(len(array), -1)
            limit = float(np.abs(flat).max()) or 1.0
            ax.imshow(flat, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_title(f"{step.name}\n{label} {tuple(np.shape(array))}", fontsize=8)
            ax.set(xticks=[], yticks=[])
    axes[0, 0].set_ylabel("outputs\n(samples)")
    axes[1, 0].set_ylabel("dL/d(input)\n(samples)")
    axes[0, 0].figure.suptitle(f"One pass: loss {trace.loss:.4g}")
    return axes
