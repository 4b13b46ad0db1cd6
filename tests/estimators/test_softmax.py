import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from ml import SoftmaxClassifier, check_gradient, datasets

SOLVERS = ["sgd", "gradient_descent", "random_local_search", "random_search"]


@parametrize_with_checks([SoftmaxClassifier(), SoftmaxClassifier(solver="gradient_descent")])
def test_scikit_learn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def digits():
    X, y = datasets.load_digits()
    return train_test_split(X, y, test_size=0.25, random_state=0)


def test_digits_test_accuracy_is_at_least_95_percent(digits):
    X_train, X_test, y_train, y_test = digits
    model = SoftmaxClassifier(random_state=0).fit(X_train, y_train)
    assert model.score(X_test, y_test) >= 0.95
    reference = LogisticRegression(max_iter=5000).fit(X_train, y_train).score(X_test, y_test)
    assert model.score(X_test, y_test) >= reference - 0.01


def test_lecture_blobs_as_well_as_the_best_linear_classifier():
    # The lecture's blobs overlap a little: no line separates all 1500 points (a linear SVM with
    # C=1e6 and LogisticRegression both reach 99.73 %). We must match them, within one point.
    X, y = datasets.blobs()
    model = SoftmaxClassifier(learning_rate=1.0, random_state=0).fit(X, y)
    reference = LogisticRegression(C=1e4, max_iter=1000).fit(X, y).score(X, y)
    assert model.score(X, y) >= reference - 1 / 1500 - 1e-9
    assert model.score(X, y) > 0.995


def test_separable_blobs_are_classified_perfectly():
    X, y = datasets.blobs(random_state=3)
    model = SoftmaxClassifier(
        solver="gradient_descent", learning_rate=0.5, max_iter=300, random_state=0
    ).fit(X, y)
    assert model.score(X, y) == 1.0


@pytest.mark.parametrize("solver", SOLVERS)
def test_every_solver_learns_blobs(solver):
    X, y = datasets.blobs(n_samples=300, random_state=3)
    model = SoftmaxClassifier(solver=solver, learning_rate=0.1, max_iter=300, random_state=0)
    model.fit(X, y)
    # blind random search is the lecture's example of a poor method: it only beats chance (1/3)
    assert model.score(X, y) > (0.6 if solver == "random_search" else 0.9)
    assert len(model.loss_curve_) == model.n_iter_ <= 300
    assert model.coef_.shape == (3, 2) and model.intercept_.shape == (3,)
    assert model.coef_.dtype == np.float64  # the weights follow X, as in scikit-learn
    assert model.fit(X.astype(np.float32), y).coef_.dtype == np.float32


def test_sgd_warns_when_max_iter_ends_it_before_convergence():
    X, y = datasets.blobs(n_samples=300)
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        SoftmaxClassifier(max_iter=2).fit(X, y)


def test_binary_problems_keep_two_softmax_rows_and_string_labels():
    X, y = datasets.twospirals(100, random_state=0)
    labels = np.array(["inner", "outer"])[y]
    model = SoftmaxClassifier(learning_rate=0.1, random_state=0).fit(X, labels)
    assert model.coef_.shape == (2, 2)
    assert set(model.predict(X)) <= {"inner", "outer"}
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    logits = X @ model.coef_.T + model.intercept_
    np.testing.assert_allclose(model.decision_function(X), logits[:, 1] - logits[:, 0], rtol=1e-5)


def test_gradient_of_the_penalised_loss_passes_the_gradient_check():
    X, y = datasets.blobs(n_samples=40)
    model = SoftmaxClassifier(alpha=0.5)
    X_b = np.hstack([np.ones((40, 1)), X])
    Y = np.eye(3)[y]
    W = np.random.default_rng(0).normal(size=(3, 3))
    analytic = model._gradient(W, X_b, Y)
    assert check_gradient(lambda V: model._loss(V, X_b, Y), W, analytic) < 1e-6


def test_same_random_state_same_weights(digits):
    X_train, _, y_train, _ = digits
    first = SoftmaxClassifier(random_state=7, max_iter=5).fit(X_train, y_train)
    second = SoftmaxClassifier(random_state=7, max_iter=5).fit(X_train, y_train)
    other = SoftmaxClassifier(random_state=8, max_iter=5).fit(X_train, y_train)
    np.testing.assert_array_equal(first.coef_, second.coef_)
    assert not np.array_equal(first.coef_, other.coef_)


def test_float64_training():
    X, y = datasets.blobs(n_samples=100)
    model = SoftmaxClassifier(dtype="float64", max_iter=5).fit(X, y)
    assert model.coef_.dtype == np.float64 and model.predict_proba(X).dtype == np.float64


def test_works_in_pipeline_grid_search_and_cross_validation(digits):
    X_train, _, y_train, _ = digits
    pipe = make_pipeline(
        StandardScaler(), SoftmaxClassifier(learning_rate=0.1, random_state=0, max_iter=30)
    )
    scores = cross_val_score(pipe, X_train, y_train, cv=3)
    assert scores.mean() > 0.9
    grid = GridSearchCV(
        SoftmaxClassifier(random_state=0, max_iter=20), {"learning_rate": [0.001, 0.01]}, cv=2
    ).fit(X_train, y_train)
    assert grid.best_params_["learning_rate"] in (0.001, 0.01)
    assert clone(grid.best_estimator_).get_params()["max_iter"] == 20


def test_verbose_shows_a_progress_bar(capsys):
    X, y = datasets.blobs(n_samples=50)
    SoftmaxClassifier(max_iter=3, verbose=True).fit(X, y)
    assert "SoftmaxClassifier" in capsys.readouterr().err
    SoftmaxClassifier(max_iter=3).fit(X, y)
    assert capsys.readouterr().err == ""


def test_a_fit_that_ends_at_max_iter_warns_and_partial_fit_does_not():
    import warnings

    X, y = np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 2
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        SoftmaxClassifier(max_iter=1, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        SoftmaxClassifier(max_iter=1, random_state=0).partial_fit(X, y, classes=[0, 1])
