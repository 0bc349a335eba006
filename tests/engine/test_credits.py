"""Credits and the concurrency limit: reserve on submit, spend on success, release on fail; 4100 and 4007."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from topview_calls import BASE_URL, UID, headers, ok

from mock_server import MockConfig, Progression, TopviewMock, create_app
from mock_server.contract.openapi import Contract

pytestmark = pytest.mark.anyio

M2V = {"productLink": "https://shop.example.com/p/1", "preview": False}


async def submit_m2v(client: httpx.AsyncClient, **extra: str) -> dict[str, Any]:
    """A costly submit (an m2v task that exports its video); the envelope."""
    envelope: dict[str, Any] = (await client.post("/v1/m2v/task/submit", json=M2V, headers=headers(**extra))).json()
    return envelope


async def detail(client: httpx.AsyncClient) -> float:
    """remainCredit of /user/credit/detail."""
    return float(ok((await client.get("/user/credit/detail", headers=headers())).json())["remainCredit"])


async def logs(client: httpx.AsyncClient) -> list[tuple[str, float]]:
    """(taskId, costCredit) of /user/credit/logs, oldest first."""
    page = ok((await client.get("/user/credit/logs", headers=headers())).json())
    return [(row["taskId"], row["costCredit"]) for row in reversed(page["data"])]


def conserved(mock: TopviewMock, uid: str = UID) -> dict[str, float]:
    """The ledger, after checking balance + reserved + spent == granted."""
    ledger = mock.credits(uid)
    assert ledger["balance"] + ledger["reserved"] + ledger["spent"] == pytest.approx(ledger["granted"])
    return ledger


def cost(mock: TopviewMock, task_id: str) -> float:
    """What the task reserved."""
    return float(next(t["cost"] for t in mock.tasks() if t["taskId"] == task_id))


async def test_success_spends_what_the_submit_reserved(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Submit reserves the cost (detail drops, logs show it); success turns the reservation into spending."""
    task_id = ok(await submit_m2v(client))["taskId"]
    price = cost(mock, task_id)
    assert price > 0
    assert await detail(client) == pytest.approx(1000 - price)
    assert conserved(mock)["reserved"] == pytest.approx(price)
    mock.advance(10)
    assert conserved(mock) == {"granted": 1000, "balance": 1000 - price, "reserved": 0, "spent": price}
    assert await logs(client) == [(task_id, price)]


async def test_failed_tasks_cost_nothing(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """A failed task's reservation is released: the balance is whole again and the logs show the refund."""
    task_id = ok(await submit_m2v(client, X_Topview_Mock_Outcome="fail; message=render error"))["taskId"]
    price = cost(mock, task_id)
    mock.advance(10)
    assert await detail(client) == pytest.approx(1000)
    assert conserved(mock) == {"granted": 1000, "balance": 1000, "reserved": 0, "spent": 0}
    assert await logs(client) == [(task_id, price), (task_id, -price)]


async def test_4100_when_the_balance_cannot_cover_the_cost(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """The natural trigger: too few credits answers 4100 and admits nothing; a top-up over HTTP fixes it."""
    first = ok(await submit_m2v(client))["taskId"]
    price = cost(mock, first)
    response = await client.put("/_mock/credits", json={"uid": UID, "credit": price / 2})
    assert response.json()["balance"] == price / 2
    refused = await submit_m2v(client)
    assert (refused["code"], refused["result"]) == ("4100", None)
    assert len(mock.tasks(UID)) == 1
    assert conserved(mock)["balance"] == price / 2
    await client.put("/_mock/credits", json={"uid": UID, "credit": price})
    assert ok(await submit_m2v(client))["taskId"]
    assert conserved(mock)["balance"] == 0


async def test_free_tasks_pass_with_no_credits(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """A zero-cost task needs no balance."""
    mock.set_credits(UID, 0)
    scrape = await client.post(
        "/v1/scraper/task/submit", json={"productLink": "https://shop.example.com/p/1"}, headers=headers()
    )
    assert ok(scrape.json())["taskId"]


async def test_default_balance_is_configurable(contract: Contract) -> None:
    """MockConfig.credits is every new account's balance."""
    app = create_app(mock=TopviewMock(MockConfig(credits=3), contract=contract))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL) as client:
        assert await detail(client) == 3
        assert (await submit_m2v(client))["code"] == "4100"


async def test_credits_control_validation(client: httpx.AsyncClient) -> None:
    """PUT /_mock/credits needs uid and a non-negative credit; GET needs uid."""
    for body, field in [
        ({"credit": 5}, "uid"),
        ({"uid": UID}, "credit"),
        ({"uid": UID, "credit": -1}, "credit"),
        ({"uid": UID, "credit": "5"}, "credit"),
    ]:
        response = await client.put("/_mock/credits", json=body)
        assert response.status_code == 400 and field in response.json()["error"], body
    assert (await client.get("/_mock/credits")).status_code == 400
    assert (await client.get("/_mock/credits", params={"uid": UID})).json()["granted"] == 1000


# -- the concurrency limit ----------------------------------------------------------------------------------


async def test_4007_when_the_account_has_too_many_unfinished_tasks(contract: Contract) -> None:
    """MockConfig.max_unfinished: the natural trigger, per account, lifted once a task finishes."""
    config = MockConfig(max_unfinished=1, progression=Progression("time", 1, 3))
    app = create_app(mock=TopviewMock(config, contract=contract))
    mock: TopviewMock = app.state.mock
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL) as client:
        assert ok(await submit_m2v(client))
        refused = await submit_m2v(client)
        assert (refused["code"], refused["result"]) == ("4007", None)
        other = await client.post("/v1/m2v/task/submit", json=M2V, headers=headers("uid-bob"))
        assert ok(other.json())  # the limit is per account
        conserved(mock)  # the refused submit reserved nothing
        mock.advance(4)
        assert ok(await submit_m2v(client))


async def test_concurrency_limit_over_control(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """PUT /_mock/concurrency sets and lifts the limit."""
    response = await client.put("/_mock/concurrency", json={"maxUnfinished": 2})
    assert response.json() == {"maxUnfinished": 2}
    assert ok(await submit_m2v(client)) and ok(await submit_m2v(client))
    assert (await submit_m2v(client))["code"] == "4007"
    await client.put("/_mock/concurrency", json={"maxUnfinished": None})
    assert ok(await submit_m2v(client))
    for body in ({}, {"maxUnfinished": 0}, {"maxUnfinished": 1.5}):
        bad = await client.put("/_mock/concurrency", json=body)
        assert bad.status_code == 400 and "maxUnfinished" in bad.json()["error"]


@pytest.mark.anyio
async def test_the_credit_expiry_does_not_move_with_the_clock(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """expiredTime is a fixed date (a year after the fake's time starts), not "a year from now"."""
    first = ok((await client.get("/user/credit/detail", headers=headers())).json())["expiredTime"]
    mock.advance(90 * 86_400)
    later = ok((await client.get("/user/credit/detail", headers=headers())).json())["expiredTime"]
    assert first == later == "2027-01-01T00:00:00Z"
