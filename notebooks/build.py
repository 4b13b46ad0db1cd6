"""Write the lecture's notebooks from the cells below and run each in a fresh kernel, so that the
committed notebooks hold their outputs (figures included).

    pip install ".[test]" && python notebooks/build.py            # all of them
    python notebooks/build.py 03                                   # those whose name starts so

A cell is a string: markdown when it starts with "md:", code otherwise. The texts live here so
that a change to the lecture is one edit; the test suite executes the written notebooks.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from notebooks_text import NOTEBOOKS

HERE = Path(__file__).parent

CHECK = '''\
def check(answer, expected, tol=1e-6):
    """Compare an exercise's answer with the expected value; prints, never raises."""
    if answer is None:
        print("not answered yet: replace None with your answer")
    elif abs(float(answer) - float(expected)) <= tol * max(1.0, abs(float(expected))):
        print("correct!")
    else:
        print(f"not quite: {answer} is not {expected:.6g}, try again")'''


def notebook(cells: list[str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for cell in cells:
        if cell.startswith("md:"):
            nb.cells.append(nbformat.v4.new_markdown_cell(cell[3:].strip()))
        else:
            nb.cells.append(nbformat.v4.new_code_cell(cell.strip().replace("CHECK", CHECK)))
    return nb


def main(prefixes: list[str]) -> None:
    for name, cells in NOTEBOOKS.items():
        if prefixes and not any(name.startswith(p) for p in prefixes):
            continue
        nb = notebook(cells)
        NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(HERE)}}).execute()
        nbformat.write(nb, HERE / f"{name}.ipynb")
        print(f"wrote notebooks/{name}.ipynb")


if __name__ == "__main__":
    main(sys.argv[1:])
