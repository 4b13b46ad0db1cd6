"""Multi-layer perceptrons with scikit-learn's API: ``MLPClassifier`` and ``MLPRegressor``.

Drop-in replacements for ``sklearn.neural_network``'s estimators (same parameters, defaults and
fitted attributes), plus what scikit-learn does not offer: dropout, batch normalisation, softplus
and per-layer activations, class weights, callbacks, step and cosine schedules, float32 training.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target

from ml import nn
from ml._validation import check_option
from ml.estimators._data import check_classification_y, check_regression_y
from ml.estimators._mlp import BaseMLP
from ml.functional import log_softmax, sigmoid, softmax, softplus


def _stochastic_solver(estimator) -> bool:
    """``partial_fit`` exists for the minibatch solvers only, as in scikit-learn."""
    if estimator.solver not in ("sgd", "adam"):
        raise AttributeError(
            f"partial_fit is only available for solver 'sgd' or 'adam', not {estimator.solver!r}."
        )
    return True


_SHARED_PARAMETERS = """
    hidden_layer_sizes : tuple of int, default=(100,)
        Width of each hidden layer; ``()`` gives a linear model.
    activation : str or list of str, default="relu"
        "relu", "tanh", "logistic" (or "sigmoid"), "identity", "softplus", "leaky_relu"; one for
        all hidden layers or one per layer.
    solver : {"adam", "sgd", "lbfgs"}, default="adam"
    alpha : float, default=1e-4
        L2 penalty ``alpha / (2 n) sum ||W||^2`` on the weights of a batch of ``n`` samples.
    batch_size : int or "auto", default="auto"
        ``min(200, n_samples)`` for "auto".
    learning_rate : {"constant", "invscaling", "adaptive", "step", "cosine"}, default="constant"
        Schedule of the learning rate, for "sgd" and "adam". "invscaling": ``learning_rate_init /
        (t + 1)^power_t`` after ``t`` samples; "adaptive": divided by 5 on each plateau; "step":
        divided by 10 every ``max_iter // 3`` epochs; "cosine": annealed to 0 over ``max_iter``.
    learning_rate_init : float, default=0.001
    power_t : float, default=0.5
    max_iter : int, default=200
        Epochs for "sgd" and "adam", iterations for "lbfgs".
    shuffle : bool, default=True
    random_state : None, int or Generator, default=None
    tol : float, default=1e-4
    verbose : bool, default=False
        Show a progress bar with the epoch and the loss.
    warm_start : bool, default=False
        ``fit`` continues from the current weights.
    momentum : float, default=0.9
    nesterovs_momentum : bool, default=True
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data, stop when its score stops improving and
        restore the weights of the best score.
    validation_fraction : float, default=0.1
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's parameters.
    n_iter_no_change : int, default=10
    max_fun : int, default=15000
        Loss evaluations of "lbfgs".
    dropout : float or list of float, default=0.0
        Probability of dropping a hidden unit in training, for all hidden layers or per layer.
    batch_norm : bool, default=False
        Batch normalisation before each hidden activation.
    callbacks : list, default=None
        :class:`ml.train.Callback` objects, or functions ``f(model, epoch, history)`` called after
        every epoch (returning True stops training).
    dtype : {"float32", "float64"}, default="float32"
"""

_SHARED_ATTRIBUTES = """
    coefs_, intercepts_ : list of ndarray
        Weights and biases of each Dense layer.
    loss_ : float
    loss_curve_ : list of float
    best_loss_ : float or None
    validation_scores_ : list of float or None
    best_validation_score_ : float or None
    history_ : ml.train.History
        Per epoch: training loss, validation loss and score, learning rate.
    n_iter_, t_ : int
        Epochs (or L-BFGS iterations) and training samples seen.
    n_layers_, n_outputs_ : int
    out_activation_ : str
    n_features_in_ : int
    network_ : ml.nn.Sequential
"""


def _store_parameters(estimator, parameters: dict) -> None:
    """What scikit-learn's ``__init__`` does: store every argument under its own name."""
    for name, value in parameters.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


class MLPClassifier(ClassifierMixin, BaseMLP):
    __doc__ = f"""Multi-layer perceptron classifier trained by backpropagation.

    The output is a softmax over the classes with the cross-entropy loss (gradient ``q - y``), or,
    for two classes and for multilabel targets, one sigmoid per output with the logistic loss.

    Parameters
    ----------{_SHARED_PARAMETERS}    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight``.

    Attributes
    ----------
    classes_ : ndarray{_SHARED_ATTRIBUTES}"""

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        batch_norm=False,
        class_weight=None,
        callbacks=None,
        dtype="float32",
    ):
        _store_parameters(self, locals())

    def fit(self, X, y, sample_weight=None):
        """Fit the network to ``X`` (n_samples, n_features) and labels ``y``."""
        return self._fit(X, y, sample_weight)

    @available_if(_stochastic_solver)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over ``(X, y)``, continuing from the current weights and optimizer state.

        ``classes`` (all the labels that will ever appear) is required on the first call.
        """
        if not hasattr(self, "network_") and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _encode_targets(self, y, n_samples, *, first, classes=None):
        if y is not None and np.asarray(y).ndim == 2 and np.asarray(y).shape[1] > 1:  # multilabel
            if type_of_target(y) != "multilabel-indicator":
                raise ValueError("y of 2 dimensions must be a 0/1 multilabel indicator matrix.")
            if len(y) != n_samples:
                raise ValueError(
                    f"X and y have different numbers of samples: {n_samples} rows "
                    f"in X, {len(y)} in y."
                )
            Y = np.asarray(y)
            if first:
                self.classes_, self._multilabel = np.arange(Y.shape[1]), True
                self._loss = nn.BinaryCrossEntropy()
            return Y.astype(self.dtype), Y
        seen, y_index = check_classification_y(
            self, y, n_samples, allow_one_class=not first or classes is not None
        )
        if first:
            self.classes_ = np.unique(classes) if classes is not None else seen
            self._multilabel = False
            self._loss = (
                nn.BinaryCrossEntropy() if len(self.classes_) == 2 else nn.SoftmaxCrossEntropy()
            )
        unknown = np.setdiff1d(seen, self.classes_)
        if len(unknown):
            raise ValueError(
                f"y contains labels {unknown.tolist()} that are not in classes_ "
                f"{self.classes_.tolist()}."
            )
        y_index = np.searchsorted(self.classes_, seen)[y_index]
        if len(self.classes_) == 2:
            return y_index[:, None].astype(self.dtype), y_index
        return np.eye(len(self.classes_), dtype=self.dtype)[y_index], y_index

    def _class_weights(self, y):
        if self.class_weight is None:
            return 1.0
        if self._multilabel:
            raise ValueError("class_weight is not supported for multilabel y.")
        return compute_sample_weight(self.class_weight, y)

    def _stratify_validation(self, y):
        return not self._multilabel

    def _score_output(self, output, y):
        return accuracy_score(y, self._predict_from(output, index=True))

    def _probabilities(self, output):
        if self.out_activation_ == "softmax":
            return softmax(output)
        p = sigmoid(output)
        return p if self._multilabel else np.hstack([1 - p, p])

    def _predict_from(self, output, index=False):
        if self._multilabel:
            return (output > 0).astype(int)
        if self.out_activation_ == "softmax":
            i = np.argmax(output, axis=1)
        else:
            i = (output[:, 0] > 0).astype(int)
        return i if index else self.classes_[i]

    def predict(self, X):
        """The most probable class of each row of ``X``."""
        return self._predict_from(self._forward(X))

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes)."""
        return self._probabilities(self._forward(X))

    def predict_log_proba(self, X):
        """Logarithms of :meth:`predict_proba`, computed stably from the network's output:
        ``log_softmax(f)``, or ``log sigmoid(f) = -softplus(-f)`` for sigmoid outputs."""
        output = self._forward(X)
        if self.out_activation_ == "softmax":
            return log_softmax(output)
        log_p = -softplus(-output)
        return log_p if self._multilabel else np.hstack([-softplus(output), log_p])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, BaseMLP):
    __doc__ = f"""Multi-layer perceptron regressor trained by backpropagation.

    The output layer is linear with half the squared error as loss, or ``exp`` with the Poisson
    deviance (``loss="poisson"``), for counts.

    Parameters
    ----------
    loss : {{"squared_error", "poisson"}}, default="squared_error"{_SHARED_PARAMETERS}
    Attributes
    ----------{_SHARED_ATTRIBUTES}"""

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        batch_norm=False,
        callbacks=None,
        dtype="float32",
    ):
        _store_parameters(self, locals())

    def fit(self, X, y, sample_weight=None):
        """Fit the network to ``X`` (n_samples, n_features) and targets ``y``."""
        return self._fit(X, y, sample_weight)

    @available_if(_stochastic_solver)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``(X, y)``, continuing from the current weights and optimizer state."""
        return self._fit(X, y, sample_weight, incremental=True)

    def _encode_targets(self, y, n_samples, *, first, classes=None):
        check_option("loss", self.loss, ("squared_error", "poisson"))
        Y = check_regression_y(y, n_samples, np.dtype(self.dtype))
        if self.loss == "poisson" and (Y < 0).any():
            raise ValueError("y must be non-negative for loss='poisson'.")
        if first:
            self._loss = nn.PoissonLoss() if self.loss == "poisson" else nn.SquaredError()
        return Y, Y

    def _class_weights(self, y):
        return 1.0

    def _stratify_validation(self, y):
        return False

    def _predictions(self, output):
        return np.exp(output) if self.out_activation_ == "exp" else output

    def _score_output(self, output, Y):
        return r2_score(Y, self._predictions(output))

    def predict(self, X):
        """Predicted targets, shape (n_samples,) or (n_samples, n_outputs)."""
        predictions = self._predictions(self._forward(X)).astype(np.float64)
        return predictions.ravel() if self.n_outputs_ == 1 else predictions

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
