"""How the pipeline reads a request once: its query string and its headers, as Starlette would read them."""

from __future__ import annotations

from urllib.parse import parse_qsl

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.requests import Request

from mock_server.api.app import header_map, query_of

query_text = st.lists(st.sampled_from(["a", "b", "=", "&", "%41", "%", "+", "é", "x=1", ";", " "]), max_size=10).map(
    "".join
)


def request_of(query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None) -> Request:
    """A bare request scope."""
    return Request({"type": "http", "method": "GET", "path": "/", "query_string": query, "headers": headers or []})


@settings(max_examples=300, deadline=None)
@given(query_text)
def test_the_query_reads_as_parse_qsl_reads_it(text: str) -> None:
    """Plain query strings skip the decoding, with parse_qsl's answer: empty fields dropped, a bare name is ''."""
    raw = text.encode("latin-1", "replace")
    request = request_of(raw)
    expected = dict(parse_qsl(raw.decode("latin-1"), keep_blank_values=True))
    assert query_of(request) == expected
    assert request.state.query == expected  # kept for the journal


def test_headers_are_read_as_starlette_reads_them() -> None:
    """Lower-case names; the first of a repeated header wins, as ``request.headers.get`` answers."""
    request = request_of(headers=[(b"topview-uid", b"first"), (b"x-other", b"\xe9"), (b"topview-uid", b"second")])
    heads = header_map(request)
    assert heads["topview-uid"] == request.headers.get("topview-uid") == "first"
    assert heads["x-other"] == request.headers["x-other"] == "é"
