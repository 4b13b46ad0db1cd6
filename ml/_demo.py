"""The runs behind ``python -m ml``: the demo's sections, and what ``demo`` and ``train``
share (fit a model and print its scores, write a figure atomically)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split

from ml import datasets, optim, plots
from ml.estimators import ConvNetClassifier, MLPClassifier, SoftmaxClassifier
from ml.functional import cross_entropy, cross_entropy_gradient, label_binarize
from ml.io.archive import write_atomically

__all__ = ["run_demo", "fit_and_score", "last", "save", "shows_progress"]


def shows_progress() -> bool:
    """Progress bars where a person watches (a terminal), none in logs and pipes."""
    return sys.stderr.isatty()


def save(fig, out: Path, name: str) -> Path:
    """Write ``fig`` to ``out/name`` atomically: a temporary file in the same folder, renamed."""
    out.mkdir(exist_ok=True)  # one level at most: main checked that its parent exists
    path = write_atomically(out / name, lambda f: fig.savefig(f, format="png"))
    plt.close(fig)
    print(f"  wrote {path}")
    return path


def fit_and_score(model, X, y, seed, test_size=0.25):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=seed
    )
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    curve = last(model).loss_curve_
    loss = f"{curve[-1]:.4f}" if curve else "   -  "  # no epoch run (max_iter=0)
    print(
        f"  {_model_name(model):<34} train {model.score(X_train, y_train):6.1%}  "
        f"test {model.score(X_test, y_test):6.1%}  loss {loss}  "
        f"{last(model).n_iter_:4d} iterations  {seconds:5.2f} s"
    )
    return model, X_test, y_test


def last(model):
    """The estimator itself, or the last step of a pipeline."""
    return model[-1] if hasattr(model, "steps") else model


def _model_name(model) -> str:
    model = last(model)
    if isinstance(model, ConvNetClassifier):
        return f"CNN {tuple(b[0] for b in model.conv_layers)} {model.solver}"
    if isinstance(model, MLPClassifier):
        return f"MLP {tuple(model.hidden_layer_sizes)} {model.solver}"
    return f"softmax classifier ({model.solver})"


def run_demo(args, parser) -> int:
    out, seed, verbose = Path(args.out), args.random_state, shows_progress()
    print(f"ml demo: figures go to {out.resolve()}")
    X, y = datasets.load_digits()
    for section in (_demo_digits, _demo_cnn, _demo_searches, _demo_spirals, _demo_blobs):
        section(X, y, out, seed, verbose)
    return 0


def _demo_digits(X, y, out, seed, verbose):
    print("\nDigits (8x8 images, 10 classes), 25 % held out; the MLP sees pixels / 16:")
    fit_and_score(SoftmaxClassifier(random_state=seed, verbose=verbose), X, y, seed)
    mlp, X_test, _ = fit_and_score(
        MLPClassifier((64, 64), random_state=seed, verbose=verbose), X / 16, y, seed
    )
    shown = X_test[:30]
    save(plots.plot_digits(shown, mlp.predict(shown)).figure, out, "digits_predictions.png")
    save(plots.plot_training(mlp)[0].figure, out, "digits_mlp_training.png")


def _demo_cnn(X, y, out, seed, verbose):
    print("\nDigits as 8x8 images: a CNN against an MLP of about as many weights, then the test")
    print("images shifted by a few pixels (training saw them in place):")
    images = (X.reshape(-1, 8, 8) / 16).astype(np.float32)  # float32 images train in float32
    cnn, images_test, y_test = fit_and_score(
        ConvNetClassifier(random_state=seed, verbose=verbose), images, y, seed
    )
    wide, _, _ = fit_and_score(
        MLPClassifier((160,), random_state=seed, verbose=verbose), X / 16, y, seed
    )
    for max_shift in (1, 2):
        shifted = datasets.shift_images(images_test, max_shift=max_shift, random_state=seed)
        cnn_score = cnn.score(shifted, y_test)
        mlp_score = wide.score(shifted.reshape(len(shifted), -1), y_test)
        label = f"shifted by up to {max_shift} pixel{'s' * (max_shift > 1)}"
        print(f"  {label:<34} CNN {cnn_score:6.1%}  MLP {mlp_score:6.1%}")
    save(plots.plot_filters(cnn).figure, out, "cnn_filters.png")
    save(plots.plot_feature_maps(cnn, images_test[0])[0].figure, out, "cnn_feature_maps.png")


def _demo_searches(X, y, out, seed, verbose):
    print("\nThe lecture's searches for W on digits (cross-entropy in bits, 500 steps each):")
    curves = _lecture_searches(X, y, seed)
    for name, losses in curves.items():
        print(f"  {name:<34} first loss {losses[0]:8.3f}  last loss {losses[-1]:8.3f}")
    save(plots.plot_loss_curves(curves).figure, out, "loss_curves.png")


def _demo_spirals(X, y, out, seed, verbose):
    print("\nTwo spirals (2 x 400 points), 25 % held out:")
    X, y = datasets.twospirals(400, random_state=seed)
    linear = SoftmaxClassifier(learning_rate=0.1, random_state=seed)
    deep = MLPClassifier((64, 64, 64), max_iter=1000, random_state=seed, verbose=verbose)
    for model, name, title in [
        (linear, "spirals_softmax.png", "A linear classifier cannot separate two spirals"),
        (deep, "spirals_mlp.png", "A multi-layer perceptron can"),
    ]:
        fit_and_score(model, X, y, seed)
        ax = plots.plot_decision_regions(model, X, y)
        ax.set_title(title)
        save(ax.figure, out, name)


def _demo_blobs(X, y, out, seed, verbose):
    print("\nThe lecture's three blobs:")
    X, y = datasets.blobs()
    model = SoftmaxClassifier(learning_rate=0.1, random_state=seed).fit(X, y)
    print(f"  {'softmax classifier':<34} train {model.score(X, y):6.1%}")
    save(plots.plot_decision_regions(model, X, y).figure, out, "blobs_softmax.png")
    save(plots.plot_activations().figure, out, "activations.png")


def _lecture_searches(X, y, seed, max_iter=500):
    """Random search, random local search and gradient descent on the digits, as in the lecture."""
    X_b = np.hstack([np.ones((len(X), 1)), X])
    Y = label_binarize(y, 10)
    shape = (X_b.shape[1], Y.shape[1])

    def loss(W):
        return cross_entropy(X_b @ W, Y, base=2)

    def gradient(W):
        return X_b.T @ cross_entropy_gradient(X_b @ W, Y, base=2)

    options = dict(max_iter=max_iter, random_state=seed, verbose=shows_progress())
    return {
        "random search": optim.random_search(loss, shape, **options).losses,
        "random local search": optim.random_local_search(loss, shape, **options).losses,
        "gradient descent": optim.gradient_descent(loss, gradient, shape, **options).losses,
    }
