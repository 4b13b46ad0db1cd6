"""scikit-learn's ecosystem used as a real client uses it, each case beside scikit-learn's own
MLP where it has an answer: meta-estimators, searches in worker processes, metadata routing,
DataFrames of pandas and polars, persistence, displays, and the conventions a client relies on
(partial_fit's argument order, the labels' dtype, the parameters' error type, the tags)."""

import pickle

import joblib
import numpy as np
import pytest
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import AdaBoostClassifier, BaggingClassifier, StackingClassifier
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.multioutput import MultiOutputRegressor
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags
from sklearn.utils._param_validation import InvalidParameterError

from ml import (
    ConvNetClassifier,
    ConvNetRegressor,
    MLPClassifier,
    MLPRegressor,
    SoftmaxClassifier,
    datasets,
)
from ml.distributed import Incremental

X, Y = datasets.load_digits()
X, Y = (X[:240] / 16).astype(np.float64), Y[:240]
TEXT = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])

CLASSIFIERS = [
    lambda: MLPClassifier(hidden_layer_sizes=(16,), max_iter=30, random_state=0),
    lambda: SoftmaxClassifier(max_iter=30, random_state=0),
    lambda: ConvNetClassifier(
        conv_layers=((2, 3),), hidden_layer_sizes=(8,), max_iter=3, random_state=0
    ),
]
REGRESSORS = [
    lambda: MLPRegressor(hidden_layer_sizes=(16,), max_iter=30, random_state=0),
    lambda: ConvNetRegressor(
        conv_layers=((2, 3),), hidden_layer_sizes=(8,), max_iter=3, random_state=0
    ),
]
ALL = CLASSIFIERS + REGRESSORS
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _name(make):
    return type(make()).__name__


@pytest.mark.parametrize("make", CLASSIFIERS, ids=_name)
@pytest.mark.parametrize("kind", ["str", "object", "category"])
def test_text_labels_come_back_as_scikit_learns_string_arrays(make, kind):
    pd = pytest.importorskip("pandas")
    labels = TEXT[Y]
    y = {"str": labels, "object": labels.astype(object), "category": pd.Categorical(labels)}[kind]
    model = make().fit(X, y)
    reference = SklearnMLPClassifier(max_iter=5).fit(X, y)
    assert model.classes_.dtype == reference.classes_.dtype and model.classes_.dtype.kind == "U"
    assert model.predict(X[:5]).dtype == reference.predict(X[:5]).dtype


def test_labels_that_a_string_array_cannot_hold_stay_exact():
    y = np.array(["a\0", "b"] * 120, dtype=object)  # <U would drop the trailing NUL
    model = MLPClassifier(hidden_layer_sizes=(4,), max_iter=5).fit(X, y)
    assert model.classes_.dtype == object and set(model.predict(X)) <= {"a\0", "b"}


@pytest.mark.parametrize("make", CLASSIFIERS[:2], ids=_name)
def test_partial_fit_takes_scikit_learns_argument_order(make):
    model = make()
    if isinstance(model, MLPClassifier):
        model.set_params(solver="sgd")
    weight = np.ones(len(X))
    model.partial_fit(X, Y, weight, np.arange(10))  # (X, y, sample_weight, classes)
    SklearnMLPClassifier().partial_fit(X, Y, weight, np.arange(10))
    assert list(model.classes_) == list(range(10))
    model.partial_fit(X[:50], Y[:50], None)
    with pytest.raises(ValueError, match=r"New in y: \[10\]"):
        model.partial_fit(X[:2], [10, 1])


def test_softmax_partial_fit_is_one_epoch_of_sgd_and_only_for_sgd():
    model = SoftmaxClassifier(learning_rate=0.2, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        model.partial_fit(X, Y)
    for epoch in range(1, 9):
        model.partial_fit(X, Y, classes=np.arange(10))
        assert model.n_iter_ == 1 and len(model.loss_curve_) == epoch
    assert model.loss_curve_[-1] < model.loss_curve_[0] and model.score(X, Y) > 0.5
    assert not hasattr(SoftmaxClassifier(solver="random_search"), "partial_fit")


def test_softmax_sample_weight_of_two_is_the_sample_twice():
    # full-batch gradient descent: no shuffle, so a weight and a repeat are the same sum
    model = SoftmaxClassifier(solver="gradient_descent", max_iter=20, random_state=0)
    weight = np.where(np.arange(len(X)) % 3 == 0, 2.0, 1.0)
    weighted = sklearn.clone(model).fit(X, Y, sample_weight=weight)
    repeated = sklearn.clone(model).fit(
        np.repeat(X, weight.astype(int), axis=0), np.repeat(Y, weight.astype(int))
    )
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="sample_weight"):
        model.fit(X, Y, sample_weight=-weight)


@pytest.mark.parametrize("make", CLASSIFIERS[:2], ids=_name)
def test_adaboost_and_metadata_routing_pass_sample_weight(make):
    boosted = AdaBoostClassifier(make(), n_estimators=2, random_state=0).fit(X, Y)
    assert boosted.score(X, Y) > 0.3
    with sklearn.config_context(enable_metadata_routing=True):
        model = make().set_fit_request(sample_weight=True).set_score_request(sample_weight=True)
        scores = cross_validate(model, X, Y, cv=2, params={"sample_weight": np.ones(len(X))})
    assert len(scores["test_score"]) == 2


@pytest.mark.parametrize("make", ALL, ids=_name)
def test_a_bad_parameter_is_scikit_learns_invalid_parameter_error(make):
    with pytest.raises(InvalidParameterError, match="max_iter"):
        make().set_params(max_iter=-1).fit(X, Y)
    with pytest.raises(InvalidParameterError, match="alpha must be a finite number"):
        make().set_params(alpha=np.inf).fit(X, Y)
    with pytest.raises(InvalidParameterError):
        SklearnMLPClassifier(max_iter=-1).fit(X, Y)


@pytest.mark.parametrize("make", ALL, ids=_name)
def test_tags_say_what_the_estimator_takes(make):
    tags = get_tags(make())
    assert tags.array_api_support


@pytest.mark.parametrize("make", [CLASSIFIERS[0], CLASSIFIERS[1], REGRESSORS[0]], ids=_name)
@pytest.mark.parametrize("frame", ["pandas", "polars"])
def test_data_frames_train_in_their_own_precision(make, frame):
    library = pytest.importorskip(frame)
    names = [f"x{i}" for i in range(64)]

    def frame_of(data):
        if frame == "pandas":
            return library.DataFrame(data, columns=names)
        return library.DataFrame(data, schema=names)

    df = frame_of(X.astype(np.float32))
    model = make().fit(df, Y)
    Reference = SklearnMLPRegressor if isinstance(model, MLPRegressor) else SklearnMLPClassifier
    reference = Reference(max_iter=2).fit(df, Y)
    weights = model.coef_ if isinstance(model, SoftmaxClassifier) else model.coefs_[0]
    assert weights.dtype == np.float32
    # scikit-learn keeps a float32 pandas frame float32 and makes a polars one float64; we keep
    # both (docs/differences.md)
    assert reference.coefs_[0].dtype == (np.float32 if frame == "pandas" else np.float64)
    assert list(model.feature_names_in_) == list(reference.feature_names_in_)
    predict = model.predict if isinstance(model, MLPRegressor) else model.predict_proba
    assert predict(df).dtype == np.float32
    assert predict(frame_of(X)).dtype == np.float64  # float64 input: float64, as scikit-learn


@pytest.mark.parametrize("frame", ["pandas", "polars"])
def test_a_categorical_column_is_named(frame):
    library = pytest.importorskip(frame)
    columns = {"a": X[:, 0], "b": ["u", "v"] * 120}
    df = library.DataFrame(columns)
    df = (
        df.astype({"b": "category"})
        if frame == "pandas"
        else df.with_columns(library.col("b").cast(library.Categorical))
    )
    with pytest.raises(ValueError, match="X's column 'b' .* is not numeric"):
        MLPClassifier(max_iter=2).fit(df, Y)


def test_searches_in_worker_processes_and_meta_estimators():
    mlp = MLPClassifier(learning_rate_init=0.01, max_iter=50, random_state=0)
    pipeline = make_pipeline(StandardScaler(), mlp)
    search = GridSearchCV(
        pipeline, {"mlpclassifier__hidden_layer_sizes": [(8,), (16,)]}, cv=2, n_jobs=2
    ).fit(X, Y)
    assert search.best_score_ > 0.5
    mlp = MLPClassifier(learning_rate_init=0.01, max_iter=30, random_state=0)
    softmax = SoftmaxClassifier(learning_rate=0.1, max_iter=30, random_state=0)
    calibrated = CalibratedClassifierCV(softmax, cv=2).fit(X, Y)
    assert calibrated.predict_proba(X).shape == (len(X), 10)
    bagged = BaggingClassifier(mlp, n_estimators=2, random_state=0)
    assert bagged.fit(X, Y).score(X, Y) > 0.5
    stacked = StackingClassifier([("mlp", mlp), ("softmax", softmax)], cv=2)
    assert stacked.fit(X, Y).score(X, Y) > 0.5
    targets = np.column_stack([X[:, 20], X[:, 30]])
    multi = MultiOutputRegressor(MLPRegressor(max_iter=20, random_state=0)).fit(X, targets)
    assert multi.predict(X).shape == targets.shape
    transformed = TransformedTargetRegressor(
        MLPRegressor(max_iter=20), func=np.log1p, inverse_func=np.expm1
    ).fit(X, X[:, 20])
    assert transformed.predict(X).shape == (len(X),)


@pytest.mark.parametrize("make", ALL, ids=_name)
def test_pickle_and_joblib_round_trips_predict_the_same(make, tmp_path):
    model = make().fit(X, Y)
    joblib.dump(model, tmp_path / "model.joblib")
    for copy in (pickle.loads(pickle.dumps(model)), joblib.load(tmp_path / "model.joblib")):
        np.testing.assert_array_equal(copy.predict(X), model.predict(X))


def test_displays_draw_our_estimators():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from sklearn.metrics import ConfusionMatrixDisplay, RocCurveDisplay

    model = SoftmaxClassifier(max_iter=10).fit(X, Y)
    ConfusionMatrixDisplay.from_estimator(model, X, Y)
    binary = MLPClassifier(max_iter=10).fit(X, Y % 2)
    RocCurveDisplay.from_estimator(binary, X, Y % 2)
    matplotlib.pyplot.close("all")


def test_incremental_trains_the_softmax_classifier():
    da = pytest.importorskip("dask.array")
    X_blocks, y_blocks = da.from_array(X, chunks=60), da.from_array(Y, chunks=60)
    model = Incremental(SoftmaxClassifier(learning_rate=0.5, random_state=0), epochs=10)
    model.fit(X_blocks, y_blocks, classes=np.arange(10))
    assert model.estimator_.n_iter_ == 1 and model.score(X_blocks, y_blocks) > 0.5
