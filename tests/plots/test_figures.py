import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import ListedColormap, to_hex

from ml import SoftmaxClassifier, datasets, plots


def test_set_plot_style_changes_rcparams():
    plt.rcdefaults()
    plots.set_plot_style()
    assert plt.rcParams["axes.spines.top"] is False and plt.rcParams["axes.grid"] is True
    assert plt.rcParams["axes.prop_cycle"].by_key()["color"][0] == plots._PALETTE[0]
    plt.rcdefaults()


@pytest.mark.parametrize("n", [1, 3, 10, 25])
def test_discrete_colormap_has_n_distinct_colours(n):
    cmap = plots.create_discrete_colormap(n)
    assert isinstance(cmap, ListedColormap) and cmap.N == n
    norm = plt.Normalize(-0.5, n - 0.5)
    colours = [to_hex(cmap(norm(k))) for k in range(n)]
    assert len(set(colours)) == n
    assert colours == [to_hex(c) for c in cmap.colors]


def test_discrete_colormap_rejects_bad_n():
    with pytest.raises(ValueError, match="n must be a positive int"):
        plots.create_discrete_colormap(0)


def test_plots_reexports_the_lectures_twospirals():
    X, y = plots.twospirals(n_samples=300)
    assert X.shape == (600, 2)


def test_decision_regions_cover_the_data_and_colour_by_prediction():
    X, y = datasets.blobs(n_samples=300)
    model = SoftmaxClassifier(learning_rate=0.1, random_state=0).fit(X, y)
    fig, ax = plt.subplots()
    assert plots.plot_decision_regions(model, X, y, ax=ax, resolution=50) is ax
    regions, points = ax.collections
    assert len(points.get_offsets()) == 300
    lower, upper = (
        np.min([p.vertices.min(0) for p in regions.get_paths()], axis=0),
        np.max([p.vertices.max(0) for p in regions.get_paths()], axis=0),
    )
    np.testing.assert_allclose(lower, X.min(0) - 0.5)
    np.testing.assert_allclose(upper, X.max(0) + 0.5)
    cmap = plots.create_discrete_colormap(3)
    expected = cmap(plt.Normalize(-0.5, 2.5)(y))
    np.testing.assert_allclose(points.get_facecolors(), expected)


def test_decision_regions_need_two_features():
    X, y = datasets.load_digits()
    with pytest.raises(ValueError, match="X must have shape \\(n_samples, 2\\)"):
        plots.plot_decision_regions(None, X, y)


def test_loss_curves_draw_one_labelled_line_each():
    ax = plots.plot_loss_curves({"random descent": [3, 2, 1.5], "gradient descent": [3, 1, 0.5]})
    assert [line.get_label() for line in ax.get_lines()] == ["random descent", "gradient descent"]
    np.testing.assert_array_equal(ax.get_lines()[1].get_ydata(), [3, 1, 0.5])
    assert ax.get_title() == "Cross Entropy Loss" and ax.get_xlabel() == "Iterations"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "random descent",
        "gradient descent",
    ]
    single = plots.plot_loss_curves([1.0, 0.5])
    assert len(single.get_lines()) == 1 and single.get_legend() is None


def test_activations_plot_each_function_and_dashed_derivative():
    ax = plots.plot_activations(["relu", "sigmoid"])
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["relu", "relu'", "sigmoid", "sigmoid'"]
    assert [line.get_linestyle() for line in lines] == ["-", "--", "-", "--"]
    assert lines[0].get_color() == lines[1].get_color() != lines[2].get_color()
    x = lines[0].get_xdata()
    np.testing.assert_allclose(lines[1].get_ydata(), (x > 0).astype(float))
    np.testing.assert_allclose(lines[2].get_ydata(), 1 / (1 + np.exp(-x)))


def test_digits_are_tiled_and_captioned():
    X, y = datasets.load_digits()
    wrong = y[:12].copy()
    wrong[3] = (wrong[3] + 1) % 10
    ax = plots.plot_digits(X[:12], y[:12], predictions=wrong, n_cols=5)
    (image,) = ax.get_images()
    assert image.get_array().shape == (3 * 9 - 1, 5 * 9 - 1)
    np.testing.assert_array_equal(image.get_array()[:8, :8], X[0].reshape(8, 8))
    texts = ax.texts
    assert [t.get_text() for t in texts] == [str(v) for v in wrong]
    assert texts[3].get_color() == "tab:red" and texts[0].get_color() == "tab:green"


def test_digits_reject_non_square_rows():
    with pytest.raises(ValueError, match="not square"):
        plots.plot_digits(np.zeros((2, 10)))


@pytest.fixture(scope="module")
def small_mlp():
    from ml import MLPClassifier

    X, y = datasets.load_digits()
    return MLPClassifier((16, 8), max_iter=4, random_state=0).fit(X / 16, y)


def test_plot_training_draws_each_weight_matrix_and_the_loss(small_mlp):
    axes = plots.plot_training(small_mlp)
    assert len(axes) == 4
    for ax, W, title in zip(
        axes, small_mlp.coefs_, ["Layer 1", "Layer 2", "Layer 3"], strict=False
    ):
        (image,) = ax.get_images()
        np.testing.assert_array_equal(image.get_array(), W)
        assert ax.get_title() == title
    (line,) = axes[-1].get_lines()
    np.testing.assert_array_equal(line.get_ydata(), small_mlp.loss_curve_)
    assert axes[-1].get_title() == "Loss Function"
    assert axes[0].figure.get_suptitle() == "Iteration 4"
    with pytest.raises(ValueError, match="axes must hold 4 Axes"):
        plots.plot_training(small_mlp, axes=axes[:2])


def test_live_training_plot_redraws_every_epoch(monkeypatch):
    from ml import MLPClassifier

    live = plots.LiveTrainingPlot(every=2)
    shown = []
    monkeypatch.setattr(live, "_show", lambda: shown.append(live.figure.get_suptitle()))
    X, y = datasets.load_digits()
    MLPClassifier((8,), max_iter=6, random_state=0, callbacks=[live]).fit(X / 16, y)
    assert shown == ["Iteration 2", "Iteration 4", "Iteration 6"]
    assert len(live.figure.axes) == 3


def test_live_training_plot_displays_in_a_notebook(monkeypatch, small_mlp):
    IPython = pytest.importorskip("IPython")
    display = pytest.importorskip("IPython.display")
    calls = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(display, "clear_output", lambda wait: calls.append("clear"))
    monkeypatch.setattr(display, "display", lambda fig: calls.append(fig))
    live = plots.LiveTrainingPlot()
    live.on_train_begin(small_mlp)
    live.on_epoch_end(small_mlp, 1, None)
    assert calls == ["clear", live.figure]


def test_decision_regions_of_an_mlp_on_two_spirals():
    from ml import MLPClassifier

    X, y = datasets.twospirals(200, random_state=0)
    model = MLPClassifier((32, 32), max_iter=300, learning_rate_init=0.01, random_state=0).fit(X, y)
    ax = plots.plot_decision_regions(model, X, y, resolution=40)
    assert len(ax.collections) == 2


@pytest.fixture(scope="module")
def small_cnn():
    from ml import ConvNetClassifier

    X, y = datasets.load_digits(images=True)
    return ConvNetClassifier(((4, 3), (6, 3)), max_iter=2, random_state=0).fit(X / 16, y)


def test_plot_filters_tiles_every_kernel(small_cnn):
    ax = plots.plot_filters(small_cnn)
    (image,) = ax.get_images()
    W = small_cnn.network_[0].params["W"]
    np.testing.assert_allclose(image.get_array()[:3, :3], W[0, 0])
    np.testing.assert_allclose(image.get_array()[:3, 4:7], W[1, 0])
    assert image.get_array().shape == (3, 4 * 4 - 1)
    assert ax.get_title() == "Conv2D layer 1: 4 kernels of 3x3"
    second = plots.plot_filters(small_cnn, layer=1)
    assert second.get_images()[0].get_array().shape == (6 * 4 - 1, 4 * 4 - 1)
    with pytest.raises(ValueError, match="no Conv2D layer"):
        plots.plot_filters(SoftmaxClassifier())


def test_plot_feature_maps_shows_what_each_layer_sees(small_cnn):
    X, _ = datasets.load_digits(images=True)
    axes = plots.plot_feature_maps(small_cnn, X[0] / 16)
    titles = [ax.get_title() for ax in axes]
    assert titles == [
        "input",
        "ReLU (4x8x8)",
        "MaxPool2D (4x4x4)",
        "ReLU (6x4x4)",
        "MaxPool2D (6x2x2)",
    ]
    np.testing.assert_allclose(axes[0].get_images()[0].get_array(), X[0] / 16)
    relu = np.maximum(small_cnn.network_[0].forward((X[:1] / 16)[:, None].astype(np.float32)), 0)
    np.testing.assert_allclose(axes[1].get_images()[0].get_array()[:8, :8], relu[0, 0], rtol=1e-6)


def test_plot_training_counts_units_and_iterations_in_whole_numbers():
    from ml import MLPClassifier

    X, y = datasets.load_digits()
    binary = MLPClassifier((2,), max_iter=3, random_state=0).fit(X / 16, y > 4)  # 1 output unit
    axes = plots.plot_training(binary)
    axes[0].figure.canvas.draw()
    for ax in axes:
        ticks = [*ax.get_xticks(), *(ax.get_yticks() if ax is not axes[-1] else [])]
        assert ticks and all(float(t).is_integer() for t in ticks), ax.get_title()
