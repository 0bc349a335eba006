"""The journal: every exchange with its request and answer, bounded, filterable, in Python and over HTTP."""

from __future__ import annotations

import gc
import time

import httpx
import pytest
from topview_calls import BASE_URL, OTHER_UID, UID, headers, ok, png, upload

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
    shown = submit.to_json()
    assert shown.pop("wall") <= shown.pop("durationMs") / 1000 + time.time()  # wall clock, Unix seconds
    assert shown.pop("headers")["authorization"] == "Bearer ***"
    assert shown.pop("response")["result"]["taskId"] == task_id
    assert shown == {
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
        "fault": None,
        "variants": [],
    }
    assert (query.operation_id, query.query, query.body, query.seq) == ("scraperQuery", {"taskId": task_id}, None, 2)


async def test_kept_entries_leave_the_collector_s_passes(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """An entry not read yet holds no dict, list or nested pair, so the collector untracks it at its first
    pass: the thousands kept cost its full passes nothing. Read, it shows the exchange as before."""
    nested = {**SCRAPE, "noticeUrl": None, "extra": {"list": [1, 2.5, -0.0, "é"], "deep": {"none": None}}}
    task_id = ok((await client.post("/v1/scraper/task/submit", json=nested, headers=headers())).json())["taskId"]
    await client.get("/v1/scraper/task/query", params={"taskId": task_id}, headers=headers())
    gc.collect()
    kept = list(mock.journal._entries)
    assert len(kept) == 2 and not any(gc.is_tracked(entry) for entry in kept)
    submit, query = mock.journal.entries()
    assert submit.body == nested and query.query == {"taskId": task_id}
    assert submit.headers["topview-uid"] == UID and submit.to_json()["headers"]["authorization"] == "Bearer ***"


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


async def test_reads_between_answers_see_every_exchange_once_in_order(contract: Contract) -> None:
    """Exchanges journalled before and after a read, and evicted meanwhile, read back whole and in order."""
    app = create_app(mock=TopviewMock(MockConfig(journal_size=4), contract=contract))
    journal = app.state.mock.journal
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL) as client:
        for _ in range(3):
            await client.get("/v1/caption/list", headers=headers())
        first = journal.entries()
        await client.get("/v1/caption/list?pageNo=2", headers=headers())
        await client.post("/v1/scraper/task/submit", json={}, headers=headers())
    assert [e.seq for e in first] == [1, 2, 3]
    read = journal.entries()
    assert [e.seq for e in read] == [2, 3, 4, 5]
    assert read[:2] == first[1:]  # read once, kept as read
    assert (read[2].operation_id, read[2].query, read[2].code) == ("captionList", {"pageNo": "2"}, "200")
    assert (read[3].method, read[3].body, read[3].code, read[3].response["code"]) == ("POST", {}, "4003", "4003")
    assert journal.entries(code="4003") == [read[3]]


async def test_reset_forgets_the_journal(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """A full reset empties the journal and numbers from 1 again."""
    await client.get("/v1/caption/list", headers=headers())
    mock.reset()
    await client.get("/v1/caption/list", headers=headers())
    assert [e.seq for e in mock.journal.entries()] == [1]


async def test_what_a_judge_of_the_client_needs(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Arrival time and duration on the wall clock, the answer as sent, the code as made, which fault fired."""
    mock.apply_scenario(
        {
            "faults": [{"operationId": "captionList", "code": "5003", "times": 1}],
            "variants": [{"operationId": "captionList", "kind": "code-number", "path": "code"}],
        }
    )
    before = time.time()
    for _ in range(2):
        await client.get("/v1/caption/list", headers=headers(X_Api_Key="sk-secret"))
    await client.get("/v1/caption/list", headers=headers(X_Topview_Mock_Code="4000"))
    faulted, served, forced = mock.journal.entries()
    assert before <= faulted.wall <= served.wall <= time.time()  # type: ignore[operator]
    assert faulted.answered is not None and faulted.answered >= faulted.wall  # type: ignore[operator]
    assert (faulted.code, faulted.fault, faulted.response["code"]) == ("5003", "fault-1", 5003)
    assert (served.code, served.fault, served.variants) == ("200", None, ("captionList:code-number@code",))
    assert forced.fault == "x-topview-mock-code"
    assert served.headers["x-api-key"] == "***" and served.carries("sk-secret") and not served.carries("sk-other")


async def test_object_store_exchanges_belong_to_their_account(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Uploads (PUT) and downloads (GET) are journalled too, with the owner of the object as uid."""
    file_id = await upload(client, "png", png())
    credential = mock.journal.entries(operation_id="uploadCredential")[0].response["result"]
    assert credential["fileId"] == file_id
    await client.get(credential["uploadUrl"], headers={"Authorization": "Bearer leaked"})
    put, get = mock.journal.entries(operation_id="objectUpload") + mock.journal.entries(operation_id="objectDownload")
    assert (put.method, put.status, put.uid, put.code, put.body) == ("PUT", 200, UID, None, None)
    assert put.path.startswith("/_objects/uploads/") and "X-Amz-Signature" in put.query
    assert (get.status, get.uid, get.headers["authorization"]) == (403, UID, "Bearer ***")  # signed for PUT
    assert get.carries("leaked") and [e.seq for e in mock.journal.entries(uid=UID)] == [1, 2, 3, 4]
