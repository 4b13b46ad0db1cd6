"""Side by side with scikit-learn: the same hyper-parameters, five seeds, mean test accuracy.

Ours must be at least scikit-learn's minus one percentage point on every dataset (R^2 for the
regressor), and a (64, 64, 64) network must learn two spirals.
"""

import warnings

import numpy as np
import pytest
import sklearn.datasets
import sklearn.neural_network
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ml import MLPClassifier, MLPRegressor, datasets

SEEDS = range(5)
CLASSIFICATION = {
    "iris": lambda: sklearn.datasets.load_iris(return_X_y=True),
    "wine": lambda: sklearn.datasets.load_wine(return_X_y=True),
    "breast_cancer": lambda: sklearn.datasets.load_breast_cancer(return_X_y=True),
    "digits": lambda: sklearn.datasets.load_digits(return_X_y=True),
    "two_spirals": lambda: datasets.twospirals(400, random_state=0),
}
PARAMS = {"hidden_layer_sizes": (64, 64), "max_iter": 300, "learning_rate_init": 0.003}


def mean_test_score(make_model, X, y, stratify=True):
    scores = []
    for seed in SEEDS:
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.25, random_state=seed, stratify=y if stratify else None
        )
        model = make_pipeline(StandardScaler(), make_model(seed))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_train, y_train)
        scores.append(model.score(X_test, y_test))
    return float(np.mean(scores))


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_classifier_as_accurate_as_scikit_learn(name):
    X, y = CLASSIFICATION[name]()
    ours = mean_test_score(lambda seed: MLPClassifier(**PARAMS, random_state=seed), X, y)
    theirs = mean_test_score(
        lambda seed: sklearn.neural_network.MLPClassifier(**PARAMS, random_state=seed), X, y
    )
    assert ours >= theirs - 0.01, f"{name}: ours {ours:.4f}, scikit-learn {theirs:.4f}"


def test_regressor_as_good_as_scikit_learn_on_diabetes():
    X, y = sklearn.datasets.load_diabetes(return_X_y=True)
    params = {
        "hidden_layer_sizes": (32,),
        "max_iter": 500,
        "learning_rate_init": 0.01,
        "alpha": 1.0,
    }
    ours = mean_test_score(lambda seed: MLPRegressor(**params, random_state=seed), X, y, False)
    theirs = mean_test_score(
        lambda seed: sklearn.neural_network.MLPRegressor(**params, random_state=seed), X, y, False
    )
    assert ours >= theirs - 0.01, f"diabetes R^2: ours {ours:.4f}, scikit-learn {theirs:.4f}"


def test_deep_network_learns_two_spirals():
    X, y = datasets.twospirals(400, random_state=0)
    model = MLPClassifier(hidden_layer_sizes=(64, 64, 64), max_iter=1000, random_state=0)
    assert model.fit(X, y).score(X, y) >= 0.99
