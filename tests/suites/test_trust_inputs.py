"""Valid input that must work, invalid input that must be named, resources that must be given
back, and fits that must be reproducible across processes (the trust issue, classes 4-8)."""

import gzip
import os
import pickle
import stat
import subprocess
import sys
import textwrap
import tracemalloc
import warnings

import numpy as np
import pytest

import ml
from ml import (
    ConvNetClassifier,
    DivergenceError,
    MLPClassifier,
    SoftmaxClassifier,
    nn,
    optim,
    plots,
)
from ml.train import Callback

X, Y = ml.datasets.load_digits()
X, Y = X[:200] / 16, Y[:200]


# --- 4. valid input that must work ---


def test_zero_sample_weights_in_a_small_batch_train():
    weight = np.ones(len(X))
    weight[:20] = 0  # the first batches of 10 weigh nothing
    model = MLPClassifier((8,), batch_size=10, shuffle=False, max_iter=3, random_state=0)
    model.fit(X, Y, sample_weight=weight)
    assert np.isfinite(model.loss_curve_).all()
    balanced = MLPClassifier((8,), batch_size=10, max_iter=3, class_weight={0: 0.0}, random_state=0)
    assert np.isfinite(balanced.fit(X, Y).loss_curve_).all()


def test_callbacks_run_with_lbfgs_and_can_stop_it():
    seen = []

    class Stop(Callback):
        def on_train_begin(self, model):
            seen.append("begin")

        def on_epoch_end(self, model, epoch, history):
            seen.append(epoch)
            return epoch == 3

        def on_train_end(self, model, history):
            seen.append("end")

    model = MLPClassifier((8,), solver="lbfgs", max_iter=50, callbacks=[Stop()], random_state=0)
    model.fit(X, Y)
    assert seen == ["begin", 1, 2, 3, "end"] and model.n_iter_ == 3
    assert model.history_.stop == "converged"


class _Interrupt(Callback):
    def on_epoch_end(self, model, epoch, history):
        if epoch == 2:
            raise KeyboardInterrupt


def test_ctrl_c_during_lbfgs_keeps_the_last_iterations_weights():
    model = MLPClassifier((8,), solver="lbfgs", max_iter=50, callbacks=[_Interrupt()])
    with pytest.warns(UserWarning, match="interrupted by Ctrl-C after 2 iterations"):
        model.fit(X, Y)
    assert model.history_.stop == "interrupted" and model.n_iter_ == 2
    assert np.isfinite(model.predict_proba(X)).all()


def test_ctrl_c_during_a_search_returns_the_best_so_far():
    calls = []

    def loss(W):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return float((W**2).sum())

    for search in (optim.random_search, optim.random_local_search):
        calls.clear()
        with pytest.warns(UserWarning, match="interrupted by Ctrl-C"):
            losses, W = search(loss, (2, 2), max_iter=100, random_state=0, verbose=False)
        assert len(losses) == 4 and np.isfinite(W).all()
    calls.clear()
    with pytest.warns(UserWarning, match="gradient descent was interrupted"):
        losses, W = optim.gradient_descent(loss, lambda W: 2 * W, (2, 2), verbose=False)
    assert len(losses) == 4


def test_softmax_gradient_descent_interrupted_is_a_fitted_model(monkeypatch):
    calls = []
    original = SoftmaxClassifier._loss

    def loss(self, W, X_b, Y_, weight=None):
        calls.append(1)
        if len(calls) == 6:
            raise KeyboardInterrupt
        return original(self, W, X_b, Y_, weight)

    monkeypatch.setattr(SoftmaxClassifier, "_loss", loss)
    model = SoftmaxClassifier(solver="gradient_descent", max_iter=100, random_state=0)
    with pytest.warns(UserWarning, match="interrupted"):
        model.fit(X, Y)
    assert model.n_iter_ == len(model.loss_curve_) == 5 and model.score(X, Y) > 0


def test_searches_that_never_see_a_finite_loss_raise():
    for search in (optim.random_search, optim.random_local_search):
        with pytest.raises(DivergenceError, match="Every loss"):
            search(lambda W: float("inf"), (2, 2), max_iter=5, verbose=False)


@pytest.mark.parametrize("Estimator", [MLPClassifier, SoftmaxClassifier, ConvNetClassifier])
def test_missing_values_in_lists_are_refused(Estimator):
    rows = [[0.5, None, 0.1, 0.2]] + [[0.1, 0.2, 0.3, 0.4]] * 3
    with pytest.raises(ValueError, match="X contains NaN"):
        Estimator(max_iter=2).fit(rows, [0, 1, 0, 1])


# --- 5. messages that name the argument ---

NAMED = {
    "hidden_layer_sizes=None": (lambda: MLPClassifier(None), "hidden_layer_sizes"),
    "hidden_layer_sizes=(10**30,)": (lambda: MLPClassifier((10**30,)), "hidden_layer_sizes\\[0\\]"),
    "activation=None": (lambda: MLPClassifier(activation=None), "activation"),
    "dropout=None": (lambda: MLPClassifier(dropout=None), "dropout"),
    "conv_layers=None": (lambda: ConvNetClassifier(conv_layers=None), "conv_layers"),
    "image_shape='abc'": (lambda: ConvNetClassifier(image_shape="abc"), "image_shape"),
    "padding=1.5": (lambda: ConvNetClassifier(padding=1.5), "padding"),
    "callbacks=5": (lambda: MLPClassifier(callbacks=5), "callbacks"),
    "shuffle='False'": (lambda: MLPClassifier(shuffle="False"), "shuffle must be True or False"),
}


@pytest.mark.parametrize("case", NAMED)
def test_estimator_parameters_are_named(case):
    make, name = NAMED[case]
    with pytest.raises((TypeError, ValueError), match=name):
        make().fit(X, Y)


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: nn.Dense(0, 3), "in_features"),
        (lambda: nn.Dense(2.5, 3), "in_features"),
        (lambda: nn.Conv2D(0, 2, 3), "in_channels"),
        (lambda: nn.Conv2D(1, 2, 3, stride=2**63), "stride"),
        (lambda: nn.Conv2D(1, 2, 3, padding=5), "padding"),
        (lambda: nn.MaxPool2D(0), "kernel_size"),
        (lambda: nn.Dropout("x"), "p must be"),
        (lambda: nn.BatchNorm1d(4, eps=-1), "eps"),
        (lambda: nn.LeakyReLU(negative_slope="x"), "negative_slope"),
        (lambda: nn.Activation("relux"), "activation"),
        (lambda: optim.InvScaling(optim.SGD(0.1), power_t=-1), "power_t"),
        (lambda: list(ml.train.minibatches(10, 0)), "batch_size"),
    ],
)
def test_layer_and_function_arguments_are_named(make, name):
    with pytest.raises((TypeError, ValueError), match=name):
        make()


def test_backward_before_forward_says_so():
    with pytest.raises(RuntimeError, match="Dense.backward needs a forward pass"):
        nn.Dense(2, 3).backward(np.ones((1, 3)))


# --- 7. resources ---


def test_predict_keeps_nothing_for_backward():
    model = MLPClassifier((256,), max_iter=1, random_state=0).fit(X, Y)
    big = np.tile(X, (50, 1))  # 10,000 rows: 5 MB in, 20 MB of hidden activations
    tracemalloc.start()
    model.predict_proba(big)
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert held < big.nbytes / 10
    assert all(layer._saved == {} for layer in model.network_)


def test_saved_files_get_the_users_permissions(tmp_path):
    previous = os.umask(0o022)
    try:
        MLPClassifier((4,), max_iter=1).fit(X, Y).save(tmp_path / "m.ml")
        ml.save(nn.Sequential(nn.Dense(2, 2)), tmp_path / "n.ml")
    finally:
        os.umask(previous)
    for name in ("m.ml", "n.ml"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o644


def test_a_fitted_model_pickles_without_the_last_batch():
    model = MLPClassifier((16,), max_iter=2, random_state=0).fit(X, Y)
    weights = sum(p.nbytes for p in model.network_.parameters())
    assert len(pickle.dumps(model)) < 3 * weights + 20_000


# --- 8. reproducibility ---

_FIT_IN_A_NEW_PROCESS = textwrap.dedent(
    """
    import sys, warnings
    import numpy as np
    import ml
    from ml import nn
    warnings.simplefilter("ignore")
    X, y = ml.datasets.load_digits(images=True)
    net = nn.Sequential(nn.Conv2D(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Dense(256, 10))
    model = ml.ConvNetClassifier(network=net, max_iter=2, random_state=0).fit(X[:100] / 16, y[:100])
    np.save(sys.argv[1], np.concatenate([p.ravel() for p in model.network_.parameters()]))
    """
)


def test_a_given_network_fits_the_same_in_two_processes(tmp_path):
    runs = []
    for i in range(2):
        path = tmp_path / f"weights{i}.npy"
        subprocess.run([sys.executable, "-c", _FIT_IN_A_NEW_PROCESS, str(path)], check=True)
        runs.append(np.load(path))
    np.testing.assert_array_equal(runs[0], runs[1])


# --- MNIST files ---


def _idx_header(shape, type_code=0x08):
    return bytes([0, 0, type_code, len(shape)]) + b"".join(s.to_bytes(4, "big") for s in shape)


def test_read_idx_stops_at_the_bytes_its_header_declares(tmp_path):
    bomb = tmp_path / "bomb-idx3-ubyte.gz"
    with gzip.open(bomb, "wb") as f:  # a small header, then 200 MB of zeros that compress well
        f.write(_idx_header((2, 2, 2)))
        for _ in range(200):
            f.write(bytes(1 << 20))
    tracemalloc.start()
    with pytest.raises(ValueError, match="holds more"):
        ml.datasets.read_idx(bomb)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1 << 20  # never inflated beyond what the header declared
    huge = tmp_path / "huge.gz"
    with gzip.open(huge, "wb") as f:
        f.write(_idx_header((60000, 60000, 60000)))
    with pytest.raises(ValueError, match="more than an IDX file may hold"):
        ml.datasets.read_idx(huge)


def test_read_idx_reads_what_its_header_declares(tmp_path):
    path = tmp_path / "ok-idx1-ubyte"
    path.write_bytes(_idx_header((3,)) + bytes([1, 2, 3]))
    np.testing.assert_array_equal(ml.datasets.read_idx(path), [1, 2, 3])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path.write_bytes(_idx_header((4,)) + bytes([1, 2, 3]))
        with pytest.raises(ValueError, match="holds fewer"):
            ml.datasets.read_idx(path)


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: nn.Dense(3, 3, dtype="int32"), "dtype"),
        (lambda: nn.BatchNorm1d(3, dtype=np.int64), "dtype"),
        (lambda: ml.softmax(np.array([["a", "b"]])), "logits must be an array of numbers"),
        (lambda: plots.plot_network(nn.Sequential(nn.Dense(2, 2)), max_units=0), "max_units"),
        (lambda: plots.plot_loss_curves(["x"]), "curves"),
        (lambda: nn.trace(nn.Sequential(nn.Dense(2, 2)), np.zeros((3, 2)), [0, 1]), "x and y"),
        (lambda: ml.datasets.load_digits(images="yes"), "images must be True or False"),
        (lambda: ml.datasets.shift_images(np.zeros((4, 64)), 1), "images must have shape"),
        (lambda: ml.numerical_gradient(lambda w: 0.0, np.zeros(3), eps=0), "eps"),
        (lambda: nn.Sequential(nn.Dense(2, 2)).summary("x"), "input_shape"),
        (lambda: plots.plot_digits(np.zeros((2, 64)), n_cols=0), "n_cols"),
        (lambda: plots.plot_training(MLPClassifier()), "not fitted"),
    ],
)
def test_more_arguments_are_named(make, name):
    with pytest.raises((TypeError, ValueError), match=name):
        make()


def test_plot_arguments_of_a_fitted_model_are_named():
    model = MLPClassifier((4,), max_iter=2).fit(X[:, :2], Y)
    with pytest.raises(ValueError, match="resolution"):
        plots.plot_decision_regions(model, X[:, :2], Y, resolution=0)
    cnn = ConvNetClassifier(((2, 3),), max_iter=1).fit(X.reshape(-1, 8, 8)[:20], Y[:20])
    with pytest.raises(ValueError, match="layer must be"):
        plots.plot_filters(cnn, layer=5)
    with pytest.raises(ValueError, match="image must have shape"):
        plots.plot_feature_maps(cnn, np.zeros((3, 3)))


def test_figures_of_the_command_line_get_the_users_permissions(tmp_path):
    from ml.cli import main

    previous = os.umask(0o022)
    try:
        assert main(["train", "--data", "xor", "--max-iter", "2", "--out", str(tmp_path)]) == 0
    finally:
        os.umask(previous)
    figures = list(tmp_path.glob("*.png"))
    assert figures and all(stat.S_IMODE(os.stat(f).st_mode) == 0o644 for f in figures)


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: MLPClassifier(hidden_layer_sizes=(2**20, 2**20)).fit(X, Y), "hidden_layer_sizes"),
        (lambda: MLPClassifier((2**20,) * 3, solver="lbfgs").fit(X, Y), "hidden_layer_sizes"),
        (lambda: nn.Dense(2**24, 2**24), r"Dense\(16777216, 16777216\)"),
        (lambda: nn.Conv2D(2**20, 2**20, 5), r"Conv2D\(1048576, 1048576\)"),
    ],
)
def test_a_network_too_large_for_memory_is_refused_before_allocating(make, name):
    tracemalloc.start()
    with pytest.raises(ValueError, match=f"{name}: .* would take .*, more than this machine's"):
        make()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 200 * 2**20


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: ml.datasets.shift_images(np.zeros((3, 8, 8)), max_shift=9),
            r"max_shift must be smaller than the images \(8 x 8\); got 9",
        ),
        (
            lambda: ml.random_search(lambda W: 0.0, shape=(-1, 2), max_iter=2),
            r"shape must be a tuple of positive ints; got \(-1, 2\)",
        ),
        (
            lambda: ml.gradient_descent(lambda W: 0.0, lambda W: W, shape="3x3", max_iter=2),
            "shape must be a tuple of positive ints",
        ),
        (
            lambda: MLPClassifier((4,), max_iter=1).partial_fit(
                np.zeros((4, 2)), [0, 1, 2, 7], classes=[0, 1, 2]
            ),
            r"New in y: \[7\]",
        ),
    ],
)
def test_messages_name_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_rows", [4, 3000])  # checked value by value, and through row sums
@pytest.mark.parametrize("order", ["C", "F"])  # sums by a product with ones, and by np.sum
def test_predict_refuses_nan_and_infinity_and_takes_values_whose_sum_overflows(
    dtype, n_rows, order
):
    """predict checks a large X's finiteness through the sum of its rows: a NaN or an infinity
    anywhere is refused by name, and finite values so large that their sum overflows pass."""
    model = MLPClassifier((8,), max_iter=5, random_state=0).fit(X.astype(dtype), Y)
    for layer in model.network_.layers:  # small enough that the output of huge X stays finite,
        if "W" in layer.params:  # whatever order a BLAS sums a product in
            layer.params["W"] *= 1e-3
    huge = np.full((n_rows, X.shape[1]), np.finfo(dtype).max / 2, dtype, order=order)
    with np.errstate(over="ignore", invalid="ignore"):
        assert model.predict(huge).shape == (n_rows,)
    many = np.resize(X, (n_rows, X.shape[1]))
    for bad, message in ((np.nan, "NaN"), (np.inf, "infinity"), (-np.inf, "infinity")):
        rows = np.array(many, dtype=dtype, order=order)
        rows[n_rows // 2, 5] = bad
        with pytest.raises(ValueError, match=message):
            model.predict(rows)
