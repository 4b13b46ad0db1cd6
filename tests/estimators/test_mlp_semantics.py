"""scikit-learn's semantics of the MLPs beyond its own suite: dtypes, sparse input, copies and
pickles, warm starts, classes, and the attributes that are read from the network and history."""

import copy
import pickle

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier

from ml import ConvNetClassifier, MLPClassifier, MLPRegressor, SoftmaxClassifier, datasets

X, Y = datasets.load_digits()
X, Y = X[:300] / 16, Y[:300]


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor, SoftmaxClassifier])
@pytest.mark.parametrize(
    "data, dtype, expected",
    [
        (X.astype(np.float32), None, np.float32),
        (X, None, np.float64),
        ((X * 16).astype(np.int64), None, np.float64),
        (X, "float32", np.float32),
        (X.astype(np.float32), np.float64, np.float64),
    ],
)
def test_weights_follow_the_input_dtype_and_predictions_scikit_learns_rule(
    Estimator, data, dtype, expected
):
    model = Estimator(dtype=dtype, max_iter=3, random_state=0).fit(data, Y)
    weights = [model.coef_] if Estimator is SoftmaxClassifier else model.coefs_
    assert all(w.dtype == expected for w in weights)
    predict = model.predict if Estimator is MLPRegressor else model.predict_proba
    # scikit-learn's: float32 input stays float32, any other becomes float64, then combined
    # with the weights' dtype (a float32 model answers float64 input in float64)
    for given in (np.float32, np.float64, np.int64):
        answer = np.result_type(np.float32 if given is np.float32 else np.float64, expected)
        assert predict((data * 4).astype(given)).dtype == answer, given


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor, SoftmaxClassifier])
def test_a_float32_data_frame_trains_in_float32_as_scikit_learn(Estimator):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X.astype(np.float32))
    model = Estimator(max_iter=3, random_state=0).fit(frame, Y)
    sklearn_model = SklearnMLPClassifier(max_iter=3).fit(frame, Y)
    weights = [model.coef_] if Estimator is SoftmaxClassifier else model.coefs_
    assert weights[0].dtype == sklearn_model.coefs_[0].dtype == np.float32
    mixed = frame.astype({0: np.float64})  # one float64 column: float64, as scikit-learn
    model = Estimator(max_iter=3, random_state=0).fit(mixed, Y)
    weights = [model.coef_] if Estimator is SoftmaxClassifier else model.coefs_
    assert weights[0].dtype == SklearnMLPClassifier(max_iter=3).fit(mixed, Y).coefs_[0].dtype
    assert weights[0].dtype == np.float64


def test_sparse_X_is_made_dense_one_batch_at_a_time(monkeypatch):
    rows_made_dense = []
    toarray = sp.csr_matrix.toarray

    def spy(self, *args, **kwargs):
        rows_made_dense.append(self.shape[0])
        return toarray(self, *args, **kwargs)

    monkeypatch.setattr(sp.csr_matrix, "toarray", spy)
    X_sparse = sp.csr_matrix(X)
    sparse = MLPClassifier((16,), max_iter=3, batch_size=50, random_state=0).fit(X_sparse, Y)
    assert rows_made_dense and max(rows_made_dense) <= 50
    dense = MLPClassifier((16,), max_iter=3, batch_size=50, random_state=0).fit(X, Y)
    np.testing.assert_allclose(sparse.predict_proba(X_sparse), dense.predict_proba(X), atol=1e-12)


@pytest.mark.parametrize("how", ["pickle", "deepcopy", "joblib"])
def test_a_copy_keeps_training_its_own_network(tmp_path, how):
    """A copy made by pickle, deepcopy or joblib trains: its coefs_ are its network's arrays."""
    model = MLPClassifier((16,), max_iter=3, random_state=0).fit(X, Y)
    if how == "pickle":
        other = pickle.loads(pickle.dumps(model))
    elif how == "deepcopy":
        other = copy.deepcopy(model)
    else:
        joblib.dump(model, tmp_path / "model.joblib")
        other = joblib.load(tmp_path / "model.joblib")
    before = other.coefs_[0].copy()
    other.partial_fit(X, Y)
    assert not np.array_equal(other.coefs_[0], before)
    assert other.coefs_[0] is other.network_.parameters()[0]
    model.partial_fit(X, Y)
    np.testing.assert_array_equal(other.coefs_[0], model.coefs_[0])  # same optimizer state


def test_attributes_are_read_from_the_history():
    model = MLPClassifier((8,), max_iter=4, random_state=0).fit(X, Y)
    history = model.history_
    assert model.loss_curve_ is history.loss and model.loss_ == history.loss[-1]
    assert model.n_iter_ == 4 and model.t_ == 4 * len(X) and model.best_loss_ == min(history.loss)
    assert model.validation_scores_ is None and model.best_validation_score_ is None
    model.set_params(warm_start=True, max_iter=2).fit(X, Y)
    assert model.n_iter_ == 2 and len(model.loss_curve_) == 6 and model.t_ == 6 * len(X)
    stopped = MLPClassifier((8,), max_iter=30, early_stopping=True, random_state=0).fit(X, Y)
    assert stopped.best_loss_ is None and len(stopped.validation_scores_) == stopped.n_iter_
    assert stopped.best_validation_score_ == max(stopped.validation_scores_)


def test_the_same_seed_gives_scikit_learns_initial_weights():
    ours = MLPClassifier((7, 5), solver="lbfgs", max_iter=1, random_state=4).fit(X, Y)
    theirs = SklearnMLPClassifier((7, 5), solver="lbfgs", max_iter=1, random_state=4).fit(X, Y)
    for a, b in zip(
        ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_, strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_warm_start_and_partial_fit_check_the_classes():
    model = MLPClassifier((8,), max_iter=2, warm_start=True, random_state=0).fit(X, Y)
    with pytest.raises(ValueError, match="warm_start can only be used where `y` has the same"):
        model.fit(X[Y < 5], Y[Y < 5])
    model = MLPClassifier((8,), random_state=0)
    model.partial_fit(X, Y, classes=np.arange(10))
    model.partial_fit(X[Y < 5], Y[Y < 5])  # a batch may hold fewer classes
    with pytest.raises(ValueError, match="is not the same as on last call to partial_fit"):
        model.partial_fit(X, Y, classes=np.arange(11))
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        MLPClassifier(early_stopping=True).partial_fit(X, Y, classes=np.arange(10))


@pytest.mark.parametrize("Estimator", [MLPClassifier, ConvNetClassifier])
def test_a_single_class_is_learned_as_in_scikit_learn(Estimator):
    images = X.reshape(-1, 8, 8) if Estimator is ConvNetClassifier else X
    model = Estimator(max_iter=2, random_state=0).fit(images[:20], np.full(20, 7))
    assert model.classes_.tolist() == [7] and (model.predict(images[:5]) == 7).all()
    np.testing.assert_array_equal(model.predict_proba(images[:5]), np.ones((5, 1)))
    np.testing.assert_array_equal(model.predict_log_proba(images[:5]), np.zeros((5, 1)))


@pytest.mark.parametrize("word", ["False", "no", 1])
def test_boolean_parameters_refuse_other_values(word):
    with pytest.raises(TypeError, match="early_stopping must be True or False"):
        MLPClassifier(early_stopping=word).fit(X, Y)


def test_predict_of_float_rows_checks_what_scikit_learn_checks():
    """A float NumPy X skips scikit-learn's validate_data in predict; the checks stay."""
    model = MLPClassifier((8,), max_iter=5, random_state=0).fit(np.float32(X), Y)
    row = np.array(X[:1], dtype=np.float64)
    assert model.predict(row).shape == (1,)
    row[0, 0] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        model.predict(row)
    row[0, 0] = np.inf
    with pytest.raises(ValueError, match="X contains infinity"):
        model.predict(row)
    row[0, 0] = 1e300  # finite in float64, infinite in the network's float32
    with pytest.raises(ValueError, match="X contains infinity or a value too large for float32"):
        model.predict(row.astype(np.float64))
    with pytest.raises(ValueError, match="features"):
        model.predict(np.asarray(X)[:1, :-1])
    with pytest.raises(ValueError, match="0 sample"):
        model.predict(np.asarray(X)[:0])


@pytest.mark.parametrize(
    "y",
    [
        np.array([2, 0, 1, 2, 0]),
        np.array([3, 3, 3], dtype=np.uint8),
        np.array([True, False, True]),
        np.array(["b", "a", "b", "c"]),
        np.array([5, 1, 5, 7])[::2],  # a strided view, which column_or_1d would copy
        np.array([], dtype=np.int64),
    ],
)
def test_plain_labels_skip_scikit_learns_target_checks_and_come_out_the_same(y, monkeypatch):
    """1-D NumPy integer, boolean and text labels skip column_or_1d and
    check_classification_targets, which always pass them: the classes and indices are those
    of the checked path."""
    from sklearn.utils.multiclass import check_classification_targets

    from ml.estimators import _data

    check_classification_targets(y)  # the premise: scikit-learn accepts them
    estimator = MLPClassifier()
    called = []
    monkeypatch.setattr(_data, "check_classification_targets", called.append)
    fast = _data.check_classification_y(estimator, y, len(y), allow_one_class=True)
    assert not called
    monkeypatch.setattr(_data, "check_classification_targets", check_classification_targets)
    monkeypatch.setattr(_data, "_plain_labels", lambda y: False)
    checked = _data.check_classification_y(estimator, y, len(y), allow_one_class=True)
    for a, b in zip(fast, checked, strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype


@pytest.mark.parametrize("y", [[0.5, 1.5, 2.5], np.array([0.5, 1.5, 2.5])])
def test_continuous_labels_still_take_scikit_learns_target_checks(y):
    with pytest.raises(ValueError, match="y: Unknown label type: continuous"):
        MLPClassifier(max_iter=1).fit(np.zeros((3, 2)), y)


@pytest.mark.parametrize("schedule", ["invscaling", "adaptive", "cosine", "step"])
def test_a_learning_rate_that_changes_during_training_is_held_once(schedule, tmp_path):
    """The current rate lives in the optimizer alone: the schedule writes it there, the history
    records it, partial_fit and a saved file go on from it."""
    model = MLPClassifier(
        (8,),
        solver="sgd",
        learning_rate=schedule,
        learning_rate_init=0.2,
        max_iter=12,
        n_iter_no_change=1,
        tol=10.0 if schedule == "adaptive" else 0.0,
        random_state=0,
    ).fit(X, Y)
    trainer = model.trainer_
    rate = trainer.optimizer.learning_rate  # the rate of the next epoch
    assert rate < 0.2 and len(set(model.history_.learning_rate)) > 1
    assert "learning_rate" not in vars(trainer.schedule) and model.learning_rate_init == 0.2
    held = [name for name, value in vars(model).items() if value is rate]
    assert held == []  # no estimator attribute copies it
    model.save(tmp_path / "m.ml")
    import ml

    loaded = ml.load(tmp_path / "m.ml")
    assert loaded.trainer_.optimizer.learning_rate == rate
    loaded.partial_fit(X, Y)
    model.partial_fit(X, Y)
    assert loaded.history_.learning_rate[-1] == model.history_.learning_rate[-1] == rate
