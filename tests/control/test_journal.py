"""The journal: every exchange with its request and answer, bounded, filterable, in Python and over HTTP."""

from __future__ import annotations

import httpx
import pytest
from topview_calls import BASE_URL, OTHER_UID, UID, headers, ok

from mock_server import MockConfig, TopviewMock, create_app
from mock_server.contract.openapi import Contract
from mock_server.engine.clock import EPOCH

pytestmark = pytest.mark.anyio

SCRAPE = {"productLink": "https://shop.example.com/p/1"}


async def test_an_exchange_is_recorded_in_full(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Method, path, operationId, account, query, body, code, HTTP status and clock time."""
    mock.advance(12)
    task_id = ok((await client.post("/v1/scraper/task/submit", json=SCRAPE, headers=headers())).json())["taskId"]
    await client.get("/v1/scraper/task/query", params={"taskId": task_id}, headers=headers())
    submit, query = mock.journal.entries()
    assert submit.to_json() == {
        "seq": 1,
        "at": EPOCH + 12,
        "method": "POST",
        "path": "/v1/scraper/task/submit",
        "operationId": "scraperSubmit",
        "uid": UID,
        "query": {},
        "body": SCRAPE,
        "code": "200",
        "status": 200,
        "dropped": False,
    }
    assert (query.operation_id, query.query, query.body, query.seq) == ("scraperQuery", {"taskId": task_id}, None, 2)


async def test_errors_and_unreadable_bodies_are_recorded(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """A refused request is journalled with its code; a body that is not JSON is kept as text."""
    await client.post("/v1/scraper/task/submit", content=b"{not json", headers=headers())
    await client.post("/v1/scraper/task/submit", json=SCRAPE)  # no credentials
    bad_json, anonymous = mock.journal.entries()
    assert (bad_json.code, bad_json.body) == ("4001", "{not json")
    assert (anonymous.code, anonymous.uid) == ("401", None)


async def test_filters(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """By account, operationId and code, alone or together; limit keeps the newest."""
    await client.post("/v1/scraper/task/submit", json=SCRAPE, headers=headers())
    await client.post("/v1/scraper/task/submit", json=SCRAPE, headers=headers(OTHER_UID))
    await client.get("/v1/caption/list", headers=headers())
    await client.get("/v1/caption/list", headers=headers(X_Topview_Mock_Code="5003"))
    assert [e.seq for e in mock.journal.entries(uid=UID)] == [1, 3, 4]
    assert [e.seq for e in mock.journal.entries(operation_id="captionList")] == [3, 4]
    assert [e.seq for e in mock.journal.entries(code="5003")] == [4]
    assert [e.seq for e in mock.journal.entries(uid=OTHER_UID, operation_id="scraperSubmit")] == [2]
    assert [e.seq for e in mock.journal.entries(limit=2)] == [3, 4]


async def test_filters_over_http(client: httpx.AsyncClient) -> None:
    """GET /_mock/journal takes the same filters; control traffic is not journalled."""
    await client.get("/v1/caption/list", headers=headers())
    await client.get("/v1/caption/list", headers=headers(OTHER_UID, X_Topview_Mock_Code="4006"))
    await client.get("/_mock/tasks")
    everything = (await client.get("/_mock/journal")).json()["entries"]
    assert [e["path"] for e in everything] == ["/v1/caption/list", "/v1/caption/list"]
    found = (
        await client.get("/_mock/journal", params={"uid": OTHER_UID, "operationId": "captionList", "code": "4006"})
    ).json()["entries"]
    assert [e["seq"] for e in found] == [2]
    assert (await client.get("/_mock/journal", params={"limit": "1"})).json()["entries"][0]["seq"] == 2
    bad = await client.get("/_mock/journal", params={"limit": "none"})
    assert (bad.status_code, bad.json()) == (400, {"error": "limit must be a positive integer"})
    assert (await client.delete("/_mock/journal")).json() == {"entries": []}
    assert (await client.get("/_mock/journal")).json() == {"entries": []}


async def test_bounded_in_memory(contract: Contract) -> None:
    """Only the newest ``journal_size`` exchanges are kept; numbering goes on."""
    app = create_app(mock=TopviewMock(MockConfig(journal_size=3), contract=contract))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL) as client:
        for _ in range(5):
            await client.get("/v1/caption/list", headers=headers())
    journal = app.state.mock.journal
    assert len(journal) == 3
    assert [e.seq for e in journal.entries()] == [3, 4, 5]


async def test_reset_forgets_the_journal(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """A full reset empties the journal and numbers from 1 again."""
    await client.get("/v1/caption/list", headers=headers())
    mock.reset()
    await client.get("/v1/caption/list", headers=headers())
    assert [e.seq for e in mock.journal.entries()] == [1]
