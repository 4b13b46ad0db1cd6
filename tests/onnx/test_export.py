"""ONNX export: onnxruntime runs every exported model and agrees with ml's own predictions."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError

import ml
from ml import datasets, nn

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
import ml.onnx  # noqa: E402

X, Y = datasets.load_digits()
X, Y = (X[:200] / 16), Y[:200]
IMAGES = X.reshape(-1, 1, 8, 8)
LABELS = {
    "int": Y,
    "sparse int": np.array([-3, 5, 100, 7, 8, 9, 10, 11, 12, 13])[Y],
    "str": np.array(list("abcdefghij"))[Y],
    "object str": np.array(list("abcdefghij"), dtype=object)[Y],
    "bool": Y % 2 == 0,
    "float": (Y % 3).astype(np.float64) - 1.0,
    "binary str": np.where(Y < 5, "low", "high"),
}
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def run(proto, X_in):
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(None, {"X": X_in}), strict=True))


def tolerance(dtype):
    # float32 rounding: onnxruntime and NumPy sum the products in another order
    return {"rtol": 1e-4, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-9, "atol": 1e-12}


def check_classifier(model, X_in, conv=False):
    proto = ml.onnx.to_onnx(model, input_shape=X_in.shape[1:])
    dtype = model.__ml_export__()["dtype"]  # what the model computes in, X's dtype in the graph
    out = run(proto, X_in.astype(dtype))
    assert list(out) == ["label", "probabilities"]
    np.testing.assert_array_equal(out["label"], model.predict(X_in.astype(dtype)))
    # a float64 convolution runs in float32 in onnxruntime, which has no float64 kernel
    tol = tolerance(np.float32 if conv else dtype)
    np.testing.assert_allclose(out["probabilities"], model.predict_proba(X_in.astype(dtype)), **tol)
    assert out["probabilities"].dtype == dtype
    return proto


@pytest.mark.parametrize("labels", LABELS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("Estimator", [ml.MLPClassifier, ml.SoftmaxClassifier])
def test_classifiers_give_predict_and_predict_proba(Estimator, dtype, labels):
    options = {"hidden_layer_sizes": (8,)} if Estimator is ml.MLPClassifier else {}
    model = Estimator(max_iter=20, random_state=0, dtype=dtype, **options)
    check_classifier(model.fit(X, LABELS[labels]), X)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_convolutional_networks_of_rows_and_of_images(dtype):
    options = dict(conv_layers=((3, 3), (4, 2, 2)), batch_norm=True, max_iter=2, dtype=dtype)
    model = ml.ConvNetClassifier(hidden_layer_sizes=(8,), random_state=0, **options)
    check_classifier(model.fit(X, LABELS["str"]), X, conv=True)
    check_classifier(model, IMAGES, conv=True)  # input_shape (1, 8, 8), reshaped inside
    check_classifier(model, X.reshape(-1, 8, 8), conv=True)
    regressor = ml.ConvNetRegressor(conv_layers=((3, 3),), padding="valid", max_iter=2, dtype=dtype)
    regressor.fit(IMAGES, X[:, 20:22])
    out = run(ml.onnx.to_onnx(regressor), X.astype(dtype))
    np.testing.assert_allclose(out["variable"], regressor.predict(X), **tolerance(np.float32))


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
@pytest.mark.parametrize("outputs", [1, 3])
def test_regressors_give_predict(loss, outputs):
    y = X[:, 20 : 20 + outputs].reshape(len(X), -1) if outputs > 1 else X[:, 20]
    model = ml.MLPRegressor(loss=loss, hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    out = run(ml.onnx.to_onnx(model.fit(X, y)), X)
    assert list(out) == ["variable"] and out["variable"].shape == model.predict(X).shape
    np.testing.assert_allclose(out["variable"], model.predict(X), **tolerance(np.float64))


def test_multilabel_and_one_class():
    multilabel = np.column_stack([Y % 2, Y % 3 == 0, Y > 4]).astype(int)
    model = ml.MLPClassifier(hidden_layer_sizes=(8,), max_iter=20).fit(X, multilabel)
    check_classifier(model, X)
    one_class = ml.MLPClassifier(hidden_layer_sizes=(4,), solver="sgd", max_iter=2)
    one_class.partial_fit(X, np.zeros(len(X), int), classes=[0])
    check_classifier(one_class, X)


ACTIVATIONS = st.sampled_from(
    ["relu", "tanh", "sigmoid", "softplus", "identity", "leaky_relu", "leaky 0.3", "ReLU"]
)


def _activation(name):
    if name == "leaky 0.3":
        return nn.LeakyReLU(0.3)
    return nn.ReLU() if name == "ReLU" else nn.Activation(name)


@st.composite
def networks(draw):
    """A Sequential of conv and pool blocks (or none), then dense layers, with batch norm,
    dropout and every activation, its batch norm's running statistics drawn too."""
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    layers, channels, size = [], draw(st.integers(1, 3)), 8
    shape = (channels, size, size)
    for _ in range(draw(st.integers(0, 2))):
        out = draw(st.integers(1, 4))
        kernel, padding = draw(st.sampled_from([(3, "same"), (2, 0), (3, 1), (2, "same")]))
        layers.append(nn.Conv2D(channels, out, kernel, padding=padding, dtype=dtype))
        size = size if padding == "same" else size + 2 * padding - kernel + 1
        if draw(st.booleans()):
            layers.append(nn.BatchNorm2d(out, dtype=dtype))
        layers.append(_activation(draw(ACTIVATIONS)))
        pool = draw(st.sampled_from(["max", "avg", "none"]))
        if pool != "none" and size >= 2:
            layers.append((nn.MaxPool2D if pool == "max" else nn.AvgPool2D)(2))
            size //= 2
        channels = out
    if layers or len(shape) == 3:
        layers.append(draw(st.sampled_from([nn.Flatten(), nn.GlobalAvgPool2D()])))
        width = channels * size * size if isinstance(layers[-1], nn.Flatten) else channels
    for _ in range(draw(st.integers(1, 3))):
        out = draw(st.integers(1, 12))
        layers.append(nn.Dense(width, out, dtype=dtype))
        if draw(st.booleans()):
            layers.append(nn.BatchNorm1d(out, dtype=dtype))
        layers.append(_activation(draw(ACTIVATIONS)))
        if draw(st.booleans()):
            layers.append(nn.Dropout(0.3))
        width = out
    network = nn.Sequential(*layers)
    for layer in network.all_layers():
        for name, value in layer.state_dict().items():
            value[...] = rng.normal(size=value.shape) * (0.3 if name != "running_var" else 0)
            if name in ("running_var", "gamma"):
                value[...] = rng.uniform(0.5, 2, size=value.shape)
    return network, shape, dtype


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_any_network_runs_in_onnxruntime_as_in_ml(case):
    network, shape, dtype = case
    X_in = np.random.default_rng(0).normal(size=(5, *shape)).astype(dtype)
    proto = ml.onnx.to_onnx(network, input_shape=shape)
    onnx.checker.check_model(proto, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(proto, strict_mode=True)
    (output,) = inferred.graph.output
    expected = network.predict(X_in)
    dims = [d.dim_value or d.dim_param for d in output.type.tensor_type.shape.dim]
    assert dims == ["N", *expected.shape[1:]]
    got = run(proto, X_in)["output"]
    # onnxruntime runs convolutions and average pools in float32 only
    single = (nn.Conv2D, nn.AvgPool2D, nn.GlobalAvgPool2D)
    in_float32 = any(isinstance(layer, single) for layer in network.all_layers())
    np.testing.assert_allclose(got, expected, **tolerance(np.float32 if in_float32 else dtype))


def test_pipelines_with_a_scaler_go_through_skl2onnx():
    skl2onnx = pytest.importorskip("skl2onnx")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X_raw = X * 16
    for estimator in [
        ml.MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0),
        ml.ConvNetClassifier(conv_layers=((2, 3),), hidden_layer_sizes=(4,), max_iter=2),
        ml.SoftmaxClassifier(max_iter=20),
    ]:
        pipeline = make_pipeline(StandardScaler(), estimator).fit(X_raw, LABELS["str"])
        for zipmap in (False, True):
            proto = skl2onnx.to_onnx(
                pipeline, X_raw[:1].astype(np.float32), options={id(estimator): {"zipmap": zipmap}}
            )
            session = ort.InferenceSession(proto.SerializeToString())
            label, probabilities = session.run(None, {"X": X_raw.astype(np.float32)})
            if zipmap:
                probabilities = [[row[c] for c in pipeline.classes_] for row in probabilities]
            np.testing.assert_array_equal(label, pipeline.predict(X_raw))
            np.testing.assert_allclose(probabilities, pipeline.predict_proba(X_raw), atol=1e-5)
    regressor = make_pipeline(StandardScaler(), ml.MLPRegressor(max_iter=20)).fit(X_raw, Y)
    proto = skl2onnx.to_onnx(regressor, X_raw[:1].astype(np.float32))
    (variable,) = ort.InferenceSession(proto.SerializeToString()).run(
        None, {"X": X_raw.astype(np.float32)}
    )
    np.testing.assert_allclose(variable.ravel(), regressor.predict(X_raw), rtol=1e-4, atol=1e-4)


def test_opsets_from_13_on_run(tmp_path):
    model = ml.MLPClassifier(hidden_layer_sizes=(4,), max_iter=5).fit(X, Y)
    for opset in (13, ml.onnx.OPSET):
        proto = ml.onnx.to_onnx(model, target_opset=opset)
        assert proto.opset_import[0].version == opset
        np.testing.assert_array_equal(run(proto, X)["label"], model.predict(X))
    assert ml.onnx.to_onnx(model).ir_version == 8  # onnxruntime 1.13 on reads it
    for bad in (12, 10**6, "17"):
        with pytest.raises((ValueError, TypeError), match="target_opset"):
            ml.onnx.to_onnx(model, target_opset=bad)


def test_refusals_name_the_problem():
    with pytest.raises(NotFittedError):
        ml.onnx.to_onnx(ml.MLPClassifier())
    with pytest.raises(TypeError, match="model must be a fitted ml estimator"):
        ml.onnx.to_onnx(object())
    network = nn.Sequential(nn.Dense(3, 2))
    with pytest.raises(ValueError, match="input_shape is required"):
        ml.onnx.to_onnx(network)
    model = ml.MLPClassifier(hidden_layer_sizes=(4,), max_iter=5).fit(X, Y)
    with pytest.raises(ValueError, match="input_shape .* 64 input values"):
        ml.onnx.to_onnx(model, input_shape=(7, 7))
    with pytest.raises(TypeError, match="input_shape"):
        ml.onnx.to_onnx(model, input_shape="64")

    class Cube(nn.Layer):
        def forward(self, x, training=False):
            return x**3

        def backward(self, dout):
            return dout

    with pytest.raises(ValueError, match="no ONNX operator for the layer Cube"):
        ml.onnx.to_onnx(nn.Sequential(nn.Dense(3, 2), Cube()), input_shape=(3,))


def test_save_onnx_writes_atomically(tmp_path):
    model = ml.SoftmaxClassifier(max_iter=5).fit(X, LABELS["str"])
    path = tmp_path / "model.onnx"
    ml.onnx.save_onnx(model, path)
    before = path.read_bytes()
    np.testing.assert_array_equal(run(onnx.load(path), X)["label"], model.predict(X))
    with pytest.raises(NotFittedError):
        ml.onnx.save_onnx(ml.SoftmaxClassifier(), path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["model.onnx"]
    with pytest.raises(TypeError, match="path"):
        ml.onnx.save_onnx(model, None)


def test_the_command_line_exports_a_saved_model(tmp_path, capsys):
    from ml.cli import main

    model = ml.MLPClassifier(hidden_layer_sizes=(4,), max_iter=5).fit(X, Y)
    ml.save(model, tmp_path / "model.ml")
    assert main(["export", str(tmp_path / "model.ml"), str(tmp_path / "model.onnx")]) == 0
    np.testing.assert_array_equal(
        run(onnx.load(tmp_path / "model.onnx"), X)["label"], model.predict(X)
    )
    capsys.readouterr()
    assert main(["export", str(tmp_path / "missing.ml"), str(tmp_path / "out.onnx")]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        len(err.splitlines()) == 1 and "missing.ml" in err and not (tmp_path / "out.onnx").exists()
    )
    network = nn.Sequential(nn.Conv2D(1, 2, 3), nn.Flatten(), nn.Dense(72, 2))
    ml.save(network, tmp_path / "network.ml")
    args = ["export", str(tmp_path / "network.ml"), str(tmp_path / "n.onnx")]
    assert main([*args, "--input-shape", "1,8,8"]) == 0
    assert main(args) == 2 and "input_shape is required" in capsys.readouterr().err


def test_importing_ml_does_not_import_onnx():
    code = "import sys, ml; print('onnx' in sys.modules, 'ml.onnx' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.split() == ["False", "False"]


def test_no_warning_while_exporting():
    model = ml.ConvNetClassifier(conv_layers=((2, 3),), max_iter=1).fit(X, Y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ml.onnx.to_onnx(model)
