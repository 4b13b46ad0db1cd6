"""The lecture's notebooks run top to bottom in a fresh kernel, and their committed copies show
their outputs (figures included) without running."""

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((Path(__file__).parents[2] / "notebooks").glob("*.ipynb"))


def test_there_is_a_notebook_per_section_of_the_lecture():
    assert [path.name[:2] for path in NOTEBOOKS] == ["01", "02", "03", "04", "05", "06", "07"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_runs_in_a_fresh_kernel(path, tmp_path):
    committed = nbformat.read(path, as_version=4)
    figures = [
        output
        for cell in committed.cells
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    assert figures, "the committed notebook shows no figure"
    fresh = nbformat.read(path, as_version=4)
    for cell in fresh.cells:
        cell.pop("outputs", None)
    nbclient.NotebookClient(
        fresh, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()  # raises CellExecutionError on any error
    checks = [
        output["text"]
        for cell in fresh.cells
        for output in cell.get("outputs", [])
        if "check(answer" in cell.source and output.get("name") == "stdout"
    ]
    assert len(checks) >= 2 and all("not answered yet" in text for text in checks)
