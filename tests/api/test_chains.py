"""Chains between tasks: one task's output is another's input, only within one account, only when ready."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from topview_calls import (
    OTHER_UID,
    anyshoot_image,
    assert_error,
    assert_valid,
    check,
    credential,
    materials,
    ok,
    op,
    png,
    put,
    query,
    submit,
)

from mock_server import TopviewMock
from mock_server.storage.media import sample

LINK = "https://shop.example.com/cup"


# -- Product Avatar v1: replace → image2Video -----------------------------------------------------------


async def replace_v1(client: httpx.AsyncClient, mock: TopviewMock, uid: str | None = None) -> str:
    """Submit a PA v1 replace task as ``uid``; its taskId."""
    extra = {"uid": uid} if uid else {}
    m = await materials(client, mock, **extra)
    body = {"avatarId": m.product_avatar, "productImageFileId": m.image, "imageEditPrompt": "Hold the cup."}
    return await submit(client, "paV1ReplaceSubmit", body, **extra)


@pytest.mark.anyio
async def test_pa_v1_image2video_takes_a_key_of_a_finished_replace(
    client: httpx.AsyncClient, mock: TopviewMock
) -> None:
    """The key of a finished replace task starts an image2Video task that runs to success."""
    replace = await replace_v1(client, mock)
    mock.advance(4)
    result = ok(await query(client, "paV1ReplaceQuery", replace))
    key = result["productReplaceResult"][0]["key"]
    task_id = await submit(client, "paV1Image2VideoSubmit", {"productReplaceResultKey": key, "mode": "pro"})
    mock.advance(4)
    video = ok(await query(client, "paV1Image2VideoQuery", task_id))
    assert video["status"] == "success" and video["videoUrl"]


@pytest.mark.anyio
async def test_pa_v1_image2video_refuses_keys_that_do_not_exist_yet(
    client: httpx.AsyncClient, mock: TopviewMock
) -> None:
    """While the replace task runs, or after it failed, there is no key: any key is 4004."""
    m = await materials(client, mock)
    body = {"avatarId": m.product_avatar, "productImageFileId": m.image, "imageEditPrompt": "Hold the cup."}
    running = await submit(client, "paV1ReplaceSubmit", body)
    failed = await submit(client, "paV1ReplaceSubmit", body, extra={"X-Topview-Mock-Outcome": "fail"})
    mock.advance(2)
    assert ok(await query(client, "paV1ReplaceQuery", running))["productReplaceResult"] == []
    for guess in (running[:29], failed[:29], "21f48762080b42f1b718ad722f92c"):
        envelope = await op(client, "paV1Image2VideoSubmit", body={"productReplaceResultKey": guess, "mode": "lite"})
        assert_error(envelope, "4004", "productReplaceResultKey")
    mock.advance(2)
    assert ok(await query(client, "paV1ReplaceQuery", failed))["productReplaceResult"] == []


@pytest.mark.anyio
async def test_pa_v1_key_of_another_account_is_4004(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Bob cannot use Alice's replace key."""
    replace = await replace_v1(client, mock)
    mock.advance(4)
    key = ok(await query(client, "paV1ReplaceQuery", replace))["productReplaceResult"][0]["key"]
    envelope = await op(
        client, "paV1Image2VideoSubmit", uid=OTHER_UID, body={"productReplaceResultKey": key, "mode": "lite"}
    )
    assert_error(envelope, "4004", "productReplaceResultKey")
    assert (await op(client, "paV1Image2VideoSubmit", body={"productReplaceResultKey": key, "mode": "lite"}))[
        "code"
    ] == "200"


# -- Product Avatar v2: replace → image2Video -----------------------------------------------------------


@pytest.mark.anyio
async def test_pa_v2_image2video_takes_an_image_id_of_the_same_account(
    client: httpx.AsyncClient, mock: TopviewMock
) -> None:
    """A v2 replace imageId feeds v2 image2Video; for another account, or unknown, it is 4004."""
    m = await materials(client, mock)
    replace = await submit(
        client, "paV2ReplaceSubmit", {"productImageWithoutBackgroundFileId": m.image, "avatarId": m.product_avatar}
    )
    mock.advance(4)
    image_id = ok(await query(client, "paV2ReplaceQuery", replace))["replaceProductResult"][0]["imageId"]
    body = {"replaceProductTaskImageId": image_id, "ttsText": "Hot all day.", "voiceId": m.voice}
    other = await op(client, "paV2Image2VideoSubmit", uid=OTHER_UID, body=body)
    assert_error(other, "4004", "replaceProductTaskImageId")
    unknown = await op(client, "paV2Image2VideoSubmit", body={**body, "replaceProductTaskImageId": replace})
    assert_error(unknown, "4004", "replaceProductTaskImageId")
    task_id = await submit(client, "paV2Image2VideoSubmit", body)
    mock.advance(4)
    assert ok(await query(client, "paV2Image2VideoQuery", task_id))["status"] == "success"


# -- m2v: preview → script list/update → export ---------------------------------------------------------


async def preview(client: httpx.AsyncClient, **extra: Any) -> str:
    """Submit an m2v preview task; its taskId."""
    return await submit(client, "m2vSubmit", {"productLink": LINK, "preview": True, **extra})


@pytest.mark.anyio
async def test_m2v_export_only_after_the_preview_succeeded(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Export of an init or running preview task is 4000 naming the taskId; after success it is accepted."""
    task_id = await preview(client)
    for _ in ("init", "running"):
        envelope = await op(client, "m2vExport", body={"taskId": task_id})
        assert_error(envelope, "4000", "taskId")
        mock.advance(2)
    assert (await op(client, "m2vExport", body={"taskId": task_id}))["code"] == "200"


@pytest.mark.anyio
async def test_m2v_export_refuses_failed_direct_and_unknown_tasks(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """A failed preview and a direct (already exported) task cannot be exported (4000); unknown ids are 4004."""
    failed = await submit(
        client, "m2vSubmit", {"productLink": LINK, "preview": True}, extra={"X-Topview-Mock-Outcome": "fail"}
    )
    direct = await submit(client, "m2vSubmit", {"productLink": LINK})
    mock.advance(4)
    assert_error(await op(client, "m2vExport", body={"taskId": failed}), "4000", "taskId")
    assert_error(await op(client, "m2vExport", body={"taskId": direct}), "4000", "taskId")
    assert_error(await op(client, "m2vExport", body={"taskId": "9" * 32}), "4004", "taskId")


@pytest.mark.anyio
async def test_m2v_export_stage_runs_on_the_clock_and_shows_in_export_videos(
    client: httpx.AsyncClient, mock: TopviewMock
) -> None:
    """The export appears in exportVideos (init, running, success with a video) while the task stays success."""
    task_id = await preview(client)
    mock.advance(4)
    before = ok(await query(client, "m2vQuery", task_id))
    credit = ok(await op(client, "userCreditDetail"))["remainCredit"]

    ack = ok(await op(client, "m2vExport", body={"taskId": task_id, "scriptId": 0}))
    assert ack["taskId"] == task_id and ack["status"] == "init" and ack["errorMsg"] is None

    statuses = []
    for step in (0, 1, 3):
        mock.advance(step)
        result = ok(await query(client, "m2vQuery", task_id))
        assert result["status"] == "success"
        assert unsigned(result["previewVideos"]) == unsigned(before["previewVideos"])
        (export,) = result["exportVideos"]
        statuses.append(export["status"])
    assert statuses == ["init", "running", "success"]
    assert export["scriptId"] == 0 and export["videoUrl"] and export["coverUrl"]
    assert export["videoDuration"] == 36_096_000
    assert (await client.get(export["videoUrl"])).status_code == 200
    assert ok(await op(client, "userCreditDetail"))["remainCredit"] == credit - 5  # export costs 5 credits


def unsigned(videos: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Videos with URL query strings (which carry the signing time) dropped."""
    return [{k: v.split("?", 1)[0] if isinstance(v, str) else v for k, v in video.items()} for video in videos]


@pytest.mark.anyio
async def test_m2v_export_can_fail(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """A forced fail of the export stage shows in exportVideos; the preview task itself stays success."""
    task_id = await preview(client)
    mock.advance(4)
    await op(
        client, "m2vExport", body={"taskId": task_id}, extra={"X-Topview-Mock-Outcome": "fail; message=Render error"}
    )
    mock.advance(4)
    result = ok(await query(client, "m2vQuery", task_id))
    assert result["status"] == "success"
    (export,) = result["exportVideos"]
    assert export["status"] == "fail" and export["videoUrl"] is None


@pytest.mark.anyio
async def test_m2v_export_of_an_unknown_script_is_4004(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """scriptId must name one of the task's scripts."""
    task_id = await preview(client)
    mock.advance(4)
    assert_error(await op(client, "m2vExport", body={"taskId": task_id, "scriptId": 7}), "4004", "scriptId")


@pytest.mark.anyio
async def test_m2v_script_update_replaces_the_segments(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Update then list shows the new segments (segments may be added or removed); query shows them too."""
    task_id = await preview(client)
    mock.advance(4)
    scripts = ok(await op(client, "m2vScriptList", params={"taskId": task_id}))
    assert [s["scriptId"] for s in scripts] == [0]
    assert scripts[0]["scriptContents"] and all(seg["segText"] for seg in scripts[0]["scriptContents"])

    segments = [
        {"segId": 0, "segText": "This is segText Test"},
        {"segId": 1, "segText": "Second line."},
        {"segId": 2, "segText": "Buy it today."},
    ]
    ack = ok(await op(client, "m2vScriptUpdate", body={"taskId": task_id, "scriptId": 0, "scriptContents": segments}))
    assert ack == {"taskId": task_id, "status": "success", "errorMsg": None}
    listed = await op(client, "m2vScriptList", params={"taskId": task_id})
    assert ok(listed) == [{"scriptId": 0, "scriptContents": segments}]
    assert ok(await query(client, "m2vQuery", task_id))["scriptContentList"] == [
        {"scriptId": 0, "scriptContents": segments}
    ]

    shorter = [{"segId": 0, "segText": "Just one."}]
    ok(
        await op(client, "m2vScriptUpdate", body={"taskId": task_id, "scriptContents": shorter})
    )  # scriptId defaults to 0
    assert ok(await op(client, "m2vScriptList", params={"taskId": task_id}))[0]["scriptContents"] == shorter


@pytest.mark.anyio
async def test_m2v_scripts_need_a_finished_task_and_a_known_script(
    client: httpx.AsyncClient, mock: TopviewMock
) -> None:
    """Before success the scripts do not exist yet (4000); an unknown scriptId is 4004; repeated segIds 4000."""
    task_id = await preview(client)
    segments = [{"segId": 0, "segText": "Hello."}]
    assert_error(await op(client, "m2vScriptList", params={"taskId": task_id}), "4000", "taskId")
    assert_error(
        await op(client, "m2vScriptUpdate", body={"taskId": task_id, "scriptContents": segments}), "4000", "taskId"
    )
    mock.advance(4)
    body = {"taskId": task_id, "scriptId": 3, "scriptContents": segments}
    assert_error(await op(client, "m2vScriptUpdate", body=body), "4004", "scriptId")
    twice = {"taskId": task_id, "scriptContents": [*segments, {"segId": 0, "segText": "Again."}]}
    assert_error(await op(client, "m2vScriptUpdate", body=twice), "4000", "segId")
    for operation_id, kwargs in (
        ("m2vScriptList", {"params": {"taskId": task_id}}),
        ("m2vScriptUpdate", {"body": {"taskId": task_id, "scriptContents": segments}}),
    ):
        assert_error(await op(client, operation_id, uid=OTHER_UID, **kwargs), "4004", "taskId")


@pytest.mark.anyio
async def test_m2v_export_uses_the_updated_script(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Edit the script, export it: the chain preview → update → export runs to an exported video."""
    task_id = await preview(client)
    mock.advance(4)
    segments = [{"segId": 0, "segText": "Edited."}]
    ok(await op(client, "m2vScriptUpdate", body={"taskId": task_id, "scriptContents": segments}))
    ok(await op(client, "m2vExport", body={"taskId": task_id}))
    mock.advance(4)
    result = ok(await query(client, "m2vQuery", task_id))
    assert result["exportVideos"][0]["status"] == "success"
    assert result["scriptContentList"] == [{"scriptId": 0, "scriptContents": segments}]


# -- outputs feed later inputs ---------------------------------------------------------------------------


@pytest.mark.anyio
async def test_scraper_outputs_feed_m2v(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """The scraped images and videos are files of the account that m2v accepts as fileIds."""
    task_id = await submit(client, "scraperSubmit", {"productLink": LINK})
    mock.advance(4)
    scraped = ok(await query(client, "scraperQuery", task_id))
    file_ids = [f["fileId"] for f in (*scraped["productImages"], *(scraped["productVideos"] or []))]
    assert file_ids
    body = {"fileIds": file_ids, "productName": scraped["productName"], "productDescription": "Scraped."}
    if not scraped["productVideos"]:
        pytest.skip("no video scraped, the >10 images rule would apply")
    assert (await op(client, "m2vSubmit", body=body))["code"] == "200"
    assert_error(await op(client, "m2vSubmit", uid=OTHER_UID, body=body), "4004", "fileIds[0]")


@pytest.mark.anyio
async def test_anyshoot_images_feed_image2video(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """A generated AnyShoot image's fileId is an image input for common image2video."""
    image = await anyshoot_image(client, mock, await materials(client, mock))
    body = {"imageFileId": image, "duration": 5, "mode": "lite", "generatingCount": 1}
    assert (await op(client, "commonImage2VideoSubmit", body=body))["code"] == "200"


# -- uploads: credential → PUT → check → use ---------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("fmt", ["png", "jpg", "jpeg", "webp", "bmp", "mp4", "mov", "avi", "mp3", "wav", "m4a"])
async def test_upload_end_to_end(client: httpx.AsyncClient, mock: TopviewMock, fmt: str) -> None:
    """Credential, then a bare PUT (no Content-Type, no Topview headers), then check answers true."""
    envelope = await op(client, "uploadCredential", params={"format": fmt})
    assert_valid("uploadCredential", envelope)
    issued = ok(envelope)
    assert issued["format"] == fmt and issued["fileName"] == f"{issued['fileId']}.{fmt}"
    assert urlsplit(issued["uploadUrl"]).path.startswith("/_objects/")
    assert issued["expireTime"] == "2026-01-01T01:00:00Z"  # one hour after the (virtual) request
    before = await check(client, issued["fileId"])
    assert_valid("uploadCheck", before)
    assert ok(before) is False
    response = await client.put(issued["uploadUrl"], content=sample(fmt))
    assert response.status_code == 200 and "content-type" not in response.request.headers
    after = await check(client, issued["fileId"])
    assert_valid("uploadCheck", after)
    assert ok(after) is True


@pytest.mark.anyio
async def test_a_file_is_usable_only_once_its_bytes_arrived(client: httpx.AsyncClient) -> None:
    """Before the PUT a fileId is known but refused as input (4000); after it, accepted."""
    issued = await credential(client, "png")
    body = {"imageFileId": issued["fileId"], "duration": 5, "mode": "lite", "generatingCount": 1}
    assert_error(await op(client, "commonImage2VideoSubmit", body=body), "4000", "imageFileId")
    await put(client, issued["uploadUrl"], png())
    assert (await op(client, "commonImage2VideoSubmit", body=body))["code"] == "200"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("fmt", "data"),
    [("png", b"definitely not an image"), ("jpg", png()), ("mp4", png()), ("wav", sample("mp3")), ("png", b"")],
)
async def test_bytes_that_are_not_the_declared_format(client: httpx.AsyncClient, fmt: str, data: bytes) -> None:
    """Check answers false for bytes of another format, and submits using the file are refused (4000)."""
    issued = await credential(client, fmt)
    await put(client, issued["uploadUrl"], data)
    assert ok(await check(client, issued["fileId"])) is False
    file_id = issued["fileId"]
    uses = {
        "png": (
            "commonImage2VideoSubmit",
            {"imageFileId": file_id, "duration": 5, "mode": "lite", "generatingCount": 1},
            "imageFileId",
        ),
        "jpg": (
            "commonImage2VideoSubmit",
            {"imageFileId": file_id, "duration": 5, "mode": "lite", "generatingCount": 1},
            "imageFileId",
        ),
        "mp4": (
            "m2vSubmit",
            {"fileIds": [file_id], "productName": "Cup", "productDescription": "A cup."},
            "fileIds[0]",
        ),
        "wav": (
            "videoAvatarSubmit",
            {"avatarSourceFrom": 1, "aiAvatarId": "3327", "audioSourceFrom": 0, "audioFileId": file_id},
            "audioFileId",
        ),
    }
    operation_id, body, field = uses[fmt]
    assert_error(await op(client, operation_id, body=body), "4000", field)


@pytest.mark.anyio
async def test_upload_url_is_single_use_and_expires(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """A second PUT to the same URL is refused; an unused URL stops working after an hour."""
    first = await credential(client, "png")
    await put(client, first["uploadUrl"], png())
    assert (await client.put(first["uploadUrl"], content=png(8, 8))).status_code == 403
    late = await credential(client, "png")
    mock.advance(3601)
    assert (await client.put(late["uploadUrl"], content=png())).status_code == 403
    assert ok(await check(client, late["fileId"])) is False
