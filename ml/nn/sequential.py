"""``Sequential``: layers applied one after another, and backpropagation through them."""

from __future__ import annotations

import math

import array_api_compat
import numpy as np

from ml.backend import array_namespace, zeros
from ml.nn.activations import Activation, ReLU
from ml.nn.init import for_activation
from ml.nn.layers import Layer
from ml.nn.pool import MaxPool2D

__all__ = ["Sequential"]


def _fresh(layer, training: bool) -> bool:
    """Whether ``layer``'s output is memory that nothing else holds, which the next layer may
    write over: :attr:`Layer.fresh_output`, and in training a layer that does not keep it
    (asked first: an activation's ``fresh_output`` is a look-up, its ``keeps_output`` not)."""
    return not (training and layer.keeps_output) and layer.fresh_output


class Sequential(Layer):
    """A network of layers applied in order, ``f(x) = layer_L(...(layer_2(layer_1(x))))``.

    ``forward`` runs the layers in order; ``backward(dout)`` runs their ``backward`` in reverse,
    which is backpropagation: each layer turns ``dL/d(output)`` into ``dL/d(input)`` and fills its
    parameters' gradients on the way.

    A ReLU right before a max pooling runs after it, on the pooled values (a quarter of them
    for 2x2 windows): the two commute exactly, ``max(relu(x)) = relu(max(x))``, and the ties
    that only one order sees are of values at most 0, where ReLU's gradient is 0 either way,
    so the output and every gradient are the same numbers (:meth:`_in_order`).

    Like PyTorch, a network is in training mode after ``train()`` and in inference mode after
    ``eval()`` (the default); the mode decides what Dropout and BatchNorm do.

    Parameters
    ----------
    *layers : Layer
        The layers, in the order they are applied.

    Raises
    ------
    TypeError
        If an argument is not an ml.nn layer, or (in ``forward``) the input is not an array of
        numbers of the parameters' library.

    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> net = nn.Sequential(nn.Dense(4, 8, random_state=0), nn.ReLU(), nn.Dense(8, 2))
    >>> out = net.forward(np.ones((3, 4), dtype=np.float32), training=True)
    >>> net.backward(np.ones_like(out)).shape, len(net.parameters())
    ((3, 4), 4)
    """

    def __init__(self, *layers: Layer):
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layers[{i}] must be an ml.nn Layer; got {type(layer).__name__}.")
        self.layers = list(layers)
        self.training = False

    def forward(self, x, training: bool | None = None):
        self._check_input(x)
        return self._run(x, self.training if training is None else training)

    def _run(self, x, training: bool, check_first=None):
        """The layers one after another, on an ``x`` already checked (the estimators check
        theirs once, in their own terms; ``check_first``, a function, is called on the first
        layer's output). A layer may write over the output of the layer before it where nothing
        else holds that (:attr:`Layer.fresh_output`, in training of a layer that does not keep
        it, :attr:`Layer.keeps_output`; never over the caller's ``x``): ReLU then works in
        place."""
        layers, fresh = self._in_order(), False
        if check_first is not None and layers:
            with np.errstate(invalid="ignore"):  # what a NaN or infinity in x makes: refused
                x = layers[0].forward(x, training)
            check_first(x)
            layers, fresh = layers[1:], _fresh(layers[0], training)
        for layer in layers:
            x = layer._forward_overwriting(x, training) if fresh else layer.forward(x, training)
            fresh = _fresh(layer, training)
        return x

    def _in_order(self) -> list[Layer]:
        """The layers in the order they run: as given, except that a ReLU right before a max
        pooling moves after it (see the class), where it saves most of ReLU's time."""
        order = list(self.layers)
        for i in range(len(order) - 1):
            if type(order[i]) is ReLU and type(order[i + 1]) is MaxPool2D:
                order[i], order[i + 1] = order[i + 1], order[i]
        return order

    def _check_input(self, x) -> None:
        """Refuse what is not an array of numbers of the parameters' namespace."""
        if type(x) is np.ndarray and x.dtype.kind in "fiub" and self._numpy_parameters():
            return  # the common case, asked on every batch
        if not array_api_compat.is_array_api_obj(x) or isinstance(x, np.generic):
            raise TypeError(f"x must be an array of numbers; got {type(x).__name__}.")
        xp = array_namespace(x)
        if not xp.isdtype(x.dtype, ("real floating", "integral", "bool")):
            raise TypeError(f"x must be an array of numbers; got {x.dtype}.")
        first = self._first_parameter()
        if first is not None and array_namespace(first) is not xp:
            raise TypeError(
                f"x is an array of {xp.__name__} and the network's parameters of "
                f"{array_namespace(first).__name__}: move one to the other "
                "(network.to(array_api_compat.array_namespace(x), device))."
            )

    def _numpy_parameters(self) -> bool:
        first = self._first_parameter()
        return first is None or type(first) is np.ndarray

    def _first_parameter(self):
        """The first parameter array (it tells the network's library, device and dtype), or
        None: found without listing them all, as predict asks it on every call."""
        return next((p for layer in self.all_layers() for p in layer.params.values()), None)

    def backward(self, dout):
        return self._back(reversed(self._in_order()), dout)

    @staticmethod
    def _back(layers, dout):
        """Backpropagation through ``layers`` (last first): a layer may write its gradient over
        the one handed to it where nothing else holds that (:attr:`Layer.fresh_grad`; never
        over the caller's ``dout``): ReLU then works in place."""
        fresh = False
        for layer in layers:
            dout = layer._backward_overwriting(dout) if fresh else layer.backward(dout)
            fresh = layer.fresh_grad
        return dout

    def backward_params(self, dout) -> None:
        """Backpropagation for training: every gradient of the parameters, but not the gradient
        of the input, which the first layer then need not compute (one matrix product less)."""
        order = self._in_order()
        dout = self._back(reversed(order[1:]), dout)
        if order:
            order[0].backward_params(dout)

    def predict(self, x):
        """Inference: the output for ``x`` in inference mode, which keeps nothing on the layers
        (so that many threads may predict at once)."""
        return self.forward(x, training=False)

    def reset_parameters(self, random_state=None, **init) -> None:
        """Draw every parameter anew from ``random_state``: each Dense and Conv2D initialised
        for the activation after it (:func:`ml.nn.init.for_activation`, as the estimators build
        their layers), BatchNorm to ``gamma = 1``, ``beta = 0``."""
        layers, name = list(self.all_layers()), "identity"
        for layer in reversed(layers):  # the activation after a layer is seen before it
            if isinstance(layer, Activation):
                name = layer.activation.name
            layer.reset_parameters(random_state, **for_activation(name))
            if "W" in layer.params:
                name = "identity"

    def to(self, xp, device=None) -> Sequential:
        """Move every layer's arrays into the namespace ``xp`` on ``device``, in place."""
        for layer in self.all_layers():
            layer.to(xp, device)
        return self

    def train(self) -> Sequential:
        """Switch to training mode (Dropout drops, BatchNorm uses batch statistics)."""
        self.training = True
        return self

    def eval(self) -> Sequential:
        """Switch to inference mode (Dropout passes through, BatchNorm uses running statistics)."""
        self.training = False
        return self

    def parameters(self) -> list[np.ndarray]:
        """Every parameter array, layer by layer; optimisers update these in place."""
        return [p for layer in self.all_layers() for p in layer.params.values()]

    def gradients(self) -> list[np.ndarray]:
        """The gradients of :meth:`parameters`, in the same order, after :meth:`backward`."""
        return [layer.grads[name] for layer in self.all_layers() for name in layer.params]

    def all_layers(self):
        """Every layer, with the layers of nested Sequentials in their place."""
        for layer in self.layers:
            yield from layer.all_layers() if isinstance(layer, Sequential) else [layer]

    def state_dict(self) -> dict[str, np.ndarray]:
        """Every layer's arrays, named ``"<layer index>.<name>"`` (``"0.W"``, ``"2.1.b"``)."""
        return {
            f"{i}.{name}": value
            for i, layer in enumerate(self.layers)
            for name, value in layer.state_dict().items()
        }

    def load_state_dict(self, state: dict) -> None:
        """Copy ``state`` (as :meth:`state_dict` returns it) into the layers' arrays, in place."""
        unknown = set(state) - set(self.state_dict())
        if unknown:
            raise ValueError(f"this network has no arrays {sorted(unknown)}.")
        for i, layer in enumerate(self.layers):
            prefix = f"{i}."
            layer.load_state_dict(
                {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
            )

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, index):
        return self.layers[index]

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}) {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential({inner}\n)"

    def summary(self, input_shape: tuple[int, ...], dtype=np.float32) -> str:
        """A table of the layers, their output shapes and parameter counts.

        ``input_shape`` is the shape of one sample, without the batch axis, e.g. ``(64,)`` or
        ``(1, 8, 8)``. The shapes come from passing a batch of two zero samples through the
        network in inference mode.
        """
        if not isinstance(input_shape, tuple | list) or not all(
            isinstance(size, int) and size >= 1 for size in input_shape
        ):
            raise ValueError(f"input_shape must be a tuple of positive ints; got {input_shape!r}.")
        params = self.parameters()
        x = (
            zeros((2, *input_shape), like=params[0])
            if params
            else np.zeros((2, *input_shape), dtype)
        )
        rows, total = [], 0
        for i, layer in enumerate(self.layers):
            x = layer.forward(x, training=False)
            params = layer.parameters() if isinstance(layer, Sequential) else layer.params.values()
            count = sum(math.prod(p.shape) for p in params)
            total += count
            rows.append((f"({i}) {layer!r}", str((None, *tuple(x.shape)[1:])), f"{count:,}"))
        header = ("Layer", "Output shape", "Parameters")
        widths = [max(len(r[c]) for r in [header, *rows]) for c in range(3)]
        line = "-" * (sum(widths) + 4)

        def fmt(r):
            return f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}"

        return "\n".join([fmt(header), line, *map(fmt, rows), line, f"Total parameters: {total:,}"])
