"""In process: per-request cost through FakeTopview.client against bare httpx.ASGITransport, costs as state
grows, the cost of finishing a task, and whole lifecycles with their callbacks."""

from __future__ import annotations

import asyncio
import gc
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from baselines import HEADERS, M2V_LIST, QUERY, SCRAPE, SUBMIT, UID, bare_app
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from stats import Row

from mock_server import MockConfig, Outcome, Progression, TopviewMock
from mock_server.engine.tasks import Task
from mock_server.testing.fake import FakeTopview

RECEIVER_ORIGIN = "https://hooks.example.com"
RECEIVER = f"{RECEIVER_ORIGIN}/topview-notices"


async def per_request(client: httpx.AsyncClient, method: str, path: str, count: int, **kwargs: Any) -> float:
    """Microseconds per sequential request."""
    started = time.perf_counter()
    for _ in range(count):
        response = await client.request(method, path, **kwargs)
        if response.status_code != 200:
            raise RuntimeError(response.text)
    return (time.perf_counter() - started) / count * 1e6


def fake_with_tasks(total: int, accounts: int) -> FakeTopview:
    """A fake holding ``total`` finished scraper and m2v tasks spread over ``accounts`` accounts, on their
    default boards."""
    mock = TopviewMock(MockConfig(credits=1e12))
    now = mock.clock.now()
    for i in range(total):
        uid = UID if accounts == 1 or i % accounts == 0 else f"{UID}-{i % accounts}"
        tenant = mock.state.tenant(uid, now)
        kind = "m2v" if i % 2 else "scraper"
        params = {"productLink": "https://shop.example.com/p/1", "productName": "Cup"}
        task = Task(mock.state.ids.new(), uid, kind, f"{kind}Submit", params, now, Progression(), Outcome(), 0.0, kind)
        task.board_id = tenant.default_board.board_id  # every task on its account's default board
        mock.engine.submit(tenant, task)
    mock.advance(5)
    return FakeTopview(mock, uid=UID, api_key=HEADERS["Authorization"].split()[1])


async def query_ratio(rounds: int, count: int) -> Row:
    """A finished task's query: FakeTopview.client against the bare app through ASGITransport."""
    row = Row("in process: task query, per request (µs)", "µs", "<= 1.3")
    fake = FakeTopview(TopviewMock(MockConfig()), uid=UID)
    task_id = (await fake.client.post(SUBMIT, json=SCRAPE)).json()["result"]["taskId"]
    fake.advance(5)
    path = f"{QUERY}?taskId={task_id}"
    result = (await fake.client.get(path)).json()["result"]
    transport = httpx.ASGITransport(bare_app(result))
    async with httpx.AsyncClient(transport=transport, base_url=fake.base_url, headers=HEADERS) as bare:
        await per_request(bare, "GET", path, 100)
        await per_request(fake.client, "GET", path, 100)
        for _ in range(rounds):
            row.bare.append(await per_request(bare, "GET", path, count))
            row.fake.append(await per_request(fake.client, "GET", path, count))
    return row


async def scaling(rounds: int, count: int, big: int) -> list[Row]:
    """Query, submit, list pages (m2v, board tasks, boards) with 100 tasks, ``big`` in one account, ``big`` over
    1,000 accounts."""
    names = ("task query", "task submit", "m2v task list page", "board task list page", "board list page")
    one = [Row(f"state: {name}, {big:,} tasks in one account vs 100", "µs", "<= 1.5") for name in names]
    spread_rows = [Row(f"state: {name}, {big:,} tasks over 1,000 accounts vs 100", "µs", "<= 1.5") for name in names]
    small, large, wide = fake_with_tasks(100, 1), fake_with_tasks(big, 1), fake_with_tasks(big, 1000)

    async def costs(fake: FakeTopview) -> list[float]:
        tenant = fake.mock.state.tenants[UID]
        task_id = next(iter(tenant.tasks))
        query = QUERY if tenant.tasks[task_id].kind == "scraper" else "/v1/m2v/task/query"
        board = f"?boardId={tenant.default_board.board_id}&pageNo=1&pageSize=20"
        return [
            await per_request(fake.client, "GET", f"{query}?taskId={task_id}", count),
            await per_request(fake.client, "POST", SUBMIT, count, json=SCRAPE),
            await per_request(fake.client, "GET", f"{M2V_LIST}?pageNo=1&pageSize=20", count),
            await per_request(fake.client, "GET", f"/boards/tasks/list{board}", count),
            await per_request(fake.client, "GET", "/boards/list?pageNo=1&pageSize=20", count),
        ]

    for fake in (small, large, wide):
        await costs(fake)  # warm up
    for _ in range(rounds):
        base, grown, spread_out = await costs(small), await costs(large), await costs(wide)
        for row, b, g in zip(one, base, grown, strict=True):
            row.bare.append(b)
            row.fake.append(g)
        for row, b, g in zip(spread_rows, base, spread_out, strict=True):
            row.bare.append(b)
            row.fake.append(g)
    for fake in (small, large, wide):
        fake.close()
    return one + spread_rows


def finish_cost(rounds: int, count: int) -> Row:
    """Microseconds of engine work per finishing task (success, credits, its notice queued)."""
    row = Row(f"finishing a task ({count:,} due at one advance)", "µs", "<= 20 µs")
    for _ in range(rounds):
        mock = TopviewMock(MockConfig(credits=1e12))
        mock.add_receiver(RECEIVER_ORIGIN, receiver_app())  # queued for delivery, not refused
        tenant = mock.state.tenant(UID, mock.clock.now())
        for _ in range(count):
            task = Task(
                mock.state.ids.new(), UID, "scraper", "scraperSubmit", dict(SCRAPE), mock.clock.now(),
                Progression("time", 0, 1), Outcome(), 0.0, "scraper", notice_url=RECEIVER, notice_uuid="0" * 32,
            )  # fmt: skip
            mock.engine.submit(tenant, task)
        started = time.perf_counter()
        mock.advance(1)  # no loop running: every finish happens now
        row.fake.append((time.perf_counter() - started) / count * 1e6)
        queued = sum(d.state == "pending" for d in mock.notices.journal())
        if queued != count:
            raise RuntimeError(f"only {queued} of {count} notices were queued for delivery")
    return row


def receiver_app() -> Starlette:
    """A customer's callback endpoint: reads the notice, answers the documented acknowledgement."""

    async def acknowledge(request: Request) -> Response:
        body = orjson.loads(await request.body())
        ack = {"uuid": body["uuid"], "topviewUid": request.headers["topview-uid"], "result": "success"}
        return Response(
            orjson.dumps({"code": "200", "message": "Success", "result": ack}), media_type="application/json"
        )

    return Starlette(routes=[Route(urlsplit(RECEIVER).path, acknowledge, methods=["POST"])])


async def lifecycles(count: int) -> tuple[float, float, int]:
    """Seconds for ``count`` lifecycles (submit with noticeUrl, 3 polls, success, callback acknowledged by an
    in-process receiver app) against the same number of requests to the bare app; and how many callbacks
    were delivered."""
    fake = FakeTopview(TopviewMock(MockConfig(credits=1e12)), uid=UID)
    fake.add_receiver(RECEIVER_ORIGIN, receiver_app())
    body = {**SCRAPE, "noticeUrl": RECEIVER}
    gc.collect()  # what earlier figures left behind is not this one's to walk
    started = time.perf_counter()
    ids = [(await fake.client.post(SUBMIT, json=body)).json()["result"]["taskId"] for _ in range(count)]
    for step in (0, 1, 3):  # init, running, success
        fake.advance(step)
        for task_id in ids:
            await fake.client.get(QUERY, params={"taskId": task_id})
    await fake.adrain_callbacks()
    seconds = time.perf_counter() - started
    delivered = sum(d.state == "delivered" for d in fake.mock.notices.journal())
    fake.close()
    del fake, ids
    transport = httpx.ASGITransport(bare_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://bare", headers=HEADERS) as bare:
        gc.collect()  # nor is what the fake's run left behind
        started = time.perf_counter()
        for _ in range(count):
            task_id = (await bare.post(SUBMIT, json=body)).json()["result"]["taskId"]
            for _ in range(3):
                await bare.get(QUERY, params={"taskId": task_id})
            await bare.post(SUBMIT, json={"uuid": task_id})  # stands in for the receiver's request
        bare_seconds = time.perf_counter() - started
    return seconds, bare_seconds, delivered


def request_cost(rounds: int, count: int) -> list[Row]:
    """The in-process request-cost row alone."""
    return [asyncio.run(query_ratio(rounds, count))]


def measure(rounds: int, count: int, big: int, lives: int) -> list[Row]:
    """Every in-process row."""
    rows = [asyncio.run(query_ratio(rounds, count))]
    rows += asyncio.run(scaling(rounds, max(50, count // 10), big))
    rows.append(finish_cost(rounds, 10_000 if big > 10_000 else 2_000))
    life = Row(f"{lives:,} lifecycles with callbacks, in process", "s", "<= 10 s", absolute=True)
    for _ in range(min(rounds, 3) if lives > 2000 else rounds):  # 3 rounds of 10,000 take about a minute
        seconds, bare_seconds, delivered = asyncio.run(lifecycles(lives))
        if delivered != lives:
            raise RuntimeError(f"only {delivered} of {lives} callbacks were delivered")
        life.fake.append(seconds)
        life.bare.append(bare_seconds)
    life.goal = "<= 10 s" if lives >= 10_000 else f"<= {10 * lives / 10_000:g} s"
    rows.append(life)
    return rows
