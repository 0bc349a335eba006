"""What a callback carries: the notice body Topview POSTs, and the result it reports for each stage."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from ..engine.tasks import Task
from .records import NoticeStatus

NOTICE_FIELDS = ("uuid", "bizType", "taskId", "status", "errorMsg", "result")


@dataclass(frozen=True, slots=True)
class Notice:
    """The JSON body Topview POSTs to a noticeUrl; ``result`` is already a JSON *string*."""

    uuid: str
    biz_type: str
    task_id: str
    status: NoticeStatus
    error_msg: str
    result: str

    def to_json(self) -> dict[str, str]:
        """The body with Topview's field names, in the documented order."""
        return {
            "uuid": self.uuid,
            "bizType": self.biz_type,
            "taskId": self.task_id,
            "status": self.status,
            "errorMsg": self.error_msg,
            "result": self.result,
        }


class PendingNotice(Mapping[str, str]):
    """A notice body made when first read: a task finishes in microseconds, its result is made later.

    The fields that say which notice it is (uuid, bizType, taskId) are known at once, so the callback
    journal can be filtered without making the body; anything else makes it, once.
    """

    __slots__ = ("__weakref__", "_body", "_make", "_task_id", "_type", "_uuid")

    def __init__(self, uuid: str, biz_type: str, task_id: str, make: Callable[[], dict[str, str]]) -> None:
        # Three fields, not a dict of them: thousands of tasks finishing at once make as many of these.
        self._uuid, self._type, self._task_id = uuid, biz_type, task_id
        self._make: Callable[[], dict[str, str]] | None = make
        self._body: dict[str, str] | None = None

    @property
    def made(self) -> dict[str, str] | None:
        """The whole body if it was made already, else None (reading it here never makes it)."""
        return self._body

    @property
    def body(self) -> dict[str, str]:
        """The whole body, made on first use."""
        return self.make()

    def make(self) -> dict[str, str]:
        """The whole body, made now if it was not made before."""
        if self._body is None:
            assert self._make is not None
            self._body, self._make = self._make(), None
        return self._body

    def __getitem__(self, key: str) -> str:
        if self._body is None:
            if key == "uuid":
                return self._uuid
            if key == "bizType":
                return self._type
            if key == "taskId":
                return self._task_id
        return self.body[key]

    def __contains__(self, key: object) -> bool:
        return key in NOTICE_FIELDS if self._body is None else key in self._body

    def __iter__(self) -> Iterator[str]:
        return iter(self.body)

    def __len__(self) -> int:
        return len(self.body)


def drop_nulls(value: object) -> object:
    """``value`` with every null-valued object field removed, at any depth (list items are kept)."""
    if isinstance(value, str | int | float) or value is None:  # most values: spared the Mapping ABC's slower check
        return value
    if isinstance(value, list | tuple):
        return [drop_nulls(item) for item in value]
    if isinstance(value, Mapping):
        return {str(k): drop_nulls(v) for k, v in value.items() if v is not None}
    return value


def encode_result(result: Mapping[str, object]) -> str:
    """A query-task result as Topview puts it in a callback: a compact JSON string, nulls dropped.

    Quirk copied on purpose: the documented callback nests the result as a string (not an object),
    leaves out null fields and lists keys alphabetically, as a Java serializer configured that way
    would; non-ASCII text is sent as UTF-8, not as escapes.
    """
    return compact_json(drop_nulls(result), sort_keys=True).decode()  # written as the query answers it


def compact_json(value: Any, *, sort_keys: bool = False) -> bytes:
    """``value`` as compact UTF-8 JSON: by orjson, several times faster, and by the standard encoder what
    orjson refuses (an integer beyond 64 bits, a lone surrogate). The two write the same text but for a tiny
    float's exponent (orjson ``1e-7``, as the query answers write it; the standard encoder ``1e-07``)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else 0)
    except orjson.JSONEncodeError:
        text = json.dumps(value, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        return text.encode()


def build_notice_body(
    uuid: str,
    biz_type: str,
    task_id: str,
    status: str,
    error_msg: str | None,
    result: Mapping[str, object],
) -> dict[str, str]:
    """The callback body for a finished task; ``errorMsg`` is "" when there is no error, as documented."""
    if status not in ("success", "fail"):
        raise ValueError(f"notice status must be 'success' or 'fail', not {status!r}")
    notice = Notice(
        uuid=uuid,
        biz_type=biz_type,
        task_id=task_id,
        status="success" if status == "success" else "fail",
        error_msg=error_msg or "",
        result=encode_result(result),
    )
    return notice.to_json()


def notice_result(task: Task, reported: Task, result: dict[str, Any]) -> dict[str, Any]:
    """The query ``result`` a notice carries: for m2v, only the videos of the stage that finished.

    ``reported`` is the task the client submitted (an m2v export stage reports its m2v task). The
    documented M2V_PREVIEW callback carries previewVideos and no exportVideos, so a preview stage leaves
    exportVideos out; an export stage (M2V_EXPORT, or a task submitted without preview) carries its own
    exportVideos, with the stage's status and errorMsg.
    """
    if reported.kind != "m2v":
        return result
    if task is reported and task.params.get("preview"):
        result.pop("exportVideos", None)
        return result
    result.pop("previewVideos", None)
    if task is not reported:  # an export stage of a preview task
        result["status"], result["errorMsg"] = task.status, task.error_msg
        if task.status == "success" and task.output is not None:
            result["exportVideos"] = list(task.output.get("exportVideos") or [])
        else:
            result["exportVideos"] = [{"scriptId": task.params.get("scriptId", 0), "status": task.status}]
    return result
