"""Credits and the concurrency limit: reserve on submit, spend on success, release on fail; 4100 and 4007."""

from __future__ import annotations

import asyncio
import json
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from starlette.applications import Starlette
from topview_calls import BASE_URL, UID, headers, ok

from mock_server import MockConfig, Progression, TopviewMock, create_app
from mock_server.contract.openapi import Contract
from mock_server.engine.credits import credit_number, credits

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


# -- exact amounts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "shown"),
    [(1000.0, 1000.0), (0.1, 0.1), ("997.8", 997.8), (-0.0, 0.0), (Decimal("-0.000"), 0.0), (0.0005, 0.001)],
)
def test_amounts_are_exact_thousandths_shown_as_plain_numbers(amount: Any, shown: float) -> None:
    """Ledger amounts are Decimals to 0.001; JSON shows the shortest number (never -0.0)."""
    exact = credits(amount)
    assert exact == exact.quantize(Decimal("0.001"))
    assert json.dumps(credit_number(exact)) == json.dumps(shown)


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_a_price_read_again_reads_the_same(amount: float) -> None:
    """A float read a second time (prices are kept once read) gives the same amount, sign of zero included."""
    first = credits(amount)
    assert first == Decimal(repr(amount)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    again = credits(amount)
    assert (again, str(again)) == (first, str(first))
    assert (str(credits(0.0)), str(credits(-0.0)), str(credits(0.0))) == ("0.000", "-0.000", "0.000")


async def test_float_noise_never_reaches_the_ledger(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Ten 0.1-credit tasks from 998.6, two refunded: 997.8 exactly everywhere, no 997.7999999999998."""
    mock.set_credits(UID, 998.6)
    body = {"voiceText": "Welcome to our store.", "voiceId": "5d188a658b5a424e98bf0dbbcb8f97d8", "voiceSpeed": 1.0}
    for index in range(10):
        outcome = {"X-Topview-Mock-Outcome": "fail"} if index < 2 else {}
        response = await client.post("/v1/voice/text2voice/task/submit", json=body, headers=headers(**outcome))
        assert ok(response.json())["taskId"]
    mock.advance(10)
    shown = ok((await client.get("/user/credit/detail", headers=headers())).json())["remainCredit"]
    assert json.dumps(shown) == "997.8"
    ledger = mock.state.tenants[UID].ledger
    assert (ledger.balance, ledger.spent, ledger.reserved) == (Decimal("997.800"), Decimal("0.800"), Decimal(0))
    assert sorted({cost for _, cost in await logs(client)}) == [-0.1, 0.1]


# -- the ledger under concurrent submits: a state machine ----------------------------------------------------

# Submits with fractional costs (0.1, 0.6, 0.8, 1.2 credits), valid without uploads.
PRICED = {
    "/v1/voice/text2voice/task/submit": {"voiceText": "Hello there.", "voiceId": "5d188a658b5a424e98bf0dbbcb8f97d8"},
    "/v1/common_task/text2video/task/submit": {
        "model": "Seedance 1.5 Pro",
        "prompt": "A dog runs along a beach.",
        "aspectRatio": "16:9",
        "resolution": 720,
        "duration": 5,
    },
    "/v1/common_task/storyboard/task/submit": {
        "story": "A girl finds a lost puppy.",
        "model": "Nano Banana 2",
        "aspectRatio": "16:9",
        "resolution": "2K",
        "gridMode": "preset",
        "gridSize": "9",
    },
    "/v1/common_task/text2image/task/submit": {
        "model": "Nano Banana 2",
        "prompt": "A cup.",
        "aspectRatio": "1:1",
        "resolution": "2K",
        "generateCount": 2,
    },
}
LEDGER_ACCOUNTS = ("uid-ann", "uid-ben")


@cache
def ledger_app() -> Starlette:
    """One fake for every example of the machine, reset before each."""
    return create_app(mock=TopviewMock(MockConfig(credits=5.3), contract=Contract.load()))


def exact(number: float) -> Decimal:
    """A JSON number read as the decimal it prints as."""
    return Decimal(repr(number))


class Ledger(RuleBasedStateMachine):
    """Concurrent submits (some forced to fail), clock moves, forced ends and top-ups, against one fake."""

    def __init__(self) -> None:
        super().__init__()
        self.app = ledger_app()
        self.mock: TopviewMock = self.app.state.mock
        self.mock.reset()

    def exchange(self, requests: list[tuple[str, str, dict[str, Any]]]) -> list[httpx.Response]:
        """Send requests concurrently (one event loop, gathered), as clients racing each other would."""

        async def go() -> list[httpx.Response]:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(self.app), base_url=BASE_URL) as client:
                calls = [client.request(method, url, **kwargs) for method, url, kwargs in requests]
                return list(await asyncio.gather(*calls))

        return asyncio.run(go())

    @rule(
        batch=st.lists(
            st.tuples(st.sampled_from(sorted(PRICED)), st.sampled_from(LEDGER_ACCOUNTS), st.booleans()),
            min_size=1,
            max_size=12,
        )
    )
    def submit_concurrently(self, batch: list[tuple[str, str, bool]]) -> None:
        """Up to 12 submits at once: each is accepted or refused 4100, never half-charged."""
        requests = [
            (
                "POST",
                path,
                {"json": PRICED[path], "headers": headers(uid, **({"X-Topview-Mock-Outcome": "fail"} if fail else {}))},
            )
            for path, uid, fail in batch
        ]
        for response in self.exchange(requests):
            assert response.json()["code"] in ("200", "4100"), response.text

    @rule(seconds=st.sampled_from([0.5, 1, 4, 30]))
    def advance(self, seconds: float) -> None:
        """Move the clock: tasks finish, spending or refunding their reservation."""
        self.mock.advance(seconds)

    @rule(data=st.data(), status=st.sampled_from(["success", "fail"]))
    def complete(self, data: st.DataObject, status: str) -> None:
        """Finish an unfinished task now."""
        unfinished = [t["taskId"] for t in self.mock.tasks() if t["status"] in ("init", "running")]
        if unfinished:
            self.mock.complete(data.draw(st.sampled_from(unfinished)), status)

    @rule(uid=st.sampled_from(LEDGER_ACCOUNTS), credit=st.sampled_from([0, 0.3, 1.7, 2.9, 10.01]))
    def top_up(self, uid: str, credit: float) -> None:
        """Set a balance over the control API (granted moves with it)."""
        [response] = self.exchange([("PUT", "/_mock/credits", {"json": {"uid": uid, "credit": credit}})])
        assert response.status_code == 200

    @invariant()
    def ledgers_are_exact(self) -> None:
        """balance == granted − deductions + refunds exactly, in the ledger and in what the API shows."""
        for uid, tenant in self.mock.state.tenants.items():
            ledger = tenant.ledger
            deducted = sum((log.cost for log in ledger.logs if log.kind == "reserve"), Decimal(0))
            refunded = sum((log.cost for log in ledger.logs if log.kind == "release"), Decimal(0))
            assert ledger.balance == ledger.granted - deducted + refunded
            assert ledger.balance + ledger.reserved + ledger.spent == ledger.granted
            assert ledger.balance >= 0
            shown = self.shown(uid)
            assert exact(shown["balance"]) == exact(shown["granted"]) - shown["deducted"] + shown["refunded"]

    def shown(self, uid: str) -> dict[str, Any]:
        """The account's credits as a client sees them: detail, every page of the logs, and the control ledger."""
        auth = {"headers": headers(uid)}
        [detail_page, control] = self.exchange(
            [("GET", "/user/credit/detail", auth), ("GET", "/_mock/credits", {"params": {"uid": uid}})]
        )
        entries: list[float] = []
        for page_no in range(1, 1000):
            page = ok(
                self.exchange([("GET", "/user/credit/logs", {**auth, "params": {"pageSize": 100, "pageNo": page_no}})])[
                    0
                ].json()
            )
            entries += [row["costCredit"] for row in page["data"]]
            if page_no * 100 >= page["total"]:
                break
        balance = ok(detail_page.json())["remainCredit"]
        assert balance == control.json()["balance"] and "-0.0" not in json.dumps([*entries, balance])
        return {
            "balance": balance,
            "granted": control.json()["granted"],
            "deducted": sum((exact(c) for c in entries if c > 0), Decimal(0)),
            "refunded": sum((-exact(c) for c in entries if c < 0), Decimal(0)),
        }


Ledger.TestCase.settings = settings(
    max_examples=25, stateful_step_count=15, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_ledger_stays_exact_under_concurrent_submits = Ledger.TestCase
