"""In-process callback receivers: a test's own ASGI app takes the notices for an origin, with no socket.

Delivery is the same as over HTTP (body, headers, acknowledgement check, retries on the virtual clock,
timeouts, the journal); only the exchange is an ASGI call. Hanging receivers time out by events
(``give_up_when``), never by a fraction of a real second.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from receivers import Received, Receiver, ack, acked_with, give_up_when, plain_ok, serving, status
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from mock_server import FakeTopview, MockConfig, Progression, TopviewMock
from mock_server.callbacks.policy import DeliveryPolicy
from mock_server.callbacks.receivers import Receivers
from mock_server.callbacks.sender import READ_LIMIT

pytestmark = pytest.mark.anyio

UID = "uid-receivers"
SUBMIT, QUERY = "/v1/scraper/task/submit", "/v1/scraper/task/query"
SCRAPE = {"productLink": "https://shop.example.com/cup"}
HOOKS = "https://hooks.example.com"


@pytest.fixture
def anyio_backend() -> str:
    """Deliveries run on asyncio."""
    return "asyncio"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTopview]:
    """A fake whose tasks finish 4 virtual seconds after submit; retries after 5 and 10 s, 3 attempts."""
    config = MockConfig(
        seed=0,
        progression=Progression("time", init=1, running=3),
        public_url="https://topview.test",
        notice_policy=DeliveryPolicy(max_attempts=3, first_delay=5, backoff=2, attempt_timeout=30),
    )
    fake = FakeTopview(TopviewMock(config), uid=UID)
    yield fake
    await fake.mock.notices.aclose()
    await fake.client.aclose()
    fake.close()


async def finished(fake: FakeTopview, notice_url: str) -> str:
    """Submit a scraper task calling back to ``notice_url``, let it succeed, run its callback; its taskId."""
    answer = (await fake.client.post(SUBMIT, json={**SCRAPE, "noticeUrl": notice_url})).json()
    assert answer["code"] == "200", answer
    fake.advance(4)
    await fake.adrain_callbacks()
    return str(answer["result"]["taskId"])


async def test_a_receiver_app_gets_the_notice_in_process_and_acknowledges_it(fake: FakeTopview) -> None:
    """The app sees the noticeUrl's path and query, the account header and the documented body."""
    receiver = Receiver()
    assert fake.add_receiver(HOOKS, receiver.app) == HOOKS
    task_id = await finished(fake, f"{HOOKS}/topview/notices?tenant=7")
    [received] = receiver.received
    assert received.path == "/topview/notices"
    assert received.headers["topview-uid"] == UID and received.headers["content-type"] == "application/json"
    assert received.headers["host"] == "hooks.example.com"
    assert received.body["taskId"] == task_id and received.body["status"] == "success"
    [delivery] = fake.callbacks(task_id=task_id)
    assert delivery.state == "delivered" and delivery.attempts[0].http_status == 200
    assert delivery.attempts[0].error is None


async def test_the_receiver_sees_what_a_receiver_over_a_socket_sees(fake: FakeTopview) -> None:
    """Same body and the same headers (but the host it was addressed by and the body's length) either way."""
    in_process, served = Receiver(), Receiver()
    fake.add_receiver(HOOKS, in_process.app)
    await finished(fake, f"{HOOKS}/hook")
    async with serving(served) as url:
        await finished(fake, url)
    [one], [other] = in_process.received, served.received
    assert one.body.keys() == other.body.keys()
    assert {k: v for k, v in one.body.items() if k not in ("uuid", "taskId", "result")} == {
        k: v for k, v in other.body.items() if k not in ("uuid", "taskId", "result")
    }
    ignored = {"host", "content-length"}
    assert {k: v for k, v in one.headers.items() if k not in ignored} == {
        k: v for k, v in other.headers.items() if k not in ignored
    }


async def test_without_the_receiver_the_notice_is_refused_and_never_leaves(fake: FakeTopview) -> None:
    """A public host nobody added is journalled as not delivered; removing a receiver brings that back."""
    receiver = Receiver()
    fake.add_receiver(HOOKS, receiver.app)
    assert fake.remove_receiver(HOOKS) is True and fake.remove_receiver(HOOKS) is False
    task_id = await finished(fake, f"{HOOKS}/hook")
    [delivery] = fake.callbacks(task_id=task_id)
    assert delivery.state == "refused" and "host not allowed" in (delivery.refused_reason or "")
    assert receiver.received == []


@pytest.mark.parametrize(
    ("url", "taken"),
    [
        ("https://HOOKS.example.com./a", True),  # the host in its one normalised form
        ("https://hooks.example.com:443/a", True),  # the scheme's default port is the origin's
        ("https://hooks.example.com:8443/a", False),
        ("http://hooks.example.com/a", False),
        ("https://other.example.com/a", False),
    ],
)
async def test_only_notices_for_the_origin_reach_the_app(fake: FakeTopview, url: str, taken: bool) -> None:
    """Scheme, host and port together are the origin; anything else goes its usual way (here: refused)."""
    receiver = Receiver()
    fake.add_receiver(HOOKS, receiver.app)
    task_id = await finished(fake, url)
    [delivery] = fake.callbacks(task_id=task_id)
    assert (len(receiver.received), delivery.state) == ((1, "delivered") if taken else (0, "refused"))


async def test_a_failed_answer_is_retried_on_the_virtual_clock(fake: FakeTopview) -> None:
    """HTTP 503, then an acknowledgement for another uuid, then the right one: three attempts, delivered."""
    receiver = Receiver(status(503), acked_with(uuid="0" * 32), ack)
    fake.add_receiver(HOOKS, receiver.app)
    task_id = await finished(fake, f"{HOOKS}/hook")
    [delivery] = fake.callbacks(task_id=task_id)
    assert delivery.state == "pending" and delivery.attempts[0].error == "HTTP 503"
    fake.advance(5)
    await fake.adrain_callbacks()
    assert "uuid" in (delivery.attempts[1].error or "") and delivery.state == "pending"
    fake.advance(10)
    await fake.adrain_callbacks()
    assert delivery.state == "delivered" and len(receiver.received) == 3
    start = delivery.attempts[0].at
    assert [a.at - start for a in delivery.attempts] == [0, 5, 15]


async def test_a_plain_ok_is_no_acknowledgement(fake: FakeTopview) -> None:
    """The reply is judged as any receiver's: 200 with a body that is not the acknowledgement fails."""
    fake.add_receiver(HOOKS, Receiver(plain_ok).app)
    task_id = await finished(fake, f"{HOOKS}/hook")
    [delivery] = fake.callbacks(task_id=task_id)
    assert delivery.state == "pending" and "not JSON" in (delivery.attempts[0].error or "")


async def test_an_app_that_raises_fails_the_attempt_with_its_exception(fake: FakeTopview) -> None:
    """A bare ASGI app raising before it answers: the attempt names the exception, and is retried."""

    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise ValueError("no database")

    fake.add_receiver(HOOKS, broken)
    task_id = await finished(fake, f"{HOOKS}/hook")
    [delivery] = fake.callbacks(task_id=task_id)
    assert delivery.attempts[0].error == "the receiver app raised ValueError: no database"
    assert delivery.attempts[0].http_status is None and delivery.state == "pending"
    assert fake.errors == []  # the receiver's bug, not the fake's


async def test_a_starlette_app_that_raises_answers_500(fake: FakeTopview) -> None:
    """Starlette answers 500 for an exception in a route and raises it again: the attempt reads HTTP 500."""

    async def route(request: Request) -> Response:
        raise RuntimeError("boom")

    fake.add_receiver(HOOKS, Starlette(routes=[Route("/hook", route, methods=["POST"])]))
    task_id = await finished(fake, f"{HOOKS}/hook")
    [delivery] = fake.callbacks(task_id=task_id)
    assert (delivery.attempts[0].http_status, delivery.attempts[0].error) == (500, "HTTP 500")


async def test_an_app_returning_without_an_answer_fails_the_attempt(fake: FakeTopview) -> None:
    async def silent(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()

    fake.add_receiver(HOOKS, silent)
    task_id = await finished(fake, f"{HOOKS}/hook")
    [delivery] = fake.callbacks(task_id=task_id)
    assert delivery.attempts[0].error == "the receiver app returned without answering"


async def test_a_hanging_app_times_out(fake: FakeTopview) -> None:
    """attempt_timeout bounds the exchange (driven here by the hang, not by real seconds)."""
    receiver = Receiver()
    receiver.replies = [receiver.hang]
    fake.set_notice_policy(max_attempts=1)
    fake.mock.notices.patience = give_up_when(receiver.hanging)
    fake.add_receiver(HOOKS, receiver.app)
    task_id = await finished(fake, f"{HOOKS}/hook")
    [delivery] = fake.callbacks(task_id=task_id)
    assert delivery.state == "failed" and delivery.attempts[0].error == "timed out after 30 s"


async def test_a_streamed_answer_is_read_up_to_the_limit_and_waits_for_no_disconnect(fake: FakeTopview) -> None:
    """A streaming response (which listens for the client leaving) ends; only READ_LIMIT bytes are kept."""

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b"x" * READ_LIMIT

    async def route(request: Request) -> Response:
        return StreamingResponse(chunks(), media_type="application/json")

    fake.set_notice_policy(response_excerpt=READ_LIMIT * 2)
    fake.add_receiver(HOOKS, Starlette(routes=[Route("/hook", route, methods=["POST"])]))
    task_id = await finished(fake, f"{HOOKS}/hook")
    [attempt] = fake.callbacks(task_id=task_id)[0].attempts
    assert attempt.http_status == 200 and len(attempt.response_text) == READ_LIMIT
    assert attempt.error == "acknowledgement is not JSON"


async def test_receivers_stay_through_a_reset(fake: FakeTopview) -> None:
    receiver = Receiver()
    fake.add_receiver(HOOKS, receiver.app)
    fake.reset()
    await finished(fake, f"{HOOKS}/hook")
    assert len(receiver.received) == 1


async def test_a_loopback_receiver_takes_notices_even_with_a_server_on_that_port(fake: FakeTopview) -> None:
    """A receiver at a loopback origin is used instead of the network: nothing listening there is contacted."""
    in_process = Receiver()
    async with serving(Receiver()) as url:
        origin = url.rsplit("/", 1)[0]
        fake.add_receiver(origin, in_process.app)
        await finished(fake, url)
    assert len(in_process.received) == 1


@pytest.mark.parametrize(
    ("origin", "words"),
    [
        ("https://hooks.example.com/notices", "no user, path, query or fragment"),
        ("https://hooks.example.com?x=1", "no user, path, query or fragment"),
        ("https://user@hooks.example.com", "no user, path, query or fragment"),
        ("ftp://hooks.example.com", "http(s) URL with a host"),
        ("hooks.example.com", "http(s) URL with a host"),
        ("https://hooks.example.com:99999", "not a valid URL"),
        ("http://10.0.0.5", "private, link-local or metadata"),
        ("http://169.254.169.254", "private, link-local or metadata"),
        ("http://metadata.google.internal", "private, link-local or metadata"),
    ],
)
def test_an_origin_that_is_not_one_is_refused_with_what_is_wrong(origin: str, words: str) -> None:
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        Receivers().add(origin, Receiver().app)


def test_a_receiver_must_be_an_app_and_an_origin_a_string() -> None:
    with pytest.raises(TypeError, match="ASGI app"):
        Receivers().add(HOOKS, "not an app")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="URL string"):
        Receivers().add(42, Receiver().app)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "origin",
    ["http://127.0.0.1:8000", "http://localhost:9", "http://[::1]:9", "http://[::ffff:127.0.0.1]:9", HOOKS + "/"],
)
def test_loopback_and_public_origins_are_kept_in_one_form(origin: str) -> None:
    receivers = Receivers()
    kept = receivers.add(origin, Receiver().app)
    assert kept == origin.rstrip("/") and receivers.origins() == [kept]


def test_the_sync_fixture_surface_delivers_to_a_receiver_too() -> None:
    """With sync clients the fake runs on a helper loop: the receiver runs there, and is delivered to."""
    received: list[dict[str, Any]] = []

    async def route(request: Request) -> Response:
        body = await request.json()
        received.append(body)
        return await ack(Received(request.url.path, dict(request.headers), body))

    fake = FakeTopview(TopviewMock(MockConfig(progression=Progression("time", 1, 3))), uid=UID)
    try:
        fake.add_receiver(HOOKS, Starlette(routes=[Route("/hook", route, methods=["POST"])]))
        answer = fake.sync_client.post(SUBMIT, json={**SCRAPE, "noticeUrl": f"{HOOKS}/hook"}).json()
        fake.advance(4)
        fake.drain_callbacks()
        assert [body["taskId"] for body in received] == [answer["result"]["taskId"]]
        assert fake.callbacks()[0].state == "delivered"
    finally:
        fake.close()


async def test_a_receiver_can_read_the_result_through_the_fake(fake: FakeTopview) -> None:
    """A typical receiver queries the task it was told about: the fake answers it from inside the callback."""
    statuses: list[str] = []

    async def route(request: Request) -> Response:
        body = await request.json()
        answer = (await fake.client.get(QUERY, params={"taskId": body["taskId"]})).json()
        statuses.append(answer["result"]["status"])
        return await ack(Received(request.url.path, dict(request.headers), body))

    fake.add_receiver(HOOKS, Starlette(routes=[Route("/hook", route, methods=["POST"])]))
    await finished(fake, f"{HOOKS}/hook")
    assert statuses == ["success"]


async def test_no_network_client_is_made_for_in_process_deliveries(fake: FakeTopview) -> None:
    """The sender's own HTTP transport is never built when every notice goes to a receiver app."""
    fake.add_receiver(HOOKS, Receiver().app)
    await finished(fake, f"{HOOKS}/hook")
    assert fake.mock.notices._sender._own is None
