"""A network estimator's fitted state in a model file: what is stored, restored and checked.

The network, the history, the random stream, and what the optimizer and the schedule hold beyond
the estimator's parameters (its moments and step count, the current rate): the rest derives.
"""

from __future__ import annotations

import numpy as np

from ml._validation import check_float_array, check_number, check_option
from ml.io.read import decode
from ml.io.write import encode
from ml.train import History


def network_fitted_state(model, arrays) -> dict:
    """The entries a model file stores for ``model``; its arrays go into ``arrays``."""
    state = {
        "network_": encode(model.network_, arrays, "network_"),
        "history_": vars(model.history_),
        "_rng": encode(model._rng, arrays, "_rng"),
    }
    if model._optimizer is not None:
        saved = model._optimizer.state_dict()
        state["_optimizer"] = {
            "learning_rate": saved["learning_rate"],
            "t": saved["t"],
            "state": encode(saved["state"], arrays, "_optimizer"),
        }
        state["_schedule_rate"] = model._schedule.learning_rate
    return state


def restore_network_state(model, state: dict, arrays) -> dict:
    """Set what :func:`network_fitted_state` stored on ``model``; return the other entries."""
    state = dict(state)
    model.network_ = decode(state.pop("network_"), arrays)
    model.history_ = History.from_state(state.pop("history_"))
    model._rng = decode(state.pop("_rng"), arrays)
    model._share_rng()
    optimizer, schedule_rate = state.pop("_optimizer", None), state.pop("_schedule_rate", None)
    model._optimizer = model._schedule = None
    if optimizer is not None:
        model._optimizer, model._schedule = model._make_optimizer(), model._make_schedule()
        saved = {**optimizer, "state": decode(optimizer["state"], arrays)}
        model._optimizer.load_state_dict({**model._optimizer.state_dict(), **saved})
        schedule = {**model._schedule.state_dict(), "learning_rate": schedule_rate}
        model._schedule.load_state_dict(schedule)
    return state


_MAX_LOADED_INPUT = 2**22  # values of one sample that a model file may declare (4096 x 1024)


def check_network_state(model, output_activations) -> None:
    """What a restored network estimator must satisfy before it is used (``ml.load`` asks):
    one float dtype, finite weights, an input and an output that fit the network (a dry run on
    one blank sample, bounded in size), and an optimizer state shaped like the parameters."""
    params = model.network_.parameters()
    if not params:
        raise ValueError("the network has no parameters.")
    for i, param in enumerate(params):
        check_float_array(f"network parameter {i}", param)
    if len({p.dtype for p in params}) != 1:
        raise ValueError("the network's parameters must share one dtype.")
    check_number(
        "n_features_in_", model.n_features_in_, integer=True, low=1, high=_MAX_LOADED_INPUT
    )
    check_number("n_outputs_", model.n_outputs_, integer=True, low=1)
    check_option("out_activation_", model.out_activation_, output_activations)
    blank = np.zeros((1, *model._input_shape()), params[0].dtype)
    if model.network_.predict(blank).shape != (1, model.n_outputs_):
        raise ValueError(f"the network does not output n_outputs_={model.n_outputs_} values.")
    state = model._optimizer.state if model._optimizer is not None else []
    if state and len(state) != len(params):
        raise ValueError(f"the optimizer holds state for {len(state)} of {len(params)} arrays.")
    for i, (arrays, param) in enumerate(zip(state, params, strict=False)):
        for name, value in arrays.items():
            check_float_array(f"optimizer state {i} {name}", value, param.shape)
            if value.dtype != param.dtype:
                raise ValueError(f"optimizer state {i} {name} is {value.dtype}, not {param.dtype}.")
