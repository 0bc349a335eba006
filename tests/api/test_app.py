"""The request pipeline: authentication as clients send it, JSON the fake cannot hold (4001), a crash journalled."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from topview_calls import BASE_URL, assert_error, headers, ok

from mock_server import MockConfig, TopviewMock, create_app
from mock_server.contract.openapi import Contract

pytestmark = pytest.mark.anyio
HEADERS = headers()

SUBMIT = "/v1/scraper/task/submit"
LINK = '"productLink": "https://shop.example.com/p/1"'


async def post_raw(client: httpx.AsyncClient, path: str, raw: bytes) -> dict[str, Any]:
    """POST ``raw`` bytes as a JSON body; the envelope, after checking HTTP 200."""
    response = await client.post(path, content=raw, headers={**headers(), "Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    envelope: dict[str, Any] = response.json()
    return envelope


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"[" * 100_000, ["nests deeper than 100 levels"]),
        (b'{"a": ' + b"[" * 150 + b"]" * 150 + b", " + LINK.encode() + b"}", ["nests deeper than 100 levels"]),
        (b'{"productLink": "\\ud800"}', ["field productLink", "unpaired UTF-16 surrogate", "\\ud800"]),
        (b'{"\\udc00": 1, ' + LINK.encode() + b"}", ["field name", "unpaired UTF-16 surrogate"]),
        (b'{"productLink": "\xed\xa0\x80"}', ["not valid UTF-8", "0xed at offset 17"]),
        (b'{"productLink": "\xff"}', ["not valid UTF-8", "0xff"]),
        (b"{" + LINK.encode() + b', "x": NaN}', ["field x is NaN", "not a number JSON allows"]),
        (b"{" + LINK.encode() + b', "x": [-Infinity]}', ["field x[0] is -Infinity"]),
        (b"{" + LINK.encode() + b', "x": 1e400}', ["field x holds the number 1e400, beyond the range of a double"]),
        (b"{" + LINK.encode() + b', "x": ' + b"9" * 5000 + b"}", ["field x holds a number of more than 1000 digits"]),
        (b"{" + LINK.encode() + b",}", ["not valid JSON", "line 1"]),
    ],
    ids=[
        "deep",
        "deep-inside",
        "surrogate",
        "surrogate-key",
        "cesu8",
        "0xff",
        "nan",
        "infinity",
        "1e400",
        "digits",
        "bad",
    ],
)
async def test_json_the_fake_cannot_hold_is_4001_naming_the_problem(
    client: httpx.AsyncClient, mock: TopviewMock, raw: bytes, words: list[str]
) -> None:
    """Deep nesting, lone surrogates, invalid UTF-8, NaN/Infinity and huge numbers: 4001, nothing stored."""
    assert_error(await post_raw(client, SUBMIT, raw), "4001", "request body", *words)
    assert mock.tasks() == []
    journal = await client.get("/_mock/journal")  # kept as a text excerpt, which renders as JSON again
    assert journal.status_code == 200
    [entry] = journal.json()["entries"]
    assert isinstance(entry["body"], str) and entry["code"] == "4001"


async def test_surrogate_pairs_are_text_like_any_other(client: httpx.AsyncClient) -> None:
    """A properly paired escape ("\\ud83d\\ude00") is one character, stored and shown as such."""
    created = ok(await post_raw(client, "/boards/create", b'{"name": "fun \\ud83d\\ude00"}'))
    boards = ok((await client.get("/boards/list", headers=headers())).json())["list"]
    assert [b["name"] for b in boards if b["boardId"] == created["boardId"]] == ["fun \U0001f600"]


async def test_a_refused_surrogate_is_never_stored(client: httpx.AsyncClient) -> None:
    """A board name with a lone surrogate is refused, so the board list (and the journal) keep answering."""
    assert_error(await post_raw(client, "/boards/create", b'{"name": "x\\ud800"}'), "4001", "field name")
    assert ok((await client.get("/boards/list", headers=headers())).json())["total"] == 1  # the default board only
    assert (await client.get("/_mock/journal")).status_code == 200


async def test_a_crash_is_journalled_as_500(
    client: httpx.AsyncClient, mock: TopviewMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug inside an operation answers 500 (there is no envelope to fake) and the journal shows that 500."""

    async def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(mock.faults, "before", broken)
    with pytest.raises(RuntimeError, match="a bug"):  # ASGITransport re-raises what the app did not handle
        await client.get("/v1/caption/list", headers=headers())
    [entry] = mock.journal.entries()
    assert (entry.operation_id, entry.status, entry.code) == ("captionList", 500, None)


@pytest.mark.parametrize("own_middleware", [False, True], ids=["direct", "through-middleware"])
async def test_a_crash_answers_starlettes_500_and_is_raised(
    mock: TopviewMock, monkeypatch: pytest.MonkeyPatch, own_middleware: bool
) -> None:
    """Contract operations skip Starlette's middlewares unless the app has its own, and a bug still answers
    the 500 page Starlette's error middleware sends, then escapes to the server (or the test client)."""

    async def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    app = create_app(mock=mock)
    if own_middleware:
        app.add_middleware(Middleware)
    monkeypatch.setattr(mock.faults, "before", broken)
    quiet = httpx.ASGITransport(app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=quiet, base_url=BASE_URL, headers=HEADERS) as client:
        response = await client.get("/v1/caption/list")
    assert (response.status_code, response.text) == (500, "Internal Server Error")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL, headers=HEADERS) as client:
        with pytest.raises(RuntimeError, match="a bug"):
            await client.get("/v1/caption/list")
    assert [entry.status for entry in mock.journal.entries()] == [500, 500]


class Middleware:
    """An app's own ASGI middleware, passing everything through."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


async def test_absurd_header_values_get_their_documented_codes(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """A 10,000-character uid is 401; a 10,000-character Content-Type is 4001 with a message of sane length."""
    huge_uid = await client.get("/v1/caption/list", headers={**headers(), "Topview-Uid": "u" * 10_000})
    assert_error(huge_uid.json(), "401", "Topview-Uid")
    odd_type = {**headers(), "Content-Type": "text/" + "x" * 10_000}
    envelope = (await client.post(SUBMIT, content=b"{" + LINK.encode() + b"}", headers=odd_type)).json()
    assert_error(envelope, "4001", "Content-Type must be application/json")
    assert len(envelope["message"]) < 200
    latin1 = [(b"Topview-Uid", b"caf\xe9"), (b"Authorization", b"Bearer k\xff")]
    assert (await client.get("/v1/caption/list", headers=latin1)).json()["code"] == "200"
    assert len(mock.journal.entries()) == 3


# -- authentication ------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
async def test_the_auth_scheme_is_read_in_any_case(client: httpx.AsyncClient, scheme: str) -> None:
    """``Authorization: bearer <key>`` authenticates: HTTP auth schemes are case-insensitive."""
    headers = {"Topview-Uid": "uid-alice", "Authorization": f"{scheme} sk-live"}
    response = await client.get("/user/credit/detail", headers=headers)
    assert response.json()["code"] == "200", response.text


@pytest.mark.parametrize("value", ["Basic sk-live", "Bearer", "Bearer  sk-live", "Token sk-live"])
async def test_other_schemes_and_malformed_values_are_still_401(client: httpx.AsyncClient, value: str) -> None:
    """Only the scheme's case is loose: another scheme, no key, or two spaces answer 401."""
    response = await client.get("/user/credit/detail", headers={"Topview-Uid": "uid-alice", "Authorization": value})
    assert response.json()["code"] == "401", response.text


# -- one order of checks: auth, shape, referenced ids, state ----------------------------------------------------

UNKNOWN = "0123456789abcdef0123456789abcdef"


async def test_auth_comes_before_the_shape(client: httpx.AsyncClient) -> None:
    """No credentials and a broken body: 401."""
    response = await client.post("/v1/scraper/task/submit", json={"productLink": ["not", "a", "string"]})
    assert response.json()["code"] == "401"


async def test_the_shape_comes_before_unknown_ids(client: httpx.AsyncClient) -> None:
    """An unknown taskId with a malformed flag: the flag's 4001, not the id's 4004."""
    response = await client.get(
        "/v1/scraper/task/query", params={"taskId": UNKNOWN, "needCloudFrontUrl": "maybe"}, headers=HEADERS
    )
    assert_error(response.json(), "4001", "needCloudFrontUrl")


async def test_a_broken_rule_comes_before_an_unknown_id(client: httpx.AsyncClient) -> None:
    """m2v with an unknown fileId and no productName (required without productLink): the rule's 4000."""
    body = {"fileIds": [UNKNOWN], "language": "en"}
    response = await client.post("/v1/m2v/task/submit", json=body, headers=HEADERS)
    assert_error(response.json(), "4000", "productName")


async def test_a_model_rule_comes_before_an_unknown_file(client: httpx.AsyncClient) -> None:
    """image2video v2 with an unknown first frame and a duration the model lacks: the model rule's 4000."""
    body = {"model": "Seedance 1.5 Pro", "firstFrameFileId": UNKNOWN, "duration": 60}
    response = await client.post("/v2/common_task/image2video/task/submit", json=body, headers=HEADERS)
    assert_error(response.json(), "4000", "duration")


async def test_a_refused_notice_url_comes_before_an_unknown_id(client: httpx.AsyncClient) -> None:
    """A metadata-address noticeUrl with an unknown voice: the noticeUrl's 4000."""
    body = {"productLink": "https://shop.example.com/p/1", "voiceId": UNKNOWN, "noticeUrl": "http://169.254.169.254/"}
    response = await client.post("/v1/m2v/task/submit", json=body, headers=HEADERS)
    assert_error(response.json(), "4000", "noticeUrl")


async def test_a_repeated_segment_comes_before_an_unknown_task(client: httpx.AsyncClient) -> None:
    """Script update of an unknown task with a repeated segId: the shape's 4000."""
    segments = [{"segId": 0, "segText": "One."}, {"segId": 0, "segText": "Two."}]
    body = {"taskId": UNKNOWN, "scriptId": 0, "scriptContents": segments}
    response = await client.post("/v1/m2v/script/update", json=body, headers=HEADERS)
    assert_error(response.json(), "4000", "segId")


async def test_unknown_ids_come_before_the_state(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """No credits left and an unknown voice: the id's 4004, not the credits' 4100."""
    mock.set_credits("uid-alice", 0)
    body = {"productLink": "https://shop.example.com/p/1", "voiceId": UNKNOWN}
    response = await client.post("/v1/m2v/task/submit", json=body, headers=HEADERS)
    assert_error(response.json(), "4004", "voiceId")
    body.pop("voiceId")
    response = await client.post("/v1/m2v/task/submit", json=body, headers=HEADERS)
    assert_error(response.json(), "4100")


async def test_a_body_arriving_in_pieces_is_read_whole_and_bounded(contract: Contract) -> None:
    """Chunks are joined before parsing; past ``max_body_bytes`` the request is refused with 4000."""
    app = create_app(mock=TopviewMock(MockConfig(max_body_bytes=200), contract=contract))
    body = b'{"productLink": "https://shop.example.com/p/1"}'

    async def pieces(raw: bytes, size: int) -> AsyncIterator[bytes]:
        for start in range(0, len(raw), size):
            yield raw[start : start + size]

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL) as client:
        sent = {**headers(), "Content-Type": "application/json"}
        whole = (await client.post(SUBMIT, content=pieces(body, 7), headers=sent)).json()
        assert whole["code"] == "200"
        big = body[:-1] + b', "x": "' + b"y" * 200 + b'"}'
        refused = (await client.post(SUBMIT, content=pieces(big, 50), headers=sent)).json()
    assert (refused["code"], refused["message"]) == ("4000", "request body is larger than 200 bytes")
    journalled = app.state.mock.journal.entries()
    assert journalled[0].body == {"productLink": "https://shop.example.com/p/1"}
