"""Named checks that need state: a faceless replaced image only takes avatar2; mask points not both empty."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from topview_calls import finished_task, materials, ok, valid_op

from mock_server import TopviewMock


async def replaced_images(
    client: httpx.AsyncClient, mock: TopviewMock, image: str, avatar: str
) -> list[dict[str, Any]]:
    """The images of finished PA v2 replace tasks until one with and one without a face show up (seeded)."""
    _, removed = await finished_task(client, mock, "removeBackgroundSubmit", {"productImageFileId": image})
    body = {"productImageWithoutBackgroundFileId": removed["bgRemovedImageFileId"], "avatarId": avatar}
    images: list[dict[str, Any]] = []
    while {i["faceExistence"] for i in images} != {False, True}:
        assert len(images) < 40, "the fake never made a faceless image"
        _, result = await finished_task(client, mock, "paV2ReplaceSubmit", body)
        images += result["replaceProductResult"]
    return images


@pytest.mark.anyio
async def test_a_faceless_image_only_takes_avatar2(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    m = await materials(client, mock)
    images = await replaced_images(client, mock, m.image, m.product_avatar)
    faceless = next(i["imageId"] for i in images if i["faceExistence"] is False)
    with_face = next(i["imageId"] for i in images if i["faceExistence"] is True)
    speech = {"scriptMode": "text", "ttsText": "Hello there.", "voiceId": m.voice}

    refused = await valid_op(
        client, "paV2Image2VideoSubmit", body={"replaceProductTaskImageId": faceless, "mode": "avatar4", **speech}
    )
    assert refused["code"] == "4000"
    assert refused["message"].startswith("mode must be avatar2") and faceless in refused["message"]
    for image_id, mode in ((faceless, "avatar2"), (with_face, "avatar4")):
        accepted = await valid_op(
            client, "paV2Image2VideoSubmit", body={"replaceProductTaskImageId": image_id, "mode": mode, **speech}
        )
        assert accepted["code"] == "200", accepted


@pytest.mark.anyio
async def test_mask_points_cannot_both_be_empty(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    m = await materials(client, mock)
    process, _ = await finished_task(client, mock, "videoProcessSubmit", {"inputVideoFileId": m.video})
    empty = {"index": "0", "modifyPoints": [], "protectPoints": []}
    marked = {"index": "1", "modifyPoints": [[10, 20]], "protectPoints": []}

    frame = await valid_op(client, "segmentAnythingSubmit", body={"videoProcessTaskId": process, "inputInfo": empty})
    assert frame["code"] == "4000"
    assert frame["message"] == "inputInfo.modifyPoints and protectPoints cannot both be empty"
    frames = await valid_op(
        client, "videoTrackingSubmit", body={"videoProcessTaskId": process, "inputInfos": [marked, empty]}
    )
    assert frames["code"] == "4000"
    assert frames["message"].startswith("inputInfos[1].modifyPoints")

    assert ok(
        await valid_op(client, "segmentAnythingSubmit", body={"videoProcessTaskId": process, "inputInfo": marked})
    )
    protected_only = {"index": "2", "modifyPoints": [], "protectPoints": [[1, 1]]}
    assert ok(
        await valid_op(
            client, "videoTrackingSubmit", body={"videoProcessTaskId": process, "inputInfos": [marked, protected_only]}
        )
    )
