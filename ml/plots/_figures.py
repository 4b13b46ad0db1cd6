"""The figures of the lecture: data, decision regions, losses, activations and the training
of a network (the figures of images are in :mod:`ml.plots._images`).

Every ``plot_*`` function draws on the Axes it is given (a new one when ``ax`` is None) and
returns it, so figures compose. ``from ml import plots`` is what the lecture does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap, to_hex
from matplotlib.ticker import MaxNLocator
from sklearn.utils.validation import check_is_fitted

from ml._validation import check_number
from ml.datasets import twospirals
from ml.functional import get_activation

__all__ = [
    "create_discrete_colormap",
    "plot_activations",
    "plot_decision_regions",
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


def new_axes(ax):
    """``ax``, or the Axes of a new figure when it is None."""
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
    ax = new_axes(ax)
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
    ax = new_axes(ax)
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
    ax = new_axes(ax)
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
