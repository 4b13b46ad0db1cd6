"""The base of the update rules: what every optimizer keeps and does around its own rule.

An optimizer keeps its own arrays (velocities, moments), one dict per parameter by position;
``step`` is handed the parameters each time. Its whole state is ``state_dict()``, plain numbers
and arrays, and ``load_state_dict`` restores it (PyTorch's convention), so an optimizer copies,
pickles and saves without surprises: the flat buffers it may share with a network (below) are
left out of copies and pickles, and made again by the next ``flatten``.

Each rule is written once, as ``_update(w, g, state)``, in place. Where the optimizer keeps all of
a network's parameters and gradients in one flat buffer each (``optimizer.flatten(network)``),
``step`` applies that one update to the whole buffers at once, its moments flat too: a handful of
passes over memory per step instead of a handful per parameter.

Where a weight's gradient stays 0 (a dead ReLU's), its velocity or moments shrink at each step,
and a CPU is slow on the subnormal numbers they would become: every few steps (105 with Adam's
default rates) the kept NumPy arrays' values below ``2**16`` times the smallest normal number
are set to 0, which moves no weight by more than 1e-27 with the default rates.
"""

from __future__ import annotations

import abc
import functools
import math
import operator

import numpy as np

from ml._validation import check_number
from ml.backend import flatten_into, move
from ml.nn.layers import GradientViews

__all__ = ["Optimizer"]


class Optimizer(abc.ABC):
    """Base class: ``learning_rate`` may be changed between steps (by a schedule).

    ``t`` counts the steps taken; ``state[i]`` holds the arrays kept for the ``i``-th parameter.

    Parameters
    ----------
    learning_rate : float
        The step's scale, positive.

    Raises
    ------
    ValueError
        If ``learning_rate`` is not a positive number.

    Examples
    --------
    A rule of your own is one method, ``_update(w, g, state)``, which updates ``w`` in place:

    >>> import numpy as np
    >>> from ml import optim
    >>> class SignSGD(optim.Optimizer):
    ...     def _update(self, w, g, state):
    ...         w -= self.learning_rate * np.sign(g)
    >>> w = np.array([1.0, -1.0])
    >>> SignSGD(0.5).step([w], [np.array([2.0, -3.0])])
    >>> w
    array([ 0.5, -0.5])
    """

    _hyperparameters: tuple[str, ...] = ()
    """The constructor's arguments besides ``learning_rate``."""
    _state_names: tuple[str, ...] = ()
    """The arrays kept per parameter."""
    _decays: tuple[str, ...] = ()
    """The hyper-parameters by which a kept array shrinks at each step its gradient is 0."""

    def __init__(self, learning_rate: float):
        self.learning_rate = check_number(
            "learning_rate", learning_rate, low=0, low_inclusive=False
        )
        self.t = 0
        self.state: list[dict[str, np.ndarray]] = []
        self._flat: _FlatBuffers | None = None

    def flatten(self, network) -> None:
        """Keep every parameter of ``network`` in one flat buffer of this optimizer's, and every
        gradient in another (NumPy arrays of one dtype): each layer's arrays become views of
        their part, with their values, and its gradients are written into theirs
        (:class:`ml.nn.layers.GradientViews`), so that :meth:`step` updates the whole network in
        one pass over memory instead of one per array. Other libraries, or parameters of
        different dtypes, are left as they are. A network already flattened by this optimizer
        is left as it is."""
        layers = [layer for layer in network.all_layers() if layer.params]
        params = [p for layer in layers for p in layer.params.values()]
        grads = [layer.grads.get(name) for layer in layers for name in layer.params]
        if self._flat is not None and self._flat.holds(params, grads):
            return
        self._flat = None
        if not params or any(
            type(p) is not np.ndarray or p.dtype != params[0].dtype for p in params
        ):
            return
        # the arrays of one name lie together, layer after layer (every weight matrix, then
        # every bias): a sum over all the weights, as the L2 penalty's, is then one pass
        names = [name for layer in layers for name in layer.params]
        rank = {name: i for i, name in enumerate(dict.fromkeys(names))}  # by first appearance
        order = sorted(range(len(names)), key=lambda i: rank[names[i]])
        param_views = iter(flatten_into(params, order))
        grad_views = iter(flatten_into([np.zeros_like(p) for p in params], order))
        for layer in layers:
            layer.params = {name: next(param_views) for name in layer.params}
            layer.grads = GradientViews({name: next(grad_views) for name in layer.params})
        params = [p for layer in layers for p in layer.params.values()]
        grads = [layer.grads[name] for layer in layers for name in layer.params]
        self._flat = _FlatBuffers(params, grads, order)

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """Update every array of ``params`` in place from the matching array of ``grads``: in
        one pass where they are the views of this optimizer's flat buffers (:meth:`flatten`),
        else array by array."""
        if not self.state:
            self.state = [{} for _ in params]
        if len(self.state) != len(params):
            raise ValueError(
                f"this optimizer's state is for {len(self.state)} parameters; got {len(params)}."
            )
        self.t += 1
        if self._flat is not None and self._flat.holds(params, grads):
            self._update(self._flat.params, self._flat.grads, self._flat_state(params))
        else:
            self._check_shapes(params)
            for param, grad, state in zip(params, grads, self.state, strict=True):
                self._update(param, grad, state)
        period = self._flush_period()
        if period and self.t % period == 0:
            _flush_subnormal([array for state in self.state for array in state.values()])

    def _flush_period(self) -> int:
        """How many steps the fastest of the decays takes to shrink a value by ``2**16`` (at
        least 1), or 0 where nothing decays: kept arrays are flushed (:func:`_flush_subnormal`)
        this often, so that no value shrinks from above the flush's bound to a subnormal."""
        return _flush_period(tuple(getattr(self, name) for name in self._decays))

    def _check_shapes(self, params) -> None:
        for param, state in zip(params, self.state, strict=True):
            for name, value in state.items():
                if tuple(value.shape) != tuple(param.shape):
                    raise ValueError(
                        f"the optimizer's {name} has shape {tuple(value.shape)}, its parameter "
                        f"{tuple(param.shape)}."
                    )

    def _flat_state(self, params) -> dict:
        """The per-parameter arrays as flat buffers (made so on first use): each parameter's
        entry stays a view of its part, so ``state_dict`` is unchanged."""
        names = self._state_names if self._keeps_state() else ()
        moments = self._flat.moments
        if all(name in moments and self.state[0].get(name) is moments[name][1] for name in names):
            return {name: moments[name][0] for name in names}  # the same arrays as last step
        self._check_shapes(params)
        for name in names:
            arrays = [
                np.zeros_like(p) if state.get(name) is None else state[name]
                for state, p in zip(self.state, params, strict=True)
            ]
            views = flatten_into(arrays, self._flat.order)  # laid out as the parameters
            for state, view in zip(self.state, views, strict=True):
                state[name] = view
            moments[name] = (views[0].base, views[0])
        return {name: moments[name][0] for name in names}

    def to(self, xp, device=None) -> Optimizer:
        """Move the per-parameter arrays into the namespace ``xp`` on ``device``, in place."""
        self.state = [{k: move(v, xp, device) for k, v in entry.items()} for entry in self.state]
        return self

    def _keeps_state(self) -> bool:
        """Whether this rule keeps arrays per parameter (plain SGD keeps none)."""
        return True

    @abc.abstractmethod
    def _update(self, w, g, state) -> None:
        """Update the parameter ``w`` in place from its gradient ``g`` and its own ``state``."""

    def __getstate__(self) -> dict:
        # the flat buffers are views shared with a network: a copy or pickle of the optimizer
        # alone holds its state as separate arrays, and flattens again when told
        return {**vars(self), "_flat": None}

    def state_dict(self) -> dict:
        """Hyper-parameters, step count and per-parameter arrays, as plain numbers and arrays."""
        return {
            "learning_rate": self.learning_rate,
            **{name: getattr(self, name) for name in self._hyperparameters},
            "t": self.t,
            "state": [dict(state) for state in self.state],
        }

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what :meth:`state_dict` returned; the arrays are copied and checked."""
        expected = {"learning_rate", *self._hyperparameters, "t", "state"}
        if not isinstance(state_dict, dict) or set(state_dict) != expected:
            raise ValueError(f"state_dict must be a dict with the keys {sorted(expected)}.")
        options = {name: state_dict[name] for name in self._hyperparameters}
        checked = type(self)(1.0, **options)  # the constructor's checks of the options
        # a schedule may have annealed the current rate down to 0 (cosine's eta_min)
        rate = check_number("learning_rate", state_dict["learning_rate"], low=0)
        check_number("t", state_dict["t"], integer=True, low=0)
        per_parameter = state_dict["state"]
        if not isinstance(per_parameter, list):
            raise ValueError("state_dict['state'] must be a list with one dict per parameter.")
        state = [_checked_arrays(entry, self._state_names) for entry in per_parameter]
        vars(self).update({**vars(checked), "learning_rate": rate, "_flat": self._flat})
        self.t, self.state = int(state_dict["t"]), state


_FLUSH_BITS = 16


@functools.cache  # asked at every step, of rates that seldom change
def _flush_period(rates: tuple[float, ...]) -> int:
    """:meth:`Optimizer._flush_period` of these decay rates."""
    decaying = [rate for rate in rates if 0 < rate < 1]
    return max(1, int(_FLUSH_BITS / -math.log2(min(decaying)))) if decaying else 0


def _flush_subnormal(arrays) -> None:
    """Set to 0 the values of float32 or float64 NumPy ``arrays`` below ``2**16`` times their
    dtype's smallest normal number (8e-34 in float32).

    A weight whose gradient stays 0 (a dead ReLU's) has moments that shrink by ``beta`` at
    each step, and after some 700 steps of Adam's ``m`` they are subnormal numbers, on which
    each pass of the CPU takes a slow path: in W2's fit Adam's step went from 0.9 ms to 3.5 ms
    after step 700. With the default rates, a value below the bound moves its weight by less
    than 1e-27 (``m``), or changes the step's denominator by less than float32's precision
    (``v``, beside ``epsilon``), so a fit's weights stay those of the formula; a test holds them
    equal. (PyTorch's ``torch.set_flush_denormal`` and GPUs flush at the subnormals.)"""
    for array in arrays:
        if type(array) is np.ndarray and array.dtype in (np.float32, np.float64):
            bound = np.finfo(array.dtype).smallest_normal * 2.0**_FLUSH_BITS
            array[np.abs(array) < bound] = 0


class _FlatBuffers:
    """The flat buffers of :meth:`Optimizer.flatten`: ``params`` and ``grads`` (1-D), the views
    the network's layers hold of them, the ``order`` in which those lie in the buffers (indices
    of the views), and the moments' buffers, each with its first view."""

    def __init__(self, param_views, grad_views, order):
        self.param_views, self.grad_views, self.order = param_views, grad_views, order
        self.params, self.grads = param_views[0].base, grad_views[0].base
        self.moments: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def holds(self, params, grads) -> bool:
        """Whether ``params`` and ``grads`` are exactly these views, in order."""
        return (
            len(params) == len(self.param_views)
            and len(grads) == len(self.grad_views)
            and all(map(operator.is_, params, self.param_views))  # asked at every step
            and all(map(operator.is_, grads, self.grad_views))
        )


def _checked_arrays(entry, names) -> dict[str, np.ndarray]:
    if not isinstance(entry, dict) or not set(entry) <= set(names):
        raise ValueError(f"each parameter's state must be a dict of arrays named {list(names)}.")
    arrays = {}
    for name, value in entry.items():
        array = np.array(value, copy=True)
        if array.dtype.kind != "f" or not np.isfinite(array).all():
            raise ValueError(f"the optimizer's {name} must be an array of finite floats.")
        arrays[name] = array
    return arrays
