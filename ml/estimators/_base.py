"""What every estimator's fit shares: it is all-or-nothing."""

from __future__ import annotations

import contextlib

from ml._errors import DivergenceError


@contextlib.contextmanager
def all_or_nothing(estimator):
    """Run a fit so that, if it raises, the estimator is left as it was before the call: a
    fitted one predicting exactly as before, an unfitted one unfitted.

    A fit checks everything (X, y, sample_weight, classes, device, parameters) and builds what
    a fresh fit needs as new objects before it trains; here the estimator's attributes are put
    back as they were on any error. Two outcomes of training itself are kept as they are, by
    their own rules: ``ml.DivergenceError`` keeps the last finite weights, and Ctrl-C (caught by
    the trainer) the best weights so far.
    """
    before = dict(vars(estimator))
    try:
        yield
    except DivergenceError:
        raise
    except BaseException:
        vars(estimator).clear()
        vars(estimator).update(before)
        raise
