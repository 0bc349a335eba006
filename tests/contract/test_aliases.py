"""Both readings where sources disagree: the fields and names real clients read, beside the documented ones.

Each test reads the result the way the client that reads the other name does (contracts/README.md,
"Aliases", gives the evidence for each).
"""

from __future__ import annotations

import httpx
import pytest
from topview_calls import finished_task, materials, ok, upload_image, valid_op

from mock_server import TopviewMock

pytestmark = pytest.mark.anyio


async def test_boards_list_answers_data_as_well_as_list(client: httpx.AsyncClient) -> None:
    """The official skill's board.py reads ``result["data"]``; the docs say ``list``: both hold the boards."""
    await valid_op(client, "boardCreate", body={"name": "Spring campaign"})
    result = ok(await valid_op(client, "boardList"))
    assert result["data"] == result["list"] and len(result["data"]) == 2
    assert {board["name"] for board in result["data"]} >= {"Spring campaign"}


async def test_credit_detail_carries_the_field_the_official_client_prints(client: httpx.AsyncClient) -> None:
    """The official skill's user.py prints ``result.get("credit")``: it is the balance (remainCredit)."""
    result = ok(await valid_op(client, "userCreditDetail"))
    assert result["credit"] == result["remainCredit"] == 1000


async def test_video2aiavatar_answers_the_avatar_id_at_the_top_level(
    client: httpx.AsyncClient, mock: TopviewMock
) -> None:
    """A third-party client reads ``result["aiAvatarId"]``; the docs nest it as ``aiAvatar.aiavatarId``."""
    m = await materials(client, mock)
    _, result = await finished_task(client, mock, "video2AiAvatarSubmit", {"videoFileId": m.video})
    assert result["aiAvatarId"] == result["aiAvatar"]["aiavatarId"] and len(result["aiAvatarId"]) == 32


async def test_pa_v3_answers_one_result_url_where_the_official_client_reads_it(
    client: httpx.AsyncClient, mock: TopviewMock
) -> None:
    """product_avatar.py prints ``finishedVideoUrl or resultImageUrl``: the first replaced image's url."""
    m = await materials(client, mock)
    body = {"productImageFileId": m.image, "avatarId": m.product_avatar}
    _, result = await finished_task(client, mock, "paV3ReplaceSubmit", body)
    url = result.get("finishedVideoUrl") or result.get("resultImageUrl")
    assert url == result["resultImageUrl"] == result["replaceProductResult"][0]["url"]
    assert (await client.get(url)).status_code == 200


async def test_voice_items_carry_language(client: httpx.AsyncClient) -> None:
    """Clients read ``language`` of each voice; it is the voice's bestSupportLanguage."""
    voices = ok(await valid_op(client, "voiceQuery", params={"pageSize": 100}))["data"]
    assert voices and all(v["language"] == v["bestSupportLanguage"] for v in voices)


async def test_text2image_images_carry_their_cost(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Clients read ``images[].costCredit``: each image's share of the task's cost."""
    body = {"model": "Nano Banana 2", "prompt": "A cup on marble.", "aspectRatio": "1:1", "resolution": "2K"}
    _, result = await finished_task(client, mock, "text2ImageSubmit", {**body, "generateCount": 2})
    assert [image["costCredit"] for image in result["images"]] == [0.6, 0.6]
    assert sum(image["costCredit"] for image in result["images"]) == pytest.approx(result["costCredit"])


@pytest.mark.parametrize("model", ["Standard(SD 2.0)", "Fast(SD 2.0 Fast)", "standard(sd 2.0)"])
async def test_image2video_v2_takes_the_mcp_table_model_names(
    client: httpx.AsyncClient, mock: TopviewMock, model: str
) -> None:
    """The official MCP model table names Standard and Fast "Standard(SD 2.0)" and "Fast(SD 2.0 Fast)"."""
    first = await upload_image(client)
    body = {"model": model, "firstFrameFileId": first, "prompt": "The cup turns.", "resolution": 720, "duration": 5}
    _, result = await finished_task(client, mock, "image2VideoV2Submit", body)
    assert result["videos"][0]["duration"] == 5
