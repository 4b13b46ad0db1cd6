import copy
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from ml import MLPClassifier, MLPRegressor, datasets, nn
from ml.train import Callback

_FLOAT32 = "float32 rounding differs with the batch's size and order; passes with dtype='float64'"
_RANDOM = "dropout draws random masks, so repeating a sample is not the same as weighting it"


def _expected_failures(estimator):
    failures = {}
    if estimator.dtype == "float32":
        failures["check_sample_weight_equivalence_on_dense_data"] = _FLOAT32
        failures["check_methods_subset_invariance"] = _FLOAT32
        failures["check_methods_sample_order_invariance"] = _FLOAT32
    if estimator.dropout:
        failures["check_sample_weight_equivalence_on_dense_data"] = _RANDOM
        failures["check_sample_weight_equivalence_on_sparse_data"] = _RANDOM
    return failures


@parametrize_with_checks(
    [
        MLPClassifier(max_iter=100),
        MLPRegressor(max_iter=100),
        MLPClassifier(max_iter=100, dtype="float64"),
        MLPRegressor(max_iter=100, dtype="float64"),
        MLPClassifier(max_iter=50, solver="sgd", batch_norm=True, dropout=0.1),
        MLPRegressor(max_iter=50, solver="lbfgs"),
    ],
    expected_failed_checks=_expected_failures,
)
def test_scikit_learn_compatible(estimator, check):
    check(estimator)


def test_same_parameters_and_defaults_as_scikit_learn():
    for ours, theirs in [
        (MLPClassifier(), SklearnMLPClassifier()),
        (MLPRegressor(), SklearnMLPRegressor()),
    ]:
        shared = theirs.get_params()
        assert {k: v for k, v in ours.get_params().items() if k in shared} == shared


@pytest.fixture(scope="module")
def digits():
    X, y = datasets.load_digits()
    return train_test_split(X / 16, y, test_size=0.25, random_state=0)


def test_fitted_attributes_match_scikit_learn(digits):
    X_train, _, y_train, _ = digits
    ours = MLPClassifier((20, 10), max_iter=5, random_state=0).fit(X_train, y_train)
    theirs = SklearnMLPClassifier((20, 10), max_iter=5, random_state=0).fit(X_train, y_train)
    for name in ["n_iter_", "t_", "n_layers_", "n_outputs_", "out_activation_", "n_features_in_"]:
        assert getattr(ours, name) == getattr(theirs, name), name
    assert [c.shape for c in ours.coefs_] == [c.shape for c in theirs.coefs_]
    assert [b.shape for b in ours.intercepts_] == [b.shape for b in theirs.intercepts_]
    assert len(ours.loss_curve_) == 5 and ours.loss_ == ours.loss_curve_[-1]
    assert ours.best_loss_ == min(ours.loss_curve_) and ours.validation_scores_ is None
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)


def test_binary_problems_have_one_logistic_output():
    X, y = datasets.twospirals(100, random_state=0)
    model = MLPClassifier((16,), max_iter=20, random_state=0).fit(X, y)
    assert model.out_activation_ == "logistic" and model.coefs_[-1].shape == (16, 1)
    proba = model.predict_proba(X)
    assert proba.shape == (200, 2)
    np.testing.assert_array_equal(model.predict(X), proba.argmax(axis=1))


def test_multilabel_targets():
    X = np.random.default_rng(0).normal(size=(200, 4))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0]).astype(int)
    model = MLPClassifier((16,), max_iter=300, random_state=0).fit(X, Y)
    assert model.predict(X).shape == (200, 2) and model.score(X, Y) > 0.9


def test_early_stopping_keeps_the_best_validation_score(digits):
    X_train, X_test, y_train, y_test = digits
    model = MLPClassifier(early_stopping=True, max_iter=200, random_state=0)
    model.fit(X_train, y_train)
    assert model.n_iter_ < 200 and model.best_loss_ is None
    assert model.best_validation_score_ == max(model.validation_scores_)
    assert len(model.history_.val_loss) == len(model.history_.val_score) == model.n_iter_
    assert model.score(X_test, y_test) > 0.85  # scikit-learn: 0.907 with these settings


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_every_solver_learns_digits(digits, solver):
    X_train, X_test, y_train, y_test = digits
    rate = {"adam": 0.001, "sgd": 0.1, "lbfgs": 0.001}[solver]
    model = MLPClassifier(
        (64,), solver=solver, learning_rate_init=rate, max_iter=100, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    assert model.score(X_test, y_test) > 0.93


@pytest.mark.parametrize("schedule", ["constant", "invscaling", "adaptive", "step", "cosine"])
def test_learning_rate_schedules(digits, schedule):
    X_train, _, y_train, _ = digits
    model = MLPClassifier(
        (32,),
        solver="sgd",
        learning_rate=schedule,
        learning_rate_init=0.1,
        max_iter=12,
        n_iter_no_change=2,
        random_state=0,
    )
    model.fit(X_train, y_train)
    rates = model.history_.learning_rate
    assert len(rates) == model.n_iter_
    if schedule == "constant":
        assert set(rates) == {0.1}
    elif schedule != "adaptive":
        assert rates[-1] < rates[0]


def test_partial_fit_and_warm_start_continue_training(digits):
    X_train, X_test, y_train, y_test = digits
    model = MLPClassifier((32,), learning_rate_init=0.01, random_state=0)
    model.partial_fit(X_train[:100], y_train[:100], classes=np.arange(10))
    for _ in range(20):
        model.partial_fit(X_train, y_train)
    # as in scikit-learn: n_iter_ counts the epochs of the last call, the curve all of them
    assert model.n_iter_ == 1 and len(model.loss_curve_) == 21
    assert model.t_ == 100 + 20 * len(X_train) and model.score(X_test, y_test) > 0.9
    with pytest.raises(ValueError, match="classes must be passed"):
        MLPClassifier().partial_fit(X_train, y_train)
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")

    warm = MLPClassifier((32,), max_iter=5, warm_start=True, random_state=0)
    with pytest.warns(ConvergenceWarning):
        warm.fit(X_train, y_train)
    first = [c.copy() for c in warm.coefs_]
    with pytest.warns(ConvergenceWarning):
        warm.fit(X_train, y_train)
    assert warm.n_iter_ == 5 and len(warm.loss_curve_) == 10
    assert warm.loss_curve_[5] < warm.loss_curve_[0]
    assert not np.array_equal(first[0], warm.coefs_[0])


def test_sample_and_class_weights(digits):
    X_train, _, y_train, _ = digits
    binary = (y_train == 3).astype(int)
    plain = MLPClassifier((16,), max_iter=30, random_state=0).fit(X_train, binary)
    balanced = MLPClassifier((16,), max_iter=30, random_state=0, class_weight="balanced")
    balanced.fit(X_train, binary)
    weighted = MLPClassifier((16,), max_iter=30, random_state=0)
    weighted.fit(X_train, binary, sample_weight=np.where(binary == 1, 9.0, 1.0))
    for model in (balanced, weighted):
        assert model.predict(X_train).sum() > plain.predict(X_train).sum()


def test_softplus_per_layer_activations_dropout_and_batch_norm(digits):
    X_train, X_test, y_train, y_test = digits
    model = MLPClassifier(
        (64, 32),
        activation=["softplus", "tanh"],
        dropout=[0.2, 0.1],
        batch_norm=True,
        max_iter=40,
        random_state=0,
    )
    model.fit(X_train, y_train)
    kinds = [type(layer) for layer in model.network_.layers]
    assert kinds == [
        nn.Dense,
        nn.BatchNorm1d,
        nn.Softplus,
        nn.Dropout,
        nn.Dense,
        nn.BatchNorm1d,
        nn.Tanh,
        nn.Dropout,
        nn.Dense,
    ]
    assert model.score(X_test, y_test) > 0.95
    np.testing.assert_array_equal(model.predict(X_test), model.predict(X_test))


def test_callbacks_are_called_and_can_stop(digits):
    X_train, _, y_train, _ = digits
    seen = []

    class Stop(Callback):
        def on_epoch_end(self, model, epoch, history):
            return epoch == 3

    model = MLPClassifier(
        (8,),
        max_iter=50,
        callbacks=[lambda m, epoch, h: seen.append((epoch, len(m.coefs_))), Stop()],
    )
    model.fit(X_train, y_train)
    assert model.n_iter_ == 3 and seen == [(1, 2), (2, 2), (3, 2)]


def test_float64_and_same_seed_same_weights(digits):
    X_train, _, y_train, _ = digits
    a = MLPClassifier((8,), max_iter=3, random_state=1, dtype="float64").fit(X_train, y_train)
    b = MLPClassifier((8,), max_iter=3, random_state=1, dtype="float64").fit(X_train, y_train)
    assert a.coefs_[0].dtype == np.float64
    for x, y in zip(a.coefs_, b.coefs_, strict=True):
        np.testing.assert_array_equal(x, y)


def test_regressor_on_a_smooth_function_and_poisson_counts():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(400, 2))
    y = np.sin(X[:, 0]) + X[:, 1] ** 2
    model = MLPRegressor(
        hidden_layer_sizes=(32, 32), max_iter=500, learning_rate_init=0.01, random_state=0
    )
    assert model.fit(X, y).score(X, y) > 0.95
    assert model.predict(X).shape == (400,)
    multi = MLPRegressor(
        hidden_layer_sizes=(32,), max_iter=300, learning_rate_init=0.01, random_state=0
    )
    assert multi.fit(X, np.column_stack([y, -y])).predict(X).shape == (400, 2)
    counts = rng.poisson(np.exp(0.5 * X[:, 0]))
    poisson = MLPRegressor(
        loss="poisson",
        hidden_layer_sizes=(16,),
        max_iter=200,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(X, counts)
    assert poisson.out_activation_ == "exp" and (poisson.predict(X) > 0).all()
    with pytest.raises(ValueError, match="non-negative for loss='poisson'"):
        MLPRegressor(loss="poisson").fit(X, -counts - 1)


def test_pipeline_grid_search_cross_validation_and_clone(digits):
    X_train, _, y_train, _ = digits
    mlp = MLPClassifier((32,), learning_rate_init=0.01, max_iter=30, random_state=0)
    pipe = make_pipeline(StandardScaler(), mlp)
    assert cross_val_score(pipe, X_train, y_train, cv=3).mean() > 0.9
    grid = GridSearchCV(
        MLPClassifier(max_iter=10, random_state=0), {"hidden_layer_sizes": [(8,), (32,)]}, cv=2
    ).fit(X_train, y_train)
    assert grid.best_params_["hidden_layer_sizes"] == (32,)
    assert clone(MLPRegressor(dropout=0.3)).get_params()["dropout"] == 0.3


def test_progress_bar_only_when_verbose(digits, capsys):
    X_train, _, y_train, _ = digits
    MLPClassifier((8,), max_iter=2, verbose=True).fit(X_train, y_train)
    err = capsys.readouterr().err
    assert "MLPClassifier" in err and "epoch" in err
    MLPClassifier((8,), max_iter=2).fit(X_train, y_train)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    "params, error, match",
    [
        (
            {"hidden_layer_sizes": (10, 0)},
            ValueError,
            "hidden_layer_sizes\\[1\\] must be an int >= 1",
        ),
        ({"activation": "swish"}, ValueError, "activation must be one of"),
        (
            {"activation": ["relu", "tanh"]},
            ValueError,
            "activation must be one value or one per hidden",
        ),
        ({"solver": "newton"}, ValueError, "solver must be one of"),
        ({"learning_rate": "fast"}, ValueError, "learning_rate must be one of"),
        ({"learning_rate_init": 0}, ValueError, "learning_rate_init must be a number > 0"),
        ({"max_iter": 0}, ValueError, "max_iter must be an int >= 1"),
        ({"momentum": 2}, ValueError, "momentum"),
        ({"validation_fraction": 1.0}, ValueError, "validation_fraction"),
        ({"dropout": 1.0}, ValueError, "dropout must be a number"),
        ({"dropout": 0.5, "solver": "lbfgs"}, ValueError, "dropout needs solver"),
        ({"dtype": "float16"}, ValueError, "dtype must be one of"),
        ({"batch_size": -1}, ValueError, "batch_size must be an int >= 1"),
        ({"alpha": -1}, ValueError, "alpha must be a number >= 0"),
    ],
)
def test_bad_hyper_parameters(digits, params, error, match):
    X_train, _, y_train, _ = digits
    with pytest.raises(error, match=match):
        MLPClassifier(**params).fit(X_train, y_train)


def test_divergence_stops_with_a_clear_error_and_finite_weights(digits):
    X_train, _, y_train, _ = digits
    model = MLPClassifier((32,), solver="sgd", learning_rate_init=1e8, momentum=0.0, max_iter=20)
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match="learning rate"):
        model.fit(X_train * 1000, y_train)
    assert all(np.isfinite(W).all() for W in model.coefs_ + model.intercepts_)


def test_ctrl_c_during_fit_keeps_the_best_weights(digits):
    X_train, X_test, y_train, y_test = digits

    class Interrupt(Callback):
        def on_epoch_end(self, model, epoch, history):
            if epoch == 30:
                raise KeyboardInterrupt

    model = MLPClassifier(
        (32,), max_iter=100, learning_rate_init=0.01, random_state=0, callbacks=[Interrupt()]
    )
    with pytest.warns(UserWarning, match="interrupted by Ctrl-C"):
        model.fit(X_train, y_train)
    assert model.n_iter_ == 30 and model.score(X_test, y_test) > 0.9


def test_log_probabilities_are_stable_and_match_the_probabilities(digits):
    X_train, X_test, y_train, _ = digits
    for y in (y_train, (y_train > 4).astype(int)):
        model = MLPClassifier((16,), max_iter=20, random_state=0).fit(X_train, y)
        np.testing.assert_allclose(
            np.exp(model.predict_log_proba(X_test)),
            model.predict_proba(X_test),
            rtol=1e-5,
            atol=1e-7,
        )
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            assert np.isfinite(model.predict_log_proba(X_test * 50)).all()


@pytest.mark.parametrize("make", [MLPClassifier, MLPRegressor], ids=["classifier", "regressor"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_numpy_rows_of_the_models_dtype_are_answered_as_by_the_general_path(make, dtype):
    """``predict`` on NumPy rows of the model's own dtype skips the placing and casting of other
    input (the common case, a one-row prediction 50 to 40 us): the same numbers and dtypes as
    the general path (``device="cpu"``), and the same refusals."""
    X, y = datasets.blobs(200, random_state=0)
    model = make(hidden_layer_sizes=(8,), max_iter=20, dtype=dtype, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    rows = X.astype(dtype)
    methods = ["predict"]
    if make is MLPClassifier:
        methods += ["predict_proba", "predict_log_proba"]
    fast = {name: getattr(model, name)(rows) for name in methods}
    general = copy.deepcopy(model).set_params(device="cpu")  # the same fitted model
    for name in methods:
        expected = getattr(general, name)(rows)
        np.testing.assert_array_equal(fast[name], expected)
        assert fast[name].dtype == expected.dtype
    with pytest.raises(ValueError, match="NaN"):
        model.predict(np.full_like(rows[:2], np.nan))
    with pytest.raises(ValueError, match="features"):
        model.predict(rows[:, :1])


@pytest.mark.parametrize("batch_norm", [False, True])
def test_the_l2_penalty_of_a_flat_network_is_one_pass_and_the_formula(digits, batch_norm):
    """After training with Adam, the network's weight matrices lie back to back in the
    optimizer's flat buffer: the penalty takes them as one flat array, and the penalised loss
    and gradients are the formula's, ``L + alpha / (2 n) sum ||W||^2`` and ``dL/dW + alpha W / n``
    (biases and BatchNorm's arrays not penalised)."""
    from ml.estimators._mlp import _Penalized

    X, _, y, _ = digits
    model = MLPClassifier((16, 8), alpha=0.5, max_iter=3, batch_norm=batch_norm, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    network, criterion = model.network_, nn.SoftmaxCrossEntropy()
    weights, _ = _Penalized(network)()
    assert len(weights) == 1 and weights[0].ndim == 1  # one flat array of all the weights
    X_batch = X[:50].astype(np.float32)
    Y = np.eye(10, dtype=np.float32)[y[:50]]
    loss, grads = model._loss_and_gradients(criterion, X_batch, Y, None, _Penalized(network))
    grads = [g.copy() for g in grads]
    plain, plain_grads = model._loss_and_gradients(criterion, X_batch, Y, None, _Unpenalized())
    layers = [layer for layer in network.all_layers() if layer.params]
    alpha = 0.5 / 50
    squares = sum(float(np.sum(layer.params["W"] ** 2)) for layer in layers if "W" in layer.params)
    expected = float(plain) + alpha / 2 * squares
    assert float(loss) == pytest.approx(expected, rel=1e-5)
    names = [(layer, name) for layer in layers for name in layer.params]
    for (layer, name), got, bare in zip(names, grads, plain_grads, strict=True):
        penalty = alpha * layer.params[name] if name == "W" else 0
        np.testing.assert_allclose(got, bare + penalty, rtol=1e-5, atol=1e-7)


class _Unpenalized:
    """A stand-in for _Penalized that penalises nothing: the loss and gradients without it."""

    def __call__(self):
        return [], []


def _nonfinite_cases():
    """Rows with one NaN or infinity in a sample of their own: first, middle, last."""
    return [
        (value, row, column)
        for value in (np.nan, np.inf, -np.inf)
        for row, column in ((0, 0), (57, 3), (-1, -1))
    ]


@pytest.mark.parametrize("make", [MLPClassifier, MLPRegressor], ids=["classifier", "regressor"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic"])
def test_a_non_finite_x_is_refused_from_the_first_layers_output_as_by_the_general_path(
    make, activation, monkeypatch
):
    """NumPy rows of the model's dtype are not checked for NaN and infinity by a pass of their
    own: their finiteness is read from the first Dense layer's output. Every NaN, +inf and
    -inf, wherever it is, is refused with the general path's words (ReLU and tanh would hide
    -inf and inf past that layer); a finite X with values that overflow is refused by the
    output check, as before."""
    from ml.estimators import _data

    X, y = datasets.blobs(200, random_state=0)
    X = np.hstack([X, np.random.default_rng(0).normal(size=(200, 30))])  # 6,400 values
    model = make(
        hidden_layer_sizes=(8,), activation=activation, max_iter=20, dtype="float32", random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    rows = X.astype(np.float32)
    general = copy.deepcopy(model).set_params(device="cpu")
    for value, row, column in _nonfinite_cases():
        bad = rows.copy()
        bad[row, column] = value
        with pytest.raises(ValueError) as expected:
            general.predict(bad)
        with pytest.raises(ValueError, match=str(expected.value).split(" (")[0]):
            model.predict(bad)
    checked = []
    all_finite = _data.all_finite
    monkeypatch.setattr(
        _data,
        "all_finite",
        lambda values, xp: checked.append(values.shape) or all_finite(values, xp),
    )
    model.predict(rows)
    assert rows.shape not in checked and (200, 8) in checked  # the first layer's output, not X
    model.predict(rows[:100])  # 3,200 values: X itself is the cheaper pass
    assert (100, 32) in checked
    for fitted in (model, general):
        fitted.network_.layers[0].params["W"][...] = 2.0  # 3e38 becomes 1.2e39: overflows
    huge = np.full_like(rows[:3], 3e38)
    answers = []
    for fitted in (model, general):  # NumPy warns of the overflow, on both paths alike
        with pytest.warns(RuntimeWarning, match="overflow|invalid value"):
            if activation == "relu":  # inf goes on to the output, which is refused
                with pytest.raises(ValueError, match="too large for this network"):
                    fitted.predict(huge)
            else:  # tanh and the logistic saturate: a finite X is answered
                answers.append(fitted.predict(huge))
    for answer in answers[1:]:
        np.testing.assert_array_equal(answer, answers[0])
