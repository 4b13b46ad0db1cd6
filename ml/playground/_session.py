"""One visitor's playground: the settings, the data, a real ``ml`` network trained by
``partial_fit`` one epoch at a time, and the frames that show it.

Nothing here knows about the web: the server turns messages into calls of :class:`Session` and its
frames into messages, so that all of it is tested without a browser.
"""

from __future__ import annotations

import base64
import math
import tempfile
from pathlib import Path

import numpy as np
from sklearn.metrics import log_loss

from ml import nn
from ml.estimators import MLPClassifier, MLPRegressor
from ml.functional import ACTIVATIONS as _FUNCTIONS
from ml.playground import _data
from ml.playground._data import EXTENT, FEATURES

MAX_LAYERS = 6  # a column of neuron maps each; more would not fit on a laptop's screen
MAX_NEURONS = 16  # per layer: each neuron's own map is computed and streamed in every frame
GRID = 48  # the decision regions: GRID x GRID evaluations of the network per frame
NEURON_GRID = 20  # each neuron's own map
OPTIMIZERS = {
    "adam": {"solver": "adam"},
    "sgd": {"solver": "sgd", "momentum": 0.0},
    "momentum": {"solver": "sgd", "momentum": 0.9, "nesterovs_momentum": True},
}
ACTIVATIONS = ("tanh", "relu", "sigmoid", "leaky_relu", "softplus", "identity")
assert set(ACTIVATIONS) == set(_FUNCTIONS)

DEFAULTS = {
    "dataset": "spirals",
    "noise": 0.1,
    "points": 400,
    "test": 0.3,
    "classes": 3,
    "features": ["x1", "x2"],
    "layers": [16, 16, 16],
    "activation": "relu",  # one name for every layer, or a list of one per layer
    "dropout": 0.0,
    "l2": 0.0,
    "optimizer": "adam",
    "lr": 0.01,
    "batch": 16,
    "seed": 0,
    "data": [],
}


def check_config(config) -> dict:
    """The settings a client sent, completed with the defaults and checked; a ``ValueError``
    names the setting that is wrong and why."""
    if not isinstance(config, dict):
        raise ValueError("config: expected an object of settings.")
    unknown = sorted(set(config) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"config: unknown settings {unknown}; known: {sorted(DEFAULTS)}.")
    c = {**DEFAULTS, **config}
    _choice("dataset", c["dataset"], _data.DATASETS)
    _choice("optimizer", c["optimizer"], tuple(OPTIMIZERS))
    _number(c, "noise", 0, 1)
    _number(c, "points", 10, _data.MAX_POINTS, integer=True)
    _number(c, "test", 0, 0.9)
    _number(c, "classes", 2, _data.MAX_CLASSES, integer=True)
    _number(c, "dropout", 0, 0.9)
    _number(c, "l2", 0, 10)
    _number(c, "lr", 1e-5, 10)
    _number(c, "batch", 1, _data.MAX_POINTS, integer=True)
    _number(c, "seed", 0, 2**31 - 1, integer=True)
    if not isinstance(c["features"], list) or not c["features"]:
        raise ValueError(f"features: choose at least one of {list(FEATURES)}.")
    for name in c["features"]:
        _choice("features", name, tuple(FEATURES))
    c["features"] = [name for name in FEATURES if name in c["features"]]
    layers = c["layers"]
    if not isinstance(layers, list) or len(layers) > MAX_LAYERS:
        raise ValueError(f"layers: a list of at most {MAX_LAYERS} hidden layer widths.")
    for width in layers:
        if isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= MAX_NEURONS:
            raise ValueError(f"layers: each width must be 1 to {MAX_NEURONS}; got {width!r}.")
    activation = c["activation"]
    if isinstance(activation, str):
        activation = [activation] * len(layers)
    if not isinstance(activation, list) or len(activation) != len(layers):
        raise ValueError("activation: one name per hidden layer.")
    for name in activation:
        _choice("activation", name, ACTIVATIONS)
    c["activation"] = activation
    if c["dataset"] == "custom":
        _data.custom(c["data"])  # checks the points
        if len(c["data"]) < 2:
            raise ValueError("data: draw or upload at least two points for the custom dataset.")
    else:
        c["data"] = []
    return c


def _choice(name, value, options):
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name}: expected one of {list(options)}; got {value!r}.")


def _number(c, name, low, high, *, integer=False):
    value = c[name]
    kind = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kind) or not math.isfinite(value):
        raise ValueError(
            f"{name}: expected {'an integer' if integer else 'a number'}; got {value!r}."
        )
    if not low <= value <= high:
        raise ValueError(f"{name}: must be between {low} and {high}; got {value!r}.")


class Session:
    """The data and the network of one visitor's settings; ``step()`` trains one epoch."""

    def __init__(self, config: dict):
        self.config = check_config(config)
        c = self.config
        if c["dataset"] == "custom":
            points, labels = _data.custom(c["data"])
        else:
            points, labels = _data.generate(
                c["dataset"], c["points"], c["noise"], c["classes"], c["seed"]
            )
        self.classification = _data.is_classification(np.asarray(labels))
        self.classes = np.unique(labels) if self.classification else None
        train, test = _data.split(
            labels if self.classification else None, len(points), c["test"], c["seed"]
        )
        self.points = {
            "train": (points[train], labels[train]),
            "test": (points[test], labels[test]),
        }
        self.X = {part: _data.features(p, c["features"]) for part, (p, _) in self.points.items()}
        self.reset()

    def reset(self) -> None:
        """A new network with fresh weights (the same seed: the same start), epoch 0."""
        c = self.config
        options = {
            "hidden_layer_sizes": tuple(c["layers"]),
            "activation": c["activation"],
            "alpha": c["l2"],
            "learning_rate_init": c["lr"],
            "batch_size": min(c["batch"], len(self.X["train"])),
            "dropout": c["dropout"],
            "random_state": c["seed"],
            **OPTIMIZERS[c["optimizer"]],
        }
        self.model = (MLPClassifier if self.classification else MLPRegressor)(**options)
        self.epoch = 0

    def step(self, epochs: int = 1) -> None:
        """Train ``epochs`` more epochs (minibatches of ``batch`` points) from where it stands."""
        X, (_, y) = self.X["train"], self.points["train"]
        for _ in range(epochs):
            if self.classification:
                self.model.partial_fit(X, y, classes=self.classes)
            else:
                self.model.partial_fit(X, y)
        self.epoch += epochs

    @property
    def updates_per_epoch(self) -> int:
        """Minibatch updates in one epoch: ceil(training points / batch)."""
        return math.ceil(len(self.X["train"]) / min(self.config["batch"], len(self.X["train"])))

    def data_message(self) -> dict:
        """The points (on the plane) and what kind of problem they are, sent once per setting."""
        return {
            "type": "data",
            "config": self.config,
            "task": "classification" if self.classification else "regression",
            "classes": [] if self.classes is None else self.classes.tolist(),
            "extent": EXTENT,
            **{
                part: {"x": np.round(p, 3).tolist(), "y": y.tolist()}
                for part, (p, y) in self.points.items()
            },
        }

    def frame(self) -> dict:
        """Everything the page draws for the current network: metrics, the decision regions, each
        neuron's own map and every weight. Before the first epoch there is no network yet: the
        frame holds the counters only."""
        if not hasattr(self.model, "network_"):
            return {"type": "frame", "epoch": 0, "updates": 0}
        return {
            "type": "frame",
            "epoch": self.epoch,
            "updates": self.epoch * self.updates_per_epoch,
            **self.metrics(),
            "regions": self._regions(),
            "neurons": self._neuron_maps(),
            "weights": [np.round(layer.params["W"], 4).tolist() for layer in self._dense()],
        }

    def metrics(self) -> dict:
        """Loss and score (accuracy, or R^2 for regression) on the training and test points."""
        out = {}
        for part, X in self.X.items():
            y = self.points[part][1]
            if len(y) == 0:
                out[f"{part}_loss"] = out[f"{part}_score"] = None
                continue
            if self.classification:
                proba = self.model.predict_proba(X)
                loss = log_loss(y, proba, labels=self.classes)
                score = np.mean(self.classes[proba.argmax(axis=1)] == y)
            else:  # squared error, and R^2 (0 where the targets are all alike)
                prediction = self.model.predict(X)
                loss = np.mean((prediction - y) ** 2)
                total = np.sum((y - y.mean()) ** 2)
                score = 1 - loss * len(y) / total if total > 0 else 0.0
            out[f"{part}_loss"], out[f"{part}_score"] = float(loss), float(score)
        return out

    def _grid(self, size: int) -> np.ndarray:
        """Points of the plane on a size x size grid, row 0 at the top (x2 = +6), as drawn."""
        ticks = np.linspace(-EXTENT, EXTENT, size)
        x1, x2 = np.meshgrid(ticks, ticks[::-1])
        return np.column_stack([x1.ravel(), x2.ravel()])

    def _regions(self) -> dict:
        X = _data.features(self._grid(GRID), self.config["features"])
        if self.classification:
            values = self.model.predict_proba(X).T  # (n_classes, GRID * GRID)
        else:
            values = (np.clip(self.model.predict(X), -1, 1)[None, :] + 1) / 2
        return {"size": GRID, "data": _bytes(values)}

    def _neuron_maps(self) -> list[list[str]]:
        """Per column (the inputs, then each hidden layer) the map of each unit over the plane,
        scaled by its largest magnitude to [-1, 1] and sent as bytes."""
        X = _data.features(self._grid(NEURON_GRID), self.config["features"])
        columns = [X, *nn.hidden_activations(self.model.network_, X.astype(self._dtype()))]
        maps = []
        for values in columns:
            largest = np.maximum(np.abs(values).max(axis=0), 1e-12)
            maps.append(
                [_bytes((values[:, j] / largest[j] + 1) / 2) for j in range(values.shape[1])]
            )
        return maps

    def _dense(self) -> list:
        return [layer for layer in self.model.network_.all_layers() if isinstance(layer, nn.Dense)]

    def _dtype(self):
        return self._dense()[0].params["W"].dtype

    def export(self, kind: str = "ml") -> bytes:
        """The trained model as a file: ``"ml"``, ml's own file that ``ml.load`` opens, whose
        inputs are the features, named in ``feature_names_in_`` by how they are computed from
        the plane's coordinates; or ``"onnx"``, the ONNX model, which names them in its
        metadata (``feature_names``), for onnxruntime."""
        if not hasattr(self.model, "network_"):
            raise ValueError("export: train at least one epoch first; there is no model yet.")
        names = _data.feature_labels(self.config["features"])
        if kind == "onnx":
            try:
                from ml.onnx import to_onnx
            except ImportError as error:
                raise ValueError(
                    "export: ONNX needs the onnx extra: pip install 'ml-nn[onnx]'."
                ) from error
            proto = to_onnx(self.model)
            proto.metadata_props.add(key="feature_names", value=",".join(names))
            return proto.SerializeToString()
        self.model.feature_names_in_ = np.array(names, dtype=object)
        try:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "playground.ml"
                self.model.save(path)
                return path.read_bytes()
        finally:
            del self.model.feature_names_in_


def _bytes(values: np.ndarray) -> str:
    """Values in [0, 1] as one byte each (0..255), base64: a frame stays small."""
    data = np.round(np.clip(values, 0, 1) * 255).astype(np.uint8)
    return base64.b64encode(data.tobytes()).decode("ascii")
