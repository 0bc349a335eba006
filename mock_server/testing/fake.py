"""The in-process fake with ready HTTP clients: what the ``topview_mock`` fixture hands a test.

:class:`FakeTopview` works without pytest too. Every unexpected exception of the app is re-raised into
the caller (no silent 500) and kept in :attr:`TopviewControls.errors` so the fixture can list any the
test did not see.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import ExitStack, suppress
from contextvars import ContextVar
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlsplit

import anyio.from_thread
import anyio.to_thread
import httpx
import respx
from starlette.types import ASGIApp

from ..callbacks.records import NoticeDelivery
from ..mock import TopviewMock, create_app
from .controls import TopviewControls
from .defaults import BASE_URL, DEFAULT_API_KEY, DEFAULT_UID
from .latency import InProcessTransport, hold_latency
from .trap import ErrorTrap

__all__ = ["BASE_URL", "DEFAULT_API_KEY", "DEFAULT_UID", "ErrorTrap", "FakeTopview", "SyncASGITransport"]

T = TypeVar("T")
C = TypeVar("C", httpx.Client, httpx.AsyncClient)


class SyncASGITransport(httpx.BaseTransport):
    """A sync httpx transport that drives an ASGI app on an event loop in a helper thread.

    One loop serves every request, so work the app starts in the background (callback deliveries)
    keeps running between requests, as it would in a server. Latency faults are held, not slept (see
    :mod:`.latency`).
    """

    def __init__(self, app: ASGIApp, portal: Callable[[], anyio.from_thread.BlockingPortal]) -> None:
        self._transport = InProcessTransport(app)  # re-raises the app's exceptions
        self._portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send one request through the app and return its fully read response."""
        body = request.read()

        async def exchange() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            inner = httpx.Request(
                request.method, request.url, headers=request.headers, content=body, extensions=request.extensions
            )
            response = await self._transport.handle_async_request(inner)
            content = await response.aread()
            return response.status_code, response.headers.raw, content

        try:
            status, headers, content = self._portal().call(exchange)
        except httpx.TimeoutException as timeout:  # raised on the loop's copy: the caller's request is this one
            raise type(timeout)(str(timeout), request=request) from None
        return httpx.Response(status, headers=headers, content=content, request=request)


class SetCookiesOnly(httpx.Cookies):
    """A client's cookies, read from an answer only when the answer sets one.

    httpx reads every response for cookies, building a urllib request and response for the standard cookie
    jar (about a fifth of an in-process request); the fake never sets a cookie, so the clients bound to it
    skip that work unless an answer does set one. Cookies set on the client are sent as always.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        """Take the cookies ``response`` sets, if it sets any."""
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


def _reading_set_cookies_only(client: C) -> C:
    """``client`` with :class:`SetCookiesOnly` cookies (as it was, if its httpx keeps cookies elsewhere)."""
    cookies = getattr(client, "_cookies", None)
    if type(cookies) is httpx.Cookies:  # the same jar: a cookie set on it before is still sent
        client._cookies = SetCookiesOnly(cookies.jar)
    return client


# respx hands a side effect the same pre-read request either way; which handler called it tells them apart.
_SYNC_REQUEST = ContextVar("topview_mock_sync_request", default=False)


class _Router(respx.MockRouter):
    """respx's router, marking requests that come from a sync httpx client."""

    def handler(self, request: httpx.Request) -> httpx.Response:
        """Resolve a sync request."""
        token = _SYNC_REQUEST.set(True)
        try:
            return super().handler(request)
        finally:
            _SYNC_REQUEST.reset(token)


class FakeTopview(TopviewControls):
    """An in-process fake with async and sync httpx clients bound to it, no socket involved.

    With ``intercept`` (the fixture's default), httpx clients created anywhere in the process reach
    the fake when they call ``base_url``'s host, so code under test needs no change; other hosts go
    to the network as usual. A latency fault takes no real time here: it is held against the request's
    read timeout, and one longer than it raises ``httpx.ReadTimeout`` in the client (:mod:`.latency`).
    """

    def __init__(
        self,
        mock: TopviewMock,
        *,
        uid: str = DEFAULT_UID,
        api_key: str = DEFAULT_API_KEY,
        base_url: str = BASE_URL,
        intercept: bool = False,
    ) -> None:
        self.mock = mock
        self.uid = uid
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.trap = ErrorTrap(create_app(mock=mock))
        self.app: ASGIApp = self.trap
        self._stack = ExitStack()
        self._portal: anyio.from_thread.BlockingPortal | None = None
        self._client: httpx.AsyncClient | None = None
        self._sync_client: httpx.Client | None = None
        hold_latency(mock.faults)
        self.async_transport = InProcessTransport(self.app)
        self.sync_transport = SyncASGITransport(self.app, self._loop_thread)
        self.router: respx.MockRouter | None = None
        if intercept:
            self.intercept()

    def _loop_thread(self) -> anyio.from_thread.BlockingPortal:
        """The helper thread's event loop that sync requests run on (started at first use)."""
        if self._portal is None:
            self._portal = self._stack.enter_context(anyio.from_thread.start_blocking_portal("asyncio"))
        return self._portal

    def _run(self, call: Callable[[], T]) -> T:
        # Once sync requests run on the helper loop, control calls go there too: one thread owns the fake.
        if self._portal is not None:
            return self._portal.call(call)
        return call()

    async def _arun(self, call: Callable[[], Awaitable[T]]) -> T:
        if self._portal is not None:
            portal = self._portal
            return await anyio.to_thread.run_sync(lambda: portal.call(call))
        return await call()

    def drain_callbacks(self) -> list[NoticeDelivery]:
        """Run due work and every due callback attempt to its end (sync code); the deliveries still waiting."""
        if self._portal is not None:  # the attempts run on the helper loop: wait for them there
            return self._portal.call(self.mock.adrain_callbacks)
        return self.mock.drain_callbacks()

    @property
    def client(self) -> httpx.AsyncClient:
        """An async httpx client on the app, with ``base_url`` and the test account's headers."""
        if self._client is None:
            self._client = _reading_set_cookies_only(
                httpx.AsyncClient(transport=self.async_transport, base_url=self.base_url, headers=self.headers)
            )
        return self._client

    @property
    def sync_client(self) -> httpx.Client:
        """A sync httpx client on the app, with ``base_url`` and the test account's headers."""
        if self._sync_client is None:
            self._sync_client = _reading_set_cookies_only(
                httpx.Client(transport=self.sync_transport, base_url=self.base_url, headers=self.headers)
            )
        return self._sync_client

    def intercept(self) -> respx.MockRouter:
        """Route every httpx request for ``base_url``'s host to the fake (until :meth:`close`)."""
        router = self.router
        if router is None:
            router = _Router(assert_all_called=False, assert_all_mocked=False)
            router.route(host=urlsplit(self.base_url).hostname).mock(side_effect=self._respond)
            router.route().pass_through()  # everything else (callback receivers, ...) is real network
            self._stack.enter_context(router)
            self.router = router
        return router

    def _respond(self, request: httpx.Request) -> Any:
        """respx side effect: async requests through the ASGI transport, sync ones through the loop thread."""
        if _SYNC_REQUEST.get():
            return self.sync_transport.handle_request(request)
        return self.async_transport.handle_async_request(request)

    def close(self) -> None:
        """Close the clients, stop intercepting and stop the helper loop."""
        if self._sync_client is not None:
            self._sync_client.close()
        if self._client is not None and self._portal is not None:
            self._portal.call(self._client.aclose)
        self._run(partial(_close_notices, self.mock))
        self._stack.close()
        self._portal = None


def _close_notices(mock: TopviewMock) -> None:
    """Cancel callback attempts still in flight: the test is over and their receiver may be gone."""
    with suppress(RuntimeError):  # their event loop may already be closed
        mock.notices.reset()
