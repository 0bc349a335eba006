"""What a task produces when it succeeds: its query result, filled in once and then fixed.

The generic :class:`~mock_server.contract.results.Filler` builds every kind's result from the contract; the
patches below are the few places where Topview's results carry state or a documented quirk.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..engine.state import FileRecord, Tenant
from ..engine.tasks import Task
from ..storage.links import Media
from ..storage.media import sample
from .aliases import fill_aliases
from .result_media import fit_lengths
from .results import Filler, skeleton

if TYPE_CHECKING:
    from faker import Faker  # imported by whoever makes one: it takes a while

Patch = Callable[[Task, Tenant, dict[str, Any], Filler], None]


def generate(
    task: Task,
    tenant: Tenant,
    schema: Mapping[str, Any],
    *,
    seed: int,
    faker: Faker,
    voices: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Fill the task's query result ``schema`` and apply its kind's patch.

    A pure function of the seed, the task and what it was given (its uploads, its source task), so it
    may run whenever the result is first needed: outputs join the account then.
    """

    def register(kind_name: str, fmt: str) -> str:
        file_id = filler.new_id()
        tenant.files[file_id] = FileRecord(
            file_id,
            tenant.uid,
            fmt,
            f"results/{task.task_id}/{file_id}.{fmt}",
            task.finished_at or task.created_at,
            uploaded=True,
            kind=kind_name,
            width=filler.width if kind_name != "audio" else None,
            height=filler.height if kind_name != "audio" else None,
        )
        return file_id

    filler = Filler(task, register, seed, faker, voices)
    output: dict[str, Any] = filler.fill(schema)
    patch = PATCHES.get(task.kind)
    if patch is not None:
        patch(task, tenant, output, filler)
    output = fit_lengths(output)  # videos and audio last what their result reports
    fill_aliases(output, task.cost)
    return output


def query_result(task: Task, tenant: Tenant, schema: Mapping[str, Any]) -> dict[str, Any]:
    """What the query operation of ``task`` (whose result schema is ``schema``) answers right now."""
    result = dict(task.output) if task.status == "success" and task.output is not None else skeleton(schema, task)
    if task.kind == "m2v":
        result.update(m2v_stage_fields(task, tenant))
    return result


def m2v_stage_fields(task: Task, tenant: Tenant) -> dict[str, Any]:
    """m2v shows its export stage in exportVideos: a null placeholder until an export succeeds."""
    if not task.params.get("preview") or task.status != "success":
        return {}
    placeholder = {
        "scriptId": 0,
        "status": None,
        "title": None,
        "description": None,
        "videoUrl": None,
        "coverUrl": None,
        "videoDuration": None,
    }
    exports: list[dict[str, Any]] = []
    for child_id in task.children:
        child = tenant.tasks[child_id]
        if child.status == "success" and child.output is not None:
            exports.extend(child.output.get("exportVideos") or [])
        else:
            exports.append({**placeholder, "scriptId": child.params.get("scriptId", 0), "status": child.status})
    return {"exportVideos": exports or [placeholder]}


def _m2v(task: Task, tenant: Tenant, output: dict[str, Any], filler: Filler) -> None:
    """Preview tasks fill previewVideos (export comes later); direct tasks fill exportVideos."""
    video = {
        "scriptId": 0,
        "status": "success",
        "title": filler.faker.catch_phrase(),
        "description": filler.faker.sentence(),
        "videoUrl": Media(f"results/{task.task_id}/preview.mp4", "video", "mp4"),
        "coverUrl": Media(f"results/{task.task_id}/preview.jpg", "image", "jpg"),
        "videoDuration": 36_096_000,  # microseconds, see the reference README
    }
    if task.params.get("preview"):
        output["previewVideos"] = [video]
        output["exportVideos"] = []
    else:
        output["previewVideos"] = []
        output["exportVideos"] = [{**video, "videoUrl": Media(f"results/{task.task_id}/export.mp4", "video", "mp4")}]
    output["productName"] = task.params.get("productName") or filler.faker.catch_phrase()
    output["productDescription"] = task.params.get("productDescription") or filler.faker.sentence()
    output["scriptContentList"] = [
        {"scriptId": 0, "scriptContents": [{"segId": i, "segText": filler.faker.sentence()} for i in range(4)]}
    ]


def _m2v_export(task: Task, tenant: Tenant, output: dict[str, Any], filler: Filler) -> None:
    """An export stage produces one exported video for its script."""
    parent_id = task.parent_id or task.task_id
    output.clear()
    output["exportVideos"] = [
        {
            "scriptId": task.params.get("scriptId", 0),
            "status": "success",
            "title": filler.faker.catch_phrase(),
            "description": filler.faker.sentence(),
            "videoUrl": Media(f"results/{parent_id}/export-{task.task_id}.mp4", "video", "mp4"),
            "coverUrl": Media(f"results/{parent_id}/export-{task.task_id}.jpg", "image", "jpg"),
            "videoDuration": 36_096_000,
        }
    ]


def _pa_v1_replace(task: Task, tenant: Tenant, output: dict[str, Any], filler: Filler) -> None:
    """Documented quirk: the key is the 32-hex image id of its URL cut to 29 characters."""
    results = []
    for _ in range(max(1, len(output.get("productReplaceResult") or []))):
        image_id = filler.new_id()
        key = image_id[:29]
        tenant.replace_keys[key] = task.task_id
        results.append(
            {
                "key": key,
                "faceExistence": True,
                "url": Media(f"analyzed_video/video/{image_id}/{image_id}.jpg", "image", "jpg"),
            }
        )
    output["productReplaceResult"] = results


def _pa_v2_replace(task: Task, tenant: Tenant, output: dict[str, Any], filler: Filler) -> None:
    """Each replaced image gets an imageId usable as replaceProductTaskImageId."""
    results = []
    for item in output.get("replaceProductResult") or [{}]:
        image_id = filler.new_id()
        tenant.replace_keys[f"v2:{image_id}"] = task.task_id
        face = filler.rng.random() < 0.8  # most results show a face; the rest only allow avatar2 (seeded)
        results.append(
            {
                **item,
                "imageId": image_id,
                "faceExistence": face,
                "url": Media(f"results/{task.task_id}/{image_id}.png", "image", "png"),
            }
        )
    output["replaceProductResult"] = results


def _voice_clone(task: Task, tenant: Tenant, output: dict[str, Any], filler: Filler) -> None:
    """A cloned voice joins the account's voices: Voice Query (isCustom) and every voiceId field."""
    voice = output.get("voice") or {}
    voice_id = voice.get("voiceId") or filler.new_id()
    name = task.params.get("name") or task.task_id
    demo = Media(f"voices/{tenant.uid}/{voice_id}.mp3", "audio", "mp3")
    output["voice"] = {**voice, "voiceId": voice_id, "voiceName": name, "demoAudioUrl": demo}
    tenant.voices[voice_id] = {
        "voiceId": voice_id,
        "voiceName": name,
        "gender": filler.rng.choice(("male", "female")),
        "age": "Middle Aged",
        "accent": "Neutral",
        "style": "Conversational",
        "bestSupportLanguage": "en",
        "language": "en",
        "demoAudioUrl": demo,
        "isCustom": True,
    }


def _text2voice(task: Task, tenant: Tenant, output: dict[str, Any], filler: Filler) -> None:
    """The spoken audio is in the requested voice, and says so: its name, gender, age, accent, language."""
    voice = output.get("voice") or {}
    seconds = max(1, round(len(str(task.params.get("voiceText", ""))) / 15))
    voice_id = str(task.params.get("voiceId"))
    known = tenant.voices.get(voice_id) or filler.voices.get(voice_id) or {}
    described = {
        name: known.get("bestSupportLanguage" if name == "language" else name, voice[name])
        for name in ("voiceName", "gender", "age", "accent", "language")
        if name in voice
    }
    output["voice"] = {
        **voice,
        **described,
        "voiceId": task.params.get("voiceId"),
        "durations": seconds,
        "demoAudioUrl": Media(f"results/{task.task_id}/speech.mp3", "audio", "mp3"),
    }


def _custom_avatar(task: Task, tenant: Tenant, output: dict[str, Any], filler: Filler) -> None:
    """A video made into an avatar joins the account's AI avatars (AiAvatar Query isCustom=true)."""
    avatar = dict(output.get("aiAvatar") or {})
    avatar_id = filler.new_id()
    avatar.update(
        voiceoverIdDefault=None,  # a custom avatar has no default voice until one is chosen
        aiavatarId=avatar_id,
        aiavatarName=f"My avatar {avatar_id[:6]}",  # not a count of the account's avatars: results are pure
        coverUrl=Media(f"avatars/{avatar_id}.jpg", "image", "jpg"),
        previewVideoUrl=Media(f"avatars/{avatar_id}.mp4", "video", "mp4"),
        type=1,
    )
    output["aiAvatar"] = avatar
    tenant.avatars[avatar_id] = {
        **avatar,
        "thumbnailUrl": avatar["coverUrl"],
        "ethnicities": [],
        "isCustom": True,
        "voiceoverIdDefault": None,
        "faceSquareConfig": None,
        "gender": avatar.get("gender"),
    }


def _photo_avatar(task: Task, tenant: Tenant, output: dict[str, Any], filler: Filler) -> None:
    """saveCustomAiAvatar keeps the portrait as a custom photo avatar of the account; without it, no aiAvatar."""
    if task.params.get("saveCustomAiAvatar") is not True:
        output["aiAvatar"] = None  # an object the task did not ask for is absent
    else:
        _custom_avatar(task, tenant, output, filler)
        avatar = output["aiAvatar"]
        tenant.photo_avatars[avatar["aiavatarId"]] = {
            "avatarId": avatar["aiavatarId"],
            "avatarName": avatar["aiavatarName"],
            "coverUrl": avatar["coverUrl"],
            "gender": None,
            "categoryIds": [],
            "isCustom": True,
            "gmtCreate": None,
        }


def _translate(task: Task, tenant: Tenant, output: dict[str, Any], filler: Filler) -> None:
    """One block of translations per requested language."""
    output["content"] = [
        {
            "type": language,
            "translationList": [{"origin": filler.faker.sentence(), "translation": filler.faker.sentence()}],
        }
        for language in task.params.get("languages") or []
    ]
    output["width"], output["height"], output["format"], output["block"] = "1080", "1080", "png", "0"


def _generate(task: Task, tenant: Tenant, output: dict[str, Any], filler: Filler) -> None:
    """One finished image per source image and language (single: from its translate task)."""
    if task.kind == "image_generate":
        source = tenant.tasks[task.params["taskId"]]
        file_ids, languages, mode = [source.params["fileId"]], source.params.get("languages") or [], "SINGLE"
    else:
        file_ids, languages, mode = task.params["fileIds"], task.params["languages"], "BATCH"
    output["mode"] = mode
    output["details"] = [
        {
            "fileId": file_id,
            "fileName": f"{file_id}.png",
            "format": "png",
            "language": language,
            "finishedImageUrl": Media(f"results/{task.task_id}/{file_id}-{i}.png", "image", "png"),
            "status": "success",
            "errorMsg": None,
        }
        for file_id in file_ids
        for i, language in enumerate(languages)
    ]


def _segment(task: Task, tenant: Tenant, output: dict[str, Any], filler: Filler) -> None:
    """Masks come back inline as base64 PNGs: black-and-white silhouettes, one per region."""
    for name in ("mask", "protectMask"):
        png = sample("png", width=64, height=64, look="mask", seed=f"{task.task_id}:{name}")
        output[name] = base64.b64encode(png).decode()


def _video_process(task: Task, tenant: Tenant, output: dict[str, Any], filler: Filler) -> None:
    """The resized video keeps the uploaded video's size and length (whole seconds, rounded up)."""
    video = tenant.files.get(str(task.params.get("inputVideoFileId")))
    known = video is not None and video.width and video.height
    width, height = (video.width, video.height) if video and known else (filler.width, filler.height)
    seconds = math.ceil(video.duration) if video and video.duration else 5
    fps = 25
    output.update(resizedSize=[width, height], duration=seconds, fps=fps, frames=fps * seconds, format="mp4")


def _video_avatar(task: Task, tenant: Tenant, output: dict[str, Any], filler: Filler) -> None:
    """The input file ids echo the uploaded video and audio the task was given (generated ones otherwise)."""
    for field, param in (("inputVideoFileId", "videoFileId"), ("inputAudioFileId", "audioFileId")):
        if task.params.get(param):
            output[field] = task.params[param]


def _scraper(task: Task, tenant: Tenant, output: dict[str, Any], filler: Filler) -> None:
    """The scraped page is the one asked for; its images are image files and its videos video files."""
    output["productLink"] = task.params.get("productLink")
    for field, kind, fmt in (("productImages", "image", "png"), ("productVideos", "video", "mp4")):
        for item in output.get(field) or []:
            item.update(fileType=kind, format=fmt)
            record = tenant.files.get(str(item.get("fileId")))
            if record is None or record.kind != kind:  # the generic filler registers every fileId as an image
                tenant.files.pop(str(item.get("fileId")), None)
                item["fileId"] = filler.register_file(kind, fmt)


PATCHES: dict[str, Patch] = {
    "m2v": _m2v,
    "video_avatar": _video_avatar,
    "scraper": _scraper,
    "m2v_export": _m2v_export,
    "pa_v1_replace": _pa_v1_replace,
    "pa_v2_replace": _pa_v2_replace,
    "pa_v3_replace": _pa_v2_replace,  # v3 results feed v2 image2Video the same way
    "voice_clone": _voice_clone,
    "text2voice": _text2voice,
    "video2aiavatar": _custom_avatar,
    "photo_avatar": _photo_avatar,
    "image_translate": _translate,
    "image_generate": _generate,
    "image_translate_batch": _generate,
    "segment_anything": _segment,
    "video_process": _video_process,
}
