"""ONNX export: every ml model as a standard ONNX graph, to run where Python and ml are not
(onnxruntime in C++, Java, C#, JavaScript and on phones).

>>> import ml, ml.onnx                                      # doctest: +SKIP
>>> proto = ml.onnx.to_onnx(ml.MLPClassifier().fit(X, y))  # doctest: +SKIP
>>> ml.onnx.save_onnx(model, "model.onnx")                 # doctest: +SKIP

The graph has one input ``X`` (float32 or float64, the dtype the model computes in, with a free
batch dimension) and skl2onnx's output names: a classifier gives ``label`` (its ``classes_``, as
``predict`` returns them: integers, floats, booleans or strings) and ``probabilities`` (as
``predict_proba``); a regressor gives ``variable`` (as ``predict``: shape (n,) for one output);
an :class:`ml.nn.Sequential` gives ``output``. Dropout vanishes, batch normalisation takes its
inference form. The default opset is :data:`OPSET` (17, with IR version 8), which onnxruntime
has run since release 1.13 (2022).

An estimator hands the exporter its head through ``__ml_export__()`` (the network, one
sample's shape, the output activation and the classes), and the exporter reads the network
through the layers' own descriptions; it imports no estimator. ``import ml.onnx`` also registers
ml's estimators with skl2onnx when it is installed, so that ``skl2onnx.to_onnx(pipeline, X)``
converts a Pipeline holding them.
"""

from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import helper, numpy_helper

from ml._validation import check_number
from ml.io.archive import write_atomically
from ml.nn.layers import Layer
from ml.onnx._graph import head_nodes, label_array, layer_dtype, network_nodes
from ml.onnx._skl2onnx import register as _register_with_skl2onnx

__all__ = ["OPSET", "save_onnx", "to_onnx"]

OPSET = 17
MIN_OPSET = 13  # Softmax over one axis and Squeeze's axes as an input, from opset 13 on


class _Graph:
    """The emitter of a standalone model: nodes and initializers collected in order."""

    def __init__(self):
        self.nodes, self.initializers, self._count = [], [], 0

    def _name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def constant(self, array, hint):
        name = self._name(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op, inputs, hint, *, out=None, **attrs):
        name = out or self._name(hint)
        self.nodes.append(helper.make_node(op, inputs, [name], name=self._name(op), **attrs))
        return name


def to_onnx(model, *, input_shape=None, target_opset=None) -> onnx.ModelProto:
    """The ONNX model of a fitted estimator or of an :class:`ml.nn.Sequential`.

    Parameters
    ----------
    model : fitted MLPClassifier, MLPRegressor, ConvNetClassifier, ConvNetRegressor,
        SoftmaxClassifier, or ml.nn.Sequential (or one layer)
    input_shape : tuple of int, optional
        One sample's shape as ``X`` will hold it. Required for a network. For an estimator the
        default is rows of ``n_features_in_`` values; any shape of as many values is taken
        (``(channels, height, width)`` or ``(height, width)`` for a convolutional network fed
        images), and reshaped inside the graph.
    target_opset : int, optional
        The ONNX opset, :data:`OPSET` by default; 13 up to the installed onnx's newest.

    Returns
    -------
    onnx.ModelProto
        Checked by ``onnx.checker`` with full shape inference.

    Raises
    ------
    TypeError
        For a model that is no ml estimator or network.
    ValueError
        For a bad ``input_shape`` or ``target_opset``, or a layer with no ONNX operator.
    sklearn.exceptions.NotFittedError
        For an estimator that is not fitted.
    """
    head = _head(model, input_shape)
    opset = _opset(target_opset)
    graph = _Graph()
    x = "X"
    if head["input_shape"] != head["sample_shape"]:
        shape = np.asarray([-1, *head["sample_shape"]], dtype=np.int64)
        x = graph.node("Reshape", [x, graph.constant(shape, "sample_shape")], "samples")
    f, out_shape = network_nodes(graph, head["network"], x, head["sample_shape"], head["dtype"])
    names = _output_names(head)
    if head["kind"] == "network":
        graph.node("Identity", [f], "output", out=names[0])
    else:
        head_nodes(graph, head, f, names)
    inputs = [_value_info("X", head["dtype"], ["N", *head["input_shape"]])]
    outputs = [
        _value_info(name, dtype, ["N", *shape])
        for name, (dtype, shape) in zip(names, _output_types(head, out_shape), strict=True)
    ]
    proto = helper.make_model(
        helper.make_graph(graph.nodes, type(model).__name__, inputs, outputs, graph.initializers),
        opset_imports=[helper.make_opsetid("", opset)],
        producer_name="ml",
        ir_version=helper.find_min_ir_version_for([helper.make_opsetid("", opset)]),
    )
    onnx.checker.check_model(proto, full_check=True)
    return proto


def save_onnx(model, path, **options) -> None:
    """Write :func:`to_onnx` of ``model`` (``options`` are its keywords) to ``path``
    atomically, as :func:`ml.save` writes: a failure leaves any previous file intact."""
    data = to_onnx(model, **options).SerializeToString()
    write_atomically(path, lambda file: file.write(data))


def _head(model, input_shape) -> dict:
    """What the graph is made of: the estimator's own head, or a network's."""
    if hasattr(model, "__ml_export__"):
        head = {"kind": "estimator", **model.__ml_export__()}
        n_features = math.prod(head["sample_shape"])
        head["input_shape"] = _input_shape(input_shape, (n_features,), n_features)
        return head
    if isinstance(model, Layer):
        if input_shape is None:
            raise ValueError(
                "input_shape is required for a network: one sample's shape, such as (64,) or "
                "(1, 28, 28)."
            )
        shape = _input_shape(input_shape, None, None)
        dtypes = [layer_dtype(layer) for layer in model.all_layers() if layer.params]
        dtype = dtypes[0] if dtypes else np.dtype(np.float32)
        return {
            "kind": "network",
            "network": model,
            "sample_shape": shape,
            "dtype": dtype,
            "input_shape": shape,
        }
    raise TypeError(
        f"model must be a fitted ml estimator or an ml.nn network; got {type(model).__name__}."
    )


def _input_shape(value, default, n_values) -> tuple[int, ...]:
    if value is None:
        return default
    if isinstance(value, int | np.integer):
        value = (value,)
    try:
        shape = tuple(value)
        for i, size in enumerate(shape):
            check_number(f"input_shape[{i}]", size, integer=True, low=1)
    except TypeError as error:
        raise TypeError(f"input_shape must be a tuple of ints; got {value!r}.") from error
    if not shape or (n_values is not None and math.prod(shape) != n_values):
        raise ValueError(
            f"input_shape {shape} must hold the model's {n_values} input values per sample."
        )
    return tuple(int(size) for size in shape)


def _opset(target_opset) -> int:
    if target_opset is None:
        return OPSET
    newest = onnx.defs.onnx_opset_version()
    return check_number("target_opset", target_opset, integer=True, low=MIN_OPSET, high=newest)


def _output_names(head) -> tuple[str, ...]:
    if head["kind"] == "network":
        return ("output",)
    return ("variable",) if head.get("classes") is None else ("label", "probabilities")


def _output_types(head, out_shape) -> list:
    """``(dtype, shape of one sample)`` of each output."""
    dtype = head["dtype"]
    if head["kind"] == "network":
        return [(dtype, out_shape)]
    if head.get("classes") is None:
        return [(dtype, () if head["n_outputs"] == 1 else out_shape)]
    classes = head["classes"]
    if head.get("multilabel"):
        return [(np.dtype(np.int64), (len(classes),)), (dtype, (len(classes),))]
    return [(label_array(classes).dtype, ()), (dtype, (len(classes),))]


def _value_info(name, dtype, shape):
    text = np.dtype(dtype) == np.dtype(object)
    element = onnx.TensorProto.STRING if text else helper.np_dtype_to_tensor_dtype(dtype)
    return helper.make_tensor_value_info(name, element, shape)


SKL2ONNX_CLASSES = _register_with_skl2onnx()  # the estimators skl2onnx now converts
