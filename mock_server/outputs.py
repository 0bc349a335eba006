"""What a task produces when it succeeds: its query result, filled in once and then fixed.

The generic :class:`~mock_server.results.Filler` builds every kind's result from the contract; the
patches below are the few places where Topview's results carry state or a documented quirk.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .results import Filler, Media
from .state import FileRecord, Tenant
from .tasks import Task

if TYPE_CHECKING:
    from .mock import TopviewMock

Patch = Callable[["TopviewMock", Task, Tenant, dict[str, Any], Filler], None]


def generate(mock: TopviewMock, task: Task, tenant: Tenant) -> dict[str, Any]:
    """Fill the task's query result schema and apply its kind's patch."""
    kind = mock.table.by_name[task.kind]
    schema = mock.contract[kind.query].result_schema

    def register(kind_name: str, fmt: str) -> str:
        file_id = mock.state.ids.new()
        tenant.files[file_id] = FileRecord(
            file_id, tenant.uid, fmt, f"results/{task.task_id}/{file_id}.{fmt}", mock.clock.now(),
            uploaded=True, kind=kind_name, width=filler.width if kind_name != "audio" else None,
            height=filler.height if kind_name != "audio" else None,
        )
        return file_id

    filler = Filler(task, register, mock.config.seed)
    output = filler.fill(schema)
    patch = PATCHES.get(task.kind)
    if patch is not None:
        patch(mock, task, tenant, output, filler)
    return output


def _m2v(mock: TopviewMock, task: Task, tenant: Tenant, output: dict[str, Any], filler: Filler) -> None:
    """Preview tasks fill previewVideos (export comes later); direct tasks fill exportVideos."""
    video = {
        "scriptId": 0, "status": "success", "title": filler.faker.catch_phrase(), "description": filler.faker.sentence(),
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


def _m2v_export(mock: TopviewMock, task: Task, tenant: Tenant, output: dict[str, Any], filler: Filler) -> None:
    """An export stage produces one exported video for its script."""
    parent_id = task.parent_id or task.task_id
    output.clear()
    output["exportVideos"] = [{
        "scriptId": task.params.get("scriptId", 0), "status": "success", "title": filler.faker.catch_phrase(),
        "description": filler.faker.sentence(),
        "videoUrl": Media(f"results/{parent_id}/export-{task.task_id}.mp4", "video", "mp4"),
        "coverUrl": Media(f"results/{parent_id}/export-{task.task_id}.jpg", "image", "jpg"),
        "videoDuration": 36_096_000,
    }]


def _pa_v1_replace(mock: TopviewMock, task: Task, tenant: Tenant, output: dict[str, Any], filler: Filler) -> None:
    """Documented quirk: the key is the 32-hex image id of its URL cut to 29 characters."""
    results = []
    for _ in range(max(1, len(output.get("productReplaceResult") or []))):
        image_id = mock.state.ids.new()
        key = image_id[:29]
        tenant.replace_keys[key] = task.task_id
        results.append({"key": key, "faceExistence": True,
                        "url": Media(f"analyzed_video/video/{image_id}/{image_id}.jpg", "image", "jpg")})
    output["productReplaceResult"] = results


def _pa_v2_replace(mock: TopviewMock, task: Task, tenant: Tenant, output: dict[str, Any], filler: Filler) -> None:
    """Each replaced image gets an imageId usable as replaceProductTaskImageId."""
    results = []
    for item in output.get("replaceProductResult") or [{}]:
        image_id = mock.state.ids.new()
        tenant.replace_keys[f"v2:{image_id}"] = task.task_id
        face = bool(item.get("faceExistence", True)) if "faceExistence" in item else filler.rng.random() < 0.8
        results.append({**item, "imageId": image_id, "faceExistence": face,
                        "url": Media(f"results/{task.task_id}/{image_id}.png", "image", "png")})
    output["replaceProductResult"] = results


PATCHES: dict[str, Patch] = {
    "m2v": _m2v,
    "m2v_export": _m2v_export,
    "pa_v1_replace": _pa_v1_replace,
    "pa_v2_replace": _pa_v2_replace,
}
