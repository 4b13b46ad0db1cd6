"""The minibatch training loop: epochs of shuffled minibatches, a loss curve, a stopping rule.

The loop knows nothing about the model. It calls ``step(X_batch, Y_batch)``, which computes the
loss and its gradient on the batch, updates the parameters and returns the batch's loss.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

import numpy as np

from ml._progress import progress
from ml.backend import check_random_state

__all__ = ["TrainResult", "minibatches", "train"]


class TrainResult(NamedTuple):
    loss_curve: list[float]
    """Mean training loss of each epoch."""
    n_iter: int
    """Number of epochs run."""
    converged: bool
    """True when training stopped because the loss stopped improving, not at ``max_iter``."""


def minibatches(n_samples: int, batch_size: int, rng=None) -> Iterator[np.ndarray]:
    """Yield index arrays that cover ``range(n_samples)`` once, ``batch_size`` at a time.

    The order is a fresh permutation from ``rng`` when it is given, else ``0, 1, 2, ...``.
    """
    order = np.arange(n_samples) if rng is None else rng.permutation(n_samples)
    for start in range(0, n_samples, batch_size):
        yield order[start : start + batch_size]


def train(
    step: Callable[[np.ndarray, np.ndarray], float],
    X,
    Y,
    *,
    max_iter: int,
    batch_size: int,
    tol: float = 1e-4,
    n_iter_no_change: int = 10,
    shuffle: bool = True,
    random_state=None,
    verbose: bool = False,
    desc: str = "training",
) -> TrainResult:
    """Run up to ``max_iter`` epochs of ``step`` over shuffled minibatches of ``(X, Y)``.

    Training stops early once the epoch loss has not fallen below ``best_loss - tol`` for
    ``n_iter_no_change`` epochs in a row (scikit-learn's rule for ``MLPClassifier``).

    Raises
    ------
    FloatingPointError
        If an epoch's loss is NaN or infinite, which almost always means the learning rate is
        too large.
    """
    rng = check_random_state(random_state) if shuffle else None
    n_samples = X.shape[0]
    curve, best_loss, stale = [], np.inf, 0
    epochs = progress(range(max_iter), verbose=verbose, desc=desc, unit="epoch")
    for epoch in epochs:
        total = 0.0
        for batch in minibatches(n_samples, batch_size, rng):
            total += float(step(X[batch], Y[batch])) * len(batch)
        loss = total / n_samples
        if not np.isfinite(loss):
            raise FloatingPointError(
                f"The training loss became {loss} in epoch {epoch + 1}; the learning rate is "
                "probably too large (or the input has huge values: try scaling X)."
            )
        curve.append(loss)
        epochs.set_postfix(loss=f"{loss:.4g}", refresh=False)
        stale = stale + 1 if loss > best_loss - tol else 0
        best_loss = min(best_loss, loss)
        if stale >= n_iter_no_change:
            return TrainResult(curve, epoch + 1, True)
    return TrainResult(curve, max_iter, False)
