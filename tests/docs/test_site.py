"""The documentation site, built as the README says (warnings as errors), then read in a real
browser as a user would: the index, a search, an API page and a notebook page load without
console errors; every public name has its page; the estimators' pages list their parameters."""

import functools
import http.server
import importlib.util
import inspect
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from _browser import launch, skip_without_chromium, watch_errors
from _reference import entries

for _module in ("sphinx", "pydata_sphinx_theme", "numpydoc", "myst_nb"):
    if importlib.util.find_spec(_module) is None:
        pytest.skip(f"the docs extra: pip install '.[docs]' ({_module})", allow_module_level=True)

import ml  # noqa: E402

ROOT = Path(__file__).parents[2]
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    command = [sys.executable, "-m", "sphinx", "-W", "-q", "-d", str(out / ".doctrees")]
    done = subprocess.run(
        [*command, str(ROOT / "docs"), str(out / "html")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out / "html"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # no line per request on stderr
        pass


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
        httpd.shutdown()


def test_every_public_name_and_notebook_has_its_page(site):
    generated = site / "api" / "generated"
    missing = [name for name in entries() if not (generated / f"{name}.html").is_file()]
    assert not missing, f"no API page for {missing}"
    for notebook in NOTEBOOKS:
        page = (site / "notebooks" / f"{notebook}.html").read_text()
        assert "<img" in page  # rendered with its committed figures


@pytest.mark.parametrize(
    "estimator",
    [
        ml.SoftmaxClassifier,
        ml.MLPClassifier,
        ml.MLPRegressor,
        ml.ConvNetClassifier,
        ml.ConvNetRegressor,
    ],
)
def test_the_estimators_pages_list_their_parameters(site, estimator):
    page = (site / "api" / "generated" / f"ml.{estimator.__name__}.html").read_text()
    listed = {
        n.strip()
        for entry in re.findall(r"<strong>([^<]*)</strong>", page)
        for n in entry.split(",")
    }
    for name in inspect.signature(estimator).parameters:
        assert name in listed, f"{estimator.__name__}'s page lacks {name}"


@pytest.fixture(scope="module")
def browser():
    skip_without_chromium()
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = watch_errors(context.new_page())
    yield page
    context.close()
    assert not page.errors


def test_the_index_links_into_the_guide_and_the_reference(page, server):
    page.goto(f"{server}/index.html")
    assert page.title().startswith("ml")
    page.get_by_role("link", name="User guide").first.click()
    page.wait_for_url("**/guide/index.html")
    assert page.get_by_role("heading", name="User guide").is_visible()


def test_the_search_finds_an_estimator(page, server):
    page.goto(f"{server}/search.html?q=MLPClassifier")
    result = page.locator("#search-results a", has_text="MLPClassifier").first
    result.wait_for(timeout=60_000)
    result.click()
    page.wait_for_url("**/ml.MLPClassifier.html*")


def test_an_api_page_shows_the_parameters(page, server):
    page.goto(f"{server}/api/generated/ml.MLPClassifier.html")
    assert page.locator("dl.field-list dt", has_text="Parameters").first.is_visible()
    assert page.locator("dt", has_text="hidden_layer_sizes").first.is_visible()


def test_a_notebook_page_shows_its_code_and_figures(page, server):
    page.goto(f"{server}/notebooks/{NOTEBOOKS[0]}.html")
    assert page.locator("div.cell").count() > 3
    figure = page.locator("div.cell_output img").first
    figure.wait_for()
    assert figure.evaluate("img => img.complete && img.naturalWidth > 0")
