"""``model.save(path)`` and ``ml.load(path)``: estimators and networks in safe model files.

An estimator is stored as its class name, its constructor parameters and its fitted state
(attributes, network, optimizer state and random-number state, so that training continues
exactly where it stopped). Only classes registered here can be loaded: the file names a class,
it never supplies code. See :mod:`ml.io.archive` for the file format and its guarantees.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from ml._version import __version__ as _ml_version
from ml.io.archive import InvalidModelFile, read_archive, write_archive
from ml.io.read import decode, layer_classes, network_from_spec
from ml.io.write import encode, save_network

__all__ = ["SaveMixin", "load", "save"]

_REGISTRY: dict[str, type] = {}


class SaveMixin:
    """Gives an estimator ``save(path)``; ``ml.load(path)`` reads it back."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # only ml's own concrete estimators: a file can name nothing else
        if cls.__module__.startswith("ml.") and not cls.__name__.startswith(("_", "Base")):
            _REGISTRY[cls.__name__] = cls

    def save(self, path) -> None:
        """Write this estimator to ``path`` (atomically; see :func:`ml.load`).

        Raises ``TypeError`` for what a model file could not bring back (a subclass of your
        own, a layer class of your own): ``save`` refuses what ``load`` would refuse.
        """
        if _REGISTRY.get(type(self).__name__) is not type(self):
            raise TypeError(
                f"{type(self).__name__} is not one of ml's estimators, so a model file could not "
                f"load it; save an instance of {', '.join(sorted(_REGISTRY))}, or pickle it."
            )
        arrays: dict[str, np.ndarray] = {}
        description = {
            "kind": "estimator",
            "ml_version": _ml_version,
            "class": type(self).__name__,
            "params": {
                k: encode(v, arrays, f"params.{k}") for k, v in self._saved_params().items()
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
        return {k: encode(getattr(self, k), arrays, k) for k in names}

    def _restore_fitted_state(self, state: dict, arrays, classes) -> None:
        for key, value in state.items():
            if key not in (*self._saved_attributes, "n_features_in_", "feature_names_in_"):
                raise InvalidModelFile(f"unexpected fitted attribute {key!r}.")
            setattr(self, key, decode(value, arrays, classes))

    @classmethod
    def _from_file(cls, description: dict, arrays: dict, classes: dict):
        """The estimator a model file's description and arrays hold, its parameters and fitted
        state checked (the file's older formats converted first)."""
        params = description.get("params")
        if not isinstance(params, dict):
            raise InvalidModelFile("the estimator's params are malformed.")
        model = cls(**{k: decode(v, arrays, classes) for k, v in params.items()})
        model._check_params()
        fitted = description.get("fitted")
        if fitted is not None:
            if not isinstance(fitted, dict):
                raise InvalidModelFile("the estimator's fitted state is malformed.")
            if description["format_version"] == 1 and "history_" in fitted:
                fitted = _network_state_from_version_1(fitted)
            if description["format_version"] <= 2 and "history_" in fitted:
                fitted = _network_state_from_version_2(fitted)
            model._restore_fitted_state(fitted, arrays, classes)
            _check_feature_names(model)
            model._check_fitted_state()
        return model

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


def save(model, path) -> None:
    """Write an estimator or an ``ml.nn`` network to the model file ``path``, atomically;
    :func:`load` reads it back. ``ml.save(model, path)`` is ``model.save(path)`` for an
    estimator.

    Parameters
    ----------
    model : an ml estimator or ml.nn.Sequential
    path : str or os.PathLike

    Raises
    ------
    TypeError
        If ``model`` is not one of ml's estimators or a network of ml.nn layers (a subclass of
        an estimator: pickle those).
    ValueError
        If the model holds what a model file cannot (labels that are not numbers, text,
        booleans or dates).

    Examples
    --------
    >>> import ml
    >>> from ml import nn
    >>> net = nn.Sequential(nn.Dense(4, 3), nn.ReLU(), nn.Dense(3, 2))
    >>> ml.save(net, "net.ml")
    >>> ml.load("net.ml").summary((4,)) == net.summary((4,))
    True
    """
    if hasattr(model, "layers") and hasattr(model, "state_dict"):
        save_network(model, path)
    elif isinstance(model, SaveMixin):
        model.save(path)
    else:
        raise TypeError(
            f"model must be an ml estimator or an ml.nn.Sequential; got {type(model).__name__}."
        )


def load(path, *, custom_layers=()):
    """Read an estimator or a network written by ``save``.

    Loading never runs code from the file: it names one of ml's own classes, or a layer class
    the caller names in ``custom_layers``, and its arrays are plain numbers. The loaded model
    predicts exactly what the saved one did, and can go on training (``partial_fit``,
    ``warm_start``).

    Parameters
    ----------
    path : str or os.PathLike
    custom_layers : list of ml.nn.Layer subclasses
        Your own layer classes that the file's networks use, found by class name (Keras's
        ``custom_objects``).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ml.InvalidModelFile
        (a ValueError) if the file is not a model file, is truncated, corrupt, of a future format
        version, or describes layers or shapes that do not match its arrays.

    Returns
    -------
    model : an ml estimator or ml.nn.Sequential
        Of the class the file names.

    Examples
    --------
    >>> import ml
    >>> X, y = ml.datasets.load_digits()
    >>> model = ml.SoftmaxClassifier(max_iter=5, random_state=0).fit(X, y)
    >>> model.save("softmax.ml")
    >>> bool((ml.load("softmax.ml").predict(X) == model.predict(X)).all())
    True
    """
    classes = layer_classes(custom_layers)
    description, arrays = read_archive(path)
    try:
        return _object_from(description, arrays, classes)
    except MemoryError:
        raise
    except Exception as error:  # whatever a hostile file provokes, it is an invalid file
        reason = str(error) if isinstance(error, InvalidModelFile) else repr(error)
        raise InvalidModelFile(f"path {str(path)!r}: {reason}") from None


def _object_from(description: dict, arrays: dict, classes: dict):
    kind = description.get("kind")
    if kind == "network":
        return network_from_spec(description.get("network"), arrays, "network", classes)
    if kind != "estimator":
        raise InvalidModelFile(f"the file holds an unknown kind of object {kind!r}.")
    name = description.get("class")
    if not isinstance(name, str) or name not in _REGISTRY:
        raise InvalidModelFile(
            f"the file holds an unknown estimator class {name!r}; known: "
            f"{', '.join(sorted(_REGISTRY))}."
        )
    return _REGISTRY[name]._from_file(description, arrays, classes)


_DERIVED_IN_VERSION_2 = (
    "loss_",
    "loss_curve_",
    "best_loss_",
    "validation_scores_",
    "best_validation_score_",
    "n_iter_",
    "t_",
)


def _network_state_from_version_1(fitted: dict) -> dict:
    """A format-1 network estimator's fitted state in format 2, where the curves and counters
    are read from ``history_`` and the optimizer keeps one step count instead of one per array."""
    history = {**fitted["history_"], "samples_seen": fitted["t_"], "n_iter": fitted["n_iter_"]}
    fitted = {k: v for k, v in fitted.items() if k not in _DERIVED_IN_VERSION_2}
    fitted["history_"] = history
    optimizer = fitted.pop("_optimizer", None)
    if optimizer is not None:
        pairs = [entry["__dict__"] for entry in optimizer["state"]]  # encoded dicts
        steps = [value for entry in pairs for key, value in entry if key == "t"]
        state = [{"__dict__": [[k, v] for k, v in entry if k != "t"]} for entry in pairs]
        fitted["_optimizer"] = {
            "learning_rate": optimizer["learning_rate"],
            "t": steps[0] if steps else 0,
            "state": state,
        }
        fitted["_schedule_rate"] = optimizer["schedule_rate"]
    return fitted


def _network_state_from_version_2(fitted: dict) -> dict:
    """A format-2 network estimator's fitted state in format 3, where one trainer's state holds
    the history, the generator and the optimizer's (the schedule's are the parameters', and the
    current rate is the optimizer's alone)."""
    fitted = dict(fitted)
    rng = fitted.pop("_rng")
    optimizer = fitted.pop("_optimizer", None)
    fitted.pop("_schedule_rate", None)
    trainer = {
        "optimizer": optimizer,
        "schedule": None if optimizer is None else {},
        "history": fitted.pop("history_"),
        "rng": rng.get("__rng__") if isinstance(rng, dict) else rng,
    }
    fitted["trainer_"] = _as_encoded(trainer)
    return fitted


def _as_encoded(value):
    """A plain JSON dict of format 2 as :func:`ml.io.write.encode` writes dicts (tagged), its
    plain dicts within too; values already encoded (tagged ``__...__``) are left as they are."""
    if isinstance(value, dict) and not any(str(key).startswith("__") for key in value):
        return {"__dict__": [[key, _as_encoded(item)] for key, item in value.items()]}
    return value


def _is_fitted(model) -> bool:
    return any(k.endswith("_") and not k.startswith("__") for k in vars(model))


def _check_feature_names(model) -> None:
    """``feature_names_in_``, when a file holds it, names each of the ``n_features_in_``."""
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return
    if not (
        isinstance(names, np.ndarray)
        and names.ndim == 1
        and names.dtype.kind in "OU"
        and len(names) == getattr(model, "n_features_in_", -1)
    ):
        raise InvalidModelFile("feature_names_in_ must name each of the n_features_in_ features.")
