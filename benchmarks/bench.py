"""Throughput of the fake against a bare Starlette app, in process and behind uvicorn, in one run.

    python benchmarks/bench.py [--requests 3000] [--concurrency 32] [--seconds 5]

In process: sequential requests through ``httpx.ASGITransport``, the fake answering a task query
(auth, validation, engine, rendering, journal) against a trivial Starlette route.
Server: each app on the same uvicorn (h11, one worker) in its own process on 127.0.0.1; the load comes
from this process over keep-alive connections with a minimal HTTP/1.1 client, so the client is cheap
next to the server. Every phase is bounded by a request count and a time limit.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import multiprocessing.connection
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

UID, KEY = "uid-bench", "bench-key"
HEADERS = {"Topview-Uid": UID, "Authorization": f"Bearer {KEY}"}
SUBMIT, QUERY = "/v1/scraper/task/submit", "/v1/scraper/task/query"
BASE = "http://testserver"


def bare_app() -> Starlette:
    """A trivial Starlette app answering a query-shaped envelope."""

    async def query(request: Request) -> JSONResponse:
        task_id = request.query_params.get("taskId")
        return JSONResponse({"code": "200", "message": "Success", "result": {"taskId": task_id, "status": "success"}})

    return Starlette(routes=[Route(QUERY, query)])


def fake_app(clock: str) -> Any:
    """The fake (validation and journal on, as always)."""
    from mock_server import MockConfig, create_app

    return create_app(MockConfig(clock_mode=clock))


@dataclass
class Result:
    name: str
    requests: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


# -- in process -----------------------------------------------------------------------------------


async def in_process(app: Any, path: str, count: int, limit: float) -> Result:
    """Sequential requests through ASGITransport: ``count`` of them or ``limit`` seconds, whichever first."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE, headers=HEADERS) as client:
        for _ in range(50):  # warm up
            (await client.get(path)).raise_for_status()
        done, started = 0, time.perf_counter()
        while done < count and time.perf_counter() - started < limit:
            response = await client.get(path)
            assert response.status_code == 200, response.text
            done += 1
        return Result("", done, time.perf_counter() - started)


async def task_path(app: Any, finished: bool) -> str:
    """Submit one task to the fake (and finish it) and return its query path."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE, headers=HEADERS) as client:
        task_id = (await client.post(SUBMIT, json={"productLink": "https://shop.example.com/p/1"})).json()["result"][
            "taskId"
        ]
        if finished:
            (await client.post(f"/_mock/tasks/{task_id}/complete", json={"status": "success"})).raise_for_status()
    return f"{QUERY}?taskId={task_id}"


# -- behind uvicorn -------------------------------------------------------------------------------


def serve_child(kind: str, conn: multiprocessing.connection.Connection) -> None:
    """Child process: serve one app on a free port, tell the parent the port, run until terminated."""
    from mock_server.testing.server import Uvicorn, bind, serve

    sock = bind("127.0.0.1", 0)
    sock.listen(1024)  # connections wait in the backlog until uvicorn accepts them
    conn.send(sock.getsockname()[1])
    if kind == "bare":
        import uvicorn

        config = uvicorn.Config(bare_app(), log_level="warning", access_log=False, lifespan="off", log_config=None)
        asyncio.run(Uvicorn(config).serve(sockets=[sock]))
    else:
        from mock_server import MockConfig, TopviewMock, create_app

        mock = TopviewMock(MockConfig(clock_mode="realtime"))  # serve's defaults, ticker included
        asyncio.run(serve(create_app(mock=mock), mock, sock, log_level="warning"))


async def hammer(port: int, path: str, count: int, concurrency: int, limit: float) -> Result:
    """``concurrency`` keep-alive connections sending GET ``path`` until ``count`` answers or ``limit`` s."""
    head = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nTopview-Uid: {UID}\r\nAuthorization: Bearer {KEY}\r\n\r\n"
    ).encode()
    done = 0
    started = time.perf_counter()

    async def connection() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while done < count and time.perf_counter() - started < limit:
                writer.write(head)
                status = await reader.readline()
                if b" 200 " not in status:
                    raise RuntimeError(f"unexpected answer {status!r}")
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    if name.lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                done += 1
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return Result("", done, time.perf_counter() - started)


class Served:
    """One app served by uvicorn in its own process."""

    def __init__(self, kind: str) -> None:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self.process = context.Process(target=serve_child, args=(kind, child), daemon=True)
        self.process.start()
        if not parent.poll(60):
            self.stop()
            raise RuntimeError(f"{kind} server did not start")
        self.port: int = parent.recv()

    def stop(self) -> None:
        """Terminate the server process."""
        self.process.terminate()
        self.process.join(10)


def finished_task(port: int) -> str:
    """Submit a task to the served fake, finish it, and return its query path."""
    deadline = time.monotonic() + 30
    while True:
        try:
            response = httpx.post(
                f"http://127.0.0.1:{port}{SUBMIT}",
                json={"productLink": "https://shop.example.com/p/1"},
                headers=HEADERS,
                timeout=10,
            )
            task_id = response.json()["result"]["taskId"]
            httpx.post(
                f"http://127.0.0.1:{port}/_mock/tasks/{task_id}/complete", json={}, timeout=10
            ).raise_for_status()
            return f"{QUERY}?taskId={task_id}"
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


# -- report ---------------------------------------------------------------------------------------


def table(rows: list[tuple[str, Result, Result, float]]) -> str:
    """Rows of (scenario, fake, bare, target) as a Markdown table."""
    out = [
        "| scenario | bare Starlette req/s | topview-mock req/s | fake/bare | target | met |",
        "|---|---:|---:|---:|---:|:-:|",
    ]
    for name, fake, bare, target in rows:
        ratio = fake.rate / bare.rate
        out.append(
            f"| {name} | {bare.rate:,.0f} | {fake.rate:,.0f} | {ratio:.2f} | >= {target:.2f} | "
            f"{'yes' if ratio >= target else 'NO'} |"
        )
    return "\n".join(out)


def main() -> None:
    """Run both benchmarks and print the table."""
    options = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    options.add_argument("--requests", type=int, default=3000, help="requests per measurement (default 3000)")
    options.add_argument("--concurrency", type=int, default=32, help="server load: connections (default 32)")
    options.add_argument("--seconds", type=float, default=5.0, help="time limit per measurement (default 5)")
    options.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the best counts (default 3)")
    args = options.parse_args()

    async def in_process_round(fake: Any, running: str, finished: str) -> tuple[Result, Result, Result]:
        return (
            await in_process(bare_app(), f"{QUERY}?taskId=x", args.requests, args.seconds),
            await in_process(fake, running, args.requests, args.seconds),
            await in_process(fake, finished, args.requests, args.seconds),
        )

    async def in_process_rounds() -> list[tuple[Result, Result, Result]]:
        fake = fake_app("manual")
        running, finished = await task_path(fake, False), await task_path(fake, True)
        return [await in_process_round(fake, running, finished) for _ in range(args.rounds)]

    local = asyncio.run(in_process_rounds())
    bare_server, fake_server = Served("bare"), Served("fake")
    try:
        bare_path, fake_path = f"{QUERY}?taskId=x", finished_task(fake_server.port)
        for server, path in ((bare_server, bare_path), (fake_server, fake_path)):  # warm up
            asyncio.run(hammer(server.port, path, 300, 8, 10))
        served = [
            (
                asyncio.run(hammer(bare_server.port, bare_path, args.requests, args.concurrency, args.seconds)),
                asyncio.run(hammer(fake_server.port, fake_path, args.requests, args.concurrency, args.seconds)),
            )
            for _ in range(args.rounds)
        ]
    finally:
        bare_server.stop()
        fake_server.stop()
    print(
        table(
            [
                ("in process, query of an unfinished task", best(r[1] for r in local), best(r[0] for r in local), 0.5),
                ("in process, query of a finished task", best(r[2] for r in local), best(r[0] for r in local), 0.5),
                (
                    f"uvicorn (h11), {args.concurrency} connections, finished-task query",
                    best(r[1] for r in served),
                    best(r[0] for r in served),
                    0.6,
                ),
            ]
        )
    )
    print(f"best of {args.rounds} interleaved rounds; a round is {args.requests} requests or {args.seconds:g} s")


def best(results: Iterable[Result]) -> Result:
    """The fastest of several rounds (the one least disturbed by other load on the machine)."""
    return max(results, key=lambda result: result.rate)


if __name__ == "__main__":
    main()
