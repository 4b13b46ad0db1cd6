"""The playground without a browser: sessions (data, features, training, frames, export), and the
real server on 127.0.0.1 driven through WebSockets: malformed messages, several visitors,
disconnects, limits."""

import asyncio
import base64
import json
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest

import ml
from ml.playground import _data
from ml.playground._session import MAX_LAYERS, MAX_NEURONS, Session, check_config

_EXTRA = "the playground extra: pip install 'ml-nn[playground]'"
_server = pytest.importorskip("ml.playground._server", reason=_EXTRA)
websockets = pytest.importorskip("websockets", reason=_EXTRA)


def test_every_dataset_is_a_problem_on_the_plane():
    for name in _data.CLASSIFICATION + _data.REGRESSION:
        session = Session({"dataset": name, "classes": 4, "points": 200})
        points = np.vstack([session.points[p][0] for p in ("train", "test")])
        assert len(points) == 200 and np.abs(points).max() <= _data.EXTENT
        assert session.classification == (name in _data.CLASSIFICATION)
    assert len(Session({"dataset": "blobs", "classes": 5}).classes) == 5


def test_split_keeps_every_class_in_training_and_the_test_share():
    labels = np.array([0] * 50 + [1] * 30 + [2])
    train, test = _data.split(labels, len(labels), 0.2, seed=0)
    assert sorted(np.concatenate([train, test])) == list(range(len(labels)))
    assert set(labels[train]) == {0, 1, 2} and len(test) == 10 + 6


def test_features_are_scaled_functions_of_the_coordinates():
    points = np.array([[6.0, -3.0], [0.0, 1.5]])
    X = _data.features(points, ["x1", "x2^2", "x1*x2", "sin(x2)"])
    np.testing.assert_allclose(X[0], [1.0, 0.25, -0.5, np.sin(-3.0)])
    assert _data.feature_labels(["x1", "x1^2", "sin(x1)"]) == ["x1/6", "x1^2/36", "sin(x1)"]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("spirals", "config: expected an object"),
        ({"dataset": "mnist"}, "dataset: expected one of"),
        ({"colour": 1}, "unknown settings"),
        ({"layers": [4] * (MAX_LAYERS + 1)}, "layers: a list of at most 6"),
        ({"layers": [MAX_NEURONS + 1], "activation": "relu"}, "each width must be 1 to 16"),
        ({"layers": [4, 4], "activation": ["relu"]}, "activation: one name per hidden layer"),
        ({"layers": [4], "activation": ["swish"]}, "activation: expected one of"),
        ({"lr": "fast"}, "lr: expected a number"),
        ({"lr": float("nan")}, "lr: expected a number"),
        ({"points": 10**6}, "points: must be between 10 and 2000"),
        ({"batch": 2.5}, "batch: expected an integer"),
        ({"features": []}, "features: choose at least one"),
        ({"features": ["x3"]}, "features: expected one of"),
        ({"dataset": "custom"}, "data: draw or upload at least two points"),
        ({"dataset": "custom", "data": [[0, 0]]}, "data: expected a list of"),
        ({"dataset": "custom", "data": [[0, 0, "a"], [1, 1, 1]]}, "three numbers"),
        ({"dataset": "custom", "data": [[0, 0, 0]] * 2001}, "at most 2000 points"),
    ],
)
def test_bad_settings_name_the_setting(config, message):
    with pytest.raises(ValueError, match=message):
        check_config(config)


def test_settings_are_completed_and_ordered():
    config = check_config({"features": ["sin(x1)", "x1"], "layers": [3, 2], "activation": "tanh"})
    assert config["features"] == ["x1", "sin(x1)"] and config["activation"] == ["tanh", "tanh"]
    assert config["dataset"] == "spirals" and config["data"] == []


def test_a_session_trains_and_draws_frames():
    session = Session({"dataset": "xor", "points": 300, "features": ["x1", "x2", "x1*x2"]})
    assert session.frame() == {"type": "frame", "epoch": 0, "updates": 0}
    session.step(15)
    frame = session.frame()
    assert frame["epoch"] == 15 and frame["updates"] == 15 * session.updates_per_epoch
    assert frame["test_score"] > 0.9 and frame["train_loss"] < 0.4
    regions = np.frombuffer(base64.b64decode(frame["regions"]["data"]), np.uint8)
    assert regions.size == 2 * frame["regions"]["size"] ** 2  # both classes' probabilities
    assert [len(column) for column in frame["neurons"]] == [3, 16, 16, 16]
    assert [np.shape(W) for W in frame["weights"]] == [(3, 16), (16, 16), (16, 16), (16, 1)]
    json.dumps(frame, allow_nan=False)
    session.reset()
    assert session.epoch == 0 and not hasattr(session.model, "network_")


def test_regression_and_many_classes_and_your_own_points():
    plane = Session({"dataset": "plane", "layers": [8], "activation": "tanh"})
    plane.step(20)
    assert plane.frame()["test_score"] > 0.9  # R^2
    blobs = Session({"dataset": "blobs", "classes": 4, "noise": 0.0})
    blobs.step(10)
    frame = blobs.frame()
    assert frame["test_score"] > 0.9 and len(frame["weights"][-1][0]) == 4
    rows = [[x, y, int(x > 0)] for x in (-3, -2, 2, 3) for y in (-2, 0, 2)]
    mine = Session({"dataset": "custom", "data": rows, "test": 0.0})
    mine.step(30)
    assert mine.frame()["train_score"] == 1.0 and mine.frame()["test_score"] is None
    far = Session({"dataset": "custom", "data": [[100, 0, 0.5], [-50, 20, -0.5], [0, 0, 0.1]]})
    assert not far.classification and np.abs(far.points["train"][0]).max() <= 5


def test_csv_files_are_read_with_clear_errors():
    assert _data.parse_csv("x1,x2,label\n1,2,0\n\n3,4.5,1\n") == [[1, 2, 0], [3, 4.5, 1]]
    for text, message in [
        ("1,2,0\n3,4\n", "line 2 must be x1,x2,label"),
        ("1,2,0\n3,four,1\n", "line 2 is not three numbers"),
        ("1,2,0\n", "at least two points"),
        ("1,2,nan\n3,4,1\n", "line 1 must be"),
        (b"1,2,0", "expected the file's text"),
        ("1,2,0\n" * 50_000, "larger than 200 kB"),
    ]:
        with pytest.raises(ValueError, match=message):
            _data.parse_csv(text)


def test_the_exported_model_loads_and_names_its_inputs(tmp_path):
    session = Session({"dataset": "circles", "features": ["x1^2", "x2^2"], "layers": [4]})
    session.step(5)
    path = tmp_path / "model.ml"
    path.write_bytes(session.export())
    model = ml.load(path)
    assert list(model.feature_names_in_) == ["x1^2/36", "x2^2/36"]
    pandas = pytest.importorskip("pandas")
    X = session.X["test"]
    named = pandas.DataFrame(X, columns=model.feature_names_in_)
    np.testing.assert_allclose(model.predict_proba(named), session.model.predict_proba(X))
    assert not hasattr(session.model, "feature_names_in_")  # the session goes on predicting


@pytest.mark.parametrize("dataset", ["circles", "plane"])
def test_the_onnx_export_runs_in_onnxruntime_and_names_its_inputs(dataset):
    onnx = pytest.importorskip("onnx")
    onnxruntime = pytest.importorskip("onnxruntime")
    session = Session({"dataset": dataset, "features": ["x1", "x2", "x1*x2"], "layers": [4]})
    session.step(3)
    proto = onnx.load_from_string(session.export("onnx"))
    assert {p.key: p.value for p in proto.metadata_props}["feature_names"] == "x1/6,x2/6,x1*x2/36"
    X = session.X["test"]
    outputs = onnxruntime.InferenceSession(proto.SerializeToString()).run(None, {"X": X})
    np.testing.assert_allclose(outputs[0], session.model.predict(X), rtol=1e-12)  # labels or values


# --- the server, on loopback -------------------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    with _server.Playground(port=0) as playground:
        yield playground


def _connect(server):
    # max_queue=None: a test reads only the messages it looks for; with the default bound, the
    # unread ones would keep the client from reading the server's reply to its closing handshake
    return websockets.connect(server.url.replace("http", "ws") + "ws", max_queue=None)


async def _next(socket, kind, timeout=10):
    """The next message of type ``kind`` (others are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), deadline - time.monotonic()))
        if message["type"] == kind:
            return message


def test_the_page_and_its_scripts_are_served(server):
    page = urllib.request.urlopen(server.url, timeout=5).read().decode()
    assert 'data-testid="play"' in page and "/static/playground.js" in page
    script = urllib.request.urlopen(server.url + "static/playground.js", timeout=5).read()
    assert b"new WebSocket" in script


def test_malformed_messages_get_errors_and_the_session_goes_on(server):
    async def scenario():
        async with _connect(server) as socket:
            for bad, message in [
                ("not json", "not JSON"),
                ("[1, 2]", "needs a type"),
                ('{"type": "fly"}', "needs a type"),
                ('{"type": "play"}', "send a config message first"),
                ('{"type": "config", "config": {"layers": "many"}}', "layers"),
                ('{"type": "csv", "text": "a,b"}', "csv"),
                (b"\x00\x01", "not bytes"),
                ("x" * (_server.MAX_MESSAGE_BYTES + 1), "too large"),
                ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
                ('{"type": "csv", "text": "1,2,' + "9" * 140_000 + '"}', "csv"),
                ('{"type": "config", "config": [[[]]]}', "config"),
            ]:
                await socket.send(bad)
                assert message in (await _next(socket, "error"))["message"]
            await socket.send(json.dumps({"type": "config", "config": {"dataset": "moons"}}))
            assert (await _next(socket, "data"))["task"] == "classification"
            await socket.send('{"type": "step"}')
            assert (await _next(socket, "frame"))["epoch"] == 0
            assert (await _next(socket, "frame"))["epoch"] == 1

    asyncio.run(scenario())


def test_visitors_have_their_own_sessions_and_leaving_stops_training(server):
    async def scenario():
        async with (
            _connect(server) as first,
            _connect(server) as second,
        ):
            await first.send(json.dumps({"type": "config", "config": {"dataset": "xor"}}))
            await second.send(
                json.dumps({"type": "config", "config": {"dataset": "bumps", "points": 100}})
            )
            assert (await _next(first, "data"))["config"]["dataset"] == "xor"
            assert (await _next(second, "data"))["task"] == "regression"
            await second.send('{"type": "export"}')
            assert "train at least one epoch" in (await _next(second, "error"))["message"]
            await second.send('{"type": "step"}')
            await first.send('{"type": "play"}')
            frames = [await _next(first, "frame") for _ in range(6)]
            assert [f["epoch"] for f in frames] == sorted({f["epoch"] for f in frames})
            await second.send('{"type": "export"}')
            model = await _next(second, "model")
            assert base64.b64decode(model["data"])[:2] == b"PK"  # a model file is a zip archive
            assert len(server.app.state.visitors) == 2
        deadline = time.monotonic() + 5
        while server.app.state.visitors and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert not server.app.state.visitors  # both left: their training stopped

    asyncio.run(scenario())


def test_a_visitor_is_held_to_its_rates(server):
    async def scenario():
        async with _connect(server) as socket:
            await socket.send(json.dumps({"type": "config", "config": {"batch": 1}}))
            await _next(socket, "data")
            await socket.send('{"type": "play"}')
            started, frames = time.monotonic(), []
            while time.monotonic() - started < 1.5:
                frames.append(await _next(socket, "frame"))
            seconds = time.monotonic() - started
            updates = frames[-1]["updates"] - frames[0]["updates"]
            assert updates / seconds <= 1.2 * _server.MAX_UPDATES_PER_SECOND
            assert len(frames) / seconds <= 1.2 * _server.MAX_FPS
            flood = [socket.send('{"type": "pause"}') for _ in range(3 * _server.MAX_FPS)]
            await asyncio.gather(*flood)
            assert "too many messages" in (await _next(socket, "error"))["message"]

    asyncio.run(scenario())


def test_twenty_visitors_at_once_each_get_frames_and_leaving_frees_the_machine(tmp_path):
    """benchmarks/playground_load.py, briefly: the server in its own process, 20 visitors."""
    script = Path(__file__).parents[2] / "benchmarks" / "playground_load.py"
    out = tmp_path / "load.json"
    command = [sys.executable, str(script), "--clients", "20", "--seconds", "3", "--json", out]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    result = json.loads(out.read_text())
    assert result["clients_without_frames"] == 0 and result["errors"] == []
    assert result["fps_min"] > 0 and result["new_session_p95_s"] < 30
    assert result["server_cpu_after"] < 0.5  # the visitors left: nothing trains any more


def test_the_command_reports_a_busy_port_and_a_missing_extra(capsys):
    from ml.cli import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["playground", "--port", str(port), "--no-browser"]) == 2
    assert f"cannot serve on 127.0.0.1:{port}" in capsys.readouterr().err
    without_starlette = (
        "import sys; sys.modules['starlette'] = None; from ml.cli import main; "
        "sys.exit(main(['playground', '--no-browser', '--port', '0']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", without_starlette], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "pip install 'ml-nn[playground]'" in done.stderr


def _get(server, host):
    """The status of GET / with the header ``Host: host`` (as a DNS-rebinding page sends it)."""
    import http.client

    parts = urllib.parse.urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        connection.request("GET", "/", headers={"Host": host})
        return connection.getresponse().status
    finally:
        connection.close()


def test_only_this_machines_names_and_its_own_page_get_in(server):
    port = urllib.parse.urlsplit(server.url).port
    assert _get(server, f"127.0.0.1:{port}") == 200 and _get(server, f"localhost:{port}") == 200
    assert _get(server, f"evil.example:{port}") == 403  # DNS rebinding
    url = server.url.replace("http", "ws") + "ws"

    async def scenario():
        async with websockets.connect(url, origin=server.url.rstrip("/")) as socket:
            await socket.send('{"type": "fly"}')
            assert "needs a type" in (await _next(socket, "error"))["message"]
        with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
            async with websockets.connect(url, origin="http://evil.example"):
                pass  # another site's page, in the visitor's browser
        assert refused.value.response.status_code == 403

    asyncio.run(scenario())


def test_allowed_origins_open_the_playground_on_purpose():
    with _server.Playground(port=0, allowed_origins=["http://192.168.7.7:8000"]) as playground:
        assert _get(playground, "192.168.7.7:8000") == 200
        assert _get(playground, "192.168.7.8:8000") == 403
        url = playground.url.replace("http", "ws") + "ws"

        async def scenario():
            async with websockets.connect(url, origin="http://192.168.7.7:8000") as socket:
                await socket.send('{"type": "fly"}')
                assert "needs a type" in (await _next(socket, "error"))["message"]

        asyncio.run(scenario())
    with pytest.raises(ValueError, match="allowed_origins: 'evil' is not an origin"):
        _server.Playground(port=0, allowed_origins=["evil"])


def test_ctrl_c_while_a_visitor_plays_stops_the_server_with_one_line():
    import signal
    import subprocess
    import sys

    server = subprocess.Popen(
        [sys.executable, "-m", "ml", "playground", "--no-browser", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = server.stdout.readline().split()[2]  # "ml playground: http://127.0.0.1:PORT/ ..."

        async def scenario():
            async with websockets.connect(url.replace("http", "ws") + "ws", max_queue=None) as ws:
                await ws.send(json.dumps({"type": "config", "config": {"dataset": "spirals"}}))
                await ws.send('{"type": "play"}')
                for _ in range(3):
                    await _next(ws, "frame")  # training is under way
                server.send_signal(signal.SIGINT)
                with pytest.raises(websockets.exceptions.ConnectionClosed):
                    while True:
                        await asyncio.wait_for(ws.recv(), 30)

        asyncio.run(scenario())
        _, err = server.communicate(timeout=30)
    finally:
        server.kill()
    assert server.returncode == 130
    assert err.strip() == "python -m ml: interrupted"
