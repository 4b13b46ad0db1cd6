"""Model files that must not allocate, crash or lie: each class of attack of the trust issue,
and the round-trip law (what save accepts loads back equal; what load would refuse, save refuses).
The structure-aware fuzzer of the format is in test_model_file_fuzz.py."""

import io
import json
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from model_file_helpers import replace_entry

import ml
from ml import ConvNetClassifier, InvalidModelFile, MLPClassifier, MLPRegressor, nn

X, Y = ml.datasets.load_digits()
X, Y = X[:120] / 16, Y[:120]
IMAGES = X.reshape(-1, 8, 8)


def _saved(tmp_path, model):
    path = tmp_path / "model.ml"
    model.save(path)
    return path


def _entry(tagged: dict, key: str) -> list:
    """The ``[key, value]`` pair of a dict as a model file's JSON tags it (``__dict__``); set
    ``pair[1]`` to edit the value."""
    return next(pair for pair in tagged["__dict__"] if pair[0] == key)


def _trainer(description: dict, key: str):
    """The value of the trainer state's entry ``key`` (optimizer, schedule, history, rng)."""
    return _entry(description["fitted"]["trainer_"], key)[1]


def _first_moment(description: dict) -> dict:
    """The tag of the optimizer's first moment array, ``{"__array__": name}``."""
    return _entry(_entry(_trainer(description, "optimizer"), "state")[1][0], "m")[1]


def _edited(path, edit=None, arrays=None):
    """Rewrite the model file at ``path`` with its JSON edited by ``edit(description)`` and
    arrays replaced or added from ``arrays`` ({name: array})."""
    with zipfile.ZipFile(path) as archive:
        description = json.loads(archive.read("model.json"))
        entries = {n: archive.read(n) for n in archive.namelist() if n != "model.json"}
    if edit is not None:
        edit(description)
    for name, array in (arrays or {}).items():
        buffer = io.BytesIO()
        np.lib.format.write_array(buffer, np.asarray(array))
        entries[f"arrays/{name}.npy"] = buffer.getvalue()
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("model.json", json.dumps(description))
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def _mlp(tmp_path, **options):
    model = MLPClassifier((4,), max_iter=2, random_state=0, **options).fit(X, Y)
    return _saved(tmp_path, model)


def _cnn(tmp_path):
    model = ConvNetClassifier(((2, 3),), hidden_layer_sizes=(4,), max_iter=1, random_state=0)
    return _saved(tmp_path, model.fit(IMAGES, Y))


def _layers(d):
    return d["fitted"]["network_"]["__network__"]["layers"]


ATTACKS = {
    # 1. allocation on the file's word
    "a Conv2D padding of 3000": (
        _cnn,
        lambda d: _layers(d)[0]["config"].update(padding=[3000, 3000]),
        None,
        "padding 3000 is too large",
    ),
    "a pool padding of 1000": (
        _cnn,
        lambda d: _layers(d)[2]["config"].update(padding=[1000, 1000]),
        None,
        "padding 1000 is too large",
    ),
    "an Adam moment of shape (20000, 1, 1)": (
        _mlp,
        lambda d: _first_moment(d).update(__array__="moment"),
        {"moment": np.zeros((20000, 1, 1))},
        "has shape|must have shape",
    ),
    "100000 classes": (_mlp, None, {"classes_": np.arange(100000)}, "classes_ do not fit"),
    # 2. files that load, then crash or mislead
    "classes_ shorter than the outputs": (
        _mlp,
        None,
        {"classes_": np.arange(3)},
        "classes_ do not fit",
    ),
    "a history of text": (
        _mlp,
        lambda d: _entry(_trainer(d, "history"), "loss").__setitem__(1, "2.3"),
        None,
        "history.loss must be a list",
    ),
    "an optimizer state for fewer arrays": (
        _mlp,
        lambda d: _entry(_trainer(d, "optimizer"), "state")[1].pop(),
        None,
        "holds state for 3 of 4 arrays",
    ),
    "all-NaN weights": (
        _mlp,
        None,
        {"network_.0.W": np.full((64, 4), np.nan)},
        "W holds invalid values",
    ),
    "a BatchNorm eps of -1": (
        lambda tmp: _mlp(tmp, batch_norm=True),
        lambda d: _layers(d)[1]["config"].update(eps=-1),
        None,
        "eps must be a number > 0",
    ),
    "a negative learning rate in the optimizer": (
        _mlp,
        lambda d: _entry(_trainer(d, "optimizer"), "learning_rate").__setitem__(1, -0.5),
        None,
        "learning_rate must be a number >= 0",
    ),
    "an abstract base class": (
        _mlp,
        lambda d: d.update({"class": "BaseMLP"}),
        None,
        "unknown estimator class 'BaseMLP'",
    ),
    "feature names of the wrong length": (
        _mlp,
        lambda d: d["fitted"].update(
            feature_names_in_={"__array__": "feature_names_in_", "object": True}
        ),
        {"feature_names_in_": np.array(["a", "b"])},
        "feature_names_in_ must name",
    ),
    "a SaveMixin": (_mlp, lambda d: d.update({"class": "SaveMixin"}), None, "unknown estimator"),
    "a number too large for any type": (
        _mlp,
        lambda d: d["fitted"].update(n_features_in_=10**400),
        None,
        "n_features_in_ must be",
    ),
    "a parameter of the wrong type": (
        _mlp,
        lambda d: d["params"].update(early_stopping="False"),
        None,
        "early_stopping must be True or False",
    ),
    "a float label array for a multilabel model": (
        _mlp,
        lambda d: d["fitted"].update(_multilabel="yes"),
        None,
        "_multilabel must be True or False",
    ),
}


@pytest.mark.parametrize("name", ATTACKS)
def test_every_attack_is_an_invalid_model_file(tmp_path, name):
    make, edit, arrays, message = ATTACKS[name]
    path = _edited(make(tmp_path), edit, arrays)
    with pytest.raises(InvalidModelFile, match=message):
        ml.load(path)


@pytest.mark.parametrize(
    "entry, data",
    [
        ("arrays/classes_.npy", b"\x93NUMPY\x01\x00\x1e\x00{'descr': '<f8', 'shape': ((((     "),
        ("arrays/classes_.npy", b"\x93NUMPY\x01\x00\x1e\x00{'descr': 'O', 'shape': (1e999,)}  "),
        ("model.json", b"[" * 100_000 + b"]" * 100_000),
        ("model.json", b'{"format": "ml-nn model", "format_version": 1e999}'),
    ],
    ids=["an unclosed npy header", "an npy shape of inf", "deep nesting", "an infinite version"],
)
def test_garbled_headers_are_invalid_model_files(tmp_path, entry, data):
    with pytest.raises(InvalidModelFile):
        ml.load(replace_entry(_mlp(tmp_path), entry, data))


# --- save refuses what load would refuse ---------------------------------------------------------


class Scale(nn.Layer):
    """A layer of a user's own: ``y = x * s``, one learned scale per feature."""

    def __init__(self, n_features, *, dtype=np.float32):
        super().__init__()
        self.n_features = n_features
        self.params = {"s": np.full(n_features, 2.0, dtype)}

    def forward(self, x, training=False):
        self._save_for_backward(training, x=x)
        return x * self.params["s"]

    def backward(self, dout):
        self._keep_grad("s", (dout * self._saved_for_backward("x")).sum(axis=0))
        return dout * self.params["s"]

    def get_config(self):
        return {"n_features": self.n_features}

    @classmethod
    def array_shapes(cls, config):
        return {"s": (nn.layers.config_int(config, "n_features"),)}


class MyMLP(MLPClassifier):
    pass


def test_a_layer_of_your_own_loads_where_the_caller_names_it(tmp_path):
    network = nn.Sequential(nn.Dense(2, 3, random_state=0), Scale(3), nn.ReLU())
    network[1].params["s"][...] = [1.0, -2.0, 3.0]
    ml.save(network, tmp_path / "net.ml")
    with pytest.raises(InvalidModelFile, match="unknown type 'Scale'.*custom_layers=\\[MyLayer\\]"):
        ml.load(tmp_path / "net.ml")
    loaded = ml.load(tmp_path / "net.ml", custom_layers=[Scale])
    x = np.random.default_rng(0).normal(size=(4, 2)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(x), network.predict(x))
    with pytest.raises(ValueError, match="custom_layers: Dense is the name of an ml.nn layer"):
        ml.load(tmp_path / "net.ml", custom_layers=[type("Dense", (Scale,), {})])
    with pytest.raises(TypeError, match="custom_layers must hold ml.nn.Layer subclasses"):
        ml.load(tmp_path / "net.ml", custom_layers=[dict])


def test_save_refuses_what_it_could_not_load_and_writes_nothing(tmp_path):
    with pytest.raises(TypeError, match="MyMLP is not one of ml's estimators"):
        MyMLP((2,), max_iter=1).fit(X, Y).save(tmp_path / "mlp.ml")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="path must name a file"):
        MLPClassifier().save("")


@pytest.mark.parametrize(
    "labels",
    [
        Y,
        Y.astype(str),
        np.where(Y > 4, "high", "low"),
        Y.astype(float),
        Y > 4,
        np.datetime64("2026-01-01") + Y.astype("timedelta64[D]"),
    ],
    ids=["int", "text", "two words", "float", "bool", "datetime64"],
)
def test_every_kind_of_label_round_trips(tmp_path, labels):
    model = MLPClassifier((4,), max_iter=2, random_state=0).fit(X, labels)
    loaded = ml.load(_saved(tmp_path, model))
    np.testing.assert_array_equal(loaded.classes_, model.classes_)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


_LAYERS = st.sampled_from(["relu", "tanh", "sigmoid", "softplus", "leaky_relu", "identity"])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    widths=st.lists(st.integers(1, 6), min_size=0, max_size=3),
    activations=st.lists(_LAYERS, min_size=3, max_size=3),
    batch_norm=st.booleans(),
    dropout=st.sampled_from([0.0, 0.3]),
    regressor=st.booleans(),
    dtype=st.sampled_from(["float32", "float64"]),
    solver=st.sampled_from(["adam", "sgd", "lbfgs"]),
)
def test_round_trip_law_for_estimators(
    tmp_path, widths, activations, batch_norm, dropout, regressor, dtype, solver
):
    """Whatever save accepts loads back to the same predictions and goes on training alike."""
    options = dict(
        hidden_layer_sizes=tuple(widths),
        activation=activations[: len(widths)] or "relu",
        batch_norm=batch_norm,
        dropout=0.0 if solver == "lbfgs" else dropout,
        dtype=dtype,
        solver=solver,
        max_iter=2,
        random_state=0,
    )
    if regressor:
        model = MLPRegressor(**options).fit(X, X[:, 20])
    else:
        model = MLPClassifier(**options).fit(X, Y)
    loaded = ml.load(_saved(tmp_path, model))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    if solver != "lbfgs":
        target = X[:, 20] if regressor else Y
        model.partial_fit(X, target)
        loaded.partial_fit(X, target)
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kinds=st.lists(
        st.sampled_from(["conv", "bn2d", "relu", "maxpool", "avgpool", "dropout"]),
        max_size=4,
    ),
    dense=st.integers(1, 5),
)
def test_round_trip_law_for_layer_stacks(tmp_path, kinds, dense):
    layers, channels = [], 1
    for kind in kinds:
        if kind == "conv":
            layers.append(nn.Conv2D(channels, 2, 3, padding="same", random_state=0))
            channels = 2
        elif kind == "bn2d":
            layers.append(nn.BatchNorm2d(channels))
        elif kind == "relu":
            layers.append(nn.ReLU())
        elif kind == "maxpool":
            layers.append(nn.MaxPool2D(2, stride=1))
        elif kind == "avgpool":
            layers.append(nn.AvgPool2D(2, stride=1, padding=1))
        else:
            layers.append(nn.Dropout(0.2, random_state=1))
    network = nn.Sequential(*layers, nn.Flatten())
    x = np.random.default_rng(0).normal(size=(3, 1, 8, 8)).astype(np.float32)
    network = nn.Sequential(*network.layers, nn.Dense(network.predict(x).shape[1], dense))
    network.forward(x, training=True)
    ml.save(network, tmp_path / "net.ml")
    loaded = ml.load(tmp_path / "net.ml")
    np.testing.assert_array_equal(loaded.predict(x), network.predict(x))
    np.testing.assert_array_equal(
        loaded.forward(x, training=True), network.forward(x, training=True)
    )


def test_a_dtype_given_as_a_numpy_type_saves(tmp_path):
    model = MLPClassifier((4,), dtype=np.float32, max_iter=1, random_state=0).fit(X, Y)
    loaded = ml.load(_saved(tmp_path, model))
    assert loaded.dtype == np.float32 and loaded.coefs_[0].dtype == np.float32
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
