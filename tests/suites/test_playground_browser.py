"""The playground's page in a real browser: headless Chromium (Debian's ``chromium``), driven by
Playwright, against the real server on 127.0.0.1. Elements are found by ``data-testid``."""

import importlib.util
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from _browser import launch, skip_without_chromium, watch_errors

import ml

_EXTRA = "the playground extra: pip install 'ml-nn[playground]'"
_server = pytest.importorskip("ml.playground._server", reason=_EXTRA)
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright: pip install playwright")

skip_without_chromium()
SLOW = 90_000  # ms: a bound for training to get somewhere on a busy 2-core machine


@pytest.fixture(scope="module")
def server():
    with _server.Playground(port=0) as playground:
        yield playground


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1360, "height": 900}, accept_downloads=True)
    page = watch_errors(context.new_page())
    yield page
    context.close()
    assert not page.errors


def _open(page, server, query=""):
    page.goto(server.url + query)
    page.wait_for_function("() => data !== null")  # the server's first answer arrived


READOUTS = ("train-accuracy", "test-accuracy", "train-loss", "epoch")


def _train_until(page, testid, above, readouts=None):
    """Play until the page shows ``testid`` above ``above``, then pause; return the value it
    showed then. The page's readouts at that same moment go into ``readouts``: they are read in
    the one step that sees the condition, for training goes on (and a score may dip again)
    until the pause arrives."""
    page.get_by_test_id("play").click()
    shown = page.wait_for_function(
        """([testid, above, names]) => {
            const read = (name) => document.querySelector(`[data-testid="${name}"]`).textContent;
            if (!(Number.parseFloat(read(testid)) > above)) return false;
            return Object.fromEntries(names.map((name) => [name, Number.parseFloat(read(name))]));
        }""",
        arg=[testid, above, list(READOUTS)],
        timeout=SLOW,
    ).json_value()
    page.get_by_test_id("pause").click()
    if readouts is not None:
        readouts.update(shown)
    return shown[testid]


def test_spirals_reach_90_percent_test_accuracy(page, server, tmp_path):
    _open(page, server)
    page.get_by_test_id("dataset").select_option("spirals")
    shown = {}
    assert _train_until(page, "test-accuracy", 0.9, shown) > 0.9
    assert shown["train-loss"] < 0.4 and shown["epoch"] > 0
    page.screenshot(path=tmp_path / "playground.png")
    assert (tmp_path / "playground.png").read_bytes()[:4] == b"\x89PNG"


def test_four_blobs_train_and_every_class_has_an_output(page, server):
    _open(page, server, "?dataset=blobs&classes=4&noise=0")
    assert page.get_by_test_id("classes").input_value() == "4"
    assert page.evaluate("data.classes") == [0, 1, 2, 3]
    assert _train_until(page, "test-accuracy", 0.9) > 0.9
    assert page.evaluate("frame.weights.at(-1)[0].length") == 4  # one output unit per class


def test_a_regression_set_trains_and_shows_r2(page, server):
    _open(page, server, "?dataset=plane&layers=8&activation=tanh")
    assert page.evaluate("data.task") == "regression"
    assert page.locator("#score-name").text_content() == "R²"
    assert _train_until(page, "test-accuracy", 0.9) > 0.9  # the score column holds R^2


def test_points_drawn_with_the_mouse_train(page, server):
    _open(page, server, "?test=0&layers=8&activation=tanh")
    page.get_by_test_id("clear-points").click()
    page.wait_for_function("() => data.train.x.length === 0")
    regions = page.get_by_test_id("regions")
    box = regions.bounding_box()
    clicks = [(0, x, y) for x in (0.15, 0.25) for y in (0.2, 0.5, 0.8)]
    clicks += [(1, 1 - x, y) for _, x, y in clicks]
    for n, (label, x, y) in enumerate(clicks):
        page.get_by_test_id("draw-class").select_option(str(label))
        regions.click(position={"x": x * box["width"], "y": y * box["height"]})
        page.wait_for_function("n => data.train.x.length === n", arg=n + 1)
    drawn = parse_qs(urlparse(page.url).query)["data"][0].split(";")
    assert len(drawn) == 12 and {p.split(",")[2] for p in drawn} == {"0", "1"}
    assert page.get_by_test_id("dataset").input_value() == "custom"
    assert _train_until(page, "train-accuracy", 0.99) == 1.0


def test_an_uploaded_csv_trains(page, server, tmp_path):
    rng = np.random.default_rng(0)
    centres = np.array([[-3, -3], [3, -3], [0, 3]])
    labels = rng.integers(0, 3, size=300)
    points = centres[labels] + rng.normal(0, 0.6, size=(300, 2))
    csv = tmp_path / "mine.csv"
    rows = [f"{a},{b},{c}\n" for (a, b), c in zip(points, labels, strict=True)]
    csv.write_text("x1,x2,label\n" + "".join(rows))
    _open(page, server)
    page.get_by_test_id("csv").set_input_files(csv)
    page.wait_for_function("() => data.config.dataset === 'custom' && data.classes.length === 3")
    assert page.get_by_test_id("dataset").input_value() == "custom"
    assert _train_until(page, "test-accuracy", 0.9) > 0.9


def test_exports_a_model_that_ml_loads_and_a_png(page, server, tmp_path):
    _open(page, server, "?dataset=moons&features=x1,x2,x1*x2&layers=6,4&activation=tanh,relu")
    page.get_by_test_id("step").click()
    page.wait_for_function("() => frame && frame.epoch === 1")
    with page.expect_download() as download:
        page.get_by_test_id("export-model").click()
    download.value.save_as(tmp_path / download.value.suggested_filename)
    model = ml.load(tmp_path / "playground.ml")
    assert isinstance(model, ml.MLPClassifier) and model.hidden_layer_sizes == (6, 4)
    assert list(model.feature_names_in_) == ["x1/6", "x2/6", "x1*x2/36"]
    if importlib.util.find_spec("onnx") is not None:
        with page.expect_download() as download:
            page.get_by_test_id("export-onnx").click()
        assert download.value.suggested_filename == "playground.onnx"
        download.value.save_as(tmp_path / "playground.onnx")
        assert b"feature_names" in (tmp_path / "playground.onnx").read_bytes()
    with page.expect_download() as download:
        page.get_by_test_id("export-png").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name == "playground.png" and path.read_bytes()[:4] == b"\x89PNG"


def test_the_url_holds_every_setting(page, server, browser):
    query = (
        "?dataset=xor&noise=0.2&points=300&test=0.4&features=x1,x2,sin(x1)&layers=4,3"
        "&activation=tanh,sigmoid&dropout=0.1&l2=0.001&optimizer=momentum&lr=0.03&batch=8&seed=7"
    )
    _open(page, server, query)
    expected = {"dataset": "xor", "noise": "0.2", "points": "300", "test": "0.4", "seed": "7"}
    expected |= {"dropout": "0.1", "l2": "0.001", "optimizer": "momentum", "lr": "0.03"}
    for testid, value in {**expected, "batch": "8"}.items():
        assert page.get_by_test_id(testid).input_value() == value, testid
    assert page.get_by_test_id("layer-1-activation").input_value() == "sigmoid"
    assert page.get_by_test_id("feature-sin(x1)").is_checked()
    page.get_by_test_id("l2").fill("0.01")
    page.get_by_test_id("l2").dispatch_event("change")
    page.wait_for_function("() => data.config.l2 === 0.01")
    shared = page.url
    other = browser.new_page()
    other.goto(shared)
    other.wait_for_function("() => data !== null")
    assert other.get_by_test_id("l2").input_value() == "0.01"
    assert other.evaluate("data.train.x") == page.evaluate("data.train.x")  # seeded: same points
    other.close()


def test_a_bad_link_shows_the_problem_and_starts_from_the_defaults(page, server):
    page.goto(server.url + "?layers=40")
    page.wait_for_function("() => data !== null")
    assert (
        "layers: each width must be 1 to 16; got 40" in page.get_by_test_id("error").text_content()
    )
    assert page.get_by_test_id("dataset").input_value() == "spirals"
    assert page.evaluate("data.config.layers") == [16, 16, 16]
