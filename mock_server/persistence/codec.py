"""Records as JSON and back: tasks, files, accounts, credit movements, deliveries and result media.

Each record is written as its fields by name, so a data directory outlives changes to the code that adds
fields with defaults. JSON values (task parameters, results, custom voices and avatars) keep their
:class:`~mock_server.storage.links.Media` markers as ``{"$media": [key, kind, format, width, height]}``
(a client's own one-key ``{"$media": ...}`` object is wrapped as ``{"$dict": ...}``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ..callbacks.payloads import PendingNotice
from ..callbacks.records import Attempt, NoticeDelivery
from ..engine.state import Board, CreditLog, FileRecord, Ledger, Tenant
from ..engine.tasks import Outcome, Progression, Task
from ..storage.links import Media

Json = dict[str, Any]
MEDIA = "$media"
DICT = "$dict"
# Makes the lazy body of a notice that was not sent yet: (uid, uuid, bizType, taskId) -> body.
PendingMaker = Callable[[str, str, str, str], Mapping[str, str]]


# -- JSON values holding Media markers --------------------------------------------------------------------


def value(item: Any) -> Any:
    """A JSON value, Media markers tagged."""
    if isinstance(item, Media):
        return {MEDIA: [item.key, item.kind, item.format, item.width, item.height]}
    if isinstance(item, Mapping):
        encoded = {str(key): value(inner) for key, inner in item.items()}
        # A client's own {"$media": ...} (or {"$dict": ...}) object is wrapped, so it reads back as sent.
        return {DICT: encoded} if len(encoded) == 1 and (MEDIA in encoded or DICT in encoded) else encoded
    if isinstance(item, list | tuple):
        return [value(inner) for inner in item]
    if item is None or isinstance(item, str | int | float | bool):
        return item
    raise TypeError(f"cannot keep a {type(item).__name__} in a data directory")


def from_value(item: Any) -> Any:
    """A JSON value read back, Media markers restored."""
    if isinstance(item, dict):
        if len(item) == 1 and MEDIA in item:
            return Media(*item[MEDIA])
        if len(item) == 1 and DICT in item:
            return {key: from_value(inner) for key, inner in item[DICT].items()}
        return {key: from_value(inner) for key, inner in item.items()}
    if isinstance(item, list):
        return [from_value(inner) for inner in item]
    return item


# -- tasks ------------------------------------------------------------------------------------------------


def task_json(task: Task) -> Json:
    """Everything a task is, as JSON (its result too, once made: results are made once, then fixed)."""
    return {
        "taskId": task.task_id,
        "uid": task.uid,
        "kind": task.kind,
        "operationId": task.operation_id,
        "params": value(task.params),
        "createdAt": task.created_at,
        "progression": [task.progression.mode, task.progression.init, task.progression.running],
        "outcome": [task.outcome.status, task.outcome.message],
        "cost": str(task.cost),
        "taskType": task.task_type,
        "apiKey": task.api_key,
        "status": task.status,
        "polls": task.polls,
        "enteredAt": task.entered_at,
        "dueAt": task.due_at,
        "finishedAt": task.finished_at,
        "errorMsg": task.error_msg,
        "noticeUrl": task.notice_url,
        "noticeUuid": task.notice_uuid,
        "boardId": task.board_id,
        "boardTaskIds": list(task.board_task_ids),
        "parentId": task.parent_id,
        "children": list(task.children),
        "output": None if task.output is None else value(task.output),
        "deleted": task.deleted,
        "history": [[at, status] for at, status in task.history],
    }


def task_from(data: Json) -> Task:
    """A task read back."""
    mode, init, running = data["progression"]
    status, message = data["outcome"]
    return Task(
        task_id=data["taskId"],
        uid=data["uid"],
        kind=data["kind"],
        operation_id=data["operationId"],
        params=from_value(data["params"]),
        created_at=data["createdAt"],
        progression=Progression(mode, init, running),
        outcome=Outcome(status, message),
        cost=Decimal(data["cost"]),
        task_type=data["taskType"],
        api_key=data["apiKey"],
        status=data["status"],
        polls=data["polls"],
        entered_at=data["enteredAt"],
        due_at=data["dueAt"],
        finished_at=data["finishedAt"],
        error_msg=data["errorMsg"],
        notice_url=data["noticeUrl"],
        notice_uuid=data["noticeUuid"],
        board_id=data["boardId"],
        board_task_ids=tuple(data["boardTaskIds"]),
        parent_id=data["parentId"],
        children=tuple(data["children"]),
        output=None if data["output"] is None else from_value(data["output"]),
        deleted=data["deleted"],
        history=[(at, status) for at, status in data["history"]],
    )


# -- files, credit movements, accounts --------------------------------------------------------------------


def file_json(record: FileRecord) -> Json:
    """A file record (an upload or a result file)."""
    return {
        "fileId": record.file_id,
        "uid": record.uid,
        "format": record.format,
        "key": record.key,
        "createdAt": record.created_at,
        "uploaded": record.uploaded,
        "kind": record.kind,
        "width": record.width,
        "height": record.height,
        "duration": record.duration,
    }


def file_from(data: Json) -> FileRecord:
    """A file record read back."""
    return FileRecord(
        data["fileId"],
        data["uid"],
        data["format"],
        data["key"],
        data["createdAt"],
        uploaded=data["uploaded"],
        kind=data["kind"],
        width=data["width"],
        height=data["height"],
        duration=data["duration"],
    )


def log_json(log: CreditLog) -> Json:
    """One movement of credits."""
    return {
        "at": log.at,
        "taskId": log.task_id,
        "taskType": log.task_type,
        "cost": str(log.cost),
        "apiKey": log.api_key,
        "kind": log.kind,
    }


def log_from(data: Json) -> CreditLog:
    """A movement of credits read back."""
    return CreditLog(data["at"], data["taskId"], data["taskType"], Decimal(data["cost"]), data["apiKey"], data["kind"])


def tenant_json(tenant: Tenant) -> Json:
    """What an account holds besides its tasks, files and credit movements: small, written down whole."""
    ledger = tenant.ledger
    return {
        "uid": tenant.uid,
        "ledger": [str(ledger.granted), str(ledger.balance), str(ledger.reserved), str(ledger.spent)],
        "boards": [[b.board_id, b.name, b.created_at, b.modified_at, b.is_default] for b in tenant.boards.values()],
        "voices": value(tenant.voices),
        "avatars": value(tenant.avatars),
        "photoAvatars": value(tenant.photo_avatars),
        "replaceKeys": dict(tenant.replace_keys),
        "downloads": value(tenant.downloads),
    }


def tenant_from(data: Json) -> Tenant:
    """An account read back, without its tasks, files and credit movements (added by the caller)."""
    granted, balance, reserved, spent = (Decimal(amount) for amount in data["ledger"])
    tenant = Tenant(uid=data["uid"], ledger=Ledger(granted, balance, reserved, spent))
    for board_id, name, created_at, modified_at, is_default in data["boards"]:
        tenant.boards[board_id] = Board(board_id, data["uid"], name, created_at, modified_at, is_default)
    tenant.voices = OrderedDict(from_value(data["voices"]))
    tenant.avatars = OrderedDict(from_value(data["avatars"]))
    tenant.photo_avatars = OrderedDict(from_value(data["photoAvatars"]))
    tenant.replace_keys = dict(data["replaceKeys"])
    tenant.downloads = from_value(data["downloads"])
    return tenant


# -- deliveries and media ---------------------------------------------------------------------------------


def delivery_json(delivery: NoticeDelivery) -> Json:
    """A callback delivery with its attempts; a body not made yet is kept as what makes it."""
    body = delivery.body
    made = body.made if isinstance(body, PendingNotice) else dict(body)
    return {
        "id": delivery.id,
        "uid": delivery.uid,
        "url": delivery.url,
        "body": made,
        "pending": None if made is not None else [body["uuid"], body["bizType"], body["taskId"]],
        "createdAt": delivery.created_at,
        "state": delivery.state,
        "attempts": [
            [a.number, a.at, a.duration_ms, a.http_status, a.response_text, a.error, a.acknowledged]
            for a in delivery.attempts
        ],
        "nextAttemptAt": delivery.next_attempt_at,
        "refusedReason": delivery.refused_reason,
        "replayOf": delivery.replay_of,
        "duplicateOf": delivery.duplicate_of,
    }


def delivery_from(data: Json, pending: PendingMaker) -> NoticeDelivery:
    """A delivery read back; a body that was not made yet is made again when first read."""
    body: Mapping[str, str] = data["body"] if data["body"] is not None else pending(data["uid"], *data["pending"])
    return NoticeDelivery(
        id=data["id"],
        uid=data["uid"],
        url=data["url"],
        body=body,
        created_at=data["createdAt"],
        state=data["state"],
        attempts=[Attempt(*attempt) for attempt in data["attempts"]],
        next_attempt_at=data["nextAttemptAt"],
        refused_reason=data["refusedReason"],
        replay_of=data["replayOf"],
        duplicate_of=data["duplicateOf"],
    )


def media_json(media: Media) -> Json:
    """A result media marker handed out (its file is made on first download)."""
    return {"key": media.key, "media": value(media)}


def media_from(data: Json) -> Media:
    """A media marker read back."""
    found = from_value(data["media"])
    assert isinstance(found, Media)
    return found
