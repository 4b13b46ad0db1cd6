"""Training shown as it happens: a callback that redraws the lecture's figure every k epochs."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ml.plots._figures import plot_decision_regions, plot_training
from ml.train import Callback


class LiveTrainingPlot(Callback):
    """A callback that redraws the lecture's "Iteration N" figure every ``every`` epochs.

    One figure: the decision regions of every class with the points (when ``X`` and ``y`` are
    2-D data), each layer's weights as an image and the loss curve (:func:`plot_training`).
    In a Jupyter notebook the figure is replaced in place, without flicker (IPython's
    ``clear_output(wait=True)``); elsewhere it is redrawn on its canvas. Pass it as
    ``MLPClassifier(callbacks=[LiveTrainingPlot(X=X, y=y)])``; ``frames`` counts the redraws.

    Parameters
    ----------
    every : int, default=1
        Redraw every ``every`` epochs.
    X : array of shape (n_samples, 2), optional
        2-D data whose decision regions are drawn with the weights.
    y : array of shape (n_samples,), optional
        Its labels.

    Raises
    ------
    ValueError
        If ``every`` is not a positive int.

    Examples
    --------
    >>> import ml
    >>> from ml import plots
    >>> X, y = ml.datasets.twospirals(n_samples=50, random_state=0)
    >>> live = plots.LiveTrainingPlot(every=5, X=X, y=y)
    >>> ml.MLPClassifier((8,), max_iter=10, callbacks=[live], random_state=0).fit(X, y).n_iter_
    10
    """

    def __init__(self, every: int = 1, *, X=None, y=None):
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be an int >= 1; got {every!r}.")
        self.every, self.X, self.y = every, X, y
        self.figure, self.frames = None, 0

    def _regions(self) -> bool:
        return self.X is not None and np.shape(self.X)[1] == 2

    def on_train_begin(self, model):
        if self.figure is None:
            panels = len(model.coefs_) + 1 + self._regions()
            self.figure = plt.figure(figsize=(3 * panels, 3.4), layout="constrained")
            self._axes = np.atleast_1d(self.figure.subplots(1, panels))

    def on_epoch_end(self, model, epoch, history):
        if epoch % self.every:
            return
        axes = self._axes
        if self._regions():
            axes[0].clear()
            plot_decision_regions(model, self.X, self.y, ax=axes[0], resolution=100)
            axes[0].set_title("Decision regions")
            axes = axes[1:]
        plot_training(model, axes=axes)
        self.frames += 1
        self._show()

    def _show(self):
        try:
            from IPython import get_ipython
            from IPython.display import clear_output, display
        except ImportError:
            get_ipython = None
        if get_ipython is not None and get_ipython() is not None:
            clear_output(wait=True)
            display(self.figure)
        else:
            self.figure.canvas.draw_idle()
