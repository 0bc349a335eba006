"""The task engine: submits tasks, moves them along their lifecycle on the clock, settles credits."""

from __future__ import annotations

import asyncio
import heapq
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .clock import Clock
from .credits import credit_number, shown
from .errors import TopviewError
from .state import CreditLog, State, Tenant
from .tasks import Outcome, Progression, Task

FinishListener = Callable[[Task], None]

# Transitions taken in one go before the engine lets the event loop serve others (see Engine.settle).
SLICE = 256
# The outcome of every task not told otherwise: one shared record (it is frozen), not one more object per task
# for the garbage collector to walk, as state grows, on every full collection.
SUCCEEDS = Outcome()


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
        self._due_by_uid: dict[str, list[tuple[float, int, Task]]] = {}  # the same entries, per account
        self._seq = 0
        self._listeners: list[FinishListener] = []
        self._background: asyncio.Task[None] | None = None
        self.transitions = 0  # every transition taken so far: the engine's own account of its work
        clock.subscribe(self._on_clock)

    def on_finish(self, listener: FinishListener) -> None:
        """Call ``listener(task)`` when any task reaches success or fail."""
        self._listeners.append(listener)

    # -- submitting ---------------------------------------------------------------------------------

    def submit(self, tenant: Tenant, task: Task) -> Task:
        """Admit a task: concurrency limit (4007), credit reservation (4100), then schedule it."""
        limit = self.policies.max_unfinished
        if limit is not None:
            self.settle_tenant(tenant.uid)
            unfinished = sum(1 for t in tenant.tasks.values() if not t.finished and not t.deleted)
            if unfinished >= limit:
                raise TopviewError("4007")
        ledger = tenant.ledger
        if task.cost > ledger.balance:
            self.settle_tenant(tenant.uid)  # a task due to fail refunds its cost first
        if task.cost > ledger.balance:
            raise TopviewError(
                "4100", f"Credit not enough: this task needs {shown(task.cost)} credits, {shown(ledger.balance)} left"
            )
        ledger.balance -= task.cost
        ledger.reserved += task.cost
        ledger.logs.append(CreditLog(task.created_at, task.task_id, task.task_type, task.cost, task.api_key, "reserve"))
        task.entered_at = task.created_at
        task.history.append((task.created_at, "init"))
        tenant.add_task(task)
        self.state.note(task)
        self._schedule(task, task.created_at)
        self.settle_task(task)
        return task

    def outcome_for(self, operation_id: str, forced: Outcome | None) -> Outcome:
        """A forced outcome wins; then a scripted one; otherwise success."""
        return forced or self.policies.next_outcome(operation_id) or SUCCEEDS

    # -- progressing --------------------------------------------------------------------------------

    def settle(self, limit: int | None = None) -> bool:
        """Take transitions that are due by now, in time order: all of them, or at most ``limit``.

        True when nothing due is left.
        """
        return self._take(self._due, limit)

    def settle_tenant(self, uid: str) -> None:
        """Take every transition of one account that is due by now (what an account-wide read needs)."""
        due = self._due_by_uid.get(uid)
        if due:
            self._take(due, None)

    def _take(self, due_list: list[tuple[float, int, Task]], limit: int | None) -> bool:
        now = self.clock.now()
        taken = 0
        while due_list and due_list[0][0] <= now:
            if limit is not None and taken >= limit:
                return False
            entry = heapq.heappop(due_list)
            if _stale(entry):
                continue
            task = entry[2]
            self._step(task, entry[0])
            taken += 1
        return True

    def settle_task(self, task: Task) -> Task:
        """Bring one task up to date with the clock, whatever else is due (a query needs no more)."""
        now = self.clock.now()
        while task.due_at is not None and task.due_at <= now and not task.finished:
            self._step(task, task.due_at)  # its entry in the heap is skipped when popped later
        return task

    def _on_clock(self) -> None:
        """Clock listener: due work runs now, or in slices that let a running event loop serve others.

        Without a running loop (a sync caller moved the clock) nobody else waits, so everything due
        happens at once. Inside one, a slice runs now and the rest in a background task, a slice per
        loop turn: 20,000 tasks finishing at one advance never hold up a request, which brings what it
        reads up to date itself (``settle_task``, ``settle`` for account-wide reads).
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.settle()
            return
        if not self.settle(SLICE) and (self._background is None or self._background.done()):
            self._background = loop.create_task(self._settle_in_slices())

    async def _settle_in_slices(self) -> None:
        while not self.settle(SLICE):
            await asyncio.sleep(0)

    async def caught_up(self) -> None:
        """Wait until no due transition is left (background slices included)."""
        while not self.settle(SLICE):
            await asyncio.sleep(0)

    def polled(self, task: Task) -> None:
        """Count a query; in polls mode this is what moves the task."""
        self.settle_task(task)
        if task.finished or task.progression.mode != "polls":
            return
        task.polls += 1
        self.state.note(task)
        needed = task.progression.init if task.status == "init" else task.progression.running
        if task.polls >= needed:
            self._step(task, self.clock.now())

    def complete(self, task: Task, outcome: Outcome) -> Task:
        """Finish a task now with the given outcome (the control plane's force)."""
        self.settle_task(task)
        if task.finished:
            raise TopviewError("4000", f"task {task.task_id} is already {task.status}")
        task.outcome = outcome
        now = self.clock.now()
        if task.status == "init":
            task.move("running", now)
        self._finish(task, now)  # notes the task
        return task

    def reprogress(self, task: Task, progression: Progression) -> None:
        """Give an unfinished task a new progression; its time counts from when its current state began."""
        if task.finished:
            raise TopviewError("4000", f"task {task.task_id} is already {task.status}")
        task.progression = progression
        self.state.note(task)
        self._schedule(task, task.entered_at)
        self.settle_task(task)

    def _schedule(self, task: Task, at: float) -> None:
        if task.progression.mode != "time":
            task.due_at = None
            return
        wait = task.progression.init if task.status == "init" else task.progression.running
        task.due_at = due = at + wait
        self._queue(task, due)

    def _step(self, task: Task, at: float) -> None:
        self.transitions += 1
        self.state.note(task)
        if task.status == "init":
            task.move("running", at)
            self._schedule(task, at)  # settle()'s loop takes the next step too if it is already due
        elif task.status == "running":
            self._finish(task, at)

    def _finish(self, task: Task, at: float) -> None:
        self.state.note(task)  # its status, and its account's ledger
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

    def adopt(self, task: Task) -> None:
        """Schedule a task restored from disk at the due time it had (its state is already its own)."""
        if task.due_at is not None and not task.finished:
            self._queue(task, task.due_at)

    def _queue(self, task: Task, due: float) -> None:
        """Queue the task's next transition, due at ``due``, in the fake's heap and its account's."""
        self._seq += 1
        entry = (due, self._seq, task)
        heapq.heappush(self._due, entry)
        lane = self._due_by_uid.setdefault(task.uid, [])
        # The fake's heap takes most transitions, and their entries stay in the account's until an
        # account-wide read: drop those at its top as new ones join, so it holds about the account's
        # unfinished tasks, not two entries for every task ever submitted.
        while lane and _stale(lane[0]):
            heapq.heappop(lane)
        heapq.heappush(lane, entry)

    def forget(self) -> None:
        """Drop all scheduled work (after a full reset)."""
        self._due.clear()
        self._due_by_uid.clear()
        if self._background is not None:
            self._background.cancel()
            self._background = None


def _stale(entry: tuple[float, int, Task]) -> bool:
    """True when a queued transition is no longer the task's: rescheduled, finished meanwhile, or already taken
    from the other heap."""
    due, _, task = entry
    return task.due_at != due or task.finished


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
        "cost": credit_number(task.cost),
        "noticeUrl": task.notice_url,
        "noticeUuid": task.notice_uuid,
        "parentId": task.parent_id,
        "history": [{"at": at, "status": status} for at, status in task.history],
    }
