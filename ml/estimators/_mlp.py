"""What MLPClassifier, MLPRegressor and the convolutional networks share: parameters, the
network, the trainer, the fitted attributes, the model file's state.

State lives once. An estimator holds two things: the network (``network_``), which owns the
weights, and the trainer (``trainer_``, :class:`ml.train.Trainer`), which owns the optimizer, the
schedule, the history and the random generator. scikit-learn's fitted attributes are read from
them: ``coefs_``/``intercepts_`` are the Dense layers' arrays, and ``loss_curve_``, ``n_iter_``,
``t_``, ``best_loss_``, ``validation_scores_`` come from the history. Nothing holds a second
reference to a weight, so copies, pickles, joblib files and model files never detach one.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted

from ml import nn
from ml._validation import check_memory
from ml.backend import (
    array_namespace,
    axpby,
    joined,
    legacy_random_state,
    move,
    numpy_dtype,
    take_rows,
)
from ml.estimators._base import all_or_nothing
from ml.estimators._data import (
    all_finite,
    check_sample_weight,
    check_X,
    first_output_check,
    float_dtype,
    validation_split,
)
from ml.estimators._device import (
    check_same_place,
    homeward,
    lives_at,
    placement,
    result_dtype,
    to_place,
)
from ml.estimators._params import check_params
from ml.estimators._saving import check_network_state
from ml.functional import l2_penalty
from ml.io.estimator import SaveMixin
from ml.io.read import decode
from ml.io.write import encode
from ml.optim import SGD, Adam, make_schedule
from ml.train import Trainer


class _Penalized:
    """The weight matrices of ``network`` that the L2 penalty takes, and their gradients, for
    one run of the optimizer. Where they lie back to back in its flat buffers
    (:meth:`ml.optim.Optimizer.flatten` puts every weight matrix before every bias), they are
    one flat array each, found on the first call and kept for the run: the penalty and its
    gradient are then one pass each, not one per layer (W1's fit 0.99 of the time, medians of
    30 and 40 interleaved pairs). Else the layers' own arrays, found on every call (a layer
    may store new gradient arrays on every batch)."""

    def __init__(self, network):
        self.network, self.flat = network, None

    def __call__(self) -> tuple[list, list]:
        if self.flat is not None:
            return self.flat
        layers = [layer for layer in self.network.all_layers() if "W" in layer.params]
        weights = [layer.params["W"] for layer in layers]
        grads = [layer.grads["W"] for layer in layers]
        flat_weights, flat_grads = joined(weights), joined(grads)
        if flat_weights is None or flat_grads is None:
            return weights, grads
        self.flat = [flat_weights], [flat_grads]
        return self.flat


_LOSS_OF_OUTPUT = {
    "softmax": nn.SoftmaxCrossEntropy,
    "logistic": nn.BinaryCrossEntropy,
    "identity": nn.SquaredError,
    "exp": nn.PoissonLoss,
}
_PREDICT_ROWS = 4096  # rows of a sparse X made dense at a time when predicting


class BaseMLP(SaveMixin, BaseEstimator):
    """Multi-layer perceptron ``Dense -> [BatchNorm] -> activation -> [Dropout] -> ... -> Dense``
    trained by backpropagation; see :class:`ml.MLPClassifier` for the parameters."""

    _saved_attributes = ("n_outputs_", "out_activation_")

    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        *,
        solver,
        alpha,
        batch_size,
        learning_rate,
        learning_rate_init,
        power_t,
        max_iter,
        shuffle,
        random_state,
        tol,
        verbose,
        warm_start,
        momentum,
        nesterovs_momentum,
        early_stopping,
        validation_fraction,
        beta_1,
        beta_2,
        epsilon,
        n_iter_no_change,
        max_fun,
        dropout,
        batch_norm,
        callbacks,
        dtype,
        device,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.callbacks = callbacks
        self.dtype = dtype
        self.device = device

    # --- scikit-learn's fitted attributes, read from the network and the history --------------

    coefs_ = property(lambda self: [layer.params["W"] for layer in self._dense_layers()])
    intercepts_ = property(lambda self: [layer.params["b"] for layer in self._dense_layers()])
    n_layers_ = property(lambda self: len(self._dense_layers()) + 1)
    history_ = property(lambda self: self.trainer_.history)
    # scikit-learn's name for the optimizer, which its own tests read
    _optimizer = property(lambda self: self.trainer_.optimizer)
    loss_curve_ = property(lambda self: self.history_.loss)
    loss_ = property(lambda self: self.history_.loss[-1] if self.history_.loss else None)
    n_iter_ = property(lambda self: self.history_.n_iter)
    t_ = property(lambda self: self.history_.samples_seen)
    _no_improvement_count = property(lambda self: self.history_.no_improvement_count)

    @property
    def best_loss_(self):
        return None if self.early_stopping else self.history_.best_loss

    @property
    def validation_scores_(self):
        return self.history_.val_score if self.early_stopping else None

    @property
    def best_validation_score_(self):
        return self.history_.best_score if self.early_stopping else None

    def _dense_layers(self) -> list[nn.Dense]:
        return [layer for layer in self.network_.all_layers() if isinstance(layer, nn.Dense)]

    # --- fitting ---------------------------------------------------------------------------------

    def _check_params(self) -> list[int]:
        """Check every parameter (one table, :mod:`ml.estimators._params`); return the widths."""
        check_params(self)
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, int | np.integer) else list(sizes)
        for name in ("activation", "dropout"):
            value = getattr(self, name)
            if isinstance(value, list | tuple) and len(value) != len(sizes):
                raise InvalidParameterError(
                    f"{name} must be one value or one per hidden layer ({len(sizes)}); "
                    f"got {len(value)} values."
                )
        if self.solver == "lbfgs" and any(_per_layer(self.dropout, len(sizes))):
            raise InvalidParameterError(
                "dropout needs solver='adam' or 'sgd': L-BFGS needs a fixed loss."
            )
        return sizes

    def _fit(self, X, y, sample_weight=None, *, incremental=False, classes=None):
        """Check everything, then (for a fresh fit) build the network and the trainer as new
        objects, then train: a fit refused on any of its inputs changes nothing."""
        with all_or_nothing(self):
            sizes = self._check_params()
            if incremental and self.early_stopping:
                raise ValueError("partial_fit does not support early_stopping=True.")
            first = not hasattr(self, "network_") or not (incremental or self.warm_start)
            X = self._check_input(X, reset=first)
            n_samples, dtype = X.shape[0], numpy_dtype(X.dtype)
            Y, y_labels = self._encode_targets(
                y, n_samples, dtype, first=first, incremental=incremental, classes=classes
            )
            weight = check_sample_weight(sample_weight, n_samples, dtype)
            weight = weight * self._class_weights(y_labels)
            place = placement(self, X)
            if first:
                self._check_size(X.shape[1], Y.shape[1], sizes, n_samples, dtype)
                # The weights come from scikit-learn's stream for random_state, so that a seed
                # gives scikit-learn's initial weights; shuffles, masks and splits from the
                # trainer's Generator.
                weights_stream = legacy_random_state(self.random_state)
                network = self._build_network(X, Y.shape[1], sizes, weights_stream)
                self.trainer_ = self._make_trainer()
                self.network_ = _share_rng(network, self.trainer_.rng)
                self.n_outputs_ = Y.shape[1]
            elif not incremental:
                self.trainer_.set_optimizer(*self._make_optimizer())  # as scikit-learn's refit
            self._place(place)
            X, Y = to_place(X, place), move(Y, *place)
            weight = None if (weight == 1).all() else move(weight, *place)  # None: all alike
            criterion = _LOSS_OF_OUTPUT[self.out_activation_]()
            if self.solver == "lbfgs":
                self._fit_lbfgs(X, Y, weight, criterion)
            else:
                self._fit_stochastic(X, Y, y_labels, weight, criterion, incremental)
            for layer in self.network_.all_layers():
                layer.forget()  # the last batch's activations: no backward pass will need them
        return self

    def _check_size(self, n_features, n_outputs, sizes, n_samples, dtype) -> None:
        """Refuse, before building anything, a network whose training could never fit in memory:
        its parameters four times over (weights, gradients, two moments) and one batch's
        activations, kept for backward."""
        widths = [n_features, *sizes, n_outputs]
        n_params = sum((a + 1) * b for a, b in zip(widths, widths[1:], strict=False))
        batch = 200 if self.batch_size == "auto" else self.batch_size
        batch = n_samples if self.solver == "lbfgs" else min(batch, n_samples)  # L-BFGS: all
        n_values = 4 * n_params + 3 * batch * sum(widths)
        check_memory(
            "hidden_layer_sizes",
            n_values * np.dtype(dtype).itemsize,
            f"a network of {n_params:,} parameters trained on batches of {batch}",
        )

    def _make_trainer(self) -> Trainer:
        """A new trainer: the solver's optimizer and schedule (none for L-BFGS), and the
        generator of ``random_state``."""
        return Trainer(*self._make_optimizer(), random_state=self.random_state)

    def _place(self, place) -> None:
        """Move the network, and the optimizer's state, to ``place`` (arrays already there stay
        the same objects)."""
        self.network_.to(*place)
        if self.trainer_.optimizer is not None:
            self.trainer_.optimizer.to(*place)

    def _check_input(self, X, *, reset, check_finite=True):
        """``X`` as the network takes it, here rows (n_samples, n_features), dense or CSR
        (``check_finite``: as :func:`check_X`'s)."""
        dtype = self._input_dtype(X, reset)
        return check_X(
            self, X, reset=reset, dtype=dtype, accept_sparse=True, check_finite=check_finite
        )

    def _input_dtype(self, X, reset) -> np.dtype:
        """The dtype to train in (``dtype``, or X's) when fitting anew, else the weights'."""
        return (
            float_dtype(self.dtype, X)
            if reset
            else numpy_dtype(self.network_._first_parameter().dtype)
        )

    def _build_network(self, X, n_outputs, sizes, weights_stream) -> nn.Sequential:
        dtype = numpy_dtype(X.dtype)
        layers = self._dense_stack(X.shape[1], n_outputs, sizes, weights_stream, dtype)
        return nn.Sequential(*layers)

    def _dense_stack(self, n_inputs, n_outputs, sizes, weights_stream, dtype) -> list[nn.Layer]:
        return nn.dense_stack(
            n_inputs,
            sizes,
            n_outputs,
            activations=_per_layer(self.activation, len(sizes)),
            dropouts=_per_layer(self.dropout, len(sizes)),
            batch_norm=self.batch_norm,
            random_state=weights_stream,
            dtype=dtype,
        )

    def _loss_and_gradients(self, criterion, X, Y, weight, penalized=None):
        """Forward and backward pass: the penalised loss ``L + alpha / (2 n) sum ||W||^2`` of a
        batch whose weights sum to ``n``, and the gradient of every parameter. ``penalized``
        finds the weights and their gradients (:class:`_Penalized`, one for a whole run)."""
        loss = criterion.forward(self.network_.forward(X, training=True), Y, weight)
        self.network_.backward_params(criterion.backward())
        if self.alpha:
            xp = array_namespace(X)
            n = X.shape[0] if weight is None else xp.sum(weight)
            # a batch of zero weights contributes nothing, penalty included (alpha / inf = 0)
            alpha = self.alpha / (n if weight is None else xp.where(n > 0, n, xp.inf))
            weights, grads = (penalized or _Penalized(self.network_))()
            for W, dW in zip(weights, grads, strict=True):  # += l2_penalty_gradient(W, alpha)
                axpby(alpha, W, 1, dW)
            loss = loss + l2_penalty(weights, alpha)
        return loss, self.network_.gradients()

    def _fit_stochastic(self, X, Y, y, weight, criterion, incremental):
        validate = None
        if self.early_stopping:
            X, X_val, Y, Y_val, weight = self._validation_split(X, Y, weight, y)

            def validate():
                output = self._network_output(X_val)
                loss = float(criterion.function(output, Y_val))
                return loss, float(self._score_output(output, Y_val))

        self.trainer_.minibatch(
            functools.partial(
                self._loss_and_gradients, criterion, penalized=_Penalized(self.network_)
            ),
            self.network_,
            X,
            Y,
            sample_weight=weight,
            max_iter=1 if incremental else self.max_iter,
            batch_size=self._batch_size(X.shape[0]),
            shuffle=self.shuffle,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            validate=validate,
            callbacks=self.callbacks or [],
            model=self,
            verbose=self.verbose,
            desc=type(self).__name__,
        )
        if self.history_.stop == "max_iter" and not incremental:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=3,
            )

    def _batch_size(self, n_samples) -> int:
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                f"Got `batch_size` larger than sample size ({self.batch_size} > {n_samples}). "
                "It is going to be clipped.",
                UserWarning,
                stacklevel=4,
            )
        return min(self.batch_size, n_samples)

    def _fit_lbfgs(self, X, Y, weight, criterion):
        X = take_rows(X, slice(None))  # full batch: L-BFGS needs the loss of all the data
        self.trainer_.lbfgs(
            functools.partial(self._loss_and_gradients, criterion, X, Y, weight),
            self.network_,
            max_iter=self.max_iter,
            max_fun=self.max_fun,
            tol=self.tol,
            callbacks=self.callbacks or [],
            model=self,
        )

    def _validation_split(self, X, Y, weight, y):
        """Hold out ``validation_fraction`` of the samples (as scikit-learn's split of the same
        seed); the indices are drawn on the host, the rows taken where the data lives."""
        return validation_split(
            (X, Y, weight), self.validation_fraction, self.trainer_.rng, self._stratify(y)
        )

    def _make_optimizer(self):
        """The solver's optimizer, at ``learning_rate_init``, and the schedule that sets its
        rate from then on (neither for L-BFGS)."""
        if self.solver == "lbfgs":
            return None, None
        if self.solver == "sgd":
            optimizer = SGD(
                self.learning_rate_init, momentum=self.momentum, nesterov=self.nesterovs_momentum
            )
        else:
            optimizer = Adam(self.learning_rate_init, self.beta_1, self.beta_2, self.epsilon)
        options = {
            "invscaling": {"power_t": self.power_t},
            "cosine": {"T_max": self.max_iter},
            "step": {"step_size": max(1, self.max_iter // 3)},
        }.get(self.learning_rate, {})
        return optimizer, make_schedule(self.learning_rate, optimizer, **options)

    # --- prediction ------------------------------------------------------------------------------

    def _network_output(self, X, check_first=None):
        """The network's output in inference mode, holding nothing afterwards; a sparse X is made
        dense a block at a time. ``check_first``: as :meth:`ml.nn.Sequential._run`'s."""
        if not hasattr(X, "toarray"):  # checked by _forward, and where the network is
            return self.network_._run(X, training=False, check_first=check_first)
        blocks = range(0, X.shape[0], _PREDICT_ROWS)
        return np.concatenate(
            [self.network_.predict(take_rows(X, slice(i, i + _PREDICT_ROWS))) for i in blocks]
        )

    def _forward(self, X, method: str):
        """The network's output for ``X``, computed where the estimator computes, and the
        function that moves a result back to where ``X`` came from (for ``method``)."""
        if "network_" not in vars(self):  # scikit-learn's check_is_fitted, reading one attribute
            check_is_fitted(self, "network_")
        fitted = self.network_._first_parameter()
        if type(X) is np.ndarray and type(fitted) is np.ndarray and self.device is None:
            if X.dtype == fitted.dtype and X.dtype.type in (np.float32, np.float64):
                # NumPy rows of the model's dtype are computed, and answered, as they are, their
                # finiteness read from the first layer's output where that can vouch for it
                check = first_output_check(X, self.network_, self._input_shape())
                X = self._check_input(X, reset=False, check_finite=check is None)
                return self._finite_output(X, check), _unchanged
        check_same_place(self, X, fitted, method)
        dtype = result_dtype(X, fitted.dtype)
        X = self._check_input(X, reset=False)
        back, place = homeward(X, dtype), placement(self, X)
        if not lives_at(fitted, place):  # as after fit, it is there already: nothing to move
            self.network_.to(*place)
        return self._finite_output(to_place(X, place)), back

    def _finite_output(self, X, check_first=None):
        """The network's output for the checked ``X``, where it lives; an output that overflowed
        is refused. ``check_first``: as :meth:`ml.nn.Sequential._run`'s."""
        output = self._network_output(X, check_first)
        if not all_finite(output, array_namespace(output)):
            raise ValueError(
                "X holds values too large for this network: its output overflowed to infinity "
                "or NaN. Scale X as the training data was."
            )
        return output

    def __ml_export__(self) -> dict:
        """What :func:`ml.onnx.to_onnx` exports: the network, one sample's shape as it takes
        it, the dtype, and how its output becomes predictions (``out_activation_``, and for a
        classifier ``classes_``)."""
        check_is_fitted(self)
        return {
            "network": self.network_,
            "sample_shape": self._input_shape(),
            "dtype": np.dtype(self._input_dtype(None, reset=False)),
            "output": self.out_activation_,
            "n_outputs": self.n_outputs_,
            "classes": getattr(self, "classes_", None),
            "multilabel": getattr(self, "_multilabel", False),
        }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.array_api_support = True  # X of any array library, computed where it lives
        return tags

    # --- saving and loading: what the attributes derive from --------------------------------------

    def _fitted_state(self, arrays) -> dict:
        """What a model file stores: the network and the trainer's state; the rest derives."""
        return {
            **super()._fitted_state(arrays),
            "network_": encode(self.network_, arrays, "network_"),
            "trainer_": encode(self.trainer_.state_dict(), arrays, "trainer_"),
        }

    def _input_shape(self) -> tuple[int, ...]:
        """The shape of one sample as the network takes it."""
        return (self.n_features_in_,)

    def _check_fitted_state(self) -> None:
        check_network_state(self, tuple(_LOSS_OF_OUTPUT), self._input_shape())

    def _restore_fitted_state(self, state: dict, arrays, classes) -> None:
        """Set what :meth:`_fitted_state` stored: a trainer built from the parameters takes the
        file's state, which must agree with the parameters wherever it repeats them."""
        state = dict(state)
        network = decode(state.pop("network_"), arrays, classes)
        trainer, fresh = self._make_trainer(), self._make_trainer().state_dict()
        saved = decode(state.pop("trainer_"), arrays, classes)
        for part in ("optimizer", "schedule"):
            if isinstance(saved, dict) and isinstance(saved.get(part), dict) and fresh[part]:
                _check_agrees(part, saved[part], fresh[part])
                saved[part] = {**fresh[part], **saved[part]}
        trainer.load_state_dict(saved)
        self.trainer_, self.network_ = trainer, _share_rng(network, trainer.rng)
        super()._restore_fitted_state(state, arrays, classes)


def _unchanged(result):
    """What :meth:`BaseMLP._forward` hands back for NumPy rows of the model's dtype."""
    return result


def _check_agrees(part: str, saved: dict, fresh: dict) -> None:
    """A model file's optimizer or schedule repeats the estimator's parameters (its rates,
    betas, options): where it does, it must say the same; its step count, moments and
    current rate are its own."""
    for name, value in saved.items():
        if name not in ("learning_rate", "t", "state") and fresh.get(name, value) != value:
            raise ValueError(
                f"the {part}'s {name} is {value!r}, but the parameters give {fresh[name]!r}."
            )


def _share_rng(network, rng):
    """Dropout draws its masks from the trainer's one Generator, saved with it; returns the
    network."""
    for layer in network.all_layers():
        if isinstance(layer, nn.Dropout):
            layer.rng = rng
    return network


def _per_layer(value, n_layers) -> list:
    return list(value) if isinstance(value, list | tuple) else [value] * n_layers
