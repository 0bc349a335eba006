"""The task engine: submits tasks, moves them along their lifecycle on the clock, settles credits."""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .clock import Clock
from .errors import TopviewError
from .state import CreditLog, State, Tenant
from .tasks import Outcome, Progression, Task

FinishListener = Callable[[Task], None]


@dataclass
class Policies:
    """Progression and outcome settings, global and per account, per kind or per operation."""

    progression: Progression = field(default_factory=Progression)
    by_kind: dict[str, Progression] = field(default_factory=dict)
    by_uid: dict[str, Progression] = field(default_factory=dict)
    max_unfinished: int | None = None  # per-account concurrency limit (4007), off by default
    scripts: dict[str, deque[Outcome]] = field(default_factory=dict)  # operationId or "*" -> outcomes

    def progression_for(self, uid: str, kind: str) -> Progression:
        """The most specific progression: account, then task kind, then global."""
        return self.by_uid.get(uid) or self.by_kind.get(kind) or self.progression

    def reset(self, progression: Progression, max_unfinished: int | None) -> None:
        """Back to the configured settings: no overrides, no scripts."""
        self.progression, self.max_unfinished = progression, max_unfinished
        self.by_kind.clear()
        self.by_uid.clear()
        self.scripts.clear()

    def next_outcome(self, operation_id: str) -> Outcome | None:
        """The next scripted outcome for this operation (or for all), if any is queued."""
        for key in (operation_id, "*"):
            queue = self.scripts.get(key)
            if queue:
                return queue.popleft()
        return None


class Engine:
    """Owns every task's progress. Time-driven moves happen when due, however the clock moved."""

    def __init__(self, state: State, clock: Clock, policies: Policies) -> None:
        self.state = state
        self.clock = clock
        self.policies = policies
        self._due: list[tuple[float, int, Task]] = []
        self._seq = 0
        self._listeners: list[FinishListener] = []
        clock.subscribe(self.settle)

    def on_finish(self, listener: FinishListener) -> None:
        """Call ``listener(task)`` when any task reaches success or fail."""
        self._listeners.append(listener)

    # -- submitting ---------------------------------------------------------------------------------

    def submit(self, tenant: Tenant, task: Task) -> Task:
        """Admit a task: concurrency limit (4007), credit reservation (4100), then schedule it."""
        limit = self.policies.max_unfinished
        if limit is not None:
            unfinished = sum(1 for t in tenant.tasks.values() if not t.finished and not t.deleted)
            if unfinished >= limit:
                raise TopviewError("4007")
        ledger = tenant.ledger
        if task.cost > ledger.balance + 1e-9:
            raise TopviewError(
                "4100", f"Credit not enough: this task needs {task.cost:g} credits, {ledger.balance:g} left"
            )
        ledger.balance -= task.cost
        ledger.reserved += task.cost
        ledger.logs.append(CreditLog(task.created_at, task.task_id, task.task_type, task.cost, task.api_key, "reserve"))
        task.entered_at = task.created_at
        task.history.append((task.created_at, "init"))
        tenant.tasks[task.task_id] = task
        self._schedule(task, task.created_at)
        self.settle()
        return task

    def outcome_for(self, operation_id: str, forced: Outcome | None) -> Outcome:
        """A forced outcome wins; then a scripted one; otherwise success."""
        return forced or self.policies.next_outcome(operation_id) or Outcome()

    # -- progressing --------------------------------------------------------------------------------

    def settle(self) -> None:
        """Take every transition that is due by now, in time order."""
        now = self.clock.now()
        while self._due and self._due[0][0] <= now:
            due, _, task = heapq.heappop(self._due)
            if task.due_at != due or task.finished:
                continue  # rescheduled or finished meanwhile
            self._step(task, due)

    def polled(self, task: Task) -> None:
        """Count a query; in polls mode this is what moves the task."""
        self.settle()
        if task.finished or task.progression.mode != "polls":
            return
        task.polls += 1
        needed = task.progression.init if task.status == "init" else task.progression.running
        if task.polls >= needed:
            self._step(task, self.clock.now())

    def complete(self, task: Task, outcome: Outcome) -> Task:
        """Finish a task now with the given outcome (the control plane's force)."""
        self.settle()
        if task.finished:
            raise TopviewError("4000", f"task {task.task_id} is already {task.status}")
        task.outcome = outcome
        now = self.clock.now()
        if task.status == "init":
            task.move("running", now)
        self._finish(task, now)
        return task

    def reprogress(self, task: Task, progression: Progression) -> None:
        """Give an unfinished task a new progression; its time counts from when its current state began."""
        if task.finished:
            raise TopviewError("4000", f"task {task.task_id} is already {task.status}")
        task.progression = progression
        self._schedule(task, task.entered_at)
        self.settle()

    def _schedule(self, task: Task, at: float) -> None:
        if task.progression.mode != "time":
            task.due_at = None
            return
        wait = task.progression.init if task.status == "init" else task.progression.running
        task.due_at = at + wait
        self._seq += 1
        heapq.heappush(self._due, (task.due_at, self._seq, task))

    def _step(self, task: Task, at: float) -> None:
        if task.status == "init":
            task.move("running", at)
            self._schedule(task, at)  # settle()'s loop takes the next step too if it is already due
        elif task.status == "running":
            self._finish(task, at)

    def _finish(self, task: Task, at: float) -> None:
        target = task.outcome.status
        task.move(target, at)
        if target == "fail":
            task.error_msg = task.outcome.message or "Task failed"
        self._settle_credits(task)
        for listener in self._listeners:
            listener(task)

    def _settle_credits(self, task: Task) -> None:
        tenant = self.state.tenants.get(task.uid)
        if tenant is None:  # the account was reset while the task ran
            return
        ledger = tenant.ledger
        ledger.reserved -= task.cost
        at = task.finished_at or self.clock.now()
        if task.status == "success":
            ledger.spent += task.cost
            ledger.logs.append(CreditLog(at, task.task_id, task.task_type, task.cost, task.api_key, "spend"))
        else:  # failed tasks cost nothing (documented)
            ledger.balance += task.cost
            ledger.logs.append(CreditLog(at, task.task_id, task.task_type, task.cost, task.api_key, "release"))

    def forget(self) -> None:
        """Drop all scheduled work (after a full reset)."""
        self._due.clear()


def describe(task: Task) -> dict[str, Any]:
    """A task as the control plane shows it."""
    return {
        "taskId": task.task_id,
        "uid": task.uid,
        "kind": task.kind,
        "operationId": task.operation_id,
        "status": task.status,
        "createdAt": task.created_at,
        "finishedAt": task.finished_at,
        "dueAt": task.due_at,
        "polls": task.polls,
        "progression": task.progression.mode,
        "outcome": task.outcome.status,
        "errorMsg": task.error_msg,
        "cost": task.cost,
        "noticeUrl": task.notice_url,
        "noticeUuid": task.notice_uuid,
        "parentId": task.parent_id,
        "history": [{"at": at, "status": status} for at, status in task.history],
    }
