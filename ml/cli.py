"""``python -m ml``: train on built-in data and show the results.

``python -m ml demo`` runs the lecture end to end and writes its figures; ``python -m ml train``
trains one model on one dataset with the hyper-parameters you give.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from ml import datasets, optim, plots  # noqa: E402
from ml.estimators import SoftmaxClassifier  # noqa: E402
from ml.functional import cross_entropy, cross_entropy_gradient, label_binarize  # noqa: E402

DEFAULT_OUT = "ml-demo-output"

DATASETS = {
    "digits": lambda seed: datasets.load_digits(),
    "spirals": lambda seed: datasets.twospirals(400, random_state=seed),
    "xor": lambda seed: datasets.xor(400, noise=0.05, random_state=seed),
    "circles": lambda seed: datasets.circles(400, random_state=seed),
    "blobs": lambda seed: datasets.blobs(random_state=seed),
}
MODELS = {"softmax": SoftmaxClassifier}


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m ml`` and of the ``ml`` script."""
    args = _parser().parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    plots.set_plot_style()
    return args.command(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ml",
        description="Neural networks from the lecture: train on built-in data, print the "
        "results and write the figures.",
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="train every model on digits and two spirals, print accuracies, write figures",
        description="Train the softmax classifier on digits and two spirals, compare the "
        "lecture's three searches, print accuracies and losses, and write the figures as PNG.",
    )
    demo.add_argument(
        "--out", default=DEFAULT_OUT, help=f"folder for the figures (default: ./{DEFAULT_OUT})"
    )
    demo.add_argument("--random-state", type=int, default=0, help="seed (default: 0)")
    demo.set_defaults(command=_demo)

    train = commands.add_parser(
        "train",
        help="train one model on one dataset",
        description="Train one model on one built-in dataset, print train and test accuracy "
        "and write the loss curve (and, for 2-D data, the decision regions).",
    )
    train.add_argument("--data", choices=sorted(DATASETS), default="digits")
    train.add_argument("--model", choices=sorted(MODELS), default="softmax")
    train.add_argument(
        "--solver",
        default="sgd",
        help="sgd, gradient_descent, random_local_search or random_search (default: sgd)",
    )
    train.add_argument("--max-iter", type=int, default=200, help="epochs or steps (default: 200)")
    train.add_argument("--learning-rate", type=float, default=0.01, help="(default: 0.01)")
    train.add_argument("--alpha", type=float, default=1e-4, help="L2 penalty (default: 1e-4)")
    train.add_argument("--test-size", type=float, default=0.25, help="(default: 0.25)")
    train.add_argument("--random-state", type=int, default=0, help="seed (default: 0)")
    train.add_argument(
        "--out", default=DEFAULT_OUT, help=f"folder for the figures (default: ./{DEFAULT_OUT})"
    )
    train.set_defaults(command=_train)
    return parser


def _verbose() -> bool:
    return sys.stderr.isatty()


def _save(fig, out: Path, name: str) -> Path:
    """Write ``fig`` to ``out/name`` atomically: a temporary file in the same folder, renamed."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".png", dir=out)
    try:
        with os.fdopen(fd, "wb") as f:
            fig.savefig(f, format="png")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    plt.close(fig)
    print(f"  wrote {path}")
    return path


def _fit_and_score(model, X, y, seed, test_size=0.25):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=y
    )
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    return model, model.score(X_train, y_train), model.score(X_test, y_test), seconds, X_test


def _report(name, model, train_acc, test_acc, seconds):
    print(
        f"  {name:<34} train {train_acc:6.1%}  test {test_acc:6.1%}  "
        f"loss {model.loss_curve_[-1]:.4f}  {model.n_iter_:4d} iterations  {seconds:5.2f} s"
    )


def _demo(args) -> int:
    out, seed = Path(args.out), args.random_state
    print(f"ml demo: figures go to {out.resolve()}")

    print("\nDigits (8x8 images, 10 classes), 25 % held out:")
    X, y = datasets.load_digits()
    model, train_acc, test_acc, seconds, X_test = _fit_and_score(
        SoftmaxClassifier(random_state=seed, verbose=_verbose()), X, y, seed
    )
    _report("softmax classifier (SGD)", model, train_acc, test_acc, seconds)
    shown = X_test[:30]
    _save(plots.plot_digits(shown, model.predict(shown)).figure, out, "digits_predictions.png")

    print("\nThe lecture's searches for W on digits (cross-entropy in bits, 500 steps each):")
    curves = _lecture_searches(X, y, seed)
    for name, losses in curves.items():
        print(f"  {name:<34} first loss {losses[0]:8.3f}  last loss {losses[-1]:8.3f}")
    _save(plots.plot_loss_curves(curves).figure, out, "loss_curves.png")

    print("\nTwo spirals (2 x 400 points), 25 % held out:")
    X, y = datasets.twospirals(400, random_state=seed)
    model, train_acc, test_acc, seconds, _ = _fit_and_score(
        SoftmaxClassifier(learning_rate=0.1, random_state=seed, verbose=_verbose()), X, y, seed
    )
    _report("softmax classifier (linear)", model, train_acc, test_acc, seconds)
    ax = plots.plot_decision_regions(model, X, y)
    ax.set_title("A linear classifier cannot separate two spirals")
    _save(ax.figure, out, "spirals_softmax.png")

    print("\nThe lecture's three blobs:")
    X, y = datasets.blobs()
    model = SoftmaxClassifier(learning_rate=0.1, random_state=seed).fit(X, y)
    print(f"  {'softmax classifier':<34} train {model.score(X, y):6.1%}")
    _save(plots.plot_decision_regions(model, X, y).figure, out, "blobs_softmax.png")
    _save(plots.plot_activations().figure, out, "activations.png")
    return 0


def _lecture_searches(X, y, seed, max_iter=500):
    """Random search, random local search and gradient descent on the digits, as in the lecture."""
    X_b = np.hstack([np.ones((len(X), 1)), X])
    Y = label_binarize(y, 10)
    shape = (X_b.shape[1], Y.shape[1])

    def loss(W):
        return cross_entropy(X_b @ W, Y, base=2)

    def gradient(W):
        return X_b.T @ cross_entropy_gradient(X_b @ W, Y, base=2)

    options = dict(max_iter=max_iter, random_state=seed, verbose=_verbose())
    return {
        "random search": optim.random_search(loss, shape, **options).losses,
        "random local search": optim.random_local_search(loss, shape, **options).losses,
        "gradient descent": optim.gradient_descent(loss, gradient, shape, **options).losses,
    }


def _train(args) -> int:
    X, y = DATASETS[args.data](args.random_state)
    model = MODELS[args.model](
        solver=args.solver,
        max_iter=args.max_iter,
        learning_rate=args.learning_rate,
        alpha=args.alpha,
        random_state=args.random_state,
        verbose=_verbose(),
    )
    print(f"ml train: {args.model} on {args.data} ({len(X)} samples)")
    model, train_acc, test_acc, seconds, _ = _fit_and_score(
        model, X, y, args.random_state, args.test_size
    )
    _report(args.model, model, train_acc, test_acc, seconds)
    out = Path(args.out)
    _save(
        plots.plot_loss_curves(model.loss_curve_, title=f"{args.model} on {args.data}").figure,
        out,
        f"{args.data}_{args.model}_loss.png",
    )
    if X.shape[1] == 2:
        ax = plots.plot_decision_regions(model, X, y)
        _save(ax.figure, out, f"{args.data}_{args.model}_regions.png")
    return 0
