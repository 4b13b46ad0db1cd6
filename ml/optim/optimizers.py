"""Update rules: how a gradient becomes a step. Each ``step(params, grads)`` updates the parameter
arrays in place, so a network's parameters stay the same objects.

Plain SGD: ``w <- w - lr * g``. Momentum keeps a velocity ``v <- mu v - lr g`` and steps by it;
Nesterov's variant steps by ``mu v - lr g``, looking ahead along the velocity. RMSProp divides by a
running root-mean-square of the gradient; Adam does that and also averages the gradient itself.
"""

from __future__ import annotations

import abc

import numpy as np

from ml._validation import check_number

__all__ = ["SGD", "Adam", "Optimizer", "RMSProp"]


class Optimizer(abc.ABC):
    """Base class: ``learning_rate`` may be changed between steps (by a schedule)."""

    def __init__(self, learning_rate: float):
        self.learning_rate = check_number(
            "learning_rate", learning_rate, low=0, low_inclusive=False
        )
        self._state: list[dict[str, np.ndarray]] | None = None

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """Update every array of ``params`` in place from the matching array of ``grads``."""
        if self._state is None:
            self._state = [{} for _ in params]
        for param, grad, state in zip(params, grads, self._state, strict=True):
            param -= self._delta(grad, state)

    @abc.abstractmethod
    def _delta(self, grad, state):
        """The amount to subtract from the parameter, given its gradient and its own state."""


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum, scikit-learn's formulation.

    ``v <- momentum * v - lr * g``; the step is ``v``, or ``momentum * v - lr * g`` with
    ``nesterov=True``. With ``momentum=0`` this is ``w <- w - lr * g``.
    """

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False):
        super().__init__(learning_rate)
        self.momentum = check_number("momentum", momentum, low=0, high=1)
        self.nesterov = nesterov

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
        t = state["t"] = state.get("t", 0) + 1
        m = state["m"] = self.beta_1 * state.get("m", 0) + (1 - self.beta_1) * grad
        v = state["v"] = self.beta_2 * state.get("v", 0) + (1 - self.beta_2) * grad * grad
        m_hat = m / (1 - self.beta_1**t)
        v_hat = v / (1 - self.beta_2**t)
        return self.learning_rate * m_hat / (np.sqrt(v_hat) + self.epsilon)


class RMSProp(Optimizer):
    """RMSProp (Hinton 2012): ``v <- rho v + (1 - rho) g^2``; step ``lr * g / (sqrt(v) + eps)``."""

    def __init__(self, learning_rate: float = 0.01, rho: float = 0.99, epsilon: float = 1e-8):
        super().__init__(learning_rate)
        self.rho = check_number("rho", rho, low=0, high=1, high_inclusive=False)
        self.epsilon = check_number("epsilon", epsilon, low=0, low_inclusive=False)

    def _delta(self, grad, state):
        v = state["v"] = self.rho * state.get("v", 0) + (1 - self.rho) * grad * grad
        return self.learning_rate * grad / (np.sqrt(v) + self.epsilon)
