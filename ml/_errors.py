"""Exceptions of the package that are not a plain ValueError or TypeError."""


class DivergenceError(FloatingPointError, ValueError):
    """The loss became NaN or infinite: the learning rate is too large or the input too big.

    A ``FloatingPointError`` for what happened and a ``ValueError`` for its usual cause, a bad
    argument; the weights are left at their last finite values.
    """
