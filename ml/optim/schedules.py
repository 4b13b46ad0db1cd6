"""Learning-rate schedules: the learning rate of each epoch.

``constant``, ``invscaling`` and ``adaptive`` have scikit-learn's meanings (``MLPClassifier``'s
``learning_rate``); ``step`` and ``cosine`` are PyTorch's ``StepLR`` and ``CosineAnnealingLR``.
A schedule is told when an epoch ends and when the loss stopped improving; it answers with the
next learning rate, or whether training should go on. Its state is a few numbers:
``state_dict()`` and ``load_state_dict()``, as PyTorch's schedulers.
"""

from __future__ import annotations

import math

from ml._validation import check_number, check_option

__all__ = [
    "SCHEDULES",
    "Adaptive",
    "Constant",
    "Cosine",
    "InvScaling",
    "Schedule",
    "StepDecay",
    "make_schedule",
]


class Schedule:
    """``learning_rate = learning_rate_init`` always."""

    def __init__(self, learning_rate_init: float):
        check_number("learning_rate_init", learning_rate_init, low=0, low_inclusive=False)
        self.learning_rate_init = learning_rate_init
        self.learning_rate = learning_rate_init

    def epoch_end(self, epoch: int, samples_seen: int) -> float:
        """The learning rate after epoch ``epoch`` (counted from 1), ``samples_seen`` so far."""
        return self.learning_rate

    def plateau(self) -> bool:
        """The loss stopped improving: return True to go on training (with a new rate)."""
        return False

    def state_dict(self) -> dict:
        """The schedule's numbers: its options and the current ``learning_rate``."""
        return dict(vars(self))

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what :meth:`state_dict` returned; every value is checked."""
        if not isinstance(state_dict, dict) or set(state_dict) != set(vars(self)):
            raise ValueError(f"state_dict must be a dict with the keys {sorted(vars(self))}.")
        for name, value in state_dict.items():
            integer = isinstance(getattr(self, name), int)
            check_number(name, value, integer=integer, low=0, high=math.inf, high_inclusive=False)
        vars(self).update(state_dict)


class Constant(Schedule):
    """scikit-learn's "constant"."""


class InvScaling(Schedule):
    """scikit-learn's "invscaling": ``lr = learning_rate_init / (samples_seen + 1)^power_t``."""

    def __init__(self, learning_rate_init: float, power_t: float = 0.5):
        super().__init__(learning_rate_init)
        self.power_t = check_number("power_t", power_t, low=0)

    def epoch_end(self, epoch, samples_seen):
        self.learning_rate = self.learning_rate_init / (samples_seen + 1) ** self.power_t
        return self.learning_rate


class Adaptive(Schedule):
    """scikit-learn's "adaptive": keep the rate while the loss improves; on each plateau divide it
    by 5, and stop once it falls below 1e-6."""

    def plateau(self) -> bool:
        if self.learning_rate <= 1e-6:
            return False
        self.learning_rate /= 5
        return True


class StepDecay(Schedule):
    """``lr = learning_rate_init * gamma^(epoch // step_size)`` (PyTorch's ``StepLR``)."""

    def __init__(self, learning_rate_init: float, step_size: int = 30, gamma: float = 0.1):
        super().__init__(learning_rate_init)
        self.step_size = check_number("step_size", step_size, integer=True, low=1)
        self.gamma = check_number("gamma", gamma, low=0, low_inclusive=False)

    def epoch_end(self, epoch, samples_seen):
        self.learning_rate = self.learning_rate_init * self.gamma ** (epoch // self.step_size)
        return self.learning_rate


class Cosine(Schedule):
    """``lr = eta_min + (learning_rate_init - eta_min) (1 + cos(pi epoch / T_max)) / 2``: from the
    initial rate down to ``eta_min`` over ``T_max`` epochs, and back up after that, as PyTorch's
    ``CosineAnnealingLR`` does."""

    def __init__(self, learning_rate_init: float, T_max: int = 200, eta_min: float = 0.0):
        super().__init__(learning_rate_init)
        self.T_max = check_number("T_max", T_max, integer=True, low=1)
        self.eta_min = check_number("eta_min", eta_min, low=0)

    def epoch_end(self, epoch, samples_seen):
        span = self.learning_rate_init - self.eta_min
        self.learning_rate = self.eta_min + span * (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return self.learning_rate


SCHEDULES = {
    "constant": Constant,
    "invscaling": InvScaling,
    "adaptive": Adaptive,
    "step": StepDecay,
    "cosine": Cosine,
}


def make_schedule(name: str, learning_rate_init: float, **options) -> Schedule:
    """The schedule ``name`` ("constant", "invscaling", "adaptive", "step", "cosine")."""
    check_option("learning_rate", name, tuple(SCHEDULES))
    return SCHEDULES[name](learning_rate_init, **options)
