"""The README's Python examples run as written, in order, and its set-up commands exist."""

import importlib.util
import re
from pathlib import Path

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_readme_python_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert len(blocks) >= 3
    namespace: dict = {"__name__": "__main__"}
    has_dask = importlib.util.find_spec("dask") is not None  # the "distributed" extra
    has_torch = importlib.util.find_spec("torch") is not None
    for block in blocks:
        if ("dask" in block and not has_dask) or ("import torch" in block and not has_torch):
            continue
        exec(compile(block, "README.md", "exec"), namespace)
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


def test_readme_has_the_two_set_up_commands_that_ci_runs():
    ci = (Path(__file__).parents[1] / ".ci" / "run").read_text()
    for command in [
        "pip install . && python -m ml demo",
        'pip install ".[test]" && python -m pytest',
    ]:
        assert f"\n{command}\n" in README
        assert command in ci
