"""Convolutional networks with scikit-learn's API, which scikit-learn lacks: ``ConvNetClassifier``
and ``ConvNetRegressor``, each the shared image core (:mod:`ml.estimators._conv`) on an MLP."""

from __future__ import annotations

from ml.estimators._conv import CONV_PARAMETERS, ConvNetMixin
from ml.estimators._docs import (
    _CLASS_WEIGHT,
    _REGRESSION_LOSS,
    _SHARED_ATTRIBUTES,
    shared_parameters,
)
from ml.estimators.mlp import MLPClassifier, MLPRegressor


class ConvNetClassifier(ConvNetMixin, MLPClassifier):
    __doc__ = f"""Convolutional neural network classifier for images.

    Parameters
    ----------{CONV_PARAMETERS}{shared_parameters("hidden_layer_sizes")}{_CLASS_WEIGHT}
    Attributes
    ----------
    image_shape_ : (channels, height, width)
        The shape the images were read in.
    classes_ : ndarray{_SHARED_ATTRIBUTES}
    Examples
    --------
    >>> import ml
    >>> images, labels = ml.datasets.load_digits(images=True)
    >>> cnn = ml.ConvNetClassifier(conv_layers=[(8, 3)], max_iter=5, random_state=0)
    >>> cnn.fit(images[:500] / 16, labels[:500]).predict(images[:3] / 16).shape
    (3,)
    """

    def __init__(
        self,
        conv_layers=((16, 3), (32, 3)),
        pool=2,
        hidden_layer_sizes=(64,),
        activation="relu",
        *,
        padding="same",
        image_shape=None,
        network=None,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        batch_norm=False,
        class_weight=None,
        callbacks=None,
        dtype=None,
        device=None,
    ):
        super().__init__(
            hidden_layer_sizes,
            activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            dropout=dropout,
            batch_norm=batch_norm,
            class_weight=class_weight,
            callbacks=callbacks,
            dtype=dtype,
            device=device,
        )
        self.conv_layers = conv_layers
        self.pool = pool
        self.padding = padding
        self.image_shape = image_shape
        self.network = network

    _saved_attributes = (*MLPClassifier._saved_attributes, *ConvNetMixin._saved_attributes)


class ConvNetRegressor(ConvNetMixin, MLPRegressor):
    __doc__ = f"""Convolutional neural network regressor for images: one or more real targets per
    image, with half the squared error, or the Poisson deviance for counts
    (``loss="poisson"``).

    Parameters
    ----------{_REGRESSION_LOSS}{CONV_PARAMETERS}{shared_parameters("hidden_layer_sizes")}
    Attributes
    ----------
    image_shape_ : (channels, height, width)
        The shape the images were read in.{_SHARED_ATTRIBUTES}
    Examples
    --------
    >>> import ml
    >>> images, labels = ml.datasets.load_digits(images=True)
    >>> regressor = ml.ConvNetRegressor(conv_layers=[(8, 3)], max_iter=5, random_state=0)
    >>> regressor.fit(images[:500] / 16, labels[:500] / 9).predict(images[:3] / 16).shape
    (3,)
    """

    def __init__(
        self,
        conv_layers=((16, 3), (32, 3)),
        pool=2,
        hidden_layer_sizes=(64,),
        activation="relu",
        *,
        loss="squared_error",
        padding="same",
        image_shape=None,
        network=None,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        batch_norm=False,
        callbacks=None,
        dtype=None,
        device=None,
    ):
        super().__init__(
            loss,
            hidden_layer_sizes,
            activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            dropout=dropout,
            batch_norm=batch_norm,
            callbacks=callbacks,
            dtype=dtype,
            device=device,
        )
        self.conv_layers = conv_layers
        self.pool = pool
        self.padding = padding
        self.image_shape = image_shape
        self.network = network

    _saved_attributes = (*MLPRegressor._saved_attributes, *ConvNetMixin._saved_attributes)
