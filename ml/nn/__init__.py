"""Composable layers for people who want their own architecture, and ``Sequential``."""

from ml.nn import build, init, losses
from ml.nn.activations import (
    Activation,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softplus,
    Tanh,
    activation_layer,
)
from ml.nn.build import conv_stack, dense_stack
from ml.nn.conv import Conv2D
from ml.nn.layers import Dense, Dropout, Flatten, Layer
from ml.nn.losses import (
    BinaryCrossEntropy,
    MulticlassHinge,
    PoissonLoss,
    SoftmaxCrossEntropy,
    SquaredError,
)
from ml.nn.norm import BatchNorm1d, BatchNorm2d
from ml.nn.pool import AvgPool2D, GlobalAvgPool2D, MaxPool2D
from ml.nn.sequential import Sequential
from ml.nn.trace import LayerTrace, Trace, hidden_activations, trace

__all__ = [
    "Activation",
    "AvgPool2D",
    "BatchNorm1d",
    "BatchNorm2d",
    "BinaryCrossEntropy",
    "Conv2D",
    "Dense",
    "Dropout",
    "Flatten",
    "GlobalAvgPool2D",
    "Identity",
    "hidden_activations",
    "Layer",
    "LayerTrace",
    "LeakyReLU",
    "MaxPool2D",
    "MulticlassHinge",
    "PoissonLoss",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "SoftmaxCrossEntropy",
    "Softplus",
    "SquaredError",
    "Tanh",
    "Trace",
    "activation_layer",
    "build",
    "conv_stack",
    "dense_stack",
    "init",
    "losses",
    "trace",
]
