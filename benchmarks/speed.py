"""The speed suite: ml against scikit-learn and PyTorch (CPU), one after another in one process,
on the same generated data, sizes, batch, optimizer (Adam, lr 1e-3) and epochs.

    python benchmarks/speed.py --runs 5         # the table; --json FILE writes it too
    python benchmarks/speed.py --quick          # the same code on small sizes (a smoke test)

Workloads:
  W1 digits MLP (64,64,64), batch 200, 100 epochs
  W2 60k x 784 images, MLP (256,256), batch 128, 2 epochs
  W3 as W2, batch 1024
  W4 digits CNN conv16-pool-conv32-pool-dense, batch 64, 20 epochs
  W5 LeNet-5 on 20k 28x28 images, batch 64, 1 epoch
  W6 predict 10k rows with the W2 model; and one row at a time (latency)
Also the peak resident memory of training W2, for ml and PyTorch, each in a process of its own.

Each workload runs ``--runs`` times (5 by default, 1 with --quick), the libraries taking turns
within each run (so that a slow moment of the machine hits all alike), run i with seed i. A ratio
is taken run by run (ml's time over the peer's in the same run) and reported as its median and
range; times are medians, accuracies means. GFLOP/s
count the model's arithmetic (multiply-adds x 2: forward once, backward twice), the same for
every library, and are given as a share of the float32 matrix-product rate NumPy's BLAS reaches
in this run. The images are scikit-learn's 8x8 digits, enlarged to 20x20 and placed at random in
28x28 with noise: MNIST's shape and difficulty without a download.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np
import scipy.ndimage
import sklearn.datasets
import sklearn.neural_network
from sklearn.exceptions import ConvergenceWarning

import ml
from ml import nn

LR = 1e-3
SIZES = {  # full size, and --quick
    "W1": {"epochs": (100, 5)},
    "W2": {"train": (60_000, 1_000), "test": (10_000, 500), "epochs": (2, 1)},
    "W5": {"train": (20_000, 300), "test": (5_000, 200), "epochs": (1, 1)},
    "W4": {"epochs": (20, 2)},
}


# --- data --------------------------------------------------------------------------------------


def digits(images=False):
    """scikit-learn's digits scaled to [0, 1], float32, 75/25 split with seed 0."""
    X, y = sklearn.datasets.load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    if images:
        X = X.reshape(-1, 1, 8, 8)
    order = np.random.default_rng(0).permutation(len(X))
    cut = int(0.75 * len(X))
    return X[order[:cut]], y[order[:cut]], X[order[cut:]], y[order[cut:]]


def mnist_like(n, seed):
    """n images (n, 1, 28, 28) in [0, 1]: a digit enlarged to 20x20 at a random place, noise."""
    images, labels = sklearn.datasets.load_digits(return_X_y=True)
    big = scipy.ndimage.zoom(images.reshape(-1, 8, 8) / 16, (1, 2.5, 2.5), order=1)
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(big), n)
    out = np.zeros((n, 28, 28), np.float32)
    offsets = rng.integers(0, 9, size=(n, 2))
    for dy in range(9):
        for dx in range(9):
            rows = np.flatnonzero((offsets[:, 0] == dy) & (offsets[:, 1] == dx))
            out[rows, dy : dy + 20, dx : dx + 20] = big[pick[rows]]
    for start in range(0, n, 4096):  # in chunks: the data's own size is the peak it makes
        chunk = out[start : start + 4096]
        chunk += 0.1 * rng.standard_normal(chunk.shape, dtype=np.float32)
        np.clip(chunk, 0, 1, out=chunk)
    return out[:, None], labels[pick]


# --- the three libraries -----------------------------------------------------------------------


def _endless(params, seed):
    """All epochs run (no early stop by tolerance) with plain Adam (no L2 penalty, as PyTorch's)."""
    options = {"tol": 0.0, "n_iter_no_change": 10**9, "shuffle": True, "alpha": 0.0}
    return {**params, **options, "random_state": seed}


def ml_mlp(sizes, batch, epochs, seed=0):
    options = {"batch_size": batch, "max_iter": epochs, "learning_rate_init": LR}
    return ml.MLPClassifier(sizes, **_endless(options, seed))


def sklearn_mlp(sizes, batch, epochs, seed=0):
    options = {"batch_size": batch, "max_iter": epochs, "learning_rate_init": LR}
    return sklearn.neural_network.MLPClassifier(sizes, **_endless(options, seed))


def lenet():
    return nn.Sequential(
        nn.Conv2D(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2D(2),
        nn.Conv2D(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2D(2),
        nn.Flatten(),
        nn.Dense(400, 120),
        nn.ReLU(),
        nn.Dense(120, 84),
        nn.ReLU(),
        nn.Dense(84, 10),
    )


def ml_cnn(network, batch, epochs, seed=0):
    options = {"batch_size": batch, "max_iter": epochs, "learning_rate_init": LR}
    if network is None:
        options |= {"conv_layers": ((16, 3), (32, 3)), "hidden_layer_sizes": ()}
    return ml.ConvNetClassifier(network=network, **_endless(options, seed))


class Torch:
    """The same networks in PyTorch, trained by the loop its tutorials write."""

    def __init__(self):
        import torch

        self.torch = torch
        torch.manual_seed(0)

    def mlp(self, n_in, sizes, n_out):
        nn_ = self.torch.nn
        layers, width = [], n_in
        for size in sizes:
            layers += [nn_.Linear(width, size), nn_.ReLU()]
            width = size
        return nn_.Sequential(*layers, nn_.Linear(width, n_out))

    def digits_cnn(self):
        nn_ = self.torch.nn
        return nn_.Sequential(
            nn_.Conv2d(1, 16, 3, padding=1),
            nn_.ReLU(),
            nn_.MaxPool2d(2),
            nn_.Conv2d(16, 32, 3, padding=1),
            nn_.ReLU(),
            nn_.MaxPool2d(2),
            nn_.Flatten(),
            nn_.Linear(128, 10),
        )

    def lenet(self):
        nn_ = self.torch.nn
        return nn_.Sequential(
            nn_.Conv2d(1, 6, 5, padding=2),
            nn_.ReLU(),
            nn_.MaxPool2d(2),
            nn_.Conv2d(6, 16, 5),
            nn_.ReLU(),
            nn_.MaxPool2d(2),
            nn_.Flatten(),
            nn_.Linear(400, 120),
            nn_.ReLU(),
            nn_.Linear(120, 84),
            nn_.ReLU(),
            nn_.Linear(84, 10),
        )

    def seeded(self, make_net, seed):
        """A new network from ``make_net()``, and the shuffles after it, drawn from ``seed``."""
        self.torch.manual_seed(seed)
        return make_net()

    def glorot(self, net):
        """Initialise as ml and scikit-learn do: weights and biases ~ U(-a, a) with Glorot's
        ``a = sqrt(6 / (fan_in + fan_out))`` (PyTorch's own default differs)."""
        for layer in net:
            if hasattr(layer, "weight"):
                self.torch.nn.init.xavier_uniform_(layer.weight)
                fan_in = layer.weight[0].numel()
                fan_out = layer.weight.shape[0] * layer.weight[0, 0].numel()
                bound = (6 / (fan_in + fan_out)) ** 0.5
                self.torch.nn.init.uniform_(layer.bias, -bound, bound)
        return net

    def fit(self, net, X, y, batch, epochs):
        torch = self.torch
        self.glorot(net)
        X, y = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
        optimizer = torch.optim.Adam(net.parameters(), lr=LR)
        loss = torch.nn.CrossEntropyLoss()
        net.train()
        for _ in range(epochs):
            order = torch.randperm(len(X))
            for start in range(0, len(X), batch):
                index = order[start : start + batch]
                optimizer.zero_grad()
                loss(net(X[index]), y[index]).backward()
                optimizer.step()
        return net

    def predict(self, net, X):
        with self.torch.inference_mode():
            net.eval()
            return net(self.torch.from_numpy(X)).argmax(1).numpy()


# --- timing ------------------------------------------------------------------------------------


def pause():
    """Let PyTorch's OpenMP threads stop spinning before the next library's timing."""
    time.sleep(0.3)


def gemm_rate():
    """NumPy's float32 matrix-product rate in GFLOP/s: the best of 5 products of 2048^2."""
    a = np.random.default_rng(0).random((2048, 2048), dtype=np.float32)
    a @ a
    best = min(_seconds(lambda: a @ a) for _ in range(5))
    return 2 * 2048**3 / best / 1e9


def _seconds(run):
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def mlp_flops(sizes, n_samples, epochs):
    """Training arithmetic of an MLP: 2 flops per multiply-add, forward once, backward twice
    (the first layer's input gradient is not needed, so it counts twice, not three times)."""
    pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
    per_sample = sum(2 * a * b * (2 if i == 0 else 3) for i, (a, b) in enumerate(pairs))
    return per_sample * n_samples * epochs


def conv_flops(layers, n_samples, epochs):
    """Training arithmetic of a CNN whose multiply-adds per sample are ``layers`` (a list, the
    first layer's first): 2 flops each, forward once, backward twice (once for the first)."""
    per_sample = sum(2 * macs * (2 if i == 0 else 3) for i, macs in enumerate(layers))
    return per_sample * n_samples * epochs


# --- the workloads -----------------------------------------------------------------------------


def accuracy(predicted, y):
    return float(np.mean(np.asarray(predicted) == y))


def fit_three(name, data, flops, ml_model, sklearn_model, torch_net, batch, epochs, torch, runs):
    """Time ml, scikit-learn (where it has the model) and PyTorch on one workload ``runs`` times,
    taking turns, run i with seed i: the rows (median time, mean test accuracy, every run's
    time), and the last fitted model of each library."""
    X, y, X_test, y_test = data
    fits = {"ml": lambda seed: ml_model(seed).fit(X, y)}
    if sklearn_model is not None:
        fits["scikit-learn"] = lambda seed: sklearn_model(seed).fit(X.reshape(len(X), -1), y)
    if torch is not None:
        fits["PyTorch"] = lambda seed: torch.fit(torch.seeded(torch_net, seed), X, y, batch, epochs)
    times = {library: [] for library in fits}
    scores = {library: [] for library in fits}
    models = {}
    for seed in range(runs):
        for library, fit in fits.items():
            pause()
            started = time.perf_counter()
            models[library] = model = fit(seed)
            times[library].append(time.perf_counter() - started)
            if library == "PyTorch":
                predicted = torch.predict(model, X_test)
            else:
                predicted = model.predict(
                    X_test if library == "ml" else X_test.reshape(len(X_test), -1)
                )
            scores[library].append(accuracy(predicted, y_test))
    rows = []
    for library in fits:
        seconds, score = statistics.median(times[library]), statistics.mean(scores[library])
        rows.append({**_row(name, library, seconds, score, flops), "runs": times[library]})
    return rows, models


def _row(workload, library, seconds, test_accuracy, flops):
    return {
        "workload": workload,
        "library": library,
        "seconds": seconds,
        "accuracy": test_accuracy,
        "gflops": flops / seconds / 1e9 if flops else None,
    }


def run_suite(quick: bool, torch, runs: int) -> list:
    q = int(quick)
    rows = []
    data = digits()
    epochs = SIZES["W1"]["epochs"][q]
    flops = mlp_flops([64, 64, 64, 64, 10], len(data[0]), epochs)
    rows += fit_three(
        "W1",
        data,
        flops,
        lambda seed: ml_mlp((64, 64, 64), 200, epochs, seed),
        lambda seed: sklearn_mlp((64, 64, 64), 200, epochs, seed),
        lambda: torch.mlp(64, (64, 64, 64), 10),
        200,
        epochs,
        torch,
        runs,
    )[0]

    n_train, n_test = SIZES["W2"]["train"][q], SIZES["W2"]["test"][q]
    images, labels = mnist_like(n_train + n_test, seed=1)
    flat = images.reshape(len(images), -1)
    data = flat[:n_train], labels[:n_train], flat[n_train:], labels[n_train:]
    epochs = SIZES["W2"]["epochs"][q]
    w2_models = None
    for name, batch in (("W2", 128), ("W3", 1024)):
        flops = mlp_flops([784, 256, 256, 10], n_train, epochs)
        new_rows, models = fit_three(
            name,
            data,
            flops,
            lambda seed, b=batch: ml_mlp((256, 256), b, epochs, seed),
            lambda seed, b=batch: sklearn_mlp((256, 256), b, epochs, seed),
            lambda: torch.mlp(784, (256, 256), 10),
            batch,
            epochs,
            torch,
            runs,
        )
        rows += new_rows
        w2_models = w2_models or models
    rows += predict_rows(w2_models, data[2], data[3], torch, runs)

    data = digits(images=True)
    epochs = SIZES["W4"]["epochs"][q]
    flops = conv_flops([16 * 64 * 9, 32 * 16 * 16 * 9, 128 * 10], len(data[0]), epochs)
    rows += fit_three(
        "W4",
        data,
        flops,
        lambda seed: ml_cnn(None, 64, epochs, seed),
        None,
        torch.digits_cnn if torch else None,
        64,
        epochs,
        torch,
        runs,
    )[0]

    n_train, n_test = SIZES["W5"]["train"][q], SIZES["W5"]["test"][q]
    images, labels = mnist_like(n_train + n_test, seed=2)
    data = images[:n_train], labels[:n_train], images[n_train:], labels[n_train:]
    epochs = SIZES["W5"]["epochs"][q]
    macs = [6 * 28 * 28 * 25, 16 * 10 * 10 * 6 * 25, 400 * 120, 120 * 84, 84 * 10]
    rows += fit_three(
        "W5",
        data,
        conv_flops(macs, n_train, epochs),
        lambda seed: ml_cnn(lenet(), 64, epochs, seed),
        None,
        torch.lenet if torch else None,
        64,
        epochs,
        torch,
        runs,
    )[0]
    return rows


def predict_rows(models, X, y, torch, runs) -> list:
    """W6, ``runs`` times, the libraries taking turns: predict all of X, and one row at a time
    (each run's time the median of 60 calls)."""
    predictors = {}
    for library, model in models.items():
        if library == "PyTorch":

            def predict(rows_, net=model):
                return torch.predict(net, rows_)
        else:
            predict = model.predict
        predictors[library] = predict
    times = {library: [] for library in predictors}
    one = {library: [] for library in predictors}
    scores = {}
    for _ in range(runs):
        for library, predict in predictors.items():
            pause()
            started = time.perf_counter()
            scores[library] = accuracy(predict(X), y)
            times[library].append(time.perf_counter() - started)
            calls = [_seconds(lambda i=i, p=predict: p(X[i : i + 1])) for i in range(60)]
            one[library].append(statistics.median(calls))
    rows = []
    for library in predictors:
        seconds = statistics.median(times[library])
        row = _row("W6", library, seconds, scores[library], 2 * 784 * 256 * len(X))
        rows.append({**row, "runs": times[library]})
        row = _row("W6 one row", library, statistics.median(one[library]), None, 0)
        rows.append({**row, "runs": one[library]})
    return rows


# --- memory ------------------------------------------------------------------------------------


def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory now (VmRSS) or at its peak (VmHWM), in MB. (Not
    getrusage's ru_maxrss, which a child inherits from its parent across exec.)"""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> None:
    """Make VmHWM this process's resident memory now (Linux's clear_refs, value 5)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:  # not Linux, or not allowed: the peak then counts the data's making too
        pass


def memory_child(library: str, quick: bool) -> dict:
    """Train W2 in this process; its resident memory before training and at its peak during
    training (the data is made first, and the peak reset after it)."""
    q = int(quick)
    n_train = SIZES["W2"]["train"][q]
    images, labels = mnist_like(n_train, seed=1)
    X = np.ascontiguousarray(images.reshape(n_train, -1))
    del images
    if library == "PyTorch":
        torch = Torch()
        torch.torch.zeros(1) + 1  # the library's own start-up, before the baseline
    reset_peak()  # the peak of training, not of making the data
    before = rss_mb()
    epochs = SIZES["W2"]["epochs"][q]
    if library == "PyTorch":
        torch.fit(torch.mlp(784, (256, 256), 10), X, labels, 128, epochs)
    else:
        ml_mlp((256, 256), 128, epochs).fit(X, labels)
    return {"library": library, "before_mb": before, "peak_mb": rss_mb("VmHWM")}


def memory_rows(quick: bool, libraries, runs: int) -> list:
    """Each library's memory, ``runs`` times taking turns; its median peak, and every run's."""
    peaks = {library: [] for library in libraries}
    before = {}
    for _ in range(runs):
        for library in libraries:
            command = [sys.executable, __file__, "--memory", library]
            command += ["--quick"] if quick else []
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            row = json.loads(out.strip().splitlines()[-1])
            peaks[library].append(row["peak_mb"])
            before[library] = row["before_mb"]
    return [
        {
            "library": library,
            "before_mb": before[library],
            "peak_mb": statistics.median(peaks[library]),
            "runs": peaks[library],
        }
        for library in libraries
    ]


# --- targets and the table ---------------------------------------------------------------------


def _get(rows, workload, library, key="seconds"):
    return next(
        (r[key] for r in rows if r["workload"] == workload and r["library"] == library), None
    )


def _per_run(rows, workload, peers):
    """ml's time over the fastest of ``peers`` in each run (None where a peer is missing)."""
    ours = _get(rows, workload, "ml", "runs")
    theirs = [_get(rows, workload, peer, "runs") for peer in peers]
    if ours is None or any(t is None for t in theirs):
        return None
    return [a / min(b) for a, *b in zip(ours, *theirs, strict=True)]


TARGETS = [  # (what, workload, peers, bound): ml / the fastest of the peers, run by run
    ("W1 ml / faster of scikit-learn and PyTorch", "W1", ("scikit-learn", "PyTorch"), 0.5),
    ("W2 ml / PyTorch", "W2", ("PyTorch",), 0.75),
    ("W3 ml / PyTorch", "W3", ("PyTorch",), 1.0),
    ("W4 ml / PyTorch", "W4", ("PyTorch",), 0.75),
    ("W5 ml / PyTorch", "W5", ("PyTorch",), 0.9),
    ("W6 predict 10k rows ml / PyTorch", "W6", ("PyTorch",), 0.9),
    ("W6 one row ml / PyTorch", "W6 one row", ("PyTorch",), 1.0),
]


def targets(rows, memory, gemm) -> list:
    """Each target of the speed issue: the median and range of its per-run values, the bound,
    and whether the median meets it."""
    checks = [(what, _per_run(rows, w, peers), "<=", bound) for what, w, peers, bound in TARGETS]
    shares = _get(rows, "W3", "ml", "runs")
    flops = _get(rows, "W3", "ml", "gflops")
    if shares and flops:
        work = flops * _get(rows, "W3", "ml")  # GFLOP
        checks.append(
            ("W3 ml share of the GEMM rate", [work / t / gemm for t in shares], ">=", 0.85)
        )
    peak = {m["library"]: m["runs"] for m in memory}
    if "PyTorch" in peak:
        ratios = [a / b for a, b in zip(peak["ml"], peak["PyTorch"], strict=True)]
        checks.append(("W2 peak memory ml / PyTorch", ratios, "<=", 0.6))
    gaps = [
        abs(r["accuracy"] - _get(rows, r["workload"], "ml", "accuracy"))
        for r in rows
        if r["accuracy"] is not None and r["library"] != "ml"
    ]
    checks.append(("largest accuracy gap ml vs a peer", [max(gaps, default=0.0)], "<=", 0.01))
    out = []
    for name, values, sense, bound in checks:
        if not values:
            continue
        value = statistics.median(values)
        met = value <= bound if sense == "<=" else value >= bound
        out.append(
            {
                "target": name,
                "value": value,
                "low": min(values),
                "high": max(values),
                "runs": values,
                "bound": f"{sense} {bound}",
                "met": met,
            }
        )
    return out


def table(rows, memory, gemm, checks) -> str:
    lines = [
        f"float32 GEMM (NumPy's BLAS, 2048^2): {gemm:.0f} GFLOP/s",
        "",
        f"{'workload':<11} {'library':<13} {'seconds':>9} {'test acc':>8} {'ml/this':>8} "
        f"{'GFLOP/s':>8} {'of GEMM':>8}",
    ]
    for r in rows:
        ours = _get(rows, r["workload"], "ml")
        accuracy_ = "" if r["accuracy"] is None else f"{r['accuracy']:.4f}"
        seconds = f"{r['seconds'] * 1e6:.0f} us" if r["workload"] == "W6 one row" else ""
        seconds = seconds or f"{r['seconds']:.3f}"
        speed = "" if not r["gflops"] else f"{r['gflops']:.1f}"
        share = "" if not r["gflops"] else f"{r['gflops'] / gemm:.0%}"
        lines.append(
            f"{r['workload']:<11} {r['library']:<13} {seconds:>9} {accuracy_:>8} "
            f"{ours / r['seconds']:>8.2f} {speed:>8} {share:>8}"
        )
    lines += ["", "peak resident memory training W2 (own process, median):"]
    for m in memory:
        lines.append(
            f"  {m['library']:<8} peak {m['peak_mb']:.0f} MB "
            f"(training added {m['peak_mb'] - m['before_mb']:.0f} MB)"
        )
    runs = max(len(c["runs"]) for c in checks)
    lines += ["", f"targets (median of {runs} runs, and the range over them):"]
    for c in checks:
        lines.append(
            f"  {'met   ' if c['met'] else 'MISSED'} {c['target']}: {c['value']:.3f} "
            f"[{c['low']:.3f} to {c['high']:.3f}] {c['bound']}"
        )
    return "\n".join(lines)


def markdown(rows, memory, checks) -> str:
    """The README's table: one line per workload, the libraries' median times side by side,
    and ml's ratio to the target's peer (median, and range over the runs)."""
    lines = [
        "| workload | ml | scikit-learn | PyTorch | ml / peer: median (range) | target "
        "| test accuracy ml / sk / torch |",
        "|---|---|---|---|---|---|---|",
    ]
    by_workload = {w: what for what, w, _, _ in TARGETS}
    found = {c["target"]: c for c in checks}
    for workload in dict.fromkeys(r["workload"] for r in rows):
        cells, accuracies = [], []
        for library in ("ml", "scikit-learn", "PyTorch"):
            seconds = _get(rows, workload, library)
            score = _get(rows, workload, library, "accuracy")
            cells.append(
                "–"
                if seconds is None
                else f"{seconds * 1e6:.0f} µs"
                if workload == "W6 one row"
                else f"{seconds:.3f} s"
            )
            accuracies.append("–" if score is None else f"{score:.3f}")
        accuracy_ = " / ".join(accuracies) if workload != "W6 one row" else "–"
        lines.append(
            f"| {workload} | {' | '.join(cells)} | {_cell(found.get(by_workload.get(workload)))} "
            f"| {accuracy_} |"
        )
    share = found.get("W3 ml share of the GEMM rate")
    if share:
        lines.append(f"| W3 share of the GEMM rate | – | – | – | {_cell(share, '%')} | – |")
    peak = {m["library"]: m["peak_mb"] for m in memory}
    memory_check = found.get("W2 peak memory ml / PyTorch")
    lines.append(
        f"| W2 peak memory | {peak.get('ml', 0):.0f} MB | – | "
        + (f"{peak['PyTorch']:.0f} MB" if "PyTorch" in peak else "–")
        + f" | {_cell(memory_check)} | – |"
    )
    return "\n".join(lines)


def _cell(check, unit="") -> str:
    """``median (low to high)`` and the bound, marked when missed."""
    if check is None:
        return "– | –"
    if unit == "%":
        text = f"{check['value']:.0%} ({check['low']:.0%} to {check['high']:.0%})"
    else:
        text = f"{check['value']:.2f} ({check['low']:.2f} to {check['high']:.2f})"
    return f"{text} | {check['bound']}{'' if check['met'] else ', missed'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    parser.add_argument(
        "--runs", type=int, default=None, help="runs of each workload (5; 1 with --quick)"
    )
    parser.add_argument("--json", help="also write the rows, memory and targets to this file")
    parser.add_argument("--markdown", action="store_true", help="also print the README's table")
    parser.add_argument("--memory", choices=["ml", "PyTorch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    if args.memory:
        print(json.dumps(memory_child(args.memory, args.quick)))
        return
    try:
        torch = Torch()
    except ImportError:
        torch = None
        print("PyTorch is not installed (pip install torch==2.13.0): its columns are left out.")
    runs = args.runs or (1 if args.quick else 5)
    if runs < 1:
        parser.error("--runs must be at least 1")
    gemm = gemm_rate()
    rows = run_suite(args.quick, torch, runs)
    memory = memory_rows(args.quick, ["ml", "PyTorch"] if torch else ["ml"], runs)
    checks = targets(rows, memory, gemm)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {_cpu_name()}")
    print(table(rows, memory, gemm, checks))
    if args.markdown:
        print("\n" + markdown(rows, memory, checks))
    if args.json:
        result = {"cpu": _cpu_name(), "cores": os.cpu_count(), "gemm_gflops": gemm, "rows": rows}
        result |= {"memory": memory, "targets": checks, "quick": args.quick, "runs": runs}
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        return platform.processor() or "unknown processor"


if __name__ == "__main__":
    main()
