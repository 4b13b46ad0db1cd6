"""ConvNetClassifier against the same network in PyTorch (CPU), on digits as 8x8 images.

Both train ``Conv(16, 3x3) -> ReLU -> MaxPool 2 -> Conv(32, 3x3) -> ReLU -> MaxPool 2 ->
Dense(64) -> ReLU -> Dense(10)`` with Adam (learning rate 0.001, batch 200) for the same number
of epochs; the script prints test accuracy, fit time and the time ratio, and the MLP of about as
many weights for reference, also on test digits shifted by up to 1 and 2 pixels.
Run: ``python benchmarks/bench_cnn.py [--epochs N]``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from ml import ConvNetClassifier, MLPClassifier, datasets


def _torch_cnn(X, y, epochs, seed):
    import torch

    torch.manual_seed(seed)
    nn = torch.nn
    net = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding="same"),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding="same"),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(128, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )
    optimizer = torch.optim.Adam(net.parameters(), lr=0.001)
    X_t = torch.from_numpy(X[:, None].astype(np.float32))
    y_t = torch.from_numpy(y.astype(np.int64))
    for _ in range(epochs):
        order = torch.randperm(len(X_t))
        for start in range(0, len(X_t), 200):
            batch = order[start : start + 200]
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(net(X_t[batch]), y_t[batch]).backward()
            optimizer.step()

    def score(X_new, y_new):
        with torch.no_grad():
            out = net(torch.from_numpy(X_new[:, None].astype(np.float32)))
        return float((out.argmax(1).numpy() == y_new).mean())

    return score


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = datasets.load_digits(images=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16, y, test_size=0.25, random_state=0)
    shifted = {s: datasets.shift_images(X_test, s, random_state=0) for s in (1, 2)}
    flat = lambda a: a.reshape(len(a), -1)  # noqa: E731
    rows = []
    start = time.perf_counter()
    cnn = ConvNetClassifier(max_iter=args.epochs, n_iter_no_change=args.epochs, random_state=0)
    cnn.fit(X_train, y_train)
    ours = time.perf_counter() - start
    rows.append(("ml ConvNetClassifier", ours, cnn.score, lambda a: a))
    start = time.perf_counter()
    mlp = MLPClassifier((160,), max_iter=args.epochs, n_iter_no_change=args.epochs, random_state=0)
    mlp.fit(flat(X_train), y_train)
    rows.append(("ml MLPClassifier (160,)", time.perf_counter() - start, mlp.score, flat))
    try:
        start = time.perf_counter()
        score = _torch_cnn(X_train, y_train, args.epochs, 0)
        rows.append(("torch CNN", time.perf_counter() - start, score, lambda a: a))
    except ImportError:
        print("(torch is not installed: pip install '.[bench]')")
    print(f"digits 8x8, {len(X_train)} training images, {args.epochs} epochs")
    print(f"{'model':<26} {'fit s':>7} {'/ ml':>5} {'test':>7} {'shift 1':>8} {'shift 2':>8}")
    for name, seconds, score, shape in rows:
        accuracies = [score(shape(X_test), y_test)] + [
            score(shape(shifted[s]), y_test) for s in (1, 2)
        ]
        print(
            f"{name:<26} {seconds:7.2f} {seconds / ours:5.2f} "
            + " ".join(f"{a:7.1%} " for a in accuracies)
        )


if __name__ == "__main__":
    main()
