"""Latency faults in process: no real wait, and the client's read timeout meets them as a socket's would.

A real wait of an hour would make these tests fail by their 5 s deadline (``anyio.fail_after`` or the
thread join below) instead of passing: that is what shows the latency is held, not slept.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import anyio
import httpx
import pytest

from mock_server import MockConfig, TopviewMock
from mock_server.testing import FakeTopview

SUBMIT = "/v1/scraper/task/submit"
PRODUCT = {"productLink": "https://shop.example.com/p/1"}
HOUR = 3600.0
HALF_MINUTE = 30.0  # for sync clients: a real wait would also hold the fixture's teardown that long
DEADLINE = 5.0  # real seconds a held latency must take far less than


@pytest.fixture
def fake() -> Iterator[FakeTopview]:
    fake = FakeTopview(TopviewMock(MockConfig(seed=3)), intercept=True)
    yield fake
    fake.close()


def within_deadline(call: object) -> object:
    """Run a blocking call in a thread; fail if it has not returned within the deadline."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = call()  # type: ignore[operator]
        except BaseException as error:  # handed to the test below
            box["error"] = error

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(DEADLINE)
    assert not worker.is_alive(), "the latency was slept for real"
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_an_hour_of_latency_answers_at_once_without_a_read_timeout(fake: FakeTopview) -> None:
    """timeout=None: the client waits for ever, so it gets the answer; no real hour passes."""
    fake.add_fault(operation="scraperSubmit", latency=HOUR, times=1)
    with anyio.fail_after(DEADLINE):
        response = await fake.client.post(SUBMIT, json=PRODUCT, timeout=None)
    assert response.json()["code"] == "200"


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_latency_within_the_read_timeout_is_answered(fake: FakeTopview) -> None:
    """A minute held against a two-minute read timeout: the answer comes at once, with the fault's code."""
    fake.add_fault(operation="scraperSubmit", latency=60, code="5003", times=1)
    with anyio.fail_after(DEADLINE):
        response = await fake.client.post(SUBMIT, json=PRODUCT, timeout=httpx.Timeout(5.0, read=120.0))
    assert response.json()["code"] == "5003"


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_latency_past_the_read_timeout_raises_read_timeout_and_the_fake_still_handles_it(
    fake: FakeTopview,
) -> None:
    """As over a socket: the client stops waiting, the server goes on and makes the task."""
    fake.add_fault(operation="scraperSubmit", latency=HOUR, times=1)
    with anyio.fail_after(DEADLINE), pytest.raises(httpx.ReadTimeout, match="read timeout of 2 s") as raised:
        await fake.client.post(SUBMIT, json=PRODUCT, timeout=httpx.Timeout(5.0, read=2.0))
    assert raised.value.request.url.path == SUBMIT
    assert len(fake.tasks()) == 1
    assert [entry.fault for entry in fake.journal.entries()] == ["fault-1"]
    retried = await fake.client.post(SUBMIT, json=PRODUCT, timeout=httpx.Timeout(5.0, read=2.0))
    assert retried.json()["code"] == "200"  # times=1: the retry is answered


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_a_drop_after_a_latency_is_seen_only_by_a_client_still_waiting(fake: FakeTopview) -> None:
    """latency + drop: a client whose read timeout ends first sees its timeout, a patient one the drop."""
    fake.add_fault(operation="scraperSubmit", latency=HOUR, drop=True)
    with anyio.fail_after(DEADLINE):
        with pytest.raises(httpx.ReadTimeout):
            await fake.client.post(SUBMIT, json=PRODUCT, timeout=httpx.Timeout(5.0, read=2.0))
        with pytest.raises(httpx.RemoteProtocolError):
            await fake.client.post(SUBMIT, json=PRODUCT, timeout=None)


def test_the_sync_client_meets_its_read_timeout(fake: FakeTopview) -> None:
    """The sync client's request crosses to the helper loop; the timeout is raised on the caller's request."""
    fake.add_fault(operation="scraperSubmit", latency=HALF_MINUTE)

    def send() -> httpx.Response:
        return fake.sync_client.post(SUBMIT, json=PRODUCT, timeout=httpx.Timeout(5.0, read=1.0))

    with pytest.raises(httpx.ReadTimeout) as raised:
        within_deadline(send)
    assert raised.value.request.url.path == SUBMIT


def test_plain_httpx_routed_to_the_fake_meets_its_default_timeout(fake: FakeTopview) -> None:
    """Code under test with its own ``httpx.Client()`` (default 5 s timeout), reaching the fake by interception."""
    fake.add_fault(operation="scraperSubmit", latency=HALF_MINUTE)

    def send() -> httpx.Response:
        with httpx.Client(headers=fake.headers) as client:
            return client.post("https://api.topview.ai" + SUBMIT, json=PRODUCT)

    with pytest.raises(httpx.ReadTimeout, match="read timeout of 5 s"):
        within_deadline(send)


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_plain_async_httpx_gets_the_answer_within_its_timeout(fake: FakeTopview) -> None:
    """An intercepted async client with a 10 s timeout waits out two 3 s latencies, in no real time."""
    fake.add_fault(operation="scraperSubmit", latency=3.0)
    async with httpx.AsyncClient(headers=fake.headers, timeout=10.0) as client:
        with anyio.fail_after(DEADLINE):  # two real waits would take 6 s
            answers = [await client.post("https://api.topview.ai" + SUBMIT, json=PRODUCT) for _ in range(2)]
    assert [a.json()["code"] for a in answers] == ["200", "200"]
