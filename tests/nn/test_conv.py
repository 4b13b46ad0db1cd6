"""Convolution and pooling: gradient checks in float64 across strides, paddings, odd and even
sizes and channels, and the same outputs and gradients as PyTorch's functional ops."""

import numpy as np
import pytest
from gradient_helpers import assert_layer_gradients

from ml import nn
from ml.nn import conv as conv_module

RNG = np.random.default_rng(0)
CONV_CASES = [  # (kernel, stride, padding, height, width)
    (3, 1, 0, 6, 6),
    (3, 2, 0, 7, 6),
    (3, 1, 1, 5, 6),
    (3, 2, 1, 6, 7),
    (3, 1, "same", 5, 5),
    (2, 1, "same", 6, 5),
    (2, 2, 0, 6, 6),
    (4, 2, (1, 2), 7, 8),
]
POOL_CASES = [
    (2, None, 0, 6, 6),
    (2, None, 0, 7, 5),
    (3, 2, 0, 7, 7),
    (3, 1, 1, 5, 6),
    (2, 1, 0, 5, 4),
]


def _conv(kernel, stride, padding, in_channels=3, out_channels=4):
    conv = nn.Conv2D(
        in_channels, out_channels, kernel, stride, padding, random_state=0, dtype=np.float64
    )
    conv.params["b"][...] = RNG.normal(size=out_channels)
    return conv


# (input channels, kernels, how im2col is made); on the band, one input channel with 16 kernels
# makes the band's gradient taller than wide, with one kernel wider than tall (made transposed)
PATHS = [(3, 4, "offsets"), (6, 4, "windows"), (6, 4, "rows"), (1, 1, "rows"), (1, 16, "rows")]


def _on_path(monkeypatch, path):
    """Make Conv2D take ``path`` where its channels allow: "rows" for every width, or never."""
    monkeypatch.setattr(conv_module, "_BAND_WASTE", 10**6 if path == "rows" else 0)


@pytest.mark.parametrize("kernel, stride, padding, height, width", CONV_CASES)
@pytest.mark.parametrize("channels, kernels, path", PATHS)
def test_conv2d_gradients(
    kernel, stride, padding, height, width, channels, kernels, path, monkeypatch
):
    _on_path(monkeypatch, path)
    conv = _conv(kernel, stride, padding, in_channels=channels, out_channels=kernels)
    x = RNG.normal(size=(2, channels, height, width))
    assert conv._path(x) == path
    assert_layer_gradients(conv, x)


@pytest.mark.parametrize("rows, columns", [(42, 56), (64, 19), (8, 8)])
def test_the_band_gradients_sum_of_products_is_the_plain_sum_either_way_round(rows, columns):
    """The band's gradient, a sum of products over tiles, is made transposed where its result
    is wider than tall: either way it is the plain sum of the products."""
    a = RNG.standard_normal((3, rows, 500)).astype(np.float32)
    b = RNG.standard_normal((3, 500, columns)).astype(np.float32)
    expected = sum(a[t].astype(np.float64) @ b[t].astype(np.float64) for t in range(3))
    got = conv_module._sum_of_products(a, b)
    assert got.shape == (rows, columns) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("kernel, stride, padding, height, width", POOL_CASES)
@pytest.mark.parametrize("pool", [nn.MaxPool2D, nn.AvgPool2D])
def test_pooling_gradients(pool, kernel, stride, padding, height, width):
    x = RNG.permutation(2 * 3 * height * width).reshape(2, 3, height, width) / 10.0  # no ties
    assert_layer_gradients(pool(kernel, stride, padding), x)


def test_global_average_pooling_and_batchnorm2d_gradients():
    assert_layer_gradients(nn.GlobalAvgPool2D(), RNG.normal(size=(2, 3, 4, 5)))
    bn = nn.BatchNorm2d(3, dtype=np.float64)
    bn.params["gamma"][...] = RNG.normal(size=3)
    bn.running_var[...] = RNG.uniform(0.5, 2, size=3)
    assert_layer_gradients(bn, RNG.normal(size=(4, 3, 3, 5)) * 2 + 1, training=True)


def test_dropout_and_flatten_on_images():
    x = np.ones((4, 3, 5, 5), np.float32)
    y = nn.Dropout(0.5, random_state=0).forward(x, training=True)
    assert y.shape == x.shape and 0.3 < (y == 0).mean() < 0.7


def test_shapes_errors_and_summary():
    net = nn.Sequential(
        nn.Conv2D(1, 8, 3, padding="same"),
        nn.ReLU(),
        nn.MaxPool2D(2),
        nn.Conv2D(8, 4, 3),
        nn.Flatten(),
        nn.Dense(16, 2),
    )
    text = net.summary((1, 8, 8))
    assert "(None, 8, 8, 8)" in text and "(None, 8, 4, 4)" in text and "(None, 4, 2, 2)" in text
    with pytest.raises(ValueError, match="needs input of shape \\(batch, 1 channels"):
        nn.Conv2D(1, 2, 3).forward(np.zeros((2, 3, 5, 5)))
    with pytest.raises(ValueError, match="does not fit"):
        nn.Conv2D(1, 2, 5).forward(np.zeros((1, 1, 3, 3)))
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        nn.Conv2D(1, 2, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="kernel_size must be"):
        nn.MaxPool2D(-1)


def _torch_check(layer, x, reference):
    """Our forward and input gradient against torch's ``reference(x)``, to 1e-5."""
    torch = pytest.importorskip("torch")
    xt = torch.tensor(x, requires_grad=True)
    expected = reference(xt)
    y = layer.forward(x, training=True)
    np.testing.assert_allclose(y, expected.detach().numpy(), rtol=1e-5, atol=1e-5)
    R = RNG.normal(size=y.shape)
    expected.backward(torch.tensor(R))
    np.testing.assert_allclose(layer.backward(R), xt.grad.numpy(), rtol=1e-5, atol=1e-5)
    return torch


@pytest.mark.parametrize("kernel, stride, padding, height, width", CONV_CASES)
@pytest.mark.parametrize("channels, kernels, path", PATHS)
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")
def test_conv2d_matches_pytorch(
    kernel, stride, padding, height, width, channels, kernels, path, monkeypatch
):
    torch = pytest.importorskip("torch")
    _on_path(monkeypatch, path)
    conv = _conv(kernel, stride, padding, in_channels=channels, out_channels=kernels)
    W = torch.tensor(conv.params["W"], requires_grad=True)
    b = torch.tensor(conv.params["b"], requires_grad=True)
    _torch_check(
        conv,
        RNG.normal(size=(2, channels, height, width)),
        lambda xt: torch.nn.functional.conv2d(xt, W, b, stride, padding),
    )
    np.testing.assert_allclose(conv.grads["W"], W.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(conv.grads["b"], b.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kernel, stride, padding, height, width", POOL_CASES)
def test_pooling_matches_pytorch(kernel, stride, padding, height, width):
    torch = pytest.importorskip("torch")
    x = RNG.normal(size=(2, 3, height, width))
    functional = torch.nn.functional
    _torch_check(
        nn.MaxPool2D(kernel, stride, padding),
        x,
        lambda xt: functional.max_pool2d(xt, kernel, stride, padding),
    )
    _torch_check(
        nn.AvgPool2D(kernel, stride, padding),
        x,
        lambda xt: functional.avg_pool2d(xt, kernel, stride, padding),
    )


def test_batchnorm2d_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = RNG.normal(size=(4, 3, 5, 5)) * 2 + 1
    bn = nn.BatchNorm2d(3, dtype=np.float64)
    mean, var = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    _torch_check(bn, x, lambda xt: torch.nn.functional.batch_norm(xt, mean, var, training=True))
    np.testing.assert_allclose(bn.running_mean, mean.numpy(), rtol=1e-10)
    np.testing.assert_allclose(bn.running_var, var.numpy(), rtol=1e-10)


@pytest.mark.parametrize("height", [4, 5])  # windows that cover the input, and a cropped edge
def test_max_pooling_shares_the_gradient_among_ties(height):
    """A window whose maximum is held k times gives each of them dy / k (the edge none)."""
    x = np.zeros((2, 3, height, 4))
    x[:, :, 0, 0] = 1.0  # the first window's maximum is alone; every other window is a 4-way tie
    pool = nn.MaxPool2D(2)
    pool.forward(x, training=True)
    dx = pool.backward(np.ones((2, 3, 2, 2)))
    expected = np.full((2, 3, height, 4), 0.25)
    expected[:, :, :2, :2] = [[1.0, 0.0], [0.0, 0.0]]
    expected[:, :, 4:] = 0.0
    np.testing.assert_array_equal(dx, expected)


def _by_hand(layers, x, dout):
    """The layers run in the order given, one by one: the output, dL/dx and every gradient."""
    for layer in layers:
        x = layer.forward(x, training=True)
    out = x
    for layer in reversed(layers):
        dout = layer.backward(dout)
    return out, dout, [layer.grads[name].copy() for layer in layers for name in layer.params]


@pytest.mark.parametrize("kernel, stride, padding, height, width", POOL_CASES)
def test_a_relu_before_max_pooling_runs_after_it_with_the_same_numbers(
    kernel, stride, padding, height, width
):
    """Sequential runs ReLU -> MaxPool2D as MaxPool2D -> ReLU (ReLU then works on the pooled
    values), and the output, the input gradient and every parameter gradient are exactly those
    of the order written. Integer inputs make ties and zeros everywhere: ties at a positive
    maximum, and all-negative windows, which ReLU makes ties at 0."""
    make = [
        lambda: nn.Conv2D(2, 3, 3, padding=1, random_state=0),
        nn.ReLU,
        lambda: nn.MaxPool2D(kernel, stride, padding),
        lambda: nn.MaxPool2D(1),  # a second pooling: the ReLU moves past both
        nn.ReLU,
    ]
    net = nn.Sequential(*[m() for m in make])
    x = np.round(RNG.standard_normal((3, 2, height, width)) * 2).astype(np.float32)
    net.layers[0].params["W"] = np.round(net.layers[0].params["W"] * 4).astype(np.float32)
    order = net._in_order()
    assert [type(layer).__name__ for layer in order] == [
        "Conv2D",
        "MaxPool2D",
        "MaxPool2D",
        "ReLU",
        "ReLU",
    ]
    out = net.forward(x, training=True)
    dout = np.round(RNG.standard_normal(out.shape)).astype(np.float32)
    dx = net.backward(dout)
    grads = [g.copy() for g in net.gradients()]
    hand = [m() for m in make]
    hand[0].params = {k: v.copy() for k, v in net.layers[0].params.items()}
    expected_out, expected_dx, expected_grads = _by_hand(hand, x, dout)
    np.testing.assert_array_equal(out, expected_out)
    np.testing.assert_array_equal(dx, expected_dx)
    for got, expected in zip(grads, expected_grads, strict=True):
        np.testing.assert_array_equal(got, expected)
    net.backward_params(dout)  # training's backward, without dL/dx: the same gradients
    for got, expected in zip(net.gradients(), expected_grads, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_max_pooling_counts_ties_beyond_a_byte():
    """A 16x16 window of equal values is a 256-way tie: each input gets dy / 256 (a count kept
    in one byte would wrap to 0)."""
    pool = nn.MaxPool2D(16)
    pool.forward(np.zeros((1, 1, 16, 16), np.float32), training=True)
    dx = pool.backward(np.ones((1, 1, 1, 1), np.float32))
    np.testing.assert_array_equal(dx, np.full((1, 1, 16, 16), 1 / 256, np.float32))


def test_flatten_gives_the_gradient_back_in_its_inputs_memory_layout():
    """An NCHW view of batch-last memory, as a convolution hands on, gets its gradient laid out
    the same way (same strides), with the values of the gradient reshaped."""
    x = np.ones((5, 3, 4, 2), np.float32).transpose(3, 0, 1, 2)  # (2, 5, 3, 4), batch last
    flatten = nn.Flatten()
    out = flatten.forward(x, training=True)
    dout = RNG.standard_normal(out.shape).astype(np.float32)
    dx = flatten.backward(dout)
    assert dx.strides == x.strides
    np.testing.assert_array_equal(dx, dout.reshape(x.shape))
    c_order = np.ones((2, 5, 3, 4), np.float32)
    flatten.forward(c_order, training=True)
    assert np.shares_memory(flatten.backward(dout), dout)  # C order: a view, no copy
