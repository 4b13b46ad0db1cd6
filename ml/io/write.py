"""Values, networks and random-number states into a model file's JSON description and arrays.

This side knows no layer class: a network is anything with ``layers`` (a list of layers and
nested networks), and a layer describes itself with ``get_config()`` (its constructor's
arguments) and ``state_dict()`` (its arrays). A layer class of your own is written by its name
and read back where the caller names the class (``ml.load(path, custom_layers=[MyLayer])``): a
file never holds code. :mod:`ml.io.read` is the inverse.
"""

from __future__ import annotations

import array_api_compat
import numpy as np

from ml._version import __version__
from ml.backend import to_numpy
from ml.io.archive import write_archive

__all__ = ["encode", "network_spec", "rng_state", "save_network"]


def rng_state(rng: np.random.Generator) -> dict:
    """The JSON-able state of a NumPy Generator, to continue its stream after loading."""
    return rng.bit_generator.state


def network_spec(network, arrays: dict, prefix: str) -> dict:
    """Describe ``network`` as JSON-able data; its arrays go into ``arrays`` under ``prefix``."""
    spec = []
    for i, layer in enumerate(network.layers):
        name = f"{prefix}.{i}"
        if hasattr(layer, "layers"):
            spec.append(
                {"type": "Sequential", "layers": network_spec(layer, arrays, name)["layers"]}
            )
            continue
        entry = {"type": type(layer).__name__, "config": layer.get_config(), "arrays": []}
        for key, value in layer.state_dict().items():
            arrays[f"{name}.{key}"] = to_numpy(value)  # from any library: files hold NumPy
            entry["arrays"].append(key)
        if isinstance(getattr(layer, "rng", None), np.random.Generator):
            entry["rng"] = rng_state(layer.rng)
        spec.append(entry)
    return {"type": "Sequential", "layers": spec}


def save_network(network, path) -> None:
    """Write ``network`` to the model file ``path``; ``ml.load(path)`` reads it back."""
    arrays: dict[str, np.ndarray] = {}
    spec = network_spec(network, arrays, "network")
    write_archive(path, {"kind": "network", "ml_version": __version__, "network": spec}, arrays)


def encode(value, arrays: dict, name: str):
    """A JSON-able form of a parameter or attribute. Tuples, dicts, arrays, networks and random
    states are tagged so that :func:`ml.io.read.decode` restores them; arrays go into
    ``arrays`` under ``name``."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, arrays, f"{name}.{i}") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [encode(v, arrays, f"{name}.{i}") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {
            "__dict__": [
                [encode(k, arrays, name), encode(v, arrays, f"{name}.{i}")]
                for i, (k, v) in enumerate(value.items())
            ]
        }
    if array_api_compat.is_array_api_obj(value) and not isinstance(value, np.ndarray | type):
        value = to_numpy(value)  # a torch tensor or CuPy array of a model fitted on a GPU
    if isinstance(value, np.ndarray) and value.dtype == object and value.ndim == 1:
        if all(type(item) is str for item in value):
            # text exactly as it is (a NumPy str array would drop trailing NULs)
            return {"__text__": list(value)}
    if isinstance(value, np.ndarray):
        arrays[name] = value.astype(str) if value.dtype == object else value
        return {"__array__": name, "object": value.dtype == object}
    if hasattr(value, "layers") and hasattr(value, "state_dict"):
        return {"__network__": network_spec(value, arrays, name), "prefix": name}
    if isinstance(value, np.random.Generator):
        return {"__rng__": rng_state(value)}
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return {"__dtype__": np.dtype(value).name}
    if value is None or isinstance(value, str | bool | int | float):
        return value
    raise TypeError(f"{name} of type {type(value).__name__} cannot be saved in a model file.")
