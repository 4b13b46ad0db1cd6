"""What bounds the speed targets ml still misses, measured against PyTorch in one run: the parts
of a training or prediction step that ml hands to NumPy (its BLAS, its single-threaded passes)
and cannot make faster itself.

    python benchmarks/bounds.py            # full sizes (about a minute)
    python benchmarks/bounds.py --quick    # the same code on few repeats (a smoke test)

For W2 (batch 128) and W3 (batch 1024), each library's time for
  - the eight matrix products of one training step of the (256, 256) MLP,
  - one Adam step over its 270,000 parameters (ml's flat-buffer step; PyTorch's default),
  - gathering the batch's rows from the 60,000 x 784 training set,
and PyTorch's whole training step. Their sum over PyTorch's step is the floor: the ratio ml
would reach if everything else it does took no time. For W6, the first product of predicting
10,000 rows, timed as speed.py times W6 (the first call after a pause).

It also measures what keeps NumPy's passes on one core: after a product, OpenBLAS's threads
wait for the next one spinning, not sleeping, so a second thread of NumPy passes finds the
other core taken. The CPU time the process uses while the main thread sleeps 50 ms right after
a product shows it (about 0.05 s: a whole core).

The libraries take turns, with a pause between them (speed.py's), so that one's idle threads
do not slow the other; every time is a median over rounds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from speed import LR, Torch, ml_mlp, pause  # noqa: E402

from ml import nn, optim  # noqa: E402

SIZES = (784, 256, 256, 10)


def median_seconds(run, repeats: int, rounds: int, warm: bool = True) -> float:
    """The median over ``rounds``, each after a pause, of the mean time of ``repeats`` calls of
    ``run``: after one call that is not timed where ``warm``, else from the first call."""
    times = []
    for _ in range(rounds):
        pause()
        if warm:
            run()
        started = time.perf_counter()
        for _ in range(repeats):
            run()
        times.append((time.perf_counter() - started) / repeats)
    return statistics.median(times)


def products(arrays, matmul):
    """The eight products of one step of the MLP: forward x W1, h1 W2, h2 W3; backward
    dW3 = h2^T d3, d2 = d3 W3^T, dW2 = h1^T d2, d1 = d2 W2^T, dW1 = x^T d1."""
    x, h1, h2, d3, W1, W2, W3 = arrays

    def run():
        matmul(x, W1), matmul(h1, W2), matmul(h2, W3)
        matmul(h2.T, d3), matmul(d3, W3.T), matmul(h1.T, h2), matmul(h2, W2.T), matmul(x.T, h1)

    return run


def step_arrays(batch, rng):
    shapes = [(batch, 784), (batch, 256), (batch, 256), (batch, 10), (784, 256), (256, 256)]
    return [rng.random(shape, dtype=np.float32) for shape in [*shapes, (256, 10)]]


def ml_adam():
    """ml's Adam step over the MLP's parameters, in its flat buffers, as training makes it."""
    layers = [nn.Dense(a, b, random_state=0) for a, b in zip(SIZES[:-1], SIZES[1:], strict=True)]
    network = nn.Sequential(*layers)
    optimizer = optim.Adam(LR)
    optimizer.flatten(network)
    params, grads = network.parameters(), network.gradients()
    for grad in grads:
        grad[...] = 1e-3
    return lambda: optimizer.step(params, grads)


def torch_adam(torch):
    layers = [torch.torch.nn.Linear(a, b) for a, b in zip(SIZES[:-1], SIZES[1:], strict=True)]
    params = [p for layer in layers for p in layer.parameters()]
    for p in params:
        p.grad = torch.torch.full_like(p, 1e-3)
    optimizer = torch.torch.optim.Adam(params, lr=LR)
    return optimizer.step


def gather(X, order, batch):
    """A call takes the next batch's rows of ``X`` in ``order``, as an epoch does."""
    starts = iter(range(0, len(order) - batch + 1, batch))
    return lambda: X[order[(start := next(starts)) : start + batch]]


def step_seconds(torch, X, y, batch, rounds) -> dict[str, float]:
    """Each library's whole training step, per batch, from one-epoch fits on ``X``: ml's
    estimator, PyTorch's tutorial loop (speed.py's)."""
    net = torch.mlp(784, SIZES[1:-1], 10)
    fits = {
        "ml": lambda: ml_mlp(SIZES[1:-1], batch, 1).fit(X, y),
        "PyTorch": lambda: torch.fit(net, X, y, batch, 1),
    }
    steps = -(-len(X) // batch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # one epoch, by design
        return {library: median_seconds(fit, 1, rounds) / steps for library, fit in fits.items()}


def spin_cpu_seconds(product) -> float:
    """CPU seconds this process uses while its main thread sleeps 50 ms just after ``product``:
    what its library's threads take while they wait for more work."""
    product()
    started = time.process_time()
    time.sleep(0.05)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few repeats: a smoke test")
    args = parser.parse_args()
    rounds, rows_fitted = (1, 4096) if args.quick else (5, 60_000)
    torch = Torch()
    tt = torch.torch
    rng = np.random.default_rng(0)
    X = rng.random((60_000, 784), dtype=np.float32)
    y = rng.integers(0, 10, 60_000)
    tX = tt.from_numpy(X)

    rows = []
    for name, batch in (("W2", 128), ("W3", 1024)):
        arrays = step_arrays(batch, rng)
        repeats = 1 if args.quick else max(2, 2000 // batch)
        order = rng.permutation(len(X))
        parts = {
            "ml": {
                "products": products(arrays, np.matmul),
                "Adam step": ml_adam(),
                "batch gather": gather(X, order, batch),
            },
            "PyTorch": {
                "products": products([tt.from_numpy(a) for a in arrays], tt.matmul),
                "Adam step": torch_adam(torch),
                "batch gather": gather(tX, tt.from_numpy(order), batch),
            },
        }
        timed = {
            library: {part: median_seconds(run, repeats, rounds) for part, run in runs.items()}
            for library, runs in parts.items()
        }
        whole = step_seconds(torch, X[:rows_fitted], y[:rows_fitted], batch, rounds)
        summed = {library: sum(times.values()) for library, times in timed.items()}
        for part in parts["ml"]:
            rows.append((name, part, timed["ml"][part], timed["PyTorch"][part]))
        rest = {library: whole[library] - summed[library] for library in whole}
        rows.append((name, "the rest of a step", rest["ml"], rest["PyTorch"]))
        rows.append((name, "whole training step", whole["ml"], whole["PyTorch"]))
        rows.append((name, "floor: ml's parts / PyTorch's step", summed["ml"], whole["PyTorch"]))

    test = X[:10_000]
    W1 = rng.random((784, 256), dtype=np.float32)
    tW1 = tt.from_numpy(W1)
    first = {"ml": lambda: test @ W1, "PyTorch": lambda: tX[:10_000] @ tW1}
    once = {lib: median_seconds(run, 1, max(rounds, 3), warm=False) for lib, run in first.items()}
    rows.append(("W6", "first product, after a pause", once["ml"], once["PyTorch"]))
    spin = {
        "ml": spin_cpu_seconds(lambda: test @ W1),
        "PyTorch": spin_cpu_seconds(lambda: tX[:10_000] @ tW1),
    }

    print(f"{'workload':9}{'part':38}{'ml':>11}{'PyTorch':>11}{'ratio':>8}")
    for workload, part, ours, theirs in rows:
        ml_cell = f"{ours * 1e3:8.3f} ms" if ours is not None else " " * 11
        # no ratio of a time that the noise of its parts made negative ("the rest")
        ratio = f"{ours / theirs:8.2f}" if ours is not None and min(ours, theirs) > 0 else ""
        print(f"{workload:9}{part:38}{ml_cell}{theirs * 1e3:8.3f} ms{ratio}")
    print(
        f"CPU seconds used during a 50 ms sleep just after a product: NumPy "
        f"{spin['ml']:.3f}, PyTorch {spin['PyTorch']:.3f} (0.05 is one core)"
    )


if __name__ == "__main__":
    main()
