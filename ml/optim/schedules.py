"""Learning-rate schedules: the learning rate of each epoch, written into the optimizer.

``constant``, ``invscaling`` and ``adaptive`` have scikit-learn's meanings (``MLPClassifier``'s
``learning_rate``); ``step`` and ``cosine`` are PyTorch's ``StepLR`` and ``CosineAnnealingLR``.
As in PyTorch (``lr_scheduler(optimizer)``), a schedule is built on an optimizer, takes its rate
as the initial one and from then on sets ``optimizer.learning_rate``: the current rate is held
once, by the optimizer. A schedule is told when an epoch ends and when the loss stopped
improving. Its own state is a few numbers: ``state_dict()`` and ``load_state_dict()``.
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


_OPTIMIZER = """optimizer : ml.optim.Optimizer
        The optimizer whose ``learning_rate`` the schedule sets after each epoch; its rate when
        the schedule is built is ``learning_rate_init``."""
_NOT_AN_OPTIMIZER = """TypeError
        If ``optimizer`` is not an :class:`ml.optim.Optimizer`."""  # every schedule's


class Schedule:
    __doc__ = f"""``learning_rate = learning_rate_init`` always: the optimizer's rate when the
    schedule is built on it. A schedule of your own overrides :meth:`epoch_end`.

    Parameters
    ----------
    {_OPTIMIZER}

    Raises
    ------
    {_NOT_AN_OPTIMIZER}

    Examples
    --------
    >>> from ml import optim
    >>> class Halving(optim.Schedule):
    ...     def epoch_end(self, epoch, samples_seen):
    ...         self.optimizer.learning_rate = self.learning_rate_init / 2**epoch
    >>> adam = optim.Adam(learning_rate=0.1)
    >>> Halving(adam).epoch_end(2, samples_seen=200)
    >>> adam.learning_rate
    0.025
    """

    def __init__(self, optimizer):
        if not hasattr(optimizer, "learning_rate"):
            raise TypeError(
                f"optimizer must be an ml.optim optimizer; got {type(optimizer).__name__}."
            )
        self.optimizer = optimizer
        self.learning_rate_init = optimizer.learning_rate

    def _set(self, learning_rate: float) -> None:
        self.optimizer.learning_rate = learning_rate

    def epoch_end(self, epoch: int, samples_seen: int) -> None:
        """Set the optimizer's rate for the epoch after ``epoch`` (counted from 1), with
        ``samples_seen`` samples seen so far."""

    def plateau(self) -> bool:
        """The loss stopped improving: return True to go on training (with a new rate)."""
        return False

    def _options(self) -> dict:
        return {k: v for k, v in vars(self).items() if k != "optimizer"}

    def state_dict(self) -> dict:
        """The schedule's own numbers: ``learning_rate_init`` and its options (the current rate
        is the optimizer's)."""
        return self._options()

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what :meth:`state_dict` returned; every value is checked."""
        own = self._options()
        if not isinstance(state_dict, dict) or set(state_dict) != set(own):
            raise ValueError(f"state_dict must be a dict with the keys {sorted(own)}.")
        for name, value in state_dict.items():
            integer = isinstance(own[name], int)
            check_number(name, value, integer=integer, low=0, high=math.inf, high_inclusive=False)
        vars(self).update(state_dict)


class Constant(Schedule):
    __doc__ = f"""scikit-learn's "constant".

    Parameters
    ----------
    {_OPTIMIZER}

    Raises
    ------
    {_NOT_AN_OPTIMIZER}

    Examples
    --------
    >>> from ml import optim
    >>> adam = optim.Adam(learning_rate=0.1)
    >>> schedule = optim.Constant(adam)
    >>> for epoch in range(1, 4):
    ...     schedule.epoch_end(epoch, samples_seen=100 * epoch)
    >>> adam.learning_rate
    0.1
    """


class InvScaling(Schedule):
    __doc__ = f"""scikit-learn's "invscaling":
    ``lr = learning_rate_init / (samples_seen + 1)^power_t``.

    Parameters
    ----------
    {_OPTIMIZER}
    power_t : float, default=0.5
        The exponent, at least 0.

    Raises
    ------
    {_NOT_AN_OPTIMIZER}
    ValueError
        If ``power_t`` is negative.

    Examples
    --------
    >>> from ml import optim
    >>> adam = optim.Adam(learning_rate=0.1)
    >>> schedule = optim.InvScaling(adam, power_t=0.5)
    >>> for epoch in range(1, 4):
    ...     schedule.epoch_end(epoch, samples_seen=100 * epoch)
    >>> round(adam.learning_rate, 6)  # 0.1 / sqrt(301)
    0.005764
    """

    def __init__(self, optimizer, power_t: float = 0.5):
        super().__init__(optimizer)
        self.power_t = check_number("power_t", power_t, low=0)

    def epoch_end(self, epoch, samples_seen):
        self._set(self.learning_rate_init / (samples_seen + 1) ** self.power_t)


class Adaptive(Schedule):
    __doc__ = f"""scikit-learn's "adaptive": keep the rate while the loss improves; on each
    plateau divide it by 5, and stop once it falls below 1e-6.

    Parameters
    ----------
    {_OPTIMIZER}

    Raises
    ------
    {_NOT_AN_OPTIMIZER}

    Examples
    --------
    >>> from ml import optim
    >>> adam = optim.Adam(learning_rate=0.1)
    >>> schedule = optim.Adaptive(adam)
    >>> for epoch in range(1, 4):
    ...     schedule.epoch_end(epoch, samples_seen=100 * epoch)
    >>> schedule.plateau(), adam.learning_rate  # a plateau: the rate / 5
    (True, 0.02)
    """

    def plateau(self) -> bool:
        if self.optimizer.learning_rate <= 1e-6:
            return False
        self._set(self.optimizer.learning_rate / 5)
        return True


class StepDecay(Schedule):
    __doc__ = f"""``lr = learning_rate_init * gamma^(epoch // step_size)`` (PyTorch's ``StepLR``).

    Parameters
    ----------
    {_OPTIMIZER}
    step_size : int, default=30
        Epochs between two decays, positive.
    gamma : float, default=0.1
        The factor of each decay, in (0, 1].

    Raises
    ------
    {_NOT_AN_OPTIMIZER}
    ValueError
        If ``step_size`` or ``gamma`` is out of range.

    Examples
    --------
    >>> from ml import optim
    >>> adam = optim.Adam(learning_rate=0.1)
    >>> schedule = optim.StepDecay(adam, step_size=2, gamma=0.5)
    >>> for epoch in range(1, 4):
    ...     schedule.epoch_end(epoch, samples_seen=100 * epoch)
    >>> adam.learning_rate  # halved after epoch 2
    0.05
    """

    def __init__(self, optimizer, step_size: int = 30, gamma: float = 0.1):
        super().__init__(optimizer)
        self.step_size = check_number("step_size", step_size, integer=True, low=1)
        self.gamma = check_number("gamma", gamma, low=0, low_inclusive=False)

    def epoch_end(self, epoch, samples_seen):
        self._set(self.learning_rate_init * self.gamma ** (epoch // self.step_size))


class Cosine(Schedule):
    __doc__ = f"""From the initial rate down to ``eta_min`` over ``T_max`` epochs, and back up
    after that, as PyTorch's ``CosineAnnealingLR`` does:
    ``lr = eta_min + (learning_rate_init - eta_min) (1 + cos(pi epoch / T_max)) / 2``.

    Parameters
    ----------
    {_OPTIMIZER}
    T_max : int, default=200
        Epochs of the half period, positive.
    eta_min : float, default=0.0
        The lowest rate, at least 0.

    Raises
    ------
    {_NOT_AN_OPTIMIZER}
    ValueError
        If ``T_max`` or ``eta_min`` is out of range.

    Examples
    --------
    >>> from ml import optim
    >>> adam = optim.Adam(learning_rate=0.1)
    >>> schedule = optim.Cosine(adam, T_max=3)
    >>> for epoch in range(1, 4):
    ...     schedule.epoch_end(epoch, samples_seen=100 * epoch)
    >>> adam.learning_rate  # down to eta_min after T_max epochs
    0.0
    """

    def __init__(self, optimizer, T_max: int = 200, eta_min: float = 0.0):
        super().__init__(optimizer)
        self.T_max = check_number("T_max", T_max, integer=True, low=1)
        self.eta_min = check_number("eta_min", eta_min, low=0)

    def epoch_end(self, epoch, samples_seen):
        span = self.learning_rate_init - self.eta_min
        self._set(self.eta_min + span * (1 + math.cos(math.pi * epoch / self.T_max)) / 2)


SCHEDULES = {
    "constant": Constant,
    "invscaling": InvScaling,
    "adaptive": Adaptive,
    "step": StepDecay,
    "cosine": Cosine,
}


def make_schedule(name: str, optimizer, **options) -> Schedule:
    """The schedule ``name`` ("constant", "invscaling", "adaptive", "step", "cosine") of
    ``optimizer``'s rate.

    Parameters
    ----------
    name : str
        "constant", "invscaling", "adaptive", "step" or "cosine".
    optimizer : ml.optim.Optimizer
        The optimizer whose rate the schedule sets.
    **options
        The schedule's own parameters (``power_t``, ``step_size``, ``gamma``, ``T_max``,
        ``eta_min``).

    Returns
    -------
    schedule : Schedule

    Raises
    ------
    ValueError
        For an unknown name or a bad option.

    Examples
    --------
    >>> from ml import optim
    >>> optim.make_schedule("cosine", optim.Adam(), T_max=10)  # doctest: +ELLIPSIS
    <ml.optim.schedules.Cosine object at ...>
    """
    check_option("learning_rate", name, tuple(SCHEDULES))
    return SCHEDULES[name](optimizer, **options)
