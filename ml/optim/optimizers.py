"""Update rules: how a gradient becomes a step. Each ``step(params, grads)`` updates the parameter
arrays in place, so a network's parameters stay the same objects.

Plain SGD: ``w <- w - lr * g``. Momentum keeps a velocity ``v <- mu v - lr g`` and steps by it;
Nesterov's variant steps by ``mu v - lr g``, looking ahead along the velocity. RMSProp divides by a
running root-mean-square of the gradient; Adam does that and also averages the gradient itself.

An optimizer keeps its own arrays (velocities, moments), one dict per parameter by position, and
never a reference to a parameter: ``step`` is handed the parameters each time. Its whole state is
``state_dict()``, plain numbers and arrays, and ``load_state_dict`` restores it (PyTorch's
convention), so an optimizer copies, pickles and saves without surprises.
"""

from __future__ import annotations

import abc

import numpy as np

from ml._validation import check_number
from ml.backend import array_namespace, move

__all__ = ["SGD", "Adam", "Optimizer", "RMSProp"]


class Optimizer(abc.ABC):
    """Base class: ``learning_rate`` may be changed between steps (by a schedule).

    ``t`` counts the steps taken; ``state[i]`` holds the arrays kept for the ``i``-th parameter.
    """

    _hyperparameters: tuple[str, ...] = ()
    """The constructor's arguments besides ``learning_rate``."""
    _state_names: tuple[str, ...] = ()
    """The arrays kept per parameter."""

    def __init__(self, learning_rate: float):
        self.learning_rate = check_number(
            "learning_rate", learning_rate, low=0, low_inclusive=False
        )
        self.t = 0
        self.state: list[dict[str, np.ndarray]] = []

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """Update every array of ``params`` in place from the matching array of ``grads``."""
        if not self.state:
            self.state = [{} for _ in params]
        if len(self.state) != len(params):
            raise ValueError(
                f"this optimizer's state is for {len(self.state)} parameters; got {len(params)}."
            )
        self.t += 1
        for param, grad, state in zip(params, grads, self.state, strict=True):
            for name, value in state.items():
                if tuple(value.shape) != tuple(param.shape):
                    raise ValueError(
                        f"the optimizer's {name} has shape {tuple(value.shape)}, its parameter "
                        f"{tuple(param.shape)}."
                    )
            param -= self._delta(grad, state)

    def to(self, xp, device=None) -> Optimizer:
        """Move the per-parameter arrays into the namespace ``xp`` on ``device``, in place."""
        self.state = [{k: move(v, xp, device) for k, v in entry.items()} for entry in self.state]
        return self

    @abc.abstractmethod
    def _delta(self, grad, state):
        """The amount to subtract from the parameter, given its gradient and its own state."""

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
        checked = type(self)(state_dict["learning_rate"], **options)  # the constructor's checks
        check_number("t", state_dict["t"], integer=True, low=0)
        per_parameter = state_dict["state"]
        if not isinstance(per_parameter, list):
            raise ValueError("state_dict['state'] must be a list with one dict per parameter.")
        state = [_checked_arrays(entry, self._state_names) for entry in per_parameter]
        vars(self).update(vars(checked))
        self.t, self.state = int(state_dict["t"]), state


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


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum, scikit-learn's formulation.

    ``v <- momentum * v - lr * g``; the step is ``v``, or ``momentum * v - lr * g`` with
    ``nesterov=True``. With ``momentum=0`` this is ``w <- w - lr * g``.
    """

    _hyperparameters = ("momentum", "nesterov")
    _state_names = ("velocity",)

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False):
        super().__init__(learning_rate)
        self.momentum = check_number("momentum", momentum, low=0, high=1)
        if not isinstance(nesterov, bool | np.bool_):
            raise TypeError(f"nesterov must be True or False; got {nesterov!r}.")
        self.nesterov = bool(nesterov)

    def _delta(self, grad, state):
        if self.momentum == 0:
            return self.learning_rate * grad
        v = state.get("velocity")
        v = (
            self.momentum * v - self.learning_rate * grad
            if v is not None
            else -self.learning_rate * grad
        )
        state["velocity"] = v
        return -(self.momentum * v - self.learning_rate * grad) if self.nesterov else -v


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015): ``m <- b1 m + (1 - b1) g``, ``v <- b2 v + (1 - b2) g^2``, and with
    the bias corrections ``m_hat = m / (1 - b1^t)``, ``v_hat = v / (1 - b2^t)`` the step is
    ``lr * m_hat / (sqrt(v_hat) + epsilon)``."""

    _hyperparameters = ("beta_1", "beta_2", "epsilon")
    _state_names = ("m", "v")

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
    ):
        super().__init__(learning_rate)
        self.beta_1 = check_number("beta_1", beta_1, low=0, high=1, high_inclusive=False)
        self.beta_2 = check_number("beta_2", beta_2, low=0, high=1, high_inclusive=False)
        self.epsilon = check_number("epsilon", epsilon, low=0, low_inclusive=False)

    def _delta(self, grad, state):
        xp = array_namespace(grad)
        if "m" not in state:
            state["m"], state["v"] = xp.zeros_like(grad), xp.zeros_like(grad)
        m, v = state["m"], state["v"]
        m *= self.beta_1  # in place: no new arrays for the moments
        m += (1 - self.beta_1) * grad
        v *= self.beta_2
        v += (1 - self.beta_2) * (grad * grad)
        v_hat = v / (1 - self.beta_2**self.t)
        return (
            (self.learning_rate / (1 - self.beta_1**self.t)) * m / (xp.sqrt(v_hat) + self.epsilon)
        )


class RMSProp(Optimizer):
    """RMSProp (Hinton 2012): ``v <- rho v + (1 - rho) g^2``; step ``lr * g / (sqrt(v) + eps)``."""

    _hyperparameters = ("rho", "epsilon")
    _state_names = ("v",)

    def __init__(self, learning_rate: float = 0.01, rho: float = 0.99, epsilon: float = 1e-8):
        super().__init__(learning_rate)
        self.rho = check_number("rho", rho, low=0, high=1, high_inclusive=False)
        self.epsilon = check_number("epsilon", epsilon, low=0, low_inclusive=False)

    def _delta(self, grad, state):
        xp = array_namespace(grad)
        v = state["v"] = self.rho * state.get("v", 0) + (1 - self.rho) * grad * grad
        return self.learning_rate * grad / (xp.sqrt(v) + self.epsilon)
