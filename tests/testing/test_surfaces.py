"""One Python control API: TopviewMock, the ``topview_mock`` fixture's FakeTopview and the ``topview_server``
fixture's LiveServer have the same control methods, with the same parameters, and answer the same script alike."""

from __future__ import annotations

import asyncio
import inspect
import socket
import typing
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest

from mock_server import FakeTopview, LiveServer, MockConfig, Progression, TopviewMock, create_app
from mock_server.callbacks.policy import DeliveryPolicy
from mock_server.callbacks.records import NoticeDelivery
from mock_server.contract.openapi import Contract
from mock_server.control.faults import FaultRule
from mock_server.testing.controls import TopviewControls

SURFACES = (TopviewMock, FakeTopview, LiveServer)
CONTROL_METHODS = sorted(
    name for name, value in vars(TopviewMock).items() if callable(value) and not name.startswith("_")
)
SUBMIT = "/v1/scraper/task/submit"
PRODUCT = {"productLink": "https://shop.example.com/p/1"}
UID = "uid-surfaces"
# The fixtures' entry points beyond the facade's control methods: the client kit's in-process check.
KIT_ENTRY_POINTS = {"check_client"}


def public_methods(cls: type) -> set[str]:
    """The public methods a class defines or inherits (properties and attributes left out)."""
    return {name for name, value in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_")}


def test_the_fixtures_offer_exactly_the_facade_s_control_methods() -> None:
    assert {"advance", "complete", "set_credits", "callbacks", "drain_callbacks", "adrain_callbacks"} <= set(
        CONTROL_METHODS
    )
    assert public_methods(TopviewControls) == set(CONTROL_METHODS) | KIT_ENTRY_POINTS
    for surface in (FakeTopview, LiveServer):
        assert set(CONTROL_METHODS) <= public_methods(surface), surface


@pytest.mark.parametrize("name", CONTROL_METHODS)
def test_same_parameters_and_return_type_on_every_surface(name: str) -> None:
    methods = [getattr(surface, name) for surface in SURFACES]
    signatures = [inspect.signature(method) for method in methods]
    assert signatures[1] == signatures[0] and signatures[2] == signatures[0], (name, signatures)
    hints = [typing.get_type_hints(method) for method in methods]
    assert hints[1] == hints[0] and hints[2] == hints[0], (name, hints)
    assert len({inspect.iscoroutinefunction(method) for method in methods}) == 1, name


@pytest.fixture(scope="module")
def contract() -> Contract:
    """The contract, loaded once for these tests."""
    return Contract.load()


@pytest.fixture
def refusing_url() -> Iterator[str]:
    """A loopback URL whose port is bound but never listens: every callback attempt is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/hook"


@asynccontextmanager
async def surface(kind: type, contract: Contract) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """A fresh fake (seed 0, manual clock) behind one surface, with an HTTP client of the account UID."""
    # Result links inside callbacks point at public_url, which a server would otherwise set to its own address.
    config = MockConfig(progression=Progression("time", 1, 3), public_url="https://topview.test")
    mock = TopviewMock(config, contract=contract)
    headers = {"Topview-Uid": UID, "Authorization": "Bearer k"}
    if kind is LiveServer:
        server = LiveServer(mock).start()
        try:
            async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=10) as client:
                yield server, client
        finally:
            server.stop()
        return
    controls: Any = mock if kind is TopviewMock else FakeTopview(mock)
    transport = httpx.ASGITransport(mock_app(controls))
    async with httpx.AsyncClient(transport=transport, base_url="https://api.topview.ai", headers=headers) as client:
        yield controls, client
    if isinstance(controls, FakeTopview):
        controls.close()


def mock_app(controls: Any) -> Any:
    """The ASGI app to call: FakeTopview's own (with its error trap), or a plain app on the TopviewMock."""
    return controls.app if isinstance(controls, FakeTopview) else create_app(mock=controls)


def shown(value: Any) -> Any:
    """A result as JSON-like data, comparable across surfaces (real durations left out)."""
    if isinstance(value, NoticeDelivery):
        data = value.to_json()
        for attempt in data["attempts"]:  # type: ignore[union-attr]
            attempt.pop("durationMs")
        return data
    if isinstance(value, FaultRule):
        return value.to_json()
    if isinstance(value, list):
        return [shown(item) for item in value]
    return value


async def script(controls: Any, client: httpx.AsyncClient, notice_url: str) -> list[tuple[str, Any]]:
    """Every control method once, in a fixed order; what each answered (its type and its value)."""
    answers: list[tuple[str, Any]] = []

    def note(name: str, value: Any) -> None:
        answers.append((f"{name} -> {type(value).__name__}", shown(value)))

    async def submit(**extra: str) -> str:
        response = await client.post(SUBMIT, json={**PRODUCT, **extra})
        return str(response.json()["result"]["taskId"])

    first, second = await submit(), await submit()
    note("task", controls.task(first))
    note("complete", controls.complete(first, "fail", "nope"))
    note("force", controls.force(second, "fail", "later"))
    note("advance", controls.advance(5))
    note("tasks", controls.tasks())
    note("tasks(uid)", controls.tasks(UID))
    note("script_outcomes", controls.script_outcomes("*", ["fail; message=scripted", {"status": "success"}]))
    note("set_progression", controls.set_progression(Progression("polls", 1, 1), uid=UID))
    note("set_max_unfinished", controls.set_max_unfinished(5))
    note("set_credits", controls.set_credits(UID, 50))
    note("credits", controls.credits(UID))
    note("add_fault", controls.add_fault(operation="uploadCredential", code="5000", times=1))
    note("set_notice_policy", controls.set_notice_policy(max_attempts=2, first_delay=5))
    called_back = await submit(noticeUrl=notice_url)
    note("complete", controls.complete(called_back))
    note("tick", controls.tick())
    note("adrain_callbacks", await controls.adrain_callbacks())  # attempt 1 refused, attempt 2 due in 5 s
    note("advance", controls.advance(5))
    note("adrain_callbacks", await controls.adrain_callbacks())  # attempt 2 refused: failed
    [delivery] = controls.callbacks(task_id=called_back)
    note("callbacks", controls.callbacks(uid=UID, state="failed"))
    note("replay_callback", controls.replay_callback(delivery.id))
    note("adrain_callbacks", await controls.adrain_callbacks())
    note("callbacks", controls.callbacks())
    note("reset(uid)", controls.reset(UID))
    note("tasks", controls.tasks())
    note("reset", controls.reset())
    return answers


@pytest.mark.anyio
async def test_the_same_script_gets_the_same_answers_on_every_surface(contract: Contract, refusing_url: str) -> None:
    results = []
    for kind in SURFACES:
        async with surface(kind, contract) as (controls, client):
            results.append(await script(controls, client, refusing_url))
    mock, fixture, server = results
    assert [name for name, _ in mock] == [name for name, _ in fixture] == [name for name, _ in server]
    assert mock == fixture
    assert mock == server
    kinds = dict(mock)
    assert kinds["complete -> dict"]["status"] == "success"  # the last complete() noted wins in dict()
    assert "set_notice_policy -> DeliveryPolicy" in kinds and "add_fault -> FaultRule" in kinds
    # The original failed after its two attempts; the replay's first attempt was refused, its retry waits.
    assert [d["state"] for d in kinds["callbacks -> list"]] == ["failed", "pending"]


@contextmanager
def sync_surface(kind: type, contract: Contract) -> Iterator[tuple[Any, Callable[[dict[str, str]], str]]]:
    """A fresh fake behind one surface, driven from sync code, and a function submitting a scraper task."""
    mock = TopviewMock(contract=contract)
    headers = {"Topview-Uid": UID, "Authorization": "Bearer k"}
    if kind is TopviewMock:  # no loop anywhere but the one each request briefly runs on

        async def post(body: dict[str, str]) -> str:
            transport = httpx.ASGITransport(create_app(mock=mock))
            async with httpx.AsyncClient(transport=transport, base_url="https://t", headers=headers) as client:
                return str((await client.post(SUBMIT, json=body)).json()["result"]["taskId"])

        yield mock, lambda body: asyncio.run(post(body))
    elif kind is FakeTopview:
        fake = FakeTopview(mock)
        try:
            yield (
                fake,
                lambda body: str(fake.sync_client.post(SUBMIT, json=body, headers=headers).json()["result"]["taskId"]),
            )
        finally:
            fake.close()
    else:
        server = LiveServer(mock).start()
        try:
            with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:
                yield server, lambda body: str(client.post(SUBMIT, json=body).json()["result"]["taskId"])
        finally:
            server.stop()


@pytest.mark.parametrize("kind", SURFACES, ids=lambda kind: kind.__name__)
def test_sync_code_drains_callbacks_on_every_surface(kind: type, contract: Contract, refusing_url: str) -> None:
    with sync_surface(kind, contract) as (controls, submit):
        controls.complete(submit({**PRODUCT, "noticeUrl": refusing_url}))
        waiting = controls.drain_callbacks()
        [delivery] = controls.callbacks()
        assert [attempt.error is not None for attempt in delivery.attempts] == [True]  # refused, journalled
        assert waiting == [delivery] and delivery.state == "pending"  # its retry waits on the clock


@pytest.mark.anyio
async def test_the_facade_s_sync_drain_refuses_to_block_a_running_loop(contract: Contract) -> None:
    mock = TopviewMock(contract=contract)
    with pytest.raises(RuntimeError, match="await adrain_callbacks"):
        mock.drain_callbacks()
    assert isinstance(mock.set_notice_policy(DeliveryPolicy()), DeliveryPolicy)
