"""One forward and backward pass, recorded layer by layer: backpropagation to look at.

``trace(network, x, y)`` runs the batch forward through every layer (keeping each input and
output), the loss, then backward through every layer in reverse (keeping the gradient that
arrives, ``dL/d(output)``, the one passed on, ``dL/d(input)``, and the parameters' gradients).
``print(trace(...))`` shows it as a table; :func:`ml.plots.plot_backprop` draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ml.functional import one_hot
from ml.nn.activations import Activation
from ml.nn.layers import Dense
from ml.nn.losses import Loss, SoftmaxCrossEntropy, SquaredError

__all__ = ["LayerTrace", "Trace", "hidden_activations", "trace"]


@dataclass
class LayerTrace:
    """What one layer saw: ``output = layer(input)``; backward turned ``grad_output`` (dL/dy)
    into ``grad_input`` (dL/dx) and filled ``param_grads`` (dL/dW, dL/db, ...).

    Parameters
    ----------
    name : str
        The layer, as its ``repr``.
    input, output : ndarray
        What the layer was given and what it returned.
    grad_output, grad_input : ndarray or None
        ``dL/d(output)`` and ``dL/d(input)`` of the backward pass.
    param_grads : dict of str to ndarray
        The gradient of each parameter.

    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> net = nn.Sequential(nn.Dense(2, 3), nn.ReLU(), nn.Dense(3, 2))
    >>> first = nn.trace(net, np.ones((4, 2), dtype=np.float32), np.array([0, 1, 0, 1])).layers[0]
    >>> first.output.shape, sorted(first.param_grads)
    ((4, 3), ['W', 'b'])
    """

    name: str
    input: np.ndarray
    output: np.ndarray
    grad_output: np.ndarray | None = None
    grad_input: np.ndarray | None = None
    param_grads: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class Trace:
    """A recorded forward and backward pass: one :class:`LayerTrace` per layer, and the loss.

    Parameters
    ----------
    layers : list of LayerTrace
        One per layer, in order.
    loss : float
        The loss of the pass.

    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> net = nn.Sequential(nn.Dense(2, 3), nn.ReLU(), nn.Dense(3, 2))
    >>> recorded = nn.trace(net, np.ones((4, 2), dtype=np.float32), np.array([0, 1, 0, 1]))
    >>> len(recorded.layers), recorded.loss > 0
    (3, True)
    """

    layers: list[LayerTrace]
    loss: float

    def table(self) -> str:
        """The pass as a table: shapes, and the size (root mean square) of every array."""
        rows = [("layer", "input", "output", "dL/d(output)", "dL/d(input)", "parameter grads")]
        for step in self.layers:
            grads = ", ".join(f"d{k} {_describe(g)}" for k, g in step.param_grads.items())
            rows.append(
                (
                    step.name,
                    _describe(step.input),
                    _describe(step.output),
                    _describe(step.grad_output),
                    _describe(step.grad_input),
                    grads or "-",
                )
            )
        widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows
        ]
        lines.insert(1, "-" * len(lines[0]))
        return "\n".join([*lines, f"loss {self.loss:.6g}"])

    def __str__(self) -> str:
        return self.table()


def _describe(array) -> str:
    if array is None:
        return "-"
    rms = float(np.sqrt(np.mean(np.square(array)))) if np.size(array) else 0.0
    return f"{tuple(np.shape(array))} rms {rms:.3g}"


def trace(network, x, y, loss: Loss | None = None) -> Trace:
    """Run one training-mode forward and backward pass of ``network`` on ``(x, y)``; record it.

    ``y`` holds class labels (with the default softmax cross-entropy loss, one-hot encoded for
    the network's outputs) or target values (any other ``loss``, or float ``y``, which defaults
    to the squared error). The network's parameters are not changed; their gradients are.

    Parameters
    ----------
    network : ml.nn.Sequential
    x : array of shape (n_samples, ...)
    y : array of shape (n_samples,) or (n_samples, n_outputs)
        Labels or targets.
    loss : ml.nn.losses.Loss, optional
        The loss; softmax cross-entropy for labels, squared error for float targets.

    Returns
    -------
    trace : Trace
        What each layer saw, forward and backward, and the loss;
        :func:`ml.plots.plot_backprop` draws it.

    Raises
    ------
    ValueError
        If ``y`` does not fit the network's outputs.

    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> net = nn.Sequential(nn.Dense(2, 3), nn.ReLU(), nn.Dense(3, 2))
    >>> recorded = nn.trace(net, np.ones((4, 2), dtype=np.float32), np.array([0, 1, 0, 1]))
    >>> [layer.name for layer in recorded.layers]
    ['Dense(2, 3)', 'ReLU()', 'Dense(3, 2)']
    """
    x, y = np.asarray(x), np.asarray(y)
    if len(y) != len(x):
        raise ValueError(f"x and y must hold as many samples; got {len(x)} and {len(y)}.")
    steps, value = [], x
    for layer in network.all_layers():
        output = layer.forward(value, training=True)
        steps.append(LayerTrace(repr(layer), value, output))
        value = output
    if loss is None:
        loss = SoftmaxCrossEntropy() if y.dtype.kind in "iub" else SquaredError()
    if isinstance(loss, SoftmaxCrossEntropy) and y.ndim == 1:
        y = one_hot(y, value.shape[1], dtype=value.dtype)
    total = float(loss.forward(value, y.reshape(value.shape).astype(value.dtype)))
    gradient = loss.backward()
    for layer, step in zip(reversed(list(network.all_layers())), reversed(steps), strict=True):
        step.grad_output = gradient
        gradient = layer.backward(gradient)
        step.grad_input = gradient
        step.param_grads = {name: layer.grads[name].copy() for name in layer.params}
    return Trace(steps, total)


def hidden_activations(network, x) -> list:
    """What every hidden unit computes for ``x``: the output of each activation layer before the
    last Dense layer, in inference mode (dropout off), one array of shape (n_samples, width) per
    hidden layer. Nothing is kept for a backward pass.

    Parameters
    ----------
    network : ml.nn.Sequential
    x : array of shape (n_samples, n_features)

    Returns
    -------
    activations : list of arrays
        One (n_samples, width) array per hidden layer.

    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> net = nn.Sequential(nn.Dense(2, 5), nn.ReLU(), nn.Dense(5, 3), nn.Tanh(), nn.Dense(3, 1))
    >>> [a.shape for a in nn.hidden_activations(net, np.zeros((4, 2), dtype=np.float32))]
    [(4, 5), (4, 3)]
    """
    layers = list(network.all_layers())
    last_dense = max(i for i, layer in enumerate(layers) if isinstance(layer, Dense))
    outputs, value = [], x
    for layer in layers[:last_dense]:
        value = layer.forward(value, training=False)
        if isinstance(layer, Activation):
            outputs.append(value)
    return outputs
