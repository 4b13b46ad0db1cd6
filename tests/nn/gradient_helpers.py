"""Gradient checks of a layer, shared by the tests of dense and convolutional layers."""

import numpy as np

from ml import check_gradient


def assert_layer_gradients(layer, x, training=True, reseed=None):
    """Check ``dx`` and every parameter gradient of ``layer`` on ``f = sum(R * layer(x))``."""

    def forward(value):
        if reseed is not None:
            reseed(layer)
        return layer.forward(value, training)

    R = np.random.default_rng(1).normal(size=forward(x).shape)
    forward(x)
    dx = layer.backward(R)
    assert dx.shape == x.shape
    assert check_gradient(lambda v: np.sum(R * forward(v)), x, dx) < 1e-6
    for name, param in layer.params.items():
        forward(x)
        layer.backward(R)
        analytic = layer.grads[name].copy()

        def f(value, name=name):
            saved = layer.params[name].copy()
            layer.params[name][...] = value
            out = np.sum(R * forward(x))
            layer.params[name][...] = saved
            return out

        assert check_gradient(f, param, analytic) < 1e-6, name
