"""Slow clients are dropped after the read deadline; a request that arrived whole is never cut, however slow.

Real sockets against ``LiveServer`` with a 2 s deadline. What is waited for is an event (the server closing
the connection, an answer arriving), bounded generously; no assertion rests on how fast anything ran.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest
from wire import connect

from mock_server import MockConfig, TopviewMock
from mock_server.contract.openapi import Contract
from mock_server.testing.server import LiveServer
from mock_server.testing.slow_clients import protocol_class

HEADERS = {"Topview-Uid": "uid-slow", "Authorization": "Bearer k"}


@pytest.fixture
def server(contract: Contract) -> Iterator[LiveServer]:
    """A live fake whose requests must arrive within 2 real seconds."""
    live = LiveServer(TopviewMock(MockConfig(), contract=contract), read_timeout=2.0).start()
    try:
        yield live
    finally:
        live.stop()


def closed_by_server(sock: socket.socket) -> bytes:
    """Everything the server sent before closing the connection (fails if it is still open after 60 s)."""
    received = b""
    with sock:
        while chunk := sock.recv(4096):
            received += chunk
    return received


@pytest.mark.parametrize(
    "sent",
    [
        b"",
        b"GET /v1/caption/list HTTP/1.1\r\nHost: x\r\n",
        b"PUT /_mock/credits HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{",
    ],
    ids=["nothing", "half-the-headers", "headers-then-silence"],
)
def test_a_silent_client_is_dropped_and_holds_nobody_up(server: LiveServer, sent: bytes) -> None:
    """While the silent connection is open others are answered; then the server closes it, no 5xx, no error."""
    silent = connect(server.url, sent)
    for _ in range(5):
        assert httpx.get(server.url + "/v1/caption/list", headers=HEADERS, timeout=30).json()["code"] == "200"
    assert b" 5" not in closed_by_server(silent)[:12]  # closed without an answer, or with a 4xx at most
    assert server.errors == []


def test_a_request_that_arrived_whole_is_never_cut(contract: Contract) -> None:
    """A 4 s latency fault (longer than a 3 s deadline) still gets its answer: the deadline is for arriving."""
    live = LiveServer(TopviewMock(MockConfig(), contract=contract), read_timeout=3.0).start()
    try:
        live.add_fault(operation="captionList", latency=4, times=1)
        answer = httpx.get(live.url + "/v1/caption/list", headers=HEADERS, timeout=60)
        assert answer.json()["code"] == "200"
    finally:
        live.stop()


def test_a_later_request_on_a_kept_connection_gets_its_own_deadline(contract: Contract) -> None:
    """The deadline a connection's first request started moves with its next one: the slow answer to the
    second request (a 3 s latency fault, past the first request's 2 s deadline) still arrives."""
    live = LiveServer(TopviewMock(MockConfig(), contract=contract), read_timeout=2.0).start()
    try:
        live.add_fault(operation="captionList", latency=3, times=1)
        with httpx.Client(base_url=live.url, headers=HEADERS, timeout=60) as client:  # one kept-alive connection
            assert client.get("/user/credit/detail").json()["code"] == "200"
            assert client.get("/v1/caption/list").json()["code"] == "200"
            assert client.get("/user/credit/detail").json()["code"] == "200"  # the connection is still open
        assert live.errors == []
    finally:
        live.stop()


def test_a_body_that_never_comes_is_journalled_not_a_crash(server: LiveServer) -> None:
    """The submit whose body stops half-way is dropped; its handler ends with 4001, not an exception."""
    sent = b"POST /v1/scraper/task/submit HTTP/1.1\r\nHost: x\r\nTopview-Uid: uid-slow\r\n"
    sent += b"Authorization: Bearer k\r\nContent-Type: application/json\r\nContent-Length: 80\r\n\r\n{"
    closed_by_server(connect(server.url, sent))
    server.drain_callbacks()  # a round trip on the server's loop: the dropped handler has finished by then
    [entry] = server.call(lambda: server.mock.journal.entries(operation_id="scraperSubmit"))
    assert (entry.code, "never arrived whole" in entry.response["message"]) == ("4001", True)
    assert server.errors == []


def test_every_parser_gets_the_deadline() -> None:
    """h11 and httptools both come with it; another parser name is refused."""
    assert protocol_class("h11", 5).read_timeout == 5  # type: ignore[attr-defined]
    assert protocol_class("httptools").read_timeout == 30  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="zttp"):
        protocol_class("zttp")
