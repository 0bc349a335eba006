"""Handlers of boards: boards, their tasks, batch delete and batch download."""

from __future__ import annotations

import io
import zipfile
from itertools import islice
from typing import Any

import anyio

from ..contract.groups import BOARD_DOWNLOAD
from ..contract.results import render
from ..engine.credits import ZERO, credit_number
from ..engine.errors import TopviewError, not_found
from ..engine.state import Board, Shelf, Tenant
from ..engine.tasks import Outcome, Task
from ..storage.links import Media
from .account import iso
from .backend import Backend
from .call import Call

ZIP_SLICE = 64  # results zipped between two yields to the event loop

# -- boards ------------------------------------------------------------------------------------------


def _board(call: Call, board_id: str) -> Board:
    board = call.tenant.boards.get(board_id)
    if board is None:
        raise not_found("boardId", board_id)
    return board


def board_json(mock: Backend, tenant: Tenant, board: Board) -> dict[str, Any]:
    """A board as the boards endpoints show it."""
    shelf = tenant.shelf(board.board_id)
    succeeded = (t for t in shelf.walk(shelf.lanes, newest_first=True) if t.status == "success")
    recent = list(islice(succeeded, 4))[::-1]  # the last four, oldest of them first
    return {
        "boardId": board.board_id,
        "name": board.name,
        "uid": board.uid,
        "ownerName": board.uid,
        "taskCount": shelf.count(shelf.lanes),
        "recentThumbnails": [Media(f"results/{t.task_id}/thumbnail.jpg", "image", "jpg") for t in recent],
        "members": [{"uid": board.uid, "nickname": board.uid, "role": "owner"}],
        "shareTokens": [],
        "isSystemDefault": board.is_default,
        "syncFlag": False,
        "gmtCreate": iso(board.created_at),
        "gmtModify": iso(board.modified_at),
        "isOwner": True,
    }


def _unique_name(call: Call, name: str, except_id: str | None = None) -> str:
    # Taken as sent: the contract bounds a name by length only, and only null, "" and [] are empty, so a
    # blank name is a name, not a missing one (the request validator has already refused "").
    if any(b.name == name and b.board_id != except_id for b in call.tenant.boards.values()):
        raise TopviewError("4005", f"Name duplicated: a board named {name!r} already exists")
    return name


async def board_list(mock: Backend, call: Call) -> dict[str, Any]:
    """The account's boards, the system default first."""
    boards = [board_json(mock, call.tenant, b) for b in call.tenant.boards.values()]
    page = call.page(boards, "list")
    # The docs put the array under "list"; the official skill client reads "data": both are served
    # (contracts/README.md, aliases).
    page["data"] = page["list"]
    return page


async def board_create(mock: Backend, call: Call) -> dict[str, Any]:
    """A new board; names are unique per account (4005)."""
    name = _unique_name(call, call.body["name"])
    now = mock.clock.now()
    board = Board(mock.state.ids.new(), call.uid, name, now, now)
    call.tenant.boards[board.board_id] = board
    return board_json(mock, call.tenant, board)


async def board_detail(mock: Backend, call: Call) -> dict[str, Any]:
    """One board of the account."""
    return board_json(mock, call.tenant, _board(call, call.query["boardId"]))


async def board_update(mock: Backend, call: Call) -> dict[str, Any]:
    """Rename a board (4005 when another board has the name)."""
    board = _board(call, call.body["boardId"])
    board.name = _unique_name(call, call.body["name"], board.board_id)
    board.modified_at = mock.clock.now()
    return board_json(mock, call.tenant, board)


async def board_delete(mock: Backend, call: Call) -> None:
    """Delete a board and the tasks filed on it; the default board stays (4006)."""
    board = _board(call, call.query["boardId"])
    if board.is_default:
        raise TopviewError("4006", "Request refuse: the system default board cannot be deleted")
    shelf = call.tenant.shelf(board.board_id)
    for task in list(shelf.walk(shelf.lanes, newest_first=False)):
        call.tenant.delete_task(task)
    del call.tenant.boards[board.board_id]


# -- board tasks -------------------------------------------------------------------------------------


def board_task_json(mock: Backend, call: Call, task: Task) -> dict[str, Any]:
    """A task as a board shows it."""
    kind = mock.table.by_name[task.kind]
    unfinished = not task.finished
    return {
        "taskId": task.task_id,
        "boardTaskId": task.board_task_ids[0] if task.board_task_ids else task.task_id,
        "boardId": task.board_id,
        "sortWeight": task.created_at,
        "uid": task.uid,
        "userName": task.uid,
        "toolType": kind.name,
        "toolCategory": kind.tool,
        "status": task.status,
        "mediaType": kind.media_type,
        "rating": None,
        "parameters": {k: v for k, v in task.params.items() if k != "noticeUrl"},
        "result": mock.task_result(task),
        "errorMessage": task.error_msg,
        "errorCode": "TASK_FAILED" if task.status == "fail" else None,
        "creditsCost": credit_number(task.cost),
        "creditsPayerUid": task.uid,
        "creditsPayerName": task.uid,
        "gmtCreate": iso(task.created_at),
        "gmtModify": iso(task.history[-1][0]),
        "completedAt": iso(task.finished_at) if task.finished_at else None,
        "isPinned": False,
        "pinnedOriginalSortWeight": None,
        "groupIds": [],
        "unresolvedCount": 0,
        "useUnlimitMode": False,
        "estimateInfo": {
            "queueCount": 0,
            "estimatedWaitSeconds": 0,
            "estimatedProcessSeconds": int(max(0.0, (task.due_at or mock.clock.now()) - mock.clock.now())),
        }
        if unfinished
        else None,
    }


def _kinds(mock: Backend, tenant: Tenant, shelf: Shelf, flt: dict[str, Any]) -> list[str]:
    """The kinds of task on a board that a filter selects: each filter reads the kind, or selects none."""
    media, category = flt.get("mediaType"), flt.get("toolCategory")
    tools = set(flt.get("toolTypes") or []) | ({flt["toolType"]} if flt.get("toolType") else set())
    creators = set(flt.get("creatorUids") or [])
    if creators and tenant.uid not in creators:
        return []  # every task of an account is its own
    if flt.get("rating") not in (None, "", "all", "unrated") or flt.get("groupIds"):
        return []  # nothing is rated, nor grouped: the API has no endpoint for either
    kinds = []
    for name in shelf.lanes:
        kind = mock.table.by_name[name]
        if media not in (None, "", "all") and kind.media_type != media:
            continue
        if category and kind.tool != category:
            continue
        if tools and kind.name not in tools:
            continue
        kinds.append(name)
    return kinds


def _selected(mock: Backend, tenant: Tenant, board_id: str, flt: dict[str, Any]) -> list[Task]:
    shelf = tenant.shelf(board_id)
    return list(shelf.walk(_kinds(mock, tenant, shelf, flt), newest_first=False))


async def board_task_list(mock: Backend, call: Call) -> dict[str, Any]:
    """The tasks on a board, filtered, sorted and paged: by creation, a page costs the page, not the board."""
    board = _board(call, call.query["boardId"])
    shelf = call.tenant.shelf(board.board_id)
    kinds = _kinds(mock, call.tenant, shelf, call.query)
    field = call.query.get("sortField", "gmtCreate")
    newest_first = call.query.get("sortOrder", "desc") == "desc"
    page_no, page_size = call.query.get("pageNo", 1), call.query.get("pageSize", 20)
    start = (page_no - 1) * page_size
    if field in ("completedAt", "gmtModify"):  # these move as tasks run: sorted when asked

        def when(task: Task) -> float:
            if field == "completedAt":
                return task.finished_at or 0.0
            return task.history[-1][0]

        tasks = sorted(shelf.walk(kinds, newest_first=False), key=when, reverse=newest_first)[start : start + page_size]
    else:
        tasks = list(islice(shelf.walk(kinds, newest_first), start, start + page_size))
    return {
        "list": [board_task_json(mock, call, t) for t in tasks],
        "total": shelf.count(kinds),
        "pageNo": page_no,
        "pageSize": page_size,
    }


async def board_task_detail(mock: Backend, call: Call) -> dict[str, Any]:
    """One task filed on a board of the account."""
    task = call.tenant.tasks.get(call.query["taskId"])
    if task is None or task.deleted or task.board_id is None:
        raise not_found("taskId", call.query["taskId"])
    return board_task_json(mock, call, task)


def _batch(mock: Backend, call: Call) -> list[Task]:
    board = _board(call, call.body["boardId"]) if call.body.get("boardId") else call.tenant.default_board
    if call.body.get("selectAll"):
        excluded = set(call.body.get("excludeTaskIds") or [])
        return [
            t
            for t in _selected(mock, call.tenant, board.board_id, call.body.get("filter") or {})
            if t.task_id not in excluded
        ]
    chosen = []
    for task_id in call.body.get("taskIds") or []:
        task = call.tenant.tasks.get(task_id)
        if task is None or task.deleted or task.board_id != board.board_id:
            raise not_found("taskIds", task_id)
        chosen.append(task)
    return chosen


async def board_task_batch_delete(mock: Backend, call: Call) -> dict[str, Any]:
    """Delete the chosen tasks of a board (synchronous)."""
    for task in _batch(mock, call):
        call.tenant.delete_task(task)
    return {}


async def batch_download_submit(mock: Backend, call: Call) -> dict[str, Any]:
    """Start zipping the chosen tasks' outputs; poll the status with downloadTaskId."""
    chosen = _batch(mock, call)
    task = Task(
        task_id=mock.state.ids.new(),
        uid=call.uid,
        kind=BOARD_DOWNLOAD.name,
        operation_id=call.op.operation_id,
        params={"taskIds": [t.task_id for t in chosen]},
        created_at=mock.clock.now(),
        progression=mock.policies.progression_for(call.uid, BOARD_DOWNLOAD.name),
        outcome=Outcome(),
        cost=ZERO,
        task_type=BOARD_DOWNLOAD.task_type,
        api_key=call.api_key,
    )
    mock.engine.submit(call.tenant, task)
    return await download_json(mock, call, task)


async def download_json(mock: Backend, call: Call, task: Task) -> dict[str, Any]:
    """A batch download's state; success carries a signed, expiring ZIP URL."""
    total = len(task.params["taskIds"])
    done = task.status == "success"
    body: dict[str, Any] = {
        "downloadTaskId": task.task_id,
        "status": task.status,
        "progress": 100 if task.finished else 50 if task.status == "running" else 0,
        "processedCount": total if task.finished else total // 2 if task.status == "running" else 0,
        "totalCount": total,
        "downloadUrl": None,
        "fileCount": None,
        "totalSize": None,
        "expiresAt": None,
        "gmtCreate": iso(task.created_at),
        "completedAt": iso(task.finished_at) if task.finished_at else None,
        "errorCode": "STORAGE_ERROR" if task.status == "fail" else None,
        "errorMessage": task.error_msg,
    }
    if done:
        key = f"downloads/{task.task_id}.zip"
        stored = mock.store.get_object(key)
        if stored is None:
            stored = mock.store.put_object(key, await _zip(mock, call, task), "application/zip")
        seconds = mock.config.result_url_seconds
        body.update(
            downloadUrl=mock.store.presign_get(call.base_url, key, seconds, cdn=True),
            fileCount=total,
            totalSize=stored.size,
            expiresAt=iso(mock.clock.now() + seconds),
        )
    return body


async def _zip(mock: Backend, call: Call, task: Task) -> bytes:
    """The archive of the chosen tasks' results, made in slices that let other requests through.

    ``selectAll`` can pick every task of a board, and each result not yet made costs a fraction of a
    millisecond: a large batch in one go would hold the event loop for seconds.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for count, task_id in enumerate(task.params["taskIds"], 1):
            source = call.tenant.tasks.get(task_id)
            result = render(mock.task_result(source), mock.url_for(call.base_url, cdn=False)) if source else {}
            archive.writestr(f"{task_id}/result.json", repr(result))
            if count % ZIP_SLICE == 0:
                await anyio.sleep(0)
    return buffer.getvalue()


async def batch_download_status(mock: Backend, call: Call) -> dict[str, Any]:
    """The state of a batch download of the account."""
    task = call.tenant.tasks.get(call.query["downloadTaskId"])
    if task is None or task.kind != BOARD_DOWNLOAD.name:
        raise not_found("downloadTaskId", call.query["downloadTaskId"])
    mock.engine.polled(task)
    return await download_json(mock, call, task)
