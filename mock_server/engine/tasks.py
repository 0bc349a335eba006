"""Tasks and their declared lifecycle: states, allowed transitions, and how a task progresses."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from .credits import credits

Status = Literal["init", "running", "success", "fail"]
TERMINAL: frozenset[str] = frozenset({"success", "fail"})

# The lifecycle every Topview task follows. States only move forward; terminal states never change.
TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {("init", "running"), ("init", "fail"), ("running", "success"), ("running", "fail")}
)
# The same, by the state a task leaves: looked up without building a pair for every move.
NEXT: dict[str, frozenset[str]] = {
    state: frozenset(to for source, to in TRANSITIONS if source == state) for state, _ in TRANSITIONS
}


class TransitionError(Exception):
    """A transition the lifecycle does not allow (a terminal task, or a step backwards)."""


@dataclass(frozen=True, slots=True)
class Progression:
    """How a task moves on: after ``init``/``running`` clock seconds, after that many polls, or manually."""

    mode: Literal["time", "polls", "manual"] = "time"
    init: float = 1.0
    running: float = 3.0

    def __post_init__(self) -> None:
        if self.mode not in ("time", "polls", "manual"):
            raise ValueError(f"progression mode must be time, polls or manual, not {self.mode!r}")
        if self.init < 0 or self.running < 0:
            raise ValueError("progression durations cannot be negative")


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a task ends: ``success``, or ``fail`` with the message the query shows as errorMsg."""

    status: Literal["success", "fail"] = "success"
    message: str | None = None

    @classmethod
    def parse(cls, text: str) -> Outcome:
        """Read ``success``, ``fail`` or ``fail; message=...`` (the X-Topview-Mock-Outcome header form)."""
        head, _, rest = text.partition(";")
        status = head.strip().lower()
        if status not in ("success", "fail"):
            raise ValueError("outcome must be 'success' or 'fail' (optionally 'fail; message=...')")
        message = None
        rest = rest.strip()
        if rest:
            key, _, value = rest.partition("=")
            if key.strip() != "message":
                raise ValueError("the only outcome option is message=...")
            message = value.strip()
        if status == "fail":
            return cls("fail", message or "Task failed")
        return cls("success")


@dataclass(slots=True, eq=False)
class Task:
    """One submitted task of one account."""

    task_id: str
    uid: str
    kind: str  # the group-table row that serves it
    operation_id: str  # the submit operation
    params: dict[str, Any]
    created_at: float
    progression: Progression
    outcome: Outcome
    cost: Decimal  # exact, to the thousandth (engine.credits)
    task_type: str  # credit-log taskType
    api_key: str = ""
    status: str = "init"
    polls: int = 0
    entered_at: float = 0.0  # when the current state began
    due_at: float | None = None
    finished_at: float | None = None
    error_msg: str | None = None
    notice_url: str | None = None
    notice_uuid: str | None = None
    board_id: str | None = None
    # Tuples, not lists: most tasks have neither, and an empty tuple is shared, where every task's own empty
    # lists were two more objects the garbage collector walked, as state grew, on every full collection.
    board_task_ids: tuple[str, ...] = ()
    parent_id: str | None = None  # e.g. an m2v export belongs to its m2v task
    children: tuple[str, ...] = ()
    output: dict[str, Any] | None = None  # the generated outputs, fixed once the task succeeds
    deleted: bool = False
    history: list[tuple[float, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.cost = credits(self.cost)  # a cost given as a float is read as the decimal it prints as

    @property
    def finished(self) -> bool:
        """True once the task is success or fail."""
        return self.status in TERMINAL

    def move(self, to: str, at: float) -> None:
        """Take one allowed transition at virtual time ``at``."""
        if to not in NEXT.get(self.status, ()):
            raise TransitionError(f"task {self.task_id} cannot go from {self.status} to {to}")
        self.status = to
        self.entered_at = at
        self.polls = 0
        self.history.append((at, to))
        if to in TERMINAL:
            self.finished_at = at
            self.due_at = None
