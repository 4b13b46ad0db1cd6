"""Activation layers: ``y = g(x)`` elementwise, ``dx = dy * g'(x)`` (the functions and their
derivatives are :mod:`ml.functional.activations`), and :func:`activation_layer`, the layer of an
activation's name."""

from __future__ import annotations

import numpy as np

from ml._validation import check_number
from ml.backend import array_namespace, relu
from ml.functional import activations as A
from ml.nn.layers import Layer

__all__ = [
    "Activation",
    "Identity",
    "LeakyReLU",
    "ReLU",
    "Sigmoid",
    "Softplus",
    "Tanh",
    "activation_layer",
]


_NEW_ARRAYS = [a for name, a in A.ACTIVATIONS.items() if name != "identity"]  # as shipped


class Activation(Layer):
    """Elementwise ``y = g(x)``; backward ``dx = dy * g'(x)``. ``name`` is any activation of the
    registry (:func:`ml.functional.get_activation`).

    Parameters
    ----------
    name : str
        "relu", "tanh", "sigmoid" (or "logistic"), "softplus", "leaky_relu", "identity".

    Raises
    ------
    ValueError
        For an unknown name.

    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> nn.Activation("tanh").forward(np.zeros((1, 2)))
    array([[0., 0.]])
    """

    def __init__(self, name: str):
        super().__init__()
        self.activation = A.get_activation(name)

    @property
    def fresh_output(self) -> bool:
        """ml's own functions give a new array (or the memory they were allowed to write over),
        except the identity, whose output is its input."""
        return self.activation in _NEW_ARRAYS

    def forward(self, x, training: bool = False):
        y = self.activation.function(x)
        self._save_for_backward(training, x=x, y=y)
        return y

    def backward(self, dout):
        return dout * self._derivative()

    def _derivative(self):
        """``g'`` at the saved input (a subclass may use the saved output instead)."""
        return self.activation.gradient(self._saved_for_backward("x"))

    def get_config(self) -> dict:
        return {"name": self.activation.name} if type(self) is Activation else {}

    def _describe(self) -> str:
        return repr(self.activation.name) if type(self) is Activation else ""


class Identity(Activation):
    """``y = x``.

    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> nn.Identity().forward(np.array([[-1.0, 0.5]]))
    array([[-1. ,  0.5]])
    """

    def __init__(self):
        super().__init__("identity")

    def backward(self, dout):
        return dout


class ReLU(Activation):
    """``y = max(0, x)``; ``dx = dy [y > 0]``, from the output kept by forward (``y > 0``
    exactly where ``x > 0``). In a network, written over the output of the layer before it
    (in training, of a layer that does not keep it) and over the gradient of the layer after it
    in backward, where nothing else holds that (:attr:`Layer.fresh_output`,
    :attr:`Layer.keeps_output`, :attr:`Layer.fresh_grad`).

    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> relu = nn.ReLU()
    >>> relu.forward(np.array([[-1.0, 0.5]]), training=True)
    array([[0. , 0.5]])
    >>> relu.backward(np.array([[3.0, 3.0]]))  # the gradient passes where x > 0
    array([[0., 3.]])
    """

    fresh_grad = True  # dout [y > 0]: a new array, or one that nothing else holds

    def __init__(self):
        super().__init__("relu")

    def forward(self, x, training: bool = False):
        y = relu(x)  # ml.backend.relu: on NumPy one SIMD pass
        self._save_for_backward(training, y=y)
        return y

    def _forward_overwriting(self, x, training: bool = False):
        if type(x) is not np.ndarray or not x.flags.writeable:
            return self.forward(x, training)
        y = relu(x, overwrite=True)
        self._save_for_backward(training, y=y)
        return y

    def _backward_overwriting(self, dout):
        if type(dout) is np.ndarray and dout.flags.writeable:
            return np.multiply(dout, self._saved_for_backward("y") > 0, out=dout)
        return self.backward(dout)

    def backward(self, dout):
        positive = self._saved_for_backward("y") > 0
        if type(dout) is np.ndarray:
            return dout * positive
        return dout * array_namespace(dout).astype(positive, dout.dtype)


class LeakyReLU(Activation):
    """``y = x if x > 0 else negative_slope * x``.

    Parameters
    ----------
    negative_slope : float, default=0.01
        The slope for negative inputs, in [0, 1].

    Raises
    ------
    ValueError
        If ``negative_slope`` is outside [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> nn.LeakyReLU(0.1).forward(np.array([[-2.0, 3.0]]))
    array([[-0.2,  3. ]])
    """

    def __init__(self, negative_slope: float = 0.01):
        super().__init__("leaky_relu")
        self.negative_slope = check_number("negative_slope", negative_slope, low=0, high=1)

    def forward(self, x, training: bool = False):
        self._save_for_backward(training, x=x)
        return A.leaky_relu(x, self.negative_slope)

    def _derivative(self):
        return A.leaky_relu_gradient(self._saved_for_backward("x"), self.negative_slope)

    def get_config(self) -> dict:
        return {"negative_slope": self.negative_slope}


class Tanh(Activation):
    """``y = tanh x``; ``dx = dy * (1 - y^2)``, from the saved output.

    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> np.round(nn.Tanh().forward(np.array([[-1.0, 0.0, 1.0]])), 4)
    array([[-0.7616,  0.    ,  0.7616]])
    """

    def __init__(self):
        super().__init__("tanh")

    def _derivative(self):
        y = self._saved_for_backward("y")
        return 1 - y * y


class Sigmoid(Activation):
    """``y = 1 / (1 + e^-x)``; ``dx = dy * y (1 - y)``, from the saved output.

    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> sigmoid = nn.Sigmoid()
    >>> sigmoid.forward(np.array([[0.0]]), training=True)
    array([[0.5]])
    >>> sigmoid.backward(np.array([[1.0]]))  # g'(0) = g(0) (1 - g(0))
    array([[0.25]])
    """

    def __init__(self):
        super().__init__("sigmoid")

    def _derivative(self):
        y = self._saved_for_backward("y")
        return y * (1 - y)


class Softplus(Activation):
    """``y = log(1 + e^x)``; ``dx = dy * sigmoid(x)``.

    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> np.round(nn.Softplus().forward(np.array([[0.0, 30.0]])), 4)  # log(1 + e^x)
    array([[ 0.6931, 30.    ]])
    """

    def __init__(self):
        super().__init__("softplus")


_ACTIVATION_LAYERS = {
    "identity": Identity,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "softplus": Softplus,
}


def activation_layer(name: str) -> Activation:
    """The layer of the activation ``name`` (any name or alias of the registry).

    Parameters
    ----------
    name : str
        "relu", "tanh", "sigmoid" (or "logistic"), "softplus", "leaky_relu", "identity".

    Returns
    -------
    layer : Activation
        ``ReLU()`` for "relu", and so on.

    Raises
    ------
    ValueError
        For an unknown name.

    Examples
    --------
    >>> from ml import nn
    >>> nn.activation_layer("logistic")
    Sigmoid()
    """
    return _ACTIVATION_LAYERS[A.get_activation(name).name]()
