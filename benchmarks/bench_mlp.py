"""MLPClassifier / MLPRegressor side by side with scikit-learn (and PyTorch where installed).

The protocol of tests/suites/test_mlp_vs_sklearn.py: scaled inputs, the same hyper-parameters, five
seeds of a 75/25 split; mean test accuracy (R^2 for diabetes) and mean fit time, with the time
ratio to ours. PyTorch runs the same network (Glorot-uniform init, Adam, batch 200, the same
epochs as ours ran) for a time comparison. Run: ``python benchmarks/bench_mlp.py``.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import sklearn.datasets
import sklearn.neural_network
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from ml import MLPClassifier, MLPRegressor, datasets

DATA = {
    "iris": lambda: sklearn.datasets.load_iris(return_X_y=True),
    "wine": lambda: sklearn.datasets.load_wine(return_X_y=True),
    "breast_cancer": lambda: sklearn.datasets.load_breast_cancer(return_X_y=True),
    "digits": lambda: sklearn.datasets.load_digits(return_X_y=True),
    "two_spirals": lambda: datasets.twospirals(400, random_state=0),
    "diabetes": lambda: sklearn.datasets.load_diabetes(return_X_y=True),
}
CLASSIFIER_PARAMS = {"hidden_layer_sizes": (64, 64), "max_iter": 300, "learning_rate_init": 0.003}
REGRESSOR_PARAMS = {
    "hidden_layer_sizes": (32,),
    "max_iter": 500,
    "learning_rate_init": 0.01,
    "alpha": 1.0,
}


def _torch_fit(X, y, epochs, params, classification, seed):
    import torch

    torch.manual_seed(seed)
    sizes = [X.shape[1], *params["hidden_layer_sizes"]]
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    n_out = len(np.unique(y)) if classification else 1
    net = torch.nn.Sequential(*layers, torch.nn.Linear(sizes[-1], n_out))
    optimizer = torch.optim.Adam(net.parameters(), lr=params["learning_rate_init"])
    loss_fn = torch.nn.CrossEntropyLoss() if classification else torch.nn.MSELoss()
    X_t = torch.from_numpy(X.astype(np.float32))
    y_t = torch.from_numpy(y.astype(np.int64 if classification else np.float32))
    if not classification:
        y_t = y_t[:, None]
    for _ in range(epochs):
        order = torch.randperm(len(X_t))
        for start in range(0, len(X_t), 200):
            batch = order[start : start + 200]
            optimizer.zero_grad()
            loss_fn(net(X_t[batch]), y_t[batch]).backward()
            optimizer.step()


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    try:
        import torch  # noqa: F401

        have_torch = True
    except ImportError:
        have_torch = False
        print("(torch is not installed: pip install '.[bench]' to time PyTorch too)")
    print(
        f"{'data':<14} {'ml score':>9} {'sklearn':>9} {'ml fit s':>9} {'sklearn s':>10} "
        f"{'/ ml':>5} {'torch s':>8} {'/ ml':>5}"
    )
    for name, load in DATA.items():
        X, y = load()
        classification = name != "diabetes"
        params = CLASSIFIER_PARAMS if classification else REGRESSOR_PARAMS
        ours_cls, theirs_cls = (
            (MLPClassifier, sklearn.neural_network.MLPClassifier)
            if classification
            else (MLPRegressor, sklearn.neural_network.MLPRegressor)
        )
        rows = {"ml": [], "sklearn": [], "torch": []}
        for seed in range(5):
            X_train, X_test, y_train, y_test = train_test_split(
                X, y, test_size=0.25, random_state=seed, stratify=y if classification else None
            )
            scaler = StandardScaler().fit(X_train)
            X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
            for label, cls in (("ml", ours_cls), ("sklearn", theirs_cls)):
                start = time.perf_counter()
                model = cls(**params, random_state=seed).fit(X_train, y_train)
                rows[label].append((model.score(X_test, y_test), time.perf_counter() - start))
                if label == "ml":
                    epochs = model.n_iter_
            if have_torch:
                start = time.perf_counter()
                _torch_fit(X_train, y_train, epochs, params, classification, seed)
                rows["torch"].append((np.nan, time.perf_counter() - start))
        score = {k: np.mean([r[0] for r in v]) if v else np.nan for k, v in rows.items()}
        fit = {k: np.mean([r[1] for r in v]) if v else np.nan for k, v in rows.items()}
        print(
            f"{name:<14} {score['ml']:9.4f} {score['sklearn']:9.4f} {fit['ml']:9.3f} "
            f"{fit['sklearn']:10.3f} {fit['sklearn'] / fit['ml']:5.2f} {fit['torch']:8.3f} "
            f"{fit['torch'] / fit['ml']:5.2f}"
        )


if __name__ == "__main__":
    main()
