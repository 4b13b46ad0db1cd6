"""Bad input gets a ValueError or TypeError whose message names the argument and the problem."""

import numpy as np
import pytest
import scipy.sparse as sp

import ml
from ml import SoftmaxClassifier

X_GOOD = np.random.default_rng(0).normal(size=(20, 3))
Y_GOOD = np.arange(20) % 2


def _with(value, index=(0, 0)):
    X = X_GOOD.copy()
    X[index] = value
    return X


FIT_CASES = {
    "nan in X": (_with(np.nan), Y_GOOD, ValueError, "X contains NaN"),
    "inf in X": (_with(np.inf), Y_GOOD, ValueError, "X contains infinity"),
    "1-D X": (X_GOOD[:, 0], Y_GOOD, ValueError, "X must be a 2-D array.*got a 1-D array"),
    "3-D X": (X_GOOD.reshape(20, 3, 1), Y_GOOD, ValueError, "X must be a 2-D.*got a 3-D"),
    "X and y of different lengths": (
        X_GOOD,
        Y_GOOD[:-1],
        ValueError,
        "different numbers of samples: 20 rows in X, 19 in y",
    ),
    "a single class": (X_GOOD, np.zeros(20), ValueError, "y holds one class only"),
    "strings in X": (X_GOOD.astype(str), Y_GOOD, ValueError, "X: .*strings"),
    "words in an object X": (
        np.array([["a", 1.0]] * 20, dtype=object),
        Y_GOOD,
        ValueError,
        "X: could not convert string to float",
    ),
    "complex X": (X_GOOD + 1j, Y_GOOD, ValueError, "X: Complex data not supported"),
    "empty X": (X_GOOD[:0], Y_GOOD[:0], ValueError, "X: Found array with 0 sample"),
    "sparse X": (sp.csr_matrix(X_GOOD), Y_GOOD, TypeError, "X is a sparse matrix"),
    "ragged X": ([[1.0, 2.0], [3.0]], [0, 1], ValueError, "X could not be read as an array"),
    "nan in y": (X_GOOD, np.where(Y_GOOD == 0, np.nan, 1.0), ValueError, "y"),
    "continuous y": (X_GOOD, np.linspace(0, 1, 20), ValueError, "y: Unknown label type"),
    "missing y": (X_GOOD, None, ValueError, "requires y to be passed"),
}


@pytest.mark.parametrize("case", FIT_CASES)
def test_fit_rejects(case):
    X, y, error, match = FIT_CASES[case]
    with pytest.raises(error, match=match):
        SoftmaxClassifier(max_iter=1).fit(X, y)


PARAM_CASES = {
    "negative max_iter": ({"max_iter": -1}, ValueError, "max_iter must be an int >= 0; got -1"),
    "float max_iter": ({"max_iter": 1.5}, TypeError, "max_iter must be an int"),
    "negative learning_rate": ({"learning_rate": -0.1}, ValueError, "learning_rate must be"),
    "zero learning_rate": ({"learning_rate": 0.0}, ValueError, "learning_rate must be"),
    "nan learning_rate": ({"learning_rate": float("nan")}, ValueError, "learning_rate"),
    "negative alpha": ({"alpha": -1.0}, ValueError, "alpha must be a number >= 0"),
    "infinite alpha": ({"alpha": np.inf}, ValueError, "alpha must be a finite number"),
    "infinite learning_rate": ({"learning_rate": np.inf}, ValueError, "learning_rate must be a fi"),
    "unknown solver": ({"solver": "adam"}, ValueError, "solver must be one of"),
    "zero batch_size": ({"batch_size": 0}, ValueError, "batch_size must be an int >= 1"),
    "text batch_size": ({"batch_size": "big"}, TypeError, "batch_size"),
    "negative tol": ({"tol": -1e-3}, ValueError, "tol"),
    "zero n_iter_no_change": ({"n_iter_no_change": 0}, ValueError, "n_iter_no_change"),
    "int dtype": ({"dtype": "int32"}, ValueError, "dtype must be one of 'float32', 'float64'"),
    "negative random_state": ({"random_state": -1}, ValueError, "random_state"),
}


@pytest.mark.parametrize("case", PARAM_CASES)
def test_fit_rejects_bad_hyper_parameters(case):
    params, error, match = PARAM_CASES[case]
    with pytest.raises(error, match=match):
        SoftmaxClassifier(**params).fit(X_GOOD, Y_GOOD)


ESTIMATORS = [
    ml.MLPClassifier,
    ml.MLPRegressor,
    ml.ConvNetClassifier,
    ml.ConvNetRegressor,
    SoftmaxClassifier,
]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_every_parameter_of_ours_has_a_rule(Estimator):
    from ml.estimators._params import RULES

    rules = {**RULES, **getattr(Estimator, "_parameter_rules", {})}
    assert set(Estimator._get_param_names()) <= set(rules)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # two epochs
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_a_subclass_may_add_parameters_of_its_own(Estimator):
    """As with scikit-learn's estimators, a parameter without a rule is the subclass's to
    check; ours are still checked."""

    class WithOwn(Estimator):
        def __init__(self, own=None, max_iter=2):
            super().__init__(max_iter=max_iter)
            self.own = own

    X = np.random.default_rng(0).random((16, 1, 4, 4))
    X = X.reshape(16, -1) if "ConvNet" not in Estimator.__name__ else X
    y = np.arange(16) % 2
    model = WithOwn(own="anything").fit(X, y)
    assert model.get_params()["own"] == "anything" and model.predict(X).shape == (16,)
    with pytest.raises(ValueError, match="max_iter"):
        WithOwn(max_iter=-1).fit(X, y)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow that is the point
def test_searches_that_diverge_name_learning_rate():
    for solver in ("random_search", "random_local_search", "gradient_descent"):
        model = SoftmaxClassifier(solver=solver, learning_rate=1e300, max_iter=3)
        with pytest.raises(ml.DivergenceError, match=r"learning_rate=1e\+300"):
            model.fit(X_GOOD, Y_GOOD)


def test_a_target_too_large_for_float32_is_refused_by_name():
    with pytest.raises(ValueError, match="y contains infinity or a value too large for float32"):
        ml.MLPRegressor(dtype="float32", max_iter=2).fit(X_GOOD, np.full(20, 1e300))


def test_ragged_images_are_refused_naming_X():
    images = [np.zeros((4, 4)), np.zeros((4, 3))] * 2
    with pytest.raises(ValueError, match="X could not be read as an array"):
        ml.ConvNetClassifier(max_iter=1).fit([image.tolist() for image in images], [0, 1, 0, 1])


def test_predict_rejects_the_wrong_number_of_features():
    model = SoftmaxClassifier(max_iter=1).fit(X_GOOD, Y_GOOD)
    with pytest.raises(ValueError, match="X has 2 features, but SoftmaxClassifier is expecting 3"):
        model.predict(X_GOOD[:, :2])
    with pytest.raises(ValueError, match="X contains NaN"):
        model.predict_proba(_with(np.nan))


def test_functions_reject_bad_arguments():
    with pytest.raises(ValueError, match="n_classes must be a positive int of at least"):
        ml.label_binarize([0, 1, 5], 3)
    with pytest.raises(ValueError, match="step_size must be a number > 0; got -1"):
        ml.random_local_search(lambda W: 0.0, (2, 2), step_size=-1, verbose=False)
    with pytest.raises(ValueError, match="max_iter must be an int >= 0; got -5"):
        ml.gradient_descent(lambda W: 0.0, lambda W: W, (2, 2), max_iter=-5, verbose=False)
