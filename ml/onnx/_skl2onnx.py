"""ml's estimators registered with skl2onnx, so that ``skl2onnx.to_onnx(pipeline, X)`` converts
a scikit-learn Pipeline holding them (scalers before them, skl2onnx's ``zipmap`` option for the
classifiers, as for its own).

The estimator classes are found as the classifiers and regressors among the subclasses of
:class:`ml.io.estimator.SaveMixin` that hand the exporter their head, so this module imports no
estimator. The graph is the one :func:`ml.onnx.to_onnx` builds, written into skl2onnx's scope.
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper, numpy_helper
from sklearn.base import ClassifierMixin, RegressorMixin

from ml.io.estimator import SaveMixin
from ml.onnx._graph import head_nodes, label_array, network_nodes


class _Scoped:
    """The emitter into skl2onnx's graph: names from its scope, nodes into its container."""

    def __init__(self, scope, container):
        self.scope, self.container = scope, container

    def constant(self, array, hint):
        name = self.scope.get_unique_variable_name(hint)
        array = np.asarray(array)
        if array.dtype == object:
            flat = [str(value).encode() for value in array.ravel()]
            self.container.add_initializer(name, TensorProto.STRING, list(array.shape), flat)
        else:
            self.container.add_initializer(name, None, None, numpy_helper.from_array(array))
        return name

    def node(self, op, inputs, hint, *, out=None, **attrs):
        name = out or self.scope.get_unique_variable_name(hint)
        self.container.add_node(
            op, inputs, [name], name=self.scope.get_unique_operator_name(op), **attrs
        )
        return name


def _estimator_classes() -> list[type]:
    found, todo = [], [SaveMixin]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if hasattr(cls, "__ml_export__") and issubclass(cls, ClassifierMixin | RegressorMixin):
            found.append(cls)
    return found


def _skl2onnx_head(operator) -> dict:
    """The estimator's head with labels as skl2onnx's ZipMap takes them: integers (booleans
    too) as int64, text as strings; with skl2onnx's option ``nocl``, the classes' indices."""
    model = operator.raw_operator
    head = dict(model.__ml_export__())
    if head.get("classes") is not None and not head.get("multilabel"):
        if operator.scope_inst.get_options(model, {"nocl": False})["nocl"]:
            head["classes"] = np.arange(len(head["classes"]), dtype=np.int64)
        labels = label_array(head["classes"])
        if labels.dtype.kind in "biu":
            labels = labels.astype(np.int64)
        elif labels.dtype != object:
            raise ValueError(
                f"skl2onnx takes integer or text labels; {type(model).__name__}'s classes_ are "
                f"{labels.dtype}: use ml.onnx.to_onnx, whose label output keeps them."
            )
        head["classes"] = labels
    return head


def _pipeline_dtype(operator, model_dtype) -> np.dtype:
    """The float dtype of the pipeline at this step: its input's where that is float (the
    outputs follow it, as skl2onnx's own models' do), else the model's."""
    element = operator.inputs[0].type.to_onnx_type().tensor_type.elem_type
    if element in (TensorProto.FLOAT, TensorProto.DOUBLE):
        return np.dtype(helper.tensor_dtype_to_np_dtype(element))
    return np.dtype(model_dtype)


def _shapes(operator) -> None:
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )

    n = operator.inputs[0].get_first_dimension()
    head = _skl2onnx_head(operator)
    float64 = _pipeline_dtype(operator, head["dtype"]) == np.float64
    floats = DoubleTensorType if float64 else FloatTensorType
    if head.get("classes") is None:
        k = head["n_outputs"]
        operator.outputs[0].type = floats([n] if k == 1 else [n, k])
        return
    k = len(head["classes"])
    if head.get("multilabel"):
        operator.outputs[0].type = Int64TensorType([n, k])
    else:
        labels = StringTensorType if head["classes"].dtype == object else Int64TensorType
        operator.outputs[0].type = labels([n])
    operator.outputs[1].type = floats([n, k])


def _convert(scope, operator, container) -> None:
    emit = _Scoped(scope, container)
    head = _skl2onnx_head(operator)
    dtype = np.dtype(head["dtype"])
    element = helper.np_dtype_to_tensor_dtype(dtype)
    x = operator.inputs[0].full_name
    if operator.inputs[0].type.to_onnx_type().tensor_type.elem_type != element:
        x = emit.node("Cast", [x], "cast", to=element)
    shape = np.asarray([-1, *head["sample_shape"]], dtype=np.int64)
    x = emit.node("Reshape", [x, emit.constant(shape, "sample_shape")], "samples")
    f, _ = network_nodes(emit, head["network"], x, head["sample_shape"], dtype)
    wanted = helper.np_dtype_to_tensor_dtype(_pipeline_dtype(operator, dtype))
    names = [output.full_name for output in operator.outputs]
    floats = names[-1] if head.get("classes") is not None else names[0]
    if wanted != element:  # the floats in the pipeline's dtype, as skl2onnx's models give
        inner = scope.get_unique_variable_name("network_floats")
        head_nodes(emit, head, f, tuple(inner if name == floats else name for name in names))
        emit.node("Cast", [inner], "cast_back", out=floats, to=wanted)
    else:
        head_nodes(emit, head, f, tuple(names))


def register() -> list[type]:
    """Register every ml classifier and regressor with skl2onnx; returns the classes (none
    when skl2onnx is not installed)."""
    try:
        from skl2onnx import update_registered_converter
    except ImportError:
        return []
    classes = _estimator_classes()
    options = {"zipmap": [True, False, "columns"], "nocl": [False, True]}  # skl2onnx's
    for cls in classes:
        classifier = issubclass(cls, ClassifierMixin)
        update_registered_converter(
            cls, f"Ml{cls.__name__}", _shapes, _convert, options=options if classifier else None
        )
    return classes
