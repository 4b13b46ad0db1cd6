"""model.save / ml.load: exact round trips, continued training, atomic writes, hostile files."""

import io
import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest
from model_file_helpers import replace_entry

import ml
from ml import (
    ConvNetClassifier,
    InvalidModelFile,
    MLPClassifier,
    MLPRegressor,
    SoftmaxClassifier,
    datasets,
    nn,
)

X_DIGITS, Y_DIGITS = datasets.load_digits()
X_DIGITS = X_DIGITS / 16
IMAGES = X_DIGITS.reshape(-1, 8, 8)

ESTIMATORS = {
    "softmax": (lambda: SoftmaxClassifier(max_iter=5, random_state=0), X_DIGITS, Y_DIGITS),
    "mlp": (lambda: MLPClassifier((16,), max_iter=5, random_state=0), X_DIGITS, Y_DIGITS),
    "mlp_dropout_batchnorm_sgd": (
        lambda: MLPClassifier(
            (16, 8),
            dropout=0.2,
            batch_norm=True,
            solver="sgd",
            max_iter=5,
            learning_rate="adaptive",
            random_state=0,
        ),
        X_DIGITS,
        Y_DIGITS,
    ),
    "mlp_binary_strings": (
        lambda: MLPClassifier((8,), max_iter=5, random_state=0),
        X_DIGITS,
        np.where(Y_DIGITS > 4, "big", "small"),
    ),
    "mlp_lbfgs": (
        lambda: MLPClassifier((8,), solver="lbfgs", max_iter=20, random_state=0),
        X_DIGITS,
        Y_DIGITS,
    ),
    "regressor": (
        lambda: MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0),
        X_DIGITS,
        Y_DIGITS.astype(float),
    ),
    "poisson": (
        lambda: MLPRegressor(loss="poisson", hidden_layer_sizes=(8,), max_iter=5, random_state=0),
        X_DIGITS,
        Y_DIGITS.astype(float),
    ),
    "cnn": (
        lambda: ConvNetClassifier(((4, 3),), hidden_layer_sizes=(8,), max_iter=3, random_state=0),
        IMAGES,
        Y_DIGITS,
    ),
    "cnn_own_network": (
        lambda: ConvNetClassifier(
            network=nn.Sequential(
                nn.Conv2D(1, 4, 3, padding="same"),
                nn.BatchNorm2d(4),
                nn.ReLU(),
                nn.AvgPool2D(2),
                nn.GlobalAvgPool2D(),
                nn.Dense(4, 10),
            ),
            max_iter=3,
            random_state=0,
        ),
        IMAGES,
        Y_DIGITS,
    ),
}


def _outputs(model, X):
    return model.predict_proba(X) if hasattr(model, "predict_proba") else model.predict(X)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_round_trip_predicts_exactly_the_same(tmp_path, name):
    make, X, y = ESTIMATORS[name]
    model = make().fit(X, y)
    model.save(tmp_path / "model.ml")
    loaded = ml.load(tmp_path / "model.ml")
    assert type(loaded) is type(model) and loaded.get_params().keys() == model.get_params().keys()
    np.testing.assert_array_equal(_outputs(loaded, X), _outputs(model, X))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    for key in ("n_iter_", "loss_curve_", "n_features_in_"):
        assert getattr(loaded, key) == getattr(model, key)


@pytest.mark.parametrize("name", ["mlp", "mlp_dropout_batchnorm_sgd", "regressor", "cnn"])
def test_training_continues_exactly_after_loading(tmp_path, name):
    make, X, y = ESTIMATORS[name]
    model = make().fit(X, y)
    model.save(tmp_path / "model.ml")
    loaded = ml.load(tmp_path / "model.ml")
    model.partial_fit(X, y)
    loaded.partial_fit(X, y)
    for ours, theirs in zip(model.network_.parameters(), loaded.network_.parameters(), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    loaded.set_params(warm_start=True, max_iter=2).fit(X, y)
    assert loaded.n_iter_ == 2 and len(loaded.loss_curve_) == len(model.loss_curve_) + 2


def test_an_unfitted_estimator_keeps_its_parameters(tmp_path):
    model = MLPClassifier(
        (7, 3), activation=["tanh", "relu"], class_weight={0: 2.0, 1: 1.0}, dtype="float64"
    )
    model.save(tmp_path / "m.ml")
    loaded = ml.load(tmp_path / "m.ml")
    assert loaded.get_params() == model.get_params() and not hasattr(loaded, "coefs_")


def test_callbacks_are_not_saved(tmp_path):
    model = MLPClassifier((4,), max_iter=2, callbacks=[lambda *a: None]).fit(X_DIGITS, Y_DIGITS)
    with pytest.warns(UserWarning, match="callbacks are code and are not saved"):
        model.save(tmp_path / "m.ml")
    assert ml.load(tmp_path / "m.ml").callbacks is None


def test_a_network_round_trip(tmp_path):
    network = nn.Sequential(
        nn.Conv2D(1, 3, 3, stride=2, padding=1),
        nn.BatchNorm2d(3),
        nn.LeakyReLU(0.2),
        nn.MaxPool2D(2, stride=1),
        nn.Flatten(),
        nn.Dropout(0.3),
        nn.Dense(27, 5),
        nn.Softplus(),
        nn.Sequential(nn.Dense(5, 2), nn.Activation("tanh")),
    )
    x = np.random.default_rng(0).normal(size=(6, 1, 8, 8)).astype(np.float32)
    network.forward(x, training=True)  # moves BatchNorm's running statistics
    ml.save(network, tmp_path / "net.ml")
    loaded = ml.load(tmp_path / "net.ml")
    assert repr(loaded) == repr(network)
    np.testing.assert_array_equal(loaded.forward(x), network.forward(x))
    np.testing.assert_array_equal(
        loaded.forward(x, training=True), network.forward(x, training=True)
    )


def test_save_replaces_a_file_and_reports_a_missing_folder(tmp_path):
    SoftmaxClassifier(max_iter=1).fit(X_DIGITS, Y_DIGITS).save(tmp_path / "m.ml")
    MLPClassifier((4,), max_iter=1).fit(X_DIGITS, Y_DIGITS).save(tmp_path / "m.ml")
    assert isinstance(ml.load(tmp_path / "m.ml"), MLPClassifier)
    assert os.listdir(tmp_path) == ["m.ml"]  # no temporary file is left behind
    with pytest.raises(FileNotFoundError, match="does not exist"):
        SoftmaxClassifier().save(tmp_path / "missing" / "m.ml")
    with pytest.raises(FileNotFoundError, match="is not a file"):
        ml.load(tmp_path / "nothing.ml")


_SAVER = textwrap.dedent(
    """
    import sys
    import numpy as np
    import ml
    from ml import nn
    network = nn.Sequential(nn.Dense(5000, 5000, random_state=0), nn.ReLU())
    print("ready", flush=True)
    while True:
        ml.save(network, sys.argv[1])
    """
)


def test_a_save_killed_midway_leaves_the_previous_file_intact(tmp_path):
    path = tmp_path / "model.ml"
    previous = MLPClassifier((4,), max_iter=2, random_state=0).fit(X_DIGITS, Y_DIGITS)
    previous.save(path)
    child = subprocess.Popen([sys.executable, "-c", _SAVER, str(path)], stdout=subprocess.PIPE)
    try:
        assert child.stdout.readline().strip() == b"ready"
        deadline = time.monotonic() + 60
        while not any(name.endswith(".tmp") for name in os.listdir(tmp_path)):
            assert time.monotonic() < deadline, "the child never started saving"
            time.sleep(0.001)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    loaded = ml.load(path)  # the previous model, or a complete new one, never a torn file
    if isinstance(loaded, MLPClassifier):
        np.testing.assert_array_equal(
            loaded.predict_proba(X_DIGITS), previous.predict_proba(X_DIGITS)
        )
    else:
        assert loaded[0].params["W"].shape == (5000, 5000)


# --- hostile files ------------------------------------------------------------------------------


def _model_file(tmp_path, edit=None, arrays_edit=None):
    """A valid file of a small MLP, with its JSON description and arrays edited."""
    path = tmp_path / "hostile.ml"
    MLPClassifier((4,), max_iter=1, random_state=0).fit(X_DIGITS, Y_DIGITS).save(path)
    with zipfile.ZipFile(path) as archive:
        description = json.loads(archive.read("model.json"))
        entries = {n: archive.read(n) for n in archive.namelist() if n != "model.json"}
    if edit is not None:
        edit(description)
    if arrays_edit is not None:
        arrays_edit(entries)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("model.json", json.dumps(description))
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def _npy(array) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


class _CreatesAFile:
    """Unpickling this would create the file ``marker``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _dense_spec(description):
    return description["fitted"]["network_"]["__network__"]["layers"][0]


HOSTILE = {
    "truncated": (lambda tmp: _truncate(tmp, 0.5), "not an ml model file|truncated or corrupt"),
    "cut by a few bytes": (lambda tmp: _truncate(tmp, 0.999), "truncated or corrupt|not an ml"),
    "random bytes": (lambda tmp: _write(tmp, os.urandom(4096)), "not an ml model file"),
    "a PNG": (lambda tmp: _write(tmp, b"\x89PNG\r\n\x1a\n" + b"\0" * 100), "not an ml model file"),
    "an npz of numpy": (lambda tmp: _npz(tmp), "it has no model.json"),
    "a pickle that creates a file": (
        lambda tmp: _write(tmp, pickle.dumps(_CreatesAFile(tmp / "pwned"))),
        "not an ml model file",
    ),
    "a pickled object array inside": (
        lambda tmp: _model_file(
            tmp,
            arrays_edit=lambda e: e.update(
                {"arrays/classes_.npy": _npy(np.array([_CreatesAFile(tmp / "pwned")] * 10))}
            ),
        ),
        "dtype object; only numbers",
    ),
    "future format version": (
        lambda tmp: _model_file(tmp, lambda d: d.update(format_version=99)),
        "model format 99, by a newer ml",
    ),
    "invalid format version": (
        lambda tmp: _model_file(tmp, lambda d: d.update(format_version="1")),
        "invalid format_version",
    ),
    "wrong format tag": (
        lambda tmp: _model_file(tmp, lambda d: d.update(format="other")),
        "wrong format tag",
    ),
    "unknown layer": (
        lambda tmp: _model_file(tmp, lambda d: _dense_spec(d).update(type="Transformer")),
        "unknown type 'Transformer'",
    ),
    "shapes that do not match the arrays": (
        lambda tmp: _model_file(tmp, lambda d: _dense_spec(d)["config"].update(out_features=5)),
        "needs arrays of shapes",
    ),
    "huge layer sizes": (
        lambda tmp: _model_file(
            tmp, lambda d: _dense_spec(d)["config"].update(in_features=10**9, out_features=10**9)
        ),
        "needs arrays of shapes",
    ),
    "huge declared array shape": (
        lambda tmp: _model_file(
            tmp, arrays_edit=lambda e: e.update({"arrays/network_.0.W.npy": _huge_header()})
        ),
        "declares shape \\(1000000, 1000000\\)",
    ),
    "a compressed entry": (lambda tmp: _compressed(tmp), "is compressed"),
    "unknown estimator": (
        lambda tmp: _model_file(tmp, lambda d: d.update({"class": "Evil"})),
        "unknown estimator class 'Evil'",
    ),
    "invalid parameters": (
        lambda tmp: _model_file(tmp, lambda d: d["params"].update(max_iter=-3)),
        "max_iter must be an int >= 1",
    ),
    "a missing array": (
        lambda tmp: _model_file(tmp, arrays_edit=lambda e: e.pop("arrays/network_.0.b.npy")),
        "misses its array 'b'",
    ),
    "a bad random state": (
        lambda tmp: _model_file(
            tmp,
            lambda d: next(
                p for p in d["fitted"]["trainer_"]["__dict__"] if p[0] == "rng"
            ).__setitem__(1, {"__dict__": [["x", 1]]}),
        ),
        "not a PCG64 state",
    ),
    "not JSON": (lambda tmp: _zip(tmp, {"model.json": b"{not json"}), "not valid JSON"),
    "an unexpected entry": (
        lambda tmp: _zip(tmp, {"model.json": b"{}", "run.py": b"x"}),
        "unexpected entry 'run.py'",
    ),
}


def _write(tmp, data):
    (tmp / "hostile.ml").write_bytes(data)
    return tmp / "hostile.ml"


def _truncate(tmp, fraction):
    path = _model_file(tmp)
    data = path.read_bytes()
    return _write(tmp, data[: int(len(data) * fraction)])


def _npz(tmp):
    np.savez(tmp / "arrays.npz", a=np.arange(3))
    return _write(tmp, (tmp / "arrays.npz").read_bytes())


def _zip(tmp, entries, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(tmp / "hostile.ml", "w", compression=compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return tmp / "hostile.ml"


def _compressed(tmp):
    bomb = b"\0" * 50_000_000  # 50 MB of zeros compress to about 50 kB
    return _zip(tmp, {"model.json": b"{}", "arrays/x.npy": bomb}, zipfile.ZIP_DEFLATED)


def _huge_header() -> bytes:
    header = _npy(np.zeros((1, 1), np.float32))
    return header.replace(b"(1, 1)", b"(1000000, 1000000)")[: len(header)] + b"\0" * 4


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_files_give_a_clear_error_and_run_nothing(tmp_path, name):
    make, match = HOSTILE[name]
    path = make(tmp_path)
    with pytest.raises(InvalidModelFile, match=match):
        ml.load(path)
    assert not (tmp_path / "pwned").exists()


def test_the_catalogue_of_hostile_files_is_long_enough():
    assert len(HOSTILE) >= 12


FORMAT_1 = os.path.join(os.path.dirname(__file__), "data", "format1")


@pytest.mark.parametrize(
    "name, inputs",
    [
        ("mlp_adam", X_DIGITS[:20]),
        ("mlp_sgd_regressor", X_DIGITS[:20]),
        ("softmax", X_DIGITS[:20]),
        ("cnn", IMAGES[:20]),
    ],
)
def test_files_of_format_1_load_predict_and_train(name, inputs):
    """Files written by format 1 (which stored the curves and per-array Adam steps) still load,
    predict what they predicted when saved, and go on training."""
    model = ml.load(os.path.join(FORMAT_1, f"{name}.ml"))
    expected = np.load(
        os.path.join(FORMAT_1, f"{name}_{'pred' if 'regressor' in name else 'proba'}.npy")
    )
    outputs = model.predict(inputs) if "regressor" in name else model.predict_proba(inputs)
    # to float32 rounding: another machine's BLAS may sum the products in another order
    np.testing.assert_allclose(outputs, expected, rtol=2e-6, atol=1e-7)
    if hasattr(model, "partial_fit"):
        curve = len(model.loss_curve_)
        target = X_DIGITS[:200, 20] if "regressor" in name else Y_DIGITS[:200]
        model.partial_fit(IMAGES[:200] if name == "cnn" else X_DIGITS[:200], target)
        assert len(model.loss_curve_) == curve + 1 and model.n_iter_ == 1
    network = ml.load(os.path.join(FORMAT_1, "network.ml"))
    assert [type(layer).__name__ for layer in network] == [
        "Dense",
        "BatchNorm1d",
        "ReLU",
        "Dropout",
        "Dense",
    ]


FORMAT_2 = os.path.join(os.path.dirname(__file__), "data", "format2")


@pytest.mark.parametrize(
    "name, inputs",
    [
        ("mlp_adam", X_DIGITS[:20]),
        ("mlp_sgd_regressor", X_DIGITS[:20]),
        ("mlp_lbfgs_strings", X_DIGITS[:20]),
        ("softmax", X_DIGITS[:20]),
        ("cnn", IMAGES[:20]),
    ],
)
def test_files_of_format_2_load_and_predict_as_saved(name, inputs):
    """Files of format 2 (which kept the history, the generator and the optimizer's state apart,
    and the schedule's rate twice) load into one trainer and predict what they did."""
    model = ml.load(os.path.join(FORMAT_2, f"{name}.ml"))
    kind = "pred" if "regressor" in name else "proba"
    expected = np.load(os.path.join(FORMAT_2, f"{name}_{kind}.npy"))
    outputs = model.predict(inputs) if kind == "pred" else model.predict_proba(inputs)
    np.testing.assert_allclose(outputs, expected, rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["mlp_adam", "mlp_sgd_regressor"])
def test_files_of_format_2_go_on_training_where_they_stopped(name):
    """One more epoch of a loaded format-2 file takes the steps the saved model took in memory:
    the optimizer's moments and step count, the current (adapted) rate and the generator of the
    shuffles and dropout masks all came through."""
    model = ml.load(os.path.join(FORMAT_2, f"{name}.ml"))
    if "regressor" in name:
        assert model.trainer_.optimizer.learning_rate == pytest.approx(3.2e-7)  # adapted, kept
        model.partial_fit(X_DIGITS[300:400], X_DIGITS[300:400, 20])
        outputs, kind = model.predict(X_DIGITS[:20]), "pred"
    else:
        model.partial_fit(X_DIGITS[300:400], Y_DIGITS[300:400])
        outputs, kind = model.predict_proba(X_DIGITS[:20]), "proba"
    expected = np.load(os.path.join(FORMAT_2, f"{name}_continued_{kind}.npy"))
    np.testing.assert_allclose(outputs, expected, rtol=1e-5, atol=1e-6)
    network = ml.load(os.path.join(FORMAT_2, "network.ml"))
    np.testing.assert_allclose(
        network.predict(X_DIGITS[:20].astype(np.float32)),
        np.load(os.path.join(FORMAT_2, "network_out.npy")),
        rtol=2e-6,
        atol=1e-7,
    )


def test_saving_over_a_file_keeps_its_permissions_and_a_link_stays_a_link(tmp_path):
    model = MLPClassifier((4,), max_iter=1, random_state=0).fit(X_DIGITS, Y_DIGITS)
    private = tmp_path / "private.ml"
    model.save(private)
    os.chmod(private, 0o600)
    model.save(private)
    assert os.stat(private).st_mode & 0o777 == 0o600
    target, link = tmp_path / "models" / "target.ml", tmp_path / "link.ml"
    target.parent.mkdir()
    link.symlink_to(target)  # dangling until the first save
    ml.save(model, link)
    ml.save(model, link)
    assert link.is_symlink() and target.is_file()
    np.testing.assert_array_equal(ml.load(link).predict(X_DIGITS), model.predict(X_DIGITS))
    long_name = tmp_path / ("m" * 247 + ".ml")  # 250 characters, as the file system allows
    model.save(long_name)
    assert ml.load(long_name).n_iter_ == 1
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".tmp") == []


@pytest.mark.parametrize("path", [None, io.BytesIO(), 3])
def test_a_path_that_is_no_file_name_is_refused_by_name(path):
    model = MLPClassifier((4,), max_iter=1, random_state=0).fit(X_DIGITS, Y_DIGITS)
    with pytest.raises(TypeError, match="path must be a file name"):
        model.save(path)
    with pytest.raises(TypeError, match="path must be a file name"):
        ml.load(path)


def test_text_is_stored_exactly_nuls_included(tmp_path):
    """Labels and feature names come back exactly, even where a NumPy str array could not
    hold them (trailing NULs); the loaded model predicts the same labels."""
    pandas = pytest.importorskip("pandas")
    labels = np.array(["big\x00" if v > 4 else "small" for v in Y_DIGITS], dtype=object)
    frame = pandas.DataFrame(X_DIGITS[:, :6], columns=[f"x{i}\x00" for i in range(6)])
    model = MLPClassifier((4,), max_iter=2, random_state=0).fit(frame, labels)
    model.save(tmp_path / "m.ml")
    loaded = ml.load(tmp_path / "m.ml")
    assert list(loaded.classes_) == ["big\x00", "small"]
    assert list(loaded.feature_names_in_) == list(frame.columns)
    np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))


def _npy_declaring(shape: str, data_bytes: int) -> bytes:
    """A ``.npy`` entry whose header declares ``shape`` (as text), with ``data_bytes`` of data."""
    text = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }"
    text += " " * (-(len(text) + 11) % 64) + "\n"
    return (
        b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text.encode() + b"\0" * data_bytes
    )


def _with_entry(tmp_path, name, data, encrypted=False):
    """A valid model file with its entry ``name`` replaced by ``data``."""
    path = replace_entry(_model_file(tmp_path), name, data)
    if encrypted:  # set the entry's "encrypted" flag in both of its headers (zipfile cannot)
        raw = bytearray(path.read_bytes())
        key = name.encode()
        for signature, flags, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
            at = raw.find(signature)
            while at >= 0:
                if raw[at + name_at : at + name_at + len(key)] == key:
                    raw[at + flags] |= 0x1
                at = raw.find(signature, at + 1)
        path.write_bytes(bytes(raw))
    return path


@pytest.mark.parametrize(
    "name, data",
    [
        ("negative sizes", _npy_declaring("(-1, -4)", 16)),
        ("65 dimensions", _npy_declaring("(" + "1, " * 65 + ")", 4)),
        ("2**70 by 0", _npy_declaring(f"({2**70}, 0)", 0)),
        ("a boolean size", _npy_declaring("(True, 3)", 12)),
        ("a size that is text", _npy_declaring("('4', 1)", 16)),
    ],
)
def test_malformed_array_headers_are_invalid_files_naming_the_entry(tmp_path, name, data):
    path = _with_entry(tmp_path, "arrays/network_.0.b.npy", data)
    with pytest.raises(InvalidModelFile, match="network_.0.b"):
        ml.load(path)


def test_malformed_json_and_zip_entries_are_invalid_files_naming_the_entry(tmp_path):
    description = b'{"format": "ml-nn model", "format_version": ' + b"9" * 5000 + b"}"
    with pytest.raises(InvalidModelFile, match="model.json"):
        ml.load(_with_entry(tmp_path, "model.json", description))
    path = _with_entry(tmp_path, "arrays/network_.0.b.npy", _npy(np.zeros(4, np.float32)), True)
    with pytest.raises(InvalidModelFile, match="network_.0.b.npy"):
        ml.load(path)
