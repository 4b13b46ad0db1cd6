"""The lecture's math as functions: softmax, the losses and their gradients, the activations.

``ml.functional.losses`` holds softmax and the output losses, ``ml.functional.activations`` the
activations and their derivatives; both are re-exported here.
"""

from ml.functional.activations import *  # noqa: F403
from ml.functional.activations import __all__ as _activations
from ml.functional.losses import *  # noqa: F403
from ml.functional.losses import __all__ as _losses

__all__ = [*_losses, *_activations]
