"""Exceptions of the package that are not a plain ValueError or TypeError."""


class DivergenceError(FloatingPointError, ValueError):
    """The loss became NaN or infinite: the learning rate is too large or the input too big.

    A ``FloatingPointError`` for what happened and a ``ValueError`` for its usual cause, a bad
    argument; the weights are left at their last finite values.

    Examples
    --------
    >>> import numpy as np
    >>> import ml
    >>> try:  # a step of 1.5 on w^2 doubles w at every step, until it overflows
    ...     with np.errstate(over="ignore"):
    ...         ml.gradient_descent(lambda w: float(np.sum(w**2)), lambda w: 2 * w, (2,),
    ...                             step_size=1.5, max_iter=2000, verbose=False)
    ... except ml.DivergenceError as error:
    ...     print(isinstance(error, ValueError), "step_size=1.5" in str(error))
    True True
    """
