"""Latency faults in process: held on the fake's side without real waiting, the client's read timeout honoured.

Over a socket a latency fault really waits: the client's deadline is real there and the wait is what it
meets. In process there is no socket, and ``httpx.ASGITransport`` enforces no timeout at all, so a real
wait could only make a test slower: the client could never see its read timeout expire. A request sent
through the in-process transports therefore has its latency added up instead of slept, and the transport
raises ``httpx.ReadTimeout`` when that latency is longer than the request's read timeout, as the client
would see over a socket. The fake handles the request either way (a server goes on with a request whose
client stopped waiting), and the fake's clock does not move: concurrent requests would each move it.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

import anyio.lowlevel
import httpx
from starlette.types import ASGIApp, Scope

from ..callbacks.receivers import AppCall
from ..control.faults import Faults, Sleep


@dataclass(slots=True)
class Hold:
    """The latency faults added to one in-process request, and the read timeout its client set."""

    timeout: float | None  # seconds; None: the client waits for ever
    seconds: float = 0.0

    @property
    def expired(self) -> bool:
        """True when the client would have stopped waiting before the answer came."""
        return self.timeout is not None and self.seconds > self.timeout

    def timed_out(self, request: httpx.Request) -> httpx.ReadTimeout:
        """What the client sees when it stops waiting."""
        return httpx.ReadTimeout(
            f"a latency fault held the answer {self.seconds:g} s, longer than the read timeout of "
            f"{self.timeout:g} s (in process no real time passes)",
            request=request,
        )


_HOLD: ContextVar[Hold | None] = ContextVar("topview_mock_hold", default=None)


class HeldLatency:
    """The fault hook's wait: added to an in-process request's hold, really slept for any other request."""

    def __init__(self, real: Sleep) -> None:
        self.real = real

    async def __call__(self, seconds: float) -> None:
        """Wait ``seconds``, or hold them against the in-process request being answered."""
        hold = _HOLD.get()
        if hold is None:  # the same fake also reached over a socket: that client's deadline is real
            await self.real(seconds)
            return
        hold.seconds += seconds
        await anyio.lowlevel.checkpoint()  # other requests still get their turn here, as during a real wait


def hold_latency(faults: Faults) -> None:
    """Make ``faults`` hold latency for in-process requests instead of sleeping it (once)."""
    if not isinstance(faults.sleep, HeldLatency):
        faults.sleep = HeldLatency(faults.sleep)


class InProcessTransport(httpx.AsyncBaseTransport):
    """The fake's ASGI app called straight from httpx, latency faults met by the request's read timeout.

    It does what ``httpx.ASGITransport`` does, less what a fake in process needs none of: the request body
    is read whole and handed to the app as one message, the answer is collected as the app sends it, and
    whatever the app raises reaches the caller (a dropped connection is the fault's ``httpx`` error).
    """

    def __init__(self, app: ASGIApp, client: tuple[str, int] = ("127.0.0.1", 123)) -> None:
        self.app = app
        self.client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send one request through the app; ``httpx.ReadTimeout`` if a latency fault outlasted the read timeout."""
        hold = Hold(read_timeout(request))
        token = _HOLD.set(hold)
        try:
            response = await self._exchange(request)
        except httpx.TransportError:  # a dropped connection: after the latency, which the client may not see out
            if hold.expired:
                raise hold.timed_out(request) from None
            raise
        finally:
            _HOLD.reset(token)
        if hold.expired:
            raise hold.timed_out(request)
        return response

    async def _exchange(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()  # a streamed body whole; any other was read when the request was made
        url = request.url
        raw_path, _, _ = url.raw_path.partition(b"?")
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(name.lower(), value) for name, value in request.headers.raw],
            "scheme": url.scheme,
            "path": url.path,
            "raw_path": raw_path,
            "query_string": url.query,
            "server": (url.host, url.port),
            "client": self.client,
            "root_path": "",
        }
        call = AppCall(body)
        await call.run(self.app, scope)
        if not call.complete or call.status is None:
            raise RuntimeError(f"the app returned without a complete answer to {request.method} {url.path}")
        content = b"" if request.method == "HEAD" else call.content
        return httpx.Response(call.status, headers=call.headers, stream=httpx.ByteStream(content))


def read_timeout(request: httpx.Request) -> float | None:
    """The read timeout an httpx client set on ``request`` (None: none)."""
    timeout = request.extensions.get("timeout") or {}
    value = timeout.get("read")
    return None if value is None else float(value)
