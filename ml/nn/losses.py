"""Loss layers: the output activation fused with its loss, for networks built by hand.

``forward(output, target, sample_weight=None)`` returns the loss; ``backward()`` returns its
gradient with respect to the network's raw output, ready for ``Sequential.backward``::

    logits = net.forward(X, training=True)
    loss = criterion.forward(logits, Y)
    net.backward(criterion.backward())

Each is a pair of functions of :mod:`ml.functional`, whose gradients are checked numerically.
"""

from __future__ import annotations

from ml.functional import losses as F

__all__ = [
    "LOSSES",
    "BinaryCrossEntropy",
    "Loss",
    "MulticlassHinge",
    "PoissonLoss",
    "SoftmaxCrossEntropy",
    "SquaredError",
]


class Loss:
    """A loss ``function(output, target)`` with its ``gradient``; ``out_activation`` is what turns
    the raw output into a prediction (scikit-learn's ``out_activation_``)."""

    function = staticmethod(F.squared_error)
    gradient = staticmethod(F.squared_error_gradient)
    out_activation = "identity"

    def forward(self, output, target, sample_weight=None):
        """The loss as a 0-d array of the output's namespace (``float(loss)`` for a number; it
        stays on the output's device until asked)."""
        self._saved = (output, target, sample_weight)
        return self.function(output, target, sample_weight=sample_weight)

    def backward(self):
        output, target, sample_weight = self._saved
        return self.gradient(output, target, sample_weight=sample_weight)

    def __call__(self, output, target, sample_weight=None):
        return self.forward(output, target, sample_weight)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class SoftmaxCrossEntropy(Loss):
    """Softmax of the logits and cross-entropy with one-hot targets; gradient ``(q - Y) / n``.

    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> criterion = nn.SoftmaxCrossEntropy()
    >>> loss = criterion.forward(np.array([[0.5, -0.5]]), np.array([[1.0, 0.0]]))
    >>> criterion.backward().shape
    (1, 2)
    """

    function = staticmethod(F.cross_entropy)
    gradient = staticmethod(F.cross_entropy_gradient)
    out_activation = "softmax"

    def forward(self, output, target, sample_weight=None):
        # one log-softmax gives the loss and, kept for backward, its gradient
        loss, self._gradient = F.cross_entropy_with_gradient(
            output, target, sample_weight=sample_weight
        )
        return loss

    def backward(self):
        return self._gradient


class BinaryCrossEntropy(Loss):
    """Sigmoid of each logit and the logistic loss; gradient ``(sigmoid(f) - Y) / n``.

    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> criterion = nn.BinaryCrossEntropy()
    >>> loss = criterion.forward(np.array([[0.5, -0.5]]), np.array([[1.0, 0.0]]))
    >>> criterion.backward().shape
    (1, 2)
    """

    function = staticmethod(F.binary_cross_entropy)
    gradient = staticmethod(F.binary_cross_entropy_gradient)
    out_activation = "logistic"


class SquaredError(Loss):
    """Half the mean squared error of an identity output; gradient ``(f - Y) / (n m)``.

    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> criterion = nn.SquaredError()
    >>> loss = criterion.forward(np.array([[0.5, -0.5]]), np.array([[1.0, 0.0]]))
    >>> criterion.backward().shape
    (1, 2)
    """


class PoissonLoss(Loss):
    """Poisson deviance of ``exp(f)``; gradient ``(exp(f) - Y) / n``.

    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> criterion = nn.PoissonLoss()
    >>> loss = criterion.forward(np.array([[0.5, -0.5]]), np.array([[2.0, 0.0]]))
    >>> criterion.backward().shape
    (1, 2)
    """

    function = staticmethod(F.poisson_loss)
    gradient = staticmethod(F.poisson_loss_gradient)
    out_activation = "exp"


class MulticlassHinge(Loss):
    """The lecture's multi-class SVM loss with margin 1.

    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> criterion = nn.MulticlassHinge()
    >>> loss = criterion.forward(np.array([[0.5, -0.5]]), np.array([[1.0, 0.0]]))
    >>> criterion.backward().shape
    (1, 2)
    """

    function = staticmethod(F.multiclass_hinge)
    gradient = staticmethod(F.multiclass_hinge_gradient)


LOSSES = {
    "log_loss": SoftmaxCrossEntropy,
    "binary_log_loss": BinaryCrossEntropy,
    "squared_error": SquaredError,
    "poisson": PoissonLoss,
    "hinge": MulticlassHinge,
}
