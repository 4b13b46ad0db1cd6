"""One code path on every array library: layers, losses, optimizers, the training loop and the
estimators run on NumPy, on ``array_api_strict`` (which refuses anything non-standard) and on
PyTorch CPU tensors in float32 and float64, and agree with NumPy.

The gradients are checked against central differences in the namespace itself (float64); float32
runs are compared with the NumPy result of the same computation.
"""

import copy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sklearn
from sklearn.datasets import load_digits

from ml import (
    ConvNetClassifier,
    ConvNetRegressor,
    MLPClassifier,
    MLPRegressor,
    SoftmaxClassifier,
    backend,
    check_gradient,
    nn,
)
from ml.nn.losses import LOSSES
from ml.optim import SGD, Adam, RMSProp
from ml.train import Callback, train

array_api_strict = pytest.importorskip("array_api_strict")
torch = pytest.importorskip("torch")

NAMESPACES = {
    "numpy-float64": (np, "float64"),
    "array_api_strict-float64": (array_api_strict, "float64"),
    "torch-float32": (torch, "float32"),
    "torch-float64": (torch, "float64"),
}


@pytest.fixture(params=list(NAMESPACES))
def ns(request):
    """``(to, float64)``: ``to(a)`` puts a NumPy array into the namespace under test (floats in
    its dtype), ``float64`` whether the namespace computes in float64."""
    library, dtype = NAMESPACES[request.param]
    xp = backend.array_namespace(library.asarray([1.0]))

    def to(a):
        a = np.asarray(a)
        return backend.move(a.astype(dtype) if a.dtype.kind == "f" else a, xp)

    return to, dtype == "float64"


def numpy_of(a):
    return np.asarray(backend.to_numpy(a), dtype=np.float64)


@pytest.mark.parametrize(
    "shape, dtype, order",
    [
        ((784, 256), np.float32, "C"),  # the dot product: W2's first weights
        ((3, 4), np.float64, "F"),  # not contiguous as rows: flattened by a copy
        ((0, 5), np.float32, "C"),
        ((20, 10), np.float16, "C"),  # the plain formula: other dtypes
        ((20, 10), np.int64, "C"),
    ],
)
def test_the_sum_of_squares_is_the_plain_formula(shape, dtype, order):
    """sum_squares(x) is np.sum(x * x), to rounding, in x's dtype; NaN and infinity make it
    so, whichever path the array takes."""
    from ml.backend import sum_squares

    x = np.asarray(np.random.default_rng(0).standard_normal(shape) * 3, dtype=dtype, order=order)
    plain = np.sum(x * x)
    total = sum_squares(x)
    assert np.asarray(total).shape == () and np.asarray(total).dtype == plain.dtype
    rtol = 1e-2 if dtype == np.float16 else 1e-5
    np.testing.assert_allclose(total, plain, rtol=rtol)
    if x.dtype.kind == "f" and x.size:
        for bad in (np.nan, np.inf):
            y = x.copy(order=order)
            y.flat[-1] = bad
            np.testing.assert_array_equal(sum_squares(y), np.sum(y * y))


@pytest.mark.parametrize(
    "dtypes, orders",
    [
        ((np.float32, np.float32), "CC"),  # the dot product: a cross-entropy's sum(Y log q)
        ((np.float64, np.float64), "FC"),  # one flattened by a copy: the pairs stay pairs
        ((np.float32, np.float64), "CC"),  # the plain formula: mixed dtypes
        ((np.int64, np.int64), "CC"),
    ],
)
def test_the_sum_of_products_is_the_plain_formula(dtypes, orders):
    """sum_products(a, b) is np.sum(a * b), to rounding, whatever the two arrays' layouts and
    dtypes; NaN and infinity make it so; arrays of two shapes are broadcast, as the formula."""
    from ml.backend import sum_products

    rng = np.random.default_rng(1)
    a, b = (
        np.asarray(rng.standard_normal((30, 7)) * 3, dtype=dtype, order=order)
        for dtype, order in zip(dtypes, orders, strict=True)
    )
    plain = np.sum(a * b)
    total = sum_products(a, b)
    assert np.asarray(total).shape == () and np.asarray(total).dtype == plain.dtype
    scale = np.sum(np.abs(a * b))  # the terms cancel: rounding is relative to their size
    np.testing.assert_allclose(total, plain, atol=1e-5 * scale)
    np.testing.assert_allclose(sum_products(a, b[:1]), np.sum(a * b[:1]), atol=1e-5 * scale)
    if a.dtype.kind == "f":
        a[3, 2], b[3, 2] = np.inf, 0.0
        with np.errstate(invalid="ignore"):
            assert np.isnan(sum_products(a, b)) and np.isnan(np.sum(a * b))


def test_the_sum_of_squares_of_a_tensor_is_the_plain_formula():
    torch = pytest.importorskip("torch")
    from ml.backend import sum_squares

    x = torch.linspace(-2, 2, 12, dtype=torch.float64).reshape(3, 4)
    total = sum_squares(x)
    assert isinstance(total, torch.Tensor) and total.dtype == torch.float64
    assert torch.allclose(total, (x * x).sum())


def _formula(a, x, b, y):
    """``a x + b y`` in float64, rounded to y's dtype, and the rounding allowed: a few units
    of the last place of ``|a x| + |b y|`` (a sum that cancels keeps the error of its terms)."""
    with np.errstate(invalid="ignore"):
        terms = (a * x.astype(np.float64), b * y.astype(np.float64))
        bound = 4 * np.finfo(y.dtype).eps * (np.abs(terms[0]) + np.abs(terms[1]))
    return (terms[0] + terms[1]).astype(y.dtype), bound


def _assert_formula(y, expected):
    expected, bound = expected
    assert np.array_equal(np.isnan(y), np.isnan(expected))
    finite = np.isfinite(expected)
    assert np.array_equal(y[~finite & ~np.isnan(y)], expected[~finite & ~np.isnan(expected)])
    assert np.all(np.abs(y[finite].astype(np.float64) - expected[finite]) <= bound[finite])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1000, 70_000])  # NumPy's passes, and the BLAS call
@pytest.mark.parametrize(("a", "b"), [(0.1, 0.9), (-1e-3, 1), (2.0, 0.0), (0.0, 0.5)])
@pytest.mark.parametrize("blas", [True, False])  # False: as where NumPy has another BLAS
def test_axpby_is_the_plain_formula(dtype, n, a, b, blas, monkeypatch):
    """axpby(a, x, b, y) makes y a x + b y in place, in y's dtype, whichever lane it takes; a
    NaN or infinity carries as in the formula, a 0 of a or b included (0 * NaN is NaN)."""
    from ml import backend
    from ml.backend import axpby

    if not blas:
        monkeypatch.setattr(backend, "blas_routines", lambda: None)
    rng = np.random.default_rng(0)
    x, y = (rng.standard_normal(n).astype(dtype) for _ in range(2))
    x[3], y[5], x[7] = np.nan, np.nan, np.inf
    expected = _formula(a, x, b, y)
    with np.errstate(invalid="ignore"):  # 0 * inf, as the formula makes it
        out = axpby(a, x, b, y)
    assert out is y and y.dtype == dtype
    _assert_formula(y, expected)


def _blas_calls(monkeypatch) -> list:
    """The names of the BLAS routines that ml.backend calls from now on, in order (each still
    called); skips where NumPy's BLAS is not the OpenBLAS of its wheels."""
    from ml import _blas, backend

    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]
    if blas not in ("scipy-openblas", "openblas64"):  # NumPy 2's wheels, and 1.26's
        pytest.skip(f"NumPy is built with {blas}, which ml._blas leaves to NumPy's passes")
    found, calls = _blas.routines(), []
    assert found is not None

    def spy(name, function):
        return lambda *args: (calls.append(name), function(*args))[1]

    spied = {dtype: {n: spy(n, f) for n, f in fs.items()} for dtype, fs in found.items()}
    monkeypatch.setattr(backend, "blas_routines", lambda: spied)
    return calls


def test_axpby_takes_numpys_blas_where_numpy_ships_openblas(monkeypatch):
    """Where NumPy was built with its wheels' OpenBLAS, ml._blas finds it, and a large
    contiguous pair takes axpby (axpy with b = 1); small arrays, views that overlap shifted,
    strided views, mixed dtypes, shapes that broadcast and a zero rate take NumPy's passes, all
    with the formula's numbers."""
    from ml.backend import axpby

    calls = _blas_calls(monkeypatch)
    rng = np.random.default_rng(1)
    x, y = (rng.standard_normal((300, 300)).astype(np.float32) for _ in range(2))
    for b, name in ((0.75, "axpby"), (1, "axpy")):
        expected = _formula(0.5, x, b, y)
        axpby(0.5, x, b, y)
        _assert_formula(y, expected)
        assert calls.pop() == name
    buffer = rng.standard_normal(90_001).astype(np.float32)
    cases = [
        (x[:100], y[:100]),  # 30,000 values: NumPy's passes are as fast
        (buffer[1:], buffer[:-1]),  # shifted views of one buffer
        (x[:, ::2].copy(), y[:, ::2]),  # y strided
        (x.astype(np.float64), y),  # mixed dtypes
        (x[:1], y),  # a row broadcast over y
    ]
    for xs, ys in cases:
        expected = _formula(0.5, xs, 0.75, ys)
        axpby(0.5, xs, 0.75, ys)
        _assert_formula(ys, expected)
    axpby(0.0, x, 0.75, y)
    assert calls == []
    expected = _formula(0.5, y, 0.75, y)
    axpby(0.5, y, 0.75, y)  # the same array: one BLAS call
    _assert_formula(y, expected)
    assert calls == ["axpby"]
    read_only = y.copy()
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        axpby(0.5, x, 0.75, read_only)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(10, 7), (10_000, 20), (0, 5)])
@pytest.mark.parametrize("blas", [True, False])  # False: as where NumPy has another BLAS
def test_add_to_rows_is_numpys_sum_bit_for_bit(dtype, shape, blas, monkeypatch):
    """add_to_rows(y, b) is NumPy's y += b exactly, in place, a NaN or infinity carried."""
    from ml import backend
    from ml.backend import add_to_rows

    if not blas:
        monkeypatch.setattr(backend, "blas_routines", lambda: None)
    rng = np.random.default_rng(2)
    y = rng.standard_normal(shape).astype(dtype)
    b = rng.standard_normal(shape[1]).astype(dtype)
    if y.size:
        y[1, 2], b[3] = np.nan, np.inf
    expected = y + b
    assert add_to_rows(y, b) is y
    np.testing.assert_array_equal(y, expected)


def test_add_to_rows_takes_numpys_blas_where_numpy_ships_openblas(monkeypatch):
    """A large contiguous y and its row of bias take one BLAS rank-one update; a strided y, a
    bias of another dtype, a bias that is y's own memory, and a small y take NumPy's sum."""
    from ml.backend import add_to_rows

    calls = _blas_calls(monkeypatch)
    rng = np.random.default_rng(3)
    y = rng.standard_normal((2000, 100)).astype(np.float32)
    b = rng.standard_normal(100).astype(np.float32)
    expected = y + b
    add_to_rows(y, b)
    np.testing.assert_array_equal(y, expected)
    assert calls == ["ger"]
    cases = [(y[:, :50], b[:50]), (y, b.astype(np.float64)), (y, y[5]), (y[:100], b)]
    for ys, bs in cases:
        expected = ys.copy()
        expected += bs  # NumPy's in-place sum, in y's dtype
        add_to_rows(ys, bs)
        np.testing.assert_array_equal(ys, expected)
    assert calls == ["ger"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int64])
@pytest.mark.parametrize(
    "shape",
    [(200, 64), (3, 6, 5, 5), (1, 7), (0, 4), (9,), (600, 500)],
    ids=["rows", "4-D", "one", "empty", "1-D", "past-the-zeros"],
)
@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_relu_is_the_maximum_with_zero(dtype, shape, layout):
    """ml.backend.relu(x) is np.maximum(x, 0) bit for bit (NaN and infinities kept, the sign of
    a zero as NumPy's) in every layout, without touching x; with overwrite=True the same numbers
    written over x."""
    from ml.backend import relu

    rng = np.random.default_rng(4)
    x = (10 * rng.standard_normal(shape)).astype(dtype)
    if layout == "F":
        x = np.asfortranarray(x)
    elif layout == "strided":
        x = np.repeat(x, 2, axis=-1)[..., ::2]
    if x.dtype.kind == "f" and x.size > 3:
        x.flat[:4] = [np.nan, -np.inf, np.inf, -0.0]
    before = x.copy()
    y = relu(x)
    expected = np.maximum(x, 0)
    assert y.dtype == expected.dtype and y.shape == expected.shape
    np.testing.assert_array_equal(y, expected)
    np.testing.assert_array_equal(np.signbit(y), np.signbit(expected))  # -0 as NumPy's
    np.testing.assert_array_equal(x, before)
    over = relu(x, overwrite=True)  # the same numbers, written over x itself
    assert over.shape == x.shape and over.strides == x.strides
    assert x.size == 0 or np.shares_memory(over, x)
    np.testing.assert_array_equal(x, expected)
    np.testing.assert_array_equal(np.signbit(x), np.signbit(expected))


def test_the_constants_behind_relu_and_the_sums_stay_read_only_and_what_they_are():
    """relu's zeros and the sums' ones come from one read-only array per value and dtype that
    grows to the largest size asked for: sizes up and down give NumPy's numbers, and the arrays
    are never written (ReLU in place writes over x, not over its zeros)."""
    from ml import backend
    from ml.backend import relu, sum_last, sum_rows

    rng = np.random.default_rng(5)
    for rows in (3, 700, 40, 5000, 1):
        x = rng.standard_normal((rows, 9)).astype(np.float32)
        expected = np.maximum(x, 0)
        np.testing.assert_array_equal(relu(x, overwrite=True), expected)
        np.testing.assert_array_equal(x, expected)
        np.testing.assert_allclose(sum_rows(x), x.sum(axis=0), rtol=1e-5)
        np.testing.assert_allclose(sum_last(x), x.sum(axis=-1, keepdims=True), rtol=1e-5)
    for (value, dtype), held in backend._CONSTANTS.items():
        assert not held.flags.writeable and held.dtype == dtype
        assert np.all(held == value)
    zeros = backend._constant(0, (2, 3), np.dtype(np.float32))
    with pytest.raises(ValueError, match="read-only"):
        zeros[0, 0] = 1.0


def test_relu_of_a_tensor_is_the_maximum_with_zero():
    """On another library's arrays relu is maximum(x, 0) too: relu(-inf) is 0, a NaN kept."""
    torch = pytest.importorskip("torch")
    from ml.backend import relu

    x = torch.tensor([[np.nan, -np.inf, np.inf, -0.0, -2.5, 3.0]])
    expected = np.maximum(x.numpy(), 0)
    np.testing.assert_array_equal(relu(x).numpy(), expected)
    assert torch.equal(x[0, 4:], torch.tensor([-2.5, 3.0]))  # x itself unchanged


def test_axpby_of_tensors_is_the_plain_formula():
    torch = pytest.importorskip("torch")
    from ml.backend import axpby

    x, y = torch.linspace(-2, 2, 100_000, dtype=torch.float64), torch.ones(100_000)
    expected = 0.5 * x.float() + 0.25 * y
    assert axpby(0.5, x.float(), 0.25, y) is y
    assert torch.allclose(y, expected)


LAYERS = {
    "Dense": (lambda: nn.Dense(4, 3, random_state=0, dtype=np.float64), (5, 4)),
    "ReLU": (nn.ReLU, (5, 4)),
    "LeakyReLU": (lambda: nn.LeakyReLU(0.1), (5, 4)),
    "Tanh": (nn.Tanh, (5, 4)),
    "Sigmoid": (nn.Sigmoid, (5, 4)),
    "Softplus": (nn.Softplus, (5, 4)),
    "Identity": (nn.Identity, (5, 4)),
    "BatchNorm1d": (lambda: nn.BatchNorm1d(4, dtype=np.float64), (6, 4)),
    "Flatten": (nn.Flatten, (2, 2, 3, 3)),
    "Conv2D": (
        lambda: nn.Conv2D(2, 3, 3, padding=1, random_state=0, dtype=np.float64),
        (2, 2, 5, 5),
    ),
    "Conv2D-many-channels": (
        lambda: nn.Conv2D(5, 3, 3, padding=1, random_state=0, dtype=np.float64),
        (2, 5, 4, 4),
    ),
    "Conv2D-strided": (
        lambda: nn.Conv2D(2, 2, (2, 3), stride=2, random_state=0, dtype=np.float64),
        (2, 2, 6, 7),
    ),
    "MaxPool2D-tiled": (lambda: nn.MaxPool2D(2), (2, 2, 4, 6)),
    "MaxPool2D-overlapping": (lambda: nn.MaxPool2D(3, stride=2, padding=1), (2, 2, 5, 5)),
    "AvgPool2D": (lambda: nn.AvgPool2D(2, stride=1, padding=1), (2, 2, 4, 4)),
    "GlobalAvgPool2D": (nn.GlobalAvgPool2D, (2, 3, 4, 4)),
    "BatchNorm2d": (lambda: nn.BatchNorm2d(2, dtype=np.float64), (3, 2, 3, 3)),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_forward_and_backward_agree_with_numpy_and_central_differences(name, ns):
    to, float64 = ns
    make, shape = LAYERS[name]
    x = np.random.default_rng(0).normal(size=shape)
    reference, layer = make(), make()
    layer.to(backend.array_namespace(to(x)))
    if not float64:  # the layer computes in float32
        for key, value in layer.params.items():
            layer.params[key] = backend.move(
                numpy_of(value).astype(np.float32), backend.array_namespace(value)
            )
    y_ref = reference.forward(x, training=True)
    R = np.random.default_rng(1).normal(size=y_ref.shape)
    dx_ref = reference.backward(R)
    y, dx = layer.forward(to(x), training=True), None
    dx = layer.backward(to(R))
    assert type(y) is type(to(x)) and type(dx) is type(to(x))
    tolerance = 1e-10 if float64 else 1e-4
    np.testing.assert_allclose(numpy_of(y), y_ref, atol=tolerance)
    np.testing.assert_allclose(numpy_of(dx), dx_ref, atol=tolerance)
    for key in reference.params:
        np.testing.assert_allclose(numpy_of(layer.grads[key]), reference.grads[key], atol=tolerance)
    if float64:  # the analytic gradient against central differences, computed in the namespace
        xp = backend.array_namespace(to(x))

        def f(value):
            return float(xp.sum(to(R) * layer.forward(to(value), training=True)))

        assert check_gradient(f, x, numpy_of(dx)) < 1e-6


def test_dropout_masks_are_drawn_where_the_input_lives(ns):
    to, _ = ns
    x = to(np.ones((200, 50)))
    layer = nn.Dropout(0.25, random_state=0)
    y = layer.forward(x, training=True)
    assert type(y) is type(x)
    kept = numpy_of(y) != 0
    assert 0.7 < kept.mean() < 0.8
    np.testing.assert_allclose(numpy_of(y)[kept], 1 / 0.75)
    np.testing.assert_array_equal(numpy_of(layer.backward(x)), numpy_of(y))
    again = nn.Dropout(0.25, random_state=0).forward(x, training=True)
    np.testing.assert_array_equal(numpy_of(again), numpy_of(y))  # same seed, same mask


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("weighted", [False, True])
def test_losses_and_their_gradients_agree_with_numpy(name, weighted, ns):
    to, float64 = ns
    rng = np.random.default_rng(0)
    f = rng.normal(size=(6, 3))
    Y = np.eye(3)[rng.integers(0, 3, 6)] if name != "squared_error" else rng.normal(size=(6, 3))
    w = rng.uniform(0.5, 2, 6) if weighted else None
    loss = LOSSES[name]()
    expected, expected_grad = loss.forward(f, Y, w), loss.backward()
    value = loss.forward(to(f), to(Y), None if w is None else to(w))
    grad = loss.backward()
    assert type(grad) is type(to(f))
    tolerance = 1e-12 if float64 else 1e-5
    assert float(value) == pytest.approx(float(expected), abs=tolerance, rel=tolerance)
    np.testing.assert_allclose(numpy_of(grad), expected_grad, atol=tolerance)


@pytest.mark.parametrize(
    "make",
    [
        lambda: SGD(0.1),
        lambda: SGD(0.1, momentum=0.9),
        lambda: SGD(0.1, momentum=0.9, nesterov=True),
        lambda: Adam(0.01),
        lambda: RMSProp(0.01),
    ],
    ids=["sgd", "momentum", "nesterov", "adam", "rmsprop"],
)
def test_optimizer_steps_agree_with_numpy(make, ns):
    to, float64 = ns
    rng = np.random.default_rng(0)
    params, grads = [rng.normal(size=(3, 2)), rng.normal(size=2)], []
    mine = [to(p) for p in params]
    reference, optimizer = make(), make()
    for _ in range(3):
        grads = [rng.normal(size=p.shape) for p in params]
        reference.step(params, grads)
        optimizer.step(mine, [to(g) for g in grads])
    for a, b in zip(mine, params, strict=True):
        assert type(a) is type(to(b))
        np.testing.assert_allclose(numpy_of(a), b, atol=1e-12 if float64 else 1e-5)


class NoHostCopies(Callback):
    """Makes every conversion of a torch tensor to NumPy an error while training runs."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch

    def on_train_begin(self, model):
        def refuse(*args, **kwargs):
            raise AssertionError("a tensor was copied to the host inside the training loop")

        for name in ("__array__", "numpy", "tolist", "cpu"):
            self.monkeypatch.setattr(torch.Tensor, name, refuse)
        to_numpy = backend.to_numpy
        self.monkeypatch.setattr(
            backend,
            "to_numpy",
            lambda x: refuse() if not isinstance(x, np.ndarray) else to_numpy(x),
        )

    def on_train_end(self, model, history):
        self.monkeypatch.undo()


def _training_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    Y = np.eye(3)[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0)]
    network = nn.Sequential(
        nn.Dense(4, 8, random_state=0, dtype=np.float64),
        nn.Tanh(),
        nn.Dense(8, 3, random_state=1, dtype=np.float64),
    )
    return X, Y, network


def test_the_training_loop_runs_where_the_data_lives_and_agrees_with_numpy(ns, monkeypatch):
    to, float64 = ns
    X, Y, reference = _training_problem()
    network = copy.deepcopy(reference).to(backend.array_namespace(to(X)))
    if not float64:
        network = nn.Sequential(*network.layers)
        for layer in network.all_layers():
            layer.to(backend.array_namespace(to(X)))
            for key, value in layer.params.items():
                layer.params[key] = to(numpy_of(value))
            for key in layer._buffers:
                setattr(layer, key, to(numpy_of(getattr(layer, key))))
    criterion = nn.SoftmaxCrossEntropy()

    def loss_and_gradients(net):
        def step(X_b, Y_b, w_b):
            loss = criterion.forward(net.forward(X_b, training=True), Y_b, w_b)
            net.backward(criterion.backward())
            return loss, net.gradients()

        return step

    options = dict(max_iter=4, batch_size=16, random_state=0)
    expected = train(
        loss_and_gradients(reference), reference.parameters(), Adam(0.01), X, Y, **options
    )
    callbacks = [NoHostCopies(monkeypatch)]
    history = train(
        loss_and_gradients(network), network.parameters(), Adam(0.01), to(X), to(Y),
        callbacks=callbacks, **options,
    )  # fmt: skip
    tolerance = 1e-10 if float64 else 1e-4
    np.testing.assert_allclose(history.loss, expected.loss, rtol=tolerance)
    for a, b in zip(network.parameters(), reference.parameters(), strict=True):
        assert type(a) is type(to(X))
        np.testing.assert_allclose(numpy_of(a), b, atol=tolerance * 10)


# --- estimators: scikit-learn's array_api_dispatch, the device parameter ----------------------


def _digits(n=300):
    X, y = load_digits(return_X_y=True)
    return (X[:n] / 16).astype(np.float32), y[:n]


ESTIMATORS = {
    "MLPClassifier": lambda: MLPClassifier((16,), max_iter=8, random_state=0),
    "MLPClassifier-sgd-early-stopping": lambda: MLPClassifier(
        (16,), solver="sgd", early_stopping=True, max_iter=6, random_state=0, alpha=0.01
    ),
    "MLPClassifier-lbfgs": lambda: MLPClassifier((8,), solver="lbfgs", max_iter=10, random_state=0),
    "MLPRegressor": lambda: MLPRegressor(
        hidden_layer_sizes=(16,), max_iter=8, random_state=0, early_stopping=True
    ),
    "SoftmaxClassifier": lambda: SoftmaxClassifier(max_iter=8, random_state=0),
    "ConvNetClassifier": lambda: ConvNetClassifier(
        conv_layers=((3, 3),), hidden_layer_sizes=(8,), max_iter=3, random_state=0
    ),
    "ConvNetRegressor": lambda: ConvNetRegressor(
        conv_layers=((3, 3),), hidden_layer_sizes=(8,), max_iter=3, random_state=0
    ),
}


def _outputs(estimator, X):
    if hasattr(estimator, "predict_proba"):
        return estimator.predict_proba(X), estimator.predict(X)
    return estimator.predict(X), estimator.predict(X)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_an_estimator_fitted_under_dispatch_follows_x_and_agrees_with_numpy(name, ns, monkeypatch):
    to, float64 = ns
    X, y = _digits()
    X = X.astype(np.float64 if float64 else np.float32)
    if name in ("MLPRegressor", "ConvNetRegressor"):
        y = y.astype(X.dtype)
    expected_proba, expected_labels = _outputs(ESTIMATORS[name]().fit(X, y), X)
    estimator = ESTIMATORS[name]()
    if hasattr(estimator, "callbacks") and estimator.solver != "lbfgs":  # SciPy's is on the host
        estimator.set_params(callbacks=[NoHostCopies(monkeypatch)])
    with sklearn.config_context(array_api_dispatch=True):
        estimator.fit(to(X), to(y))
        proba, labels = _outputs(estimator, to(X))
        score = estimator.score(to(X), to(y))
    fitted = estimator.coefs_[0] if hasattr(estimator, "coefs_") else estimator.coef_
    for array in (proba, labels, fitted):
        assert type(array) is type(to(X))
    tolerance = 1e-8 if float64 else 1e-3
    np.testing.assert_allclose(numpy_of(proba), expected_proba, atol=tolerance)
    if sklearn.base.is_classifier(estimator):
        assert np.mean(numpy_of(labels) == expected_labels) > 0.99
        assert 0 < float(score) <= 1
    # without dispatch, the fitted model takes and gives NumPy, as scikit-learn always did
    np.testing.assert_allclose(_outputs(estimator, X)[0], expected_proba, atol=tolerance)


def test_a_model_fitted_on_tensors_saves_and_loads_into_numpy(tmp_path):
    X, y = _digits()
    with sklearn.config_context(array_api_dispatch=True):
        model = MLPClassifier((16,), max_iter=5, random_state=0).fit(
            torch.tensor(X), torch.tensor(y)
        )
        expected = model.predict_proba(torch.tensor(X)).numpy()
    model.save(tmp_path / "model.ml")
    import ml

    loaded = ml.load(tmp_path / "model.ml")
    assert isinstance(loaded.coefs_[0], np.ndarray)
    np.testing.assert_allclose(loaded.predict_proba(X), expected, atol=1e-6)
    loaded.partial_fit(X, y)  # the optimizer's moments came back too, as NumPy


@pytest.mark.parametrize("device", ["cpu", torch.device("cpu")], ids=["cpu", "torch.device"])
def test_the_device_parameter_takes_numpy_in_and_gives_numpy_out(device):
    X, y = _digits()
    expected = MLPClassifier((16,), max_iter=5, random_state=0).fit(X, y).predict_proba(X)
    model = MLPClassifier((16,), max_iter=5, random_state=0, device=device).fit(X, y)
    proba = model.predict_proba(X)
    assert isinstance(proba, np.ndarray) and isinstance(model.predict(X), np.ndarray)
    if isinstance(device, torch.device):
        assert isinstance(model.coefs_[0], torch.Tensor)
    np.testing.assert_allclose(proba, expected, atol=1e-5)


@pytest.mark.parametrize("device", ["cuda", "cuda:3", "mps", "gpu"])
def test_a_device_that_is_not_there_is_a_clear_error(device):
    if device.startswith("cuda") and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    X, y = _digits(50)
    with pytest.raises(ValueError, match=rf"device='{device}' is not available here.*device=None"):
        MLPClassifier(max_iter=1, device=device).fit(X, y)


def test_device_without_torch_or_cupy_says_what_to_install(monkeypatch):
    monkeypatch.setattr(backend, "_library", lambda name: None)
    with pytest.raises(ValueError, match="pip install torch.*pip install cupy-cuda12x"):
        backend.resolve_device("cuda", np.ones((2, 2)))


def test_device_of_the_wrong_type_names_the_parameter():
    with pytest.raises(TypeError, match="device must be None, a string or a torch.device"):
        MLPClassifier(device=3).fit(*_digits(50))


def test_a_network_refuses_input_of_another_library():
    network = nn.Sequential(nn.Dense(4, 2, random_state=0))
    with pytest.raises(TypeError, match="x is an array of .*torch.* network's parameters"):
        network.forward(torch.ones((3, 4)))


def test_the_shuffle_of_a_seed_is_the_same_in_every_library(ns):
    to, _ = ns
    like = to(np.zeros(3))
    order = backend.permutation(np.random.default_rng(5), 10, like)
    assert type(order) is type(like)
    np.testing.assert_array_equal(numpy_of(order), np.random.default_rng(5).permutation(10))


def test_the_gpu_benchmark_exits_cleanly_where_there_is_no_gpu():
    if torch.cuda.is_available() or torch.backends.mps.is_available():
        pytest.skip("this machine has a GPU")
    script = Path(__file__).parents[1] / "benchmarks" / "gpu.py"
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "No GPU here" in done.stdout


@pytest.mark.parametrize(
    "shape_a, shape_b",
    [((6, 25), (25, 50_000)), ((6, 50_000), (50_000, 25)), ((64, 9000), (9000, 3))],
)
def test_matmul_in_pieces_is_the_product(shape_a, shape_b):
    """The products ``matmul`` makes in pieces (a short side, a long one) are ``a @ b``, into
    ``out`` as well."""
    from ml.backend import matmul

    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape_a).astype(np.float32)
    b = rng.standard_normal(shape_b).astype(np.float32)
    expected = a.astype(np.float64) @ b.astype(np.float64)
    scale = np.sqrt(shape_a[1])
    np.testing.assert_allclose(matmul(a, b), expected, atol=1e-5 * scale, rtol=1e-5)
    out = np.empty(expected.shape, np.float32)
    assert matmul(a, b, out=out) is out
    np.testing.assert_allclose(out, expected, atol=1e-5 * scale, rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_of_an_inner_axis_of_one_is_the_outer_product(dtype):
    """A batch of one sample's weight gradient ``x^T dy`` (inner axis 1), which ``matmul``
    hands to ``np.dot``, is NumPy's product to the bit, into ``out`` as well; an ``out`` of
    another dtype or memory order takes matmul's own path."""
    from ml.backend import matmul

    rng = np.random.default_rng(0)
    x, dy = rng.standard_normal((1, 784)).astype(dtype), rng.standard_normal((1, 256)).astype(dtype)
    expected = np.matmul(x.T, dy)
    np.testing.assert_array_equal(matmul(x.T, dy), expected)
    out = np.empty((784, 256), dtype)
    assert matmul(x.T, dy, out=out) is out
    np.testing.assert_array_equal(out, expected)
    other = np.empty((784, 256), np.float32 if dtype is np.float64 else np.float64)
    assert matmul(x.T, dy, out=other) is other
    np.testing.assert_array_equal(other, np.matmul(x.T, dy, out=np.empty_like(other)))
    strided = np.empty((256, 784), dtype).T  # np.dot writes only into C-ordered arrays
    assert matmul(x.T, dy, out=strided) is strided
    np.testing.assert_array_equal(strided, expected)


@pytest.mark.parametrize(
    "shape, dtype, order",
    [
        ((200, 10), np.float32, "C"),  # the fast paths: few columns
        ((1, 2), np.float64, "C"),
        ((0, 10), np.float32, "C"),
        ((37, 64), np.float32, "F"),
        ((50, 65), np.float32, "C"),  # the reductions: many columns, other dtypes and shapes
        ((20, 10), np.float16, "C"),
        ((20, 10), np.int64, "C"),
        ((4, 3, 5), np.float32, "C"),
        ((7,), np.float64, "C"),
    ],
)
def test_the_last_axis_reductions_are_numpys(shape, dtype, order):
    """max_last is np.max(x, axis=-1, keepdims=True) exactly, sum_last np.sum's (to rounding),
    NaN and infinity included, whichever path the array takes."""
    from ml.backend import max_last, sum_last

    x = np.asarray(np.random.default_rng(0).standard_normal(shape) * 10, dtype=dtype, order=order)
    if x.dtype.kind == "f" and x.ndim == 2 and x.shape[0] >= 2:
        x[0, 0], x[1, -1] = np.nan, np.inf
    np.testing.assert_array_equal(max_last(x), np.max(x, axis=-1, keepdims=True))
    total = sum_last(x)
    assert total.shape == np.sum(x, axis=-1, keepdims=True).shape and total.dtype == x.dtype
    rtol = 1e-2 if dtype == np.float16 else 1e-5
    np.testing.assert_allclose(total, np.sum(x, axis=-1, keepdims=True), rtol=rtol)


def test_flatten_into_lays_the_arrays_out_in_the_order_asked_and_joined_finds_them():
    """flatten_into copies arrays into one buffer in the order asked and hands their views back
    in their own order; joined makes one flat view of views that lie back to back there, and
    refuses anything else (another order, a gap, other memory, a copy)."""
    from ml.backend import flatten_into, joined

    rng = np.random.default_rng(0)
    arrays = [
        rng.standard_normal(shape).astype(np.float32) for shape in [(3, 4), (4,), (4, 2), (2,)]
    ]
    views = flatten_into(arrays, order=[0, 2, 1, 3])
    for view, array in zip(views, arrays, strict=True):
        np.testing.assert_array_equal(view, array)
    flat = views[0].base
    assert all(view.base is flat for view in views) and flat.size == 26
    np.testing.assert_array_equal(flat[:12], arrays[0].ravel())  # the order asked: 0, 2, 1, 3
    np.testing.assert_array_equal(flat[12:20], arrays[2].ravel())
    weights = joined([views[0], views[2]])
    assert weights.base is flat and weights.shape == (20,)
    weights[0] = 7  # a view, not a copy
    assert views[0][0, 0] == 7
    biases = joined([views[1], views[3]])
    np.testing.assert_array_equal(biases, np.concatenate([arrays[1], arrays[3]]))
    assert joined([views[2], views[0]]) is None  # not in the order they lie
    assert joined([views[0], views[1]]) is None  # a gap between them
    assert joined([views[0], arrays[2]]) is None  # other memory
    assert joined([views[0][:, :2]]) is None  # not contiguous
    assert joined([]) is None
    assert joined([flat]) is None  # owns its memory: no flat buffer behind it
    assert flatten_into(arrays)[1].base[12:16].tolist() == arrays[1].tolist()  # default order
