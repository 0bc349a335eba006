"""A real callback receiver for the notice tests: a small Starlette app served by uvicorn on a loopback port.

Each receiver answers with replies scripted per test. It runs inside the test's event loop (``serving``) or
in a thread with its own loop (``serving_in_thread``); hanging replies are released by an event, never by
sleeping, and a callback attempt's timeout can be driven by an event too (``give_up_when``).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route


@dataclass(frozen=True, slots=True)
class Received:
    """One callback as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


Reply = Callable[[Received], Awaitable[Response]]


class Receiver:
    """A customer's callback endpoint answering with ``replies`` in turn (the last one repeats)."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies) or [ack]
        self.received: list[Received] = []
        self.release = asyncio.Event()  # ends every hanging reply
        self.hanging = asyncio.Event()  # set once a reply hangs: the receiver has the callback and says nothing
        self.arrivals = 0
        self.wanted = 0
        self.got_wanted = asyncio.Event()  # set once ``wanted`` callbacks arrived
        self.app = Starlette(routes=[Route("/{path:path}", self.handle, methods=["POST"])])

    async def handle(self, request: Request) -> Response:
        """Record the callback and answer with the scripted reply."""
        received = Received(request.url.path, dict(request.headers), await request.json())
        self.received.append(received)
        self.arrivals += 1
        if self.wanted and self.arrivals >= self.wanted:
            self.got_wanted.set()
        reply = self.replies[min(len(self.received), len(self.replies)) - 1]
        return await reply(received)

    async def hang(self, received: Received) -> Response:
        """A reply that waits until the test sets ``release``, then acknowledges."""
        self.hanging.set()
        await self.release.wait()
        return await ack(received)

    async def arrived(self, count: int) -> None:
        """Wait (event-driven) until ``count`` callbacks have arrived."""
        self.wanted = count
        if self.arrivals >= count:
            return
        await asyncio.wait_for(self.got_wanted.wait(), timeout=5)

    def bodies(self) -> list[dict[str, Any]]:
        """Every body received, in arrival order."""
        return [r.body for r in self.received]


async def ack(received: Received) -> Response:
    """The documented acknowledgement, echoing uuid and the Topview-Uid header."""
    return JSONResponse(
        {
            "code": "200",
            "message": "Success",
            "result": {
                "uuid": received.body["uuid"],
                "topviewUid": received.headers["topview-uid"],
                "result": received.body["status"],
            },
        }
    )


def status(code: int) -> Reply:
    """A reply with HTTP status ``code`` and a Topview-looking error body."""

    async def reply(received: Received) -> Response:
        return JSONResponse({"code": str(code), "message": "oops"}, status_code=code)

    return reply


def acked_with(**changes: Any) -> Reply:
    """The acknowledgement with some fields of ``result`` (or the envelope ``code``) replaced."""

    async def reply(received: Received) -> Response:
        body = json.loads(bytes((await ack(received)).body))
        body["code"] = changes.get("code", body["code"])
        body["result"].update({k: v for k, v in changes.items() if k != "code"})
        return JSONResponse(body)

    return reply


async def plain_ok(received: Received) -> Response:
    """HTTP 200 that is no acknowledgement at all."""
    return PlainTextResponse("OK")


def give_up_when(event: asyncio.Event) -> Callable[[float], AbstractAsyncContextManager[object]]:
    """A stand-in for ``asyncio.timeout``: the attempt times out once ``event`` is set, whatever its seconds.

    A real timeout of a fraction of a second races the machine's load; this one fires when the receiver is
    known to be hanging, so a test of timeouts depends on events, not on how fast anything ran.
    """

    @asynccontextmanager
    async def patience(seconds: float) -> AsyncIterator[object]:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(None) as timeout:
            waiter = asyncio.ensure_future(event.wait())
            waiter.add_done_callback(lambda _: timeout.reschedule(loop.time()))
            try:
                yield timeout
            finally:
                waiter.cancel()

    return patience


def listening_socket() -> socket.socket:
    """A loopback socket already listening: callbacks queue in its backlog until uvicorn accepts them."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


def url_of(sock: socket.socket) -> str:
    """The noticeUrl served on ``sock``."""
    return f"http://127.0.0.1:{sock.getsockname()[1]}/notice"


def receiver_server(receiver: Receiver) -> uvicorn.Server:
    """A uvicorn server for ``receiver`` (the port comes from the socket passed to it)."""
    config = uvicorn.Config(receiver.app, log_level="warning", lifespan="off", ws="none", timeout_graceful_shutdown=1)
    return uvicorn.Server(config)


@asynccontextmanager
async def serving(receiver: Receiver) -> AsyncIterator[str]:
    """Serve ``receiver`` in this event loop on a free loopback port; yields its noticeUrl."""
    sock = listening_socket()
    server = receiver_server(receiver)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield url_of(sock)
    finally:
        receiver.release.set()
        server.should_exit = True
        await task
        sock.close()


@contextmanager
def serving_in_thread(receiver: Receiver) -> Iterator[str]:
    """Serve ``receiver`` in a background thread with its own loop; yields its noticeUrl."""
    sock = listening_socket()
    server = receiver_server(receiver)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


def closed_port_url() -> str:
    """A loopback noticeUrl where nothing listens (connections are refused)."""
    sock = listening_socket()
    url = url_of(sock)
    sock.close()
    return url
