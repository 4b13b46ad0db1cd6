"""scikit-learn compatible estimators."""

from ml.estimators.cnn import ConvNetClassifier, ConvNetRegressor
from ml.estimators.mlp import MLPClassifier, MLPRegressor
from ml.estimators.softmax import SoftmaxClassifier

__all__ = [
    "ConvNetClassifier",
    "ConvNetRegressor",
    "MLPClassifier",
    "MLPRegressor",
    "SoftmaxClassifier",
]
