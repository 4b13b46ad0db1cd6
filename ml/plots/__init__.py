"""Figures for everything people would rather look at than read.

Every ``plot_*`` function draws on the Axes it is given (a new one when ``ax`` is None) and
returns it, so figures compose. ``from ml import plots`` is what the lecture does.

- the lecture's figures: data, decision regions, losses, activations, digits, filters, feature
  maps, the training of a network (:mod:`ml.plots._figures`, :mod:`ml.plots._images`);
- backpropagation made visible: the network as a graph of its weights and one forward and
  backward pass, layer by layer (:mod:`ml.plots._network`);
- training as it happens (:class:`LiveTrainingPlot`).
"""

from ml.plots._figures import _PALETTE as _PALETTE
from ml.plots._figures import (
    create_discrete_colormap,
    plot_activations,
    plot_decision_regions,
    plot_loss_curves,
    plot_training,
    set_plot_style,
    twospirals,
)
from ml.plots._images import plot_digits, plot_feature_maps, plot_filters
from ml.plots._live import LiveTrainingPlot
from ml.plots._network import plot_backprop, plot_network

__all__ = [
    "LiveTrainingPlot",
    "create_discrete_colormap",
    "plot_activations",
    "plot_backprop",
    "plot_decision_regions",
    "plot_digits",
    "plot_feature_maps",
    "plot_filters",
    "plot_loss_curves",
    "plot_network",
    "plot_training",
    "set_plot_style",
    "twospirals",
]
