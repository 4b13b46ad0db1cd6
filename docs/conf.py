"""Sphinx configuration of ml's documentation site.

Build it from a clone: ``pip install ".[docs]" && python -m sphinx -W docs docs/_build/html``.
The API reference is generated from the docstrings (autosummary, numpydoc); the notebooks of
``notebooks/`` are rendered as committed, outputs included, without being run (myst-nb).
"""

import ml

project = "ml"
author = "the ml developers"
copyright = "2026, the ml developers"  # noqa: A001 (Sphinx's name)
release = version = ml.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
]

exclude_patterns = ["_build", "notebooks/*.py", "**.ipynb_checkpoints"]
templates_path = ["_templates"]

# the API reference: one page per public name, its docstring in numpydoc's sections
autosummary_generate = True
autosummary_imported_members = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# the notebooks are committed with their outputs and are shown as they are
nb_execution_mode = "off"
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}

html_theme = "pydata_sphinx_theme"
html_title = f"ml {release}"
html_static_path = ["_static"]
html_favicon = "_static/favicon.svg"
html_context = {"default_mode": "light"}  # an explicit mode: "auto" logs a console error
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_show_sourcelink = False
html_copy_source = False
