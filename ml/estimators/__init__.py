"""scikit-learn compatible estimators."""

from ml.estimators.softmax import SoftmaxClassifier

__all__ = ["SoftmaxClassifier"]
