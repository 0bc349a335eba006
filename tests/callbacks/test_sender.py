"""One callback attempt over HTTP, against an in-process transport: what is sent and how the reply is judged."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from mock_server.callbacks.records import NoticeDelivery
from mock_server.callbacks.sender import READ_LIMIT, NoticeSender

pytestmark = pytest.mark.anyio

UID = "uid-alice"
BODY = {"uuid": "a" * 32, "bizType": "SCRAPER", "taskId": "b" * 32, "status": "success", "errorMsg": "", "result": "{}"}
ACK = {"code": "200", "message": "Success", "result": {"uuid": "a" * 32, "topviewUid": UID, "result": "success"}}


@pytest.fixture
def anyio_backend() -> str:
    """The sender binds its client to an asyncio loop."""
    return "asyncio"


def delivery() -> NoticeDelivery:
    """A delivery of ``BODY`` to a receiver that the transport stands in for."""
    return NoticeDelivery(id="d1", uid=UID, url="http://127.0.0.1:9/notice", body=dict(BODY), created_at=0.0)


async def test_the_notice_is_posted_as_compact_json_with_the_account_header() -> None:
    """One POST with Topview-Uid and a JSON body; the documented reply acknowledges it."""
    seen: list[httpx.Request] = []

    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=ACK)

    sender = NoticeSender(httpx.MockTransport(reply))
    status, text, problem = await sender.post(delivery(), 5)
    await sender.aclose()
    assert (status, problem) == (200, None) and json.loads(text) == ACK
    (request,) = seen
    assert request.method == "POST" and request.headers["Topview-Uid"] == UID
    assert request.headers["Content-Type"] == "application/json"
    assert request.content == json.dumps(BODY, separators=(",", ":")).encode()


async def test_a_non_2xx_status_is_the_problem() -> None:
    """Any status outside 2xx fails the attempt, whatever the body says."""
    sender = NoticeSender(httpx.MockTransport(lambda request: httpx.Response(503, json=ACK)))
    assert (await sender.post(delivery(), 5))[::2] == (503, "HTTP 503")


async def test_a_huge_reply_is_read_only_up_to_the_limit() -> None:
    """Only READ_LIMIT bytes are read, so a reply that never ends cannot hold the attempt."""
    sender = NoticeSender(httpx.MockTransport(lambda request: httpx.Response(200, content=b"x" * (3 * READ_LIMIT))))
    status, text, problem = await sender.post(delivery(), 5)
    assert (status, len(text), problem) == (200, READ_LIMIT, "acknowledgement is not JSON")


async def test_a_refused_connection_names_the_error() -> None:
    """Transport errors become the attempt's problem instead of escaping."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    sender = NoticeSender(httpx.MockTransport(refuse))
    assert await sender.post(delivery(), 5) == (None, "", "ConnectError: connection refused")


async def test_a_latin1_account_header_goes_back_byte_for_byte() -> None:
    """A uid that arrived as Latin-1 header bytes ("é", 0xff) is sent back as the same bytes, not a crash."""
    uid = b"caf\xe9\xff".decode("latin-1")  # how Starlette reads a header's bytes
    seen: list[httpx.Request] = []

    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={**ACK, "result": {**ACK["result"], "topviewUid": uid}})

    sender = NoticeSender(httpx.MockTransport(reply))
    notice = NoticeDelivery(id="d1", uid=uid, url="http://127.0.0.1:9/notice", body=dict(BODY), created_at=0.0)
    assert (await sender.post(notice, 5))[2] is None
    await sender.aclose()
    assert (b"Topview-Uid", b"caf\xe9\xff") in seen[0].headers.raw


async def test_the_real_timeout_cuts_off_a_receiver_that_never_answers() -> None:
    """Without a stand-in, asyncio.timeout bounds the attempt: 2 real seconds against a reply that never comes."""

    async def never(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    sender = NoticeSender(httpx.MockTransport(never))
    assert await sender.post(delivery(), 2) == (None, "", "timed out after 2 s")
