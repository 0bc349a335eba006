"""One callback attempt over HTTP: POST the notice, read a bounded reply, judge the acknowledgement.

Kept apart from the dispatcher, which decides *when* attempts happen on the fake's clock; this module
only knows how one real exchange goes and which HTTP client (bound to which event loop) carries it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from .records import NoticeDelivery, acknowledgement_problem

if TYPE_CHECKING:
    import httpx  # imported when a first notice is sent: a fake that sends none starts without it

# Bytes of a reply read at most; a real acknowledgement is about 150 bytes.
READ_LIMIT = 64 * 1024

# How long an attempt may take: ``asyncio.timeout(seconds)``. Tests put an event-driven stand-in here, so a
# hanging receiver "times out" exactly when the test says, whatever the machine's load.
Patience = Callable[[float], AbstractAsyncContextManager[object]]


class NoticeSender:
    """POSTs notices with an HTTP client bound to the running event loop."""

    def __init__(self, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    async def post(
        self, delivery: NoticeDelivery, timeout: float, patience: Patience = asyncio.timeout
    ) -> tuple[int | None, str, str | None]:
        """One HTTP exchange: (status, reply text, why it failed or None if acknowledged)."""
        import httpx

        content = json.dumps(dict(delivery.body), ensure_ascii=False, separators=(",", ":")).encode()
        # The uid came in as a header, which HTTP decodes as Latin-1: sent back byte for byte (httpx would
        # refuse anything but ASCII in a str header value).
        headers = {b"Topview-Uid": delivery.uid.encode("latin-1", "replace"), b"Content-Type": b"application/json"}
        try:
            # httpx's timeout bounds each phase; the outer one bounds the whole exchange.
            async with patience(timeout):
                request = self._client_for_this_loop().stream(
                    "POST",
                    delivery.url,
                    content=content,
                    headers=headers,
                    timeout=timeout,
                )
                async with request as response:
                    raw = await _read_limited(response)
        except (TimeoutError, httpx.TimeoutException):
            return None, "", f"timed out after {timeout:g} s"
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            return None, "", f"{type(exc).__name__}: {exc}".rstrip(": ")
        text = raw.decode("utf-8", errors="replace")
        if not 200 <= response.status_code < 300:
            return response.status_code, text, f"HTTP {response.status_code}"
        return (
            response.status_code,
            text,
            acknowledgement_problem(text, delivery.notice_uuid, delivery.uid),
        )

    def _client_for_this_loop(self) -> httpx.AsyncClient:
        """An HTTP client bound to the running loop (a client cannot outlive its loop)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            import httpx

            self._client = httpx.AsyncClient(
                transport=self._transport,
                # A proxy from the environment must not intercept loopback calls.
                trust_env=False,
                # A redirect is not an acknowledgement, and could leave the allow-list.
                follow_redirects=False,
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=20),
            )
            self._client_loop = loop
        return self._client

    async def release(self) -> None:
        """Let go of the client bound to a short-lived loop, before that loop ends."""
        client, self._client, self._client_loop = self._client, None, None
        if client is not None and self._transport is None:
            await client.aclose()  # a caller's transport is the caller's to close

    async def aclose(self) -> None:
        """Close the HTTP client for good."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None


async def _read_limited(response: httpx.Response) -> bytes:
    """At most READ_LIMIT bytes of a streamed reply body."""
    data = bytearray()
    async for chunk in response.aiter_bytes():
        data += chunk
        if len(data) >= READ_LIMIT:
            break
    return bytes(data[:READ_LIMIT])
