"""``model.save(path)`` and ``ml.load(path)``: estimators and networks in safe model files.

An estimator is stored as its class name, its constructor parameters and its fitted state
(attributes, network, optimizer state and random-number state, so that training continues
exactly where it stopped). Only classes registered here can be loaded: the file names a class,
it never supplies code. See :mod:`ml._archive` for the file format and its guarantees.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from ml._archive import InvalidModelFile, read_archive, write_archive
from ml._version import __version__ as _ml_version
from ml.nn.sequential import Sequential
from ml.nn.serialize import network_from_spec, network_to_spec, rng_from_state, rng_state

__all__ = ["SaveMixin", "load"]

_REGISTRY: dict[str, type] = {}


class SaveMixin:
    """Gives an estimator ``save(path)``; ``ml.load(path)`` reads it back."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_"):
            _REGISTRY[cls.__name__] = cls

    def save(self, path) -> None:
        """Write this estimator to ``path`` (atomically; see :func:`ml.load`)."""
        arrays: dict[str, np.ndarray] = {}
        description = {
            "kind": "estimator",
            "ml_version": _ml_version,
            "class": type(self).__name__,
            "params": {
                k: _encode(v, arrays, f"params.{k}") for k, v in self._saved_params().items()
            },
            "fitted": self._fitted_state(arrays) if _is_fitted(self) else None,
        }
        write_archive(path, description, arrays)

    _saved_attributes: tuple[str, ...] = ()
    """The fitted attributes that a model file stores as they are."""

    def _fitted_state(self, arrays) -> dict:
        names = [
            k
            for k in (*self._saved_attributes, "n_features_in_", "feature_names_in_")
            if hasattr(self, k)
        ]
        return {k: _encode(getattr(self, k), arrays, k) for k in names}

    def _restore_fitted_state(self, state: dict, arrays) -> None:
        for key, value in state.items():
            if key not in (*self._saved_attributes, "n_features_in_", "feature_names_in_"):
                raise InvalidModelFile(f"unexpected fitted attribute {key!r}.")
            setattr(self, key, _decode(value, arrays))

    def _saved_params(self) -> dict:
        params = self.get_params(deep=False)
        if params.get("callbacks"):
            warnings.warn(
                "callbacks are code and are not saved; the loaded model has none.",
                UserWarning,
                stacklevel=3,
            )
            params["callbacks"] = None
        if not isinstance(params.get("random_state"), numbers.Integral | None):
            params["random_state"] = None
        return params


def load(path):
    """Read an estimator or a network written by ``save``.

    Loading never runs code from the file: it names one of ml's own classes, and its arrays are
    plain numbers. The loaded model predicts exactly what the saved one did, and can go on
    training (``partial_fit``, ``warm_start``).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ml.InvalidModelFile
        (a ValueError) if the file is not a model file, is truncated, corrupt, of a future format
        version, or describes layers or shapes that do not match its arrays.
    """
    description, arrays = read_archive(path)
    kind = description.get("kind")
    if kind == "network":
        return network_from_spec(description.get("network"), arrays, "network")
    if kind != "estimator":
        raise InvalidModelFile(f"path {str(path)!r} holds an unknown kind of object {kind!r}.")
    name = description.get("class")
    if name not in _REGISTRY:
        raise InvalidModelFile(
            f"path {str(path)!r} holds an unknown estimator class {name!r}; "
            f"known: {', '.join(sorted(_REGISTRY))}."
        )
    params = description.get("params")
    if not isinstance(params, dict):
        raise InvalidModelFile(f"path {str(path)!r}: the estimator's params are malformed.")
    try:
        model = _REGISTRY[name](**{k: _decode(v, arrays) for k, v in params.items()})
        model._check_params()
    except (TypeError, ValueError) as error:
        raise InvalidModelFile(
            f"path {str(path)!r}: invalid parameters for {name}: {error}"
        ) from None
    if description.get("fitted") is not None:
        try:
            model._restore_fitted_state(description["fitted"], arrays)
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            if isinstance(error, InvalidModelFile):
                raise
            raise InvalidModelFile(
                f"path {str(path)!r}: the fitted state of {name} is malformed: {error!r}"
            ) from None
    return model


def _is_fitted(model) -> bool:
    return any(k.endswith("_") and not k.startswith("__") for k in vars(model))


def _encode(value, arrays, name):
    """A JSON-able form of a parameter or attribute; tuples, dicts with other keys than text,
    arrays, networks and random states are tagged so that :func:`_decode` restores them."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, arrays, f"{name}.{i}") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, arrays, f"{name}.{i}") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {
            "__dict__": [
                [_encode(k, arrays, name), _encode(v, arrays, f"{name}.{i}")]
                for i, (k, v) in enumerate(value.items())
            ]
        }
    if isinstance(value, np.ndarray):
        arrays[name] = value.astype(str) if value.dtype == object else value
        return {"__array__": name, "object": value.dtype == object}
    if isinstance(value, Sequential):
        return {"__network__": network_to_spec(value, arrays, name), "prefix": name}
    if isinstance(value, np.random.Generator):
        return {"__rng__": rng_state(value)}
    if value is None or isinstance(value, str | bool | int | float):
        return value
    raise TypeError(f"{name} of type {type(value).__name__} cannot be saved in a model file.")


def _decode(value, arrays):
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        return tuple(_decode(v, arrays) for v in value["__tuple__"])
    if "__dict__" in value:
        return {_decode(k, arrays): _decode(v, arrays) for k, v in value["__dict__"]}
    if "__array__" in value:
        if value["__array__"] not in arrays:
            raise InvalidModelFile(f"the file misses the array {value['__array__']!r}.")
        array = arrays[value["__array__"]]
        return array.astype(object) if value.get("object") else array
    if "__network__" in value:
        return network_from_spec(value["__network__"], arrays, str(value.get("prefix")))
    if "__rng__" in value:
        return rng_from_state(value["__rng__"])
    raise InvalidModelFile(f"the file holds a value of unknown form: {sorted(value)}.")
