"""The playground's data: the built-in sets placed on its plane, your own points (drawn or from a
CSV file), and the input features computed from the two coordinates.

The plane is the square [-6, 6]^2 that the page draws. Every built-in set is scaled to lie inside
[-5, 5]^2, so that the same learning rate suits all of them; your own points are taken as they are
when they fit and scaled down to fit when they don't.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np

from ml import datasets

EXTENT = 6.0  # the plane is [-EXTENT, EXTENT]^2
MAX_POINTS = 2000  # per session: every frame evaluates them twice (train and test metrics)
MAX_CLASSES = 8  # a colour each that the eye tells apart
MAX_CSV_BYTES = 200_000  # 2000 rows of "x1,x2,label" with room to spare

CLASSIFICATION = ("spirals", "xor", "circles", "moons", "blobs")
REGRESSION = ("plane", "bumps")
DATASETS = (*CLASSIFICATION, *REGRESSION, "custom")

# feature name -> (function of the plane's coordinates x1, x2, the scale that maps it into [-1, 1])
FEATURES = {
    "x1": (lambda a, b: a, EXTENT),
    "x2": (lambda a, b: b, EXTENT),
    "x1^2": (lambda a, b: a * a, EXTENT**2),
    "x2^2": (lambda a, b: b * b, EXTENT**2),
    "x1*x2": (lambda a, b: a * b, EXTENT**2),
    "sin(x1)": (lambda a, b: np.sin(a), 1.0),
    "sin(x2)": (lambda a, b: np.sin(b), 1.0),
}


def features(points: np.ndarray, names) -> np.ndarray:
    """The network's input for points (n, 2) of the plane: one column per feature in ``names``,
    each divided by its scale so that it lies in [-1, 1] on the plane (``x1 / 6``, ``x1^2 / 36``,
    ``sin(x1)``)."""
    a, b = points[:, 0], points[:, 1]
    return np.column_stack([FEATURES[name][0](a, b) / FEATURES[name][1] for name in names])


def feature_labels(names) -> list[str]:
    """How each input of an exported model is computed from the plane's coordinates."""
    return [name if FEATURES[name][1] == 1 else f"{name}/{FEATURES[name][1]:g}" for name in names]


def generate(name: str, n_points: int, noise: float, n_classes: int, seed: int):
    """The built-in set ``name`` with ``n_points`` points on the plane; ``noise`` in [0, 1] is
    each generator's own noise, scaled to look alike on the plane."""
    if name == "spirals":
        X, y = datasets.twospirals(n_points // 2, noise=2.0 * noise, random_state=seed)
        return X * (5 / 14), y
    if name == "xor":
        X, y = datasets.xor(n_points, noise=0.5 * noise, random_state=seed)
        return X * 4.5, y
    if name == "circles":
        X, y = datasets.circles(n_points, noise=0.3 * noise, random_state=seed)
        return X * 4.5, y
    if name == "moons":
        X, y = datasets.moons(n_points, noise=0.5 * noise, random_state=seed)
        return (X - [0.5, 0.25]) * 3.0, y
    if name == "blobs":
        return datasets.blobs(n_points, n_classes, cluster_std=0.4 + 2 * noise, random_state=seed)
    maker = {"plane": datasets.plane, "bumps": datasets.bumps}[name]
    X, y = maker(n_points, noise=0.5 * noise, random_state=seed)
    return X * 5.0, y


def custom(rows) -> tuple[np.ndarray, np.ndarray]:
    """Your own points ``[[x1, x2, label], ...]`` as ``X, y``: integer labels 0..7 make a
    classification problem, any other number a regression target. Points outside the plane are
    scaled down, all by one factor, to fit in [-5, 5]^2."""
    if not isinstance(rows, list) or not all(
        isinstance(row, list | tuple) and len(row) == 3 for row in rows
    ):
        raise ValueError("data: expected a list of [x1, x2, label] points.")
    if len(rows) > MAX_POINTS:
        raise ValueError(f"data: at most {MAX_POINTS} points; got {len(rows)}.")
    try:
        table = np.array(rows, dtype=float).reshape(len(rows), 3)
    except (TypeError, ValueError):
        raise ValueError("data: every point must be three numbers [x1, x2, label].") from None
    if not np.isfinite(table).all():
        raise ValueError("data: points and labels must be finite numbers.")
    X, y = table[:, :2], table[:, 2]
    largest = np.abs(X).max(initial=0.0)
    if largest > EXTENT:
        X = X * (5.0 / largest)
    if is_classification(y):
        return X, y.astype(np.int64)
    return X, y


def is_classification(y: np.ndarray) -> bool:
    """Labels are classes when they are whole numbers 0..7; otherwise they are targets."""
    return bool(
        y.dtype.kind in "iu"
        or (np.all(y == np.round(y)) and y.min(initial=0) >= 0 and y.max(initial=0) < MAX_CLASSES)
    )


def parse_csv(text: str) -> list[list[float]]:
    """Rows ``x1,x2,label`` (an optional header line of names is skipped) as points."""
    if not isinstance(text, str):
        raise ValueError("csv: expected the file's text.")
    if len(text.encode()) > MAX_CSV_BYTES:
        raise ValueError(f"csv: the file is larger than {MAX_CSV_BYTES // 1000} kB.")
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    points = []
    for number, row in enumerate(rows, start=1):
        try:
            values = [float(cell) for cell in row]
        except ValueError:
            if number == 1:
                continue  # a header
            raise ValueError(f"csv: line {number} is not three numbers: {row!r}.") from None
        if len(values) != 3 or not all(math.isfinite(v) for v in values):
            raise ValueError(f"csv: line {number} must be x1,x2,label; got {row!r}.")
        points.append(values)
    if len(points) < 2:
        raise ValueError("csv: the file needs at least two points (rows of x1,x2,label).")
    return points


def split(labels, n: int, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training and test points: a seeded shuffle, of which ``test_fraction`` is
    held out; with ``labels``, of each class alike, and every class keeps a training point."""
    rng = np.random.default_rng(seed)
    groups = (
        [np.arange(n)]
        if labels is None
        else [np.flatnonzero(labels == c) for c in np.unique(labels)]
    )
    train, test = [], []
    for group in groups:
        group = rng.permutation(group)
        n_test = min(len(group) - 1, round(len(group) * test_fraction))
        train.append(group[: len(group) - n_test])
        test.append(group[len(group) - n_test :])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))
