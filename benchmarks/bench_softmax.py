"""Time the softmax classifier against scikit-learn and PyTorch on the same data, as ratios.

The same model everywhere: a linear layer with softmax cross-entropy, trained by plain minibatch
SGD (batch 200, learning rate 0.01, no momentum) for a fixed number of epochs. scikit-learn's
version is ``MLPClassifier(hidden_layer_sizes=())``; its ``LogisticRegression`` (L-BFGS, a
different algorithm) is shown for reference. Run: ``python benchmarks/bench_softmax.py``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from ml import SoftmaxClassifier, datasets

LEARNING_RATE, BATCH_SIZE, ALPHA = 0.01, 200, 1e-4


def _ours(epochs):
    return SoftmaxClassifier(
        learning_rate=LEARNING_RATE,
        batch_size=BATCH_SIZE,
        alpha=ALPHA,
        max_iter=epochs,
        n_iter_no_change=epochs + 1,
        random_state=0,
    )


def _sklearn_mlp(epochs):
    return MLPClassifier(
        hidden_layer_sizes=(),
        solver="sgd",
        learning_rate_init=LEARNING_RATE,
        momentum=0.0,
        batch_size=BATCH_SIZE,
        alpha=ALPHA,
        max_iter=epochs,
        n_iter_no_change=epochs + 1,
        random_state=0,
    )


def _torch_fit(X, y, epochs):
    import torch

    X_t, y_t = torch.from_numpy(X.astype(np.float32)), torch.from_numpy(y.astype(np.int64))
    torch.manual_seed(0)
    layer = torch.nn.Linear(X.shape[1], int(y.max()) + 1)
    optimizer = torch.optim.SGD(layer.parameters(), lr=LEARNING_RATE)
    loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(epochs):
        order = torch.randperm(len(X_t))
        for start in range(0, len(X_t), BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            optimizer.zero_grad()
            loss_fn(layer(X_t[batch]), y_t[batch]).backward()
            optimizer.step()
    return lambda X_new: layer(torch.from_numpy(X_new.astype(np.float32))).argmax(1).numpy()


def _time(fit, repeats):
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        predict = fit()
        best = min(best, time.perf_counter() - start)
    return best, predict


def run(name, X, y, epochs, repeats):
    X = StandardScaler().fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    contenders = {
        "ml SoftmaxClassifier": lambda: _ours(epochs).fit(X_train, y_train).predict,
        "sklearn MLPClassifier(())": lambda: _sklearn_mlp(epochs).fit(X_train, y_train).predict,
        "sklearn LogisticRegression": lambda: (
            LogisticRegression(max_iter=1000).fit(X_train, y_train).predict
        ),
    }
    try:
        import torch

        torch.set_num_threads(max(1, torch.get_num_threads()))
        contenders["torch Linear + SGD"] = lambda: _torch_fit(X_train, y_train, epochs)
    except ImportError:
        print("(torch is not installed: pip install '.[bench]')")
    print(f"\n{name}: {X_train.shape[0]} training rows, {X.shape[1]} features, {epochs} epochs")
    ours = None
    for label, fit in contenders.items():
        seconds, predict = _time(fit, repeats)
        accuracy = np.mean(predict(X_test) == y_test)
        ours = ours or seconds
        print(
            f"  {label:<28} {seconds * 1000:9.1f} ms  test accuracy {accuracy:6.1%}  "
            f"time / ml's {seconds / ours:5.2f}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = datasets.load_digits()
    run("digits", X, y, args.epochs, args.repeats)
    X, y = make_classification(
        n_samples=40_000, n_features=100, n_informative=40, n_classes=10, random_state=0
    )
    run("synthetic", X, y, args.epochs // 5, args.repeats)


if __name__ == "__main__":
    main()
