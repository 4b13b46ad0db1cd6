"""The README's and the user guide's Python examples run as written, in order (the README's, then
the guide's pages in the order of its table of contents), and the set-up commands exist."""

import re
from pathlib import Path

from _imports import imported_modules, installed

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text()


def guide_pages() -> list[Path]:
    """The user guide's pages, in the order of the toctree of docs/guide/index.md."""
    index = (ROOT / "docs" / "guide" / "index.md").read_text()
    toctree = index.split("```{toctree}", 1)[1].split("```", 1)[0]
    names = [line.strip() for line in toctree.splitlines()[1:] if line.strip()]
    return [ROOT / "docs" / "guide" / f"{name}.md" for name in names if not name.startswith(":")]


def test_the_guide_lists_every_page_it_has():
    pages = guide_pages()
    assert all(page.is_file() for page in pages)
    assert set(pages) == set((ROOT / "docs" / "guide").glob("*.md")) - {
        ROOT / "docs" / "guide" / "index.md"
    }


def test_a_block_is_skipped_only_for_a_module_it_imports():
    assert imported_modules("import sklearn, torch\nfrom dask.distributed import Client") == {
        "sklearn",
        "torch",
        "dask",
    }


def test_readme_python_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = "\n".join([README] + [page.read_text() for page in guide_pages()])
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 3
    namespace: dict = {"__name__": "__main__"}
    # a block runs where every module it imports is installed (torch, and Dask of the
    # "distributed" extra, are not in the test extra); the first blocks need only the base
    has_dask, has_torch = installed("dask"), installed("torch")
    for block in blocks:
        if not all(installed(module) for module in imported_modules(block)):
            continue
        exec(compile(block, "README.md and docs/guide", "exec"), namespace)
    assert namespace["model"].score(namespace["X_test"], namespace["y_test"]) > 0.95
    assert namespace["losses"][-1] < namespace["losses_random"][-1]
    assert namespace["mlp"].score(namespace["X_test"] / 16, namespace["y_test"]) > 0.9
    assert namespace["loss"] < 0.5  # the hand-written training loop of ml.nn learns
    assert namespace["cnn"].score(namespace["I_test"], namespace["l_test"]) > 0.9
    assert (tmp_path / "digits-mlp.ml").is_file() and (tmp_path / "my-net.ml").is_file()
    if has_torch:
        assert type(namespace["proba"]).__name__ == "Tensor"
    if has_dask:
        assert namespace["search"].best_score_ > 0.9
        assert namespace["incremental"].score(namespace["X_big"], namespace["y_big"]) > 0.9
        parallel = namespace["parallel"].estimator_
        assert parallel.score(namespace["X_test"] / 16, namespace["y_test"]) > 0.9
    if installed("onnxruntime"):
        assert namespace["label"].shape == namespace["y_test"].shape


def test_readme_has_the_two_set_up_commands_that_ci_runs():
    ci = (Path(__file__).parents[2] / ".ci" / "run").read_text()
    for command in [
        "pip install . && python -m ml demo",
        'pip install ".[test]" && python -m pytest',
    ]:
        assert f"\n{command}\n" in README
        assert command in ci
    docs = 'pip install ".[docs]" && python -m sphinx -W docs docs/_build/html'
    assert f"\n{docs}\n" in README and docs in ci  # the site's build, which CI runs too
