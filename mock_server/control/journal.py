"""The request journal: every exchange the fake answered, bounded in memory, filterable.

Topview operations and the object store's uploads and downloads (operationIds ``objectUpload`` and
``objectDownload``) are journalled; control routes (``/_mock/...``) are not, so reading the journal never
changes it. Each exchange keeps what a judge of the client needs: the wall-clock time it arrived and how
long it took, the HTTP status, the request headers (secrets redacted when shown) and the answer as sent.
Those are kept as the request and response already hold them and only read when asked for, so
journalling costs the request pipeline next to nothing.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from ..contract import json_text
from ..contract.openapi import Operation
from ..engine.clock import Clock

BODY_EXCERPT = 2000  # characters kept of a body that is not JSON
OBJECT_UPLOAD: Final = "objectUpload"  # the operationId of a PUT to a presigned upload URL
OBJECT_DOWNLOAD: Final = "objectDownload"  # ... of a GET or HEAD of a stored object or result media
REDACTED: Final = "***"
SECRET_HEADERS: Final = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and the answer it got."""

    seq: int
    at: float  # virtual clock time of the answer
    method: str
    path: str
    operation_id: str
    uid: str | None
    query: dict[str, str]
    body: Any  # the JSON body as read; a text excerpt if unreadable; None if never read
    code: str | None  # the envelope code; None when the answer was not an envelope
    status: int | None  # the HTTP status; None when the connection was dropped
    wall: float | None = None  # wall-clock time (Unix seconds) the request arrived
    duration: float | None = None  # wall-clock seconds until it was answered
    fault: str | None = None  # the fault rule that answered (or the X-Topview-Mock-Code header)
    variants: tuple[str, ...] = ()  # the scenario variants that reshaped the answer
    raw_headers: Sequence[tuple[bytes, bytes]] = field(default=(), repr=False, compare=False)
    raw_response: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def dropped(self) -> bool:
        """True when a fault rule dropped the connection instead of answering."""
        return self.status is None

    @property
    def answered(self) -> float | None:
        """Wall-clock time of the answer."""
        return None if self.wall is None else self.wall + (self.duration or 0.0)

    @property
    def headers(self) -> dict[str, str]:
        """The request headers, lower-case names, secrets (Authorization, cookies, API keys) redacted."""
        shown: dict[str, str] = {}
        for raw_name, raw_value in self.raw_headers:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            if name in SECRET_HEADERS:
                scheme, _, rest = value.partition(" ")
                value = f"{scheme} {REDACTED}" if rest and name.endswith("authorization") else REDACTED
            shown[name] = value
        return shown

    @property
    def response(self) -> Any:
        """The answer's body as sent: JSON read back, else a text excerpt; None if there was none."""
        if not self.raw_response:
            return None
        try:
            return json.loads(self.raw_response)
        except ValueError:
            return self.raw_response[:BODY_EXCERPT].decode("utf-8", "replace")

    def carries(self, secret: str) -> bool:
        """True if ``secret`` appears in the request's URL or in any header value (before redaction)."""
        if not secret:
            return False
        if secret in self.path or any(secret in value for value in self.query.values()):
            return True
        encoded = secret.encode("latin-1", "replace")
        return any(encoded in value for _, value in self.raw_headers)

    def to_json(self) -> dict[str, Any]:
        """The exchange as the control API shows it."""
        return {
            "seq": self.seq,
            "at": self.at,
            "method": self.method,
            "path": self.path,
            "operationId": self.operation_id,
            "uid": self.uid,
            "query": self.query,
            "body": self.body,
            "code": self.code,
            "status": self.status,
            "dropped": self.dropped,
            "wall": self.wall,
            "durationMs": None if self.duration is None else round(self.duration * 1000, 3),
            "headers": self.headers,
            "response": self.response,
            "fault": self.fault,
            "variants": list(self.variants),
        }


class Journal:
    """Every request and response, the newest ``size`` kept."""

    def __init__(self, clock: Clock, size: int = 10_000, wall: Callable[[], float] = time.time) -> None:
        if size < 1:
            raise ValueError("journal size must be at least 1")
        self._clock = clock
        self.wall = wall  # the wall clock exchanges are timed with (the only one the fake reads)
        # Answers are journalled as plain tuples of Exchange's fields (a frozen record costs more to build than
        # the rest of journalling) and made into Exchange records when the journal is first read after them.
        self._entries: deque[Exchange | tuple[Any, ...]] = deque(maxlen=size)
        self._unread = False  # some entries are still tuples
        self._seq = itertools.count(1)

    def record(
        self,
        op: Operation,
        request: Request,
        payload: dict[str, Any] | None,
        status: int | None,
        response: Response | None = None,
        started: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Remember one exchange (``payload`` None: no envelope; ``status`` None: connection dropped).

        ``payload`` is the envelope as the fake made it (its code is journalled); ``response`` is what was
        sent, after any scenario variant; ``started`` the wall-clock time the request arrived; ``headers``
        the request's by lower-case name, when the pipeline has them at hand.
        """
        uid = (request.headers if headers is None else headers).get("topview-uid", "").strip() or None
        code = payload.get("code") if payload is not None else None
        self._add(
            request,
            op.operation_id,
            uid,
            body=_body(request),
            code=code if isinstance(code, str) else None,
            status=status,
            response=response,
            started=started,
        )

    def record_object(self, operation_id: str, request: Request, response: Response, uid: str | None) -> None:
        """Remember an object-store exchange (an upload or a download) of account ``uid``."""
        self._add(request, operation_id, uid, body=None, code=None, status=response.status_code, response=None)

    def _add(
        self,
        request: Request,
        operation_id: str,
        uid: str | None,
        *,
        body: Any,
        code: str | None,
        status: int | None,
        response: Response | None,
        started: float | None = None,
    ) -> None:
        now = self.wall()
        scope = request.scope
        state = scope.get("state") or {}  # what request.state holds, read without Starlette's attribute errors
        query = state.get("query")  # as the pipeline parsed it
        # Exchange's fields, in order, made into the record when the journal is read (_exchanges): the
        # query and body as JSON bytes, the headers last and flattened (name, value, name, value ...).
        # Holding no dict, list or nested pair, an entry is untracked by the garbage collector at its
        # first pass, so the thousands kept cost its full passes nothing.
        self._entries.append(
            (
                next(self._seq),  # seq
                self._clock.now(),  # at
                scope["method"],
                scope["path"],  # not request.url: building a URL costs more than the rest
                operation_id,
                uid,
                _packed(dict(request.query_params) if query is None else query),
                _packed(body),
                code,
                status,
                now if started is None else started,  # wall
                0.0 if started is None else now - started,  # duration
                state.get("fault"),
                tuple(state.get("variants", ())),
                None if response is None else _owned(response.body),  # raw_response
                *[part for header in raw_headers(scope) for part in header],  # raw_headers
            )
        )
        self._unread = True

    def _exchanges(self) -> deque[Exchange | tuple[Any, ...]]:
        """Every kept entry, each an Exchange record (the tuples journalled since the last read made into one)."""
        if self._unread:
            entries = self._entries
            self._entries = deque(
                (e if isinstance(e, Exchange) else _exchange(e) for e in entries), maxlen=entries.maxlen
            )
            self._unread = False
        return self._entries

    def entries(
        self,
        *,
        uid: str | None = None,
        operation_id: str | None = None,
        code: str | None = None,
        limit: int | None = None,
    ) -> list[Exchange]:
        """Exchanges, oldest first, optionally of one account, operation or code; ``limit`` keeps the newest."""
        found = [
            e
            for e in self._exchanges()
            if isinstance(e, Exchange)  # every one is, once read
            and (uid is None or e.uid == uid)
            and (operation_id is None or e.operation_id == operation_id)
            and (code is None or e.code == code)
        ]
        return found[-limit:] if limit else found

    def __len__(self) -> int:
        return len(self._entries)

    def reset(self) -> None:
        """Forget everything."""
        self._entries.clear()
        self._unread = False
        self._seq = itertools.count(1)


_UNPARSED = object()


def _packed(value: Any) -> Any:
    """A query or body as the journal keeps it: a dict or list as its JSON bytes (what orjson cannot write,
    as it is); read back by :func:`_unpacked`."""
    if isinstance(value, dict | list):
        try:
            return _owned(orjson.dumps(value))
        except orjson.JSONEncodeError:  # an integer beyond 64 bits, nesting beyond orjson's depth
            return value
    return value  # a text excerpt, None


def _owned(data: bytes | memoryview) -> bytes:
    """``data`` copied into an allocation of its own size. orjson writes into a larger buffer and shrinks it
    in place: kept for long, as the journal keeps thousands, such bytes hold memory nothing else can use
    (10,000 entries of finished results held 78 MB more)."""
    return bytes(memoryview(data))


def _unpacked(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, bytes) else value


def _exchange(entry: tuple[Any, ...]) -> Exchange:
    """The record of an entry as ``_add`` kept it."""
    seq, at, method, path, operation_id, uid, query, body, code, status, wall, duration, fault, variants = entry[:14]
    return Exchange(
        seq, at, method, path, operation_id, uid, _unpacked(query), _unpacked(body), code, status, wall, duration,
        fault, variants, raw_headers=tuple(zip(entry[15::2], entry[16::2], strict=True)), raw_response=entry[14],
    )  # fmt: skip


def raw_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    """The request's headers as the server gave them (names lower-case), as ``request.headers.raw`` has them,
    without building Starlette's Headers."""
    raw = scope["headers"]
    if not isinstance(raw, list):  # ASGI allows any iterable: read it once, keep the list (as Starlette does)
        raw = scope["headers"] = list(raw)
    return raw


def _body(request: Request) -> Any:
    # The pipeline streams the body once (to bound its size) and leaves the raw bytes on request.state,
    # and the parsed JSON when it parsed: parsed once, shown as parsed.
    state = request.scope.get("state") or {}
    parsed = state.get("json_body", _UNPARSED)
    if parsed is not _UNPARSED:
        return parsed
    raw = state.get("raw_body")
    if not isinstance(raw, bytes) or not raw:
        return None
    try:
        return json_text.parse(raw)  # what the journal keeps must render as JSON again (no NaN, no surrogates)
    except json_text.UnreadableJson:
        return raw[:BODY_EXCERPT].decode("utf-8", "replace")
