"""What MLPClassifier and MLPRegressor share: building the network, the solvers, the attributes."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

from ml import nn
from ml._validation import check_number, check_option
from ml.backend import check_random_state, sklearn_seed
from ml.estimators._data import check_sample_weight, check_X
from ml.estimators._persistence import SaveMixin, _decode, _encode
from ml.functional import ACTIVATIONS, get_activation
from ml.functional.losses import l2_penalty
from ml.optim import SCHEDULES, SGD, Adam, make_schedule, minimize_lbfgs
from ml.train import Callback, History, train

_ACTIVATION_NAMES = (*ACTIVATIONS, "logistic", "linear")
_NUMBER_PARAMETERS = {  # the bounds of every numeric parameter, as scikit-learn's
    "alpha": {"low": 0},
    "batch_size": {"integer": True, "low": 1},
    "learning_rate_init": {"low": 0, "low_inclusive": False},
    "power_t": {"low": 0},
    "max_iter": {"integer": True, "low": 1},
    "tol": {"low": 0},
    "momentum": {"low": 0, "high": 1},
    "validation_fraction": {"low": 0, "high": 1, "high_inclusive": False},
    "beta_1": {"low": 0, "high": 1, "high_inclusive": False},
    "beta_2": {"low": 0, "high": 1, "high_inclusive": False},
    "epsilon": {"low": 0, "low_inclusive": False},
    "n_iter_no_change": {"integer": True, "low": 1},
    "max_fun": {"integer": True, "low": 1},
}
_WORDS = {"batch_size": "auto", "n_iter_no_change": np.inf}  # allowed besides the numbers


class _FunctionCallback(Callback):
    """A plain function ``f(model, epoch, history)`` used as ``on_epoch_end``."""

    def __init__(self, function):
        self.function = function

    def on_epoch_end(self, model, epoch, history):
        return self.function(model, epoch, history)


class _EpochRecorder(Callback):
    """Keeps the per-epoch attributes (``loss_curve_``, ``n_iter_``, ``t_``, ``history_``,
    ``validation_scores_``) current after every epoch, so that callbacks see them."""

    def __init__(self, n_samples):
        self.n_samples = n_samples

    def on_epoch_end(self, model, epoch, history):
        validation = (
            (history.val_loss[-1], history.val_score[-1]) if history.val_score else (None, None)
        )
        model.history_.append(history.loss[-1], *validation, history.learning_rate[-1])
        model.loss_curve_.append(history.loss[-1])
        if model.early_stopping and history.val_score:
            model.validation_scores_.append(history.val_score[-1])
        model.n_iter_ += 1
        model.t_ += self.n_samples


class BaseMLP(SaveMixin, BaseEstimator):
    """Multi-layer perceptron ``Dense -> [BatchNorm] -> activation -> [Dropout] -> ... -> Dense``
    trained by backpropagation; see :class:`ml.MLPClassifier` for the parameters."""

    _saved_attributes = (
        "classes_",
        "loss_",
        "loss_curve_",
        "best_loss_",
        "validation_scores_",
        "best_validation_score_",
        "n_iter_",
        "t_",
        "n_outputs_",
        "out_activation_",
        "image_shape_",
        "_multilabel",
    )

    def _check_params(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, numbers.Integral) else list(sizes)
        for i, size in enumerate(sizes):
            check_number(f"hidden_layer_sizes[{i}]", size, integer=True, low=1)
        for name in ("activation", "dropout"):
            value = getattr(self, name)
            if not isinstance(value, str | numbers.Real) and len(value) != len(sizes):
                raise ValueError(
                    f"{name} must be one value or one per hidden layer ({len(sizes)}); "
                    f"got {len(value)} values."
                )
        self._activations = _per_layer(self.activation, len(sizes))
        for act in self._activations:
            check_option("activation", act, _ACTIVATION_NAMES)
        self._dropouts = _per_layer(self.dropout, len(sizes))
        for p in self._dropouts:
            check_number("dropout", p, low=0, high=1, high_inclusive=False)
        check_option("solver", self.solver, ("adam", "sgd", "lbfgs"))
        if self.solver == "lbfgs" and any(self._dropouts):
            raise ValueError("dropout needs solver='adam' or 'sgd': L-BFGS needs a fixed loss.")
        check_option("learning_rate", self.learning_rate, tuple(SCHEDULES))
        check_option(
            "dtype",
            np.dtype(self.dtype).name if self.dtype in (np.float32, np.float64) else self.dtype,
            ("float32", "float64"),
        )
        for name, bounds in _NUMBER_PARAMETERS.items():
            value = getattr(self, name)
            if name not in _WORDS or value != _WORDS[name]:
                check_number(name, value, **bounds)
        return sizes

    # --- fitting ---------------------------------------------------------------------------------

    def _fit(self, X, y, sample_weight=None, *, incremental=False, classes=None):
        sizes = self._check_params()
        first = not hasattr(self, "network_") or not (incremental or self.warm_start)
        X = self._check_input(X, reset=first)
        Y, y_checked = self._encode_targets(y, X.shape[0], first=first, classes=classes)
        weight = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        weight = weight * self._class_weights(y_checked)
        if first:
            self._rng = check_random_state(self.random_state)
            self._initialize(self._build_network(X, Y.shape[1], sizes), Y.shape[1])
        if self.solver == "lbfgs":
            self._fit_lbfgs(X, Y, weight)
        else:
            self._fit_stochastic(X, Y, y_checked, weight, incremental)
        return self

    def _check_input(self, X, *, reset):
        """``X`` as the array the network takes: here rows (n_samples, n_features)."""
        dtype = np.dtype(self.dtype) if reset else self.coefs_[0].dtype
        return check_X(self, X, reset=reset, dtype=dtype)

    def _build_network(self, X, n_outputs, sizes) -> nn.Sequential:
        return nn.Sequential(*self._dense_layers(X.shape[1], n_outputs, sizes))

    def _dense_layers(self, n_features, n_outputs, sizes) -> list[nn.Layer]:
        """``Dense -> [BatchNorm1d] -> activation -> [Dropout]`` per hidden layer, then the
        output Dense layer."""
        layers, dtype, rng = [], np.dtype(self.dtype), self._rng
        widths = [n_features, *sizes]
        for fan_in, fan_out, act, p in zip(
            widths[:-1], widths[1:], self._activations, self._dropouts, strict=True
        ):
            name = get_activation(act).name
            layers.append(nn.Dense(fan_in, fan_out, **init_options(name, rng, dtype)))
            if self.batch_norm:
                layers.append(nn.BatchNorm1d(fan_out, dtype=dtype))
            layers.append(nn.activation_layer(name))
            if p > 0:
                layers.append(nn.Dropout(p, random_state=rng))
        layers.append(nn.Dense(widths[-1], n_outputs, **init_options("identity", rng, dtype)))
        return layers

    def _initialize(self, network, n_outputs):
        self._attach(network)
        self.n_outputs_ = n_outputs
        self.out_activation_ = self._loss.out_activation
        self.n_iter_, self.t_, self.loss_curve_, self.history_ = 0, 0, [], History()
        self.best_loss_ = None if self.early_stopping else np.inf
        self.validation_scores_ = [] if self.early_stopping else None
        self.best_validation_score_ = -np.inf if self.early_stopping else None
        self._optimizer = None

    def _attach(self, network):
        """Make ``network`` this model's, with the attributes that point into it."""
        self.network_ = network
        dense = [layer for layer in network.all_layers() if isinstance(layer, nn.Dense)]
        self.coefs_ = [layer.params["W"] for layer in dense]
        self.intercepts_ = [layer.params["b"] for layer in dense]
        self._params = network.parameters()
        self._weighted = [layer for layer in network.all_layers() if "W" in layer.params]
        self.n_layers_ = len(self._weighted) + 1

    # --- saving and loading ----------------------------------------------------------------------

    def _fitted_state(self, arrays) -> dict:
        state = super()._fitted_state(arrays)
        state["network_"] = _encode(self.network_, arrays, "network_")
        state["history_"] = vars(self.history_)
        state["_rng"] = _encode(self._rng, arrays, "_rng")
        if self._optimizer is not None:
            state["_optimizer"] = {
                "learning_rate": self._optimizer.learning_rate,
                "state": _encode(self._optimizer._state, arrays, "_optimizer"),
                "schedule_rate": self._schedule.learning_rate,
            }
        return state

    def _restore_fitted_state(self, state: dict, arrays) -> None:
        state = dict(state)
        self._attach(_decode(state.pop("network_"), arrays))
        self.history_ = History(**state.pop("history_"))
        self._rng = _decode(state.pop("_rng"), arrays)
        for layer in self.network_.all_layers():
            if isinstance(layer, nn.Dropout):
                layer.rng = self._rng  # as when the network was built
        optimizer = state.pop("_optimizer", None)
        super()._restore_fitted_state(state, arrays)
        self._check_params()
        self._loss = _LOSS_OF_OUTPUT[self.out_activation_]()
        self._optimizer = None
        if optimizer is not None:
            self._optimizer = self._make_optimizer()
            self._optimizer.learning_rate = optimizer["learning_rate"]
            self._optimizer._state = _decode(optimizer["state"], arrays)
            self._schedule = make_schedule(
                self.learning_rate, self.learning_rate_init, **self._schedule_options()
            )
            self._schedule.learning_rate = optimizer["schedule_rate"]

    def _loss_and_gradients(self, X, Y, weight):
        """Forward and backward pass: the penalised loss, with every gradient filled in."""
        output = self.network_.forward(X, training=True)
        loss = self._loss.forward(output, Y, weight)
        self.network_.backward(self._loss.backward())
        n = float(weight.sum())
        if self.alpha:
            for layer in self._weighted:
                layer.grads["W"] += (self.alpha / n) * layer.params["W"]
            loss += l2_penalty([layer.params["W"] for layer in self._weighted], self.alpha) / n
        return loss

    def _step(self, X, Y, weight):
        loss = self._loss_and_gradients(X, Y, weight)
        self._optimizer.step(self._params, self.network_.gradients())
        return loss

    def _fit_stochastic(self, X, Y, y, weight, incremental):
        validate = None
        if self.early_stopping and not incremental:
            X, X_val, Y, Y_val, weight, y_val = self._validation_split(X, Y, weight, y)

            def validate():
                output = self.network_.forward(X_val, training=False)
                return float(self._loss.function(output, Y_val)), self._score_output(output, y_val)

        if self._optimizer is None or not incremental:
            self._optimizer = self._make_optimizer()
            self._schedule = make_schedule(
                self.learning_rate, self.learning_rate_init, **self._schedule_options()
            )
        batch_size = min(200 if self.batch_size == "auto" else self.batch_size, X.shape[0])
        result = train(
            self._step,
            X,
            Y,
            params=self._params,
            sample_weight=weight,
            max_iter=1 if incremental else self.max_iter,
            batch_size=batch_size,
            shuffle=self.shuffle,
            random_state=self._rng,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            validate=validate,
            optimizer=self._optimizer,
            schedule=self._schedule,
            callbacks=self._callbacks(X.shape[0]),
            model=self,
            verbose=self.verbose,
            desc=type(self).__name__,
        )
        self._record(result)
        if not (incremental or result.converged or result.interrupted):
            warnings.warn(
                f"Stochastic optimizer: maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=3,
            )

    def _record(self, result):
        """The attributes that summarise a finished run; the per-epoch ones are kept up to date
        during training by :class:`_EpochRecorder`."""
        if result.history.loss:
            self.loss_ = result.history.loss[-1]
        if self.early_stopping and self.validation_scores_:
            self.best_validation_score_ = max(self.validation_scores_)
        elif not self.early_stopping:
            self.best_loss_ = min(self.best_loss_, result.best_loss)

    def _fit_lbfgs(self, X, Y, weight):
        result, losses = minimize_lbfgs(
            lambda: (self._loss_and_gradients(X, Y, weight), self.network_.gradients()),
            self._params,
            max_iter=self.max_iter,
            max_fun=self.max_fun,
            tol=self.tol,
        )
        self.loss_curve_ += losses
        self.history_.loss.extend(losses)
        self.n_iter_ += result.nit
        self.t_ += X.shape[0]
        self.loss_ = float(result.fun)
        self.best_loss_ = min(self.best_loss_, self.loss_)
        if result.status != 0:
            warnings.warn(
                f"lbfgs failed to converge after {result.nit} iterations: {result.message}. "
                "Increase max_iter or max_fun, or scale the data.",
                ConvergenceWarning,
                stacklevel=3,
            )

    def _validation_split(self, X, Y, weight, y):
        stratify = y if self._stratify_validation(y) else None
        n_val = int(np.ceil(self.validation_fraction * X.shape[0]))
        if n_val < 2 or X.shape[0] - n_val < 1:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} of {X.shape[0]} samples leaves "
                "too small a validation set for early_stopping; use more data or a larger "
                "validation_fraction."
            )
        X, X_val, Y, Y_val, weight, _, _, y_val = train_test_split(
            X,
            Y,
            weight,
            y,
            test_size=self.validation_fraction,
            random_state=sklearn_seed(self._rng),
            stratify=stratify,
        )
        return X, X_val, Y, Y_val, weight, y_val

    def _make_optimizer(self):
        if self.solver == "sgd":
            return SGD(
                self.learning_rate_init, momentum=self.momentum, nesterov=self.nesterovs_momentum
            )
        return Adam(self.learning_rate_init, self.beta_1, self.beta_2, self.epsilon)

    def _schedule_options(self):
        return {
            "invscaling": {"power_t": self.power_t},
            "cosine": {"T_max": self.max_iter},
            "step": {"step_size": max(1, self.max_iter // 3)},
        }.get(self.learning_rate, {})

    def _callbacks(self, n_samples):
        user = [
            c if isinstance(c, Callback) else _FunctionCallback(c) for c in self.callbacks or []
        ]
        return [_EpochRecorder(n_samples), *user]

    # --- prediction ------------------------------------------------------------------------------

    def _forward(self, X):
        check_is_fitted(self)
        output = self.network_.forward(self._check_input(X, reset=False), training=False)
        if not np.isfinite(output).all():
            raise ValueError(
                "X holds values too large for this network: its output overflowed to infinity "
                "or NaN. Scale X as the training data was."
            )
        return output


_LOSS_OF_OUTPUT = {
    "softmax": nn.SoftmaxCrossEntropy,
    "logistic": nn.BinaryCrossEntropy,
    "identity": nn.SquaredError,
    "exp": nn.PoissonLoss,
}


def init_options(activation, rng, dtype) -> dict:
    """Keyword arguments of Dense and Conv2D that initialise a layer for the activation after it,
    as scikit-learn does (see :func:`ml.nn.init.default_init`)."""
    return {
        "init": nn.init.default_init(activation),
        "bias_init": nn.init.default_bias_init(activation),
        "random_state": rng,
        "dtype": dtype,
    }


def _per_layer(value, n_layers):
    return [value] * n_layers if isinstance(value, str | numbers.Real) else list(value)
