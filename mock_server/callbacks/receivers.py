"""Callback receivers in process: ASGI apps that take the notices for an origin, with no socket.

A test's own webhook app (Starlette, FastAPI, any ASGI app) added at an origin gets every notice whose
noticeUrl has that origin (scheme, host, port), exchanged with it directly over ASGI on the dispatcher's
event loop: no connection, no DNS look-up, no allow-list to pass (adding it is the allowance). Everything
else about a delivery stays as it is: the body and headers, the attempt timeout, the acknowledgement
check, retries on the virtual clock and the journal. The app's lifespan is not run (as with
``httpx.ASGITransport``): build its state before adding it.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import SplitResult, unquote, urlsplit

from starlette.types import ASGIApp, Message, Scope

from .hosts import is_internal, normalise_host

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
    try:
        parts = urlsplit(origin.strip())
        _ = parts.port
    except ValueError as exc:
        raise ValueError(f"receiver origin {origin!r} is not a valid URL: {exc}") from None
    parsed = origin_of(origin.strip())
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
    if is_internal(host) and host not in ("localhost", "::1") and not host.startswith("127."):
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
    status: int | None = None
    reply = bytearray()
    sent_request = False
    answered: asyncio.Event | None = None
    complete = False

    async def receive() -> Message:
        nonlocal sent_request, answered
        if not sent_request:
            sent_request = True
            return {"type": "http.request", "body": body, "more_body": False}
        if not complete:  # asked again while answering: the client stays until the answer is complete
            answered = answered or asyncio.Event()
            await answered.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status, complete
        if message["type"] == "http.response.start":
            status = int(message["status"])
        elif message["type"] == "http.response.body" and status is not None and not complete:
            if len(reply) < limit:
                reply.extend(message.get("body", b"")[: limit - len(reply)])
            if not message.get("more_body", False):
                complete = True
                if answered is not None:
                    answered.set()

    try:
        await app(scope, receive, send)
    except Exception as exc:  # the receiver's bug: a failed attempt, as a crashed server's would be
        log.warning("the in-process receiver for %s raised", url, exc_info=True)
        if status is None:
            raise ReceiverError(f"the receiver app raised {type(exc).__name__}: {exc}".rstrip(": ")) from exc
    if status is None:
        raise ReceiverError("the receiver app returned without answering")
    return status, bytes(reply)


_split: dict[str, SplitResult] = {}


def _parts(url: str) -> SplitResult:
    parts = _split.get(url)
    if parts is None:
        if len(_split) >= MAX_CACHED:
            _split.clear()
        parts = _split[url] = urlsplit(url)
    return parts
