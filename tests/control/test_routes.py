"""The control API under /_mock/: reset, clock, tasks, forced and scripted outcomes, progression."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from topview_calls import OTHER_UID, UID, headers, ok

from mock_server import Outcome, Progression, TopviewMock
from mock_server.engine.clock import EPOCH

pytestmark = pytest.mark.anyio

SCRAPE = {"productLink": "https://shop.example.com/p/1"}


async def scrape(client: httpx.AsyncClient, uid: str = UID, **extra: str) -> str:
    """Submit a scraper task; its taskId."""
    response = await client.post("/v1/scraper/task/submit", json=SCRAPE, headers=headers(uid, **extra))
    return str(ok(response.json())["taskId"])


async def status(client: httpx.AsyncClient, task_id: str, uid: str = UID) -> tuple[str, Any]:
    """(status, errorMsg) as the Topview query shows them."""
    response = await client.get("/v1/scraper/task/query", params={"taskId": task_id}, headers=headers(uid))
    result = ok(response.json())
    return result["status"], result["errorMsg"]


async def control(client: httpx.AsyncClient, method: str, path: str, body: Any = None, status: int = 200) -> Any:
    """A control request that must answer ``status``; its JSON."""
    response = await client.request(method, "/_mock" + path, json=body)
    assert response.status_code == status, response.text
    return response.json()


# -- clock ------------------------------------------------------------------------------------------------


async def test_clock_shows_and_advances(client: httpx.AsyncClient) -> None:
    """GET /_mock/clock; POST /_mock/clock/advance moves virtual time, and tasks with it."""
    assert await control(client, "GET", "/clock") == {"now": EPOCH, "mode": "manual", "speed": 1.0}
    task_id = await scrape(client)
    assert (await control(client, "POST", "/clock/advance", {"seconds": 4}))["now"] == EPOCH + 4
    assert await status(client, task_id) == ("success", None)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "seconds is required"),
        ({"seconds": -1}, "seconds must be at least 0"),
        ({"seconds": True}, "seconds must be a number"),
        ({"secs": 1}, "secs is not a known field"),
        ([1], "body must be a JSON object"),
    ],
)
async def test_bad_advance(client: httpx.AsyncClient, body: Any, error: str) -> None:
    """Bad control input answers 400 with a message naming the field."""
    assert (await control(client, "POST", "/clock/advance", body, 400))["error"].startswith(error)


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b'{"seconds": 1e400}', "body field seconds holds the number 1e400, beyond the range of a double"),
        (b'{"seconds": NaN}', "body field seconds is NaN"),
        (b'{"seconds": 1e300}', "seconds: the clock cannot move past the year 3000"),
        (b'{"seconds": ' + b"[" * 200 + b"]" * 200 + b"}", "body nests deeper than 100 levels"),
    ],
)
async def test_absurd_advances_are_refused(client: httpx.AsyncClient, raw: bytes, error: str) -> None:
    """Numbers JSON cannot carry, or that would move the clock past the dates it can write: 400, clock unmoved."""
    response = await client.post("/_mock/clock/advance", content=raw)
    assert (response.status_code, response.json()["error"].startswith(error)) == (400, True), response.text
    assert (await control(client, "GET", "/clock"))["now"] == EPOCH


async def test_control_text_is_never_stored_with_a_lone_surrogate(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """A scripted errorMsg holding "\\ud800" is refused (400), so later task queries still answer."""
    raw = b'{"outcomes": [{"status": "fail", "errorMsg": "\\ud800"}]}'
    response = await client.post("/_mock/outcomes", content=raw)
    assert response.status_code == 400 and "unpaired UTF-16 surrogate" in response.json()["error"]
    assert mock.policies.scripts == {}


@pytest.mark.parametrize("route", ["/journal", "/tasks", "/callbacks"])
@pytest.mark.parametrize("limit", ["²", "٣", "9" * 5000, "0", "-1"])
async def test_odd_limits_are_400(client: httpx.AsyncClient, route: str, limit: str) -> None:
    """A limit of non-ASCII digits (which str.isdigit accepts and int() refuses) or 5,000 digits is a 400."""
    response = await client.get("/_mock" + route, params={"limit": limit})
    assert response.status_code == 400 and response.json()["error"].startswith("limit must be a positive integer")


async def test_credits_beyond_what_the_ledger_holds_are_400(client: httpx.AsyncClient) -> None:
    """Credits are exact to 0.001 up to 10^12; more is refused instead of losing precision or crashing."""
    response = await client.put("/_mock/credits", json={"uid": UID, "credit": 1e300})
    assert response.status_code == 400 and response.json()["error"].startswith(
        "credit: a credit amount must be at most"
    )
    assert (await control(client, "PUT", "/credits", {"uid": UID, "credit": 10**12}))["balance"] == 10**12


async def test_unreadable_control_body(client: httpx.AsyncClient) -> None:
    """A body that is not JSON answers 400 too."""
    response = await client.post("/_mock/clock/advance", content=b"{seconds")
    assert response.status_code == 400
    assert response.json()["error"].startswith("body is not valid JSON: Expecting property name")


# -- tasks -------------------------------------------------------------------------------------------------


async def test_tasks_listed_per_account_and_status(client: httpx.AsyncClient) -> None:
    """GET /_mock/tasks?uid=&status= and GET /_mock/tasks/{taskId}."""
    mine, theirs = await scrape(client), await scrape(client, OTHER_UID)
    assert [t["taskId"] for t in (await control(client, "GET", "/tasks"))["tasks"]] == [mine, theirs]
    listed = (await client.get("/_mock/tasks", params={"uid": OTHER_UID})).json()["tasks"]
    assert [t["taskId"] for t in listed] == [theirs]
    assert (await client.get("/_mock/tasks", params={"status": "success"})).json() == {"tasks": []}
    shown = await control(client, "GET", f"/tasks/{mine}")
    assert (shown["uid"], shown["status"], shown["history"]) == (UID, "init", [{"at": EPOCH, "status": "init"}])
    assert "not a task" in (await control(client, "GET", "/tasks/nope", status=404))["error"]


async def test_complete_now(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """POST /_mock/tasks/{id}/complete finishes now, success or fail with errorMsg; terminal is final."""
    won, lost = await scrape(client), await scrape(client)
    assert (await control(client, "POST", f"/tasks/{won}/complete", {"status": "success"}))["status"] == "success"
    failed = await control(client, "POST", f"/tasks/{lost}/complete", {"status": "fail", "errorMsg": "no product"})
    assert (failed["status"], failed["errorMsg"]) == ("fail", "no product")
    assert await status(client, lost) == ("fail", "no product")
    again = await control(client, "POST", f"/tasks/{won}/complete", {"status": "fail"}, 409)
    assert again == {"error": f"taskId {won} is already success"}
    assert await status(client, won) == ("success", None)
    await control(client, "POST", "/tasks/nope/complete", {}, 404)
    bad = await control(client, "POST", f"/tasks/{await scrape(client)}/complete", {"status": "done"}, 400)
    assert "status must be one of success, fail" in bad["error"]


async def test_force_an_outcome_for_later(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """POST /_mock/tasks/{id}/outcome: the task ends that way when its progression gets there."""
    task_id = await scrape(client)
    await control(client, "POST", f"/tasks/{task_id}/outcome", {"status": "fail", "errorMsg": "blocked"})
    assert await status(client, task_id) == ("init", None)
    mock.advance(4)
    assert await status(client, task_id) == ("fail", "blocked")
    await control(client, "POST", f"/tasks/{task_id}/outcome", {"status": "success"}, 409)


async def test_python_complete_and_force(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """The same operations on the TopviewMock."""
    first, second = await scrape(client), await scrape(client)
    mock.complete(first, "fail", "bad link")
    mock.force(second, "fail")
    mock.advance(4)
    assert [(t["status"], t["errorMsg"]) for t in mock.tasks(UID)] == [("fail", "bad link"), ("fail", "Task failed")]
    with pytest.raises(KeyError):
        mock.complete("nope")


# -- outcomes --------------------------------------------------------------------------------------------


async def test_header_outcome(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """X-Topview-Mock-Outcome on a submit: fail (with a message) or success."""
    failing = await scrape(client, X_Topview_Mock_Outcome="fail; message=blocked site")
    plain_fail = await scrape(client, X_Topview_Mock_Outcome="fail")
    mock.advance(4)
    assert await status(client, failing) == ("fail", "blocked site")
    assert await status(client, plain_fail) == ("fail", "Task failed")
    bad = (
        await client.post("/v1/scraper/task/submit", json=SCRAPE, headers=headers(X_Topview_Mock_Outcome="maybe"))
    ).json()
    assert bad["code"] == "4000" and "X-Topview-Mock-Outcome" in bad["message"]


async def test_scripted_sequence(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """ "Next 2 tasks fail, then succeed": POST /_mock/outcomes, queued per operation; the header still wins."""
    queued = await control(
        client,
        "POST",
        "/outcomes",
        {"operationId": "scraperSubmit", "outcomes": ["fail; message=quota", {"status": "fail"}]},
    )
    assert queued == {
        "outcomes": {
            "scraperSubmit": [{"status": "fail", "errorMsg": "quota"}, {"status": "fail", "errorMsg": "Task failed"}]
        }
    }
    forced = await scrape(client, X_Topview_Mock_Outcome="success")  # does not consume the script
    ids = [await scrape(client) for _ in range(3)]
    mock.advance(4)
    assert await status(client, forced) == ("success", None)
    assert [await status(client, i) for i in ids] == [("fail", "quota"), ("fail", "Task failed"), ("success", None)]
    assert await control(client, "GET", "/outcomes") == {"outcomes": {"scraperSubmit": []}}


async def test_scripts_for_all_operations_and_clearing(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """operationId "*" (the default) scripts every submit; DELETE clears; bad input names the field."""
    mock.script_outcomes("*", [Outcome("fail", "first"), "success"])
    assert (await control(client, "GET", "/outcomes"))["outcomes"]["*"][0]["errorMsg"] == "first"
    await control(client, "DELETE", "/outcomes")
    await control(client, "POST", "/outcomes", {"outcomes": ["fail"]})
    task_id = await scrape(client)
    mock.advance(4)
    assert await status(client, task_id) == ("fail", "Task failed")
    assert "outcomes" in (await control(client, "POST", "/outcomes", {"outcomes": []}, 400))["error"]
    assert "outcomes[1]" in (await control(client, "POST", "/outcomes", {"outcomes": ["fail", 3]}, 400))["error"]
    assert (
        "operationId"
        in (await control(client, "POST", "/outcomes", {"operationId": "nope", "outcomes": ["fail"]}, 400))["error"]
    )


# -- progression ---------------------------------------------------------------------------------------------


async def test_progression_global_uid_kind_and_task(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """PUT /_mock/progression at every scope; the most specific wins; a task's own applies at once."""
    await control(client, "PUT", "/progression", {"init": 10, "running": 10})
    await control(client, "PUT", "/progression", {"kind": "scraper", "init": 2, "running": 2})
    shown = await control(client, "PUT", "/progression", {"uid": OTHER_UID, "mode": "manual"})
    assert shown == {
        "global": {"mode": "time", "init": 10, "running": 10},
        "byUid": {OTHER_UID: {"mode": "manual", "init": 10, "running": 10}},
        "byKind": {"scraper": {"mode": "time", "init": 2, "running": 2}},
        "maxUnfinished": None,
    }
    by_kind, manual = await scrape(client), await scrape(client, OTHER_UID)
    mock.advance(3)
    assert await status(client, by_kind) == ("running", None)
    mock.advance(1)
    assert await status(client, by_kind) == ("success", None)
    mock.advance(100)
    assert await status(client, manual, OTHER_UID) == ("init", None)
    await control(client, "PUT", "/progression", {"taskId": manual, "mode": "time", "init": 1, "running": 1})
    assert await status(client, manual, OTHER_UID) == ("success", None)  # its state began long ago


async def test_polls_progression(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """mode polls: the task moves after N queries, whatever the clock says."""
    mock.set_progression(Progression("polls", init=2, running=1))
    task_id = await scrape(client)
    mock.advance(1000)
    seen = [(await status(client, task_id))[0] for _ in range(4)]
    assert seen == ["init", "running", "success", "success"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mode": "fast"}, "mode"),
        ({"init": -1}, "init"),
        ({"running": "3"}, "running"),
        ({"kind": "nope"}, "kind"),
        ({"uid": "a", "kind": "scraper"}, "uid, kind"),
        ({"speed": 2}, "speed"),
    ],
)
async def test_bad_progression(client: httpx.AsyncClient, body: dict[str, Any], field: str) -> None:
    """Bad progression input names the field."""
    assert field in (await control(client, "PUT", "/progression", body, 400))["error"]


async def test_progression_of_unknown_or_finished_task(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """A task's progression can change only while it is unfinished."""
    await control(client, "PUT", "/progression", {"taskId": "nope", "mode": "manual"}, 404)
    task_id = await scrape(client)
    mock.advance(4)
    await control(client, "PUT", "/progression", {"taskId": task_id, "mode": "manual"}, 409)


# -- reset -------------------------------------------------------------------------------------------------


async def test_reset_one_account(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """POST /_mock/reset {"uid"}: that account's tasks are gone, others stay, the clock is untouched."""
    mine, theirs = await scrape(client), await scrape(client, OTHER_UID)
    mock.advance(2)
    assert await control(client, "POST", "/reset", {"uid": UID}) == {"reset": UID}
    assert [t["taskId"] for t in mock.tasks()] == [theirs]
    assert mock.clock.now() == EPOCH + 2
    response = await client.get("/v1/scraper/task/query", params={"taskId": mine}, headers=headers())
    assert response.json()["code"] == "4004"


async def test_reset_everything(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """POST /_mock/reset: tasks, clock, faults, journal, scripts, progression and credits as configured."""
    first = await scrape(client)
    mock.advance(7)
    mock.add_fault(operation="captionList", code="5000")
    mock.script_outcomes("*", ["fail"])
    mock.set_progression(Progression("manual"))
    mock.set_max_unfinished(1)
    mock.set_credits(UID, 1)
    assert await control(client, "POST", "/reset") == {"reset": "all"}
    assert (mock.tasks(), mock.clock.now(), mock.faults.rules(), len(mock.journal)) == ([], EPOCH, [], 0)
    assert mock.policies.scripts == {} and mock.policies.max_unfinished is None
    assert mock.credits(UID)["balance"] == 1000
    assert await scrape(client) == first  # ids start their seeded sequence again
    mock.advance(4)
    assert mock.tasks()[0]["status"] == "success"


async def test_unknown_control_route(client: httpx.AsyncClient) -> None:
    """A /_mock/ path that does not exist answers 404."""
    assert (await client.get("/_mock/nothing")).status_code == 404


async def test_accounts_with_their_credits_and_task_counts(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """GET /_mock/accounts lists every account in order of first use; mock.accounts() says the same."""
    assert await control(client, "GET", "/accounts") == {"accounts": []}
    first = await scrape(client)
    await scrape(client, OTHER_UID)
    mock.complete(first)
    await scrape(client)
    shown = (await control(client, "GET", "/accounts"))["accounts"]
    assert [(a["uid"], a["tasks"], a["unfinished"]) for a in shown] == [(UID, 2, 1), (OTHER_UID, 1, 1)]
    assert shown[0]["credits"] == mock.credits(UID)
    assert shown == mock.accounts()


async def test_limit_keeps_the_newest_tasks_and_callbacks(client: httpx.AsyncClient) -> None:
    """?limit=N keeps the newest N of the tasks (and callbacks) listed; a bad limit answers 400."""
    ids = [await scrape(client) for _ in range(3)]
    listed = await control(client, "GET", f"/tasks?uid={UID}&limit=2")
    assert [t["taskId"] for t in listed["tasks"]] == ids[1:]
    assert (await control(client, "GET", "/callbacks?limit=5")) == {"callbacks": []}
    for path in ("/tasks?limit=0", "/callbacks?limit=x"):
        assert "limit must be a positive integer" in (await control(client, "GET", path, status=400))["error"]
