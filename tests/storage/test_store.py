"""The object store: presigned S3 and CloudFront-style URLs served by the fake, S3's errors."""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import anyio
import httpx
import mutagen
import pytest
import requests
import uvicorn
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from PIL import Image
from starlette.applications import Starlette

from mock_server.engine.clock import Clock
from mock_server.storage.buckets import InvalidKey, StoredObject, check_key
from mock_server.storage.media import sample
from mock_server.storage.store import DEFAULT_CONTENT_TYPE, Hmac, ObjectStore

BASE = "http://fake.test"
SECRET = b"test-secret"
PNG = sample("png", width=8, height=8)


@pytest.fixture
def anyio_backend() -> str:
    """Run the async tests on asyncio."""
    return "asyncio"


@pytest.fixture
def clock() -> Clock:
    """A clock that moves only when a test advances it."""
    return Clock(mode="manual")


@pytest.fixture
def uploads() -> list[tuple[str, StoredObject]]:
    """What the on_upload hook has been told, in order."""
    return []


@pytest.fixture
def store(clock: Clock, uploads: list[tuple[str, StoredObject]]) -> ObjectStore:
    """An in-memory store with a 1 KiB upload limit that records its uploads."""
    return ObjectStore(clock, SECRET, max_bytes=1024, on_upload=lambda key, obj: uploads.append((key, obj)))


@pytest.fixture
async def client(store: ObjectStore) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to an app made only of the store's routes."""
    app = Starlette(routes=store.routes())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE) as c:
        yield c


def error_of(response: httpx.Response) -> dict[str, str]:
    """The fields of an S3 XML error body."""
    assert response.headers["content-type"] == "application/xml"
    assert response.text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(response.content)
    assert root.tag == "Error"
    return {child.tag: child.text or "" for child in root}


def with_param(url: str, name: str, value: str | None) -> str:
    """``url`` with one query parameter replaced (or removed when ``value`` is None)."""
    parts = urlsplit(url)
    pairs = [pair.split("=", 1) for pair in parts.query.split("&")]
    kept = [f"{n}={v}" for n, v in pairs if n != name]
    if value is not None:
        kept.append(f"{name}={quote(value, safe='')}")
    return parts._replace(query="&".join(kept)).geturl()


# -- presigned URLs ---------------------------------------------------------------------------


def test_presigned_urls_look_like_s3_and_cloudfront(store: ObjectStore) -> None:
    """S3 URLs carry the SigV4 query; CDN URLs carry Expires, Signature and Key-Pair-Id."""
    put = urlsplit(store.presign_put(BASE + "/", "uploads/a b.png"))
    assert put.path == "/_objects/uploads/a%20b.png"
    query = parse_qs(put.query)
    assert set(query) == {
        f"X-Amz-{name}" for name in ("Algorithm", "Credential", "Date", "Expires", "SignedHeaders", "Signature")
    }
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Date"] == ["20260101T000000Z"]
    assert query["X-Amz-Expires"] == ["3600"]
    assert query["X-Amz-SignedHeaders"] == ["host"]
    assert len(query["X-Amz-Signature"][0]) == 64
    get = parse_qs(urlsplit(store.presign_get(BASE, "results/v.mp4")).query)
    assert get["X-Amz-Expires"] == ["86400"]
    cdn = urlsplit(store.presign_get(BASE, "results/v.mp4", 600, cdn=True))
    assert cdn.path == "/_cdn/results/v.mp4"
    assert set(parse_qs(cdn.query)) == {"Expires", "Signature", "Key-Pair-Id"}
    assert parse_qs(cdn.query)["Expires"] == ["1767226200"]


@pytest.mark.parametrize(
    "key",
    ["", "/abs", "a//b", "a/", "../x", "a/../b", "a/./b", ".meta/x", "a\\b", "a\x00b", "x/" + "é" * 128, "b" * 256],
)
def test_unsafe_keys_are_refused(store: ObjectStore, key: str) -> None:
    """Keys that could escape a directory (or are empty) are never signed or stored."""
    with pytest.raises(InvalidKey):
        check_key(key)
    with pytest.raises(InvalidKey):
        store.presign_put(BASE, key)
    with pytest.raises(InvalidKey):
        store.put_object(key, b"x")


@given(st.text(alphabet="ab./\\\x00", max_size=12))
def test_a_short_key_is_refused_exactly_when_something_in_it_is_unsafe(key: str) -> None:
    """An empty key or segment, a segment starting with '.', a backslash or a NUL, and nothing else, is refused."""
    unsafe = re.search(r"(?:^|/)(?:[./]|$)|[\\\x00]", key) is not None
    try:
        check_key(key)
        refused = False
    except InvalidKey:
        refused = True
    assert refused == unsafe


@given(st.binary(max_size=150), st.binary(max_size=300))
def test_the_stores_hmac_is_the_standard_one(key: bytes, message: bytes) -> None:
    """Signing with the key's pads hashed once gives hmac.digest's bytes, for short and long keys alike."""
    assert Hmac(key).digest(message) == hmac.digest(key, message, "sha256")


@pytest.mark.parametrize("expires_in", [0, -5, 604_801])
def test_lifetimes_s3_would_refuse_are_refused(store: ObjectStore, expires_in: int) -> None:
    """Presigned URLs live between one second and a week."""
    with pytest.raises(ValueError, match="expires_in"):
        store.presign_put(BASE, "k", expires_in)


# -- uploads ----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_put_without_content_type_is_stored_as_s3_does(
    store: ObjectStore, client: httpx.AsyncClient, uploads: list[tuple[str, StoredObject]]
) -> None:
    """A bare PUT works; S3 records binary/octet-stream and the hook hears about it."""
    url = store.presign_put(BASE, "uploads/u1/f.png")
    response = await client.put(url, content=PNG)
    assert response.status_code == 200
    assert response.headers["etag"] == f'"{hashlib.md5(PNG).hexdigest()}"'
    stored = store.get_object("uploads/u1/f.png")
    assert stored is not None
    assert (stored.data, stored.content_type, stored.size) == (PNG, DEFAULT_CONTENT_TYPE, len(PNG))
    assert stored.uploaded_at == Clock().now()
    assert uploads == [("uploads/u1/f.png", stored)]


@pytest.mark.anyio
async def test_put_with_a_wrong_content_type_is_accepted(store: ObjectStore, client: httpx.AsyncClient) -> None:
    """Content-Type is not signed (SignedHeaders=host), so any value goes and is kept."""
    url = store.presign_put(BASE, "f.png")
    response = await client.put(url, content=PNG, headers={"Content-Type": "text/plain"})
    assert response.status_code == 200
    stored = store.get_object("f.png")
    assert stored is not None and stored.content_type == "text/plain"


@pytest.mark.anyio
async def test_chunked_put_is_accepted(store: ObjectStore, client: httpx.AsyncClient) -> None:
    """A body without Content-Length (chunked) is read to the end."""

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(PNG), 10):
            yield PNG[start : start + 10]

    response = await client.put(store.presign_put(BASE, "c.png"), content=chunks())
    assert response.status_code == 200
    assert store.exists("c.png")
    stored = store.get_object("c.png")
    assert stored is not None and stored.data == PNG


@pytest.mark.anyio
@pytest.mark.parametrize("chunked", [False, True])
async def test_oversize_body_is_entity_too_large(store: ObjectStore, client: httpx.AsyncClient, chunked: bool) -> None:
    """Past max_bytes the upload is refused with 400 EntityTooLarge and nothing is stored."""
    body = b"x" * 1025

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(1000):  # far more than the limit: the store stops reading early
            yield body

    url = store.presign_put(BASE, "big.bin")
    response = await client.put(url, content=chunks() if chunked else body)
    assert response.status_code == 400
    error = error_of(response)
    assert error["Code"] == "EntityTooLarge"
    assert error["MaxSizeAllowed"] == "1024"
    assert error["Key"] == "big.bin"
    assert not store.exists("big.bin")


@pytest.mark.anyio
async def test_second_put_to_an_uploaded_key_is_refused(store: ObjectStore, client: httpx.AsyncClient) -> None:
    """Upload URLs are single-use: the second PUT gets 403 AccessDenied, the first stays."""
    url = store.presign_put(BASE, "once.png")
    assert (await client.put(url, content=PNG)).status_code == 200
    again = await client.put(store.presign_put(BASE, "once.png"), content=b"other")
    assert again.status_code == 403
    assert error_of(again)["Code"] == "AccessDenied"
    stored = store.get_object("once.png")
    assert stored is not None and stored.data == PNG


# -- refusals ---------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_tampered_signature_does_not_match(store: ObjectStore, client: httpx.AsyncClient) -> None:
    """One changed hex digit in the signature: 403 SignatureDoesNotMatch, in S3's XML."""
    url = store.presign_put(BASE, "t.png")
    signature = parse_qs(urlsplit(url).query)["X-Amz-Signature"][0]
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    response = await client.put(with_param(url, "X-Amz-Signature", flipped), content=PNG)
    assert response.status_code == 403
    error = error_of(response)
    assert error["Code"] == "SignatureDoesNotMatch"
    assert error["Key"] == "t.png"
    assert error["RequestId"]
    assert not store.exists("t.png")


@pytest.mark.anyio
async def test_signature_from_another_secret_does_not_match(
    clock: Clock, store: ObjectStore, client: httpx.AsyncClient
) -> None:
    """A URL signed by a store with another secret is refused."""
    foreign = ObjectStore(clock, b"someone-else").presign_put(BASE, "f.png")
    response = await client.put(foreign, content=PNG)
    assert response.status_code == 403
    assert error_of(response)["Code"] == "SignatureDoesNotMatch"


@pytest.mark.anyio
async def test_urls_are_bound_to_their_method_and_key(store: ObjectStore, client: httpx.AsyncClient) -> None:
    """A GET URL cannot upload, a PUT URL cannot download, and neither moves to another key."""
    store.put_object("r.png", PNG, "image/png")
    put_with_get_url = await client.put(store.presign_get(BASE, "r2.png"), content=PNG)
    get_with_put_url = await client.get(store.presign_put(BASE, "r.png"))
    other_key = await client.get(store.presign_get(BASE, "r.png").replace("r.png?", "r2.png?"))
    for response in (put_with_get_url, get_with_put_url, other_key):
        assert response.status_code == 403
        assert error_of(response)["Code"] == "SignatureDoesNotMatch"


@pytest.mark.anyio
async def test_expired_url_is_access_denied(clock: Clock, store: ObjectStore, client: httpx.AsyncClient) -> None:
    """Valid through the last second of X-Amz-Expires, then 403 'Request has expired'."""
    url = store.presign_put(BASE, "late.png", expires_in=60)
    clock.advance(61)
    response = await client.put(url, content=PNG)
    assert response.status_code == 403
    error = error_of(response)
    assert (error["Code"], error["Message"]) == ("AccessDenied", "Request has expired")
    assert error["X-Amz-Expires"] == "60"
    assert error["Expires"] == "2026-01-01T00:01:00Z"
    assert error["ServerTime"] == "2026-01-01T00:01:01Z"
    just_in_time = store.presign_put(BASE, "ok.png", expires_in=60)
    clock.advance(60)
    assert (await client.put(just_in_time, content=PNG)).status_code == 200


@pytest.mark.anyio
async def test_missing_or_malformed_auth_parameters(store: ObjectStore, client: httpx.AsyncClient) -> None:
    """No query: 403 AccessDenied; a cut-off query or a bad date: 400, as S3 answers."""
    url = store.presign_put(BASE, "m.png")
    bare = await client.put(url.split("?")[0], content=PNG)
    assert bare.status_code == 403
    assert error_of(bare) | {"RequestId": ""} == {
        "Code": "AccessDenied",
        "Message": "Access Denied",
        "Key": "m.png",
        "RequestId": "",
    }
    truncated = await client.put(url.split("&")[0], content=PNG)  # an unquoted shell URL
    assert truncated.status_code == 400
    assert error_of(truncated)["Code"] == "AuthorizationQueryParametersError"
    bad_date = await client.put(with_param(url, "X-Amz-Date", "yesterday"), content=PNG)
    assert bad_date.status_code == 400
    assert "X-Amz-Date" in error_of(bad_date)["Message"]
    assert not store.exists("m.png")


@pytest.mark.anyio
@pytest.mark.parametrize("expires", ["9" * 5000, "²", "٣٦٠٠"])
async def test_absurd_expiries_are_s3_errors(store: ObjectStore, client: httpx.AsyncClient, expires: str) -> None:
    """X-Amz-Expires of 5,000 digits or of non-ASCII digits: S3's 400, checked before the signature, never a 500."""
    url = with_param(store.presign_put(BASE, "e.png"), "X-Amz-Expires", expires)
    response = await client.put(url, content=PNG)
    assert response.status_code == 400
    error = error_of(response)
    assert error["Code"] == "AuthorizationQueryParametersError" and "X-Amz-Expires" in error["Message"]
    assert not store.exists("e.png")


@pytest.mark.anyio
@pytest.mark.parametrize("length", ["9" * 5000, "²"])
async def test_an_absurd_content_length_is_not_a_crash(
    store: ObjectStore, client: httpx.AsyncClient, length: str
) -> None:
    """A Content-Length of 5,000 digits is too large; one of non-ASCII digits is no length at all."""
    request = client.build_request("PUT", store.presign_put(BASE, "l.png"), content=PNG)
    request.headers["content-length"] = length
    response = await client.send(request)
    assert response.status_code == 400 if length.isascii() else response.status_code == 200


@pytest.mark.anyio
async def test_unknown_key_is_no_such_key(store: ObjectStore, client: httpx.AsyncClient) -> None:
    """A correctly signed GET for a key never stored: 404 NoSuchKey (HEAD: same status, no body)."""
    url = store.presign_get(BASE, "results/nothing.mp4")
    response = await client.get(url)
    assert response.status_code == 404
    error = error_of(response)
    assert (error["Code"], error["Key"]) == ("NoSuchKey", "results/nothing.mp4")
    head = await client.head(url)
    assert (head.status_code, head.content) == (404, b"")


@pytest.mark.anyio
async def test_other_methods_are_not_allowed(store: ObjectStore, client: httpx.AsyncClient) -> None:
    """DELETE and friends get S3's 405 MethodNotAllowed."""
    response = await client.delete(store.presign_get(BASE, "x.png"))
    assert response.status_code == 405
    assert error_of(response)["Code"] == "MethodNotAllowed"


@settings(max_examples=60, deadline=None)
@given(
    tamper=st.one_of(
        st.text(st.characters(exclude_categories=["Cs"]), max_size=80),
        st.tuples(st.integers(0, 63), st.sampled_from("0123456789abcdefABCDEF")),
    )
)
def test_any_tampering_of_the_signature_is_refused(tamper: str | tuple[int, str]) -> None:
    """Whatever replaces X-Amz-Signature, the upload is refused with 403 and nothing is stored."""
    store = ObjectStore(Clock(mode="manual"), SECRET)
    url = store.presign_put(BASE, "h.png")
    signature = parse_qs(urlsplit(url).query)["X-Amz-Signature"][0]
    if isinstance(tamper, tuple):
        index, char = tamper
        tamper = signature[:index] + char + signature[index + 1 :]
    assume(tamper != signature)

    async def attempt() -> httpx.Response:
        app = Starlette(routes=store.routes())
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app)) as client:
            return await client.put(with_param(url, "X-Amz-Signature", tamper), content=PNG)

    response = anyio.run(attempt)
    assert response.status_code == 403
    assert error_of(response)["Code"] == "SignatureDoesNotMatch"
    assert not store.exists("h.png")


# -- downloads --------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("cdn", [False, True])
async def test_result_images_download_at_their_size(store: ObjectStore, client: httpx.AsyncClient, cdn: bool) -> None:
    """A result image fetched with a plain GET opens in Pillow at the size it was made."""
    stored = store.ensure_sample("results/t1/cover.jpg", "jpg", width=120, height=90)
    response = await client.get(store.presign_get(BASE, "results/t1/cover.jpg", cdn=cdn))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["content-length"] == str(stored.size)
    assert response.headers["etag"] == stored.etag
    with Image.open(io.BytesIO(response.content)) as image:
        assert (image.format, image.size) == ("JPEG", (120, 90))


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("mp4", "video/mp4"), ("mp3", "audio/mpeg"), ("wav", "audio/wav"), ("m4a", "audio/mp4")],
)
async def test_result_audio_and_video_decode_with_a_duration(
    store: ObjectStore, client: httpx.AsyncClient, fmt: str, content_type: str
) -> None:
    """mutagen reads a duration from every downloaded audio or video result."""
    store.ensure_sample(f"results/t1/out.{fmt}", fmt, seconds=2.0)
    response = await client.get(store.presign_get(BASE, f"results/t1/out.{fmt}"))
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    parsed = mutagen.File(io.BytesIO(response.content))
    assert parsed is not None and parsed.info.length > 0.5


@pytest.mark.anyio
async def test_head_gives_headers_without_the_body(store: ObjectStore, client: httpx.AsyncClient) -> None:
    """HEAD (accepted on a GET URL) reports size and type, sends no bytes."""
    stored = store.put_object("results/a.png", PNG, "image/png")
    response = await client.head(store.presign_get(BASE, "results/a.png"))
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(stored.size)
    assert response.headers["last-modified"] == "Thu, 01 Jan 2026 00:00:00 GMT"


def test_ensure_sample_keeps_what_is_there(store: ObjectStore) -> None:
    """ensure_sample stores once; a second call returns the same object."""
    first = store.ensure_sample("results/x.png", "png")
    assert store.ensure_sample("results/x.png", "png", width=500) == first


@pytest.mark.anyio
async def test_cdn_urls_are_refused_like_cloudfront(
    clock: Clock, store: ObjectStore, client: httpx.AsyncClient
) -> None:
    """Tampered, expired or key-less CDN URLs get CloudFront's terse 403s; PUT is not allowed."""
    store.put_object("results/v.mp4", sample("mp4"), "video/mp4")
    url = store.presign_get(BASE, "results/v.mp4", expires_in=60, cdn=True)
    assert (await client.get(url)).status_code == 200
    tampered = await client.get(with_param(url, "Signature", "AAAA"))
    no_key = await client.get(with_param(url, "Key-Pair-Id", None))
    put = await client.put(url, content=b"x")
    clock.advance(61)
    expired = await client.get(url)
    assert [(r.status_code, error_of(r)["Code"]) for r in (tampered, no_key, put, expired)] == [
        (403, "AccessDenied"),
        (403, "MissingKey"),
        (405, "MethodNotAllowed"),
        (403, "AccessDenied"),
    ]
    assert "Key" not in error_of(expired)


# -- directory mode ---------------------------------------------------------------------------


@pytest.mark.anyio
async def test_directory_mode_keeps_objects_on_disk(clock: Clock, tmp_path: Path) -> None:
    """Uploads land under the directory, survive a new store, and reset removes them."""
    store = ObjectStore(clock, SECRET, directory=tmp_path)
    app = Starlette(routes=store.routes())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app)) as client:
        url = store.presign_put(BASE, "uploads/u1/f.png")
        response = await client.put(url, content=PNG, headers={"Content-Type": "image/png"})
    assert response.status_code == 200
    assert (tmp_path / "uploads" / "u1" / "f.png").read_bytes() == PNG
    again = ObjectStore(clock, SECRET, directory=tmp_path).get_object("uploads/u1/f.png")
    assert again == store.get_object("uploads/u1/f.png")
    assert again is not None and again.content_type == "image/png"
    store.reset()
    assert not store.exists("uploads/u1/f.png")
    assert not (tmp_path / "uploads").exists()


# -- a real HTTP client against a real server -------------------------------------------------


@pytest.fixture
def live_store() -> Iterator[tuple[ObjectStore, str]]:
    """The store's routes served by uvicorn on a free local port, stopped afterwards."""
    store = ObjectStore(Clock(mode="manual"), SECRET)
    app = Starlette(routes=store.routes())
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)  # bounded wait for the listening socket, not a fixed delay
    assert server.started, "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield store, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def test_requests_put_with_a_file_object(live_store: tuple[ObjectStore, str]) -> None:
    """requests streams a file object to the presigned URL; a plain GET brings it back."""
    store, base = live_store
    put = requests.put(store.presign_put(base, "uploads/real.png"), data=io.BytesIO(PNG), timeout=5)
    assert put.status_code == 200, put.text
    got = requests.get(store.presign_get(base, "uploads/real.png"), timeout=5)
    assert (got.status_code, got.content) == (200, PNG)
    assert got.headers["Content-Type"] == DEFAULT_CONTENT_TYPE
    denied = requests.put(store.presign_put(base, "uploads/real.png"), data=b"again", timeout=5)
    assert denied.status_code == 403
    assert "<Code>AccessDenied</Code>" in denied.text
