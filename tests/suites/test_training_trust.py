"""Training that fails loudly and loses nothing: divergence, memory, reproducibility."""

import tracemalloc

import numpy as np
import pytest

from ml import (
    ConvNetClassifier,
    DivergenceError,
    MLPClassifier,
    MLPRegressor,
    SoftmaxClassifier,
    datasets,
)
from ml.train import Callback

X, Y = datasets.load_digits()
X = X / 16
IMAGES = X.reshape(-1, 8, 8)


class MemoryProbe(Callback):
    """Records the memory traced by tracemalloc at the end of each epoch."""

    def __init__(self):
        self.traced = []

    def on_epoch_end(self, model, epoch, history):
        self.traced.append(tracemalloc.get_traced_memory()[0])


@pytest.mark.parametrize(
    "make, data",
    [
        (
            lambda probe: MLPClassifier(
                (64, 64),
                max_iter=40,
                n_iter_no_change=100,
                dropout=0.1,
                callbacks=[probe],
                random_state=0,
            ),
            X,
        ),
        (
            lambda probe: ConvNetClassifier(
                ((8, 3),),
                max_iter=12,
                n_iter_no_change=100,
                batch_norm=True,
                callbacks=[probe],
                random_state=0,
            ),
            IMAGES,
        ),
    ],
)
def test_memory_stays_flat_across_epochs(make, data):
    probe = MemoryProbe()
    tracemalloc.start()
    try:
        make(probe).fit(data, Y)
    finally:
        tracemalloc.stop()
    settled = probe.traced[3:]
    # the only growth allowed is the per-epoch history: a few floats an epoch
    assert max(settled) - min(settled) < 256 * 1024, probe.traced


ESTIMATORS = [
    lambda: SoftmaxClassifier(max_iter=3, random_state=7),
    lambda: MLPClassifier((16,), max_iter=3, dropout=0.2, random_state=7),
    lambda: MLPClassifier((16,), max_iter=3, solver="sgd", early_stopping=True, random_state=7),
    lambda: MLPRegressor(hidden_layer_sizes=(16,), max_iter=3, random_state=7),
    lambda: ConvNetClassifier(((4, 3),), max_iter=2, batch_norm=True, random_state=7),
]


def _weights(model):
    if hasattr(model, "network_"):
        return model.network_.parameters()
    return [model.coef_, model.intercept_]


@pytest.mark.parametrize("make", ESTIMATORS)
def test_same_random_state_gives_identical_weights(make):
    data = IMAGES if isinstance(make(), ConvNetClassifier) else X
    first, second = make().fit(data, Y), make().fit(data, Y)
    for a, b in zip(_weights(first), _weights(second), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "make, data",
    [
        (
            lambda: MLPRegressor(
                hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=1e6, momentum=0.0
            ),
            X,
        ),
        (
            lambda: ConvNetClassifier(
                ((4, 3),), solver="sgd", learning_rate_init=1e9, momentum=0.0
            ),
            IMAGES,
        ),
        (lambda: SoftmaxClassifier(learning_rate=1e12), X),
    ],
)
def test_divergence_stops_with_a_clear_error_and_finite_weights(make, data):
    model = make()
    with np.errstate(all="ignore"), pytest.raises(DivergenceError, match="learning rate"):
        model.fit(data * 1e3, Y)
    assert all(np.isfinite(w).all() for w in _weights(model))
    assert issubclass(DivergenceError, ValueError) and issubclass(
        DivergenceError, FloatingPointError
    )
