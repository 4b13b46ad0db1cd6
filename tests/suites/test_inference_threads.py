"""Inference keeps nothing: one fitted model predicts from many threads at once exactly as it
does from one, for networks of every layer kind, and no layer's attributes change."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import ml
from ml import ConvNetClassifier, MLPClassifier, MLPRegressor, SoftmaxClassifier, nn

X, Y = ml.datasets.load_digits()
X = (X / 16).astype(np.float32)
IMAGES = X.reshape(-1, 1, 8, 8)


def _every_layer_kind():
    return nn.Sequential(
        nn.Conv2D(1, 4, 3, padding="same", random_state=0),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2D(2),  # windows that tile the image
        nn.Conv2D(4, 6, 3, padding=1, random_state=1),  # more channels: the other im2col
        nn.Tanh(),
        nn.MaxPool2D(3, stride=1, padding=1),  # overlapping windows
        nn.AvgPool2D(2),
        nn.Dropout(0.3, random_state=0),
        nn.Sequential(nn.Flatten(), nn.Dense(24, 16, random_state=2)),  # nested
        nn.BatchNorm1d(16),
        nn.LeakyReLU(0.1),
        nn.Dense(16, 16, random_state=3),
        nn.Sigmoid(),
        nn.Dense(16, 8, random_state=4),
        nn.Softplus(),
        nn.Activation("relu"),
        nn.Identity(),
        nn.Dense(8, 3, random_state=5),
    )


def _trained(network, x):
    """A few training passes, so that batch norm's running statistics are not the defaults."""
    for _ in range(3):
        network.forward(x, training=True)
    return network


def _fitted_models():
    gap = nn.Sequential(
        nn.Conv2D(1, 3, 3, random_state=0), nn.ReLU(), nn.GlobalAvgPool2D(), nn.Dense(3, 10)
    )
    return {
        "network": (_trained(_every_layer_kind(), IMAGES[:64]).predict, IMAGES[:300]),
        "mlp": (
            MLPClassifier((16, 8), batch_norm=True, dropout=0.2, max_iter=3, random_state=0)
            .fit(X[:400], Y[:400])
            .predict_proba,
            X[:300],
        ),
        "regressor": (
            MLPRegressor(hidden_layer_sizes=(8,), batch_norm=True, max_iter=3, random_state=0)
            .fit(X[:400], X[:400, 20])
            .predict,
            X[:300],
        ),
        "cnn": (
            ConvNetClassifier(
                conv_layers=((4, 3),),
                hidden_layer_sizes=(8,),
                batch_norm=True,
                max_iter=2,
                random_state=0,
            )
            .fit(IMAGES[:300], Y[:300])
            .predict_proba,
            IMAGES[:300],
        ),
        "cnn_own_network": (
            ConvNetClassifier(network=gap, max_iter=2, random_state=0)
            .fit(IMAGES[:300], Y[:300])
            .predict_proba,
            IMAGES[:300],
        ),
        "softmax": (
            SoftmaxClassifier(max_iter=3, random_state=0).fit(X[:400], Y[:400]).predict_proba,
            X[:300],
        ),
    }


MODELS = _fitted_models()


def _layers_of(predict):
    owner = predict.__self__
    network = owner if isinstance(owner, nn.Sequential) else getattr(owner, "network_", None)
    return [] if network is None else list(network.all_layers())


@pytest.mark.parametrize("name", sorted(MODELS))
def test_many_threads_predict_as_one(name):
    predict, x = MODELS[name]
    batches = [x[i : i + 30 + i % 7] for i in range(0, 240, 12)]
    serial = [predict(batch) for batch in batches]
    before = [dict(vars(layer)) for layer in _layers_of(predict)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            parallel = list(pool.map(predict, batches))
            for got, expected in zip(parallel, serial, strict=True):
                np.testing.assert_array_equal(got, expected)
    for layer, state in zip(_layers_of(predict), before, strict=True):
        assert vars(layer).keys() == state.keys()
        assert all(vars(layer)[key] is value for key, value in state.items()), layer
