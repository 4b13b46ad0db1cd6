"""The API reference's entries: the public names (``__all__``) of the modules docs/api lists."""

import importlib
import types

# the modules whose every function and class has numpydoc sections, and the others with a page
SECTIONED = ["ml", "ml.nn", "ml.optim", "ml.plots", "ml.train", "ml.distributed"]
PAGES = [*SECTIONED, "ml.datasets", "ml.functional", "ml.nn.init", "ml.nn.losses"]


def _module(name):
    try:
        return importlib.import_module(name)
    except ImportError:  # ml.distributed without Dask
        return None


def entries(modules=PAGES) -> list[str]:
    """The qualified name of each entry, as its page is named (``ml.nn.Dense``)."""
    out = []
    for name in modules:
        module = _module(name)
        for entry in getattr(module, "__all__", []):
            if entry != "__version__" and not isinstance(getattr(module, entry), types.ModuleType):
                out.append(f"{name}.{entry}")
    return out


def callables(modules=SECTIONED) -> list[tuple[str, object]]:
    """(qualified name, object) of every function and class, each object once."""
    seen, out = set(), []
    for qualified in entries(modules):
        module_name, entry = qualified.rsplit(".", 1)
        obj = getattr(_module(module_name), entry)
        if callable(obj) and id(obj) not in seen:
            seen.add(id(obj))
            out.append((qualified, obj))
    return out
