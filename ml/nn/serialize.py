"""Networks to and from a JSON description plus named arrays (the model file's contents).

Loading checks a layer's configuration against the shapes of its stored arrays before the layer
is built, so a file cannot make us allocate more than the arrays it actually holds; unknown
layer types and mismatched shapes are refused with :class:`ml._archive.InvalidModelFile`.
"""

from __future__ import annotations

import numbers

import numpy as np

from ml._archive import InvalidModelFile, write_archive
from ml._version import __version__
from ml.nn import conv, layers
from ml.nn.sequential import Sequential

__all__ = [
    "LAYER_TYPES",
    "network_from_spec",
    "network_to_spec",
    "rng_from_state",
    "rng_state",
    "save_network",
]

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
        layers.BatchNorm1d,
        layers.Flatten,
        conv.Conv2D,
        conv.MaxPool2D,
        conv.AvgPool2D,
        conv.GlobalAvgPool2D,
        conv.BatchNorm2d,
        Sequential,
    ]
}
_STATE = ("running_mean", "running_var")  # BatchNorm's arrays that are not parameters


def network_to_spec(network: Sequential, arrays: dict, prefix: str) -> dict:
    """Describe ``network`` as JSON-able data; its arrays go into ``arrays`` under ``prefix``."""
    spec = []
    for i, layer in enumerate(network.layers):
        name = f"{prefix}.{i}"
        if isinstance(layer, Sequential):
            spec.append(
                {"type": "Sequential", "layers": network_to_spec(layer, arrays, name)["layers"]}
            )
            continue
        entry = {"type": type(layer).__name__, "config": layer.get_config(), "arrays": []}
        stored = {**layer.params, **{k: getattr(layer, k) for k in _STATE if hasattr(layer, k)}}
        for key, value in stored.items():
            arrays[f"{name}.{key}"] = value
            entry["arrays"].append(key)
        if isinstance(layer, layers.Dropout):
            entry["rng"] = rng_state(layer.rng)
        spec.append(entry)
    return {"type": "Sequential", "layers": spec}


def save_network(network: Sequential, path) -> None:
    """Write ``network`` to the model file ``path``; ``ml.load(path)`` reads it back."""
    arrays: dict[str, np.ndarray] = {}
    spec = network_to_spec(network, arrays, "network")
    write_archive(path, {"kind": "network", "ml_version": __version__, "network": spec}, arrays)


def network_from_spec(spec, arrays: dict, prefix: str) -> Sequential:
    """Rebuild a network from :func:`network_to_spec`'s description and the stored arrays."""
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
    kwargs = dict(config, dtype=dtype) if "W" in stored or "gamma" in stored else dict(config)
    try:
        layer = cls(**kwargs)
    except (TypeError, ValueError) as error:
        raise InvalidModelFile(
            f"layer {i} ({entry['type']}) has an invalid config {config}: {error}"
        ) from None
    for key, value in stored.items():
        target = layer.params[key] if key in layer.params else getattr(layer, key)
        target[...] = value
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


def rng_state(rng: np.random.Generator) -> dict:
    """The JSON-able state of a NumPy Generator, to continue its stream after loading."""
    return rng.bit_generator.state


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
