"""scikit-learn compatible estimators."""

from ml.estimators.mlp import MLPClassifier, MLPRegressor
from ml.estimators.softmax import SoftmaxClassifier

__all__ = ["MLPClassifier", "MLPRegressor", "SoftmaxClassifier"]
