"""The generic handlers: one per kind of endpoint, serving every row of the group table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from ..contract.groups import M2V_EXPORT, CatalogueList, Filter
from ..engine.errors import TopviewError, not_found
from ..engine.tasks import Task
from .backend import Backend, Rendered
from .call import Call

Handler = Callable[[Backend, Call], Awaitable[Any]]


# -- tasks -------------------------------------------------------------------------------------------


async def submit(mock: Backend, call: Call) -> Rendered:
    """Admit a task of the row's kind and acknowledge it (status "success" = accepted)."""
    kind = mock.table.by_submit[call.op.operation_id]
    if kind.name == "voice_clone":
        _unique_voice_name(mock, call)
    task = mock.new_task(call, kind)
    return Rendered(ack(task))  # ids and nulls only: nothing to render


def _unique_voice_name(mock: Backend, call: Call) -> None:
    """Cloned voice names are unique per account (4005), counting clones still running (contracts/README.md)."""
    name = call.body.get("name")
    if not name:
        return  # an unnamed clone is named after its taskId
    mock.make_all(call.tenant)  # finished clones join the voices when their results are made
    taken = {v.get("voiceName") for v in call.tenant.voices.values()}
    taken |= {
        t.params.get("name")
        for t in call.tenant.tasks.values()
        if t.kind == "voice_clone" and not t.finished and not t.deleted
    }
    if name in taken:
        raise TopviewError("4005", f"Name duplicated: a cloned voice named {name!r} already exists")


def ack(task: Task) -> dict[str, Any]:
    """The submit acknowledgement: {taskId, status, errorMsg, noticeUuid[, boardId, boardTaskIds]}."""
    body: dict[str, Any] = {
        "taskId": task.task_id,
        "status": "success",
        "errorMsg": None,
        "noticeUuid": task.notice_uuid,
    }
    if task.board_id is not None:
        body["boardId"] = task.board_id
        body["boardTaskIds"] = list(task.board_task_ids)
    return body


def own_task(call: Call, task_id: str, kinds: tuple[str, ...]) -> Task:
    """The account's task ``task_id`` of one of ``kinds``; 4004 for unknown, foreign or another kind."""
    task = call.tenant.tasks.get(task_id)
    if task is None or task.deleted or task.kind not in kinds:
        raise not_found("taskId", task_id)
    return task


async def query(mock: Backend, call: Call) -> dict[str, Any] | Rendered:
    """The task's result in its group's shape: outputs once it succeeded, nulls before."""
    kinds = mock.table.by_query[call.op.operation_id]
    task = own_task(call, call.query["taskId"], tuple(kind.name for kind in kinds))
    mock.engine.polled(task)
    if task.finished:
        return mock.rendered_result(task, call.base_url, cdn=call.query.get("needCloudFrontUrl") is True)
    return mock.task_result(task)


# -- m2v scripts and export ----------------------------------------------------------------------------


def _scripts(mock: Backend, call: Call) -> tuple[Task, list[dict[str, Any]]]:
    task = mock.made(own_task(call, call.param("taskId"), ("m2v",)))
    if task.status != "success" or task.output is None:
        raise TopviewError("4000", f"taskId {task.task_id} has no script yet: the task is {task.status}")
    return task, task.output.setdefault("scriptContentList", [])


async def m2v_script_list(mock: Backend, call: Call) -> list[dict[str, Any]]:
    """The scripts of a finished m2v task."""
    return _scripts(mock, call)[1]


async def m2v_script_update(mock: Backend, call: Call) -> dict[str, Any]:
    """Replace every segment of one script of an m2v task (segIds are unique: a contract rule)."""
    task, scripts = _scripts(mock, call)
    script_id = call.body.get("scriptId", 0)
    script = next((s for s in scripts if s["scriptId"] == script_id), None)
    if script is None:
        raise not_found("scriptId", script_id)
    script["scriptContents"] = [{"segId": s["segId"], "segText": s["segText"]} for s in call.body["scriptContents"]]
    mock.state.note(task)
    return {"taskId": task.task_id, "status": "success", "errorMsg": None}


async def m2v_export(mock: Backend, call: Call) -> dict[str, Any]:
    """Start the export stage of a successful m2v task; its progress shows in the task's query."""
    parent = mock.made(own_task(call, call.body["taskId"], ("m2v",)))
    if parent.status != "success":
        raise TopviewError(
            "4000", f"taskId {parent.task_id} can be exported only once it is success, it is {parent.status}"
        )
    if not parent.params.get("preview"):
        raise TopviewError("4000", f"taskId {parent.task_id} was not a preview task: its video is already exported")
    script_id = call.body.get("scriptId", 0)
    scripts = (parent.output or {}).get("scriptContentList") or []
    if scripts and script_id not in [s["scriptId"] for s in scripts]:
        raise not_found("scriptId", script_id)
    child = mock.new_task(call, M2V_EXPORT, parent=parent)
    return {"taskId": parent.task_id, "status": child.status, "errorMsg": None, "noticeUuid": child.notice_uuid}


# -- catalogues ----------------------------------------------------------------------------------------


def _matches(item: Mapping[str, Any], flt: Filter, wanted: Any) -> bool:
    if flt.mode == "eq":
        return bool(item.get(flt.field) == wanted)
    ids = {part.strip() for part in str(wanted).split(",") if part.strip()}
    if flt.mode == "csv":
        return str(item.get(flt.field)) in ids
    if flt.mode == "csv_list":
        return bool(ids & set(item.get(flt.field) or []))
    return any(entry.get(flt.id_key) in ids for entry in item.get(flt.field) or [])


async def catalogue(mock: Backend, call: Call) -> Any:
    """A seeded catalogue, filtered, sorted and paged as the row says."""
    row: CatalogueList = mock.table.by_list[call.op.operation_id]
    if row.custom and call.query.get("isCustom") is True:
        items = list(getattr(call.tenant, row.custom).values())
    else:
        items = mock.catalogues.items[row.catalogue]
        if row.custom and call.query.get("isCustom") is None:
            items = [*items, *getattr(call.tenant, row.custom).values()]
    for flt in row.filters:
        wanted = call.query.get(flt.param)
        if wanted not in (None, ""):
            items = [item for item in items if _matches(item, flt, wanted)]
    order = row.sort(call.query) if row.sort else None
    if order is not None:
        field, descending = order
        items = sorted(items, key=lambda item: item.get(field, 0), reverse=descending)
    properties = _item_fields(mock, row)
    shaped = [{k: v for k, v in item.items() if properties is None or k in properties} for item in items]
    if not row.paged:
        return shaped
    return call.page(shaped)


def _item_fields(mock: Backend, row: CatalogueList) -> set[str] | None:
    """The item fields the contract shows, so internal fields (scene, popularity) stay inside."""
    schema = mock.contract[row.operation_id].result_schema
    items = schema.get("items") if "items" in schema else (schema.get("properties", {}).get("data") or {}).get("items")
    if not items or "properties" not in items:
        return None
    return set(items["properties"])
