"""Persistence: the model file and everything that goes into it, in one place.

- :mod:`ml.io.archive`: the file format (a ZIP of one JSON description and ``.npy`` arrays),
  read and written safely;
- :mod:`ml.io.write`: values, networks and random-number states into that description;
- :mod:`ml.io.read`: the same back, checked before anything is built or allocated;
- :mod:`ml.io.estimator`: ``save`` for estimators and ``ml.load`` for every model file.

This package's ``__init__`` imports nothing: ``ml.nn`` writes networks through
:mod:`ml.io.write` (which knows no layer class), while :mod:`ml.io.read` builds layers from
``ml.nn``, so neither side imports the other back.
"""
