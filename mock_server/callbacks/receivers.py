"""Callback receivers in process: ASGI apps that take the notices for an origin, with no socket.

A test's own webhook app (Starlette, FastAPI, any ASGI app) added at an origin gets every notice whose
noticeUrl has that origin (scheme, host, port), exchanged with it directly over ASGI on the dispatcher's
event loop: no connection, no DNS look-up, no allow-list to pass (adding it is the allowance). Everything
else about a delivery stays as it is: the body and headers, the attempt timeout, the acknowledgement
check, retries on the virtual clock and the journal. The app's lifespan is not run (as with
``httpx.ASGITransport``): build its state before adding it.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from urllib.parse import SplitResult, unquote, urlsplit

import anyio
from starlette.types import ASGIApp, Message, Scope

from .hosts import address_of, is_internal, normalise_host

log = logging.getLogger("topview_mock.callbacks")

Origin = tuple[str, str, int]  # scheme, normalised host, port

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_CACHED = 1024  # noticeUrls whose receiver was looked up (a few, asked about at every attempt)
CLIENT = ("127.0.0.1", 443)  # where the exchange says it comes from


class ReceiverError(Exception):
    """The receiver app raised before it answered, or returned without answering."""


def origin_of(url: str) -> Origin | None:
    """The origin of an http(s) URL (None when it has none)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = normalise_host(parts.hostname or "")
    if scheme not in DEFAULT_PORTS or not host:
        return None
    return scheme, host, port if port is not None else DEFAULT_PORTS[scheme]


def spelled(origin: Origin) -> str:
    """``origin`` as a URL prefix (the default port left out)."""
    scheme, host, port = origin
    netloc = f"[{host}]" if ":" in host else host
    return f"{scheme}://{netloc}" if DEFAULT_PORTS[scheme] == port else f"{scheme}://{netloc}:{port}"


def parse_origin(origin: str) -> Origin:
    """``origin`` checked and parsed; ValueError saying what is wrong with it."""
    if not isinstance(origin, str):
        raise TypeError(f"a receiver's origin is a URL string like 'https://hooks.example.com', not {origin!r}")
    origin = origin.strip()
    try:
        parts = urlsplit(origin)
        _ = parts.port
    except ValueError as exc:
        raise ValueError(f"receiver origin {origin!r} is not a valid URL: {exc}") from None
    parsed = origin_of(origin)
    if parsed is None:
        raise ValueError(
            f"receiver origin {origin!r} must be an http(s) URL with a host, like 'https://hooks.example.com'"
        )
    if "@" in parts.netloc or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(
            f"receiver origin {origin!r} must be scheme, host and port only (no user, path, query or fragment): "
            "every noticeUrl under it goes to the app, which routes the path itself"
        )
    host = parsed[1]
    address = address_of(host)
    loopback = host == "localhost" or (address is not None and address.is_loopback)
    if is_internal(host) and not loopback:
        raise ValueError(
            f"receiver origin {origin!r} is a private, link-local or metadata address, which Topview refuses "
            "as a noticeUrl at submit: add the receiver at a public name (https://hooks.example.com) or at loopback"
        )
    return parsed


class Receivers:
    """The in-process receivers by origin, and which one (if any) a noticeUrl reaches."""

    def __init__(self) -> None:
        self._apps: dict[Origin, ASGIApp] = {}
        self._by_url: dict[str, ASGIApp | None] = {}

    def add(self, origin: str, app: ASGIApp) -> str:
        """Deliver notices for ``origin`` to ``app`` from now on (replacing one added there before)."""
        if not callable(app):
            raise TypeError(f"a receiver is an ASGI app (a callable taking scope, receive, send), not {app!r}")
        parsed = parse_origin(origin)
        self._apps[parsed] = app
        self._by_url.clear()
        return spelled(parsed)

    def remove(self, origin: str) -> bool:
        """Stop delivering ``origin``'s notices in process; whether a receiver was there."""
        removed = self._apps.pop(parse_origin(origin), None) is not None
        self._by_url.clear()
        return removed

    def origins(self) -> list[str]:
        """The origins with a receiver, in the order they were added."""
        return [spelled(origin) for origin in self._apps]

    def app_for(self, url: str) -> ASGIApp | None:
        """The receiver a notice to ``url`` goes to, or None (it goes over the network, if allowed)."""
        if not self._apps:
            return None
        if url in self._by_url:
            return self._by_url[url]
        if len(self._by_url) >= MAX_CACHED:
            self._by_url.clear()
        origin = origin_of(url)
        app = self._by_url[url] = self._apps.get(origin) if origin is not None else None
        return app


async def exchange(
    app: ASGIApp, url: str, headers: list[tuple[bytes, bytes]], body: bytes, limit: int
) -> tuple[int, bytes]:
    """POST ``body`` to ``app`` as a request for ``url``: its status and at most ``limit`` bytes of its reply.

    ``headers`` are lower-case names. Raises :class:`ReceiverError` when the app raised before it started
    its answer or returned without one; an app that raised after starting it answered with that status.
    """
    parts = _parts(url)
    host_header = parts.netloc.rpartition("@")[2].encode("idna")
    raw_path = (parts.path or "/").encode("ascii", "replace")
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": parts.scheme,
        "path": unquote(parts.path or "/"),
        "raw_path": raw_path,
        "query_string": parts.query.encode("ascii", "replace"),
        "root_path": "",
        "headers": [(b"host", host_header), *headers, (b"content-length", str(len(body)).encode())],
        "client": CLIENT,
        "server": (parts.hostname or "", parts.port or DEFAULT_PORTS.get(parts.scheme, 80)),
        "extensions": {},
    }
    call = AppCall(body, limit)
    try:
        await call.run(app, scope)
    except Exception as exc:  # the receiver's bug: a failed attempt, as a crashed server's would be
        log.warning("the in-process receiver for %s raised", url, exc_info=True)
        if call.status is None:
            raise ReceiverError(f"the receiver app raised {type(exc).__name__}: {exc}".rstrip(": ")) from exc
    if call.status is None:
        raise ReceiverError("the receiver app returned without answering")
    return call.status, call.content


class AppCall:
    """One request handed to an ASGI app in process, and its answer collected as the app sends it.

    The body goes to the app as one message; asked again before its answer is complete, ``receive`` waits
    for that (a streaming answer listens for the client leaving), then says the client left. At most
    ``limit`` bytes of the answer are kept. In-process receivers and ``FakeTopview``'s transport call apps
    this way.
    """

    __slots__ = ("_body", "_done", "_limit", "_read", "complete", "headers", "parts", "size", "status")

    def __init__(self, body: bytes, limit: int | None = None) -> None:
        self._body = body
        self._limit = limit
        self._read = False
        self._done: anyio.Event | None = None
        self.status: int | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.parts: list[bytes] = []
        self.size = 0
        self.complete = False

    async def run(self, app: ASGIApp, scope: Scope) -> None:
        """Call ``app`` with ``scope``; what it raises is raised (what it sent before stays collected)."""
        await app(scope, self.receive, self.send)

    @property
    def content(self) -> bytes:
        """The answer's body as collected."""
        return b"".join(self.parts)

    async def receive(self) -> Message:
        """The ASGI ``receive`` of the call."""
        if not self._read:
            self._read = True
            return {"type": "http.request", "body": self._body, "more_body": False}
        if not self.complete:  # asked again while answering: the client stays until the answer is complete
            self._done = self._done or anyio.Event()
            await self._done.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        """The ASGI ``send`` of the call."""
        kind = message["type"]
        if kind == "http.response.start":
            self.status, self.headers = int(message["status"]), list(message.get("headers", ()))
        elif kind == "http.response.body" and self.status is not None and not self.complete:
            chunk = message.get("body", b"")
            if chunk and (self._limit is None or self.size < self._limit):
                kept = chunk if self._limit is None else chunk[: self._limit - self.size]
                self.parts.append(kept)
                self.size += len(kept)
            if not message.get("more_body", False):
                self.complete = True
                if self._done is not None:
                    self._done.set()


@lru_cache(maxsize=MAX_CACHED)  # a few noticeUrls, split at every attempt
def _parts(url: str) -> SplitResult:
    return urlsplit(url)
