"""Task lifecycles of the foundation groups, moved only by the virtual clock.

Default progression: ``init`` for 1 s, ``running`` for 3 s, then the outcome. Every query response is
validated against the contract's response schema of its operation.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from topview_calls import BASE_URL, UID, Materials, materials, ok, op, query, submit

from mock_server import MockConfig, Outcome, Progression, TopviewMock, create_app
from mock_server.contract.groups import TaskKind
from mock_server.contract.openapi import Contract
from mock_server.engine.lifecycle import SLICE
from mock_server.engine.tasks import Task

HEX32 = re.compile(r"^[0-9a-f]{32}$")
FAIL = {"X-Topview-Mock-Outcome": "fail; message=Face not detected"}
Body = dict[str, Any]
BodyMaker = Callable[[httpx.AsyncClient, TopviewMock, Materials], Awaitable[Body]]


async def _replace_key(client: httpx.AsyncClient, mock: TopviewMock, m: Materials) -> str:
    task_id = await submit(
        client,
        "paV1ReplaceSubmit",
        {"avatarId": m.product_avatar, "productImageFileId": m.image, "imageEditPrompt": "Hold the cup."},
    )
    mock.advance(4)
    return str(ok(await query(client, "paV1ReplaceQuery", task_id))["productReplaceResult"][0]["key"])


async def _replace_image_id(client: httpx.AsyncClient, mock: TopviewMock, m: Materials) -> str:
    task_id = await submit(
        client, "paV2ReplaceSubmit", {"productImageWithoutBackgroundFileId": m.image, "templateImageFileId": m.image2}
    )
    mock.advance(4)
    return str(ok(await query(client, "paV2ReplaceQuery", task_id))["replaceProductResult"][0]["imageId"])


async def _m2v(client: httpx.AsyncClient, mock: TopviewMock, m: Materials) -> Body:
    return {
        "fileIds": [m.video, m.image],
        "productName": "Thermo cup",
        "productDescription": "Hot for 12 h.",
        "voiceId": m.voice,
        "aiavatarId": m.ai_avatar,
    }


async def _m2v_preview(client: httpx.AsyncClient, mock: TopviewMock, m: Materials) -> Body:
    return {"productLink": "https://shop.example.com/cup", "preview": True}


async def _video_avatar(client: httpx.AsyncClient, mock: TopviewMock, m: Materials) -> Body:
    return {"avatarSourceFrom": 0, "videoFileId": m.video, "audioSourceFrom": 0, "audioFileId": m.audio}


async def _pa_v1_replace(client: httpx.AsyncClient, mock: TopviewMock, m: Materials) -> Body:
    return {"avatarId": m.product_avatar, "productImageFileId": m.image, "imageEditPrompt": "Hold the cup."}


async def _pa_v1_image2video(client: httpx.AsyncClient, mock: TopviewMock, m: Materials) -> Body:
    return {"productReplaceResultKey": await _replace_key(client, mock, m), "mode": "lite"}


async def _pa_v2_replace(client: httpx.AsyncClient, mock: TopviewMock, m: Materials) -> Body:
    return {"productImageWithoutBackgroundFileId": m.image, "avatarId": m.product_avatar}


async def _pa_v2_image2video(client: httpx.AsyncClient, mock: TopviewMock, m: Materials) -> Body:
    return {
        "replaceProductTaskImageId": await _replace_image_id(client, mock, m),
        "ttsText": "Hot all day.",
        "voiceId": m.voice,
    }


async def _anyshoot(client: httpx.AsyncClient, mock: TopviewMock, m: Materials) -> Body:
    return {
        "productImageFileId": m.image,
        "templateId": m.template,
        "templateMaskFileId": m.mask,
        "mode": "pro",
        "generatingCount": 3,
    }


async def _common_image2video(client: httpx.AsyncClient, mock: TopviewMock, m: Materials) -> Body:
    return {"imageFileId": m.image, "duration": 5, "mode": "pro", "generatingCount": 2}


async def _scraper(client: httpx.AsyncClient, mock: TopviewMock, m: Materials) -> Body:
    return {"productLink": "https://shop.example.com/products/thermo-cup"}


# -- success shapes ------------------------------------------------------------------------------------


def is_url(value: Any) -> bool:
    """An absolute http(s) URL served by the fake."""
    return isinstance(value, str) and urlsplit(value).scheme in ("http", "https") and bool(urlsplit(value).path)


def _check_m2v(result: Body, body: Body, mock: TopviewMock) -> list[str]:
    exported = result["exportVideos"]
    assert result["previewVideos"] == []
    assert len(exported) == 1
    video = exported[0]
    assert video["scriptId"] == 0 and video["status"] == "success"
    assert video["videoDuration"] == 36_096_000  # microseconds (reference README)
    assert result["productName"] == body["productName"]
    assert result["productDescription"] == body["productDescription"]
    for scene in result["videoSceneInfoList"]:
        assert scene["mediaType"] == "video" and is_url(scene["videoSceneCoverUrl"])
    for scene in result["imageSceneInfoList"]:
        assert scene["mediaType"] == "image" and is_url(scene["imageSceneUrl"])
    assert result["videoSceneInfoList"] and result["imageSceneInfoList"]
    (script,) = result["scriptContentList"]
    assert script["scriptId"] == 0 and script["scriptContents"]
    assert all(isinstance(seg["segId"], int) and seg["segText"] for seg in script["scriptContents"])
    return [video["videoUrl"], video["coverUrl"]]


def _check_m2v_preview(result: Body, body: Body, mock: TopviewMock) -> list[str]:
    (video,) = result["previewVideos"]
    assert video["status"] == "success" and video["videoDuration"] == 36_096_000
    assert set(video) == {"scriptId", "status", "title", "description", "videoUrl", "coverUrl", "videoDuration"}
    # Until an export, exportVideos holds the documented placeholder: a video of script 0, every other field null.
    assert result["exportVideos"] == [{**dict.fromkeys(video), "scriptId": 0}]
    return [video["videoUrl"], video["coverUrl"]]


def _check_video_avatar(result: Body, body: Body, mock: TopviewMock) -> list[str]:
    assert result["inputVideoFileId"] == body["videoFileId"]
    assert result["inputAudioFileId"] == body["audioFileId"]
    return [result["outputVideoUrl"]]


def _check_pa_v1_replace(result: Body, body: Body, mock: TopviewMock) -> list[str]:
    assert "status" not in result  # documented quirk: taskStatus instead
    assert result["taskStatus"] == "success"
    assert result["productReplaceResult"]
    urls = []
    for item in result["productReplaceResult"]:
        image_id = re.search(r"/([0-9a-f]{32})/\1\.jpg", urlsplit(item["url"]).path)
        assert image_id is not None, item["url"]
        assert item["key"] == image_id.group(1)[:29]  # the key is the id in the URL cut to 29 characters
        urls.append(item["url"])
    return urls


def _check_pa_v1_image2video(result: Body, body: Body, mock: TopviewMock) -> list[str]:
    assert isinstance(result["videoDuration"], int) and result["videoDuration"] > 0
    assert result["costCredit"] == 1.0  # mode lite
    return [result["videoUrl"], result["coverUrl"]]


def _check_pa_v2_replace(result: Body, body: Body, mock: TopviewMock) -> list[str]:
    assert result["replaceProductResult"]
    for item in result["replaceProductResult"]:
        assert HEX32.match(item["imageId"])
        assert isinstance(item["faceExistence"], bool)
    return [item["url"] for item in result["replaceProductResult"]]


def _check_pa_v2_image2video(result: Body, body: Body, mock: TopviewMock) -> list[str]:
    return [result["finishedVideoUrl"]]


def _check_anyshoot(result: Body, body: Body, mock: TopviewMock) -> list[str]:
    images = result["images"]
    assert len(images) == body["generatingCount"]
    for image in images:
        assert image["status"] == "success" and image["errorMsg"] is None
        assert HEX32.match(image["fileId"])
        assert image["width"] > 0 and image["height"] > 0
    assert result["costCredit"] == 3.0  # one credit per generated image
    return [image["filePath"] for image in images]


def _check_common_image2video(result: Body, body: Body, mock: TopviewMock) -> list[str]:
    videos = result["videos"]
    assert len(videos) == body["generatingCount"]
    for video in videos:
        assert video["originVideo"]["width"] > 0 and video["originVideo"]["height"] > 0
    assert result["costCredit"] == 2.0  # pro: 0.2 credit/s x 5 s x 2 videos
    return [video["originVideo"]["filePath"] for video in videos]


def _check_scraper(result: Body, body: Body, mock: TopviewMock) -> list[str]:
    assert result["productLink"] == body["productLink"]
    assert result["productName"] and result["productDescription"]
    assert result["productImages"]
    for image in result["productImages"]:
        assert image["fileType"] == "image" and HEX32.match(image["fileId"])
    for video in result["productVideos"] or []:
        assert video["fileType"] == "video"
    return [f["fileUrl"] for f in (*result["productImages"], *(result["productVideos"] or []))]


Checker = Callable[[Body, Body, TopviewMock], list[str]]
# kind name -> (how to build a valid body, what its success result must show)
GROUPS: dict[str, tuple[str, BodyMaker, Checker]] = {
    "m2v": ("m2v", _m2v, _check_m2v),
    "m2v-preview": ("m2v", _m2v_preview, _check_m2v_preview),
    "video_avatar": ("video_avatar", _video_avatar, _check_video_avatar),
    "pa_v1_replace": ("pa_v1_replace", _pa_v1_replace, _check_pa_v1_replace),
    "pa_v1_image2video": ("pa_v1_image2video", _pa_v1_image2video, _check_pa_v1_image2video),
    "pa_v2_replace": ("pa_v2_replace", _pa_v2_replace, _check_pa_v2_replace),
    "pa_v2_image2video": ("pa_v2_image2video", _pa_v2_image2video, _check_pa_v2_image2video),
    "anyshoot": ("anyshoot", _anyshoot, _check_anyshoot),
    "common_image2video": ("common_image2video", _common_image2video, _check_common_image2video),
    "scraper": ("scraper", _scraper, _check_scraper),
}


def status_of(result: Body) -> str:
    """The task status, wherever the group reports it (PA v1 replace: taskStatus)."""
    return str(result["taskStatus"] if "taskStatus" in result else result["status"])


def assert_no_outputs(result: Body) -> None:
    """Before success, every output is null or empty (identity, status and errorMsg aside)."""
    for name, value in result.items():
        if name not in ("taskId", "status", "taskStatus", "errorMsg", "costCredit"):
            assert value in (None, []), (name, value)


def without_signatures(value: Any) -> Any:
    """The result with presigned URL query strings dropped (they carry the signing time)."""
    if isinstance(value, dict):
        return {k: without_signatures(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_signatures(v) for v in value]
    if isinstance(value, str) and "?X-Amz-" in value:
        return value.split("?", 1)[0]
    return value


async def group_request(client: httpx.AsyncClient, mock: TopviewMock, group: str) -> tuple[TaskKind, Body]:
    """The group's task kind and a valid request body for it, built from fresh materials."""
    kind_name, make_body, _ = GROUPS[group]
    return mock.table.by_name[kind_name], await make_body(client, mock, await materials(client, mock))


@pytest.mark.anyio
@pytest.mark.parametrize("group", list(GROUPS))
async def test_lifecycle_init_running_success(client: httpx.AsyncClient, mock: TopviewMock, group: str) -> None:
    """init for 1 s, running for 3 s, then success with the group's result shape; outputs stay fixed."""
    kind, body = await group_request(client, mock, group)
    task_id = await submit(client, kind.submit, body)
    assert HEX32.match(task_id)

    seen = []
    for step in (0, 0.5, 0.5, 1.5, 1.4):
        mock.advance(step)
        result = ok(await query(client, kind.query, task_id))
        assert result["taskId"] == task_id
        seen.append(status_of(result))
        if seen[-1] != "success":
            assert result["errorMsg"] is None
            assert_no_outputs(result)
    assert seen == ["init", "init", "running", "running", "running"]

    mock.advance(0.1)
    result = ok(await query(client, kind.query, task_id))
    assert status_of(result) == "success" and result["errorMsg"] is None
    check_success = GROUPS[group][2]
    urls = check_success(result, body, mock)
    assert urls and all(is_url(url) for url in urls), urls
    for url in urls[:2]:
        download = await client.get(url)
        assert download.status_code == 200 and download.content, url

    mock.advance(3600)
    later = ok(await query(client, kind.query, task_id))
    assert without_signatures(later) == without_signatures(result)
    (task,) = [t for t in mock.tasks() if t["taskId"] == task_id]
    history = [(entry["at"] - task["createdAt"], entry["status"]) for entry in task["history"]]
    assert history == [(0, "init"), (1, "running"), (4, "success")]


@pytest.mark.anyio
@pytest.mark.parametrize("group", list(GROUPS))
async def test_forced_fail_shows_the_message(client: httpx.AsyncClient, mock: TopviewMock, group: str) -> None:
    """X-Topview-Mock-Outcome: fail; message=... ends the task in fail with that errorMsg, no outputs, no charge."""
    kind, body = await group_request(client, mock, group)
    before = ok(await op(client, "userCreditDetail"))["remainCredit"]
    task_id = await submit(client, kind.submit, body, extra=FAIL)
    mock.advance(1)
    result = ok(await query(client, kind.query, task_id))
    assert status_of(result) == "running" and result["errorMsg"] is None
    mock.advance(3)
    result = ok(await query(client, kind.query, task_id))
    assert status_of(result) == "fail"
    assert result["errorMsg"] == "Face not detected"
    assert_no_outputs(result)
    assert ok(await op(client, "userCreditDetail"))["remainCredit"] == before  # failed tasks cost nothing


@pytest.mark.anyio
async def test_fail_without_message_has_a_default_error(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """A bare ``fail`` outcome still reports a non-empty errorMsg."""
    task_id = await submit(
        client, "scraperSubmit", {"productLink": "https://shop.example.com/a"}, extra={"X-Topview-Mock-Outcome": "fail"}
    )
    mock.advance(4)
    result = ok(await query(client, "scraperQuery", task_id))
    assert result["status"] == "fail" and result["errorMsg"]


@pytest.mark.anyio
async def test_malformed_outcome_header_is_refused(client: httpx.AsyncClient) -> None:
    """An outcome the fake cannot read answers 4000 instead of silently succeeding."""
    envelope = await op(
        client,
        "scraperSubmit",
        body={"productLink": "https://shop.example.com/a"},
        extra={"X-Topview-Mock-Outcome": "explode"},
    )
    assert envelope["code"] == "4000" and "X-Topview-Mock-Outcome" in envelope["message"]


@pytest.mark.anyio
async def test_one_big_advance_takes_every_due_step(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """A single advance past both deadlines goes straight to success, with both transitions recorded."""
    task_id = await submit(client, "scraperSubmit", {"productLink": "https://shop.example.com/a"})
    mock.advance(60)
    assert ok(await query(client, "scraperQuery", task_id))["status"] == "success"
    (task,) = mock.tasks()
    assert [entry["status"] for entry in task["history"]] == ["init", "running", "success"]


@pytest.mark.anyio
async def test_tasks_submitted_at_different_times_finish_at_their_own_time(
    client: httpx.AsyncClient, mock: TopviewMock
) -> None:
    """Each task's clock starts at its own submit."""
    first = await submit(client, "scraperSubmit", {"productLink": "https://shop.example.com/a"})
    mock.advance(2)
    second = await submit(client, "scraperSubmit", {"productLink": "https://shop.example.com/b"})
    mock.advance(2)
    assert ok(await query(client, "scraperQuery", first))["status"] == "success"
    assert ok(await query(client, "scraperQuery", second))["status"] == "running"
    mock.advance(2)
    assert ok(await query(client, "scraperQuery", second))["status"] == "success"


@pytest.mark.anyio
async def test_cloudfront_urls_on_request(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """needCloudFrontUrl=true renders result media as CloudFront-style URLs that download."""
    task_id = await submit(client, "scraperSubmit", {"productLink": "https://shop.example.com/a"})
    mock.advance(4)
    envelope = await op(client, "scraperQuery", params={"taskId": task_id, "needCloudFrontUrl": "true"})
    url = ok(envelope)["productImages"][0]["fileUrl"]
    assert urlsplit(url).path.startswith("/_cdn/") and "Key-Pair-Id=" in url
    assert (await client.get(url)).status_code == 200
    plain = ok(await op(client, "scraperQuery", params={"taskId": task_id}))["productImages"][0]["fileUrl"]
    assert urlsplit(plain).path.startswith("/_objects/") and "X-Amz-Signature=" in plain


@pytest.mark.anyio
async def test_scraper_outputs_are_typed_for_every_task(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Across many tasks (each with its own seeded values) images stay images and videos stay videos."""
    links = [f"https://shop.example.com/p/{i}" for i in range(8)]
    ids = [await submit(client, "scraperSubmit", {"productLink": link}) for link in links]
    mock.advance(4)
    for link, task_id in zip(links, ids, strict=True):
        _check_scraper(ok(await query(client, "scraperQuery", task_id)), {"productLink": link}, mock)


@pytest.mark.anyio
async def test_unknown_task_id_is_4004(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """A taskId nobody issued, or one of another group, answers 4004 naming taskId."""
    task_id = await submit(client, "scraperSubmit", {"productLink": "https://shop.example.com/a"})
    for operation_id, wanted in (("scraperQuery", "0" * 32), ("videoAvatarQuery", task_id)):
        envelope = await op(client, operation_id, params={"taskId": wanted})
        assert envelope["code"] == "4004" and "taskId" in envelope["message"], envelope


# -- nothing blocks the event loop ------------------------------------------------------------------------


def _bulk(mock: TopviewMock, uid: str, count: int) -> list[Task]:
    """``count`` scraper tasks of ``uid`` admitted straight through the engine (no HTTP: only their number matters)."""
    tenant = mock.state.tenant(uid, mock.clock.now())
    tasks = []
    for i in range(count):
        task = Task(
            task_id=f"{i:032x}",
            uid=uid,
            kind="scraper",
            operation_id="scraperSubmit",
            params={"productLink": f"https://shop.example.com/p/{i}"},
            created_at=mock.clock.now(),
            progression=Progression(),
            outcome=Outcome(),
            cost=0.0,
            task_type="scraper",
        )
        tasks.append(mock.engine.submit(tenant, task))
    return tasks


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("config", "move"),
    [(MockConfig(), "advance"), (MockConfig(clock_mode="realtime"), "tick")],
    ids=["advance", "realtime-ticker"],
)
async def test_finishing_20000_tasks_at_one_advance_never_holds_up_a_request(
    client: httpx.AsyncClient, mock: TopviewMock, move: str
) -> None:
    """Due work runs in bounded slices: the advance and a request meanwhile each take at most a slice of it.

    Measured by the engine's own count of transitions, not by time: the advance returns after one slice,
    the query answers (its own task finished) after at most one more, and the rest follows in the background.
    A transition costs tens of microseconds (benchmarks/: "finishing a task"), so a request waits for
    about 500 of them, well under 100 ms. The realtime ticker (``mock.tick()`` when real time has moved,
    every ``TICK_SECONDS`` in a server) does the same.
    """
    now = [0.0]
    if move == "tick":
        mock.clock.source = lambda: now[0]  # real time, as this test says
        mock.clock.reset()
    bulk = _bulk(mock, "bulk", 20_000)
    mine = await submit(client, "scraperSubmit", {"productLink": "https://shop.example.com/p/mine"})
    # 40,000 transitions are due: 20,000 tasks go init -> running -> success
    if move == "tick":
        now[0] += 5
        mock.tick()  # what the server's ticker calls
    else:
        mock.advance(5)
    assert mock.engine.transitions <= SLICE
    before = mock.engine.transitions
    assert ok(await query(client, "scraperQuery", mine))["status"] == "success"
    assert mock.engine.transitions - before <= SLICE + 2  # at most one background slice, plus its own two
    assert ok(await op(client, "userCreditDetail", uid="other"))["remainCredit"] == 1000  # another account
    assert mock.engine.transitions - before <= 2 * SLICE + 2
    assert sum(task.finished for task in bulk) < len(bulk)
    await mock.engine.caught_up()
    assert all(task.status == "success" for task in bulk)
    assert mock.engine.transitions == 2 * len(bulk) + 2
    # Finishing made no result: each is made when first asked for.
    assert len(mock.state.tenants["bulk"].unmade) == len(bulk)


def test_without_a_running_loop_an_advance_finishes_everything_due(mock: TopviewMock) -> None:
    """A sync caller moving the clock keeps nobody waiting: all due work happens at once."""
    bulk = _bulk(mock, "bulk", 2 * SLICE + 1)
    mock.advance(5)
    assert all(task.status == "success" for task in bulk)


@pytest.mark.anyio
async def test_a_result_is_made_when_first_asked_for_and_the_same_whenever_that_is(
    client: httpx.AsyncClient, mock: TopviewMock, config: MockConfig, contract: Contract
) -> None:
    """Results are a pure function of the seed and the task: made early or late, they are identical."""
    body = {"productLink": "https://shop.example.com/p/1"}
    first = await submit(client, "scraperSubmit", body)
    second = await submit(client, "scraperSubmit", body)
    mock.advance(5)
    assert set(mock.state.tenants[UID].unmade) == {first, second}
    late_second = ok(await query(client, "scraperQuery", second))  # made out of finish order
    early_first = ok(await query(client, "scraperQuery", first))
    assert mock.state.tenants[UID].unmade == {}
    other_app = create_app(mock=TopviewMock(config, contract=contract))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(other_app), base_url=BASE_URL) as other:
        assert await submit(other, "scraperSubmit", body) == first
        assert await submit(other, "scraperSubmit", body) == second
        other_app.state.mock.advance(5)
        assert _unsigned(ok(await query(other, "scraperQuery", first))) == _unsigned(early_first)
        assert _unsigned(ok(await query(other, "scraperQuery", second))) == _unsigned(late_second)


def _unsigned(value: Any) -> Any:
    """``value`` with the query strings of URLs cut (signatures differ between fakes' secrets)."""
    if isinstance(value, dict):
        return {k: _unsigned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unsigned(v) for v in value]
    return value.split("?")[0] if isinstance(value, str) and value.startswith("http") else value


def test_an_accounts_queue_holds_its_unfinished_tasks_not_every_task_it_ever_had(mock: TopviewMock) -> None:
    """Transitions the fake's clock took leave the account's own queue as new ones join it.

    A served fake nobody reads account-wide (credit logs, boards) once kept two queued entries for every
    task it was ever sent, each one more object for the garbage collector to walk.
    """
    for _ in range(5):
        tasks = _bulk(mock, "busy", 200)
        mock.advance(5)  # the fake's clock takes every transition: nobody reads the account
        assert all(task.status == "success" for task in tasks)
    assert len(mock.engine._due_by_uid["busy"]) <= 2 * 200  # the last round's entries at most, not 2,000
    before = mock.engine.transitions
    mock.engine.settle_tenant("busy")  # an account-wide read finds nothing left to take
    assert mock.engine.transitions == before
