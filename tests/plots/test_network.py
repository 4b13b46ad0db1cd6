"""plot_network, trace and plot_backprop, and LiveTrainingPlot: checked on what they draw."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import LineCollection
from matplotlib.colors import to_hex

import ml
from ml import check_gradient, nn, plots
from ml.plots._network import NEGATIVE, POSITIVE

X, Y = ml.datasets.twospirals(60, random_state=0)


def _net():
    return nn.Sequential(
        nn.Dense(2, 3, random_state=0, dtype=np.float64),
        nn.Tanh(),
        nn.Dense(3, 2, random_state=1, dtype=np.float64),
    )


def test_plot_network_draws_every_weight_with_its_sign_and_size():
    net = _net()
    ax = plots.plot_network(net, maps=False)
    (lines,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    weights = np.concatenate([net[0].params["W"].ravel(), net[2].params["W"].ravel()])
    assert len(lines.get_segments()) == len(weights) == 2 * 3 + 3 * 2
    colours = [to_hex(c) for c in lines.get_colors()]
    assert colours == [POSITIVE if w > 0 else NEGATIVE for w in weights]
    widths = np.asarray(lines.get_linewidths())
    assert np.array_equal(
        np.argsort(widths, kind="stable"), np.argsort(np.abs(weights), kind="stable")
    )
    units = sum(len(c.get_offsets()) for c in ax.collections if c is not lines)
    assert units == 2 + 3 + 2


def test_plot_network_summarises_wide_layers_and_draws_unit_maps():
    model = ml.MLPClassifier((30, 4), max_iter=5, random_state=0).fit(X, Y)
    ax = plots.plot_network(model, X=X, max_units=8)
    (lines,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(lines.get_segments()) == 2 * 8 + 8 * 4 + 4 * 1  # 30 units drawn as 8
    assert any(t.get_text() == "⋮" for t in ax.texts)
    assert len(ax.child_axes) == 8 + 4  # one decision map per drawn hidden unit
    assert all(layer._saved == {} for layer in model.network_)
    with pytest.raises(ValueError, match="Dense layers"):
        plots.plot_network(nn.Sequential(nn.Conv2D(1, 2, 3), nn.Flatten()))
    with pytest.raises(TypeError, match="model_or_net"):
        plots.plot_network("a network")


def test_trace_records_a_pass_that_matches_the_numerical_gradient():
    net = _net()
    x = np.random.default_rng(0).normal(size=(5, 2))
    labels = np.array([0, 1, 1, 0, 1])
    tr = nn.trace(net, x, labels)
    assert [step.name for step in tr.layers] == [repr(layer) for layer in net]
    assert tr.layers[0].input is x and tr.layers[-1].output.shape == (5, 2)
    for before, after in zip(tr.layers, tr.layers[1:], strict=False):
        np.testing.assert_array_equal(before.output, after.input)
        np.testing.assert_array_equal(before.grad_output, after.grad_input)

    def loss(W):
        saved = net[0].params["W"].copy()
        net[0].params["W"][...] = W
        value = nn.trace(net, x, labels).loss
        net[0].params["W"][...] = saved
        return value

    assert check_gradient(loss, net[0].params["W"].copy(), tr.layers[0].param_grads["W"]) < 1e-6
    table = str(tr)
    assert "Dense(2, 3)" in table and "dW (2, 3)" in table and "loss" in table


def test_plot_backprop_draws_forward_and_backward_rows():
    tr = nn.trace(_net(), np.random.default_rng(0).normal(size=(4, 2)), np.array([0, 1, 0, 1]))
    axes = plots.plot_backprop(tr)
    assert axes.shape == (2, 3)
    for column, step in enumerate(tr.layers):
        top, bottom = axes[0, column].images[0], axes[1, column].images[0]
        np.testing.assert_array_equal(top.get_array(), step.output)
        np.testing.assert_array_equal(bottom.get_array(), step.grad_input)
        assert (
            "forward" in axes[0, column].get_title() and "backward" in axes[1, column].get_title()
        )


def test_live_training_plot_shows_regions_weights_and_loss():
    live = plots.LiveTrainingPlot(every=2, X=X, y=Y)
    ml.MLPClassifier((8,), max_iter=6, random_state=0, callbacks=[live]).fit(X, Y)
    assert live.frames == 3
    axes = live.figure.axes
    assert axes[0].get_title() == "Decision regions" and len(axes) == 1 + 2 + 1
    assert live.figure._suptitle.get_text() == "Iteration 6"
    assert len(axes[-1].lines[0].get_xdata()) == 6
    plt.close(live.figure)
    with pytest.raises(ValueError, match="every"):
        plots.LiveTrainingPlot(every=0)
