"""All-or-nothing fits: a fit or partial_fit refused on any of its inputs (y, sample_weight,
classes, device, parameters) leaves a fitted estimator predicting exactly as before and an
unfitted one unfitted, for every estimator."""

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.exceptions import NotFittedError

import ml
from ml import (
    ConvNetClassifier,
    ConvNetRegressor,
    MLPClassifier,
    MLPRegressor,
    SoftmaxClassifier,
)

X, Y = ml.datasets.load_digits()
X = X[:200] / 16
Y = Y[:200]
TARGET = X[:, 20] * 3

ESTIMATORS = {
    "mlp": (MLPClassifier((8,), max_iter=3, random_state=0), Y),
    "mlp_lbfgs": (MLPClassifier((8,), solver="lbfgs", max_iter=5, random_state=0), Y),
    "mlp_batch_norm": (MLPClassifier((8,), batch_norm=True, max_iter=3, random_state=0), Y),
    "regressor": (MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=0), TARGET),
    "cnn": (ConvNetClassifier(((2, 3),), hidden_layer_sizes=(4,), max_iter=2, random_state=0), Y),
    "cnn_regressor": (
        ConvNetRegressor(((2, 3),), hidden_layer_sizes=(4,), max_iter=2, random_state=0),
        TARGET,
    ),
    "softmax": (SoftmaxClassifier(max_iter=3, random_state=0), Y),
}

REFUSALS = {
    "y of the wrong length": lambda model, y: dict(y=y[:-5]),
    "y with NaN": lambda model, y: dict(y=np.where(np.arange(len(y)) == 3, np.nan, y)),
    "X with infinity": lambda model, y: dict(X=np.where(X == X[0, 5], np.inf, X)),
    "sample_weight of the wrong length": lambda model, y: dict(sample_weight=np.ones(3)),
    "negative sample_weight": lambda model, y: dict(sample_weight=-np.ones(len(y))),
    "a device that is not there": lambda model, y: dict(params={"device": "cuda:7"}),
    "a bad parameter": lambda model, y: dict(params={"max_iter": -1}),
    "a bad alpha": lambda model, y: dict(params={"alpha": -1.0}),
}


def _outputs(model, X_):
    return model.predict_proba(X_) if hasattr(model, "predict_proba") else model.predict(X_)


PARTIAL_FIT_REFUSALS = {
    **REFUSALS,
    "X with other features": lambda model, y: dict(X=X[:, :16]),
    "a class never seen": lambda model, y: (
        dict(y=np.where(y == 3, 11, y)) if is_classifier(model) else None
    ),
}


def _refused_fit(model, y, refusal, method="fit"):
    change = (REFUSALS if method == "fit" else PARTIAL_FIT_REFUSALS)[refusal](model, y)
    if change is None:
        pytest.skip(f"{refusal}: not a refusal for {type(model).__name__}")
    if "sample_weight" in change and "sample_weight" not in model.fit.__code__.co_varnames:
        pytest.skip(f"{type(model).__name__} takes no sample_weight")
    if "params" in change:
        model.set_params(**change["params"])
    args = dict(X=change.get("X", X), y=change.get("y", y))
    if "sample_weight" in change:
        args["sample_weight"] = change["sample_weight"]
    if method == "partial_fit" and isinstance(model, ml.MLPClassifier):
        args["classes"] = np.unique(Y)
    with pytest.raises((ValueError, TypeError)):
        getattr(model, method)(**args)


@pytest.mark.parametrize("refusal", sorted(REFUSALS))
@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_a_refused_refit_leaves_the_model_predicting_as_before(name, refusal):
    model, y = ESTIMATORS[name]
    model = clone(model).fit(X, y)
    before = _outputs(model, X[:30])
    attributes = dict(vars(model))
    _refused_fit(model, y, refusal)
    model.set_params(**clone(ESTIMATORS[name][0]).get_params())  # the parameters back
    np.testing.assert_array_equal(_outputs(model, X[:30]), before)
    assert all(vars(model)[k] is v for k, v in attributes.items() if k.endswith("_"))


@pytest.mark.parametrize("refusal", sorted(REFUSALS))
@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_a_refused_first_fit_leaves_the_model_unfitted(name, refusal):
    model, y = ESTIMATORS[name]
    model = clone(model)
    _refused_fit(model, y, refusal)
    with pytest.raises(NotFittedError):
        model.predict(X[:5])
    assert not [k for k in vars(model) if k.endswith("_") and not k.startswith("__")]


@pytest.mark.parametrize("refusal", sorted(PARTIAL_FIT_REFUSALS))
@pytest.mark.parametrize("name", ["mlp", "regressor", "cnn", "cnn_regressor"])
def test_a_refused_partial_fit_leaves_the_model_as_before(name, refusal):
    model, y = ESTIMATORS[name]
    model = clone(model).fit(X, y)
    before, epochs = _outputs(model, X[:30]), model.n_iter_
    _refused_fit(model, y, refusal, method="partial_fit")
    model.set_params(**clone(ESTIMATORS[name][0]).get_params())
    np.testing.assert_array_equal(_outputs(model, X[:30]), before)
    assert model.n_iter_ == epochs
    model.partial_fit(X, y, **({"classes": np.unique(Y)} if name == "cnn" else {}))
    assert model.n_iter_ == 1  # and it still trains
