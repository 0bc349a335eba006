"""Faults: forced codes by header and by rule, gateway statuses, seeded latency and drops, scoping."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from topview_calls import BASE_URL, UID, headers, ok

from mock_server import MockConfig, TopviewMock, create_app
from mock_server.contract.openapi import Contract
from mock_server.control.faults import DroppedConnection, FaultSpec
from mock_server.engine.errors import ERROR_CODES, MESSAGES

pytestmark = pytest.mark.anyio

SCRAPE = {"productLink": "https://shop.example.com/p/1"}
SUBMIT = "/v1/scraper/task/submit"


async def scrape(client: httpx.AsyncClient, uid: str = UID, **extra: str) -> httpx.Response:
    """One scraper submit as ``uid``, with extra headers."""
    return await client.post(SUBMIT, json=SCRAPE, headers=headers(uid, **extra))


async def add_rule(client: httpx.AsyncClient, **rule: Any) -> dict[str, Any]:
    """POST a fault rule over the control API; the rule as shown."""
    response = await client.post("/_mock/faults", json=rule)
    assert response.status_code == 200, response.text
    shown: dict[str, Any] = response.json()
    return shown


# -- every code of the table, by header and by rule ------------------------------------------------------


@pytest.mark.parametrize("code", ERROR_CODES)
async def test_every_code_is_reachable_by_header(client: httpx.AsyncClient, mock: TopviewMock, code: str) -> None:
    """X-Topview-Mock-Code answers that code with its documented message, and admits no task."""
    response = await scrape(client, X_Topview_Mock_Code=code)
    assert response.status_code == 200
    assert response.json() == {"code": code, "message": MESSAGES[code], "result": None}
    assert mock.tasks() == []


@pytest.mark.parametrize("code", ERROR_CODES)
async def test_every_code_is_reachable_by_rule(client: httpx.AsyncClient, mock: TopviewMock, code: str) -> None:
    """A one-shot rule answers its code once; the next call goes through."""
    await add_rule(client, operationId="scraperSubmit", code=code, times=1)
    first = (await scrape(client)).json()
    assert (first["code"], first["message"], first["result"]) == (code, MESSAGES[code], None)
    assert ok((await scrape(client)).json())["taskId"]


async def test_a_code_the_table_lacks_is_refused(client: httpx.AsyncClient) -> None:
    """An unknown forced code is itself a parameter error naming the header."""
    envelope = (await scrape(client, X_Topview_Mock_Code="5002")).json()
    assert envelope["code"] == "4000"
    assert "X-Topview-Mock-Code" in envelope["message"]


async def test_header_works_on_any_operation(client: httpx.AsyncClient) -> None:
    """Not only submits: a catalogue list or a query answers the forced code too."""
    response = await client.get("/v1/caption/list", headers=headers(X_Topview_Mock_Code="5003"))
    assert response.json()["code"] == "5003"


# -- what a rule does ---------------------------------------------------------------------------------------


async def test_code_with_http_status(client: httpx.AsyncClient) -> None:
    """code + status: the envelope, under that HTTP status."""
    await add_rule(client, code="5000", status=500)
    response = await scrape(client)
    assert response.status_code == 500
    assert response.json()["code"] == "5000"


async def test_status_alone_is_a_gateway_page(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """status without code: plain text, no envelope, as a failing gateway in front of the API answers."""
    await add_rule(client, status=502, times=1)
    response = await scrape(client)
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "502 Bad Gateway"
    assert [(e.status, e.code) for e in mock.journal.entries()] == [(502, None)]


async def test_dropped_connection_surfaces_as_transport_error(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """drop: in process the client gets DroppedConnection, an httpx.TransportError; nothing is admitted."""
    await add_rule(client, operationId="scraperSubmit", drop=True, times=1)
    with pytest.raises(httpx.TransportError) as caught:
        await scrape(client)
    assert isinstance(caught.value, DroppedConnection)
    assert mock.tasks() == []
    assert mock.journal.entries()[-1].dropped
    assert ok((await scrape(client)).json())  # the rule was spent


async def test_times_counts_matching_calls_only(client: httpx.AsyncClient) -> None:
    """times=2 on one operation: two failures there, other operations untouched, then success."""
    await add_rule(client, operationId="scraperSubmit", code="5003", times=2)
    assert (await client.get("/v1/caption/list", headers=headers())).json()["code"] == "200"
    codes = [(await scrape(client)).json()["code"] for _ in range(3)]
    assert codes == ["5003", "5003", "200"]
    shown = (await client.get("/_mock/faults")).json()["faults"][0]
    assert (shown["matched"], shown["fired"], shown["spent"]) == (3, 2, True)


async def test_rule_for_one_account(client: httpx.AsyncClient) -> None:
    """uid scopes a rule to one account."""
    await add_rule(client, uid="uid-bob", code="6001")
    assert (await scrape(client, "uid-bob")).json()["code"] == "6001"
    assert (await scrape(client, UID)).json()["code"] == "200"


async def test_delete_one_rule_and_all(client: httpx.AsyncClient) -> None:
    """DELETE /_mock/faults/{id} drops one rule; DELETE /_mock/faults drops them all."""
    first = await add_rule(client, code="5001")
    await add_rule(client, operationId="captionList", code="5004")
    left = (await client.delete(f"/_mock/faults/{first['id']}")).json()["faults"]
    assert [r["operationId"] for r in left] == ["captionList"]
    assert (await scrape(client)).json()["code"] == "200"
    assert (await client.delete("/_mock/faults")).json() == {"faults": []}
    assert (await client.get("/v1/caption/list", headers=headers())).json()["code"] == "200"
    assert (await client.delete("/_mock/faults/fault-99")).status_code == 404


# -- seeds ---------------------------------------------------------------------------------------------------


async def run_seeded(seed: int, contract: Contract) -> tuple[list[str], list[float]]:
    """20 submits under a probability + random-latency rule; the codes and the latencies drawn."""
    app = create_app(mock=TopviewMock(MockConfig(seed=seed), contract=contract))
    mock: TopviewMock = app.state.mock
    delays: list[float] = []

    async def record(seconds: float) -> None:  # no real waiting: the draw is what we compare
        delays.append(seconds)

    mock.faults.sleep = record
    mock.add_fault(FaultSpec(code="5003", probability=0.5, latency=(0.1, 0.9)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL) as client:
        codes = [(await scrape(client)).json()["code"] for _ in range(20)]
    return codes, delays


async def test_seeded_faults_reproduce_exactly(contract: Contract) -> None:
    """The same seed gives the same failures and the same latencies; another seed differs."""
    codes, delays = await run_seeded(7, contract)
    assert (codes, delays) == await run_seeded(7, contract)
    assert {"200", "5003"} == set(codes)
    assert len(delays) == codes.count("5003") and all(0.1 <= d <= 0.9 for d in delays)
    assert (codes, delays) != await run_seeded(8, contract)


async def test_rule_seed_overrides_the_fake_seed(mock: TopviewMock, client: httpx.AsyncClient) -> None:
    """A rule's own seed makes its draws independent of the fake's seed."""
    rule = mock.add_fault(operation="scraperSubmit", code="5005", probability=0.3, seed=42)
    codes = [(await scrape(client)).json()["code"] for _ in range(30)]
    other = TopviewMock(MockConfig(seed=99), contract=mock.contract)
    twin = other.add_fault(operation="scraperSubmit", code="5005", probability=0.3, seed=42)
    assert [twin.draw() is not None for _ in range(30)] == [c == "5005" for c in codes]
    assert rule.to_json()["seed"] == 42


# -- latency ---------------------------------------------------------------------------------------------


async def test_latency_does_not_delay_a_concurrent_request(app: Starlette, mock: TopviewMock) -> None:
    """A latency on captionList holds that request only: a concurrent submit is answered while it waits.

    The wait is driven by events, not by the clock: it begins, the other request runs to its answer, then it
    ends. A latency that blocked the event loop would never see the other request finish.
    """
    waiting, fast_done = anyio.Event(), anyio.Event()
    asked: list[float] = []

    async def wait(seconds: float) -> None:
        asked.append(seconds)
        waiting.set()
        await fast_done.wait()

    mock.faults.sleep = wait
    mock.add_fault(operation="captionList", latency=0.2)
    finished: list[str] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL) as client:

        async def slow() -> None:
            assert (await client.get("/v1/caption/list", headers=headers())).json()["code"] == "200"
            finished.append("slow")

        async def fast() -> None:
            await waiting.wait()  # the slow request is inside its latency
            assert (await scrape(client)).json()["code"] == "200"
            finished.append("fast")
            fast_done.set()

        async with anyio.create_task_group() as group:
            group.start_soon(slow)
            group.start_soon(fast)
    assert finished == ["fast", "slow"] and asked == [0.2]


async def test_latency_then_code(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """latency + code: the answer comes late and carries the code (the wait is injected here)."""
    waited: list[float] = []

    async def record(seconds: float) -> None:
        waited.append(seconds)

    mock.faults.sleep = record
    await add_rule(client, code="5003", latency=1.5, times=1)
    assert (await scrape(client)).json()["code"] == "5003"
    assert waited == [1.5]


# -- control validation --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"code": "9999"}, "code"),
        ({"code": 5003}, "code"),
        ({"status": 200}, "status"),
        ({"latency": -1}, "latency"),
        ({"latency": [2, 1]}, "latency"),
        ({"latency": "slow"}, "latency"),
        ({"drop": True, "code": "5000"}, "drop"),
        ({"times": 0, "code": "5000"}, "times"),
        ({"probability": 1.5, "code": "5000"}, "probability"),
        ({"operationId": "noSuchOperation", "code": "5000"}, "operationId"),
        ({"operation": "scraperSubmit", "code": "5000"}, "operation"),
        ({}, "code"),
    ],
)
async def test_bad_rules_answer_400_naming_the_field(
    client: httpx.AsyncClient, rule: dict[str, Any], field: str
) -> None:
    """Bad control input: HTTP 400 with {"error": "..."} naming the field; no rule is added."""
    response = await client.post("/_mock/faults", json=rule)
    assert response.status_code == 400
    assert field in response.json()["error"]
    assert (await client.get("/_mock/faults")).json() == {"faults": []}


async def test_faults_apply_before_authentication(client: httpx.AsyncClient) -> None:
    """A rule acts even on a request without credentials: the fault sits in front of the API."""
    await add_rule(client, code="5000")
    assert (await client.post(SUBMIT, json=SCRAPE)).json()["code"] == "5000"
    assert (await scrape(client)).json()["code"] == "5000"
