"""``topview-mock replay``: cassettes served back to a client in any language.

Answers are the recorded ones, with their links rewritten to pass through the replay server (so an
upload's PUT and a result's download are answered from the cassette too). A body recorded only as
metadata is answered with a small valid file of its type. A request no exchange answers gets
Topview's ``4004`` envelope (HTTP 404) naming the nearest recorded request and how it differs; the
server logs the same line. ``GET /_replay/misses`` lists the misses, ``POST /_replay/rewind`` starts
every sequence again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..storage.media import sample
from .cassettes import Cassette, Interaction
from .matching import Miss, ReplayBook
from .passage import Passage
from .proxy import CASSETTE_HEADER, METHODS, is_media

# Formats a replayed download can be made in, by the content type the cassette recorded.
_SAMPLES = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/bmp": "bmp",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "audio/mpeg": "mp3",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/mp4": "m4a",
}
_DROPPED = frozenset({"content-length", "transfer-encoding", "content-encoding", "connection"})
log = logging.getLogger("topview_mock.replay")


def sample_for(content_type: str | None) -> bytes | None:
    """A small valid file of a media content type, or None for a type the fake cannot make."""
    fmt = _SAMPLES.get((content_type or "").split(";")[0].strip().lower())
    return sample(fmt) if fmt else None


def answer_body(interaction: Interaction) -> bytes:
    """The bytes to answer with: the recorded body, or a stand-in file for one recorded as metadata."""
    body = interaction.response.body
    meta = interaction.response_body
    if meta is not None:
        made = sample_for(meta.content_type)
        return made if made is not None else bytes(meta.size)
    if isinstance(body, bytes):
        return body
    return (body or "").encode("utf-8")


def miss_envelope(miss: Miss) -> dict[str, Any]:
    """Topview's not-found envelope for a request no cassette answers."""
    return {"code": "4004", "message": f"topview-mock replay: {miss.describe()}", "result": None}


class Replayer:
    """The replay server's state: the book of cassettes and the links it hands out."""

    def __init__(self, cassettes: Iterable[Cassette]) -> None:
        self.book = ReplayBook(cassettes)
        base = self.book.shelves[0].base if self.book.shelves else "https://api.topview.ai"
        self.passage = Passage(base)
        for host in self.book.hosts():
            self.passage.allow(host)

    def app(self) -> Starlette:
        """The replay server as an ASGI app."""
        return Starlette(
            routes=[
                Route("/_replay/misses", self.misses, methods=["GET"]),
                Route("/_replay/rewind", self.rewind, methods=["POST"]),
                Route("/{path:path}", self.handle, methods=METHODS),
            ]
        )

    async def misses(self, request: Request) -> Response:
        """Every request no cassette answered so far."""
        return JSONResponse({"misses": [m.describe() for m in self.book.misses]})

    async def rewind(self, request: Request) -> Response:
        """Start every sequence of repeated requests again and forget the misses."""
        self.book.rewind()
        return JSONResponse({"rewound": True})

    async def handle(self, request: Request) -> Response:
        """Answer one request from the cassettes."""
        url = self.passage.inward(request.url.path, request.url.query)
        if url is None:
            url = str(request.url)
        found = self.book.answer(
            request.method,
            url,
            await request.body(),
            request.headers.get("content-type"),
            request.headers.get(CASSETTE_HEADER),
        )
        if isinstance(found, Miss):
            log.warning("%s", found.describe())
            return JSONResponse(miss_envelope(found), status_code=404)
        body = answer_body(found)
        if found.response_body is None and not is_media(found.response.header("Content-Type")):
            body = self.passage.rewrite(body, str(request.base_url))
        reply = Response(body, status_code=found.response.status)
        reply.raw_headers += [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, values in found.response.headers.items()
            if name.lower() not in _DROPPED
            for value in values
        ]
        return reply
