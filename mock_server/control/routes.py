"""The control API over HTTP, under ``/_mock/``: the same operations as TopviewMock's Python methods.

These routes are not part of the Topview contract. They answer plain JSON (never the envelope);
bad input answers HTTP 400 ``{"error": "<field> ..."}``, an unknown task 404, a finished one 409.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..callbacks.records import DeliveryState, NoticeDelivery
from ..engine.lifecycle import describe
from ..engine.tasks import Outcome, Progression, Task
from . import schema
from .index import PREFIX, index, openapi_json, openapi_yaml
from .scenario import FIELDS as SCENARIO_FIELDS
from .scenario import Scenario, unknown_operations
from .schema import ControlError
from .surface import Controls

Action = Callable[[Controls, Request], Awaitable[Any]]


# -- state, clock, tasks -------------------------------------------------------------------------------


async def reset(mock: Controls, request: Request) -> Any:
    """POST /_mock/reset {"uid"?}: forget one account, or everything."""
    uid = schema.text(await schema.read_body(request, frozenset({"uid"})), "uid")
    mock.reset(uid)
    return {"reset": uid or "all"}


async def clock(mock: Controls, request: Request) -> Any:
    """GET /_mock/clock: the virtual time and how it moves."""
    return clock_json(mock)


async def advance(mock: Controls, request: Request) -> Any:
    """POST /_mock/clock/advance {"seconds"}: move virtual time; due work happens on the way."""
    body = await schema.read_body(request, frozenset({"seconds"}))
    try:
        mock.advance(schema.number(body, "seconds", required=True, minimum=0) or 0.0)
    except ValueError as error:  # beyond the year 3000
        raise ControlError(f"seconds: {error}") from None
    return clock_json(mock)


def clock_json(mock: Controls) -> dict[str, Any]:
    """The clock as the control API shows it."""
    return {"now": mock.clock.now(), "mode": mock.clock.mode, "speed": mock.clock.speed}


async def accounts(mock: Controls, request: Request) -> Any:
    """GET /_mock/accounts: every account the fake knows, with its credits and how many tasks it has."""
    return {"accounts": mock.accounts()}


async def tasks(mock: Controls, request: Request) -> Any:
    """GET /_mock/tasks?uid=&status=&limit=: every task, or one account's, optionally in one status (the newest N)."""
    status = request.query_params.get("status")
    found = mock.tasks(request.query_params.get("uid") or None)
    return {"tasks": _newest([t for t in found if status is None or t["status"] == status], request)}


def _newest(items: list[Any], request: Request) -> list[Any]:
    """The last ``limit`` items (all without a limit); a bad limit is refused."""
    limit = _limit(request)
    return items if limit is None else items[-limit:]


def _limit(request: Request) -> int | None:
    """The ``limit`` query parameter: a positive integer, or None when absent."""
    limit = request.query_params.get("limit")
    if limit is None:
        return None
    # ASCII digits only ("²" is a digit to isdigit(), not to int()), and no int() of 5,000 digits.
    if not (limit.isascii() and limit.isdigit() and len(limit) <= 18 and int(limit) > 0):
        raise ControlError("limit must be a positive integer")
    return int(limit)


async def task(mock: Controls, request: Request) -> Any:
    """GET /_mock/tasks/{taskId}: one task with its history."""
    return describe(_task(mock, request.path_params["task_id"]))


async def complete(mock: Controls, request: Request) -> Any:
    """POST /_mock/tasks/{taskId}/complete {"status", "errorMsg"}: finish it now."""
    found = _unfinished(mock, request.path_params["task_id"])
    wanted = _outcome(await schema.read_body(request, frozenset({"status", "errorMsg"})))
    return mock.complete(found.task_id, wanted.status, wanted.message)


async def force(mock: Controls, request: Request) -> Any:
    """POST /_mock/tasks/{taskId}/outcome {"status", "errorMsg"}: how it ends when it ends."""
    found = _unfinished(mock, request.path_params["task_id"])
    wanted = _outcome(await schema.read_body(request, frozenset({"status", "errorMsg"})))
    return mock.force(found.task_id, wanted.status, wanted.message)


def _task(mock: Controls, task_id: str) -> Task:
    mock.engine.settle()  # the control plane shows every task as of now
    found = mock.state.find_task(task_id)
    if found is None:
        raise ControlError(f"taskId {task_id} is not a task of this fake", 404)
    return found


def _unfinished(mock: Controls, task_id: str) -> Task:
    found = _task(mock, task_id)
    if found.finished:  # terminal states never change
        raise ControlError(f"taskId {found.task_id} is already {found.status}", 409)
    return found


def _outcome(body: schema.Body) -> Outcome:
    return schema.outcome({"status": body.get("status", "success"), "errorMsg": body.get("errorMsg")}, "status")


# -- behaviour: outcomes, progression, concurrency, credits ---------------------------------------------


async def script(mock: Controls, request: Request) -> Any:
    """POST /_mock/outcomes {"operationId", "outcomes"}: how the next submitted tasks will end."""
    body = await schema.read_body(request, frozenset({"operationId", "outcomes"}))
    operation = _operation(mock, schema.text(body, "operationId") or "*")
    mock.script_outcomes(operation, schema.outcomes(body))
    return scripts(mock)


async def show_scripts(mock: Controls, request: Request) -> Any:
    """GET /_mock/outcomes: the outcomes still queued, per operation."""
    return scripts(mock)


async def clear_scripts(mock: Controls, request: Request) -> Any:
    """DELETE /_mock/outcomes: drop every queued outcome."""
    mock.policies.scripts.clear()
    return scripts(mock)


def scripts(mock: Controls) -> dict[str, Any]:
    """Queued outcomes as the control API shows them."""
    return {
        "outcomes": {
            op: [{"status": o.status, "errorMsg": o.message} for o in queue]
            for op, queue in mock.policies.scripts.items()
        }
    }


async def set_progression(mock: Controls, request: Request) -> Any:
    """PUT /_mock/progression {"mode", "init", "running", "uid"? | "kind"? | "taskId"?}: how tasks move on."""
    body = await schema.read_body(request, frozenset({"mode", "init", "running", "uid", "kind", "taskId"}))
    scopes = [name for name in ("uid", "kind", "taskId") if body.get(name) is not None]
    if len(scopes) > 1:
        raise ControlError(f"give at most one of uid, kind, taskId (got {', '.join(scopes)})")
    uid, kind, task_id = schema.text(body, "uid"), schema.text(body, "kind"), schema.text(body, "taskId")
    if kind is not None and kind not in mock.table.by_name:
        raise ControlError(f"kind must be one of {', '.join(mock.table.by_name)}")
    policies = mock.policies
    if task_id is not None:
        base = _unfinished(mock, task_id).progression
    else:
        base = policies.progression_for(uid or "", kind or "")
    try:
        mock.set_progression(schema.progression(body, base), uid=uid, kind=kind, task_id=task_id)
    except ValueError as error:
        raise ControlError(str(error)) from None
    return progressions(mock)


async def show_progression(mock: Controls, request: Request) -> Any:
    """GET /_mock/progression: the global, per-account and per-kind progressions and the 4007 limit."""
    return progressions(mock)


def progressions(mock: Controls) -> dict[str, Any]:
    """Policies as the control API shows them."""
    p = mock.policies

    def show(pr: Progression) -> dict[str, Any]:
        return {"mode": pr.mode, "init": pr.init, "running": pr.running}

    return {
        "global": show(p.progression),
        "byUid": {k: show(v) for k, v in p.by_uid.items()},
        "byKind": {k: show(v) for k, v in p.by_kind.items()},
        "maxUnfinished": p.max_unfinished,
    }


async def concurrency(mock: Controls, request: Request) -> Any:
    """PUT /_mock/concurrency {"maxUnfinished": n | null}: the per-account limit answering 4007."""
    body = await schema.read_body(request, frozenset({"maxUnfinished"}))
    if "maxUnfinished" not in body:
        raise ControlError("maxUnfinished is required (null turns the limit off)")
    mock.set_max_unfinished(schema.integer(body, "maxUnfinished", minimum=1))
    return {"maxUnfinished": mock.policies.max_unfinished}


async def set_credits(mock: Controls, request: Request) -> Any:
    """PUT /_mock/credits {"uid", "credit"}: the account's balance from now on."""
    body = await schema.read_body(request, frozenset({"uid", "credit"}))
    uid = schema.text(body, "uid", required=True) or ""
    try:
        mock.set_credits(uid, schema.number(body, "credit", required=True, minimum=0) or 0.0)
    except ValueError as error:  # more than the ledger holds
        raise ControlError(f"credit: {error}") from None
    return mock.credits(uid)


async def credits(mock: Controls, request: Request) -> Any:
    """GET /_mock/credits?uid=: the account's ledger (granted = balance + reserved + spent)."""
    uid = request.query_params.get("uid")
    if not uid:
        raise ControlError("uid is required")
    return mock.credits(uid)


def _operation(mock: Controls, operation_id: str) -> str:
    known = {op.operation_id for op in mock.contract}
    if operation_id != "*" and operation_id not in known:
        raise ControlError(f"operationId {operation_id} is not an operation of the contract (or '*')")
    return operation_id


# -- scenarios -------------------------------------------------------------------------------------------


async def put_scenario(mock: Controls, request: Request) -> Any:
    """PUT /_mock/scenario {progression?, outcomes?, faults?, variants?, account?, callbacks?}: reset, then apply."""
    scenario = Scenario.from_json(await schema.read_body(request, SCENARIO_FIELDS))
    unknown = unknown_operations(scenario, {op.operation_id for op in mock.contract})
    if unknown:
        raise ControlError(f"{unknown[0]} is not an operation of the contract")
    return {"scenario": mock.apply_scenario(scenario).to_json()}


async def show_scenario(mock: Controls, request: Request) -> Any:
    """GET /_mock/scenario: the scenario applied last ({} when none since the last reset)."""
    return {"scenario": mock.scenario.to_json()}


# -- faults and journal ----------------------------------------------------------------------------------


async def add_fault(mock: Controls, request: Request) -> Any:
    """POST /_mock/faults {operationId?, uid?, code? status? latency? drop?, times? probability? seed?}: add a rule."""
    spec = schema.fault_spec(await schema.read_body(request, schema.FAULT_FIELDS))
    _operation(mock, spec.operation)
    return mock.add_fault(spec).to_json()


async def faults(mock: Controls, request: Request) -> Any:
    """GET /_mock/faults: every rule with its counters."""
    return {"faults": [rule.to_json() for rule in mock.faults.rules()]}


async def clear_faults(mock: Controls, request: Request) -> Any:
    """DELETE /_mock/faults: drop every rule."""
    mock.faults.reset()
    return {"faults": []}


async def remove_fault(mock: Controls, request: Request) -> Any:
    """DELETE /_mock/faults/{faultId}: drop one rule."""
    rule_id = request.path_params["fault_id"]
    try:
        mock.faults.remove(rule_id)
    except KeyError:
        raise ControlError(f"faultId {rule_id} is not an active fault rule", 404) from None
    return {"faults": [rule.to_json() for rule in mock.faults.rules()]}


async def journal(mock: Controls, request: Request) -> Any:
    """GET /_mock/journal?uid=&operationId=&code=&limit=: journalled exchanges, oldest first."""
    q = request.query_params
    found = mock.journal.entries(
        uid=q.get("uid"), operation_id=q.get("operationId"), code=q.get("code"), limit=_limit(request)
    )
    return {"entries": [entry.to_json() for entry in found]}


async def clear_journal(mock: Controls, request: Request) -> Any:
    """DELETE /_mock/journal: forget every journalled exchange."""
    mock.journal.reset()
    return {"entries": []}


# -- callbacks (noticeUrl deliveries) ---------------------------------------------------------------------

DELIVERY_STATES: tuple[DeliveryState, ...] = ("pending", "delivering", "delivered", "failed", "refused")


async def callbacks(mock: Controls, request: Request) -> Any:
    """GET /_mock/callbacks?uid=&taskId=&state=&limit=: the callback journal, oldest first, every attempt shown."""
    q = request.query_params
    state = q.get("state") or None
    if state is not None and state not in DELIVERY_STATES:
        raise ControlError(f"state must be one of {', '.join(DELIVERY_STATES)}")
    found = mock.callbacks(uid=q.get("uid") or None, task_id=q.get("taskId") or None, state=state)
    return {"callbacks": [delivery.to_json() for delivery in _newest(found, request)]}


async def callback(mock: Controls, request: Request) -> Any:
    """GET /_mock/callbacks/{id}: one delivery with its attempts."""
    return _delivery(mock, request.path_params["delivery_id"]).to_json()


async def replay_callback(mock: Controls, request: Request) -> Any:
    """POST /_mock/callbacks/{id}/replay: send a finished delivery's notice again, as a new delivery."""
    original = _delivery(mock, request.path_params["delivery_id"])
    if not original.finished:  # it will still be attempted: a replay now would only duplicate it
        raise ControlError(f"callback {original.id} is still {original.state}", 409)
    return mock.replay_callback(original.id).to_json()


async def drain_callbacks(mock: Controls, request: Request) -> Any:
    """POST /_mock/callbacks/drain: wait until no attempt is in flight; lists what still waits on the clock."""
    waiting = await mock.adrain_callbacks()
    return {"now": mock.clock.now(), "pending": [delivery.to_json() for delivery in waiting]}


async def show_notice_policy(mock: Controls, request: Request) -> Any:
    """GET /_mock/callbacks/policy: retries, allowed hosts and receiver-testing aids in force."""
    return schema.policy_json(mock.notices.policy)


async def set_notice_policy(mock: Controls, request: Request) -> Any:
    """PUT /_mock/callbacks/policy {maxAttempts?, firstDelay?, ..., deliverTwice?}: omitted fields stay."""
    body = await schema.read_body(request, schema.POLICY_FIELDS)
    return schema.policy_json(mock.set_notice_policy(schema.notice_policy(body, mock.notices.policy)))


def _delivery(mock: Controls, delivery_id: str) -> NoticeDelivery:
    found = mock.notices.get(delivery_id)
    if found is None:
        raise ControlError(f"callback {delivery_id} is not in the callback journal", 404)
    return found


# -- routing ---------------------------------------------------------------------------------------------

ROUTES: tuple[tuple[str, str, Action], ...] = (
    ("GET", "/", index),
    ("GET", "/openapi.yaml", openapi_yaml),
    ("GET", "/openapi.json", openapi_json),
    ("POST", "/reset", reset),
    ("GET", "/clock", clock),
    ("POST", "/clock/advance", advance),
    ("GET", "/accounts", accounts),
    ("GET", "/tasks", tasks),
    ("GET", "/tasks/{task_id}", task),
    ("POST", "/tasks/{task_id}/complete", complete),
    ("POST", "/tasks/{task_id}/outcome", force),
    ("POST", "/outcomes", script),
    ("GET", "/outcomes", show_scripts),
    ("DELETE", "/outcomes", clear_scripts),
    ("PUT", "/progression", set_progression),
    ("GET", "/progression", show_progression),
    ("PUT", "/concurrency", concurrency),
    ("PUT", "/credits", set_credits),
    ("GET", "/credits", credits),
    ("PUT", "/scenario", put_scenario),
    ("GET", "/scenario", show_scenario),
    ("POST", "/faults", add_fault),
    ("GET", "/faults", faults),
    ("DELETE", "/faults", clear_faults),
    ("DELETE", "/faults/{fault_id}", remove_fault),
    ("GET", "/journal", journal),
    ("DELETE", "/journal", clear_journal),
    ("GET", "/callbacks", callbacks),
    # Fixed paths before "/callbacks/{delivery_id}", which would otherwise match them.
    ("GET", "/callbacks/policy", show_notice_policy),
    ("PUT", "/callbacks/policy", set_notice_policy),
    ("POST", "/callbacks/drain", drain_callbacks),
    ("GET", "/callbacks/{delivery_id}", callback),
    ("POST", "/callbacks/{delivery_id}/replay", replay_callback),
)


def control_routes(mock: Controls) -> list[BaseRoute]:
    """The control routes of one fake, bound to it."""
    return [
        Route(PREFIX + path, _endpoint(mock, action), methods=[method], name=f"control:{method}:{path}")
        for method, path, action in ROUTES
    ]


def _endpoint(mock: Controls, action: Action) -> Callable[[Request], Awaitable[Response]]:
    async def serve(request: Request) -> Response:
        try:
            answer = await action(mock, request)
        except ControlError as error:
            return JSONResponse({"error": error.message}, status_code=error.status)
        return answer if isinstance(answer, Response) else JSONResponse(answer)

    serve.__doc__ = action.__doc__  # what the index says of the route
    return serve
