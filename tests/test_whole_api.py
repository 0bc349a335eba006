"""The whole task surface, one kind at a time: submit → query through init, running and success.

Every TaskKind row of the group table has a recipe: how to build a valid request (uploading inputs via
credential → PUT → check, and finishing prerequisite tasks for chains), which result fields the
documented shape fills on success, and what the task costs where the billing rules or the model
catalogue say. Every response is checked against the contract's response schema.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from topview_calls import (
    OTHER_UID,
    UID,
    Materials,
    finished_task,
    materials,
    ok,
    png,
    query,
    upload,
    valid_op,
)

from mock_server import TopviewMock
from mock_server.contract.groups import Table
from mock_server.contract.models import ModelCatalogue
from mock_server.storage.media import probe, sample

FAIL_MESSAGE = "GPU melted"
# The shipped sample video lasts 1.128 s; per-second billing rounds it up.
SAMPLE_VIDEO_SECONDS = math.ceil(probe(sample("mp4")).duration_seconds)  # type: ignore[union-attr]


# Result fields of every generated video and image.
VIDEO_OUTPUTS = ("videos[].filePath", "videos[].coverPath", "videos[].width", "videos[].height", "videos[].duration")
IMAGE_OUTPUTS = ("images[].filePath", "images[].fileId", "images[].width", "images[].height")


@dataclass
class Ctx:
    """One account's materials plus a board to file tasks on."""

    client: httpx.AsyncClient
    mock: TopviewMock
    m: Materials
    board: str
    photo_avatar: str

    async def finished(self, operation_id: str, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """A prerequisite task, finished successfully; (taskId, result)."""
        return await finished_task(self.client, self.mock, operation_id, body)


Body = Callable[[Ctx], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Recipe:
    """How to make one kind of task and what its success looks like."""

    body: Body
    outputs: tuple[str, ...]  # result paths filled on success ("videos[].filePath", "aiAvatar.aiavatarId")
    cost: float | None = None  # the documented / catalogue estimate, where there is one
    check: Callable[[dict[str, Any], Ctx], None] | None = None
    counts: dict[str, int] = field(default_factory=dict)  # expected lengths of output arrays


# -- prerequisites of the chains -----------------------------------------------------------------------


async def _v1_key(c: Ctx) -> str:
    _, result = await c.finished(
        "paV1ReplaceSubmit",
        {"avatarId": c.m.product_avatar, "productImageFileId": c.m.image, "imageEditPrompt": "Hold the cup."},
    )
    return str(result["productReplaceResult"][0]["key"])


async def _bg_removed(c: Ctx) -> str:
    _, result = await c.finished("removeBackgroundSubmit", {"productImageFileId": c.m.image})
    return str(result["bgRemovedImageFileId"])


async def _v2_image_id(c: Ctx) -> str:
    _, result = await c.finished(
        "paV2ReplaceSubmit",
        {"productImageWithoutBackgroundFileId": await _bg_removed(c), "avatarId": c.m.product_avatar},
    )
    return str(result["replaceProductResult"][0]["imageId"])


async def _video_process(c: Ctx) -> str:
    task_id, _ = await c.finished("videoProcessSubmit", {"inputVideoFileId": c.m.video})
    return task_id


async def _video_tracking(c: Ctx) -> str:
    task_id, _ = await c.finished(
        "videoTrackingSubmit",
        {
            "videoProcessTaskId": await _video_process(c),
            "inputInfos": [{"index": "0", "modifyPoints": [[20, 30]], "protectPoints": [[5, 5]]}],
        },
    )
    return task_id


async def _translate(c: Ctx) -> str:
    task_id, _ = await c.finished("imageTranslateSubmit", {"fileId": c.m.image, "languages": ["French", "Spanish"]})
    return task_id


def _const(body: Callable[[Ctx], dict[str, Any]]) -> Body:
    async def build(c: Ctx) -> dict[str, Any]:
        return body(c)

    return build


def _board(**fields: Any) -> Body:
    """A fixed body filed on the account's board."""
    return _const(lambda c: {**fields, "boardId": c.board})


async def _pa_v1_image2video(c: Ctx) -> dict[str, Any]:
    return {"productReplaceResultKey": await _v1_key(c), "mode": "lite", "image2videoPrompt": "She smiles."}


async def _pa_v2_replace(c: Ctx) -> dict[str, Any]:
    return {"productImageWithoutBackgroundFileId": await _bg_removed(c), "avatarId": c.m.product_avatar}


async def _pa_v2_image2video(c: Ctx) -> dict[str, Any]:
    return {
        "replaceProductTaskImageId": await _v2_image_id(c),
        "mode": "avatar2",
        "scriptMode": "text",
        "ttsText": "Hot all day.",
        "voiceId": c.m.voice,
    }


async def _segment_anything(c: Ctx) -> dict[str, Any]:
    return {
        "videoProcessTaskId": await _video_process(c),
        "inputInfo": {"index": "0", "modifyPoints": [[20, 30]], "protectPoints": []},
    }


async def _video_tracking_body(c: Ctx) -> dict[str, Any]:
    return {
        "videoProcessTaskId": await _video_process(c),
        "inputInfos": [{"index": "0", "modifyPoints": [[20, 30]], "protectPoints": [[5, 5]]}],
    }


async def _video_character_swap(c: Ctx) -> dict[str, Any]:
    return {"modelImageFileId": c.m.image2, "videoMaskDrawingTaskId": await _video_tracking(c)}


async def _image_generate(c: Ctx) -> dict[str, Any]:
    return {"taskId": await _translate(c)}


def _sizes(width: int, height: int) -> Callable[[dict[str, Any], Ctx], None]:
    """Every output item has the pixel size the request's aspect ratio and resolution give."""

    def check(result: dict[str, Any], c: Ctx) -> None:
        items = result.get("videos") or result.get("images") or []
        assert items and all((i["width"], i["height"]) == (width, height) for i in items), items

    return check


def _durations(seconds: int) -> Callable[[dict[str, Any], Ctx], None]:
    def check(result: dict[str, Any], c: Ctx) -> None:
        assert all(v["duration"] == seconds for v in result["videos"]), result["videos"]

    return check


def _v1_key_quirk(result: dict[str, Any], c: Ctx) -> None:
    # Documented quirk: the key is the image's 32-hex id cut to 29 characters.
    for item in result["productReplaceResult"]:
        assert len(item["key"]) == 29 and item["key"] in item["url"], item


def _voice_is_requested(result: dict[str, Any], c: Ctx) -> None:
    assert result["voice"]["voiceId"] == c.m.voice


def _translations(result: dict[str, Any], c: Ctx) -> None:
    assert [block["type"] for block in result["content"]] == ["French", "Spanish"]


def _single_generate(result: dict[str, Any], c: Ctx) -> None:
    assert result["mode"] == "SINGLE"
    assert [d["language"] for d in result["details"]] == ["French", "Spanish"]
    assert {d["fileId"] for d in result["details"]} == {c.m.image}


def _batch_generate(result: dict[str, Any], c: Ctx) -> None:
    assert result["mode"] == "BATCH"
    assert {d["fileId"] for d in result["details"]} == {c.m.image, c.m.image2}


RECIPES: dict[str, Recipe] = {
    # "5 points after export": a direct (non-preview) m2v task exports at once.
    "m2v": Recipe(
        _const(
            lambda c: {
                "productLink": "https://shop.example.com/cup",
                "preview": False,
                "aiavatarId": c.m.ai_avatar,
                "voiceId": c.m.voice,
                "captionId": c.m.caption,
            }
        ),
        (
            "exportVideos[].videoUrl",
            "exportVideos[].coverUrl",
            "exportVideos[].videoDuration",
            "scriptContentList[].scriptContents",
            "productName",
        ),
        cost=5.0,
    ),
    "video_avatar": Recipe(
        _const(
            lambda c: {
                "avatarSourceFrom": 1,
                "aiAvatarId": c.m.ai_avatar,
                "audioSourceFrom": 0,
                "audioFileId": c.m.audio,
            }
        ),
        ("outputVideoUrl",),
    ),
    # "Product Avatar: replacement 1 point per image generated".
    "pa_v1_replace": Recipe(
        _const(
            lambda c: {
                "avatarId": c.m.product_avatar,
                "productImageFileId": c.m.image,
                "imageEditPrompt": "Hold the cup.",
            }
        ),
        ("productReplaceResult[].key", "productReplaceResult[].url"),
        cost=1.0,
        check=_v1_key_quirk,
    ),
    "pa_v1_image2video": Recipe(_pa_v1_image2video, ("videoUrl", "coverUrl", "videoDuration", "costCredit")),
    "pa_v2_replace": Recipe(_pa_v2_replace, ("replaceProductResult[].imageId", "replaceProductResult[].url"), cost=1.0),
    "pa_v2_image2video": Recipe(_pa_v2_image2video, ("finishedVideoUrl",)),
    # SKILL: "Product Avatar v3 replace: fixed 0.5 credits".
    "pa_v3_replace": Recipe(
        _const(lambda c: {"productImageFileId": c.m.image, "avatarId": c.m.product_avatar, "boardId": c.board}),
        ("replaceProductResult[].imageId", "replaceProductResult[].url", "costCredit"),
        cost=0.5,
    ),
    "anyshoot": Recipe(
        _const(
            lambda c: {
                "productImageFileId": c.m.image,
                "templateMaskFileId": c.m.mask,
                "templateImageFileId": c.m.image2,
                "mode": "pro",
                "generatingCount": 2,
            }
        ),
        IMAGE_OUTPUTS,
        counts={"images": 2},
    ),
    "anyshoot_v3": Recipe(
        _const(lambda c: {"productImageFileId": c.m.image, "templateImageFileId": c.m.image2, "generatingCount": 2}),
        IMAGE_OUTPUTS,
        counts={"images": 2},
    ),
    # v1 mode pro is the catalogue's "Topview Pro": 0.2 credits/s × 5 s.
    "common_image2video": Recipe(
        _const(
            lambda c: {
                "imageFileId": c.m.image,
                "prompt": "Slow orbit.",
                "duration": 5,
                "mode": "pro",
                "generatingCount": 1,
            }
        ),
        ("videos[].originVideo", "costCredit"),
        cost=1.0,
    ),
    # Seedance 1.5 Pro, 720p, sound off: 0.12 credits/s × 5 s.
    "image2video_v2": Recipe(
        _const(
            lambda c: {
                "model": "Seedance 1.5 Pro",
                "firstFrameFileId": c.m.image,
                "resolution": 720,
                "duration": 5,
                "boardId": c.board,
            }
        ),
        (*VIDEO_OUTPUTS, "videos[].fileId", "costCredit"),
        cost=0.6,
        check=_durations(5),
    ),
    # Kling V3, 1080p, sound on: 1.0 credits/s × 5 s × 2 videos.
    "text2video": Recipe(
        _board(
            model="kling-v3",
            prompt="A dog on a beach.",
            aspectRatio="16:9",
            resolution=1080,
            duration=5,
            sound="on",
            generatingCount=2,
        ),
        (*VIDEO_OUTPUTS, "videos[].fileId", "costCredit"),
        cost=10.0,
        check=_sizes(1920, 1080),
        counts={"videos": 2},
    ),
    # Standard, 720p: 1.0 credits/s × 5 s.
    "omni_reference": Recipe(
        _const(
            lambda c: {
                "model": "Standard",
                "prompt": "<<<Image1>>> walks at night.",
                "inputImages": [{"name": "Image1", "fileId": c.m.image}],
                "aspectRatio": "9:16",
                "resolution": 720,
                "duration": 5,
                "boardId": c.board,
            }
        ),
        (*VIDEO_OUTPUTS, "costCredit"),
        cost=5.0,
        check=_sizes(720, 1280),
    ),
    # Nano Banana 2 at 2K: 0.6 credits × 2 images.
    "text2image": Recipe(
        _board(model="Nano Banana 2", prompt="A cup on marble.", aspectRatio="1:1", resolution="2K", generateCount=2),
        (*IMAGE_OUTPUTS, "costCredit"),
        cost=1.2,
        counts={"images": 2},
    ),
    # Seedream 4.0 at 1K: 0.15 credits × 1 image.
    "image_edit": Recipe(
        _const(
            lambda c: {
                "model": "seedream-4.0",
                "prompt": "Beach background.",
                "inputImageFileIds": [c.m.image, c.m.image2],
                "aspectRatio": "auto",
                "resolution": "1K",
                "boardId": c.board,
            }
        ),
        (*IMAGE_OUTPUTS, "costCredit"),
        cost=0.15,
        counts={"images": 1},
    ),
    "storyboard": Recipe(
        _board(story="A girl finds a puppy.", model="Nano Banana 2", resolution="2K"),
        ("images[].filePath", "images[].width", "images[].height", "costCredit"),
    ),
    "ai_music": Recipe(
        _board(model="Topview Music", instrumental=True, styles="lo-fi piano"),
        ("outputs[].url", "outputs[].fileId", "costCredit"),
    ),
    "video2aiavatar": Recipe(
        _const(lambda c: {"videoFileId": c.m.video}),
        ("aiAvatar.aiavatarId", "aiAvatar.coverUrl", "aiAvatar.previewVideoUrl"),
    ),
    "remove_background": Recipe(
        _const(lambda c: {"productImageFileId": c.m.image}),
        (
            "bgRemovedImageFileId",
            "bgRemovedImagePath",
            "bgRemovedImageWidth",
            "bgRemovedImageHeight",
            "maskImagePath",
            "costCredit",
        ),
    ),
    "video_object_remove": Recipe(
        _const(
            lambda c: {
                "mode": "clear-inside",
                "videoFileId": c.m.video,
                "selectionBox": {"x": 10, "y": 10, "w": 20, "h": 20},
                "boardId": c.board,
            }
        ),
        (
            "outputVideoUrl",
            "outputCoverUrl",
            "outputVideoFileId",
            "outputWidth",
            "outputHeight",
            "outputDuration",
            "costCredit",
        ),
    ),
    # avatar4: 0.1 credits per output second; 35 characters of text ≈ 3 s of speech.
    "photo_avatar": Recipe(
        _const(
            lambda c: {
                "avatarId": c.photo_avatar,
                "mode": "avatar4",
                "scriptMode": "text",
                "ttsText": "Meet the cup that keeps coffee hot.",
                "voiceId": c.m.voice,
                "boardId": c.board,
            }
        ),
        ("finishedVideoUrl", "finishedVideoCoverUrl", "costCredit"),
        cost=0.3,
    ),
    # "Voice Clone: 1 point".
    "voice_clone": Recipe(
        _const(lambda c: {"originVoiceFileId": c.m.audio, "name": "Narrator Anna"}),
        ("voice.voiceId", "voice.demoAudioUrl", "costCredit"),
        cost=1.0,
    ),
    # "Text2Voice: 0.1 point".
    "text2voice": Recipe(
        _const(lambda c: {"voiceText": "Welcome to our store.", "voiceId": c.m.voice, "boardId": c.board}),
        ("voice.demoAudioUrl", "costCredit"),
        cost=0.1,
        check=_voice_is_requested,
    ),
    "instant_voice_clone": Recipe(
        _const(
            lambda c: {
                "model": "Index TTS",
                "text": "See you tomorrow.",
                "referenceAudioFileId": c.m.audio,
                "boardId": c.board,
            }
        ),
        ("outputAudio", "costCredit"),
    ),
    "character_swap": Recipe(
        _const(lambda c: {"inputModelFileId": c.m.image, "inputTemplateFileId": c.m.image2}),
        ("outputFileId", "outputImageUrl", "costCredit"),
    ),
    "segment_anything": Recipe(_segment_anything, ("mask", "protectMask")),
    # "Image Translate: images × target languages × 2" — half when translating, half when generating.
    "image_translate": Recipe(
        _const(lambda c: {"fileId": c.m.image, "languages": ["French", "Spanish"]}),
        ("content[].translationList",),
        cost=2.0,
        check=_translations,
    ),
    "image_generate": Recipe(
        _image_generate,
        ("details[].finishedImageUrl", "details[].language", "costCredit"),
        cost=2.0,
        check=_single_generate,
    ),
    "image_translate_batch": Recipe(
        _const(lambda c: {"fileIds": [c.m.image, c.m.image2], "languages": ["German"]}),
        ("details[].finishedImageUrl", "costCredit"),
        cost=4.0,
        check=_batch_generate,
    ),
    "video_process": Recipe(_const(lambda c: {"inputVideoFileId": c.m.video}), ("resizedVideoUrl",)),
    "video_tracking": Recipe(_video_tracking_body, ("maskVideoPath", "trackingVideoPath")),
    # "Character Swap (video): 0.3/s, max 60 s".
    "video_character_swap": Recipe(
        _video_character_swap, ("outputVideoUrl", "costCredit"), cost=round(0.3 * SAMPLE_VIDEO_SECONDS, 3)
    ),
    "scraper": Recipe(
        _const(lambda c: {"productLink": "https://shop.example.com/cup"}), ("productName", "productImages[].fileUrl")
    ),
}

KINDS = Table(ModelCatalogue()).kinds
BOARD_KINDS = {
    "image2video_v2",
    "text2video",
    "omni_reference",
    "text2image",
    "image_edit",
    "storyboard",
    "ai_music",
    "video_object_remove",
    "photo_avatar",
    "text2voice",
    "instant_voice_clone",
    "pa_v3_replace",
}


# -- helpers -------------------------------------------------------------------------------------------


async def context(client: httpx.AsyncClient, mock: TopviewMock) -> Ctx:
    """Materials of the account plus a board named "Lifecycle"."""
    m = await materials(client, mock)
    board = ok(await valid_op(client, "boardCreate", body={"name": "Lifecycle"}))["boardId"]
    return Ctx(client, mock, m, board, mock.catalogues.items["photoAvatars"][0]["avatarId"])


def values(result: Any, path: str) -> list[Any]:
    """The values at a result path: "a.b" steps into objects, "a[]" into every item of a list."""
    found = [result]
    for part in path.split("."):
        step = []
        for node in found:
            if part.endswith("[]"):
                items = (node or {}).get(part[:-2]) or []
                assert items, f"{path}: {part[:-2]} is empty"
                step.extend(items)
            else:
                step.append((node or {}).get(part))
        found = step
    return found


def is_empty(value: Any) -> bool:
    """Absent, null, "" or []."""
    return value is None or value == "" or value == []


def status_of(result: dict[str, Any]) -> str:
    """The task status (PA v1 replace spells it taskStatus)."""
    return str(result.get("status", result.get("taskStatus")))


async def remain(client: httpx.AsyncClient) -> float:
    """The account's remaining credits."""
    return float(ok(await valid_op(client, "userCreditDetail"))["remainCredit"])


async def log_entries(client: httpx.AsyncClient, task_id: str) -> list[float]:
    """The credit-log amounts of one task (deduction positive, refund negative)."""
    page = ok(await valid_op(client, "userCreditLogs", params={"pageSize": 100}))
    return sorted(entry["costCredit"] for entry in page["data"] if entry["taskId"] == task_id)


def recipe_for(kind: str) -> Recipe:
    """The recipe of a kind, failing the test when the table has a kind without one."""
    if kind not in RECIPES:
        pytest.fail(f"task kind {kind!r} has no recipe in tests/test_whole_api.py")
    return RECIPES[kind]


# -- tests ---------------------------------------------------------------------------------------------


def test_every_task_kind_has_a_recipe(mock: TopviewMock) -> None:
    """The recipes cover the live group table exactly (a new row needs a recipe)."""
    assert {k.name for k in mock.table.kinds} == set(RECIPES)
    boarded = {
        k.name for k in mock.table.kinds if "boardId" in (mock.contract[k.submit].body_schema or {})["properties"]
    }
    assert boarded == BOARD_KINDS


@pytest.mark.anyio
@pytest.mark.parametrize("kind_name", [k.name for k in KINDS])
async def test_submit_query_lifecycle(client: httpx.AsyncClient, mock: TopviewMock, kind_name: str) -> None:
    """init → running → success on the virtual clock, with the documented outputs, cost and board fields."""
    kind = next(k for k in mock.table.kinds if k.name == kind_name)
    recipe = recipe_for(kind_name)
    c = await context(client, mock)
    body = await recipe.body(c)
    before = await remain(client)

    ack = ok(await valid_op(client, kind.submit, body=body))
    assert ack["status"] == "success" and ack["errorMsg"] is None and len(ack["taskId"]) == 32, ack
    task_id = ack["taskId"]
    if kind_name in BOARD_KINDS:
        assert ack["boardId"] == c.board and len(ack["boardTaskIds"]) >= 1, ack

    for status, step in (("init", 0.5), ("running", 1.0), ("running", 2.0)):
        mock.advance(step)
        result = ok(await query(client, kind.query, task_id))
        assert result["taskId"] == task_id and status_of(result) == status, (status, result)
        for path in recipe.outputs:
            assert is_empty(result.get(path.split(".")[0].removesuffix("[]"))), (status, path, result)
    mock.advance(1.0)
    result = ok(await query(client, kind.query, task_id))
    assert status_of(result) == "success" and result["errorMsg"] is None, result

    for path in recipe.outputs:
        found = values(result, path)
        assert found and not any(is_empty(v) for v in found), (path, result)
    for name, items in result.items():
        if isinstance(items, list) and items and isinstance(items[0], dict) and "status" in items[0]:
            assert {item["status"] for item in items} == {"success"}, (name, items)
    for name, count in recipe.counts.items():
        assert len(result[name]) == count, (name, result[name])
    if recipe.check is not None:
        recipe.check(result, c)

    spent = round(before - await remain(client), 3)
    if recipe.cost is not None:
        assert spent == pytest.approx(recipe.cost), (spent, recipe.cost)
    if "costCredit" in result:
        assert float(result["costCredit"]) == pytest.approx(spent), (result["costCredit"], spent)
    assert await log_entries(client, task_id) == ([spent] if spent > 0 else [])

    if kind_name in BOARD_KINDS:
        board_task_ids = set(ack["boardTaskIds"])
        if "boardId" in result:
            assert result["boardId"] == c.board
        if "boardTaskId" in result:
            assert result["boardTaskId"] in board_task_ids
        for items in (result.get("videos"), result.get("images")):
            for item in items or []:
                assert item["boardTaskId"] in board_task_ids, item
        listed = ok(await valid_op(client, "boardTaskList", params={"boardId": c.board, "pageSize": 100}))["list"]
        entry = next(t for t in listed if t["taskId"] == task_id)
        assert entry["boardTaskId"] in board_task_ids and entry["status"] == "success"


@pytest.mark.anyio
@pytest.mark.parametrize("kind_name", [k.name for k in KINDS])
async def test_forced_fail_costs_nothing(client: httpx.AsyncClient, mock: TopviewMock, kind_name: str) -> None:
    """X-Topview-Mock-Outcome: fail — the query shows fail with the message; the credits come back."""
    kind = next(k for k in mock.table.kinds if k.name == kind_name)
    c = await context(client, mock)
    body = await recipe_for(kind_name).body(c)
    before = await remain(client)

    ack = ok(
        await valid_op(
            client, kind.submit, body=body, extra={"X-Topview-Mock-Outcome": f"fail; message={FAIL_MESSAGE}"}
        )
    )
    task_id = ack["taskId"]
    held = round(before - await remain(client), 3)  # reserved while the task runs
    if recipe_for(kind_name).cost is not None:
        assert held == pytest.approx(recipe_for(kind_name).cost)
    mock.advance(1.5)
    assert status_of(ok(await query(client, kind.query, task_id))) == "running"
    mock.advance(5)
    result = ok(await query(client, kind.query, task_id))
    assert status_of(result) == "fail" and result["errorMsg"] == FAIL_MESSAGE, result
    assert await remain(client) == pytest.approx(before)
    assert await log_entries(client, task_id) == ([-held, held] if held > 0 else [])


@pytest.mark.anyio
async def test_pa_v3_image_id_feeds_pa_v2_image2video(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """The chain PA v3 replace → imageId → PA v2 image2Video (v3 imageIds are replaceProductTaskImageIds)."""
    c = await context(client, mock)
    _, replaced = await c.finished(
        "paV3ReplaceSubmit", {"productImageFileId": c.m.image, "avatarId": c.m.product_avatar}
    )
    image = replaced["replaceProductResult"][0]
    mode = "avatar4" if image["faceExistence"] else "avatar2"  # a faceless image only takes avatar2
    _, video = await c.finished(
        "paV2Image2VideoSubmit",
        {"replaceProductTaskImageId": image["imageId"], "mode": mode, "scriptMode": "audio", "audioFileId": c.m.audio},
    )
    assert video["finishedVideoUrl"]


@pytest.mark.anyio
async def test_chains_refuse_foreign_or_unknown_prerequisites(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """A chain step naming another account's task (or none) answers 4004."""
    c = await context(client, mock)
    process, _ = await c.finished("videoProcessSubmit", {"inputVideoFileId": c.m.video})
    other = await materials(client, mock, uid="uid-mallory")
    envelope = await valid_op(
        client,
        "videoTrackingSubmit",
        uid="uid-mallory",
        body={"videoProcessTaskId": process, "inputInfos": [{"index": "0", "modifyPoints": [[1, 1]]}]},
    )
    assert envelope["code"] == "4004", envelope
    envelope = await valid_op(
        client,
        "videoCharacterSwapSubmit",
        uid="uid-mallory",
        body={"modelImageFileId": other.image, "videoMaskDrawingTaskId": "0" * 32},
    )
    assert envelope["code"] == "4004", envelope
    assert UID != "uid-mallory"


# -- account: credit logs, m2v housekeeping, user space ----------------------------------------------------


async def all_logs(client: httpx.AsyncClient, uid: str = UID, **params: Any) -> dict[str, Any]:
    """One page of the account's credit logs."""
    page: dict[str, Any] = ok(await valid_op(client, "userCreditLogs", uid=uid, params={"pageSize": 100, **params}))
    return page


def log_time(date: str) -> str:
    """A log's ISO date in the query's "yyyy-MM-dd HH:mm:ss" form."""
    return date.replace("T", " ").removesuffix("Z")


@pytest.mark.anyio
async def test_credit_logs_show_every_spend_and_refund(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Deductions are positive entries, refunds of failed tasks negative ones; filters and paging apply."""
    m = await materials(client, mock)
    spoken, _ = await finished_task(client, mock, "text2VoiceSubmit", {"voiceText": "Hello.", "voiceId": m.voice})
    mock.advance(100)
    cloned, _ = await finished_task(client, mock, "voiceCloneSubmit", {"originVoiceFileId": m.audio})
    mock.advance(100)
    failed = ok(
        await valid_op(
            client,
            "commonImage2VideoSubmit",
            extra={"X-Topview-Mock-Outcome": "fail"},
            body={"imageFileId": m.image, "duration": 5, "mode": "lite", "generatingCount": 1},
        )
    )["taskId"]
    mock.advance(10)

    page = await all_logs(client)
    entries = [(e["taskId"], e["costCredit"], e["taskType"]) for e in page["data"]]
    # newest first: the refund, the deduction of the failed task, then the two spends
    assert entries == [
        (failed, -0.5, "common_task_image2video"),
        (failed, 0.5, "common_task_image2video"),
        (cloned, 1.0, "voice_clone"),
        (spoken, 0.1, "text2voice"),
    ]
    assert page["total"] == 4 and {e["uid"] for e in page["data"]} == {UID}
    assert {e["apiKey"] for e in page["data"]} == {"test-key"}

    only_clones = await all_logs(client, taskType="voice_clone")
    assert [e["taskId"] for e in only_clones["data"]] == [cloned] and only_clones["total"] == 1
    assert (await all_logs(client, taskType="m2v"))["total"] == 0

    dates = {e["taskId"]: log_time(e["date"]) for e in reversed(page["data"])}
    since_clone = await all_logs(client, startTime=dates[cloned])
    assert {e["taskId"] for e in since_clone["data"]} == {cloned, failed}
    until_clone = await all_logs(client, endTime=dates[cloned])
    assert {e["taskId"] for e in until_clone["data"]} == {spoken, cloned}
    window = await all_logs(client, startTime=dates[cloned], endTime=dates[cloned])
    assert [e["taskId"] for e in window["data"]] == [cloned]

    paged = [await all_logs(client, pageSize=3, pageNo=n) for n in (1, 2)]
    assert [len(p["data"]) for p in paged] == [3, 1] and {p["total"] for p in paged} == {4}
    assert [e for p in paged for e in p["data"]] == page["data"]
    assert (await all_logs(client, uid=OTHER_UID))["total"] == 0
    bad = await valid_op(client, "userCreditLogs", params={"startTime": "yesterday"})
    assert bad["code"] == "4000"


@pytest.mark.anyio
async def test_m2v_task_list_and_delete(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """The account's m2v tasks, newest first and paged; deleting frees their space and forgets them."""
    first, _ = await finished_task(
        client,
        mock,
        "m2vSubmit",
        {"productLink": "https://shop.example.com/a", "productName": "Cup A", "preview": True},
    )
    second, _ = await finished_task(
        client,
        mock,
        "m2vSubmit",
        {"productLink": "https://shop.example.com/b", "productName": "Cup B", "preview": True},
    )
    listed = ok(await valid_op(client, "m2vTaskList"))
    assert [(t["taskId"], t["productName"], t["status"]) for t in listed["data"]] == [
        (second, "Cup B", "success"),
        (first, "Cup A", "success"),
    ]
    assert listed["total"] == 2
    paged = ok(await valid_op(client, "m2vTaskList", params={"pageNo": 2, "pageSize": 1}))
    assert [t["taskId"] for t in paged["data"]] == [first] and paged["total"] == 2
    assert ok(await valid_op(client, "m2vTaskList", uid=OTHER_UID))["total"] == 0

    space_before = ok(await valid_op(client, "userSpace"))["usedDiskSpace"]["size"]
    foreign = await valid_op(client, "m2vTaskDelete", uid=OTHER_UID, body={"taskIds": [first]})
    assert foreign["code"] == "4004"
    deleted = ok(await valid_op(client, "m2vTaskDelete", body={"taskIds": [first]}))
    assert deleted["taskId"] == first and deleted["status"] == "success" and deleted["data"]["size"] > 0
    assert [t["taskId"] for t in ok(await valid_op(client, "m2vTaskList"))["data"]] == [second]
    assert (await valid_op(client, "m2vQuery", params={"taskId": first}))["code"] == "4004"
    space_after = ok(await valid_op(client, "userSpace"))["usedDiskSpace"]["size"]
    assert space_before - space_after == deleted["data"]["size"]


@pytest.mark.anyio
async def test_user_space_grows_with_uploads(client: httpx.AsyncClient) -> None:
    """usedDiskSpace counts the bytes of the account's uploads; other accounts are not affected."""
    before = ok(await valid_op(client, "userSpace"))
    assert before["uid"] == UID and before["maxDiskSpace"]["size"] > 0
    data = png(300, 200)
    await upload(client, "png", data)
    after = ok(await valid_op(client, "userSpace"))
    assert after["usedDiskSpace"]["size"] - before["usedDiskSpace"]["size"] == len(data)
    assert ok(await valid_op(client, "userSpace", uid=OTHER_UID))["usedDiskSpace"]["size"] == 0
    issued = ok(await valid_op(client, "uploadCredential", params={"format": "png"}))  # no bytes yet: no space
    assert issued["fileId"]
    assert ok(await valid_op(client, "userSpace"))["usedDiskSpace"] == after["usedDiskSpace"]
