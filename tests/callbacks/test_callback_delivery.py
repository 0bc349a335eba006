"""Callbacks end to end: submit with a noticeUrl → move the virtual clock → a real local receiver gets the POST.

The fake runs in process (ASGI transport); each receiver is a small Starlette app served by uvicorn on a
loopback port inside the test's event loop, answering with a reply scripted per test. Retries and testing
aids run on the fake's clock, which the tests move; hanging receivers are released, and attempt timeouts
fired, by events (``give_up_when``), never by sleeping or by a fraction of a real second.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from receivers import Receiver, Reply, ack, acked_with, closed_port_url, give_up_when, plain_ok, serving, status
from test_whole_api import RECIPES, context
from topview_calls import BASE_URL, OTHER_UID, UID, headers, ok, op, query, valid_op

from mock_server import MockConfig, Progression, TopviewMock, create_app
from mock_server.callbacks.payloads import drop_nulls
from mock_server.callbacks.policy import DeliveryPolicy
from mock_server.cli import main, mock_config, parser, settings
from mock_server.contract.openapi import Contract

pytestmark = pytest.mark.anyio

SCRAPE = {"productLink": "https://shop.example.com/cup"}
PREVIEW = {**SCRAPE, "preview": True}  # an m2v task that stops after its preview stage
# The documented callback body's fields, in the documented order (seed 002).
NOTICE_FIELDS = ["uuid", "bizType", "taskId", "status", "errorMsg", "result"]
# Fields of the documented preview video inside the callback's result string.
DOCUMENTED_VIDEO_FIELDS = {"coverUrl", "scriptId", "status", "videoDuration", "videoUrl"}


# -- fixtures and helpers ----------------------------------------------------------------------------------


@pytest.fixture
def config() -> MockConfig:
    """Time-driven tasks (init 1 s, running 3 s), plenty of credits, retries after 5, 10, 20 virtual s."""
    return MockConfig(
        seed=0,
        progression=Progression("time", init=1, running=3),
        credits=1_000_000,
        notice_policy=DeliveryPolicy(max_attempts=4, first_delay=5, backoff=2, attempt_timeout=5),
    )


@pytest.fixture(autouse=True)
async def stop_callbacks(mock: TopviewMock) -> AsyncIterator[None]:
    """Stop retries still scheduled when a test ends (their receiver is gone)."""
    yield
    await mock.notices.aclose()


async def control(client: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> Any:
    """A control API call that must succeed; its JSON."""
    response = await client.request(method, f"/_mock{path}", **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


async def submit_noticed(
    client: httpx.AsyncClient,
    url: str,
    *,
    operation: str = "scraperSubmit",
    body: dict[str, Any] | None = None,
    extra: dict[str, str] | None = None,
) -> tuple[str, str]:
    """Submit a task calling back to ``url``; (taskId, noticeUuid)."""
    result = ok(await op(client, operation, body={**(body or SCRAPE), "noticeUrl": url}, extra=extra))
    assert len(result["noticeUuid"]) == 32, result
    return result["taskId"], result["noticeUuid"]


async def finish(mock: TopviewMock, seconds: float = 4) -> None:
    """Move the clock (tasks finish, attempts fall due) and wait for the attempts it started."""
    mock.advance(seconds)
    await mock.adrain_callbacks()


def parsed(body: dict[str, Any]) -> Any:
    """The callback's ``result`` string parsed back, after checking it is compact JSON with sorted keys."""
    result = json.loads(body["result"])
    assert body["result"] == json.dumps(result, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert drop_nulls(result) == result, "null fields are left out"
    return result


# -- check notice url, allowed hosts ---------------------------------------------------------------------

LOOPBACK = "http://127.0.0.1:8080/notice"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (LOOPBACK, None),
        ("http://localhost/hook", None),
        ("https://[::1]:8443/hook?x=1", None),
        ("ftp://127.0.0.1/notice", "http or https"),
        ("http:///notice", "host"),
        ("http://user:pw@127.0.0.1/notice", "credentials"),
        ("http://127.0.0.1:99999/notice", "port"),
        ("http://LOCALHOST.:8080/hook", None),
        # any public host is accepted at submit, as Topview accepts them (delivery decides)
        ("https://hooks.example.com/topview", None),
        ("https://abc123.ngrok-free.app/topview/notice", None),
        ("https://webhook.site/5f0c9a4e-2b1d-4c6e-9a7f-3d2e1c0b9a8f", None),
        # private, link-local and metadata addresses are not
        ("http://10.1.2.3/hook", "'10.1.2.3' is a private, link-local or metadata address"),
        ("http://192.168.1.20:8080/hook", "'192.168.1.20' is a private"),
        ("http://169.254.169.254/latest/meta-data/", "'169.254.169.254' is a private"),
        ("http://[fd00:ec2::254]/latest", "'fd00:ec2::254' is a private"),
        ("http://[::ffff:10.0.0.1]/hook", "'::ffff:10.0.0.1' is a private"),
        ("http://0.0.0.0:8080/hook", "'0.0.0.0' is a private"),
        ("http://metadata.google.internal./computeMetadata/v1/", "'metadata.google.internal' is a private"),
        ("http://127.0.0.1/" + "a" * 1024, "noticeUrl"),
    ],
)
async def test_check_and_submit_agree_on_notice_urls(
    client: httpx.AsyncClient, mock: TopviewMock, url: str, problem: str | None
) -> None:
    """check notice url answers true or 4000 naming noticeUrl, and a submit with that URL answers the same."""
    checked = await op(client, "noticeUrlCheck", body={"noticeUrl": url})
    submitted = await op(client, "scraperSubmit", body={**SCRAPE, "noticeUrl": url})
    if problem is None:
        assert ok(checked) is True
        assert len(ok(submitted)["noticeUuid"]) == 32
        return
    for envelope in (checked, submitted):
        assert envelope["code"] == "4000" and envelope["result"] is None, envelope
        assert "noticeUrl" in envelope["message"] and problem in envelope["message"], envelope
    assert checked["message"] == submitted["message"]
    assert mock.tasks() == [] and mock.callbacks() == []  # refused before any task, never contacted


async def test_allowed_hosts_are_configurable(client: httpx.AsyncClient, mock: TopviewMock, contract: Contract) -> None:
    """Private hosts named by the control API (or MockConfig) are accepted at check and submit time."""
    refused = "http://10.1.2.3/hook"
    assert (await op(client, "noticeUrlCheck", body={"noticeUrl": refused}))["code"] == "4000"
    policy = await control(client, "PUT", "/callbacks/policy", json={"allowedHosts": ["10.0.0.0/8", "*.EXAMPLE.com."]})
    assert policy["allowedHosts"] == ["10.0.0.0/8", "*.example.com"] and policy["maxAttempts"] == 4
    assert await control(client, "GET", "/callbacks/policy") == policy
    for url in (refused, "https://hooks.example.com/topview"):
        assert ok(await op(client, "noticeUrlCheck", body={"noticeUrl": url})) is True
        await submit_noticed(client, url)

    configured = create_app(
        mock=TopviewMock(MockConfig(notice_policy=DeliveryPolicy(allowed_hosts=("hooks.test",))), contract=contract)
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(configured), base_url=BASE_URL) as other:
        good = await other.post(
            "/notice/notice_url/check", headers=headers(), json={"noticeUrl": "http://hooks.test/n"}
        )
        bad = await other.post("/notice/notice_url/check", headers=headers(), json={"noticeUrl": refused})
    assert good.json()["result"] is True and bad.json()["code"] == "4000"


async def test_a_host_refused_after_submit_is_journalled_and_never_contacted(
    client: httpx.AsyncClient, mock: TopviewMock
) -> None:
    """Narrowing the allow-list after a submit: the notice is journalled as refused, with the reason."""
    mock.set_notice_policy(allowed_hosts=("10.0.0.0/8",))
    task_id, uuid = await submit_noticed(client, "http://10.1.2.3/hook")
    await control(client, "PUT", "/callbacks/policy", json={"allowedHosts": []})
    await finish(mock)
    shown = (await control(client, "GET", "/callbacks", params={"taskId": task_id}))["callbacks"]
    [delivery] = shown
    assert delivery["state"] == "refused" and delivery["attempts"] == [] and delivery["noticeUuid"] == uuid
    assert delivery["refusedReason"].startswith("not delivered: ")
    assert "'10.1.2.3' is a private, link-local or metadata address" in delivery["refusedReason"]
    assert [
        d["id"] for d in (await control(client, "GET", "/callbacks", params={"state": "refused"}))["callbacks"]
    ] == [delivery["id"]]


# -- delivery bodies ---------------------------------------------------------------------------------------


async def test_success_delivery_matches_the_documented_example(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """An m2v preview calls back as documented: fields, header, M2V_PREVIEW, result string without nulls."""
    receiver = Receiver(ack)
    async with serving(receiver) as url:
        task_id, uuid = await submit_noticed(client, url, operation="m2vSubmit", body=PREVIEW)
        await finish(mock)
    [got] = receiver.received
    assert got.headers["topview-uid"] == UID and got.headers["content-type"] == "application/json"
    assert list(got.body) == NOTICE_FIELDS
    assert {k: v for k, v in got.body.items() if k != "result"} == {
        "uuid": uuid,
        "bizType": "M2V_PREVIEW",
        "taskId": task_id,
        "status": "success",
        "errorMsg": "",
    }
    result = parsed(got.body)
    # The query result of the task (at the same virtual time: the same signed URLs), nulls left out and
    # only the preview stage's videos, as in the documented example.
    queried = ok(await query(client, "m2vQuery", task_id))
    expected = drop_nulls({k: v for k, v in queried.items() if k != "exportVideos"})
    assert result == expected
    assert result["taskId"] == task_id and result["status"] == "success" and "exportVideos" not in result
    [video] = result["previewVideos"]
    assert set(video) >= DOCUMENTED_VIDEO_FIELDS and video["videoDuration"] == 36_096_000
    assert (await client.get(video["videoUrl"])).status_code == 200  # callbacks carry the fake's own URLs

    [delivery] = (await control(client, "GET", "/callbacks", params={"uid": UID}))["callbacks"]
    assert delivery["state"] == "delivered" and delivery["bizType"] == "M2V_PREVIEW" and delivery["body"] == got.body
    [attempt] = delivery["attempts"]
    assert attempt["number"] == 1 and attempt["httpStatus"] == 200 and attempt["acknowledged"] is True
    assert attempt["at"] == mock.clock.now() and uuid in attempt["responseText"]
    assert await control(client, "GET", f"/callbacks/{delivery['id']}") == delivery
    assert (await control(client, "GET", "/callbacks", params={"uid": OTHER_UID}))["callbacks"] == []
    assert [d.id for d in mock.callbacks(uid=UID, task_id=task_id, state="delivered")] == [delivery["id"]]


async def test_fail_delivery_carries_the_error_message(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """A failed task calls back with status fail, errorMsg its message, and its (failed) query result."""
    receiver = Receiver(ack)
    async with serving(receiver) as url:
        outcome = {"X-Topview-Mock-Outcome": "fail; message=Product page unreachable"}
        task_id, uuid = await submit_noticed(client, url, extra=outcome)
        await finish(mock)
    [body] = receiver.bodies()
    assert list(body) == NOTICE_FIELDS
    assert (body["uuid"], body["bizType"], body["taskId"]) == (uuid, "SCRAPER", task_id)
    assert (body["status"], body["errorMsg"]) == ("fail", "Product page unreachable")
    result = parsed(body)
    assert result == drop_nulls(ok(await query(client, "scraperQuery", task_id)))
    assert (result["taskId"], result["status"], result["errorMsg"]) == (task_id, "fail", "Product page unreachable")
    assert mock.callbacks(task_id=task_id)[0].state == "delivered"


async def test_m2v_preview_and_export_stages_call_back_separately(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Preview → M2V_PREVIEW (previewVideos); each export → M2V_EXPORT (its exportVideos), same m2v taskId."""
    receiver = Receiver(ack)
    async with serving(receiver) as url:
        task_id, preview_uuid = await submit_noticed(client, url, operation="m2vSubmit", body=PREVIEW)
        await finish(mock)
        export = ok(
            await op(client, "m2vExport", body={"taskId": task_id, "noticeUrl": url.replace("notice", "export")})
        )
        await finish(mock)
        # An export without a noticeUrl of its own calls back to the preview's, with its own uuid; this one fails.
        failing = ok(
            await op(
                client,
                "m2vExport",
                body={"taskId": task_id},
                extra={"X-Topview-Mock-Outcome": "fail; message=Render error"},
            )
        )
        await finish(mock)
    preview, exported, failed = receiver.received
    assert [r.path for r in receiver.received] == ["/notice", "/export", "/notice"]
    assert [r.body["bizType"] for r in receiver.received] == ["M2V_PREVIEW", "M2V_EXPORT", "M2V_EXPORT"]
    assert [r.body["taskId"] for r in receiver.received] == [task_id] * 3
    assert [r.body["uuid"] for r in receiver.received] == [preview_uuid, export["noticeUuid"], failing["noticeUuid"]]
    assert len({preview_uuid, export["noticeUuid"], failing["noticeUuid"]}) == 3

    assert "exportVideos" not in parsed(preview.body) and parsed(preview.body)["previewVideos"]
    shown = parsed(exported.body)
    assert "previewVideos" not in shown and shown["status"] == "success" and shown["taskId"] == task_id
    [video] = shown["exportVideos"]
    assert video["status"] == "success" and video["videoUrl"] and video["scriptId"] == 0
    assert (failed.body["status"], failed.body["errorMsg"]) == ("fail", "Render error")
    assert parsed(failed.body)["exportVideos"] == [{"scriptId": 0, "status": "fail"}]
    assert parsed(failed.body)["errorMsg"] == "Render error"
    # The query still shows the m2v task as success, with both exports in exportVideos.
    queried = ok(await query(client, "m2vQuery", task_id))
    assert queried["status"] == "success" and [v["status"] for v in queried["exportVideos"]] == ["success", "fail"]


async def test_every_task_group_calls_back_with_its_biz_type(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Each row of the group table: a submit with noticeUrl calls back once, with the row's bizType."""
    receiver = Receiver(ack)
    c = await context(client, mock)
    submitted: dict[str, tuple[str, str]] = {}
    async with serving(receiver) as url:
        for kind in mock.table.kinds:
            body = {**(await RECIPES[kind.name].body(c)), "noticeUrl": url}
            acknowledged = ok(await valid_op(client, kind.submit, body=body))
            submitted[kind.name] = acknowledged["taskId"], acknowledged["noticeUuid"]
        await finish(mock, 10)
    by_uuid = {body["uuid"]: body for body in receiver.bodies()}
    assert len(by_uuid) == len(receiver.received) == len(mock.table.kinds)
    for kind in mock.table.kinds:
        task_id, uuid = submitted[kind.name]
        body = by_uuid[uuid]
        task = mock.state.find_task(task_id)
        assert task is not None
        assert list(body) == NOTICE_FIELDS, kind.name
        assert (body["bizType"], body["taskId"], body["status"], body["errorMsg"]) == (
            kind.biz_type_for(task),
            task_id,
            "success",
            "",
        ), kind.name
        result = parsed(body)
        assert result.get("taskId") == task_id, (kind.name, result)
    direct_m2v = parsed(by_uuid[submitted["m2v"][1]])  # not a preview: it is its own export stage
    assert by_uuid[submitted["m2v"][1]]["bizType"] == "M2V_EXPORT"
    assert direct_m2v["exportVideos"] and "previewVideos" not in direct_m2v
    assert {d.state for d in mock.callbacks()} == {"delivered"}


# -- acknowledgement, retries, journal, replay ------------------------------------------------------------


async def test_500_then_200_is_retried_after_the_backoff(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """A 500 is a failed attempt; the retry comes first_delay virtual seconds later and is acknowledged."""
    receiver = Receiver(status(500), ack)
    async with serving(receiver) as url:
        task_id, _ = await submit_noticed(client, url)
        await finish(mock)
        [delivery] = (await control(client, "GET", "/callbacks", params={"taskId": task_id}))["callbacks"]
        first_at = delivery["attempts"][0]["at"]
        assert delivery["state"] == "pending" and delivery["nextAttemptAt"] == first_at + 5
        await finish(mock, 4.9)
        assert len(receiver.received) == 1
        await finish(mock, 0.1)
    assert len(receiver.received) == 2 and receiver.received[0].body == receiver.received[1].body
    shown = await control(client, "GET", f"/callbacks/{delivery['id']}")
    assert shown["state"] == "delivered" and shown["nextAttemptAt"] is None
    assert [
        (a["number"], a["at"] - first_at, a["httpStatus"], a["error"], a["acknowledged"]) for a in shown["attempts"]
    ] == [
        (1, 0, 500, "HTTP 500", False),
        (2, 5, 200, None, True),
    ]
    assert '"oops"' in shown["attempts"][0]["responseText"]


async def test_receiver_down_until_retries_are_exhausted(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Refused connections are retried with exponential backoff (configured over HTTP), then marked failed."""
    await control(client, "PUT", "/callbacks/policy", json={"maxAttempts": 3, "firstDelay": 2, "backoff": 3})
    task_id, _ = await submit_noticed(client, closed_port_url())
    await finish(mock)
    for gap in (2, 6):
        [pending] = mock.callbacks(task_id=task_id)
        assert pending.state == "pending" and pending.next_attempt_at == pending.attempts[-1].at + gap
        await finish(mock, gap)
    [delivery] = (await control(client, "GET", "/callbacks", params={"state": "failed"}))["callbacks"]
    attempts = delivery["attempts"]
    assert [a["at"] - attempts[0]["at"] for a in attempts] == [0, 2, 8]
    assert all(a["httpStatus"] is None and a["error"] and not a["acknowledged"] for a in attempts)
    assert "Connect" in attempts[0]["error"]
    await finish(mock, 1000)  # nothing more is attempted
    assert len(mock.callbacks(task_id=task_id)[0].attempts) == 3


async def test_a_hanging_receiver_times_out(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """An attempt that gets no answer within attempt_timeout is a failed attempt.

    The timeout is driven by the receiver's hang (``give_up_when``), not by a fraction of a real second.
    """
    receiver = Receiver()
    receiver.replies = [receiver.hang]
    mock.set_notice_policy(attempt_timeout=30, max_attempts=1)
    mock.notices.patience = give_up_when(receiver.hanging)
    async with serving(receiver) as url:
        task_id, _ = await submit_noticed(client, url)
        await finish(mock)
        [delivery] = mock.callbacks(task_id=task_id)
        assert delivery.state == "failed" and len(receiver.received) == 1
        [attempt] = delivery.attempts
        assert attempt.error == "timed out after 30 s" and attempt.http_status is None


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (plain_ok, "not JSON"),
        (acked_with(uuid="0" * 32), "uuid"),
        (acked_with(topviewUid="someone-else"), "topviewUid"),
        (acked_with(code="500"), "code"),
        (acked_with(result="maybe"), "result"),
    ],
    ids=["not-json", "wrong-uuid", "wrong-uid", "wrong-code", "wrong-result"],
)
async def test_a_wrong_acknowledgement_is_a_failed_attempt(
    client: httpx.AsyncClient, mock: TopviewMock, reply: Reply, error: str
) -> None:
    """HTTP 200 is not enough: the reply must be the documented envelope echoing uuid and uid."""
    mock.set_notice_policy(max_attempts=1)
    async with serving(Receiver(reply)) as url:
        task_id, _ = await submit_noticed(client, url)
        await finish(mock)
    [delivery] = mock.callbacks(task_id=task_id)
    [attempt] = delivery.attempts
    assert delivery.state == "failed" and attempt.http_status == 200 and not attempt.acknowledged
    assert attempt.error is not None and error in attempt.error


async def test_a_failed_delivery_is_replayed_over_http(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Replay sends the same notice again as a new delivery; the failed record stays as it was."""
    receiver = Receiver(status(503), status(503), ack)
    mock.set_notice_policy(max_attempts=2)
    async with serving(receiver) as url:
        task_id, uuid = await submit_noticed(client, url)
        await finish(mock)
        await finish(mock, 5)
        [failed] = (await control(client, "GET", "/callbacks", params={"state": "failed"}))["callbacks"]
        replayed = await control(client, "POST", f"/callbacks/{failed['id']}/replay")
        assert replayed["replayOf"] == failed["id"] and replayed["id"] != failed["id"]
        drained = await control(client, "POST", "/callbacks/drain")
        assert drained["pending"] == []
    assert [r.body for r in receiver.received] == [receiver.received[0].body] * 3
    assert receiver.received[0].body["uuid"] == uuid
    assert (await control(client, "GET", f"/callbacks/{replayed['id']}"))["state"] == "delivered"
    assert await control(client, "GET", f"/callbacks/{failed['id']}") == failed
    assert [d.state for d in mock.callbacks(task_id=task_id)] == ["failed", "delivered"]


async def test_python_replay_and_drain(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """The same through Python: replay_callback, drain_callbacks (which reports deliveries awaiting the clock)."""
    receiver = Receiver(status(500), ack)
    async with serving(receiver) as url:
        task_id, _ = await submit_noticed(client, url)
        mock.advance(4)
        waiting = await mock.adrain_callbacks()
        [delivery] = mock.callbacks(task_id=task_id)
        assert waiting == [delivery] and delivery.state == "pending"
        again = mock.replay_callback(delivery.id)  # a replay is due now, whatever the backoff says
        assert await mock.adrain_callbacks() == [delivery]
        assert again.state == "delivered" and again.replay_of == delivery.id
    with pytest.raises(KeyError):
        mock.replay_callback("dlv-999999")


# -- receiver-testing aids ---------------------------------------------------------------------------------


async def test_deliver_twice(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """deliverTwice: every acknowledged notice comes again with the same uuid, so idempotency can be proved."""
    receiver = Receiver(ack)
    await control(client, "PUT", "/callbacks/policy", json={"deliverTwice": True})
    async with serving(receiver) as url:
        task_id, uuid = await submit_noticed(client, url)
        await finish(mock)
    first, second = receiver.bodies()
    assert first == second and first["uuid"] == uuid
    original, duplicate = mock.callbacks(task_id=task_id)
    assert duplicate.duplicate_of == original.id and {original.state, duplicate.state} == {"delivered"}


async def test_late_delivery(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """extraDelay: the first attempt comes that many virtual seconds after the task finished."""
    receiver = Receiver(ack)
    await control(client, "PUT", "/callbacks/policy", json={"extraDelay": 30})
    async with serving(receiver) as url:
        task_id, _ = await submit_noticed(client, url)
        await finish(mock)
        finished_at = mock.clock.now()
        [delivery] = mock.callbacks(task_id=task_id)
        assert delivery.state == "pending" and delivery.next_attempt_at == finished_at + 30
        await finish(mock, 29.9)
        assert receiver.received == []
        await finish(mock, 0.1)
        assert len(receiver.received) == 1 and delivery.attempts[0].at == finished_at + 30


async def test_out_of_order_delivery(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """shuffleWindow: notices finishing within the window arrive together, in reverse order."""
    receiver = Receiver(ack)
    await control(client, "PUT", "/callbacks/policy", json={"shuffleWindow": 10})
    async with serving(receiver) as url:
        task_ids = []
        for _ in range(3):
            task_ids.append((await submit_noticed(client, url))[0])
            mock.advance(1)
        await finish(mock, 4)  # all three finished; the window is still open
        assert receiver.received == []
        await finish(mock, 10)
    assert [body["taskId"] for body in receiver.bodies()] == task_ids[::-1]


# -- never blocking ----------------------------------------------------------------------------------------


async def test_a_slow_receiver_does_not_slow_other_requests(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Many hanging receivers at once (no small worker pool): a fast one and the API itself go on regardless."""
    slow, fast = Receiver(), Receiver(ack)
    slow.replies = [slow.hang]
    hanging = 12
    async with serving(slow) as slow_url, serving(fast) as fast_url:
        slow_tasks = [(await submit_noticed(client, slow_url))[0] for _ in range(hanging)]
        fast_task, _ = await submit_noticed(client, fast_url)
        mock.advance(4)
        await slow.arrived(hanging)  # every slow callback is being held open at the same time
        [fast_delivery] = mock.callbacks(task_id=fast_task)
        await mock.notices.settle(fast_delivery.id)
        assert fast_delivery.state == "delivered" and len(fast.received) == 1
        assert {d.state for t in slow_tasks for d in mock.callbacks(task_id=t)} == {"delivering"}
        # The API answers while the callbacks hang.
        assert ok(await query(client, "scraperQuery", slow_tasks[0]))["status"] == "success"
        assert len((await control(client, "GET", "/callbacks", params={"state": "delivering"}))["callbacks"]) == hanging
        slow.release.set()
        await mock.adrain_callbacks()
    assert {d.state for d in mock.callbacks()} == {"delivered"}


@pytest.mark.parametrize(
    "config", [MockConfig(progression=Progression("time", init=1, running=3), credits=1_000_000)], ids=["default"]
)
async def test_10000_in_process_callbacks_drained_at_the_end_are_all_delivered(
    client: httpx.AsyncClient, mock: TopviewMock
) -> None:
    """A test that keeps the loop busy submitting, and drains the notices only at the end, loses none.

    The receiver is in process (respx). Tasks finish while the submits go on, so their attempts fall due
    while the loop is busy; each attempt's real-time timeout (the default 10 s) starts only when it does,
    so waiting for a turn never fails one (this scenario once delivered 0 of 10,000). About 10 s of the
    suite's time, most of it the 10,000 submits and deliveries through the ASGI and respx stacks.
    """
    count = 10_000

    def acknowledge(request: httpx.Request) -> httpx.Response:
        uuid = json.loads(request.content)["uuid"]
        result = {"uuid": uuid, "topviewUid": request.headers["Topview-Uid"], "result": "success"}
        return httpx.Response(200, json={"code": "200", "message": "Success", "result": result})

    with respx.mock(assert_all_called=False) as router:
        router.post(LOOPBACK).mock(side_effect=acknowledge)
        for n in range(count):
            await submit_noticed(client, LOOPBACK, body={"productLink": f"https://shop.example.com/p/{n}"})
            if n % 1000 == 999:
                mock.advance(4)  # the last thousand finish; their attempts start as the submits go on
        mock.advance(4)
        await mock.adrain_callbacks()
    deliveries = mock.callbacks()
    assert len(deliveries) == count
    assert {d.state for d in deliveries} == {"delivered"}
    assert {len(d.attempts) for d in deliveries} == {1}  # not one attempt timed out or was retried


# -- the control API's own checks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"maxAttempts": 0},
        {"maxAttempts": 2.5},
        {"backoff": 0.5},
        {"firstDelay": -1},
        {"attemptTimeout": 0},
        {"extraDelay": "soon"},
        {"deliverTwice": "yes"},
        {"allowedHosts": "10.0.0.0/8"},
        {"allowedHosts": [""]},
        {"retries": 3},
    ],
)
async def test_bad_policy_input_is_400(client: httpx.AsyncClient, mock: TopviewMock, body: dict[str, Any]) -> None:
    """PUT /_mock/callbacks/policy refuses bad input naming the field, and changes nothing."""
    before = await control(client, "GET", "/callbacks/policy")
    response = await client.put("/_mock/callbacks/policy", json=body)
    assert response.status_code == 400 and next(iter(body)) in response.json()["error"]
    assert await control(client, "GET", "/callbacks/policy") == before


async def test_unknown_and_unfinished_callbacks(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Unknown ids answer 404, a bad state filter 400, replaying a delivery still pending 409; reset clears all."""
    assert (await client.get("/_mock/callbacks/dlv-000404")).status_code == 404
    assert (await client.post("/_mock/callbacks/dlv-000404/replay")).status_code == 404
    assert (await client.get("/_mock/callbacks", params={"state": "lost"})).status_code == 400
    mock.set_notice_policy(extra_delay=60, deliver_twice=True)
    await submit_noticed(client, LOOPBACK)
    await finish(mock)
    [pending] = mock.callbacks(state="pending")
    assert (await client.post(f"/_mock/callbacks/{pending.id}/replay")).status_code == 409
    await control(client, "POST", "/reset")
    assert mock.callbacks() == [] and mock.notices.policy == mock.config.notice_policy


async def test_serve_flags_and_config_file_set_the_delivery_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``topview-mock serve``: --notice-* flags (or config keys) become MockConfig.notice_policy."""
    assert mock_config(settings(parser().parse_args(["serve"]))).notice_policy == DeliveryPolicy()
    flags = ["--notice-host", "hooks.test", "--notice-host", "10.0.0.0/8", "--notice-attempts", "3"]
    flags += ["--notice-first-delay", "1", "--notice-backoff", "4", "--notice-timeout", "0.5"]
    assert mock_config(settings(parser().parse_args(["serve", *flags]))).notice_policy == DeliveryPolicy(
        allowed_hosts=("hooks.test", "10.0.0.0/8"), max_attempts=3, first_delay=1, backoff=4, attempt_timeout=0.5
    )
    path = tmp_path / "mock.yaml"
    path.write_text("notice-hosts: a.test, *.b.test\nnotice_attempts: 2\n")
    policy = mock_config(settings(parser().parse_args(["serve", "--config", str(path)]))).notice_policy
    assert (policy.allowed_hosts, policy.max_attempts) == (("a.test", "*.b.test"), 2)
    assert main(["serve", "--notice-attempts", "0"]) == 2
    assert "max_attempts must be at least 1" in capsys.readouterr().err
