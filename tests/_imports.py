"""What a piece of example code imports, and whether it is installed: examples (the README's,
the guide's, the docstrings') run where every module they import is there, else skip."""

import ast
import importlib.util


def imported_modules(code: str) -> set[str]:
    """The top-level modules ``code`` imports, read from its import statements."""
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None
