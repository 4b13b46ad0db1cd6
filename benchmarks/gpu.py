"""The MLP and CNN workloads on a GPU through PyTorch (and CuPy where installed), checked against
the CPU result and timed side by side with NumPy on the CPU.

Each workload is fitted with the same seed on NumPy (the reference) and with ``device=...``, and
timed. The check: after one epoch from the same start, the predicted probabilities must agree to
float32 tolerance (rounding differences grow chaotically over many steps, as between any two BLAS
libraries). Where no GPU exists the script says so and exits with status 0; a check that fails
exits with status 1.

Run: ``python benchmarks/gpu.py`` (``--device cuda:1`` for another GPU).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from ml import ConvNetClassifier, MLPClassifier

TOLERANCE = 1e-4  # float32 sums in another order, over one epoch of Adam steps


def workloads(n_repeats: int):
    """``(name, estimator, X, y)`` for each workload: digits as rows (MLP) and as images (CNN)."""
    X, y = load_digits(return_X_y=True)
    X = np.tile((X / 16).astype(np.float32), (n_repeats, 1))
    y = np.tile(y, n_repeats)
    mlp = MLPClassifier((256, 256), max_iter=10, batch_size=256, shuffle=False, random_state=0)
    cnn = ConvNetClassifier(
        conv_layers=((16, 3), (32, 3)),
        hidden_layer_sizes=(64,),
        padding="same",
        max_iter=3,
        batch_size=256,
        shuffle=False,
        random_state=0,
    )
    return [("MLP (256, 256)", mlp, X, y), ("CNN 16-32 conv", cnn, X.reshape(-1, 1, 8, 8), y)]


def gpu_devices(requested: str | None) -> list[tuple[str, object]]:
    """``(label, device)`` for each GPU library that can run here."""
    found = []
    if importlib.util.find_spec("torch") is not None:
        import torch

        if requested is not None:
            found.append((f"torch {requested}", torch.device(requested)))
        elif torch.cuda.is_available():
            found.append(("torch cuda", torch.device("cuda")))
        elif torch.backends.mps.is_available():
            found.append(("torch mps", torch.device("mps")))
    if importlib.util.find_spec("cupy") is not None:
        import cupy

        if cupy.cuda.is_available():
            found.append(("cupy cuda", "cuda"))  # "cuda" falls back to CuPy without torch
    return found


def timed(estimator, X, y):
    start = time.perf_counter()
    estimator.fit(X, y)
    return time.perf_counter() - start, estimator.predict_proba(X)


def one_epoch_difference(estimator, device, X, y) -> float:
    """The largest difference of the probabilities after one epoch on NumPy and on ``device``."""
    short = clone(estimator).set_params(max_iter=1)
    expected = short.set_params(device=None).fit(X, y).predict_proba(X)
    return float(
        np.abs(short.set_params(device=device).fit(X, y).predict_proba(X) - expected).max()
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--device", default=None, help="a torch device, e.g. cuda:1 ('cpu' checks the script)"
    )
    parser.add_argument("--repeats", type=int, default=20, help="copies of digits (1797 rows)")
    args = parser.parse_args(argv)
    devices = gpu_devices(args.device)
    if not devices:
        print("No GPU here (neither CUDA nor MPS through PyTorch, nor CuPy): nothing to run.")
        return 0
    warnings.simplefilter("ignore", ConvergenceWarning)
    failed = False
    for name, estimator, X, y in workloads(args.repeats):
        cpu_time, _ = timed(estimator, X, y)
        print(f"{name}: {X.shape[0]} samples; NumPy on the CPU {cpu_time:.2f} s")
        for label, device in devices:
            gpu = estimator.set_params(device=device)
            timed(gpu, X[:512], y[:512])  # warm-up: kernels, allocator
            gpu_time, _ = timed(gpu, X, y)
            error = one_epoch_difference(estimator, device, X, y)
            ok = error < TOLERANCE
            failed |= not ok
            print(
                f"  {label:<12} {gpu_time:7.2f} s  ({cpu_time / gpu_time:5.1f}x the CPU)  "
                f"max |p_gpu - p_cpu| = {error:.1e} {'ok' if ok else 'DIFFERS'}"
            )
            estimator.set_params(device=None)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
