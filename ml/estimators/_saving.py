"""What a network estimator restored from a model file must satisfy before it is used."""

from __future__ import annotations

import numpy as np

from ml._validation import check_float_array, check_number, check_option

_MAX_LOADED_INPUT = 2**22  # values of one sample that a model file may declare (4096 x 1024)


def check_network_state(model, output_activations, input_shape) -> None:
    """What a restored network estimator must satisfy before it is used (``ml.load`` asks):
    one float dtype, finite weights, an input and an output that fit the network (a dry run on
    one blank sample of ``input_shape``, bounded in size), and an optimizer state shaped like
    the parameters."""
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
    blank = np.zeros((1, *input_shape), params[0].dtype)
    if model.network_.predict(blank).shape != (1, model.n_outputs_):
        raise ValueError(f"the network does not output n_outputs_={model.n_outputs_} values.")
    optimizer = model.trainer_.optimizer
    state = optimizer.state if optimizer is not None else []
    if state and len(state) != len(params):
        raise ValueError(f"the optimizer holds state for {len(state)} of {len(params)} arrays.")
    for i, (arrays, param) in enumerate(zip(state, params, strict=False)):
        for name, value in arrays.items():
            check_float_array(f"optimizer state {i} {name}", value, param.shape)
            if value.dtype != param.dtype:
                raise ValueError(f"optimizer state {i} {name} is {value.dtype}, not {param.dtype}.")
