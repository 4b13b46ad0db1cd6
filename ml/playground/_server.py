"""The playground's web server: the page, and one WebSocket per visitor that carries settings in
and frames out.

Each connection owns one :class:`~ml.playground._session.Session`. Training runs on a small pool
of threads (one per core), so that the server keeps answering while networks learn, and every
connection is held to the limits below, so that twenty visitors share the machine fairly.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.responses import FileResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from ml.playground._data import parse_csv
from ml.playground._session import Session, check_config

STATIC = Path(__file__).parent / "static"
MAX_FPS = 20  # frames per second per visitor: smooth, and a frame is ~20 kB
MAX_UPDATES_PER_SECOND = 1000  # minibatch updates per visitor per second
MAX_MESSAGES_PER_SECOND = 30  # per visitor: dragging a slider sends a few dozen at most
MAX_MESSAGE_BYTES = 256_000  # a CSV file of 2000 points, or the URL's 2000 drawn points
MAX_SESSIONS = 32  # visitors at once; the next one is told to come back later


class _Visitor:
    """One WebSocket: its session, whether it plays, and its share of the machine."""

    def __init__(self, websocket: WebSocket, pool: ThreadPoolExecutor):
        self.websocket, self.pool = websocket, pool
        self.session: Session | None = None
        self.lock = asyncio.Lock()  # one thing at a time changes the session
        self.player: asyncio.Task | None = None
        self.budget = _Bucket(MAX_MESSAGES_PER_SECOND)

    async def send(self, message: dict) -> None:
        await self.websocket.send_text(json.dumps(message, allow_nan=False))

    async def error(self, text: str) -> None:
        await self.send({"type": "error", "message": text})

    async def receive(self, text: str) -> None:
        """Act on one message; anything malformed is answered with an error message."""
        if not self.budget.take():
            return await self.error(
                f"too many messages: {MAX_MESSAGES_PER_SECOND} a second at most"
            )
        if len(text) > MAX_MESSAGE_BYTES:
            return await self.error(f"message too large: at most {MAX_MESSAGE_BYTES} bytes")
        try:
            message = json.loads(text)
        except (ValueError, RecursionError):  # a deeply nested message is no config either
            return await self.error("message is not JSON (or nested too deeply)")
        kind = message.get("type") if isinstance(message, dict) else None
        handler = getattr(self, f"on_{kind}", None) if isinstance(kind, str) else None
        if handler is None:
            return await self.error(
                "message needs a type: config, csv, play, pause, step, reset or export"
            )
        try:
            await handler(message)
        except ValueError as problem:
            await self.error(str(problem))
        except (WebSocketDisconnect, asyncio.CancelledError):
            raise
        except Exception as problem:  # whatever a malformed message provokes: say so, go on
            await self.error(f"could not handle this {kind} message: {problem!r}"[:500])

    async def run(self, work, *args):
        """``work(*args)`` on the training pool, so that the server goes on answering."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, work, *args)

    async def on_config(self, message) -> None:
        config = check_config(message.get("config", {}))
        async with self.lock:
            self.session = await self.run(Session, config)
            await self.send(self.session.data_message())
            await self.send(self.session.frame())

    async def on_csv(self, message) -> None:
        points = parse_csv(message.get("text"))
        config = {**(self.session.config if self.session else {}), "dataset": "custom"}
        await self.on_config({"config": {**config, "data": points}})

    def _session(self) -> Session:
        if self.session is None:
            raise ValueError("send a config message first")
        return self.session

    async def on_play(self, message) -> None:
        self._session()
        if self.player is None or self.player.done():
            self.player = asyncio.create_task(self._play())
            await self.send({"type": "state", "playing": True})

    async def on_pause(self, message) -> None:
        await self.stop()
        await self.send({"type": "state", "playing": False})

    async def on_step(self, message) -> None:
        await self.on_pause(message)
        await self._advance(epochs=1)

    async def on_reset(self, message) -> None:
        await self.on_pause(message)
        async with self.lock:
            await self.run(self._session().reset)
            await self.send(self._session().frame())

    async def on_export(self, message) -> None:
        kind = message.get("format", "ml")
        if kind not in ("ml", "onnx"):
            raise ValueError(f"export: format must be 'ml' or 'onnx'; got {kind!r}.")
        async with self.lock:
            data = await self.run(self._session().export, kind)
        await self.send(
            {
                "type": "model",
                "filename": f"playground.{kind}",
                "data": base64.b64encode(data).decode("ascii"),
            }
        )

    async def _advance(self, epochs: int | None = None) -> None:
        """Train one frame's worth (``epochs``, or as many as fit in a frame's updates), send the
        frame, and wait out the rest of the frame's time and of the updates' time."""
        started = time.monotonic()
        async with self.lock:
            session = self._session()
            per_frame = MAX_UPDATES_PER_SECOND / MAX_FPS
            epochs = epochs or max(1, int(per_frame // session.updates_per_epoch))
            frame = await self.run(_train_and_draw, session, epochs)
            await self.send(frame)
        spent = epochs * session.updates_per_epoch / MAX_UPDATES_PER_SECOND
        await asyncio.sleep(max(1 / MAX_FPS, spent) - (time.monotonic() - started))

    async def _play(self) -> None:
        try:
            while True:
                await self._advance()
        except ValueError as problem:  # the network diverged, say: tell, and stop playing
            await self.error(str(problem))
            await self.send({"type": "state", "playing": False})

    async def stop(self) -> None:
        if self.player is not None:
            self.player.cancel()
            try:
                await self.player
            except (asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                pass
            self.player = None


def _train_and_draw(session: Session, epochs: int) -> dict:
    session.step(epochs)
    return session.frame()


class _Bucket:
    """A token bucket: ``rate`` tokens a second, as many at most."""

    def __init__(self, rate: float):
        self.rate, self.tokens, self.time = rate, float(rate), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.time) * self.rate)
        self.time = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


LOOPBACK = ("127.0.0.1", "localhost", "::1")


class _SameOrigin:
    """ASGI middleware: serve only requests whose ``Host`` is an allowed name (loopback, or a
    host the caller allowed), which defeats DNS rebinding, and whose ``Origin``, where a browser
    sends one, is the page's own or an allowed one, which defeats another site's page driving
    the playground through the visitor's browser (cross-site WebSocket hijacking). Anything
    else is refused: HTTP 403, or a WebSocket closed before it is accepted."""

    def __init__(self, app, allowed_hosts, allowed_origins):
        self.app = app
        self.hosts = {host.lower().strip("[]") for host in allowed_hosts}
        self.origins = {origin.lower().rstrip("/") for origin in allowed_origins}

    def _allowed(self, scope) -> bool:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        name = urlsplit(f"//{host}").hostname or ""
        if name not in self.hosts:
            return False
        origin = headers.get("origin")
        if origin is None:  # not a browser: nothing a web page could have sent
            return True
        return origin.lower().rstrip("/") in self.origins | {f"http://{host.lower()}"}

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket") or self._allowed(scope):
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            return await send({"type": "websocket.close", "code": 1008})
        await send({"type": "http.response.start", "status": 403, "headers": []})
        await send({"type": "http.response.body", "body": b"forbidden: Host or Origin"})


def create_app(allowed_hosts=LOOPBACK, allowed_origins=()) -> Starlette:
    """The playground as an ASGI application: the page at ``/``, its scripts under ``/static``
    and the visitors' WebSocket at ``/ws``, for requests to ``allowed_hosts`` from the page
    itself or from ``allowed_origins`` (:class:`_SameOrigin`)."""
    pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="playground")
    visitors: set[_Visitor] = set()

    async def page(request):
        return FileResponse(STATIC / "index.html")

    async def connect(websocket: WebSocket):
        await websocket.accept()
        visitor = _Visitor(websocket, pool)
        if len(visitors) >= MAX_SESSIONS:
            await visitor.error(f"the playground is full ({MAX_SESSIONS} visitors); try later")
            return await websocket.close(code=1013)
        visitors.add(visitor)
        try:
            while (message := await websocket.receive())["type"] != "websocket.disconnect":
                if message.get("text") is None:
                    await visitor.error("send text messages (JSON), not bytes")
                else:
                    await visitor.receive(message["text"])
        except WebSocketDisconnect:
            pass  # the visitor left while we were sending: stop its training
        finally:
            visitors.discard(visitor)
            await visitor.stop()

    app = Starlette(
        routes=[
            Route("/", page),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
            WebSocketRoute("/ws", connect),
        ],
    )
    app.state.visitors = visitors
    app.add_middleware(_SameOrigin, allowed_hosts=allowed_hosts, allowed_origins=allowed_origins)
    return app


class Playground:
    """The playground's server on ``host:port`` (port 0: any free port); ``url`` is its address.

    It answers requests to this machine's loopback names (and to ``host``), from its own page;
    ``allowed_origins`` (such as ``["http://192.168.1.5:8000"]``) lets the pages of those
    origins, and requests to their hosts, in too: what serving on another address needs.
    ``serve_forever()`` runs it until Ctrl-C; ``with Playground() as p:`` runs it on a thread of
    its own and stops it at the end of the block (tests, the load test).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 8000, allowed_origins=()):
        import uvicorn

        origins = list(allowed_origins)
        for origin in origins:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/"):
                raise ValueError(
                    f"allowed_origins: {origin!r} is not an origin such as http://host:8000."
                )
        unspecified = host in ("0.0.0.0", "::", "")
        hosts = {*LOOPBACK, *([] if unspecified else [host])}
        hosts |= {urlsplit(origin).hostname for origin in origins}
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind((host, port))
            self.socket.listen(2048)  # connections wait in line from now on, before uvicorn runs
        except OSError as error:
            self.socket.close()
            raise OSError(f"cannot serve on {host}:{port}: {error.strerror}") from None
        self.app = create_app(hosts, origins)
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{self.socket.getsockname()[1]}/"
        config = uvicorn.Config(self.app, log_level="warning")
        self.server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    def serve_forever(self) -> None:
        try:
            self.server.run(sockets=[self.socket])
        finally:
            self.socket.close()

    def __enter__(self) -> Playground:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and self._thread.is_alive():
            if time.monotonic() > deadline:
                raise TimeoutError("the playground did not start within 10 s")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
