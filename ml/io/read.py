"""A model file's JSON description and arrays back into values, networks and random states.

Loading checks a layer's configuration against the shapes of its stored arrays before the layer
is built, so a file cannot make us allocate more than the arrays it actually holds; unknown
layer types and mismatched shapes are refused with :class:`ml.io.archive.InvalidModelFile`.
The inverse of :mod:`ml.io.write`.
"""

from __future__ import annotations

import numbers

import numpy as np

from ml.io.archive import InvalidModelFile
from ml.nn import conv, layers, norm
from ml.nn.sequential import Sequential

__all__ = ["LAYER_TYPES", "decode", "network_from_spec", "rng_from_state"]

LAYER_TYPES = {
    cls.__name__: cls
    for cls in [
        layers.Dense,
        layers.Activation,
        layers.Identity,
        layers.ReLU,
        layers.LeakyReLU,
        layers.Tanh,
        layers.Sigmoid,
        layers.Softplus,
        layers.Dropout,
        norm.BatchNorm1d,
        layers.Flatten,
        conv.Conv2D,
        conv.MaxPool2D,
        conv.AvgPool2D,
        conv.GlobalAvgPool2D,
        norm.BatchNorm2d,
        Sequential,
    ]
}


def network_from_spec(spec, arrays: dict, prefix: str) -> Sequential:
    """Rebuild a network from :func:`ml.io.write.network_spec`'s description and its arrays."""
    if not isinstance(spec, dict) or spec.get("type") != "Sequential":
        raise InvalidModelFile("the network description must be a Sequential.")
    entries = spec.get("layers")
    if not isinstance(entries, list):
        raise InvalidModelFile("the network description has no list of layers.")
    built = []
    for i, entry in enumerate(entries):
        name = f"{prefix}.{i}"
        if not isinstance(entry, dict) or entry.get("type") not in LAYER_TYPES:
            kind = entry.get("type") if isinstance(entry, dict) else entry
            raise InvalidModelFile(
                f"layer {i} has an unknown type {kind!r}; known: {', '.join(sorted(LAYER_TYPES))}."
            )
        if entry["type"] == "Sequential":
            built.append(network_from_spec(entry, arrays, name))
        else:
            built.append(_layer_from_entry(i, entry, arrays, name))
    return Sequential(*built)


def _layer_from_entry(i, entry, arrays, name):
    cls, config = LAYER_TYPES[entry["type"]], entry.get("config", {})
    keys = entry.get("arrays", [])
    if not isinstance(config, dict) or not isinstance(keys, list):
        raise InvalidModelFile(f"layer {i} ({entry['type']}) has a malformed description.")
    stored = {}
    for key in keys:
        if f"{name}.{key}" not in arrays:
            raise InvalidModelFile(f"layer {i} ({entry['type']}) misses its array {key!r}.")
        stored[key] = arrays[f"{name}.{key}"]
    expected = _expected_shapes(i, entry["type"], config)
    got = {key: tuple(value.shape) for key, value in stored.items()}
    if got != expected:
        raise InvalidModelFile(
            f"layer {i} ({entry['type']} with {config}) needs arrays of shapes {expected}; "
            f"the file holds {got}."
        )
    dtype = next(iter(stored.values())).dtype if stored else np.float32
    if stored and dtype.kind != "f":
        raise InvalidModelFile(
            f"layer {i} ({entry['type']}) has arrays of dtype {dtype}, not float."
        )
    for key, value in stored.items():
        if not np.isfinite(value).all() or (key == "running_var" and (value < 0).any()):
            raise InvalidModelFile(f"layer {i} ({entry['type']}): {key} holds invalid values.")
    kwargs = dict(config, dtype=dtype) if "W" in stored or "gamma" in stored else dict(config)
    try:
        layer = cls(**kwargs)
    except (TypeError, ValueError) as error:
        raise InvalidModelFile(
            f"layer {i} ({entry['type']}) has an invalid config {config}: {error}"
        ) from None
    layer.load_state_dict(stored)
    if isinstance(layer, layers.Dropout) and "rng" in entry:
        layer.rng = rng_from_state(entry["rng"])
    return layer


def _expected_shapes(i, kind, config) -> dict:
    """The array shapes a layer of this config has, computed without building it."""

    def number(key):
        return _positive_int(i, kind, key, config.get(key))

    if kind == "Dense":
        return {
            "W": (number("in_features"), number("out_features")),
            "b": (number("out_features"),),
        }
    if kind == "Conv2D":
        kernel = config.get("kernel_size")
        kernel = [kernel, kernel] if isinstance(kernel, numbers.Integral) else kernel
        if not (isinstance(kernel, list) and len(kernel) == 2):
            raise InvalidModelFile(f"layer {i} (Conv2D): kernel_size must be an int or a pair.")
        kh, kw = (_positive_int(i, kind, "kernel_size", k) for k in kernel)
        out, channels = number("out_channels"), number("in_channels")
        return {"W": (out, channels, kh, kw), "b": (out,)}
    if kind in ("BatchNorm1d", "BatchNorm2d"):
        n = (number("num_features"),)
        return {"gamma": n, "beta": n, "running_mean": n, "running_var": n}
    return {}


def _positive_int(i, kind, key, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InvalidModelFile(f"layer {i} ({kind}): {key} must be a positive int; got {value!r}.")
    return int(value)


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


def decode(value, arrays):
    """The value that :func:`ml.io.write.encode` described, its arrays taken from ``arrays``."""
    if isinstance(value, list):
        return [decode(v, arrays) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        return tuple(decode(v, arrays) for v in value["__tuple__"])
    if "__dict__" in value:
        return {decode(k, arrays): decode(v, arrays) for k, v in value["__dict__"]}
    if "__array__" in value:
        if value["__array__"] not in arrays:
            raise InvalidModelFile(f"the file misses the array {value['__array__']!r}.")
        array = arrays[value["__array__"]]
        return array.astype(object) if value.get("object") else array
    if "__network__" in value:
        return network_from_spec(value["__network__"], arrays, str(value.get("prefix")))
    if "__rng__" in value:
        return rng_from_state(value["__rng__"])
    if value.get("__dtype__") in ("float32", "float64"):
        return np.dtype(value["__dtype__"])
    raise InvalidModelFile(f"the file holds a value of unknown form: {sorted(value)}.")
