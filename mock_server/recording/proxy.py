"""The recording reverse proxy behind ``topview-mock record``: forwards to the upstream, writes cassettes.

A client sets its base URL to the proxy. Each exchange is forwarded unchanged (auth included), answered
to the client with its links rewritten to pass through the proxy (see ``passage``), then scrubbed and
appended to its cassette: the one named by the ``X-Topview-Mock-Cassette`` header (a test name), or
the session's. A cassette is rewritten whole after every exchange, and only once the scan found no
secret in it; a cassette that leaked is not written again this session (see ``redaction``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..contract.groups import Table
from ..contract.models import ModelCatalogue
from ..contract.openapi import Contract
from ..contract.resources import data_dir
from .arguments import DEFAULT_UPSTREAM
from .budget import Budget
from .cassettes import (
    BodyMetadata,
    Headers,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    dump_item,
    file_name,
    join_items,
    write_text,
)
from .normalise import parse_json
from .passage import Passage
from .redaction import Scrubber, SecretLeak, Secrets, scan, scan_item

CASSETTE_HEADER = "x-topview-mock-cassette"
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
# Not forwarded either way: hop-by-hop headers, and lengths/encodings httpx recomputes or decodes.
HOP_BY_HOP = frozenset(
    {
        "host",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "upgrade",
        "proxy-connection",
        "content-length",
        "content-encoding",
        "accept-encoding",
        CASSETTE_HEADER,
    }
)
_TEXT_TYPES = ("json", "text/", "xml", "x-www-form-urlencoded", "javascript")
log = logging.getLogger("topview_mock.record")


@dataclass(frozen=True)
class RecordOptions:
    """What ``topview-mock record`` was asked for."""

    out: Path
    upstream: str = DEFAULT_UPSTREAM
    record_as: str | None = None  # the base URL written in cassettes instead of the upstream's
    max_credits: float | None = None
    record_media: bool = False  # keep upload and download bytes, not only their size and type
    session: str = "session"  # the cassette of requests that name none
    timeout: float = 120.0
    secrets: Secrets = field(default_factory=Secrets)  # known up front (TOPVIEW_API_KEY, TOPVIEW_UID)


def is_media(content_type: str | None) -> bool:
    """True for bodies recorded as metadata unless asked: anything but JSON, text, XML and forms."""
    return bool(content_type) and not any(t in str(content_type).lower() for t in _TEXT_TYPES)


def text_or_bytes(data: bytes) -> str | bytes | None:
    """A body as a cassette stores it: text when it is UTF-8, bytes otherwise, None when empty."""
    if not data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


class Tape:
    """One cassette being recorded: the YAML items of its scrubbed exchanges, written after each new one.

    Each new exchange is scanned before the cassette is written; the earlier ones were scanned already,
    and are scanned again only when a secret was learnt since (a second account, a new key).
    """

    def __init__(self, name: str, path: Path, scrubber: Scrubber) -> None:
        self.name = name
        self.path = path
        self.scrubber = scrubber
        self.items: list[str] = []
        self.scanned_for: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
        self.leak: SecretLeak | None = None

    def add(self, raw: Interaction) -> None:
        """Scrub, scan and write; :class:`SecretLeak` (and nothing written) if a secret survived."""
        if self.leak is not None:
            raise self.leak
        item = dump_item(self.scrubber.interaction(raw))
        secrets = self.scrubber.secrets
        if secrets.known() == self.scanned_for:
            leaks = scan_item(item, secrets, len(self.items))
        else:
            leaks = scan(join_items([*self.items, item]), secrets)
        if leaks:
            self.leak = SecretLeak(self.name, leaks)
            raise self.leak
        self.items.append(item)
        self.scanned_for = secrets.known()
        write_text(self.path, join_items(self.items))


class Recorder:
    """The proxy's state: the upstream client, the cassettes being written, secrets seen, the budget."""

    def __init__(
        self,
        options: RecordOptions,
        *,
        contract: Contract | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.options = options
        self.contract = contract or Contract.load()
        self.operations = {(op.method, op.path): op.operation_id for op in self.contract}
        self.passage = Passage(options.upstream)
        self.secrets = options.secrets
        self.origins = {self.passage.upstream: (options.record_as or options.upstream).rstrip("/")}
        self.budget = Budget(options.max_credits, Table(ModelCatalogue(data_dir("contracts") / "catalogs.yaml")))
        self.tapes: dict[str, Tape] = {}
        self.leaks: list[SecretLeak] = []
        self.client = httpx.AsyncClient(transport=transport, timeout=options.timeout, follow_redirects=False)

    def app(self) -> Starlette:
        """The proxy as an ASGI app: every path and method is forwarded."""
        return Starlette(routes=[Route("/{path:path}", self.handle, methods=METHODS)])

    async def aclose(self) -> None:
        """Close the upstream client."""
        await self.client.aclose()

    def tape(self, name: str) -> Tape:
        """The cassette of that name, started on first use."""
        if name not in self.tapes:
            path = self.options.out / file_name(name)
            self.tapes[name] = Tape(name, path, Scrubber(self.secrets, self.origins))
        return self.tapes[name]

    async def handle(self, request: Request) -> Response:
        """Forward one request, record the exchange, answer the client."""
        target = self.passage.inward(request.url.path, request.url.query)
        if target is None:
            return PlainTextResponse("topview-mock record: no link handed out leads there", status_code=404)
        body = await request.body()
        self.secrets.learn(request.headers)
        operation = self.operations.get((request.method, request.url.path))
        _, document = parse_json(body)
        if operation is not None:
            refusal = self.budget.refusal(operation, document)
            if refusal is not None:
                log.warning("%s", refusal)
                return JSONResponse({"code": "4100", "message": refusal, "result": None})
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        try:
            answer = await self.client.request(request.method, target, headers=headers, content=body)
        except httpx.HTTPError as error:
            return PlainTextResponse(f"topview-mock record: upstream unreachable: {error!r}", status_code=502)
        if operation is not None:
            self.budget.observe(operation, document, parse_json(answer.content)[1])
        self._record(request, target, body, answer, api=operation is not None)
        return self._reply(answer, str(request.base_url))

    def _record(self, request: Request, target: str, body: bytes, answer: httpx.Response, *, api: bool) -> None:
        keep = self.options.record_media or api
        sent_type = request.headers.get("content-type")
        got_type = answer.headers.get("content-type")
        omit_sent = not keep and bool(body) and is_media(sent_type)
        omit_got = not keep and bool(answer.content) and is_media(got_type)
        raw = Interaction(
            RecordedRequest(
                request.method, target, None if omit_sent else text_or_bytes(body), _client_headers(request)
            ),
            RecordedResponse(
                answer.status_code,
                answer.reason_phrase,
                "" if omit_got else text_or_bytes(answer.content) or "",
                _headers(answer.headers.multi_items()),
            ),
            BodyMetadata(len(body), sent_type) if omit_sent else None,
            BodyMetadata(len(answer.content), got_type) if omit_got else None,
        )
        name = request.headers.get(CASSETTE_HEADER) or self.options.session
        try:
            self.tape(name).add(raw)
        except SecretLeak as leak:
            if leak not in self.leaks:
                self.leaks.append(leak)
                log.error("%s", leak)

    def _reply(self, answer: httpx.Response, local: str) -> Response:
        content = (
            self.passage.rewrite(answer.content, local)
            if not is_media(answer.headers.get("content-type"))
            else answer.content
        )
        reply = Response(content, status_code=answer.status_code)
        reply.raw_headers += [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in answer.headers.multi_items()
            if k.lower() not in HOP_BY_HOP
        ]
        return reply


def _client_headers(request: Request) -> Headers:
    pairs = [(k, v) for k, v in request.headers.items() if k.lower() != CASSETTE_HEADER]
    return _headers(pairs)


def _headers(pairs: Iterable[tuple[str, Any]]) -> Headers:
    headers: Headers = {}
    for name, value in pairs:
        headers.setdefault(name, []).append(str(value))
    return headers
