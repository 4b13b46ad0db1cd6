"""A catalogue of bad inputs across every estimator and Sequential: each must raise a ValueError
or TypeError whose message names the argument and the problem. Plus a Hypothesis test that
throws random shapes, dtypes and values at fit and predict."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ml import ConvNetClassifier, MLPClassifier, MLPRegressor, SoftmaxClassifier, datasets, nn

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 4))
Y = np.arange(40) % 3
IMAGES = RNG.normal(size=(40, 8, 8))
SMALL = {"max_iter": 2, "random_state": 0}


def softmax(**kw):
    return SoftmaxClassifier(**{"max_iter": 2, "random_state": 0, **kw})


def mlp(**kw):
    return MLPClassifier(**{"hidden_layer_sizes": (4,), **SMALL, **kw})


def regressor(**kw):
    return MLPRegressor(**{"hidden_layer_sizes": (4,), **SMALL, **kw})


def cnn(**kw):
    return ConvNetClassifier(
        **{"conv_layers": ((2, 3),), "hidden_layer_sizes": (4,), **SMALL, **kw}
    )


def _with(value, array=X):
    bad = array.copy()
    bad.flat[3] = value
    return bad


def _fitted(make, X_fit=X, y=Y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make().fit(X_fit, y)


CATALOGUE = {
    # data at fit time
    "softmax: NaN in X": (lambda: softmax().fit(_with(np.nan), Y), "X contains NaN"),
    "mlp: NaN in X": (lambda: mlp().fit(_with(np.nan), Y), "X contains NaN"),
    "regressor: NaN in X": (lambda: regressor().fit(_with(np.nan), Y), "X contains NaN"),
    "cnn: NaN in images": (lambda: cnn().fit(_with(np.nan, IMAGES), Y), "X contains NaN"),
    "mlp: inf in X": (lambda: mlp().fit(_with(np.inf), Y), "X contains infinity"),
    "regressor: -inf in X": (lambda: regressor().fit(_with(-np.inf), Y), "X contains infinity"),
    "cnn: inf in images": (lambda: cnn().fit(_with(np.inf, IMAGES), Y), "X contains infinity"),
    "mlp: 1-D X": (lambda: mlp().fit(X[:, 0], Y), "X must be a 2-D array"),
    "regressor: 3-D X": (lambda: regressor().fit(IMAGES, Y), "X must be a 2-D array"),
    "cnn: 5-D X": (lambda: cnn().fit(IMAGES[:, None, None], Y), "X must be images"),
    "mlp: empty X": (lambda: mlp().fit(X[:0], Y[:0]), "X: Found array with 0 sample"),
    "regressor: empty X": (lambda: regressor().fit(X[:0], Y[:0]), "X: Found array with 0 sample"),
    "cnn: empty images": (lambda: cnn().fit(IMAGES[:0], Y[:0]), "X: Found array with 0 sample"),
    "mlp: one sample with early stopping": (
        lambda: mlp(early_stopping=True).fit(X[:1], Y[:1]),
        "validation_fraction",
    ),
    "regressor: one sample with early stopping": (
        lambda: regressor(early_stopping=True).fit(X[:1], Y[:1]),
        "validation_fraction",
    ),
    "softmax: one class": (lambda: softmax().fit(X, np.zeros(40)), "y holds one class only"),
    "mlp: object X of words": (
        lambda: mlp().fit(np.array([["a", 1.0]] * 40, dtype=object), Y),
        "X: could not convert string to float",
    ),
    "regressor: string X": (lambda: regressor().fit(X.astype(str), Y), "X: .*strings"),
    "cnn: complex images": (lambda: cnn().fit(IMAGES + 1j, Y), "X: Complex data not supported"),
    "cnn: sparse X": (lambda: cnn().fit(sp.csr_matrix(X), Y), "X is a sparse matrix"),
    "regressor: X and y of different lengths": (
        lambda: regressor().fit(X, Y[:-2]),
        "different numbers of samples: 40 rows in X, 38 in y",
    ),
    "cnn: X and y of different lengths": (lambda: cnn().fit(IMAGES, Y[:5]), "different numbers"),
    "regressor: NaN in y": (lambda: regressor().fit(X, _with(np.nan, Y.astype(float))), "y"),
    "regressor: 3-D y": (
        lambda: regressor().fit(X, np.zeros((40, 2, 2))),
        "y: Found array with dim 3",
    ),
    "mlp: continuous y": (lambda: mlp().fit(X, np.linspace(0, 1, 40)), "y: Unknown label type"),
    "mlp: sample_weight of the wrong length": (
        lambda: mlp().fit(X, Y, sample_weight=np.ones(3)),
        "sample_weight.shape == \\(3,\\)",
    ),
    "mlp: negative sample_weight": (
        lambda: mlp().fit(X, Y, sample_weight=-np.ones(40)),
        "sample_weight must be finite and",
    ),
    "regressor: all-zero sample_weight": (
        lambda: regressor().fit(X, Y, sample_weight=np.zeros(40)),
        "sample_weight is all zero",
    ),
    "mlp: a class_weight that is no preset": (
        lambda: mlp(class_weight="heavy").fit(X, Y),
        "class_weight",
    ),
    "mlp: partial_fit with a label never seen": (
        lambda: mlp().partial_fit(X, Y, classes=[0, 1]),
        "`y` has classes not in `self.classes_`",
    ),
    # data at predict time
    "softmax: wrong number of features": (
        lambda: _fitted(softmax).predict(X[:, :3]),
        "X has 3 features, but SoftmaxClassifier",
    ),
    "mlp: wrong number of features": (
        lambda: _fitted(mlp).predict_proba(X[:, :2]),
        "X has 2 features, but MLPClassifier",
    ),
    "regressor: wrong number of features": (
        lambda: _fitted(regressor).predict(np.hstack([X, X])),
        "X has 8 features",
    ),
    "cnn: images of the wrong shape": (
        lambda: _fitted(cnn, IMAGES).predict(np.zeros((2, 9, 9))),
        "fitted on images of shape",
    ),
    "cnn: rows of the wrong length": (
        lambda: _fitted(cnn, IMAGES).predict(np.zeros((2, 63))),
        "X has 63 features",
    ),
    "mlp: NaN at predict": (lambda: _fitted(mlp).predict(_with(np.nan)), "X contains NaN"),
    "mlp: values that overflow the network": (
        lambda: _fitted(lambda: mlp(dtype="float32")).predict(np.full_like(X, 3e38)),
        "output overflowed",
    ),
    # hyper-parameters
    "mlp: hidden_layer_sizes with a zero": (
        lambda: mlp(hidden_layer_sizes=(3, 0)).fit(X, Y),
        "hidden_layer_sizes\\[1\\] must be",
    ),
    "mlp: unknown activation": (lambda: mlp(activation="swish").fit(X, Y), "activation must be"),
    "regressor: unknown solver": (lambda: regressor(solver="newton").fit(X, Y), "solver must be"),
    "regressor: unknown loss": (lambda: regressor(loss="hinge").fit(X, Y), "loss must be one of"),
    "cnn: zero learning_rate_init": (
        lambda: cnn(learning_rate_init=0.0).fit(IMAGES, Y),
        "learning_rate_init must be",
    ),
    "mlp: zero max_iter": (lambda: mlp(max_iter=0).fit(X, Y), "max_iter must be an int >= 1"),
    "softmax: negative max_iter": (lambda: softmax(max_iter=-1).fit(X, Y), "max_iter must be"),
    "softmax: unknown solver": (lambda: softmax(solver="adam").fit(X, Y), "solver must be"),
    "mlp: momentum above 1": (lambda: mlp(momentum=1.5).fit(X, Y), "momentum must be"),
    "mlp: validation_fraction of 1": (
        lambda: mlp(validation_fraction=1.0).fit(X, Y),
        "validation_fraction must be",
    ),
    "regressor: beta_1 of 1": (lambda: regressor(beta_1=1.0).fit(X, Y), "beta_1 must be"),
    "mlp: zero epsilon": (lambda: mlp(epsilon=0.0).fit(X, Y), "epsilon must be"),
    "mlp: zero n_iter_no_change": (lambda: mlp(n_iter_no_change=0).fit(X, Y), "n_iter_no_change"),
    "cnn: dropout of 1": (lambda: cnn(dropout=1.0).fit(IMAGES, Y), "dropout must be"),
    "mlp: a dropout per layer of the wrong length": (
        lambda: mlp(dropout=[0.1, 0.2]).fit(X, Y),
        "dropout must be one value or one per",
    ),
    "regressor: zero batch_size": (lambda: regressor(batch_size=0).fit(X, Y), "batch_size"),
    "mlp: text batch_size": (lambda: mlp(batch_size="big").fit(X, Y), "batch_size must be"),
    "cnn: integer dtype": (lambda: cnn(dtype="int8").fit(IMAGES, Y), "dtype must be one of"),
    "softmax: negative alpha": (lambda: softmax(alpha=-1.0).fit(X, Y), "alpha must be"),
    "regressor: negative tol": (lambda: regressor(tol=-1.0).fit(X, Y), "tol must be"),
    "mlp: text random_state": (lambda: mlp(random_state="seed").fit(X, Y), "random_state must"),
    "cnn: malformed conv_layers": (
        lambda: cnn(conv_layers=((8,),)).fit(IMAGES, Y),
        "conv_layers\\[0\\] must be",
    ),
    "cnn: zero pool": (lambda: cnn(pool=0).fit(IMAGES, Y), "pool must be an int >= 1"),
    "cnn: image_shape that does not fit X": (
        lambda: cnn(image_shape=(1, 4, 4)).fit(X, Y),
        "image_shape \\(1, 4, 4\\) holds 16",
    ),
    "cnn: network that is no Sequential": (
        lambda: cnn(network="resnet").fit(IMAGES, Y),
        "network must be an ml.nn.Sequential",
    ),
    # Sequential
    "Sequential: input of the wrong width": (
        lambda: nn.Sequential(nn.Dense(4, 2)).forward(np.zeros((3, 5))),
        "Dense\\(4, 2\\) needs input of shape \\(batch, 4\\); got \\(3, 5\\)",
    ),
    "Sequential: a string array": (
        lambda: nn.Sequential(nn.Dense(4, 2)).forward(np.array([["a"] * 4])),
        "x must be an array of numbers",
    ),
    "Sequential: a list": (
        lambda: nn.Sequential(nn.ReLU()).forward([1.0, 2.0]),
        "x must be an array of numbers; got list",
    ),
    "Sequential: rows into a convolution": (
        lambda: nn.Sequential(nn.Conv2D(1, 2, 3)).forward(np.zeros((2, 64))),
        "needs input of shape \\(batch, 1 channels, height, width\\)",
    ),
    "Sequential: a layer that is not a Layer": (
        lambda: nn.Sequential(nn.ReLU(), "relu"),
        "layers\\[1\\] must be an ml.nn Layer",
    ),
    "Sequential: BatchNorm of the wrong width": (
        lambda: nn.Sequential(nn.BatchNorm1d(3)).forward(np.zeros((2, 4)), training=True),
        "BatchNorm1d\\(3\\) needs input",
    ),
    "Sequential: a negative dropout": (lambda: nn.Dropout(-0.1), "p must be a number >= 0"),
}


def test_the_catalogue_has_at_least_40_bad_inputs():
    assert len(CATALOGUE) >= 40


@pytest.mark.parametrize("case", CATALOGUE)
def test_bad_input_gets_a_clear_error(case):
    call, match = CATALOGUE[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises((ValueError, TypeError), match=match):
            call()


# --- random input ------------------------------------------------------------------------------

DTYPES = st.sampled_from(["float64", "float32", "int64", "bool", "complex128", "U3", "object"])


@st.composite
def random_data(draw):
    dtype = draw(DTYPES)
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=6))
    if dtype in ("U3", "object"):
        values = draw(
            st.lists(
                st.sampled_from(["1", "a", "", "2.5"]),
                min_size=int(np.prod(shape)),
                max_size=int(np.prod(shape)),
            )
        )
        X = np.array(values, dtype=dtype).reshape(shape)
    else:
        elements = st.floats(allow_nan=True, allow_infinity=True, width=64)
        with np.errstate(all="ignore"):  # NaN and inf cast to integers: any value will do
            X = draw(hnp.arrays(np.float64, shape, elements=elements)).astype(dtype)
    y = np.asarray(draw(st.lists(st.integers(0, 2), min_size=0, max_size=8)))
    return X, y


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=random_data(), which=st.sampled_from(["softmax", "mlp", "regressor", "cnn"]))
def test_random_input_gives_a_result_or_a_clear_error(data, which):
    X_random, y_random = data
    make = {"softmax": softmax, "mlp": mlp, "regressor": regressor, "cnn": cnn}[which]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            model = make().fit(X_random, y_random[: len(X_random)] if len(y_random) else y_random)
        except (ValueError, TypeError) as error:
            assert str(error)
            return
        try:
            predictions = model.predict(X_random)
        except (ValueError, TypeError) as error:
            assert str(error)
            return
    assert len(predictions) == len(X_random)
    if predictions.dtype.kind == "f":
        assert np.isfinite(predictions).all()


def test_fit_on_good_data_still_works():
    assert _fitted(cnn, IMAGES).predict(IMAGES).shape == (40,)
    assert _fitted(regressor).predict(X).shape == (40,)
    assert datasets.load_digits()[0].shape == (1797, 64)
