"""Test helpers: the in-process fake with ready HTTP clients, and the control calls tests make.

:class:`FakeTopview` is what the ``topview_mock`` fixture hands a test; it works without pytest too.
Every unexpected exception of the app is re-raised into the caller (no silent 500) and kept in
:attr:`TopviewControls.errors` so the fixture can list any the test did not see.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from contextlib import ExitStack, suppress
from contextvars import ContextVar
from typing import Any, TypeVar
from urllib.parse import urlsplit

import anyio.from_thread
import httpx
import respx
from starlette.types import ASGIApp, Receive, Scope, Send

from ..control.faults import DroppedConnection
from ..control.scenario import Scenario
from ..engine.lifecycle import describe
from ..engine.tasks import Outcome
from ..mock import TopviewMock, create_app

BASE_URL = "https://api.topview.ai"
DEFAULT_UID = "uid-test"
DEFAULT_API_KEY = "test-key"

T = TypeVar("T")


class ErrorTrap:
    """ASGI wrapper keeping every exception that escapes the app (Starlette has already sent a 500).

    A connection dropped by a fault rule escapes the app on purpose and is not kept.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.errors: list[BaseException] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection, remembering and re-raising whatever escapes it."""
        try:
            await self.app(scope, receive, send)
        except DroppedConnection:
            raise
        except Exception as error:
            self.errors.append(error)
            raise


class SyncASGITransport(httpx.BaseTransport):
    """A sync httpx transport that drives an ASGI app on an event loop in a helper thread.

    One loop serves every request, so work the app starts in the background (callback deliveries)
    keeps running between requests, as it would in a server.
    """

    def __init__(self, app: ASGIApp, portal: Callable[[], anyio.from_thread.BlockingPortal]) -> None:
        self._transport = httpx.ASGITransport(app)  # re-raises the app's exceptions
        self._portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send one request through the app and return its fully read response."""
        body = request.read()

        async def exchange() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            inner = httpx.Request(request.method, request.url, headers=request.headers, content=body)
            response = await self._transport.handle_async_request(inner)
            content = await response.aread()
            return response.status_code, response.headers.raw, content

        status, headers, content = self._portal().call(exchange)
        return httpx.Response(status, headers=headers, content=content, request=request)


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


class TopviewControls:
    """The Python control API shared by the in-process fake and the live server.

    Control calls run where the fake's event loop runs (``_run``), so time moves, tasks finish and
    callbacks start on that loop. Any other attribute of the :class:`TopviewMock` (``journal``,
    ``faults``, control methods it gains later) is reachable as an attribute of this object too; those
    are called from the caller's thread.
    """

    mock: TopviewMock
    uid: str
    api_key: str
    trap: ErrorTrap

    def _run(self, function: Callable[..., T], *args: Any) -> T:
        return function(*args)

    @property
    def errors(self) -> list[BaseException]:
        """Unexpected exceptions raised inside the fake so far (clear it after provoking one on purpose)."""
        return self.trap.errors

    @property
    def headers(self) -> dict[str, str]:
        """The auth headers of the test account."""
        return {"Topview-Uid": self.uid, "Authorization": f"Bearer {self.api_key}"}

    def advance(self, seconds: float) -> float:
        """Move the fake's clock; due transitions and callback attempts happen on the way."""
        return self._run(self.mock.advance, seconds)

    def complete(self, task_id: str, status: str = "success", error_msg: str | None = None) -> dict[str, Any]:
        """Finish a task now (``fail`` shows ``error_msg``); returns it as the control plane shows it."""
        self._run(self.mock.complete, task_id, status, error_msg)
        return self.task(task_id)

    def task(self, task_id: str) -> dict[str, Any]:
        """One task as the control plane shows it (KeyError if unknown)."""
        return self._run(_describe, self.mock, task_id)

    def tasks(self, uid: str | None = None) -> list[dict[str, Any]]:
        """Every task (of one account)."""
        return self._run(self.mock.tasks, uid)

    def set_credits(self, credit: float, uid: str | None = None) -> None:
        """Give an account (the test account by default) ``credit`` credits."""
        self._run(self.mock.set_credits, uid or self.uid, credit)

    def script(self, *outcomes: Outcome | str, operation_id: str = "*") -> None:
        """Queue outcomes for the next tasks of ``operation_id`` (``*``: any), e.g. ``"fail; message=x"``."""
        self._run(script_outcomes, self.mock, {operation_id: list(outcomes)})

    def reset(self, uid: str | None = None) -> None:
        """Forget one account, or everything."""
        self._run(self.mock.reset, uid)

    def apply_scenario(self, scenario: Scenario | Mapping[str, Any]) -> Scenario:
        """Reset the fake, then behave as ``scenario`` says (a Scenario or its JSON document)."""
        return self._run(self.mock.apply_scenario, scenario)

    def notices(self, task_id: str | None = None) -> list[Any]:
        """The callback deliveries so far (of one task), oldest first."""
        return self._run(self.mock.notices.journal, None, task_id)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == "mock":
            raise AttributeError(name)
        return getattr(self.mock, name)


class FakeTopview(TopviewControls):
    """An in-process fake with async and sync httpx clients bound to it, no socket involved.

    With ``intercept`` (the fixture's default), httpx clients created anywhere in the process reach
    the fake when they call ``base_url``'s host, so code under test needs no change; other hosts go
    to the network as usual.
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
        self.async_transport = httpx.ASGITransport(self.app)
        self.sync_transport = SyncASGITransport(self.app, self._loop_thread)
        self.router: respx.MockRouter | None = None
        if intercept:
            self.intercept()

    def _loop_thread(self) -> anyio.from_thread.BlockingPortal:
        """The helper thread's event loop that sync requests run on (started at first use)."""
        if self._portal is None:
            self._portal = self._stack.enter_context(anyio.from_thread.start_blocking_portal("asyncio"))
        return self._portal

    def _run(self, function: Callable[..., T], *args: Any) -> T:
        # Once sync requests run on the helper loop, control calls go there too: one thread owns the fake.
        if self._portal is not None:
            return self._portal.call(function, *args)
        return function(*args)

    @property
    def client(self) -> httpx.AsyncClient:
        """An async httpx client on the app, with ``base_url`` and the test account's headers."""
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=self.async_transport, base_url=self.base_url, headers=self.headers
            )
        return self._client

    @property
    def sync_client(self) -> httpx.Client:
        """A sync httpx client on the app, with ``base_url`` and the test account's headers."""
        if self._sync_client is None:
            self._sync_client = httpx.Client(
                transport=self.sync_transport, base_url=self.base_url, headers=self.headers
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

    def drain_notices(self) -> None:
        """Deliver every due callback and wait for the attempts to end (sync tests)."""
        if self._portal is not None:
            self._portal.call(_drain, self.mock)
        else:
            self.mock.engine.settle()
            self.mock.notices.run_pending_sync()

    async def adrain_notices(self) -> None:
        """Deliver every due callback and wait for the attempts to end (async tests)."""
        if self._portal is not None:
            await anyio.to_thread.run_sync(self._portal.call, _drain, self.mock)
        else:
            await _drain(self.mock)

    def close(self) -> None:
        """Close the clients, stop intercepting and stop the helper loop."""
        if self._sync_client is not None:
            self._sync_client.close()
        if self._client is not None and self._portal is not None:
            self._portal.call(self._client.aclose)
        self._run(_close_notices, self.mock)
        self._stack.close()
        self._portal = None


async def _drain(mock: TopviewMock) -> None:
    """Finish what is due (background slices included), then deliver every due callback."""
    await mock.engine.caught_up()
    await mock.notices.drain()


def _describe(mock: TopviewMock, task_id: str) -> dict[str, Any]:
    mock.engine.settle()
    task = mock.state.find_task(task_id)
    if task is None:
        raise KeyError(task_id)
    return describe(task)


def _close_notices(mock: TopviewMock) -> None:
    """Cancel callback attempts still in flight: the test is over and their receiver may be gone."""
    with suppress(RuntimeError):  # their event loop may already be closed
        mock.notices.reset()


def script_outcomes(mock: TopviewMock, outcomes: Mapping[str, Outcome | str | Iterable[Outcome | str]]) -> None:
    """Queue outcomes per submit operationId (``*`` for any): each task takes the next one."""
    for operation_id, value in outcomes.items():
        items = [value] if isinstance(value, (Outcome, str)) else list(value)
        queue = mock.policies.scripts.setdefault(operation_id, deque())
        queue.extend(item if isinstance(item, Outcome) else Outcome.parse(item) for item in items)
