"""Ways to minimise a loss: the lecture's searches, update rules, schedules and L-BFGS."""

from ml.optim.lbfgs import minimize_lbfgs
from ml.optim.optimizers import SGD, Adam, Optimizer, RMSProp
from ml.optim.schedules import (
    SCHEDULES,
    Adaptive,
    Constant,
    Cosine,
    InvScaling,
    Schedule,
    StepDecay,
    make_schedule,
)
from ml.optim.searches import SearchResult, gradient_descent, random_local_search, random_search

__all__ = [
    "SCHEDULES",
    "SGD",
    "Adam",
    "Adaptive",
    "Constant",
    "Cosine",
    "InvScaling",
    "Optimizer",
    "RMSProp",
    "Schedule",
    "SearchResult",
    "StepDecay",
    "gradient_descent",
    "make_schedule",
    "minimize_lbfgs",
    "random_local_search",
    "random_search",
]
