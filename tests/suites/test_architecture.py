"""The house of ``../shared/design.md``: data flows down, imports point down. Every module of
``ml`` imports only from its own floor or the floors below it, read from its import statements."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[2] / "ml"

FLOORS = [  # bottom to top; a module's floor is its longest matching prefix
    ["ml._version", "ml._errors", "ml._validation", "ml._progress", "ml._blas", "ml.backend"],
    ["ml.datasets", "ml.functional", "ml.gradcheck"],
    ["ml.nn"],
    ["ml.optim", "ml.train", "ml._history", "ml._batches"],
    ["ml.io", "ml.onnx"],
    ["ml.estimators"],
    ["ml.cli", "ml.__main__", "ml.plots", "ml.playground", "ml.distributed", "ml"],
]


def _floor(module: str) -> int:
    matches = [
        (len(prefix), level)
        for level, prefixes in enumerate(FLOORS)
        for prefix in prefixes
        if module == prefix or module.startswith(prefix + ".")
    ]
    return max(matches)[1]


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name == "ml" or name.startswith("ml.")}


def _known(name: str) -> bool:
    """``ml.x.y`` names a module or package of ml (not a function imported from one)."""
    relative = Path(*name.split(".")[1:]) if "." in name else Path()
    return (PACKAGE / relative).with_suffix(".py").is_file() or (PACKAGE / relative).is_dir()


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_imports_point_down(path):
    module = _module_name(path)
    upward = [
        name
        for name in _imports(path)
        if _known(name) and _floor(name) > _floor(module) and name != "ml"
    ]
    assert not upward, f"{module} imports {upward} from a floor above its own"


def test_the_floors_are_read_from_real_imports():
    nn_imports = set().union(*(_imports(p) for p in (PACKAGE / "nn").glob("*.py")))
    assert "ml.backend" in nn_imports and _floor("ml.nn.layers") == 2
    assert _floor("ml.io.read") > _floor("ml.nn.sequential")


def test_import_ml_leaves_out_the_heavy_modules_it_does_not_need():
    """``import ml`` (the start of every script and of the CLI) loads scikit-learn's base, not
    its datasets, model selection or metrics (with SciPy's file readers, 10 MB and a quarter of
    a second), nor the optional libraries: those are imported where they are first used."""
    import subprocess
    import sys

    heavy = [
        "sklearn.datasets",
        "sklearn.model_selection",
        "sklearn.metrics",
        "scipy.io",
        "matplotlib",
        "torch",
        "dask",
        "onnx",
    ]
    code = f"import sys, ml; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
