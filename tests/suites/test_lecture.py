"""The lecture's code cells, run in order against `ml` as a notebook would; its numbers checked.

Then `ml`'s own functions are checked against the lecture's: the same seed must give the same
losses and weights.
"""

import ast
import contextlib
import io
import warnings
from pathlib import Path

import numpy as np
import pytest

import ml
from ml import functional as F

CELLS = Path(__file__).with_name("lecture_cells.py").read_text().split("\n# %%\n")[1:]


def _run_cell(source: str, namespace: dict):
    """Execute a cell; return what it printed and the value of its last expression, as Out[]."""
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(tree, "<lecture cell>", "exec"), namespace)
        value = None
        if last is not None:
            value = eval(compile(ast.Expression(last.value), "<lecture cell>", "eval"), namespace)
    return out.getvalue(), value


@pytest.fixture(scope="module")
def lecture():
    """Each cell's (stdout, value, namespace after the cell), in order."""
    namespace: dict = {"__name__": "__lecture__"}
    cells = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for source in CELLS:
            stdout, value = _run_cell(source, namespace)
            cells.append((stdout, value, dict(namespace)))
    return cells


def _cell(lecture, marker: str):
    """The first cell whose source contains ``marker``."""
    index = next(i for i, source in enumerate(CELLS) if marker in source)
    return lecture[index]


def test_every_cell_runs(lecture):
    assert len(lecture) == len(CELLS) == 25


def test_true_distributions_are_printed(lecture):
    stdout, _, _ = _cell(lecture, "print('True (discrete)")
    lines = stdout.splitlines()
    assert lines[0] == "True (discrete) probability distributions."
    assert lines[1:] == [str(row) for row in np.eye(10, dtype=int)]


def test_label_binarize_keeps_two_columns(lecture):
    _, value, _ = _cell(lecture, "label_binarize([0, 1, 1, 0], 2)")
    expected = [[1, 0], [0, 1], [0, 1], [1, 0]]
    np.testing.assert_array_equal(value, expected)
    np.testing.assert_array_equal(ml.label_binarize([0, 1, 1, 0], 2), expected)
    labels = np.random.default_rng(1).integers(0, 10, 100)
    namespace = lecture[-1][2]
    np.testing.assert_array_equal(
        ml.label_binarize(labels, 10), namespace["label_binarize"](labels, 10)
    )


def test_loss_of_the_random_weight_matrix(lecture):
    _, value, namespace = _cell(lecture, "loss_cross_ent(X, y, W)\n")
    assert value == pytest.approx(167.32104212686957, rel=1e-12)
    X, y, W = namespace["X"], namespace["y"], namespace["W"]
    assert float(ml.cross_entropy(X @ W, y, base=2)) == pytest.approx(167.32104212686957, rel=1e-9)
    logits = X @ W / 50
    np.testing.assert_allclose(ml.softmax(logits), namespace["softmax"](logits), rtol=1e-12)


def _digits_loss(namespace):
    X, y = namespace["X"], namespace["y"]
    return lambda W: namespace["loss_cross_ent"](X, y, W)


def test_random_search_matches_the_lecture(lecture):
    _, _, namespace = _cell(lecture, "losses_random = random_search(")
    n = 300
    ours = ml.random_search(
        _digits_loss(namespace), (65, 10), max_iter=n, random_state=0, verbose=False
    )
    np.testing.assert_allclose(ours.losses, namespace["losses_random"][:n], rtol=1e-12)
    assert ours.losses.min() == pytest.approx(
        ml.cross_entropy(namespace["X"] @ ours.W, namespace["y"], base=2), rel=1e-9
    )


def test_random_local_search_matches_random_descent(lecture):
    _, _, namespace = _cell(lecture, "losses_random = random_descent(")
    n = 300
    ours = ml.random_local_search(
        _digits_loss(namespace), (65, 10), max_iter=n, random_state=0, verbose=False
    )
    np.testing.assert_allclose(ours.losses, namespace["losses_random"][:n], rtol=1e-12)
    assert len(namespace["losses_random"]) == 2500
    assert namespace["losses_random"][-1] < namespace["losses_random"][0]


def test_gradient_descent_matches_the_lecture(lecture):
    _, _, namespace = _cell(lecture, "losses, W = gradient_descent(X, y, loss_cross_ent")
    X, y = namespace["X"], namespace["y"]
    n = 300
    ours = ml.gradient_descent(
        lambda W: ml.cross_entropy(X @ W, y, base=2),
        lambda W: X.T @ ml.cross_entropy_gradient(X @ W, y),  # the lecture's p - y, in nats
        (65, 10),
        max_iter=n,
        random_state=0,
        verbose=False,
    )
    np.testing.assert_allclose(ours.losses, namespace["losses"][:n], rtol=1e-9)
    # gradient descent beats random local search by far, the lecture's point
    assert namespace["losses"][-1] < 0.2 < namespace["losses_random"][-1]


def test_blobs_softmax_classifier_is_the_lectures_gradient_descent(lecture):
    _, value, namespace = _cell(lecture, "prediction = np.argmax(softmax(X_b @ W)")
    X, y, W = namespace["X"], namespace["y"], namespace["W"]
    model = ml.SoftmaxClassifier(
        solver="gradient_descent",
        learning_rate=0.01,
        max_iter=150,
        alpha=0,
        random_state=0,
        dtype="float64",
    ).fit(X, y)
    np.testing.assert_allclose(model.intercept_, W[0], rtol=1e-9)
    np.testing.assert_allclose(model.coef_, W[1:].T, rtol=1e-9)
    np.testing.assert_array_equal(model.predict(X), namespace["prediction"])
    assert len(value.get_offsets()) == 1500


def test_spirals_and_the_mlp_cells(lecture):
    _, _, namespace = _cell(lecture, "X, y = plots.twospirals(n_samples=300)")
    assert namespace["X_b"].shape == (600, 3)
    _, legend, namespace = _cell(lecture, "clf = MLPClassifier(hidden_layer_sizes=(10, 10)")
    assert [t.get_text() for t in legend.get_texts()] == ["truth", "prediction"]
    stdout, _, namespace = _cell(lecture, "display.display(plt.gcf())")
    assert stdout.count("Figure") == 9
    assert len(namespace["mlp"].loss_curve_) == 10


def test_activation_cells_agree_with_ml(lecture):
    namespace = lecture[-1][2]
    assert _cell(lecture, "def sigmoid(x)")[1].get_text() == "Sigmoid"
    assert _cell(lecture, "def tanh(x)")[1].get_text() == "tanh"
    x = np.linspace(-10, 10, 201)
    for name in ["sigmoid", "tanh", "relu", "softplus"]:
        np.testing.assert_allclose(getattr(F, name)(x), namespace[name](x), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(
            getattr(F, f"{name}_gradient")(x),
            namespace[f"{name}_gradient"](x),
            rtol=1e-9,
            atol=1e-15,
        )
