"""Every layer's backward against central differences in float64, and against PyTorch."""

import copy

import numpy as np
import pytest
from gradient_helpers import assert_layer_gradients

from ml import check_gradient, nn

RNG = np.random.default_rng(0)


def test_dense_gradients():
    layer = nn.Dense(5, 3, random_state=0, dtype=np.float64)
    layer.params["b"][...] = RNG.normal(size=3)
    assert_layer_gradients(layer, RNG.normal(size=(4, 5)))


def test_dense_computes_x_W_plus_b():
    layer = nn.Dense(2, 2, dtype=np.float64)
    layer.params["W"][...] = [[1, 2], [3, 4]]
    layer.params["b"][...] = [10, 20]
    np.testing.assert_array_equal(layer.forward(np.array([[1.0, 1.0]])), [[14, 26]])


@pytest.mark.parametrize("name", ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "softplus"])
def test_activation_layer_gradients(name):
    layer = nn.activation_layer(name)
    x = RNG.normal(size=(4, 6)) * 2
    x[np.abs(x) < 1e-3] = 0.5  # keep away from ReLU's kink
    assert_layer_gradients(layer, x)


def test_activation_layers_cover_the_registry():
    assert type(nn.activation_layer("logistic")) is nn.Sigmoid
    assert nn.LeakyReLU(0.2).forward(np.array([-1.0]))[0] == pytest.approx(-0.2)


def _reseed(layer):
    layer.rng = np.random.default_rng(123)


@pytest.mark.parametrize("shape", [(6, 5), (2, 3, 4, 4)])
def test_dropout_gradients_with_a_fixed_mask(shape):
    layer = nn.Dropout(0.4)
    assert_layer_gradients(layer, RNG.normal(size=shape), reseed=_reseed)


def test_dropout_is_inverted_and_off_at_inference():
    layer = nn.Dropout(0.25, random_state=0)
    x = np.ones((200, 200), dtype=np.float32)
    y = layer.forward(x, training=True)
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.75)}
    assert abs(y.mean() - 1) < 0.02 and abs((y == 0).mean() - 0.25) < 0.02
    assert layer.forward(x, training=False) is x
    first = nn.Dropout(0.5, random_state=3).forward(x, training=True)
    np.testing.assert_array_equal(first, nn.Dropout(0.5, random_state=3).forward(x, training=True))
    with pytest.raises(ValueError, match="p must be a number >= 0 and < 1"):
        nn.Dropout(1.0)


def test_batchnorm_gradients():
    layer = nn.BatchNorm1d(4, dtype=np.float64)
    layer.params["gamma"][...] = RNG.normal(size=4)
    layer.params["beta"][...] = RNG.normal(size=4)
    layer.running_mean[...] = RNG.normal(size=4)
    layer.running_var[...] = RNG.uniform(0.5, 2, size=4)
    assert_layer_gradients(layer, RNG.normal(size=(6, 4)) * 3 + 1, training=True)


def test_backward_after_inference_is_refused_by_name():
    layer = nn.BatchNorm1d(4)
    layer.forward(np.ones((3, 4), np.float32), training=False)
    with pytest.raises(
        RuntimeError, match="BatchNorm1d.backward needs a forward pass .*training=True"
    ):
        layer.backward(np.ones((3, 4), np.float32))


def test_batchnorm_normalises_and_tracks_running_statistics():
    layer = nn.BatchNorm1d(3, momentum=0.5)
    x = RNG.normal(5, 2, size=(100, 3)).astype(np.float32)
    y = layer.forward(x, training=True)
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=0), 1, atol=1e-3)
    np.testing.assert_allclose(layer.running_mean, 0.5 * x.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(layer.running_var, 0.5 + 0.5 * x.var(axis=0, ddof=1), rtol=1e-5)
    with pytest.raises(ValueError, match="BatchNorm1d\\(3\\) needs input"):
        layer.forward(np.zeros((2, 4)))


def test_flatten_round_trip():
    layer = nn.Flatten()
    x = RNG.normal(size=(2, 3, 4, 5))
    assert layer.forward(x).shape == (2, 60)
    np.testing.assert_array_equal(layer.backward(layer.forward(x, training=True)), x)


def _network(dtype=np.float64):
    return nn.Sequential(
        nn.Dense(4, 6, random_state=0, dtype=dtype),
        nn.Tanh(),  # (a bias right before BatchNorm would have a gradient of exactly zero)
        nn.BatchNorm1d(6, dtype=dtype),
        nn.Dense(6, 5, random_state=1, dtype=dtype),
        nn.Softplus(),
        nn.Dense(5, 3, random_state=2, dtype=dtype),
    )


def test_sequential_backpropagation_matches_the_numerical_gradient():
    net = _network()
    X = RNG.normal(size=(7, 4))
    Y = np.eye(3)[RNG.integers(0, 3, 7)]
    loss = nn.SoftmaxCrossEntropy()
    loss.forward(net.forward(X, training=True), Y)
    net.backward(loss.backward())
    for param, grad in zip(net.parameters(), net.gradients(), strict=True):
        saved = param.copy()

        def f(value, param=param, saved=saved):
            param[...] = value
            out = loss.forward(net.forward(X, training=True), Y)
            param[...] = saved
            return out

        assert check_gradient(f, saved, grad) < 1e-6


def test_sequential_modes_parameters_and_summary():
    net = nn.Sequential(nn.Dense(3, 4), nn.Dropout(0.5), nn.ReLU(), nn.Dense(4, 2))
    assert not net.training and net.train().training and not net.eval().training
    assert [p.shape for p in net.parameters()] == [(3, 4), (4,), (4, 2), (2,)]
    x = np.ones((5, 3), np.float32)
    np.testing.assert_array_equal(net.forward(x), net.forward(x))
    text = net.summary((3,))
    assert "Dense(3, 4)" in text and "(None, 4)" in text and "Total parameters: 26" in text
    assert len(net) == 4 and isinstance(net[1], nn.Dropout)
    nested = nn.Sequential(nn.Sequential(nn.Dense(3, 4), nn.ReLU()), nn.Dense(4, 2))
    assert "Total parameters: 26" in nested.summary((3,))
    with pytest.raises(TypeError, match="layers\\[1\\] must be an ml.nn Layer"):
        nn.Sequential(nn.ReLU(), "relu")


def _plain_inference(layers, x):
    """The layers' own forward, one after another, each on a copy: what the network computes
    when no layer writes over another's output."""
    for layer in nn.Sequential(*layers)._in_order():
        x = layer.forward(np.array(x, copy=True))
    return x


def _conv(out=3):
    return nn.Conv2D(2, out, 3, padding=1, random_state=1)


def _network_in(make, shape, dtype):
    """The layers ``make()`` gives, their parameters in ``dtype``, and an input of ``shape``."""
    layers = make()
    for layer in layers:
        for name, value in layer.params.items():
            layer.params[name] = value.astype(dtype)
    return layers, RNG.normal(size=shape).astype(dtype)


OVERWRITING = {  # networks whose inference writes ReLU over a layer's fresh output
    "dense-relu-dense-tanh-relu": (
        lambda: [nn.Dense(6, 8, random_state=0), nn.ReLU(), nn.Dense(8, 5), nn.Tanh(), nn.ReLU()],
        (7, 6),
    ),
    "conv-relu-pool": (lambda: [_conv(), nn.ReLU(), nn.MaxPool2D(2)], (3, 2, 6, 6)),
    "conv-tanh-avgpool-relu": (
        lambda: [_conv(), nn.Tanh(), nn.AvgPool2D(2), nn.ReLU()],
        (3, 2, 6, 6),
    ),
    "batchnorm-relu": (lambda: [nn.BatchNorm1d(6), nn.ReLU()], (7, 6)),
    "relu-relu": (lambda: [nn.ReLU(), nn.ReLU()], (7, 6)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", list(OVERWRITING), ids=list(OVERWRITING))
def test_inference_writing_over_fresh_outputs_computes_the_same_numbers(case, dtype):
    """In inference ReLU writes over the output of the layer before it: the network's output is
    the layers' own forward bit for bit, and the caller's x is untouched."""
    make, shape = OVERWRITING[case]
    layers, x = _network_in(make, shape, dtype)
    x.flat[:2] = [np.nan, -0.0]
    before = x.copy()
    out = nn.Sequential(*layers).predict(x)
    np.testing.assert_array_equal(out, _plain_inference(layers, x))
    np.testing.assert_array_equal(x, before)


class _Recorder(nn.Dense):
    """A Dense that keeps what its inference returned, and, breaking the contract on purpose,
    says that nothing holds it: the test sees whether the next layer wrote over it."""

    fresh_output = True

    def forward(self, x, training=False):
        self.returned = super().forward(x, training)
        return self.returned


def test_relu_writes_over_a_fresh_output_in_training_only_where_it_is_not_kept():
    recorder = _Recorder(4, 6, random_state=0)
    net = nn.Sequential(recorder, nn.ReLU())
    x = RNG.normal(size=(5, 4)).astype(np.float32)
    out = net.predict(x)
    assert np.shares_memory(out, recorder.returned)  # one array: written over in place
    out = net.forward(x, training=True)
    assert not np.shares_memory(out, recorder.returned)  # a layer of one's own keeps it
    _Recorder.keeps_output = False  # as Dense's own: training keeps x, not the output
    try:
        out = net.forward(x, training=True)
        assert np.shares_memory(out, recorder.returned)
    finally:
        _Recorder.keeps_output = True
    assert not nn.Dense.keeps_output and nn.ReLU.keeps_output and nn.MaxPool2D.keeps_output


class _Keeper(nn.Layer):
    """A layer of one's own that keeps its output (it says nothing of fresh_output)."""

    def forward(self, x, training=False):
        self.kept = 2 * x
        return self.kept

    def backward(self, dout):
        return 2 * dout


class _KeepingDense(nn.Dense):
    """A subclass of one of ml's layers that keeps its output: it inherits no fresh_output."""

    def forward(self, x, training=False):
        self.kept = super().forward(x, training)
        return self.kept


@pytest.mark.parametrize(
    "passing",
    [
        lambda: [],
        lambda: [nn.Identity()],
        lambda: [nn.Activation("identity")],
        lambda: [nn.Dropout(0.5, random_state=0)],
        lambda: [nn.Flatten()],
        lambda: [nn.MaxPool2D(1)],
        lambda: [nn.Sequential(nn.Flatten())],
    ],
    ids=["none", "Identity", "identity", "Dropout", "Flatten", "MaxPool2D(1)", "Sequential"],
)
@pytest.mark.parametrize("first", ["input", "own layer"])
def test_inference_never_writes_over_the_input_nor_what_a_layer_holds(passing, first):
    """What the caller passed, and the output of a layer of one's own, reach ReLU directly or
    through layers that pass their input on (itself or a view): neither is written over."""
    x = RNG.normal(size=(3, 2, 4, 4)).astype(np.float32)
    before = x.copy()
    keeper = _Keeper()
    layers = ([keeper] if first == "own layer" else []) + passing() + [nn.ReLU()]
    out = nn.Sequential(*layers).predict(x)
    expected = np.maximum(2 * x if first == "own layer" else x, 0)
    np.testing.assert_array_equal(out.reshape(x.shape), expected)
    np.testing.assert_array_equal(x, before)
    if first == "own layer":
        np.testing.assert_array_equal(keeper.kept, 2 * before)


def test_a_subclass_of_an_ml_layer_is_taken_to_hold_its_output():
    keeper = _KeepingDense(4, 6, random_state=0)
    x = RNG.normal(size=(5, 4)).astype(np.float32)
    output = keeper.forward(x).copy()
    assert output.min() < 0  # ReLU has something to change
    out = nn.Sequential(keeper, nn.ReLU()).predict(x)
    np.testing.assert_array_equal(keeper.kept, output)
    np.testing.assert_array_equal(out, np.maximum(output, 0))
    assert not _KeepingDense.fresh_output and nn.Dense.fresh_output and _Recorder.fresh_output


def test_glorot_and_he_variances():
    rng = np.random.default_rng(0)
    shape = (400, 600)
    assert nn.init.glorot_uniform(shape, rng).var() == pytest.approx(2 / 1000, rel=0.02)
    assert nn.init.glorot_normal(shape, rng).var() == pytest.approx(2 / 1000, rel=0.02)
    assert nn.init.he_uniform(shape, rng).var() == pytest.approx(2 / 400, rel=0.02)
    assert nn.init.he_normal(shape, rng).var() == pytest.approx(2 / 400, rel=0.02)
    conv = nn.init.he_normal((64, 16, 3, 3), rng)
    assert conv.var() == pytest.approx(2 / (16 * 9), rel=0.05)
    bound_sigmoid = np.abs(nn.init.default_init("sigmoid")(shape, rng)).max()
    assert bound_sigmoid == pytest.approx(np.sqrt(2 / 1000), rel=0.01)
    with pytest.raises(ValueError, match="init must be one of"):
        nn.Dense(2, 2, init="zeros")


def test_layers_match_pytorch():
    torch = pytest.importorskip("torch")
    x = RNG.normal(size=(8, 5))
    dense = nn.Dense(5, 3, random_state=0, dtype=np.float64)
    W = torch.tensor(dense.params["W"], requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    out = torch.nn.functional.linear(xt, W.T)
    np.testing.assert_allclose(dense.forward(x, training=True), out.detach().numpy(), rtol=1e-12)
    R = RNG.normal(size=(8, 3))
    out.backward(torch.tensor(R))
    np.testing.assert_allclose(dense.backward(R), xt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(dense.grads["W"], W.grad.numpy(), rtol=1e-12)

    bn = nn.BatchNorm1d(5, dtype=np.float64)
    running_mean, running_var = (
        torch.zeros(5, dtype=torch.float64),
        torch.ones(5, dtype=torch.float64),
    )
    xt = torch.tensor(x, requires_grad=True)
    out = torch.nn.functional.batch_norm(xt, running_mean, running_var, training=True)
    np.testing.assert_allclose(bn.forward(x, training=True), out.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(bn.running_var, running_var.numpy(), rtol=1e-12)
    R = RNG.normal(size=(8, 5))
    out.backward(torch.tensor(R))
    np.testing.assert_allclose(bn.backward(R), xt.grad.numpy(), atol=1e-10)
    out = torch.nn.functional.batch_norm(torch.tensor(x), running_mean, running_var)
    np.testing.assert_allclose(bn.forward(x, training=False), out.numpy(), atol=1e-10)


def test_the_activation_layers_keep_their_old_path_for_old_pickles(monkeypatch):
    """The activation layers moved to ml.nn.activations; ``ml.nn.layers.Tanh`` (what a pickle
    made before names) is still the same class, and a pickle that names it loads."""
    import pickle

    from ml.nn import layers

    assert layers.Tanh is nn.Tanh and layers.ReLU is nn.ReLU
    with pytest.raises(AttributeError, match="has no attribute 'Tanhh'"):
        layers.Tanhh  # noqa: B018
    net = nn.Sequential(nn.Dense(2, 3, random_state=0), nn.Tanh())
    with monkeypatch.context() as patch:  # pickled as before the move
        patch.setattr(nn.Tanh, "__module__", "ml.nn.layers")
        old = pickle.dumps(net)
    assert b"ml.nn.layers" in old and b"ml.nn.activations" not in old
    loaded = pickle.loads(old)
    assert type(loaded.layers[1]) is nn.Tanh
    x = np.ones((1, 2), np.float32)
    np.testing.assert_array_equal(loaded.forward(x), net.forward(x))


BACKWARD = {  # networks whose training backward writes ReLU's gradient over a fresh one
    **OVERWRITING,
    "dense-relu-dense-relu-dense": (
        lambda: [
            nn.Dense(6, 8, random_state=0),
            nn.ReLU(),
            nn.Dense(8, 8),
            nn.ReLU(),
            nn.Dense(8, 3),
        ],
        (7, 6),
    ),
    "conv-relu-conv-relu-pool-flatten-dense": (
        lambda: [
            _conv(4),
            nn.ReLU(),
            nn.Conv2D(4, 3, 3, random_state=2),
            nn.ReLU(),
            nn.MaxPool2D(2),
            nn.Flatten(),
            nn.Dense(12, 2, random_state=3),
        ],
        (3, 2, 6, 6),
    ),
    "few-channels-conv-relu": (
        lambda: [nn.Conv2D(1, 3, 5, padding=4, random_state=0), nn.ReLU()],  # offsets path
        (2, 1, 5, 5),
    ),
    "wide-conv-relu": (
        lambda: [nn.Conv2D(5, 3, (2, 9), random_state=0), nn.ReLU()],  # windows path
        (2, 5, 4, 12),
    ),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", list(BACKWARD), ids=list(BACKWARD))
def test_backward_writing_over_fresh_gradients_computes_the_same_numbers(case, dtype):
    """In training's backward ReLU writes its gradient over the one the layer after it handed
    back: the input gradient and every parameter gradient are the layers' own backward bit for
    bit, and the caller's dout is untouched."""
    make, shape = BACKWARD[case]
    layers, x = _network_in(make, shape, dtype)
    net = nn.Sequential(*layers)
    out = net.forward(x, training=True)
    dout = RNG.normal(size=out.shape).astype(dtype)
    before = dout.copy()
    dx = net.backward(dout)
    grads = [g.copy() for g in net.gradients()]
    np.testing.assert_array_equal(dout, before)
    expected = before
    for layer in reversed(net._in_order()):  # each layer's own backward, on a copy
        expected = layer.backward(np.array(expected, copy=True))
    np.testing.assert_array_equal(dx, expected)
    for got, plain in zip(grads, net.gradients(), strict=True):
        np.testing.assert_array_equal(got, plain)


class _GradKeeper(nn.Layer):
    """A layer of one's own whose backward returns an array it keeps (it says nothing of
    fresh_grad)."""

    def forward(self, x, training=False):
        return 2 * x

    def backward(self, dout):
        self.kept = 2 * dout
        return self.kept


class _GradKeepingDense(nn.Dense):
    """A subclass of one of ml's layers that keeps its input gradient: it inherits no
    fresh_grad."""

    def backward(self, dout):
        self.kept = super().backward(dout)
        return self.kept


@pytest.mark.parametrize("keeper", [_GradKeeper, lambda: _GradKeepingDense(6, 6, random_state=0)])
def test_backward_never_writes_over_what_a_layer_of_ones_own_holds(keeper):
    keeper = keeper()
    net = nn.Sequential(nn.Dense(6, 6, random_state=1), nn.ReLU(), keeper)
    x = RNG.normal(size=(5, 6)).astype(np.float32)
    out = net.forward(x, training=True)
    net.backward(np.ones_like(out))
    kept = keeper.kept.copy()
    assert (net.layers[1]._saved_for_backward("y") == 0).any()  # ReLU has something to zero
    net.backward(np.ones_like(out))
    np.testing.assert_array_equal(keeper.kept, kept)
    assert not _GradKeeper.fresh_grad and not _GradKeepingDense.fresh_grad and nn.Dense.fresh_grad


def test_relu_writes_its_gradient_over_a_fresh_one_in_backward():
    dense, relu = nn.Dense(4, 6, random_state=0), nn.ReLU()
    net = nn.Sequential(nn.Dense(3, 4, random_state=1), relu, dense)
    out = net.forward(RNG.normal(size=(5, 3)).astype(np.float32), training=True)
    handed = []
    backward = dense.backward
    dense.backward = lambda dout: handed.append(backward(dout)) or handed[-1]
    relu_backward = relu._backward_overwriting
    relu._backward_overwriting = lambda dout: handed.append(relu_backward(dout)) or handed[-1]
    net.backward(np.ones_like(out))
    assert len(handed) == 2 and handed[1] is handed[0]  # one array: written over in place


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda: nn.Dense(6, 4, random_state=0), (5, 6)),
        (lambda: nn.Conv2D(2, 3, 3, padding=1, random_state=0), (2, 2, 6, 6)),  # band rows
        (lambda: nn.Conv2D(1, 3, 5, padding=4, random_state=0), (2, 1, 5, 5)),  # offsets
        (lambda: nn.Conv2D(5, 3, (2, 9), random_state=0), (2, 5, 4, 12)),  # windows
        (lambda: nn.MaxPool2D(2), (2, 3, 6, 6)),
        (lambda: nn.MaxPool2D(1), (2, 3, 6, 6)),
        (lambda: nn.MaxPool2D(3, stride=2, padding=1), (2, 3, 7, 7)),
        (lambda: nn.AvgPool2D(2), (2, 3, 6, 6)),
        (lambda: nn.GlobalAvgPool2D(), (2, 3, 4, 4)),
        (nn.ReLU, (5, 6)),
    ],
    ids=lambda v: getattr(v, "__name__", None) if not isinstance(v, tuple) else None,
)
def test_a_layer_that_says_its_gradient_is_fresh_returns_memory_nothing_else_holds(make, shape):
    """``fresh_grad``: backward's result shares no memory with dout, x, nor anything the layer
    keeps (what forward saved, its parameters and gradients)."""
    layer = make()
    assert layer.fresh_grad
    x = RNG.normal(size=shape).astype(np.float32)
    out = layer.forward(x, training=True)
    dout = RNG.normal(size=out.shape).astype(np.float32)
    dx = layer.backward(dout)
    held = [dout, x, *layer.params.values(), *layer.grads.values()]
    held += [v for v in layer._saved.values() if isinstance(v, np.ndarray)]
    held += [v for value in layer._saved.values() if isinstance(value, list) for v in value]
    assert not any(np.shares_memory(dx, array) for array in held)


def _one_by_one(layers, x, dout):
    """Output, input gradient and parameter gradients of fresh copies of ``layers`` run one
    after another, each on a copy of what the one before it gave: no layer can write over
    anything another holds."""
    layers = [copy.deepcopy(layer) for layer in nn.Sequential(*layers)._in_order()]
    for layer in layers:
        x = layer.forward(np.array(x, copy=True), training=True)
    out, d = x, dout
    for layer in reversed(layers):
        d = layer.backward(np.array(d, copy=True))
    grads = {id(layer): dict(layer.grads) for layer in layers}
    return out, d, layers, grads


TRAINING = {
    **BACKWARD,
    "conv-pool-relu-pool": (  # a max pooling keeps its maxima: the ReLU after it must not
        lambda: [_conv(), nn.MaxPool2D(2, stride=1), nn.ReLU(), nn.MaxPool2D(2)],
        (3, 2, 7, 7),
    ),
    "dense-batchnorm-relu-dropout-relu": (
        lambda: [
            nn.Dense(6, 8, random_state=0),
            nn.BatchNorm1d(8),
            nn.ReLU(),
            nn.Dropout(0.0),
            nn.ReLU(),
            nn.Dense(8, 3, random_state=1),
        ],
        (7, 6),
    ),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", list(TRAINING), ids=list(TRAINING))
def test_training_in_place_computes_what_the_layers_compute_one_by_one(case, dtype):
    """In training ReLU writes over the output of a layer that does not keep it, and over the
    gradient handed to it: the output, the input gradient and every parameter gradient are
    those of copies of the layers run one by one on copies, bit for bit, and x and dout are
    untouched."""
    make, shape = TRAINING[case]
    layers, x = _network_in(make, shape, dtype)
    net = nn.Sequential(*layers)
    dout = RNG.normal(size=net.forward(x).shape).astype(dtype)
    expected_out, expected_dx, copies, expected_grads = _one_by_one(layers, x, dout)
    x_before, dout_before = x.copy(), dout.copy()
    out = net.forward(x, training=True)
    np.testing.assert_array_equal(out, expected_out)
    np.testing.assert_array_equal(net.backward(dout), expected_dx)
    for layer, twin in zip(net._in_order(), copies, strict=True):
        for name, grad in layer.grads.items():
            np.testing.assert_array_equal(grad, expected_grads[id(twin)][name])
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(dout, dout_before)
