"""A network and its head as ONNX operators, written through a small emitter so that the same
code builds a standalone model (:func:`ml.onnx.to_onnx`) and a node of skl2onnx's graph.

Every layer is read through its own description: its registered type name, ``get_config()``,
its parameters and buffers (``state_dict()``) and, for convolutions and pools, the padding it
resolved. Nothing else of a layer is read.
"""

from __future__ import annotations

import inspect
import math
from typing import Protocol

import numpy as np
from onnx import TensorProto

from ml.backend import to_numpy
from ml.functional import leaky_relu


class Emitter(Protocol):
    """Where operators go: ``constant(array, hint)`` and ``node(op, inputs, hint, **attributes)``
    each return the name of the value they make (a fresh name from ``hint``, or ``out``)."""

    def constant(self, array: np.ndarray, hint: str) -> str: ...

    def node(
        self, op: str, inputs: list[str], hint: str, *, out: str | None = None, **attrs
    ) -> str: ...


def network_nodes(emit: Emitter, network, x: str, sample_shape: tuple[int, ...], dtype):
    """Emit ``network`` applied to the value ``x`` of ``dtype`` and shape (batch,
    *sample_shape); return the name of its output and the shape of one sample of it."""
    shape = tuple(sample_shape)
    for i, layer in enumerate(_flat_layers(network)):
        x, shape = _layer_nodes(emit, layer, x, shape, f"layer{i}", np.dtype(dtype))
    return x, shape


def _flat_layers(network):
    for layer in network.layers if hasattr(network, "layers") else [network]:
        if hasattr(layer, "layers"):
            yield from _flat_layers(layer)
        else:
            yield layer


def _arrays(layer, dtype) -> dict[str, np.ndarray]:
    return {name: to_numpy(value).astype(dtype) for name, value in layer.state_dict().items()}


def _layer_nodes(emit: Emitter, layer, x: str, shape: tuple, name: str, dtype: np.dtype):
    """One layer: the value it makes and the shape of one sample after it."""
    kind = type(layer).__name__
    if kind in ("Dropout", "Identity"):
        return x, shape
    if kind in _LAYERS:
        return _LAYERS[kind](emit, layer, x, shape, name, dtype)
    activation = layer.get_config().get("name", kind.lower())  # ReLU is "relu", and so on
    if activation == "leaky_relu":  # Activation("leaky_relu"), of the default slope
        return _leaky_relu(emit, layer, x, shape, name, dtype)
    if activation in _ACTIVATIONS:
        return _ACTIVATIONS[activation](emit, x, name, dtype), shape
    raise ValueError(
        f"no ONNX operator for the layer {kind} ({layer.get_config()}); ml.onnx exports "
        f"{', '.join(sorted(_LAYERS))}, Dropout and the activations "
        f"{sorted({*_ACTIVATIONS, 'leaky_relu'})}."
    )


def _dense(emit, layer, x, shape, name, dtype):
    arrays = _arrays(layer, dtype)
    W, b = emit.constant(arrays["W"], f"{name}_W"), emit.constant(arrays["b"], f"{name}_b")
    out = (layer.get_config()["out_features"],)
    if dtype == np.float64:  # onnxruntime before 1.17 fuses Gemm and an activation into a
        # float32-only kernel, then fails on float64: MatMul and Add are not fused so
        return emit.node("Add", [emit.node("MatMul", [x, W], name), b], name), out
    return emit.node("Gemm", [x, W, b], name), out


def _batch_norm(emit, layer, x, shape, name, dtype):
    arrays = _arrays(layer, dtype)
    parts = [emit.constant(arrays[p], f"{name}_{p}") for p in _BATCH_NORM_INPUTS]
    eps = float(layer.get_config()["eps"])
    return emit.node("BatchNormalization", [x, *parts], name, epsilon=eps), shape


_BATCH_NORM_INPUTS = ("gamma", "beta", "running_mean", "running_var")  # ONNX's input order


def _conv(emit, layer, x, shape, name, dtype):
    arrays = _arrays(layer, np.float32)  # onnxruntime convolves in float32 only
    W, b = (emit.constant(arrays[p], f"{name}_{p}") for p in ("W", "b"))
    config = layer.get_config()
    attrs = _window_attributes(config["kernel_size"], config["stride"], layer.padding)
    out = (config["out_channels"], *_window_counts(shape[1:], **attrs))
    return _node(emit, "Conv", [x, W, b], name, dtype, **attrs), out


def _pool(op):
    def pool(emit, layer, x, shape, name, dtype):
        config = layer.get_config()
        attrs = _window_attributes(config["kernel_size"], config["stride"], layer.padding)
        out = (shape[0], *_window_counts(shape[1:], **attrs))
        if op == "AveragePool":  # zero padding counts, as PyTorch's default and ours
            attrs["count_include_pad"] = 1
        return _node(emit, op, [x], name, dtype, **attrs), out

    return pool


def _global_pool(emit, layer, x, shape, name, dtype):
    pooled = _node(emit, "GlobalAveragePool", [x], name, dtype)
    return emit.node("Flatten", [pooled], f"{name}_flat", axis=1), (shape[0],)


def _flatten(emit, layer, x, shape, name, dtype):
    return emit.node("Flatten", [x], name, axis=1), (math.prod(shape),)


_DEFAULT_SLOPE = inspect.signature(leaky_relu).parameters["negative_slope"].default


def _leaky_relu(emit, layer, x, shape, name, dtype):
    slope = float(layer.get_config().get("negative_slope", _DEFAULT_SLOPE))
    if dtype == np.float64:  # max(x, a x) for 0 <= a <= 1: LeakyRelu's alpha is a float32
        scaled = emit.node("Mul", [x, emit.constant(np.float64(slope), f"{name}_a")], name)
        return emit.node("Max", [x, scaled], name), shape
    return emit.node("LeakyRelu", [x], name, alpha=slope), shape


_LAYERS = {  # each layer kind's operators, read from its description
    "Dense": _dense,
    "BatchNorm1d": _batch_norm,
    "BatchNorm2d": _batch_norm,
    "Conv2D": _conv,
    "MaxPool2D": _pool("MaxPool"),
    "AvgPool2D": _pool("AveragePool"),
    "GlobalAvgPool2D": _global_pool,
    "Flatten": _flatten,
    "LeakyReLU": _leaky_relu,
}


def _unary(op):
    return lambda emit, x, name, dtype: emit.node(op, [x], name)


def _softplus(emit, x, name, dtype):
    """Softplus, or for float64 (which onnxruntime has in float32 only) the same from float64
    operators: ``max(x, 0) + log(1 + exp(-|x|))``, whose exponent is at most 0."""
    if dtype != np.float64:
        return emit.node("Softplus", [x], name)
    one = emit.constant(np.ones((), np.float64), f"{name}_one")
    decay = emit.node("Exp", [emit.node("Neg", [emit.node("Abs", [x], name)], name)], name)
    tail = emit.node("Log", [emit.node("Add", [one, decay], name)], name)
    return emit.node("Add", [emit.node("Relu", [x], name), tail], name)


_ACTIVATIONS = {
    "identity": lambda emit, x, name, dtype: x,
    "relu": _unary("Relu"),
    "tanh": _unary("Tanh"),
    "sigmoid": _unary("Sigmoid"),
    "logistic": _unary("Sigmoid"),
    "softplus": _softplus,
}


# operators that onnxruntime runs in float32 only: a float64 network computes them in float32
# between two casts (its result agrees with ml's to float32 rounding)
_FLOAT32_ONLY = ("Conv", "AveragePool", "GlobalAveragePool")


def _node(emit: Emitter, op: str, inputs: list[str], name: str, dtype, **attrs) -> str:
    """``emit.node``, with a float64 input cast to float32 and back for :data:`_FLOAT32_ONLY`
    (whose constant inputs are then float32 already)."""
    if op not in _FLOAT32_ONLY or np.dtype(dtype) != np.float64:
        return emit.node(op, inputs, name, **attrs)
    single = emit.node("Cast", [inputs[0]], f"{name}_float32", to=TensorProto.FLOAT)
    y = emit.node(op, [single, *inputs[1:]], name, **attrs)
    return emit.node("Cast", [y], f"{name}_float64", to=TensorProto.DOUBLE)


def layer_dtype(layer) -> np.dtype:
    return np.dtype(to_numpy(next(iter(layer.params.values()))).dtype)


def _window_attributes(kernel, stride, padding) -> dict:
    """ONNX's ``kernel_shape``, ``strides`` and ``pads`` (top, left, bottom, right) of a layer
    whose padding is ``((top, left), (bottom, right))``."""
    (top, left), (bottom, right) = padding
    return {
        "kernel_shape": [int(k) for k in kernel],
        "strides": [int(s) for s in stride],
        "pads": [int(top), int(left), int(bottom), int(right)],
    }


def _window_counts(size, *, kernel_shape, strides, pads) -> tuple[int, int]:
    return tuple(
        (size[i] + pads[i] + pads[i + 2] - kernel_shape[i]) // strides[i] + 1 for i in range(2)
    )


def head_nodes(emit: Emitter, head: dict, f: str, names: tuple[str, ...]) -> None:
    """The predictions from the network's output ``f``, as the graph outputs ``names``: a
    classifier's ``(label, probabilities)``, a regressor's ``(variable,)``."""
    output, classes = head["output"], head.get("classes")
    if classes is None:  # a regressor
        values = emit.node("Exp", [f], "exp") if output == "exp" else f
        if head["n_outputs"] == 1:
            emit.node("Reshape", [values, _shape(emit, [-1])], "ravel", out=names[0])
        else:
            emit.node("Identity", [values], "predictions", out=names[0])
        return
    label, probabilities = names
    if head.get("multilabel"):
        emit.node("Sigmoid", [f], "sigmoid", out=probabilities)
        positive = emit.node("Greater", [f, emit.constant(_zero(head), "zero")], "positive")
        emit.node("Cast", [positive], "indicator", out=label, to=TensorProto.INT64)
        return
    labels = emit.constant(label_array(classes), "classes")
    if output == "softmax" or len(classes) == 1:  # one class: softmax of one column is 1
        emit.node("Softmax", [f], "softmax", out=probabilities, axis=1)
        index = emit.node("ArgMax", [f], "argmax", axis=1, keepdims=0)
    else:  # two classes, one sigmoid output: [1 - p, p], the label where f > 0
        p = emit.node("Sigmoid", [f], "sigmoid")
        q = emit.node("Sub", [emit.constant(_zero(head) + 1, "one"), p], "complement")
        emit.node("Concat", [q, p], "binary", out=probabilities, axis=1)
        column = emit.node("Reshape", [f, _shape(emit, [-1])], "column")
        positive = emit.node("Greater", [column, emit.constant(_zero(head), "zero")], "positive")
        index = emit.node("Cast", [positive], "index", to=TensorProto.INT64)
    emit.node("Gather", [labels, index], "label", out=label, axis=0)


def _zero(head) -> np.ndarray:
    return np.zeros((), dtype=head["dtype"])


def _shape(emit: Emitter, shape) -> str:
    return emit.constant(np.asarray(shape, dtype=np.int64), "shape")


def label_array(classes) -> np.ndarray:
    """``classes_`` as an array ONNX holds: numbers and booleans as they are, text as strings;
    anything else (objects that are no text) is refused by name."""
    classes = np.asarray(classes)
    if classes.dtype.kind in "biuf":
        return classes
    if classes.dtype.kind == "U" or all(isinstance(c, str) for c in classes):
        return np.array([str(c) for c in classes], dtype=object)
    try:
        numbers = np.array(classes.tolist())
    except (TypeError, ValueError):
        numbers = None
    if numbers is None or numbers.dtype.kind not in "biuf":
        raise ValueError(
            f"classes_ of {[type(c).__name__ for c in classes[:3]]} cannot be ONNX labels: "
            "ONNX holds numbers, booleans and text."
        )
    return numbers
