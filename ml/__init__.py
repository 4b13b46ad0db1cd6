"""ml: neural networks from the lecture to practice.

Readable NumPy code whose lines follow the formulas, scikit-learn compatible estimators, and
plots. ``from ml import plots`` gives the figures; everything else is re-exported here.
"""

from ml import datasets, distributed, functional, nn, optim, train
from ml._errors import DivergenceError
from ml._version import __version__
from ml.backend import array_namespace, check_random_state, to_numpy
from ml.estimators import (
    ConvNetClassifier,
    ConvNetRegressor,
    MLPClassifier,
    MLPRegressor,
    SoftmaxClassifier,
)
from ml.functional import (
    cross_entropy,
    cross_entropy_gradient,
    get_activation,
    label_binarize,
    log_softmax,
    one_hot,
    softmax,
)
from ml.gradcheck import check_gradient, numerical_gradient
from ml.io.archive import InvalidModelFile
from ml.io.estimator import load, save
from ml.optim import gradient_descent, random_local_search, random_search

__all__ = [
    "__version__",
    "ConvNetClassifier",
    "ConvNetRegressor",
    "DivergenceError",
    "InvalidModelFile",
    "MLPClassifier",
    "MLPRegressor",
    "SoftmaxClassifier",
    "array_namespace",
    "check_gradient",
    "check_random_state",
    "cross_entropy",
    "cross_entropy_gradient",
    "datasets",
    "distributed",
    "functional",
    "get_activation",
    "gradient_descent",
    "label_binarize",
    "load",
    "log_softmax",
    "nn",
    "numerical_gradient",
    "one_hot",
    "optim",
    "random_local_search",
    "random_search",
    "save",
    "softmax",
    "to_numpy",
    "train",
]
