"""Multi-layer perceptrons with scikit-learn's API: ``MLPClassifier`` and ``MLPRegressor``.

Drop-in replacements for ``sklearn.neural_network``'s estimators (same parameters, defaults and
fitted attributes), plus what scikit-learn does not offer: dropout, batch normalisation, softplus
and per-layer activations, class weights, callbacks, step and cosine schedules, float32 training.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target

from ml.backend import array_namespace, device
from ml.estimators._data import (
    check_classification_y,
    check_partial_fit_classes,
    check_regression_y,
    host,
    index_of_labels,
)
from ml.estimators._device import labels_of
from ml.estimators._docs import (
    _CLASS_WEIGHT,
    _REGRESSION_LOSS,
    _SHARED_ATTRIBUTES,
    _SHARED_PARAMETERS,
)
from ml.estimators._mlp import BaseMLP
from ml.functional import log_softmax, sigmoid, softmax, softplus


def _stochastic_solver(estimator) -> bool:
    """``partial_fit`` exists for the minibatch solvers only, as in scikit-learn."""
    if estimator.solver not in ("sgd", "adam"):
        raise AttributeError(
            f"partial_fit is only available for solver 'sgd' or 'adam', not {estimator.solver!r}."
        )
    return True


class MLPClassifier(ClassifierMixin, BaseMLP):
    __doc__ = f"""Multi-layer perceptron classifier trained by backpropagation.

    The output is a softmax over the classes with the cross-entropy loss (gradient ``q - y``), or,
    for two classes and for multilabel targets, one sigmoid per output with the logistic loss.

    Parameters
    ----------{_SHARED_PARAMETERS}{_CLASS_WEIGHT}
    Attributes
    ----------
    classes_ : ndarray{_SHARED_ATTRIBUTES}
    Examples
    --------
    >>> import ml
    >>> X, y = ml.datasets.load_digits()
    >>> mlp = ml.MLPClassifier((32,), max_iter=50, random_state=0).fit(X / 16, y)
    >>> mlp.score(X / 16, y) > 0.95
    True
    >>> mlp.predict_proba(X[:2] / 16).shape
    (2, 10)
    """

    _saved_attributes = (*BaseMLP._saved_attributes, "classes_", "_multilabel")

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
        dtype=None,
        device=None,
    ):
        super().__init__(
            hidden_layer_sizes,
            activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            dropout=dropout,
            batch_norm=batch_norm,
            callbacks=callbacks,
            dtype=dtype,
            device=device,
        )
        self.class_weight = class_weight

    def fit(self, X, y, sample_weight=None):
        """Fit the network to ``X`` (n_samples, n_features) and labels ``y``."""
        return self._fit(X, y, sample_weight)

    @available_if(_stochastic_solver)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over ``(X, y)``, continuing from the current weights and optimizer state.

        ``classes`` (all the labels that will ever appear) is required on the first call; on a
        later call it must be the same. The arguments come in scikit-learn's order.
        """
        classes = check_partial_fit_classes(self, classes)
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _encode_targets(self, y, n_samples, dtype, *, first, incremental, classes=None):
        """The network's targets ``Y`` in X's dtype (one column for one or two classes, one-hot
        for more, the indicator matrix for multilabel ``y``) and each sample's class index."""
        y = host(y)
        if y is not None and np.asarray(y).ndim == 2 and np.asarray(y).shape[1] > 1:
            Y = self._multilabel_targets(y, n_samples, first)
            return Y.astype(dtype), Y
        labels, y_index = check_classification_y(self, y, n_samples, allow_one_class=True)
        if first:
            self.classes_ = labels if classes is None else classes
            self._multilabel = False
            self.out_activation_ = "logistic" if len(self.classes_) <= 2 else "softmax"
        elif self.warm_start and not incremental and not np.array_equal(labels, self.classes_):
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as in the previous "
                f"call to fit. Previously got {self.classes_}, `y` has {labels}"
            )
        y_index = index_of_labels(self.classes_, labels, y_index)
        if len(self.classes_) <= 2:
            return y_index[:, None].astype(dtype), y_index
        return np.eye(len(self.classes_), dtype=dtype)[y_index], y_index

    def _multilabel_targets(self, y, n_samples, first):
        if type_of_target(y) != "multilabel-indicator":
            raise ValueError("y of 2 dimensions must be a 0/1 multilabel indicator matrix.")
        if len(y) != n_samples:
            raise ValueError(
                f"X and y have different numbers of samples: {n_samples} rows in X, {len(y)} in y."
            )
        Y = np.asarray(y)
        if first:
            self.classes_, self._multilabel = np.arange(Y.shape[1]), True
            self.out_activation_ = "logistic"
        elif not self._multilabel or Y.shape[1] != len(self.classes_):
            raise ValueError(
                f"y has {Y.shape[1]} labels; the model was fitted on {len(self.classes_)}."
            )
        return Y

    def _check_fitted_state(self) -> None:
        super()._check_fitted_state()
        classes, outputs = self.classes_, self.n_outputs_
        if (
            not isinstance(classes, np.ndarray)
            or classes.ndim != 1
            or len(np.unique(classes)) != len(classes)
        ):
            raise ValueError("classes_ must be a 1-D array of distinct labels.")
        if not isinstance(self._multilabel, bool):
            raise ValueError("_multilabel must be True or False.")
        if self._multilabel or self.out_activation_ == "softmax":
            fits = len(classes) == outputs and (self._multilabel or outputs >= 3)
        else:
            fits = outputs == 1 and len(classes) in (1, 2)
        if not fits or self.out_activation_ not in ("softmax", "logistic"):
            raise ValueError(
                f"{len(classes)} classes_ do not fit {outputs} outputs with {self.out_activation_}."
            )

    def _class_weights(self, y):
        if self.class_weight is None:
            return 1.0
        if self._multilabel:
            raise ValueError("class_weight is not supported for multilabel y.")
        return compute_sample_weight(self.class_weight, y)

    def _stratify(self, y):
        """Stratify the early-stopping split by class index, as scikit-learn does (not for
        multilabel ``y``); one output column is stratified as scikit-learn's True/False targets."""
        if self._multilabel:
            return None
        return y[:, None].astype(bool) if len(self.classes_) <= 2 else y

    def _score_output(self, output, Y):
        """The accuracy of the output against the encoded targets ``Y``, where they live."""
        xp = array_namespace(output)
        if self._multilabel:
            hits = xp.all((output > 0) == (Y > 0.5), axis=1)
        elif self.out_activation_ == "softmax":
            hits = xp.argmax(output, axis=1) == xp.argmax(Y, axis=1)
        elif len(self.classes_) == 1:
            return 1.0
        else:
            hits = (output[:, 0] > 0) == (Y[:, 0] > 0.5)
        return float(xp.count_nonzero(hits)) / hits.shape[0]

    def _probabilities(self, output):
        xp = array_namespace(output)
        if self.out_activation_ == "softmax":
            return softmax(output)
        if len(self.classes_) == 1:
            return xp.ones_like(output)
        p = sigmoid(output)
        return p if self._multilabel else xp.concat([1 - p, p], axis=1)

    def _predict_from(self, output):
        xp = array_namespace(output)
        if self._multilabel:
            return xp.astype(output > 0, xp.int64)
        if self.out_activation_ == "softmax":
            i = xp.argmax(output, axis=1)
        elif len(self.classes_) == 2:
            i = xp.astype(output[:, 0] > 0, xp.int64)
        else:
            i = xp.zeros(output.shape[0], dtype=xp.int64, device=device(output))
        return labels_of(self.classes_, i)

    def predict(self, X):
        """The most probable class of each row of ``X``."""
        output, back = self._forward(X, "predict")
        return back(self._predict_from(output))

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes)."""
        output, back = self._forward(X, "predict_proba")
        return back(self._probabilities(output))

    def predict_log_proba(self, X):
        """Logarithms of :meth:`predict_proba`, computed stably from the network's output:
        ``log_softmax(f)``, or ``log sigmoid(f) = -softplus(-f)`` for sigmoid outputs."""
        output, back = self._forward(X, "predict_log_proba")
        xp = array_namespace(output)
        if self.out_activation_ == "softmax":
            return back(log_softmax(output))
        if len(self.classes_) == 1:
            return back(xp.zeros_like(output))
        log_p = -softplus(-output)
        return back(log_p if self._multilabel else xp.concat([-softplus(output), log_p], axis=1))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, BaseMLP):
    __doc__ = f"""Multi-layer perceptron regressor trained by backpropagation.

    The output layer is linear with half the squared error as loss, or ``exp`` with the Poisson
    deviance (``loss="poisson"``), for counts.

    Parameters
    ----------{_REGRESSION_LOSS}{_SHARED_PARAMETERS}
    Attributes
    ----------{_SHARED_ATTRIBUTES}
    Examples
    --------
    >>> import numpy as np
    >>> import ml
    >>> X = np.linspace(-3, 3, 200)[:, None]
    >>> mlp = ml.MLPRegressor(
    ...     hidden_layer_sizes=(32,), learning_rate_init=0.01, max_iter=300, random_state=0
    ... )
    >>> mlp = mlp.fit(X, np.sin(X[:, 0]))
    >>> mlp.score(X, np.sin(X[:, 0])) > 0.9
    True
    """

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
        dtype=None,
        device=None,
    ):
        super().__init__(
            hidden_layer_sizes,
            activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            dropout=dropout,
            batch_norm=batch_norm,
            callbacks=callbacks,
            dtype=dtype,
            device=device,
        )
        self.loss = loss

    def fit(self, X, y, sample_weight=None):
        """Fit the network to ``X`` (n_samples, n_features) and targets ``y``."""
        return self._fit(X, y, sample_weight)

    @available_if(_stochastic_solver)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``(X, y)``, continuing from the current weights and optimizer state."""
        return self._fit(X, y, sample_weight, incremental=True)

    def _encode_targets(self, y, n_samples, dtype, *, first, incremental, classes=None):
        Y = check_regression_y(y, n_samples, dtype)
        if self.loss == "poisson" and (Y < 0).any():
            raise ValueError("y must be non-negative for loss='poisson'.")
        if first:
            self.out_activation_ = "exp" if self.loss == "poisson" else "identity"
        elif Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} outputs; the model was fitted on {self.n_outputs_}."
            )
        return Y, Y

    def _class_weights(self, y):
        return 1.0

    def _stratify(self, y):
        return None

    def _predictions(self, output):
        return array_namespace(output).exp(output) if self.out_activation_ == "exp" else output

    def _score_output(self, output, Y):
        """R^2 of the predictions, averaged over outputs, where they live (scikit-learn's
        ``r2_score``: an output of constant targets scores 1 if predicted exactly, else 0)."""
        xp, P = array_namespace(output), self._predictions(output)
        residual = xp.sum((Y - P) ** 2, axis=0)
        total = xp.sum((Y - xp.mean(Y, axis=0)) ** 2, axis=0)
        constant = xp.astype(residual == 0, P.dtype)
        scores = xp.where(total > 0, 1 - residual / xp.where(total > 0, total, 1.0), constant)
        return float(xp.mean(scores))

    def predict(self, X):
        """Predicted targets, shape (n_samples,) or (n_samples, n_outputs)."""
        output, back = self._forward(X, "predict")
        predictions = self._predictions(output)
        xp = array_namespace(predictions)
        return back(xp.reshape(predictions, (-1,)) if self.n_outputs_ == 1 else predictions)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
