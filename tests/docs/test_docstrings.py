"""Every public name of ml's API reference has its numpydoc sections, and its examples run.

The reference (docs/api) lists the public names of ``ml``, ``ml.nn``, ``ml.optim``,
``ml.plots``, ``ml.train`` and ``ml.distributed`` (and of four modules more). Each function and
class of those six documents every parameter of its signature under Parameters, what it returns
under Returns (a function that returns something), what it raises under Raises (one whose code
raises or checks its arguments), and has Examples, which run here as doctests.
"""

import doctest
import inspect
import re

import pytest
from _imports import imported_modules, installed
from _reference import callables

numpydoc = pytest.importorskip("numpydoc.docscrape", reason="the docs extra: numpydoc")

NAMES = callables()


def _signature_parameters(obj):
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return []
    return [
        p.name
        for p in signature.parameters.values()
        if p.name not in ("self", "cls") and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]


def _documented(section):
    names = set()
    for item in section:
        names.update(part.strip().lstrip("*") for part in item.name.split(","))
    return names


def _raises(obj) -> bool:
    """Whether the code raises or checks its arguments (a check_ helper, or validation)."""
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        source = inspect.getsource(target)
    except (OSError, TypeError):
        return False
    body = source.split('"""', 2)[-1] if source.count('"""') >= 2 else source
    return bool(re.search(r"\braise\b(?! StopIteration)|\bcheck_\w+\(|_check_params\(", body))


@pytest.mark.parametrize("name, obj", NAMES, ids=[n for n, _ in NAMES])
def test_every_public_name_has_its_numpydoc_sections(name, obj):
    doc = (numpydoc.ClassDoc if inspect.isclass(obj) else numpydoc.FunctionDoc)(obj)
    missing = []
    if not doc["Summary"]:
        missing.append("a summary line")
    parameters = _signature_parameters(obj)
    undocumented = set(parameters) - _documented(doc["Parameters"])
    if undocumented:
        missing.append(f"Parameters {sorted(undocumented)}")
    if not inspect.isclass(obj):
        returns = inspect.signature(obj).return_annotation
        if returns not in (None, "None") and not (doc["Returns"] or doc["Yields"]):
            missing.append("Returns")
    if _raises(obj) and not doc["Raises"]:
        missing.append("Raises")
    if not doc["Examples"]:
        missing.append("Examples")
    assert not missing, f"{name}'s docstring lacks {', '.join(missing)}"


def _examples():
    finder = doctest.DocTestFinder(recurse=False)
    tests = []
    for name, obj in NAMES:
        for test in finder.find(obj, name, globs={}):
            if test.examples:
                tests.append(test)
    return tests


EXAMPLES = _examples()


@pytest.mark.parametrize("test", EXAMPLES, ids=[t.name for t in EXAMPLES])
def test_the_docstrings_examples_run(test, tmp_path, monkeypatch):
    needed = imported_modules("\n".join(example.source for example in test.examples))
    missing = sorted(module for module in needed if not installed(module))
    if missing:
        pytest.skip(f"the example imports {', '.join(missing)}, which is not installed")
    monkeypatch.chdir(tmp_path)  # an example that saves writes here
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0, f"{test.name}'s example failed (its output is above)"
