"""Layers in the style of cs231n: ``forward`` keeps what ``backward`` needs; ``backward(dout)``
fills the parameters' gradients and returns the gradient with respect to the input.

Shapes follow PyTorch: a batch is the first axis. Each layer's docstring gives the formula its
code implements, so one can be checked against the other. Here: the :class:`Layer` base, Dense,
Dropout and Flatten; the activations are in :mod:`ml.nn.activations`, convolutions and pooling
in :mod:`ml.nn.conv` and :mod:`ml.nn.pool`.
"""

from __future__ import annotations

import abc
import numbers

import numpy as np

from ml._validation import check_memory, check_number
from ml.backend import (
    add_to_rows,
    array_namespace,
    check_random_state,
    matmul,
    move,
    numpy_dtype,
    random_uniform,
    sum_rows,
)
from ml.backend import device as device_of
from ml.nn.init import weights_and_bias

__all__ = ["LAYERS", "Dense", "Dropout", "Flatten", "Layer"]


MAX_FEATURES = 2**24
"""The most features (or channels) a layer takes or gives: more is a mistake, not a network."""


LAYERS: dict[str, type] = {}
"""ml.nn's layer classes by name: what a model file may name (``ml.load`` reads layers through
it, and through the classes a caller names with ``custom_layers``). Each public Layer class of
``ml.nn`` enters it by being defined: adding a layer is one class and no edit anywhere else."""


class GradientViews(dict):
    """A layer's ``grads`` when an optimizer keeps every gradient of a network in one flat
    buffer (:meth:`ml.optim.Optimizer.flatten`): each entry is the layer's view of that buffer,
    and ``backward`` writes into it in place."""


class Layer(abc.ABC):
    """A building block of a network.

    ``params`` maps names to parameter arrays (updated in place by optimisers) and ``grads`` the
    same names to their gradients after ``backward``. Layers without parameters leave both empty.

    A layer describes itself, as Keras's do: :meth:`get_config` gives its constructor's
    arguments, :meth:`array_shapes` the shapes of its arrays for a configuration (computed
    without building it), :meth:`from_config` builds it again and :meth:`state_dict` gives its
    arrays. Model files and exporters read layers through these alone.

    ``forward(x, training=True)`` keeps what ``backward`` needs (:meth:`_save_for_backward`);
    inference (``training=False``) keeps nothing on the layer, so that one network can predict
    from many threads at once. Copies and pickles leave out what was kept, and the gradients.

    Examples
    --------
    A layer of your own: ``forward`` and ``backward``, nothing else is required.

    >>> import numpy as np
    >>> from ml import nn
    >>> class Square(nn.Layer):
    ...     def forward(self, x, training=False):
    ...         self._save_for_backward(training, x=x)
    ...         return x * x
    ...     def backward(self, dout):
    ...         return 2 * self._saved_for_backward("x") * dout
    >>> net = nn.Sequential(nn.Dense(2, 2, random_state=0), Square())
    >>> net.forward(np.ones((1, 2), dtype=np.float32), training=True).shape
    (1, 2)
    """

    #: Whether inference returns memory that nothing else holds: not the input nor a view of
    #: it, nothing the layer keeps. The layer after it may then write over it (in a
    #: :class:`~ml.nn.Sequential`, ReLU does, by :meth:`_forward_overwriting`), in training
    #: too unless the layer keeps its output for backward (:attr:`keeps_output`). ml's layers
    #: say so where it holds; a layer of your own, a subclass of one of ml's among them, is
    #: taken to hold its output unless its class sets this to True.
    fresh_output: bool = False

    #: Whether a training forward keeps the output itself for backward (an activation's ``y``,
    #: a max pooling's maxima), so that in training nothing may write over it whatever
    #: :attr:`fresh_output` says. True unless a class of ml's says otherwise, and for a layer
    #: of your own unless its class says so.
    keeps_output: bool = True

    #: Whether ``backward`` returns memory that nothing else holds (not ``dout`` nor a view of
    #: it, nothing the layer keeps): the layer before it may then write its own gradient over
    #: it (in a :class:`~ml.nn.Sequential`, ReLU does, by :meth:`_backward_overwriting`). As
    #: for :attr:`fresh_output`, a layer of your own is taken to hold it unless its class says.
    fresh_grad: bool = False

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._saved: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith("ml.nn.") and not cls.__name__.startswith("_"):
            LAYERS[cls.__name__] = cls
        if not cls.__module__.startswith("ml."):  # what it returns may be what it keeps
            for name, held in (
                ("fresh_output", False),
                ("fresh_grad", False),
                ("keeps_output", True),
            ):
                if name not in vars(cls):
                    setattr(cls, name, held)

    @abc.abstractmethod
    def forward(self, x, training: bool = False):
        """The layer's output for the batch ``x``; in training, keeps what :meth:`backward`
        needs."""

    @abc.abstractmethod
    def backward(self, dout):
        """Given ``dL/d(output)``, fill ``grads`` and return ``dL/d(input)``."""

    def backward_params(self, dout) -> None:
        """Fill ``grads`` only, skipping ``dL/d(input)`` where the layer can: what the first
        layer of a network does, since nobody needs the gradient of the data."""
        self.backward(dout)

    def _forward_overwriting(self, x, training: bool = False):
        """:meth:`forward` of an ``x`` that nothing else holds, which the layer may write its
        output over (the output of a layer with :attr:`fresh_output`, in training one that
        does not keep it); by default plain :meth:`forward`."""
        return self.forward(x, training)

    def _backward_overwriting(self, dout):
        """:meth:`backward` of a ``dout`` that nothing else holds (the input gradient of a layer
        with :attr:`fresh_grad`), which the layer may write its own over; by default plain
        :meth:`backward`."""
        return self.backward(dout)

    def _save_for_backward(self, training: bool, **values) -> None:
        """Keep ``values`` for :meth:`backward`, in training only (PyTorch's
        ``save_for_backward``): inference stores nothing on the layer."""
        if training:
            self._saved = values

    def _saved_for_backward(self, *names):
        """What the last training forward pass kept, by name (one value, or a tuple)."""
        try:  # asked in every backward: no look before the leap
            if len(names) == 1:
                return self._saved[names[0]]
            return tuple(self._saved[name] for name in names)
        except KeyError:
            raise RuntimeError(
                f"{type(self).__name__}.backward needs a forward pass of the same batch with "
                "training=True first (inference, training=False, keeps nothing for backward)."
            ) from None

    def _grad_out(self, name: str):
        """Where ``grads[name]`` is to be written in place (its view of the flat buffer), or
        None: then ``_keep_grad`` stores a new array."""
        return self.grads[name] if isinstance(self.grads, GradientViews) else None

    def _keep_grad(self, name: str, value) -> None:
        if isinstance(self.grads, GradientViews):
            held = self.grads[name]
            if value is not held:
                held[...] = value
        else:
            self.grads[name] = value

    def __call__(self, x, training: bool = False):
        return self.forward(x, training)

    def __getstate__(self) -> dict:
        state = {k: v for k, v in vars(self).items() if k != "_saved"}
        return {**state, "grads": {}}

    def __setstate__(self, state: dict) -> None:
        vars(self).update(state)
        self._saved = {}

    def reset_parameters(self, random_state=None, init="glorot_uniform", bias_init="zeros"):
        """Draw the weights ``W`` and biases ``b`` anew from ``random_state``, with ``init`` and
        ``bias_init`` as the constructors of Dense and Conv2D take them; layers without
        parameters have nothing to do."""
        if "W" in self.params:
            W, b = self.params["W"], self.params["b"]
            xp, place = array_namespace(W), device_of(W)
            dtype = numpy_dtype(W.dtype)
            new_W, new_b = weights_and_bias(tuple(W.shape), init, bias_init, random_state, dtype)
            W[...], b[...] = move(new_W, xp, place), move(new_b, xp, place)

    def to(self, xp, device=None) -> Layer:
        """Move the layer's arrays into the array namespace ``xp`` on ``device`` (in place):
        ``layer.to(array_api_compat.torch, "cuda")``. Returns the layer. A layer already there is
        left as it is, its gradients and what it keeps for backward included."""
        params = {name: move(value, xp, device) for name, value in self.params.items()}
        buffers = {name: move(getattr(self, name), xp, device) for name in self._buffers}
        if all(params[k] is v for k, v in self.params.items()) and all(
            buffers[k] is getattr(self, k) for k in buffers
        ):
            return self
        self.params = params
        for name, value in buffers.items():
            setattr(self, name, value)
        self.grads = {}
        self.forget()
        return self

    def forget(self) -> None:
        """Drop what the last training forward pass kept for backward."""
        self._saved = {}

    def get_config(self) -> dict:
        """The constructor's arguments that rebuild this layer (what a model file stores), as
        JSON values."""
        return {}

    @classmethod
    def array_shapes(cls, config: dict) -> dict[str, tuple[int, ...]]:
        """The shapes of the arrays (:meth:`state_dict`) of the layer that ``config`` builds,
        computed without building it; a ValueError or TypeError for a config that builds none.
        A model file's arrays are checked against these before anything is allocated."""
        return {}

    @classmethod
    def from_config(cls, config: dict, dtype=np.float32) -> Layer:
        """The layer :meth:`get_config` described; a layer with arrays is built in ``dtype``
        (its constructor takes a ``dtype`` argument)."""
        return cls(**config, dtype=dtype) if cls.array_shapes(config) else cls(**config)

    _buffers: tuple[str, ...] = ()
    """Names of the arrays of the layer's state that are not trained (running statistics)."""

    def state_dict(self) -> dict[str, np.ndarray]:
        """The layer's arrays by name: its parameters, then its buffers (PyTorch's convention)."""
        return {**self.params, **{name: getattr(self, name) for name in self._buffers}}

    def load_state_dict(self, state: dict) -> None:
        """Copy ``state`` (as :meth:`state_dict` returns it) into the layer's arrays, in place."""
        own = self.state_dict()
        if set(state) != set(own):
            raise ValueError(f"{self!r} has the arrays {sorted(own)}; got {sorted(state)}.")
        for name, value in state.items():
            if tuple(np.shape(value)) != tuple(own[name].shape):
                raise ValueError(
                    f"{self!r}: {name} has shape {tuple(own[name].shape)}; got {np.shape(value)}."
                )
            own[name][...] = move(value, array_namespace(own[name]), device_of(own[name]))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._describe()})"

    def _describe(self) -> str:
        return ""


class Dense(Layer):
    """Fully connected layer ``y = x W + b``.

    Parameters
    ----------
    in_features, out_features : int
    init : str or callable
        "glorot_uniform", "glorot_normal", "he_uniform" or "he_normal" (see :mod:`ml.nn.init`),
        or a function ``init(shape, rng)`` returning the initial weights.
    bias_init : "zeros" or callable
        Zeros, or a function ``bias_init(shape, rng)`` of the weights' shape returning the biases,
        such as :func:`ml.nn.init.glorot_uniform_bias`.
    random_state : None, int or Generator
    dtype : dtype of the parameters

    Shapes: ``x`` (n, in_features), ``W`` (in_features, out_features), ``b`` (out_features,).
    Backward: ``dW = x^T dy``, ``db = sum_i dy_i``, ``dx = dy W^T``.

    Raises
    ------
    ValueError
        If ``in_features`` or ``out_features`` is not a positive int, or the weights would not
        fit in memory.

    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> layer = nn.Dense(3, 2, random_state=0)
    >>> y = layer.forward(np.ones((4, 3), dtype=np.float32), training=True)
    >>> layer.backward(np.ones_like(y)).shape, layer.grads["W"].shape
    ((4, 3), (3, 2))
    """

    fresh_output = True  # the product's own array
    keeps_output = False  # training keeps x
    fresh_grad = True  # dout W^T, the product's own array

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        init="glorot_uniform",
        bias_init="zeros",
        random_state=None,
        dtype=np.float32,
    ):
        super().__init__()
        check_number("in_features", in_features, integer=True, low=1, high=MAX_FEATURES)
        check_number("out_features", out_features, integer=True, low=1, high=MAX_FEATURES)
        itemsize = np.dtype(dtype).itemsize
        check_memory(
            f"Dense({in_features}, {out_features})",
            in_features * out_features * itemsize,
            "its weights",
        )
        W, b = weights_and_bias((in_features, out_features), init, bias_init, random_state, dtype)
        self.params = {"W": W, "b": b}
        self.in_features, self.out_features = in_features, out_features

    def forward(self, x, training: bool = False):
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"{self!r} needs input of shape (batch, {self.in_features}); got {tuple(x.shape)}."
            )
        self._save_for_backward(training, x=x)
        y = x @ self.params["W"]
        return add_to_rows(y, self.params["b"])  # y = x W + b, the sum made in place

    def backward(self, dout):
        self.backward_params(dout)
        return dout @ self.params["W"].T

    def backward_params(self, dout) -> None:
        x = self._saved_for_backward("x")
        self._keep_grad("W", matmul(x.T, dout, out=self._grad_out("W")))
        self._keep_grad("b", sum_rows(dout))

    def get_config(self) -> dict:
        return {"in_features": self.in_features, "out_features": self.out_features}

    @classmethod
    def array_shapes(cls, config):
        n_in, n_out = config_int(config, "in_features"), config_int(config, "out_features")
        return {"W": (n_in, n_out), "b": (n_out,)}

    def _describe(self) -> str:
        return f"{self.in_features}, {self.out_features}"


class Dropout(Layer):
    """Inverted dropout: in training ``y = x * m / (1 - p)`` with ``m_i ~ Bernoulli(1 - p)``, so
    that ``E[y] = x``; at inference ``y = x``. Backward: ``dx = dy * m / (1 - p)``.

    Works on input of any shape. The mask comes from ``rng``, seeded by ``random_state``.

    Parameters
    ----------
    p : float, default=0.5
        Probability of dropping each value in training, in [0, 1).
    random_state : None, int or Generator
        Seeds the masks.

    Raises
    ------
    ValueError
        If ``p`` is outside [0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> drop = nn.Dropout(0.5, random_state=0)
    >>> x = np.ones((1, 6), dtype=np.float32)
    >>> sorted(set(drop.forward(x, training=True).ravel().tolist())) in ([0.0, 2.0], [2.0], [0.0])
    True
    >>> drop.forward(x).tolist()  # inference: the identity
    [[1.0, 1.0, 1.0, 1.0, 1.0, 1.0]]
    """

    def __init__(self, p: float = 0.5, *, random_state=None):
        super().__init__()
        self.p = check_number("p", p, low=0, high=1, high_inclusive=False)
        self.rng = check_random_state(random_state)

    def forward(self, x, training: bool = False):
        if not training or self.p == 0:
            self._save_for_backward(training, scale=None)
            return x
        xp = array_namespace(x)
        keep = random_uniform(self.rng, x.shape, like=x) >= self.p
        scale = xp.astype(keep, x.dtype) / (1 - self.p)
        self._save_for_backward(training, scale=scale)
        return x * scale

    def backward(self, dout):
        scale = self._saved_for_backward("scale")
        return dout if scale is None else dout * scale

    def get_config(self) -> dict:
        return {"p": self.p}

    def _describe(self) -> str:
        return f"p={self.p}"


class Flatten(Layer):
    """``(n, d1, d2, ...) -> (n, d1 * d2 * ...)``; backward reshapes the gradient back, into the
    input's memory layout (a NumPy input behind an NCHW view, such as a convolution's
    batch-last output, gets its gradient laid out the same way: the layers before then work
    on matching strides, at a fifth of the time of mixed ones for ReLU's backward).

    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> nn.Flatten().forward(np.zeros((2, 3, 4, 4))).shape
    (2, 48)
    """

    def forward(self, x, training: bool = False):
        self._save_for_backward(training, x=x)  # no copy: for its shape and memory layout
        return array_namespace(x).reshape(x, (x.shape[0], -1))

    def backward(self, dout):
        x = self._saved_for_backward("x")
        dx = array_namespace(dout).reshape(dout, tuple(x.shape))
        if type(dx) is np.ndarray and not x.flags.c_contiguous:
            laid_out = np.empty_like(x, dtype=dx.dtype)  # x's memory order (K)
            laid_out[...] = dx
            return laid_out
        return dx


def config_int(config: dict, key: str) -> int:
    """``config[key]`` as a positive int, or a ValueError naming it (for :meth:`array_shapes`)."""
    value = config.get(key)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{key} must be a positive int; got {value!r}.")
    return int(value)


_MOVED_TO_ACTIVATIONS = (
    "Activation",
    "Identity",
    "LeakyReLU",
    "ReLU",
    "Sigmoid",
    "Softplus",
    "Tanh",
)


def __getattr__(name: str):
    """The activation layers by the path they had before they moved to
    :mod:`ml.nn.activations` (``ml.nn.layers.ReLU``), which pickles made then still name: read
    from the registry, which they enter by being defined (no import back of that module)."""
    if name in _MOVED_TO_ACTIVATIONS:
        return LAYERS[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
