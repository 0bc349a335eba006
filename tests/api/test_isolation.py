"""Accounts (Topview-Uid) are isolated: another account's tasks and files are unknown (4004)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from topview_calls import (
    BASE_URL,
    OTHER_UID,
    UID,
    anyshoot_image,
    check,
    credential,
    finished_prerequisites,
    materials,
    ok,
    op,
    put,
    query,
    submit,
    upload_audio,
    upload_image,
    upload_video,
    wav,
)

from mock_server import MockConfig, TopviewMock, create_app
from mock_server.contract.openapi import Contract

LINK = "https://shop.example.com/cup"


def assert_not_found(envelope: dict[str, Any], field: str) -> None:
    """4004 naming ``field``, result null."""
    assert envelope["code"] == "4004", envelope
    assert field in envelope["message"] and envelope["result"] is None


async def bodies(client: httpx.AsyncClient, mock: TopviewMock) -> dict[str, dict[str, Any]]:
    """A valid body per foundation submit, with Alice's files (PA image2Video from Alice's finished replaces)."""
    m = await materials(client, mock)
    pre = await finished_prerequisites(client, mock, m)
    key, image_id = pre["key"], pre["image_id"]
    return {
        "m2vSubmit": {"productLink": LINK},
        "videoAvatarSubmit": {
            "avatarSourceFrom": 0,
            "videoFileId": m.video,
            "audioSourceFrom": 0,
            "audioFileId": m.audio,
        },
        "paV1ReplaceSubmit": {"avatarId": m.product_avatar, "productImageFileId": m.image, "imageEditPrompt": "x"},
        "paV1Image2VideoSubmit": {"productReplaceResultKey": key, "mode": "lite"},
        "paV2ReplaceSubmit": {"productImageWithoutBackgroundFileId": m.image, "avatarId": m.product_avatar},
        "paV2Image2VideoSubmit": {"replaceProductTaskImageId": image_id, "ttsText": "Hi", "voiceId": m.voice},
        "anyshootSubmit": {
            "productImageFileId": m.image,
            "templateId": m.template,
            "templateMaskFileId": m.mask,
            "mode": "pro",
        },
        "commonImage2VideoSubmit": {"imageFileId": m.image, "duration": 5, "mode": "lite", "generatingCount": 1},
        "scraperSubmit": {"productLink": LINK},
    }


FOUNDATION_KINDS = (
    "m2v",
    "video_avatar",
    "pa_v1_replace",
    "pa_v1_image2video",
    "pa_v2_replace",
    "pa_v2_image2video",
    "anyshoot",
    "common_image2video",
    "scraper",
)


@pytest.mark.anyio
async def test_another_accounts_task_is_4004_on_every_query(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Bob querying Alice's taskId gets 4004 on each group's query, before and after the task finishes."""
    valid = await bodies(client, mock)
    tasks = {}
    for name in FOUNDATION_KINDS:
        kind = mock.table.by_name[name]
        tasks[name] = await submit(client, kind.submit, valid[kind.submit])
    for _ in range(2):
        for name, task_id in tasks.items():
            kind = mock.table.by_name[name]
            assert_not_found(await op(client, kind.query, uid=OTHER_UID, params={"taskId": task_id}), "taskId")
            assert (await query(client, kind.query, task_id))["code"] == "200"
        mock.advance(4)


@pytest.mark.anyio
async def test_another_accounts_m2v_task_cannot_be_scripted_or_exported(
    client: httpx.AsyncClient, mock: TopviewMock
) -> None:
    """Script list, script update and export of Alice's finished preview are 4004 for Bob."""
    task_id = await submit(client, "m2vSubmit", {"productLink": LINK, "preview": True})
    mock.advance(4)
    segments = [{"segId": 0, "segText": "Hi."}]
    assert_not_found(await op(client, "m2vScriptList", uid=OTHER_UID, params={"taskId": task_id}), "taskId")
    body = {"taskId": task_id, "scriptContents": segments}
    assert_not_found(await op(client, "m2vScriptUpdate", uid=OTHER_UID, body=body), "taskId")
    assert_not_found(await op(client, "m2vExport", uid=OTHER_UID, body={"taskId": task_id}), "taskId")
    assert (await op(client, "m2vExport", body={"taskId": task_id}))["code"] == "200"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("operation_id", "field"),
    [
        ("videoAvatarSubmit", "videoFileId"),
        ("videoAvatarSubmit", "audioFileId"),
        ("paV1ReplaceSubmit", "productImageFileId"),
        ("paV2ReplaceSubmit", "productImageWithoutBackgroundFileId"),
        ("anyshootSubmit", "productImageFileId"),
        ("anyshootSubmit", "templateMaskFileId"),
        ("commonImage2VideoSubmit", "imageFileId"),
    ],
)
async def test_submits_referencing_another_accounts_file_are_4004(
    client: httpx.AsyncClient, mock: TopviewMock, operation_id: str, field: str
) -> None:
    """Alice's body works for Alice; the same body sent by Bob names Alice's files and answers 4004."""
    valid = await bodies(client, mock)
    body = valid[operation_id]
    assert (await op(client, operation_id, body=body))["code"] == "200"
    bob = await materials(client, mock, uid=OTHER_UID)
    # Bob's own ids everywhere except the field under test, which keeps Alice's file
    own = {k: getattr(bob, _MATERIAL[k]) if k in _MATERIAL else v for k, v in body.items()}
    assert (await op(client, operation_id, uid=OTHER_UID, body=own))["code"] == "200"
    envelope = await op(client, operation_id, uid=OTHER_UID, body={**own, field: body[field]})
    assert_not_found(envelope, field)


_MATERIAL = {
    "videoFileId": "video",
    "audioFileId": "audio",
    "productImageFileId": "image",
    "productImageWithoutBackgroundFileId": "image",
    "templateMaskFileId": "mask",
    "imageFileId": "image",
}


@pytest.mark.anyio
async def test_m2v_file_ids_of_another_account_are_4004(client: httpx.AsyncClient) -> None:
    """m2v fileIds (and logo, endcard, music) of another account answer 4004 naming the field."""
    images = [await upload_image(client) for _ in range(11)]
    audio = await upload_audio(client)
    body = {"fileIds": images, "productName": "Cup", "productDescription": "A cup."}
    assert (await op(client, "m2vSubmit", body=body))["code"] == "200"
    assert_not_found(await op(client, "m2vSubmit", uid=OTHER_UID, body=body), "fileIds[0]")
    linked = {"productLink": LINK}
    for field, value in (("logoFileId", images[0]), ("endcardFileId", images[1]), ("musicFileId", audio)):
        assert_not_found(await op(client, "m2vSubmit", uid=OTHER_UID, body={**linked, field: value}), field)


@pytest.mark.anyio
async def test_upload_check_of_another_accounts_file_is_4004(client: httpx.AsyncClient) -> None:
    """Bob cannot check Alice's fileId, before or after her bytes arrive."""
    issued = await credential(client, "wav")
    assert_not_found(await check(client, issued["fileId"], uid=OTHER_UID), "fileId")
    await put(client, issued["uploadUrl"], wav(1.0))
    assert ok(await check(client, issued["fileId"])) is True
    assert_not_found(await check(client, issued["fileId"], uid=OTHER_UID), "fileId")


@pytest.mark.anyio
async def test_task_outputs_are_files_of_their_account_only(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """An AnyShoot output fileId is usable by its account and unknown to another."""
    file_id = await anyshoot_image(client, mock, await materials(client, mock))
    body = {"imageFileId": file_id, "duration": 5, "mode": "lite", "generatingCount": 1}
    assert (await op(client, "commonImage2VideoSubmit", body=body))["code"] == "200"
    assert_not_found(await op(client, "commonImage2VideoSubmit", uid=OTHER_UID, body=body), "imageFileId")


@pytest.mark.anyio
async def test_credits_are_per_account(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Alice's spending changes neither Bob's balance nor his credit logs."""
    image = await upload_image(client)
    bob_before = ok(await op(client, "userCreditDetail", uid=OTHER_UID))
    await submit(
        client, "commonImage2VideoSubmit", {"imageFileId": image, "duration": 10, "mode": "best", "generatingCount": 2}
    )
    mock.advance(4)
    alice = ok(await op(client, "userCreditDetail"))
    assert alice["uid"] == UID and alice["remainCredit"] < bob_before["remainCredit"]
    assert ok(await op(client, "userCreditDetail", uid=OTHER_UID))["remainCredit"] == bob_before["remainCredit"]
    assert ok(await op(client, "userCreditLogs", uid=OTHER_UID))["total"] == 0
    assert ok(await op(client, "userCreditLogs"))["total"] == 1


@pytest.mark.anyio
async def test_reset_of_one_account_keeps_the_others(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """reset(uid) forgets that account's tasks and files only."""
    alice_task = await submit(client, "scraperSubmit", {"productLink": LINK})
    bob_task = await submit(client, "scraperSubmit", {"productLink": LINK}, uid=OTHER_UID)
    bob_file = await upload_video(client, uid=OTHER_UID)
    mock.reset(UID)
    assert_not_found(await op(client, "scraperQuery", params={"taskId": alice_task}), "taskId")
    assert (await query(client, "scraperQuery", bob_task, uid=OTHER_UID))["code"] == "200"
    assert ok(await check(client, bob_file, uid=OTHER_UID)) is True


@pytest.mark.anyio
async def test_two_apps_share_nothing(client: httpx.AsyncClient, contract: Contract) -> None:
    """A second fake in the same process knows none of the first one's tasks or files."""
    task_id = await submit(client, "scraperSubmit", {"productLink": LINK})
    file_id = await upload_image(client)
    other: Starlette = create_app(mock=TopviewMock(MockConfig(), contract=contract))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(other), base_url=BASE_URL) as second:
        assert_not_found(await op(second, "scraperQuery", params={"taskId": task_id}), "taskId")
        assert_not_found(await check(second, file_id), "fileId")
