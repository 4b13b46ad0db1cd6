import time
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils.estimator_checks import parametrize_with_checks

import ml
from ml import ConvNetClassifier, ConvNetRegressor, MLPClassifier, MLPRegressor, datasets, nn
from ml.datasets import shift_images

_FLOAT32 = "float32 rounding differs with the batch's size and order; passes with dtype='float64'"
SMALL = {
    "conv_layers": ((4, 3),),
    "hidden_layer_sizes": (16,),
    "max_iter": 100,
    "learning_rate_init": 0.01,  # 2-feature blobs as 1 x 2 images: a small net needs a push
}


@parametrize_with_checks(
    [
        ConvNetClassifier(**SMALL),
        ConvNetClassifier(**SMALL, dtype="float64"),
        ConvNetRegressor(**SMALL),
        ConvNetRegressor(**SMALL, dtype="float64"),
    ],
    expected_failed_checks=lambda est: (
        {
            "check_sample_weight_equivalence_on_dense_data": _FLOAT32,
            "check_methods_subset_invariance": _FLOAT32,
            "check_methods_sample_order_invariance": _FLOAT32,
        }
        if est.dtype == "float32"
        else {}
    ),
)
def test_scikit_learn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def digits():
    X, y = datasets.load_digits(images=True)
    return train_test_split(X / 16, y, test_size=0.25, random_state=0)


@pytest.fixture(scope="module")
def fitted_cnn(digits):
    X_train, _, y_train, _ = digits
    start = time.perf_counter()
    model = ConvNetClassifier(random_state=0).fit(X_train, y_train)
    model.fit_seconds_ = time.perf_counter() - start
    return model


def test_digits_as_images_reach_98_percent(digits, fitted_cnn):
    _, X_test, _, y_test = digits
    assert fitted_cnn.score(X_test, y_test) >= 0.98
    assert fitted_cnn.image_shape_ == (1, 8, 8)
    print(f"ConvNetClassifier on digits: fit in {fitted_cnn.fit_seconds_:.1f} s")


def test_translation_invariance_beats_an_mlp_of_similar_size(digits, fitted_cnn):
    """The lecture's claim: shared kernels and pooling make a CNN robust to shifts."""
    X_train, X_test, y_train, y_test = digits
    mlp = MLPClassifier((160,), random_state=0).fit(X_train.reshape(len(X_train), -1), y_train)
    n_cnn = sum(p.size for p in fitted_cnn.network_.parameters())
    n_mlp = sum(p.size for p in mlp.network_.parameters())
    assert 0.8 < n_mlp / n_cnn < 1.2
    cnn_scores, mlp_scores = [], []
    for seed in range(3):
        shifted = shift_images(X_test, max_shift=2, random_state=seed)
        cnn_scores.append(fitted_cnn.score(shifted, y_test))
        mlp_scores.append(mlp.score(shifted.reshape(len(shifted), -1), y_test))
    assert np.mean(cnn_scores) >= np.mean(mlp_scores) + 0.04, (cnn_scores, mlp_scores)


def test_images_in_every_layout(digits):
    X_train, X_test, y_train, _ = digits
    X_train, y_train = X_train[:300], y_train[:300]
    flat = X_train.reshape(300, -1)
    options = dict(conv_layers=((4, 3),), max_iter=3, random_state=0)
    reference = ConvNetClassifier(**options).fit(X_train, y_train).predict_proba(X_test)
    for X, extra in [
        (X_train[:, None], {}),
        (flat, {}),
        (flat, {"image_shape": (1, 8, 8)}),
    ]:
        model = ConvNetClassifier(**options, **extra).fit(X, y_train)
        assert model.image_shape_ == (1, 8, 8)
        np.testing.assert_allclose(model.predict_proba(X_test), reference, rtol=1e-6)
    model = ConvNetClassifier(**options).fit(flat, y_train)
    np.testing.assert_array_equal(model.predict(X_test), model.predict(X_test.reshape(-1, 64)))
    with pytest.raises(ValueError, match="fitted on images of shape \\(1, 8, 8\\)"):
        model.predict(np.zeros((2, 1, 9, 9)))
    with pytest.raises(ValueError, match="image_shape \\(1, 4, 4\\) holds 16 pixels, but X has 64"):
        ConvNetClassifier(image_shape=(1, 4, 4)).fit(flat, y_train)
    with pytest.raises(ValueError, match="X must be images"):
        model.predict(np.zeros((2, 1, 1, 8, 8)))


def test_rows_that_are_not_square_are_one_dimensional_signals():
    X = np.random.default_rng(0).normal(size=(60, 5))
    y = (X[:, 0] > 0).astype(int)
    model = ConvNetClassifier(conv_layers=((4, 3),), max_iter=50, random_state=0).fit(X, y)
    assert model.image_shape_ == (1, 1, 5)
    assert model.network_[0].kernel_size == (1, 3)


def test_a_network_of_your_own(digits):
    X_train, X_test, y_train, y_test = digits
    network = nn.Sequential(
        nn.Conv2D(1, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.AvgPool2D(2),
        nn.GlobalAvgPool2D(),
        nn.Dense(8, 10),
    )
    model = ConvNetClassifier(network=network, max_iter=5, random_state=0).fit(X_train, y_train)
    assert model.network_ is not network and isinstance(model.network_[1], nn.BatchNorm2d)
    assert model.coefs_[0].shape == (8, 10)
    with pytest.raises(ValueError, match="network must output 10 values per sample"):
        ConvNetClassifier(network=nn.Sequential(nn.Flatten(), nn.Dense(64, 3))).fit(
            X_train, y_train
        )
    with pytest.raises(TypeError, match="network must be an ml.nn.Sequential"):
        ConvNetClassifier(network=[nn.Flatten()]).fit(X_train, y_train)


def test_mlp_training_options_apply(digits):
    X_train, X_test, y_train, y_test = digits
    seen = []
    model = ConvNetClassifier(
        conv_layers=((8, 3, 1), (8, 3, 2)),
        pool=None,
        batch_norm=True,
        dropout=0.1,
        early_stopping=True,
        solver="sgd",
        learning_rate="cosine",
        learning_rate_init=0.05,
        max_iter=8,
        dtype="float64",
        callbacks=[lambda m, e, h: seen.append(e)],
        random_state=0,
    )
    model.fit(X_train, y_train)
    kinds = [type(layer).__name__ for layer in model.network_.layers[:7]]
    assert kinds == ["Conv2D", "BatchNorm2d", "ReLU", "Conv2D", "BatchNorm2d", "ReLU", "Flatten"]
    assert model.network_[3].stride == (2, 2)
    assert seen == list(range(1, model.n_iter_ + 1)) and model.validation_scores_
    assert model.coefs_[0].dtype == np.float64 and model.score(X_test, y_test) > 0.8
    assert clone(model).get_params()["conv_layers"] == ((8, 3, 1), (8, 3, 2))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"conv_layers": ((8,),)}, "conv_layers\\[0\\] must be"),
        ({"conv_layers": ((8, 0),)}, "conv_layers\\[0\\] kernel_size must be an int >= 1"),
        ({"pool": 0}, "pool must be an int >= 1"),
        ({"image_shape": (8, 8)}, "image_shape must be"),
    ],
)
def test_bad_parameters(digits, params, match):
    X_train, _, y_train, _ = digits
    with pytest.raises(ValueError, match=match):
        ConvNetClassifier(**params).fit(X_train, y_train)


def test_the_regressor_learns_from_images_what_an_mlp_learns_from_rows(digits):
    """A target that is a function of the image (its mean brightness in the upper half, and the
    digit itself): the convolutional regressor fits it as an MLP of as many epochs does, takes
    several outputs, Poisson counts, and saves and loads."""
    X_train, X_test, y_train, y_test = digits

    def targets(images, labels):
        return np.c_[images[:, :4].mean(axis=(1, 2)) * 10, labels]

    Y_train, Y_test = targets(X_train, y_train), targets(X_test, y_test)
    options = dict(max_iter=60, learning_rate_init=0.01, random_state=0)
    cnn = ConvNetRegressor(((8, 3),), hidden_layer_sizes=(32,), **options).fit(X_train, Y_train)
    mlp = MLPRegressor(hidden_layer_sizes=(32,), **options).fit(
        X_train.reshape(len(X_train), -1), Y_train
    )
    assert cnn.predict(X_test).shape == Y_test.shape and cnn.n_outputs_ == 2
    assert cnn.score(X_test, Y_test) > 0.8
    assert cnn.score(X_test, Y_test) > mlp.score(X_test.reshape(len(X_test), -1), Y_test) - 0.05
    one = ConvNetRegressor(((4, 3),), hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    assert one.fit(X_train, Y_train[:, 0]).predict(X_test).shape == (len(X_test),)
    counts = ConvNetRegressor(((4, 3),), loss="poisson", max_iter=20, random_state=0)
    counts.fit(X_train, y_train)
    assert (counts.predict(X_test) > 0).all() and counts.out_activation_ == "exp"
    with pytest.raises(ValueError, match="y must be non-negative for loss='poisson'"):
        clone(counts).fit(X_train, -np.ones(len(X_train)))


def test_the_regressor_saves_loads_and_goes_on_training(tmp_path, digits):
    X_train, X_test, y_train, _ = digits
    model = ConvNetRegressor(((4, 3),), hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    model.fit(X_train, y_train.astype(float))
    model.save(tmp_path / "cnn.ml")
    loaded = ml.load(tmp_path / "cnn.ml")
    assert type(loaded) is ConvNetRegressor and loaded.image_shape_ == (1, 8, 8)
    np.testing.assert_array_equal(loaded.predict(X_test), model.predict(X_test))
    model.partial_fit(X_train, y_train.astype(float))
    loaded.partial_fit(X_train, y_train.astype(float))
    np.testing.assert_array_equal(loaded.predict(X_test), model.predict(X_test))


@pytest.mark.parametrize(
    "first",
    [
        lambda: [nn.Conv2D(1, 4, 3, padding=1, random_state=0), nn.Tanh()],  # read from conv
        lambda: [nn.MaxPool2D(2), nn.Conv2D(1, 4, 3, padding=1, random_state=0)],  # from X
        lambda: [nn.Tanh(), nn.Conv2D(1, 4, 3, padding=1, random_state=0)],  # from X
        lambda: [nn.Conv2D(1, 4, 2, stride=3, random_state=0), nn.Tanh()],  # skips pixels: X
    ],
    ids=["conv first", "pooling first", "tanh first", "conv skipping pixels first"],
)
def test_a_non_finite_image_is_refused_whichever_layer_comes_first(digits, first):
    """Images of the model's dtype are checked for NaN and infinity from the first layer's
    output where that is a convolution (a NaN or an infinity makes every value of its sample's
    output non-finite), else from the images themselves: all are refused either way."""
    X_train, _, y_train, _ = digits
    network = nn.Sequential(*first(), nn.GlobalAvgPool2D(), nn.Dense(4, 10))
    model = ConvNetClassifier(network=network, max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train[:100], y_train[:100])
    images = np.asarray(X_train[:100], dtype=np.float32)  # 6,400 values: read from the first layer
    model.predict(images)
    places = [(np.nan, (0, 0, 0)), (np.inf, (57, 4, 7)), (-np.inf, (-1, -1, -1))]
    places += [(np.nan, (5, 2, 5))]  # a pixel that a 2x2 kernel at stride 3 never reads
    for value, where in places:
        bad = images.copy()
        bad[where] = value
        word = "NaN" if np.isnan(value) else "infinity"
        with pytest.raises(ValueError, match=f"X contains {word}"):
            model.predict(bad)


def test_a_convolution_says_whether_every_input_value_lies_in_a_window():
    """What lets predict read the input's finiteness from a first convolution's output."""
    assert nn.Conv2D(1, 1, 3, padding=1)._reads_every_input((2, 1, 8, 8))
    assert nn.Conv2D(1, 1, 2, stride=2)._reads_every_input((2, 1, 8, 8))
    assert not nn.Conv2D(1, 1, 2, stride=2)._reads_every_input((2, 1, 7, 8))  # the last row
    assert not nn.Conv2D(1, 1, 2, stride=3)._reads_every_input((2, 1, 8, 8))  # gaps
    assert not nn.Conv2D(1, 1, (3, 1), stride=(1, 2))._reads_every_input((2, 1, 8, 9))
