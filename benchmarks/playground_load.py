"""Load test of the playground: N visitors train at once on 127.0.0.1 while a probe keeps asking
for new sessions and the page; prints (and with --json writes) frame rates, latencies and the
server's CPU use, during the load and after the visitors left.

    python benchmarks/playground_load.py --clients 20 --seconds 20

The server runs in its own process (``python -m ml playground --port 0 --no-browser``), as a user
starts it; the visitors and the probe are WebSocket clients in this one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request

import websockets

DATASETS = ["spirals", "xor", "circles", "moons", "blobs", "plane", "bumps"]


async def _visitor(url: str, number: int, seconds: float) -> dict:
    """One visitor: settings, play, and every frame's arrival for ``seconds``."""
    config = {"dataset": DATASETS[number % len(DATASETS)], "seed": number, "classes": 4}
    arrivals, epochs, errors = [], [], []
    async with websockets.connect(url, max_queue=None) as socket:
        await socket.send(json.dumps({"type": "config", "config": config}))
        await socket.send('{"type": "play"}')
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            try:
                message = json.loads(await asyncio.wait_for(socket.recv(), left))
            except TimeoutError:
                break
            if message["type"] == "frame" and message["epoch"] > 0:
                arrivals.append(time.monotonic())
                epochs.append(message["epoch"])
            elif message["type"] == "error":
                errors.append(message["message"])
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else float("nan")
    return {
        "frames": len(arrivals),
        "fps": (len(arrivals) - 1) / span if len(arrivals) > 1 else 0.0,
        "epochs_per_s": (epochs[-1] - epochs[0]) / span if len(arrivals) > 1 else 0.0,
        "errors": errors,
    }


async def _probe(url: str, page: str, seconds: float) -> dict:
    """While the visitors train: a new visitor's wait for its data, and a page load, every 0.5 s."""
    session, load = [], []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        async with websockets.connect(url, max_queue=None) as socket:
            await socket.send('{"type": "config", "config": {"dataset": "moons"}}')
            while json.loads(await asyncio.wait_for(socket.recv(), 30))["type"] != "data":
                pass
        session.append(time.monotonic() - started)
        started = time.monotonic()
        await asyncio.to_thread(lambda: urllib.request.urlopen(page, timeout=30).read())
        load.append(time.monotonic() - started)
        await asyncio.sleep(0.5)
    return {"new_session_s": session, "page_s": load}


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


async def _load(url: str, page: str, clients: int, seconds: float) -> tuple[list, dict]:
    visitors = [_visitor(url, i, seconds) for i in range(clients)]
    results = await asyncio.gather(*visitors, _probe(url, page, seconds))
    return results[:-1], results[-1]


def run(clients: int, seconds: float) -> dict:
    server = subprocess.Popen(
        [sys.executable, "-m", "ml", "playground", "--port", "0", "--no-browser"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        page = server.stdout.readline().split()[2]  # "ml playground: http://127.0.0.1:PORT/ ..."
        url = page.replace("http", "ws") + "ws"
        cpu, started = _cpu_seconds(server.pid), time.monotonic()
        visitors, probe = asyncio.run(_load(url, page, clients, seconds))
        busy = (_cpu_seconds(server.pid) - cpu) / (time.monotonic() - started)
        time.sleep(1.0)  # the visitors left: their training must stop
        cpu = _cpu_seconds(server.pid)
        time.sleep(2.0)
        idle = (_cpu_seconds(server.pid) - cpu) / 2.0
    finally:
        server.terminate()
        server.wait(timeout=10)
    fps = [v["fps"] for v in visitors]
    return {
        "clients": clients,
        "seconds": seconds,
        "cpus": os.cpu_count(),
        "fps_min": min(fps),
        "fps_median": statistics.median(fps),
        "fps_max": max(fps),
        "epochs_per_s_median": statistics.median(v["epochs_per_s"] for v in visitors),
        "frames_total": sum(v["frames"] for v in visitors),
        "clients_without_frames": sum(v["frames"] == 0 for v in visitors),
        "errors": [e for v in visitors for e in v["errors"]],
        "new_session_p50_s": _percentile(probe["new_session_s"], 0.5),
        "new_session_p95_s": _percentile(probe["new_session_s"], 0.95),
        "page_p50_s": _percentile(probe["page_s"], 0.5),
        "page_p95_s": _percentile(probe["page_s"], 0.95),
        "server_cpu_during": busy,
        "server_cpu_after": idle,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    result = run(args.clients, args.seconds)
    for key, value in result.items():
        print(f"{key:24} {value:.3f}" if isinstance(value, float) else f"{key:24} {value}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
