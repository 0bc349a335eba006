"""Handlers of the account-level endpoints: uploads, notice url check, credits, disk space and deletions."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from ..callbacks.policy import check_notice_url
from ..engine.credits import credit_number
from ..engine.errors import TopviewError, bad_value, not_found
from ..engine.state import FileRecord
from ..engine.tasks import Task
from ..storage.links import Media
from ..storage.uploads import upload_key
from .backend import Backend, Rendered
from .call import Call
from .handlers import own_task

MAX_DISK_BYTES = 100 * 1024**3


def iso(at: float) -> str:
    """A virtual time as ISO-8601 UTC."""
    second = math.floor(at)
    if at - second < 0.999999:  # not in the last microsecond, which datetime rounds up into the next second
        return _iso_second(second)
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@lru_cache(maxsize=64)
def _iso_second(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def upload_credential(mock: Backend, call: Call) -> Rendered:
    """Step 1 of an upload: a fileId and a presigned PUT URL on the fake's own object store."""
    fmt = call.query["format"]
    file_id = mock.state.ids.new()
    key = upload_key(call.uid, file_id, fmt)
    now = mock.clock.now()
    call.tenant.files[file_id] = FileRecord(file_id, call.uid, fmt, key, now)
    seconds = mock.config.upload_url_seconds
    credential = {
        "fileId": file_id,
        "uploadUrl": mock.store.presign_put(call.base_url, key, seconds),
        "fileName": f"{file_id}.{fmt}",
        "format": fmt,
        "expireTime": iso(now + seconds),
    }
    return Rendered(credential)  # signed already: nothing to render


async def upload_check(mock: Backend, call: Call) -> bool:
    """Step 3: true once the bytes arrived and are really of the declared format."""
    record = call.tenant.files.get(call.query["fileId"])
    if record is None or record.key.startswith("results/"):
        raise not_found("fileId", call.query["fileId"])
    return record.uploaded and record.kind not in (None, "invalid")


async def notice_url_check(mock: Backend, call: Call) -> bool:
    """Validate a callback URL as submits will (scheme, host, length, allowed host)."""
    problem = check_notice_url(call.body["noticeUrl"], mock.notices.policy)
    if problem is not None:
        raise bad_value("noticeUrl", problem.removeprefix("noticeUrl ")) from None
    return True


async def credit_detail(mock: Backend, call: Call) -> dict[str, Any]:
    """The account's remaining credits."""
    ledger = call.tenant.ledger
    balance = credit_number(ledger.balance)
    return {
        "uid": call.uid,
        "remainCredit": balance,
        "credit": balance,  # what the official skill client prints (contracts/README.md, aliases)
        "expiredTime": iso(mock.clock.start + 365 * 86_400),  # the plan runs a year from the start of time
        "apiKeyMap": {"apiKey": call.api_key},
    }


async def credit_logs(mock: Backend, call: Call) -> dict[str, Any]:
    """Every deduction and refund of the account, newest first, filtered and paged."""
    wanted = call.query.get("taskType")
    start, end = _when(call.query.get("startTime"), "startTime"), _when(call.query.get("endTime"), "endTime")
    logs = [
        log
        for log in reversed(call.tenant.ledger.logs)
        if log.kind in ("reserve", "release")
        and log.cost > 0
        and (not wanted or log.task_type == wanted)
        and (start is None or log.at >= start)
        and (end is None or log.at <= end)
    ]
    page = call.page(logs)
    page["data"] = [
        {
            "uid": call.uid,
            "apiKey": log.api_key,
            "date": iso(log.at),
            # a submit deducts the cost; a failed task's refund shows as a negative entry
            "costCredit": credit_number(log.cost if log.kind == "reserve" else -log.cost),
            "taskId": log.task_id,
            "taskType": log.task_type,
        }
        for log in page["data"]
    ]
    return page


# -- disk space and deletions -----------------------------------------------------------------------


async def m2v_task_list(mock: Backend, call: Call) -> dict[str, Any]:
    """The account's m2v tasks, newest first."""
    page_no, page_size = call.query.get("pageNo", 1), call.query.get("pageSize", 20)
    tasks, total = call.tenant.newest("m2v", (page_no - 1) * page_size, page_size)  # costs a page, not the account
    data = [_m2v_item(mock, mock.made(mock.engine.settle_task(t))) for t in tasks]
    return {"data": data, "total": total, "pageNo": page_no, "pageSize": page_size}


def _m2v_item(mock: Backend, t: Task) -> dict[str, Any]:
    return {
        "taskId": t.task_id,
        "status": t.status,
        "errorMsg": t.error_msg,
        "productName": t.params.get("productName") or (t.output or {}).get("productName"),
        "productDescription": t.params.get("productDescription") or (t.output or {}).get("productDescription"),
        "gmtCreate": iso(t.created_at).replace("T", " ").rstrip("Z"),
        "diskSpace": {"size": str(_task_bytes(mock, t)), "unit": "byte"},
    }


def _task_bytes(mock: Backend, task: Task) -> int:
    return 3_145_728 if task.status == "success" else 0  # the fake's result videos: a nominal 3 MiB each


async def m2v_task_delete(mock: Backend, call: Call) -> dict[str, Any]:
    """Delete m2v tasks of the account; one object answers for all (documented shape)."""
    tasks = [own_task(call, task_id, ("m2v",)) for task_id in call.body["taskIds"]]
    freed = 0
    for task in tasks:
        freed += _task_bytes(mock, task)
        call.tenant.delete_task(task)
    return {
        "taskId": ",".join(t.task_id for t in tasks),
        "status": "success",
        "errosMsg": None,
        "data": {"size": freed, "unit": "byte"},
    }


async def user_space(mock: Backend, call: Call) -> dict[str, Any]:
    """Disk used by the account's uploads and results."""
    used = 0
    for record in call.tenant.files.values():
        stored = (
            mock.store.get_object(record.key) if record.uploaded and not record.key.startswith("results/") else None
        )
        used += stored.size if stored else 0
    used += sum(_task_bytes(mock, t) for t in call.tenant.tasks.values() if t.kind == "m2v" and not t.deleted)
    return {
        "uid": call.uid,
        "usedDiskSpace": {"size": used, "unit": "byte"},
        "maxDiskSpace": {"size": MAX_DISK_BYTES, "unit": "byte"},
    }


async def photo_avatar_create(mock: Backend, call: Call) -> str:
    """A custom photo avatar from an uploaded portrait; the result is its new id."""
    avatar_id = mock.state.ids.new()
    call.tenant.photo_avatars[avatar_id] = {
        "avatarId": avatar_id,
        "avatarName": f"Custom avatar {len(call.tenant.photo_avatars) + 1}",
        "coverUrl": Media(f"avatars/{avatar_id}.jpg", "image", "jpg"),
        "gender": None,
        "categoryIds": [],
        "isCustom": True,
        "gmtCreate": iso(mock.clock.now()),
    }
    return avatar_id


async def photo_avatar_delete(mock: Backend, call: Call) -> None:
    """Delete a custom photo avatar of the account (a public one answers 4006)."""
    avatar_id = call.query["aiAvatarId"]
    if call.tenant.photo_avatars.pop(avatar_id, None) is None and call.tenant.avatars.pop(avatar_id, None) is None:
        if mock.catalogues.find("photoAvatars", "avatarId", avatar_id) is not None:
            raise TopviewError("4006", "Request refuse: public avatars cannot be deleted")
        raise not_found("aiAvatarId", avatar_id)


async def voice_clone_delete(mock: Backend, call: Call) -> None:
    """Delete a cloned voice of the account (a public voice answers 4006)."""
    voice_id = call.query["voiceId"]
    if call.tenant.voices.pop(voice_id, None) is None:
        if mock.catalogues.find("voices", "voiceId", voice_id) is not None:
            raise TopviewError("4006", "Request refuse: only cloned voices can be deleted")
        raise not_found("voiceId", voice_id)


def _when(text: str | None, field: str) -> float | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp()
    except ValueError:
        raise TopviewError("4000", f"{field} must look like 2022-07-01 12:01:01 (UTC)") from None
