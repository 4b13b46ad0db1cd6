"""The NumPy path of this checkout against another checkout of ml (an older commit), in one run,
as ratios: did a change make CPU training slower?

Each workload is fitted five times in a fresh process per checkout; the best time counts.
Run: ``git worktree add /tmp/before <commit>`` then
``python benchmarks/numpy_path.py --against /tmp/before``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np


def workloads():
    from sklearn.datasets import load_digits

    from ml import ConvNetClassifier, MLPClassifier

    X, y = load_digits(return_X_y=True)
    X = X / 16
    images = X[:600].astype(np.float32).reshape(-1, 1, 8, 8)
    options = {"max_iter": 60, "random_state": 0, "tol": 0}
    return {
        "MLP (64, 64) float32": lambda: MLPClassifier((64, 64), **options).fit(
            X.astype(np.float32), y
        ),
        "MLP (64, 64) float64": lambda: MLPClassifier((64, 64), **options).fit(X, y),
        "MLP dropout + batch norm": lambda: MLPClassifier(
            (64,), dropout=0.2, batch_norm=True, **options
        ).fit(X.astype(np.float32), y),
        "CNN 8 conv, 5 epochs": lambda: ConvNetClassifier(
            conv_layers=((8, 3),), hidden_layer_sizes=(32,), max_iter=5, random_state=0, tol=0
        ).fit(images, y[:600]),
    }


def measure() -> dict[str, float]:
    warnings.simplefilter("ignore")
    times = {}
    for name, fit in workloads().items():
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            fit()
            runs.append(time.perf_counter() - start)
        times[name] = min(runs)
    return times


def run_in(checkout: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    code = "import json, sys; sys.path.insert(0, sys.argv[1]); import ml, numpy_path; "
    code += "print(ml.__file__); print(json.dumps(numpy_path.measure()))"
    here = str(Path(__file__).resolve().parent)
    out = subprocess.run(  # run in the checkout, so that its ml is the one imported
        [sys.executable, "-c", code, here],
        env=env,
        cwd=checkout,
        capture_output=True,
        text=True,
        check=True,
    )
    imported, times = out.stdout.strip().splitlines()[-2:]
    if not Path(imported).resolve().is_relative_to(checkout.resolve()):
        raise RuntimeError(f"{checkout} did not provide ml: {imported} was imported")
    return json.loads(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, required=True, help="another checkout of ml")
    args = parser.parse_args(argv)
    ours, theirs = run_in(Path(__file__).parents[1]), run_in(args.against)
    print(f"{'workload':<28}{'this':>9}{'other':>9}{'this/other':>12}")
    for name in ours:
        ratio = ours[name] / theirs[name]
        print(f"{name:<28}{ours[name]:9.3f}{theirs[name]:9.3f}{ratio:12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
