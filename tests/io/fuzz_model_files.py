"""A structure-aware fuzzer of the model file format, run by test_model_file_fuzz.py in a child
process whose address space is capped, so that a file that makes ``ml.load`` allocate on its
word fails the run instead of swapping the machine.

    python tests/io/fuzz_model_files.py EXAMPLES [SEED]

It saves valid files of every kind (estimators fitted and not, networks), then mutates them as
an attacker would: JSON values (numbers, signs, types, huge and non-finite values, nesting),
keys dropped and added, array shapes, dtypes and contents, entry names dropped, renamed and
duplicated. Every mutated file must either load into a model whose predictions are finite, or
raise ``ml.InvalidModelFile``. Prints one line: "fuzz: N examples, K loaded, R refused".
"""

from __future__ import annotations

import io
import json
import os
import resource
import sys
import tempfile
import warnings
import zipfile

import numpy as np
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

import ml
from ml import nn

HEADROOM = 1 << 30  # 1 GiB beyond what the process holds when the fuzzing starts

X, Y = ml.datasets.load_digits()
X, Y = X[:60] / 16, Y[:60]


def _valid_files(folder: str) -> dict[str, bytes]:
    """One saved file of each kind, as bytes."""
    models = {
        "mlp": ml.MLPClassifier((5,), max_iter=2, random_state=0, batch_norm=True).fit(X, Y),
        "mlp_sgd": ml.MLPClassifier((3,), solver="sgd", max_iter=2, dropout=0.2).fit(X, Y),
        "regressor": ml.MLPRegressor(hidden_layer_sizes=(4,), max_iter=2).fit(X, X[:, :2]),
        "lbfgs": ml.MLPClassifier((3,), solver="lbfgs", max_iter=3).fit(X, Y > 4),
        "softmax": ml.SoftmaxClassifier(max_iter=2).fit(X, Y),
        "cnn": ml.ConvNetClassifier(((2, 3),), hidden_layer_sizes=(3,), max_iter=1).fit(
            X.reshape(-1, 8, 8), Y
        ),
        "unfitted": ml.MLPClassifier((7, 3), activation=["tanh", "relu"]),
        "network": nn.Sequential(
            nn.Conv2D(1, 2, 3, padding=1),
            nn.BatchNorm2d(2),
            nn.ReLU(),
            nn.MaxPool2D(2),
            nn.Flatten(),
            nn.Dropout(0.1),
            nn.Dense(32, 3),
        ),
    }
    files = {}
    for name, model in models.items():
        path = os.path.join(folder, f"{name}.ml")
        ml.save(model, path)
        with open(path, "rb") as f:
            files[name] = f.read()
    return files


def _entries(data: bytes) -> tuple[dict, dict[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        description = json.loads(archive.read("model.json"))
        return description, {n: archive.read(n) for n in archive.namelist() if n != "model.json"}


def _pack(description, entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("model.json", json.dumps(description))
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _paths(value, prefix=()):
    """Every path to a value inside the JSON tree."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _paths(child, (*prefix, i))


def _get(tree, path):
    for key in path:
        tree = tree[key]
    return tree


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _set(tree, path, value):
    for key in path[:-1]:
        tree = tree[key]
    tree[path[-1]] = value


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.sampled_from([0, -1, 1, 2, 3, 7, 2**31, 10**9, 10**40, -(10**9)])
    | st.sampled_from([0.0, -0.5, 0.5, 1e-300, 1e300, float("nan"), float("inf"), -float("inf")])
    | st.sampled_from(["", "relu", "Dense", "Sequential", "float16", "object", "__array__", "x"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(["__tuple__", "__array__", "type", "a"]), children)
    ),
    max_leaves=8,
)
NUMBERS = st.sampled_from(
    [0, -1, 1, 2, 3, 10**4, 10**6, 10**9, 2**63, -(2**31), 10**40, 0.5, 1e300]
)
ARRAYS = st.one_of(
    st.builds(np.zeros, st.tuples(st.integers(0, 70), st.integers(1, 70))),
    st.builds(lambda n: np.full(n, np.nan), st.integers(0, 70)),
    st.builds(lambda n: np.full(n, 1e308), st.integers(1, 70)),
    st.builds(lambda: np.arange(6, dtype=np.int8).reshape(2, 3)),
    st.builds(lambda: np.array(["a", "b"])),
    st.builds(lambda: np.zeros((2, 2), np.float16)),
    st.builds(lambda: np.zeros(3, np.complex128)),
    st.builds(lambda: np.array([True, False])),
    st.builds(lambda: np.zeros((1, 1, 1, 70000), np.float32)),
)


@st.composite
def mutated(draw, files):
    """A valid file of some kind with one to three structural mutations."""
    description, entries = _entries(files[draw(st.sampled_from(sorted(files)))])
    for _ in range(draw(st.integers(1, 3))):
        kinds = ["number", "number", "value", "drop key", "array", "rename", "drop", "copy"]
        kind = draw(st.sampled_from(kinds))
        paths = [p for p in _paths(description) if p]
        numbers = [p for p in paths if _is_number(_get(description, p))]
        if kind == "number" and numbers:  # sizes, paddings, rates, counters: the usual targets
            _set(description, draw(st.sampled_from(numbers)), draw(NUMBERS))
        elif kind == "value" and paths:
            _set(description, draw(st.sampled_from(paths)), draw(JSON_VALUES))
        elif kind == "drop key" and paths:
            path = draw(st.sampled_from(paths))
            parent = description
            for key in path[:-1]:
                parent = parent[key]
            parent.pop(path[-1]) if isinstance(parent, dict | list) else None
        elif entries:
            name = draw(st.sampled_from(sorted(entries)))
            if kind == "array":
                entries[name] = _npy(draw(ARRAYS))
            elif kind == "rename":
                entries[name.replace(".npy", "x.npy")] = entries.pop(name)
            elif kind == "drop":
                entries.pop(name)
            else:
                other = draw(st.sampled_from(sorted(entries)))
                entries[other] = entries[name]
    return _pack(description, entries)


def _check(model) -> None:
    """A loaded model must predict finite numbers (or refuse the input with a clear error)."""
    if isinstance(model, nn.Sequential):
        first = next(model.all_layers(), None)
        if isinstance(first, nn.Dense):
            inputs = np.full((2, first.in_features), 0.5, np.float32)
        elif isinstance(first, nn.Conv2D):
            inputs = np.full((2, first.in_channels, 8, 8), 0.5, np.float32)
        else:
            return
        try:
            outputs = model.predict(inputs)
        except ValueError:
            return  # a clear refusal of this input (it does not fit the layers)
        assert np.isfinite(outputs).all(), "a loaded network predicted NaN or infinity"
        return
    if not hasattr(model, "n_features_in_"):
        return
    inputs = np.zeros((3, model.n_features_in_)) + 0.5
    try:
        outputs = model.predict_proba(inputs) if hasattr(model, "predict_proba") else None
        outputs = model.predict(inputs) if outputs is None else outputs
    except ValueError:
        return  # a clear refusal of this input
    if np.asarray(outputs).dtype.kind == "f":
        assert np.isfinite(outputs).all(), "a loaded model predicted NaN or infinity"


def main(examples: int, random_seed: int) -> None:
    warnings.simplefilter("ignore")
    folder = tempfile.mkdtemp()
    files = _valid_files(folder)
    _, used = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/status") as status:
        size_kb = next(int(line.split()[1]) for line in status if line.startswith("VmSize"))
    resource.setrlimit(resource.RLIMIT_AS, (size_kb * 1024 + HEADROOM, used))
    counts = {"loaded": 0, "refused": 0}
    path = os.path.join(folder, "mutated.ml")

    @seed(random_seed)
    @settings(
        max_examples=examples,
        deadline=2000,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(mutated(files))
    def fuzz(data):
        with open(path, "wb") as f:
            f.write(data)
        try:
            model = ml.load(path)
        except ml.InvalidModelFile:
            counts["refused"] += 1
            return
        counts["loaded"] += 1
        _check(model)

    fuzz()
    total = counts["loaded"] + counts["refused"]
    print(f"fuzz: {total} examples, {counts['loaded']} loaded, {counts['refused']} refused")


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 0)
