"""The lecture's linear softmax classifier as a scikit-learn estimator."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ml import nn, optim
from ml._errors import DivergenceError
from ml._validation import check_float_array, check_number
from ml.backend import array_namespace, check_random_state, device, move, numpy_dtype, to_numpy
from ml.estimators._base import all_or_nothing
from ml.estimators._data import (
    check_classification_y,
    check_partial_fit_classes,
    check_sample_weight,
    check_X,
    float_dtype,
    index_of_labels,
)
from ml.estimators._device import (
    check_same_place,
    homeward,
    labels_of,
    placement,
    result_dtype,
    to_place,
)
from ml.estimators._params import check_params, number, option
from ml.functional import (
    cross_entropy,
    cross_entropy_gradient,
    l2_penalty,
    l2_penalty_gradient,
    log_softmax,
    one_hot,
    softmax,
)
from ml.io.estimator import SaveMixin
from ml.train import train

_SOLVERS = ("sgd", "gradient_descent", "random_local_search", "random_search")


class SoftmaxClassifier(SaveMixin, ClassifierMixin, BaseEstimator):
    """Linear classifier ``q = softmax(X W + b)`` trained on the cross-entropy loss.

    The loss is ``L = -1/n sum_i log q_{i, y_i} + alpha / (2 n) ||W||^2`` (the intercept is not
    penalised), and its gradient with respect to the logits is ``(q - Y) / n``, so
    ``dL/dW = X^T (q - Y) / n + alpha W / n``.

    Parameters
    ----------
    solver : {"sgd", "gradient_descent", "random_local_search", "random_search"}
        How the weights are found: minibatch stochastic gradient descent, or one of the lecture's
        three searches over the whole training set (:mod:`ml.optim`).
    alpha : float
        Strength of the L2 penalty.
    max_iter : int
        Epochs for "sgd"; steps (each over the whole training set) for the other solvers.
    learning_rate : float
        Step size: the learning rate of "sgd" and "gradient_descent", and the standard deviation
        of a random step for the two random searches.
    batch_size : int or "auto"
        Minibatch size of "sgd"; "auto" is ``min(200, n_samples)``.
    tol : float
        "sgd" stops once the epoch loss has not improved by ``tol`` for ``n_iter_no_change``
        epochs.
    n_iter_no_change : int
        See ``tol``.
    random_state : None, int or numpy.random.Generator
        Seeds the initial weights, the shuffling and the random searches.
    verbose : bool
        Show a progress bar.
    dtype : {"float32", "float64"} or None
        Floating-point type of the weights and the training; None follows ``X`` (float32 data
        gives float32 weights, anything else float64), as scikit-learn does.
    device : None, str or torch.device
        Where to compute, as for :class:`ml.MLPClassifier`. The lecture's three searches keep
        their weights on the host and evaluate the loss where X is.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (n_classes, n_features)
        Weights ``W^T``; a binary problem keeps both rows, as in the lecture.
    intercept_ : ndarray of shape (n_classes,)
    loss_curve_ : list of float
        Training loss after each epoch (or step of a search).
    n_iter_ : int
        Epochs (or steps) run.
    n_features_in_ : int

    Examples
    --------
    >>> import ml
    >>> X, y = ml.datasets.load_digits()
    >>> model = ml.SoftmaxClassifier(learning_rate=0.1, max_iter=50, random_state=0)
    >>> model = model.fit(X / 16, y)
    >>> model.coef_.shape, model.score(X / 16, y) > 0.9
    ((10, 64), True)
    """

    _saved_attributes = ("classes_", "coef_", "intercept_", "loss_curve_", "n_iter_")
    _parameter_rules = {  # where the name means something else than in the MLPs
        "solver": option(*_SOLVERS),
        "learning_rate": number(low=0, low_inclusive=False),
        "max_iter": number(integer=True, low=0),
    }

    def __init__(
        self,
        solver: str = "sgd",
        alpha: float = 1e-4,
        max_iter: int = 200,
        learning_rate: float = 0.01,
        batch_size: int | str = "auto",
        tol: float = 1e-4,
        n_iter_no_change: int = 10,
        random_state=None,
        verbose: bool = False,
        dtype: str | None = None,
        device=None,
    ):
        self.solver = solver
        self.alpha = alpha
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.verbose = verbose
        self.dtype = dtype
        self.device = device

    def fit(self, X, y, sample_weight=None):
        """Fit the weights to ``X`` of shape (n_samples, n_features) and labels ``y``, each
        sample's loss weighted by ``sample_weight``; a fit refused on any of its inputs changes
        nothing."""
        with all_or_nothing(self):
            return self._fit(X, y, sample_weight)

    @available_if(lambda self: _sgd_solver(self))
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch of "sgd" over ``(X, y)``, continuing from the current weights.

        ``classes`` (all the labels that will ever appear) is required on the first call; on a
        later call it must be the same. The arguments come in scikit-learn's MLP order.
        """
        with all_or_nothing(self):
            classes = check_partial_fit_classes(self, classes)
            return self._fit(X, y, sample_weight, classes=classes, incremental=True)

    def _fit(self, X, y, sample_weight, *, classes=None, incremental=False):
        self._check_params()
        first = not incremental or not hasattr(self, "coef_")
        dtype = float_dtype(self.dtype, X) if first else numpy_dtype(self.coef_.dtype)
        X = check_X(self, X, reset=first, dtype=dtype)
        labels, y_index = check_classification_y(self, y, X.shape[0], allow_one_class=incremental)
        if incremental:
            y_index = index_of_labels(classes if first else self.classes_, labels, y_index)
            labels = classes if first else self.classes_
        weight = check_sample_weight(sample_weight, X.shape[0], dtype)
        place = placement(self, X)
        X = to_place(X, place)
        xp = array_namespace(X)
        Y = move(one_hot(y_index, len(labels), dtype=dtype), *place)
        weight = None if (weight == 1).all() else move(weight, *place)  # None: all alike
        ones = xp.ones((X.shape[0], 1), dtype=X.dtype, device=device(X))
        X_b = xp.concat([ones, X], axis=1)  # the lecture's bias column
        if first:
            self.loss_curve_ = []
        if first or not hasattr(self, "_rng"):  # a model read from a file starts a new stream
            self._rng = check_random_state(self.random_state)
        self.classes_ = labels
        if self.solver == "sgd":
            if first:
                W = self._rng.normal(0, self.learning_rate, size=(X_b.shape[1], len(labels)))
                W = move(W.astype(dtype), *place)
            else:
                W = move(xp.concat([self.intercept_[None, :], self.coef_.T], axis=0), *place)
            W = self._fit_sgd(W, X_b, Y, weight, incremental=incremental)
        else:
            W = move(self._fit_search(X_b, Y, weight), *place)
        self.intercept_, self.coef_ = W[0, :], W[1:, :].T
        return self

    def _check_params(self):
        check_params(self)

    def _check_fitted_state(self) -> None:
        """What a restored model must satisfy before it is used (``ml.load`` asks)."""
        classes = self.classes_
        if not isinstance(classes, np.ndarray) or classes.ndim != 1 or len(classes) < 2:
            raise ValueError("classes_ must be a 1-D array of at least 2 labels.")
        check_number("n_features_in_", self.n_features_in_, integer=True, low=1)
        check_float_array("coef_", self.coef_, (len(classes), self.n_features_in_))
        check_float_array("intercept_", self.intercept_, (len(classes),)).astype(self.coef_.dtype)
        check_number("n_iter_", self.n_iter_, integer=True, low=0)
        if not isinstance(self.loss_curve_, list):
            raise ValueError("loss_curve_ must be a list of numbers.")

    def _loss(self, W, X_b, Y, weight=None):
        """The penalised loss, a 0-d array where ``X_b`` lives; with sample weights ``w`` the
        mean is ``sum_i w_i L_i / sum_i w_i`` and ``n`` in the penalty is ``sum_i w_i``."""
        xp = array_namespace(W)
        n = X_b.shape[0] if weight is None else xp.sum(weight)
        penalty = l2_penalty([W[1:, :]], self.alpha / n)  # the intercept row is not penalised
        return cross_entropy(X_b @ W, Y, sample_weight=weight) + penalty

    def _gradient(self, W, X_b, Y, weight=None):
        n = X_b.shape[0] if weight is None else array_namespace(W).sum(weight)
        dW = X_b.T @ cross_entropy_gradient(X_b @ W, Y, sample_weight=weight)
        dW[1:, :] += l2_penalty_gradient(W[1:, :], self.alpha / n)
        return dW

    def _fit_sgd(self, W, X_b, Y, weight, *, incremental):
        """Minibatch SGD from ``W`` (one epoch for ``partial_fit``, else up to ``max_iter``),
        the loss curve continued; returns ``W``."""
        epochs = 1 if incremental else self.max_iter

        def loss_and_gradients(X_batch, Y_batch, w_batch):
            return (
                self._loss(W, X_batch, Y_batch, w_batch),
                [self._gradient(W, X_batch, Y_batch, w_batch)],
            )

        batch_size = min(200 if self.batch_size == "auto" else self.batch_size, X_b.shape[0])
        try:
            history = train(
                loss_and_gradients,
                [W],
                optim.SGD(self.learning_rate),
                X_b,
                Y,
                sample_weight=weight,
                max_iter=epochs,
                batch_size=batch_size,
                tol=self.tol,
                n_iter_no_change=self.n_iter_no_change,
                random_state=self._rng,
                verbose=self.verbose,
                desc="SoftmaxClassifier",
            )
        except DivergenceError:
            self.intercept_, self.coef_ = W[0, :], W[1:, :].T  # the last finite weights
            raise
        self.loss_curve_ = [*self.loss_curve_, *history.loss]
        self.n_iter_ = history.n_iter  # this call's epochs, as scikit-learn's partial_fit
        if history.stop == "max_iter" and epochs > 0 and not incremental:
            _warn_not_converged(self.max_iter)
        return W

    def _fit_search(self, X_b, Y, weight):
        xp, place, dtype = array_namespace(X_b), device(X_b), numpy_dtype(X_b.dtype)
        shape = (X_b.shape[1], Y.shape[1])

        def loss(W):  # the searches keep W on the host (the lecture's NumPy code)
            return float(self._loss(move(W.astype(dtype), xp, place), X_b, Y, weight))

        def gradient(W):
            return to_numpy(self._gradient(move(W.astype(dtype), xp, place), X_b, Y, weight))

        options = dict(
            max_iter=self.max_iter,
            step_size=self.learning_rate,
            random_state=self._rng,
            verbose=self.verbose,
        )
        try:
            if self.solver == "gradient_descent":
                result = optim.gradient_descent(loss, gradient, shape, **options)
            else:
                result = getattr(optim, self.solver)(loss, shape, **options)
        except DivergenceError as error:  # the search's step_size is our learning_rate
            raise DivergenceError(
                f"{error} SoftmaxClassifier's learning_rate={self.learning_rate!r} is that "
                "step size."
            ) from error
        self.loss_curve_, self.n_iter_ = list(result.losses), len(result.losses)
        return result.W.astype(numpy_dtype(X_b.dtype))

    def _logits(self, X, method: str):
        """The logits where the model computes, and the function that moves a result back to
        where ``X`` came from."""
        check_is_fitted(self, "coef_")
        check_same_place(self, X, self.coef_, method)
        dtype = result_dtype(X, self.coef_.dtype)
        X = check_X(self, X, reset=False, dtype=numpy_dtype(self.coef_.dtype))
        back, place = homeward(X, dtype), placement(self, X)
        self.coef_, self.intercept_ = move(self.coef_, *place), move(self.intercept_, *place)
        logits = to_place(X, place) @ self.coef_.T + self.intercept_
        xp = array_namespace(logits)
        if not bool(xp.all(xp.isfinite(logits))):
            raise ValueError("X holds values too large for this model: its logits overflowed.")
        return logits, back

    def decision_function(self, X):
        """The logits ``f = X W + b``, of shape (n_samples, n_classes).

        For two classes, scikit-learn's convention: the difference ``f_1 - f_0`` of shape
        (n_samples,), positive where ``classes_[1]`` is predicted.
        """
        logits, back = self._logits(X, "decision_function")
        return back(logits[:, 1] - logits[:, 0] if len(self.classes_) == 2 else logits)

    def predict_proba(self, X):
        """Class probabilities ``softmax(X W + b)``, of shape (n_samples, n_classes)."""
        logits, back = self._logits(X, "predict_proba")
        return back(softmax(logits))

    def predict_log_proba(self, X):
        """Logarithms of :meth:`predict_proba`, computed stably as ``log_softmax(X W + b)``."""
        logits, back = self._logits(X, "predict_log_proba")
        return back(log_softmax(logits))

    def predict(self, X):
        """The most probable class of each row of ``X``."""
        logits, back = self._logits(X, "predict")
        return back(labels_of(self.classes_, array_namespace(logits).argmax(logits, axis=1)))

    def __ml_export__(self) -> dict:
        """What :func:`ml.onnx.to_onnx` exports: the linear scores as one Dense layer, then
        softmax over the classes."""
        check_is_fitted(self)
        coef, intercept = to_numpy(self.coef_), to_numpy(self.intercept_)
        scores = nn.Dense(self.n_features_in_, len(self.classes_), dtype=coef.dtype)
        scores.load_state_dict({"W": coef.T, "b": intercept})
        return {
            "network": nn.Sequential(scores),
            "sample_shape": (self.n_features_in_,),
            "dtype": coef.dtype,
            "output": "softmax",
            "n_outputs": len(self.classes_),
            "classes": self.classes_,
        }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.array_api_support = True  # X of any array library, computed where it lives
        return tags


def _sgd_solver(estimator) -> bool:
    """``partial_fit`` exists for the minibatch solver only, as in scikit-learn's MLPs."""
    if estimator.solver != "sgd":
        raise AttributeError(
            f"partial_fit is only available for solver 'sgd', not {estimator.solver!r}."
        )
    return True


def _warn_not_converged(max_iter):
    warnings.warn(
        f"Stochastic gradient descent reached max_iter={max_iter} before the loss converged; "
        "raise max_iter or the learning rate.",
        ConvergenceWarning,
        stacklevel=5,  # the user's call of fit
    )
