"""One callback attempt over HTTP: POST the notice, read a bounded reply, judge the acknowledgement.

Kept apart from the dispatcher, which decides *when* attempts happen on the fake's clock; this module
only knows how one real exchange goes and which HTTP client (bound to which event loop) carries it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from .payloads import compact_json
from .receivers import ReceiverError, Receivers, exchange
from .records import NoticeDelivery, acknowledgement_problem

if TYPE_CHECKING:
    import httpx  # imported when a first notice is sent: a fake that sends none starts without it

# Bytes of a reply read at most; a real acknowledgement is about 150 bytes.
READ_LIMIT = 64 * 1024

# How long an attempt may take: ``asyncio.timeout(seconds)``. Tests put an event-driven stand-in here, so a
# hanging receiver "times out" exactly when the test says, whatever the machine's load.
Patience = Callable[[float], AbstractAsyncContextManager[object]]


# Cached parsed noticeUrls at most: parsing one costs more than the rest of building a request.
MAX_URLS = 1024


class NoticeSender:
    """POSTs notices through an HTTP transport bound to the running event loop.

    The transport is called directly: an ``httpx.AsyncClient`` would add cookies, auth, redirects and URL
    merging to every attempt, none of which a callback wants (a redirect is not an acknowledgement).
    """

    def __init__(self, transport: httpx.AsyncBaseTransport | None = None, receivers: Receivers | None = None) -> None:
        self._transport = transport
        self.receivers = receivers or Receivers()  # in-process receivers by origin: no HTTP at all
        self._own: httpx.AsyncBaseTransport | None = None  # made here for the running loop, when none was given
        self._own_loop: asyncio.AbstractEventLoop | None = None
        self._urls: dict[str, httpx.URL] = {}
        self._headers: list[tuple[bytes, bytes]] | None = None

    async def post(
        self, delivery: NoticeDelivery, timeout: float, patience: Patience = asyncio.timeout
    ) -> tuple[int | None, str, str | None]:
        """One HTTP exchange: (status, reply text, why it failed or None if acknowledged)."""
        content = compact_json(dict(delivery.body))  # in the body's field order
        app = self.receivers.app_for(delivery.url)
        if app is not None:
            try:
                async with patience(timeout):
                    status, raw = await exchange(
                        app, delivery.url, self._asgi_headers(delivery.uid), content, READ_LIMIT
                    )
            except TimeoutError:
                return None, "", f"timed out after {timeout:g} s"
            except ReceiverError as exc:
                return None, "", str(exc)
            return self._judged(delivery, status, raw)
        import httpx

        # The uid came in as a header, which HTTP decodes as Latin-1: sent back byte for byte (httpx would
        # refuse anything but ASCII in a str header value).
        headers = [
            *self._default_headers(),
            (b"Topview-Uid", delivery.uid.encode("latin-1", "replace")),
            (b"Content-Type", b"application/json"),
        ]
        try:
            # The transport's timeouts bound each phase; the outer one bounds the whole exchange.
            async with patience(timeout):
                request = httpx.Request("POST", self._url(delivery.url), headers=headers, content=content)
                request.extensions["timeout"] = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
                response = await self._transport_for_this_loop().handle_async_request(request)
                try:
                    raw = await _read_limited(response)
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException):
            return None, "", f"timed out after {timeout:g} s"
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            return None, "", f"{type(exc).__name__}: {exc}".rstrip(": ")
        return self._judged(delivery, response.status_code, raw)

    @staticmethod
    def _judged(delivery: NoticeDelivery, status: int, raw: bytes) -> tuple[int, str, str | None]:
        """What the receiver answered: (status, reply text, why it is no acknowledgement or None)."""
        text = raw.decode("utf-8", errors="replace")
        if not 200 <= status < 300:
            return status, text, f"HTTP {status}"
        return status, text, acknowledgement_problem(text, delivery.notice_uuid, delivery.uid)

    def _url(self, url: str) -> httpx.URL:
        """``url`` parsed, once per noticeUrl."""
        parsed = self._urls.get(url)
        if parsed is None:
            import httpx

            if len(self._urls) >= MAX_URLS:
                self._urls.clear()
            parsed = self._urls[url] = httpx.URL(url)
        return parsed

    def _default_headers(self) -> list[tuple[bytes, bytes]]:
        """What an httpx client sends with every request: receivers see the same as before."""
        if self._headers is None:
            import httpx

            self._headers = [
                (b"Accept", b"*/*"),
                (b"Accept-Encoding", b"gzip, deflate"),
                (b"Connection", b"keep-alive"),
                (b"User-Agent", f"python-httpx/{httpx.__version__}".encode()),
            ]
        return self._headers

    def _asgi_headers(self, uid: str) -> list[tuple[bytes, bytes]]:
        """The headers of a notice as an in-process receiver reads them (ASGI's lower-case names)."""
        return [
            *((name.lower(), value) for name, value in self._default_headers()),
            (b"topview-uid", uid.encode("latin-1", "replace")),
            (b"content-type", b"application/json"),
        ]

    def _transport_for_this_loop(self) -> httpx.AsyncBaseTransport:
        """The caller's transport, or one of ours bound to the running loop (a pool cannot outlive its loop)."""
        if self._transport is not None:
            return self._transport
        loop = asyncio.get_running_loop()
        if self._own is None or self._own_loop is not loop:
            import httpx

            # No proxy from the environment: a transport used directly reads none.
            self._own = httpx.AsyncHTTPTransport(
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=20)
            )
            self._own_loop = loop
        return self._own

    async def release(self) -> None:
        """Let go of the transport bound to a short-lived loop, before that loop ends."""
        own, self._own, self._own_loop = self._own, None, None
        if own is not None:
            await own.aclose()  # a caller's transport is the caller's to close

    async def aclose(self) -> None:
        """Close our transport for good."""
        await self.release()


async def _read_limited(response: httpx.Response) -> bytes:
    """At most READ_LIMIT bytes of a streamed reply body."""
    data = bytearray()
    async for chunk in response.aiter_bytes():
        data += chunk
        if len(data) >= READ_LIMIT:
            break
    return bytes(data[:READ_LIMIT])
