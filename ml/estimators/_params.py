"""One table of parameter checks for every estimator: each parameter name, its rule.

An estimator's ``fit`` calls :func:`check_params`, which looks up every constructor parameter here
(an estimator whose parameter means something else under the same name, as SoftmaxClassifier's
numeric ``learning_rate``, overrides that one rule in ``_parameter_rules``). Every error names the
parameter and what was wrong; bounds and options are scikit-learn's.
"""

from __future__ import annotations

import functools
import numbers

import numpy as np
from sklearn.utils._param_validation import InvalidParameterError

from ml._validation import check_boolean, check_number, check_option
from ml.functional import ACTIVATIONS
from ml.optim import SCHEDULES

ACTIVATION_NAMES = (*ACTIVATIONS, "logistic", "linear")


def number(*, words=(), finite=True, **bounds):
    """A real number (an int with ``integer=True``) within ``bounds``, finite unless
    ``finite=False``, or one of ``words``."""

    def rule(name, value):
        if not any(type(value) is type(word) and value == word for word in words):
            check_number(name, value, **bounds)
            if finite and not np.isfinite(value):
                raise ValueError(f"{name} must be a finite number; got {value!r}.")

    return rule


def option(*options):
    """One of the strings ``options``."""
    return lambda name, value: check_option(name, value, options)


def verbose(name, value):
    """True, False or a non-negative int (scikit-learn's verbosity levels)."""
    if not isinstance(value, bool | np.bool_):
        check_number(name, value, integer=True, low=0)


def per_layer(check):
    """One value for every hidden layer, or a list or tuple with one per layer."""

    def rule(name, value):
        values = list(value) if isinstance(value, list | tuple) else [value]
        for i, v in enumerate(values):
            check(name if len(values) == 1 else f"{name}[{i}]", v)

    return rule


def layer_sizes(name, value):
    """An int or a sequence of ints, each at least 1 (``()`` for no hidden layer)."""
    values = [value] if isinstance(value, numbers.Integral) else value
    if isinstance(values, str) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be an int or a sequence of ints; got {value!r}.")
    for i, size in enumerate(values):  # a million units is far beyond any useful width
        check_number(f"{name}[{i}]", size, integer=True, low=1, high=2**20)


def dtype(name, value):
    """None (follow X, as scikit-learn does), "float32" or "float64" (or those NumPy types)."""
    if value is None:
        return
    try:
        value = np.dtype(value).name
    except TypeError:
        pass
    check_option(name, value, ("float32", "float64"))


def device(name, value):
    """None, a string ("cpu", "cuda", "cuda:1", "mps") or a device object (``torch.device``);
    whether it is there is checked when fitting."""
    if value is not None and not isinstance(value, str) and not hasattr(value, "type"):
        raise TypeError(f"{name} must be None, a string or a torch.device; got {value!r}.")


def random_state(name, value):
    """None, a non-negative int, a NumPy Generator or RandomState."""
    if value is not None and not isinstance(value, np.random.Generator | np.random.RandomState):
        check_number(name, value, integer=True, low=0)


def class_weight(name, value):
    """None, "balanced" or a dict from class label to a non-negative weight."""
    if isinstance(value, dict):
        for label, weight in value.items():
            check_number(f"{name}[{label!r}]", weight, low=0)
    elif value is not None:
        check_option(name, value, ("balanced",))


def callbacks(name, value):
    """None or a list of callables or ``ml.train.Callback`` objects."""
    if value is None:
        return
    if not isinstance(value, list | tuple):
        raise TypeError(f"{name} must be a list of callbacks; got {type(value).__name__}.")
    for i, callback in enumerate(value):
        if not (callable(callback) or hasattr(callback, "on_epoch_end")):
            raise TypeError(f"{name}[{i}] must be a Callback or a function; got {callback!r}.")


RULES = {
    "hidden_layer_sizes": layer_sizes,
    "activation": per_layer(option(*ACTIVATION_NAMES)),
    "solver": option("adam", "sgd", "lbfgs"),
    "alpha": number(low=0),
    "batch_size": number(integer=True, low=1, words=("auto",)),
    "learning_rate": option(*SCHEDULES),
    "learning_rate_init": number(low=0, low_inclusive=False),
    "power_t": number(low=0),
    "max_iter": number(integer=True, low=1),
    "shuffle": check_boolean,
    "random_state": random_state,
    "tol": number(low=0, finite=False),  # inf: stop after n_iter_no_change epochs
    "verbose": verbose,
    "warm_start": check_boolean,
    "momentum": number(low=0, high=1),
    "nesterovs_momentum": check_boolean,
    "early_stopping": check_boolean,
    "validation_fraction": number(low=0, high=1, high_inclusive=False),
    "beta_1": number(low=0, high=1, high_inclusive=False),
    "beta_2": number(low=0, high=1, high_inclusive=False),
    "epsilon": number(low=0, low_inclusive=False),
    "n_iter_no_change": number(integer=True, low=1, words=(np.inf,)),
    "max_fun": number(integer=True, low=1),
    "dropout": per_layer(number(low=0, high=1, high_inclusive=False)),
    "batch_norm": check_boolean,
    "callbacks": callbacks,
    "dtype": dtype,
    "device": device,
    "class_weight": class_weight,
    "loss": option("squared_error", "poisson"),
}


def check_params(estimator) -> None:
    """Check every constructor parameter of ``estimator`` against its rule; a parameter that
    breaks it raises scikit-learn's ``InvalidParameterError`` (a ValueError and a TypeError).
    A parameter without a rule is a subclass's own, left to it, as scikit-learn leaves those
    without a constraint (a test holds that every parameter of ours has one)."""
    rules = {**RULES, **getattr(estimator, "_parameter_rules", {})}
    for name in _parameter_names(type(estimator)):
        if name not in rules:
            continue
        value = getattr(estimator, name)  # as get_params(deep=False), without its signature read
        try:
            rules[name](name, value)
        except (ValueError, TypeError) as error:
            raise InvalidParameterError(str(error)) from error


@functools.cache
def _parameter_names(cls) -> tuple[str, ...]:
    """scikit-learn's names of the constructor parameters of ``cls``, read once from its
    signature (``get_params`` reads it on every call: 125 of ``check_params``'s 225 us)."""
    return tuple(cls._get_param_names())
