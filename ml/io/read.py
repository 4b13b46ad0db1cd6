"""A model file's JSON description and arrays back into values, networks and random states.

Loading checks a layer's configuration against the shapes of its stored arrays before the layer
is built, so a file cannot make us allocate more than the arrays it actually holds; unknown
layer types and mismatched shapes are refused with :class:`ml.io.archive.InvalidModelFile`.
The inverse of :mod:`ml.io.write`.
"""

from __future__ import annotations

import numpy as np

from ml.io.archive import InvalidModelFile
from ml.nn.layers import LAYERS, Layer
from ml.nn.sequential import Sequential

__all__ = ["decode", "layer_classes", "network_from_spec", "rng_from_state"]


def layer_classes(custom_layers=()) -> dict[str, type]:
    """The layer classes a file may name: ml.nn's, and the caller's own ``custom_layers``
    (Keras's ``custom_objects``). The file names a class; it never supplies one."""
    if isinstance(custom_layers, type) or not hasattr(custom_layers, "__iter__"):
        raise TypeError(f"custom_layers must be a list of Layer classes; got {custom_layers!r}.")
    classes = dict(LAYERS)
    for cls in custom_layers:
        if not (isinstance(cls, type) and issubclass(cls, Layer)):
            raise TypeError(f"custom_layers must hold ml.nn.Layer subclasses; got {cls!r}.")
        if classes.get(cls.__name__, cls) is not cls:
            raise ValueError(
                f"custom_layers: {cls.__name__} is the name of an ml.nn layer; name yours "
                "otherwise."
            )
        classes[cls.__name__] = cls
    return classes


def network_from_spec(spec, arrays: dict, prefix: str, classes=LAYERS) -> Sequential:
    """Rebuild a network from :func:`ml.io.write.network_spec`'s description and its arrays,
    its layers among ``classes`` (:func:`layer_classes`)."""
    if not isinstance(spec, dict) or spec.get("type") != "Sequential":
        raise InvalidModelFile("the network description must be a Sequential.")
    entries = spec.get("layers")
    if not isinstance(entries, list):
        raise InvalidModelFile("the network description has no list of layers.")
    built = []
    for i, entry in enumerate(entries):
        name = f"{prefix}.{i}"
        kind = entry.get("type") if isinstance(entry, dict) else entry
        if not isinstance(kind, str) or kind not in classes:
            raise InvalidModelFile(
                f"layer {i} has an unknown type {kind!r}; known: {', '.join(sorted(classes))} "
                "(a layer class of your own loads when you name it: "
                "ml.load(path, custom_layers=[MyLayer]))."
            )
        if kind == "Sequential":
            built.append(network_from_spec(entry, arrays, name, classes))
        else:
            built.append(_layer_from_entry(i, entry, arrays, name, classes[kind]))
    return Sequential(*built)


def _layer_from_entry(i, entry, arrays, name, cls):
    """The layer ``entry`` describes, its config checked against its stored arrays' shapes
    (:meth:`ml.nn.Layer.array_shapes`) before the layer is built."""
    kind, config = entry["type"], entry.get("config", {})
    keys = entry.get("arrays", [])
    if not isinstance(config, dict) or not isinstance(keys, list):
        raise InvalidModelFile(f"layer {i} ({kind}) has a malformed description.")
    stored = {}
    for key in keys:
        if not isinstance(key, str) or f"{name}.{key}" not in arrays:
            raise InvalidModelFile(f"layer {i} ({kind}) misses its array {key!r}.")
        stored[key] = arrays[f"{name}.{key}"]
    try:
        expected = cls.array_shapes(config)
    except (TypeError, ValueError) as error:
        raise InvalidModelFile(f"layer {i} ({kind}) has an invalid config: {error}") from None
    got = {key: tuple(value.shape) for key, value in stored.items()}
    if got != expected:
        raise InvalidModelFile(
            f"layer {i} ({kind} with {config}) needs arrays of shapes {expected}; "
            f"the file holds {got}."
        )
    dtype = next(iter(stored.values())).dtype if stored else np.float32
    if stored and dtype.kind != "f":
        raise InvalidModelFile(f"layer {i} ({kind}) has arrays of dtype {dtype}, not float.")
    for key, value in stored.items():
        if not np.isfinite(value).all() or (key == "running_var" and (value < 0).any()):
            raise InvalidModelFile(f"layer {i} ({kind}): {key} holds invalid values.")
    try:
        layer = cls.from_config(config, dtype)
    except (TypeError, ValueError) as error:
        raise InvalidModelFile(
            f"layer {i} ({kind}) has an invalid config {config}: {error}"
        ) from None
    layer.load_state_dict(stored)
    if "rng" in entry:
        layer.rng = rng_from_state(entry["rng"])
    return layer


def rng_from_state(state) -> np.random.Generator:
    """A PCG64 Generator set to ``state`` (as :func:`rng_state` returned it)."""
    if not isinstance(state, dict) or state.get("bit_generator") != "PCG64":
        raise InvalidModelFile("a random-number state in the file is not a PCG64 state.")
    rng = np.random.default_rng()
    try:
        rng.bit_generator.state = state
    except (TypeError, ValueError, KeyError) as error:
        raise InvalidModelFile(f"a random-number state in the file is invalid: {error}") from None
    return rng


def decode(value, arrays, classes=LAYERS):
    """The value that :func:`ml.io.write.encode` described, its arrays taken from ``arrays``
    and its networks' layers among ``classes``."""
    if isinstance(value, list):
        return [decode(v, arrays, classes) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        return tuple(decode(v, arrays, classes) for v in value["__tuple__"])
    if "__dict__" in value:
        return {
            decode(k, arrays, classes): decode(v, arrays, classes) for k, v in value["__dict__"]
        }
    if "__text__" in value:
        text = value["__text__"]
        if not isinstance(text, list) or not all(isinstance(item, str) for item in text):
            raise InvalidModelFile("a text array in the file is not a list of strings.")
        array = np.empty(len(text), dtype=object)
        array[:] = text
        return array
    if "__array__" in value:
        if value["__array__"] not in arrays:
            raise InvalidModelFile(f"the file misses the array {value['__array__']!r}.")
        array = arrays[value["__array__"]]
        return array.astype(object) if value.get("object") else array
    if "__network__" in value:
        return network_from_spec(value["__network__"], arrays, str(value.get("prefix")), classes)
    if "__rng__" in value:
        return rng_from_state(value["__rng__"])
    if value.get("__dtype__") in ("float32", "float64"):
        return np.dtype(value["__dtype__"])
    raise InvalidModelFile(f"the file holds a value of unknown form: {sorted(value)}.")
