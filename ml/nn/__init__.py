"""Composable layers for people who want their own architecture, and ``Sequential``."""

from ml.nn import init, losses
from ml.nn.layers import (
    Activation,
    BatchNorm1d,
    Dense,
    Dropout,
    Flatten,
    Identity,
    Layer,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softplus,
    Tanh,
    activation_layer,
)
from ml.nn.losses import (
    BinaryCrossEntropy,
    MulticlassHinge,
    PoissonLoss,
    SoftmaxCrossEntropy,
    SquaredError,
)
from ml.nn.sequential import Sequential

__all__ = [
    "Activation",
    "BatchNorm1d",
    "BinaryCrossEntropy",
    "Dense",
    "Dropout",
    "Flatten",
    "Identity",
    "Layer",
    "LeakyReLU",
    "MulticlassHinge",
    "PoissonLoss",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "SoftmaxCrossEntropy",
    "Softplus",
    "SquaredError",
    "Tanh",
    "activation_layer",
    "init",
    "losses",
]
