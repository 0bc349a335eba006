"""Over a socket: the fake and the bare app each on uvicorn (uvloop + httptools), loaded by wrk."""

from __future__ import annotations

import asyncio
import multiprocessing
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from baselines import CREDENTIAL, HEADERS, KEY, QUERY, SCRAPE, SUBMIT, UID, bare_app
from stats import Row

SUBMIT_LUA = f"""
wrk.method = "POST"
wrk.body = '{{"productLink": "{SCRAPE["productLink"]}"}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Topview-Uid"] = "{UID}"
wrk.headers["Authorization"] = "Bearer {KEY}"
"""
GET_LUA = f"""
wrk.headers["Topview-Uid"] = "{UID}"
wrk.headers["Authorization"] = "Bearer {KEY}"
"""


def ensure_wrk() -> str | None:
    """The wrk binary, installed with apt-get when missing and this is root; None if it cannot be had."""
    found = shutil.which("wrk")
    if found or shutil.which("apt-get") is None:
        return found
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.run(["apt-get", "update", "-q"], check=False, **quiet)  # type: ignore[call-overload]
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, **quiet)  # type: ignore[call-overload]
    return shutil.which("wrk")


def serve_child(kind: str, conn: multiprocessing.connection.Connection, result: dict[str, object] | None) -> None:
    """Child process: serve one app on a free port with the fast stack, tell the parent the port."""
    from mock_server.testing.server import Uvicorn, bind, loop_factory, serve

    sock = bind("127.0.0.1", 0)
    sock.listen(1024)
    conn.send(sock.getsockname()[1])
    with asyncio.Runner(loop_factory=loop_factory("auto")) as runner:
        if kind == "bare":
            import uvicorn

            config = uvicorn.Config(
                bare_app(result), http="httptools", log_level="warning", access_log=False, lifespan="off"
            )
            runner.run(Uvicorn(config).serve(sockets=[sock]))
        else:
            from mock_server import MockConfig, TopviewMock, create_app
            from mock_server.testing.server import tune_collector

            mock = TopviewMock(MockConfig(clock_mode="realtime", credits=1e12))  # serve's defaults, ticker on
            tune_collector()  # as topview-mock serve does
            runner.run(serve(create_app(mock=mock), mock, sock, log_level="warning", http="httptools"))


class Served:
    """One app served by uvicorn in its own process."""

    def __init__(self, kind: str, result: dict[str, object] | None = None) -> None:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self.process = context.Process(target=serve_child, args=(kind, child, result), daemon=True)
        self.process.start()
        if not parent.poll(60):
            self.stop()
            raise RuntimeError(f"the {kind} server did not start")
        self.url = f"http://127.0.0.1:{parent.recv()}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(self.url + "/", timeout=5)
                return
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        """Terminate the server process."""
        self.process.terminate()
        self.process.join(10)


def finished_query(url: str) -> tuple[str, dict[str, object]]:
    """Submit a task to the served fake, finish it, and return its query path and result."""
    task_id = httpx.post(url + SUBMIT, json=SCRAPE, headers=HEADERS, timeout=10).json()["result"]["taskId"]
    httpx.post(f"{url}/_mock/tasks/{task_id}/complete", json={}, timeout=10).raise_for_status()
    path = f"{QUERY}?taskId={task_id}"
    return path, httpx.get(url + path, headers=HEADERS, timeout=10).json()["result"]


def wrk(binary: str, url: str, script: str, seconds: float, connections: int) -> float:
    """Requests per second wrk measured (one thread, ``connections`` keep-alive connections)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    command = [binary, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "-s", handle.name, url]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    Path(handle.name).unlink()
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]


def measure(rounds: int, seconds: float, connections: int = 32) -> list[Row]:
    """Task query, submit and upload credential over a socket, fake and bare in alternating rounds."""
    rows = [
        Row("socket: task query (wrk, 32 conns)", "req/s", ">= 0.75"),
        Row("socket: task submit", "req/s", ">= 0.6"),
        Row("socket: upload credential", "req/s", ">= 0.7"),
    ]
    binary = ensure_wrk()
    if binary is None:
        print("wrk is not installed and cannot be: no socket figures")
        return []
    fake = Served("fake")
    try:
        path, result = finished_query(fake.url)
        bare = Served("bare", result)
        try:
            targets = [(path, GET_LUA), (SUBMIT, SUBMIT_LUA), (f"{CREDENTIAL}?format=png", GET_LUA)]
            for server in (fake, bare):  # warm up
                for target, script in targets:
                    wrk(binary, server.url + target, script, 1, connections)
            for _ in range(rounds):
                for row, (target, script) in zip(rows, targets, strict=True):
                    row.bare.append(wrk(binary, bare.url + target, script, seconds, connections))
                    row.fake.append(wrk(binary, fake.url + target, script, seconds, connections))
        finally:
            bare.stop()
    finally:
        fake.stop()
    return rows
