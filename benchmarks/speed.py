"""The speed suite: ml against scikit-learn and PyTorch (CPU), one after another in one process,
on the same generated data, sizes, batch, optimizer (Adam, lr 1e-3) and epochs.

    python benchmarks/speed.py                  # the table; --json FILE writes it too
    python benchmarks/speed.py --quick          # the same code on small sizes (a smoke test)

Workloads:
  W1 digits MLP (64,64,64), batch 200, 100 epochs
  W2 60k x 784 images, MLP (256,256), batch 128, 2 epochs
  W3 as W2, batch 1024
  W4 digits CNN conv16-pool-conv32-pool-dense, batch 64, 20 epochs
  W5 LeNet-5 on 20k 28x28 images, batch 64, 1 epoch
  W6 predict 10k rows with the W2 model; and one row at a time (latency)
Also the peak resident memory of training W2, for ml and PyTorch, each in a process of its own.

The libraries take turns, each run with its own seed (0, 1, ...): times are medians of 5 runs
(3 where a run takes over 2 s, 1 where it takes over 10 s), accuracies their means. GFLOP/s
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


def timed(run, repeats=5):
    """Median seconds of ``run()`` over ``repeats`` runs, and the last run's result."""
    times, result = [], None
    for _ in range(repeats):
        pause()
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


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


def fit_three(name, data, flops, ml_model, sklearn_model, torch_net, batch, epochs, torch, most=5):
    """Time ml, scikit-learn (where it has the model) and PyTorch on one workload, taking turns
    (so that a slow moment of the machine hits all alike), each repetition with its own seed:
    the rows (median time, mean test accuracy), and the last fitted model of each library."""
    X, y, X_test, y_test = data
    runs = {"ml": lambda seed: ml_model(seed).fit(X, y)}
    if sklearn_model is not None:
        runs["scikit-learn"] = lambda seed: sklearn_model(seed).fit(X.reshape(len(X), -1), y)
    if torch is not None:
        runs["PyTorch"] = lambda seed: torch.fit(torch.seeded(torch_net, seed), X, y, batch, epochs)
    times = {library: [] for library in runs}
    scores = {library: [] for library in runs}
    models, repeats, seed = {}, 1, 0
    while seed < repeats:
        for library, run in runs.items():
            pause()
            started = time.perf_counter()
            models[library] = model = run(seed)
            times[library].append(time.perf_counter() - started)
            if library == "PyTorch":
                predicted = torch.predict(model, X_test)
            else:
                predicted = model.predict(
                    X_test if library == "ml" else X_test.reshape(len(X_test), -1)
                )
            scores[library].append(accuracy(predicted, y_test))
        if seed == 0:  # 5 runs of a quick workload, 3 of a slower one, 1 of one over 10 s
            slowest = max(t[0] for t in times.values())
            repeats = min(most, 1 if slowest > 10 else 3 if slowest > 2 else 5)
        seed += 1
    rows = []
    for library in runs:
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


def run_suite(quick: bool, torch) -> tuple[list, dict]:
    q, most = int(quick), 1 if quick else 5
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
        most=most,
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
            most=most,
        )
        rows += new_rows
        w2_models = w2_models or models
    rows += predict_rows(w2_models, data[2], data[3], torch, most)

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
        most=most,
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
        most=most,
    )[0]
    return rows


def predict_rows(models, X, y, torch, most=5) -> list:
    """W6: predict all of X (median of 5), and one row at a time (median of 300 calls)."""
    rows = []
    for library, model in models.items():
        if library == "PyTorch":

            def predict(rows_, net=model):
                return torch.predict(net, rows_)
        else:
            predict = model.predict
        seconds, predicted = timed(lambda p=predict: p(X), repeats=most)
        rows.append(_row("W6", library, seconds, accuracy(predicted, y), 2 * 784 * 256 * len(X)))
        one = [_seconds(lambda i=i, p=predict: p(X[i : i + 1])) for i in range(60 * most)]
        rows.append(_row("W6 one row", library, statistics.median(one), None, 0))
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


def memory_child(library: str, quick: bool) -> dict:
    """Train W2 in this process; its resident memory before training and at its peak."""
    q = int(quick)
    n_train = SIZES["W2"]["train"][q]
    images, labels = mnist_like(n_train, seed=1)
    X = np.ascontiguousarray(images.reshape(n_train, -1))
    del images
    if library == "PyTorch":
        torch = Torch()
        torch.torch.zeros(1) + 1  # the library's own start-up, before the baseline
    before = rss_mb()
    epochs = SIZES["W2"]["epochs"][q]
    if library == "PyTorch":
        torch.fit(torch.mlp(784, (256, 256), 10), X, labels, 128, epochs)
    else:
        ml_mlp((256, 256), 128, epochs).fit(X, labels)
    return {"library": library, "before_mb": before, "peak_mb": rss_mb("VmHWM")}


def memory_rows(quick: bool, libraries) -> list:
    rows = []
    for library in libraries:
        command = [sys.executable, __file__, "--memory", library] + (["--quick"] if quick else [])
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    return rows


# --- targets and the table ---------------------------------------------------------------------


def _get(rows, workload, library, key="seconds"):
    return next(
        (r[key] for r in rows if r["workload"] == workload and r["library"] == library), None
    )


def targets(rows, memory, gemm) -> list:
    """Each target of the speed issue: the measured ratio, the bound, met or not."""

    def ratio(workload, peer, key="seconds"):
        ours, theirs = _get(rows, workload, "ml", key), _get(rows, workload, peer, key)
        return None if ours is None or theirs is None else ours / theirs

    fastest = min(
        (_get(rows, "W1", p) for p in ("scikit-learn", "PyTorch") if _get(rows, "W1", p)),
        default=None,
    )
    peak = {row["library"]: row["peak_mb"] for row in memory}
    checks = [
        ("W1 ml / faster of scikit-learn and PyTorch", _get(rows, "W1", "ml") / fastest, "<=", 0.5)
        if fastest
        else None,
        ("W2 ml / PyTorch", ratio("W2", "PyTorch"), "<=", 0.75),
        ("W3 ml share of the GEMM rate", _get(rows, "W3", "ml", "gflops") / gemm, ">=", 0.70),
        ("W4 ml / PyTorch", ratio("W4", "PyTorch"), "<=", 1.0),
        ("W5 ml / PyTorch", ratio("W5", "PyTorch"), "<=", 1.25),
        ("W6 predict 10k rows ml / PyTorch", ratio("W6", "PyTorch"), "<=", 1.0),
        ("W6 one row ml / scikit-learn", ratio("W6 one row", "scikit-learn"), "<=", 1.0),
        (
            "W2 peak memory ml / PyTorch",
            peak["ml"] / peak["PyTorch"] if "PyTorch" in peak else None,
            "<=",
            1.0,
        ),
    ]
    worst = max(
        (
            abs(r["accuracy"] - _get(rows, r["workload"], "ml", "accuracy"))
            for r in rows
            if r["accuracy"] is not None and r["library"] != "ml"
        ),
        default=0.0,
    )
    checks.append(("largest accuracy gap ml vs a peer", worst, "<=", 0.01))
    out = []
    for check in checks:
        if check is None or check[1] is None:
            continue
        name, value, sense, bound = check
        met = value <= bound if sense == "<=" else value >= bound
        out.append({"target": name, "value": value, "bound": f"{sense} {bound}", "met": met})
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
    lines += ["", "peak resident memory training W2 (own process):"]
    for m in memory:
        lines.append(
            f"  {m['library']:<8} peak {m['peak_mb']:.0f} MB "
            f"(training added {m['peak_mb'] - m['before_mb']:.0f} MB)"
        )
    lines += ["", "targets:"]
    for c in checks:
        lines.append(
            f"  {'met   ' if c['met'] else 'MISSED'} {c['target']}: {c['value']:.3f} {c['bound']}"
        )
    return "\n".join(lines)


def markdown(rows, memory, gemm) -> str:
    """The README's table: one line per workload, the libraries side by side."""
    lines = [
        "| workload | ml | scikit-learn | PyTorch | ml / fastest peer | ml, share of GEMM rate "
        "| test accuracy ml / sk / torch |",
        "|---|---|---|---|---|---|---|",
    ]
    for workload in dict.fromkeys(r["workload"] for r in rows):
        cells, accuracies, peers = [], [], []
        for library in ("ml", "scikit-learn", "PyTorch"):
            seconds = _get(rows, workload, library)
            score = _get(rows, workload, library, "accuracy")
            one_row = workload == "W6 one row"
            cells.append(
                "–"
                if seconds is None
                else f"{seconds * 1e6:.0f} µs"
                if one_row
                else f"{seconds:.3f} s"
            )
            accuracies.append("–" if score is None else f"{score:.3f}")
            if library != "ml" and seconds is not None:
                peers.append(seconds)
        ours = _get(rows, workload, "ml")
        ratio = f"{ours / min(peers):.2f}" if peers else "–"
        speed = _get(rows, workload, "ml", "gflops")
        share = f"{speed / gemm:.0%}" if speed else "–"
        accuracy_ = " / ".join(accuracies) if workload != "W6 one row" else "–"
        lines.append(f"| {workload} | {' | '.join(cells)} | {ratio} | {share} | {accuracy_} |")
    peak = {m["library"]: m["peak_mb"] for m in memory}
    lines.append(
        f"| W2 peak memory | {peak.get('ml', 0):.0f} MB | – | "
        + (
            f"{peak['PyTorch']:.0f} MB | {peak['ml'] / peak['PyTorch']:.2f}"
            if "PyTorch" in peak
            else "– | –"
        )
        + " | – | – |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
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
    gemm = gemm_rate()
    rows = run_suite(args.quick, torch)
    memory = memory_rows(args.quick, ["ml", "PyTorch"] if torch else ["ml"])
    checks = targets(rows, memory, gemm)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {_cpu_name()}")
    print(table(rows, memory, gemm, checks))
    if args.markdown:
        print("\n" + markdown(rows, memory, gemm))
    if args.json:
        result = {"cpu": _cpu_name(), "cores": os.cpu_count(), "gemm_gflops": gemm, "rows": rows}
        result |= {"memory": memory, "targets": checks, "quick": args.quick}
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
