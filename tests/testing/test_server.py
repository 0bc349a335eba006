"""The live server: a free port, control calls on its loop, and the ticker that finishes unpolled tasks."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from mock_server import MockConfig, TopviewMock
from mock_server.contract.openapi import Contract
from mock_server.testing.server import GC_YOUNG_THRESHOLD, LiveServer

PRODUCT = {"productLink": "https://shop.example.com/p/1"}


@pytest.fixture(scope="module")
def contract() -> Contract:
    """The contract, loaded once for these tests."""
    return Contract.load()


def started(contract: Contract, config: MockConfig) -> Iterator[LiveServer]:
    server = LiveServer(TopviewMock(config, contract=contract)).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def manual(contract: Contract) -> Iterator[LiveServer]:
    """A server whose clock only moves when told."""
    yield from started(contract, MockConfig())


@pytest.fixture
def realtime(contract: Contract) -> Iterator[LiveServer]:
    """A server on a realtime clock a hundred times faster than the wall clock."""
    yield from started(contract, MockConfig(clock_mode="realtime", clock_speed=100))


def until(condition: object, timeout: float = 10.0) -> None:
    """Poll ``condition()`` until true, failing after ``timeout`` real seconds."""
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_serves_on_a_free_loopback_port(manual: LiveServer) -> None:
    assert manual.url.startswith("http://127.0.0.1:") and not manual.url.endswith(":0")
    assert manual.env == {"TOPVIEW_BASE_URL": manual.url, "TOPVIEW_UID": manual.uid, "TOPVIEW_API_KEY": manual.api_key}
    response = httpx.get(manual.url + "/user/credit/detail", headers=manual.headers, timeout=10)
    assert response.json()["code"] == "200"


def test_control_calls_run_on_the_server_loop(manual: LiveServer) -> None:
    with httpx.Client(base_url=manual.url, headers=manual.headers, timeout=10) as client:
        first = client.post("/v1/scraper/task/submit", json=PRODUCT).json()["result"]["taskId"]
        second = client.post("/v1/scraper/task/submit", json=PRODUCT).json()["result"]["taskId"]
        assert manual.complete(first, "fail", "nope")["status"] == "fail"
        assert manual.advance(5) == manual.mock.clock.now()
        statuses = {t["taskId"]: t["status"] for t in manual.tasks()}
        assert statuses == {first: "fail", second: "success"}
        manual.set_credits(manual.uid, 2)
        assert client.get("/user/credit/detail").json()["result"]["remainCredit"] == 2


def test_ticker_finishes_a_task_nobody_polls(realtime: LiveServer) -> None:
    response = httpx.post(realtime.url + "/v1/scraper/task/submit", json=PRODUCT, headers=realtime.headers, timeout=10)
    task_id = response.json()["result"]["taskId"]
    until(lambda: realtime.task(task_id)["status"] == "success")


def test_ticker_survives_and_reports_a_failing_listener(realtime: LiveServer) -> None:
    def broken() -> None:
        raise RuntimeError("listener bug")

    realtime.call(realtime.mock.clock.subscribe, broken)
    until(lambda: len(realtime.errors) >= 2)  # it kept ticking after the first failure
    assert isinstance(realtime.errors[0], RuntimeError)


def test_stop_frees_the_port(contract: Contract) -> None:
    server = LiveServer(TopviewMock(contract=contract)).start()
    url = server.url
    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/user/credit/detail", timeout=2)
    with pytest.raises(RuntimeError):
        server.advance(1)


def test_a_served_fake_freezes_its_start_up_and_collects_young_objects_less_often() -> None:
    # In a child process: freezing the collector is for a process that only serves, never a test run.
    probe = (
        "import gc; from mock_server import TopviewMock; from mock_server.testing.server import tune_collector; "
        "TopviewMock(); tune_collector(); print(gc.get_threshold()[0], gc.get_freeze_count())"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    young, frozen = map(int, done.stdout.split())
    assert young == GC_YOUNG_THRESHOLD > 700 and frozen > 10_000  # the contract and catalogues are frozen


def test_a_receiver_app_takes_the_served_fake_s_callbacks(manual: LiveServer) -> None:
    """add_receiver on the server fixture: the app runs on the server's loop and acknowledges there."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    notices: list[dict[str, str]] = []

    async def hook(request: Request) -> JSONResponse:
        notice = await request.json()
        notices.append(notice)
        ack = {"uuid": notice["uuid"], "topviewUid": request.headers["topview-uid"], "result": "success"}
        return JSONResponse({"code": "200", "message": "Success", "result": ack})

    assert manual.add_receiver("https://hooks.example.com", Starlette(routes=[Route("/t", hook, methods=["POST"])]))
    body = {**PRODUCT, "noticeUrl": "https://hooks.example.com/t"}
    with httpx.Client(base_url=manual.url, headers=manual.headers, timeout=10) as client:
        task_id = client.post("/v1/scraper/task/submit", json=body).json()["result"]["taskId"]
    manual.advance(5)
    manual.drain_callbacks()
    assert [n["taskId"] for n in notices] == [task_id]
    assert [d.state for d in manual.callbacks(task_id=task_id)] == ["delivered"]
