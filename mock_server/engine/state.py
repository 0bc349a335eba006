"""All mutable state of one fake, split by account (``Topview-Uid``).

One :class:`State` is created by the app factory; nothing lives at module level, so two apps in one
process share nothing.
"""

from __future__ import annotations

import bisect
import heapq
import random
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .credits import ZERO, credits
from .tasks import Task


class IdFactory:
    """32-lowercase-hex ids (taskId, fileId, noticeUuid, ...), stable under a seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._rng = random.Random(seed)
        self.issued = 0  # ids handed out since the sequence began: where a restarted fake resumes

    def new(self) -> str:
        """The next id."""
        self.issued += 1
        return f"{self._rng.getrandbits(128):032x}"

    def resume(self, issued: int) -> None:
        """Continue the seeded sequence after ``issued`` ids, so none is ever handed out twice."""
        self.reset()
        for _ in range(issued):
            self._rng.getrandbits(128)
        self.issued = issued

    def reset(self) -> None:
        """Start the sequence again."""
        self._rng = random.Random(self.seed)
        self.issued = 0


@dataclass(slots=True)
class Changes:
    """What changed since a persistent fake last wrote its state down (an in-memory fake keeps none).

    Tasks are noted where they change (the engine, deletes, results made); an account is noted for what
    it holds besides tasks (ledger, boards, voices, ...), which is small and written down whole.
    """

    tasks: set[Task] = field(default_factory=set)
    uids: set[str] = field(default_factory=set)


@dataclass(slots=True)
class FileRecord:
    """A file known to an account: an upload (credential issued, maybe PUT) or a task output."""

    file_id: str
    uid: str
    format: str
    key: str
    created_at: float
    uploaded: bool = False
    kind: str | None = None  # image | video | audio, from the bytes once they arrive
    width: int | None = None
    height: int | None = None
    duration: float | None = None


@dataclass(slots=True)
class Board:
    """A board that holds an account's tasks."""

    board_id: str
    uid: str
    name: str
    created_at: float
    modified_at: float
    is_default: bool = False


class Shelf:
    """One board's tasks, by kind, in the order they were created: a board's page walks only its page.

    Each lane holds ``(created_at, filed, task)``, ``filed`` counting up as tasks are filed, so two tasks
    created in the same instant keep the order they came in (newest first reverses it too).
    """

    __slots__ = ("_filed", "counts", "lanes")

    def __init__(self) -> None:
        self.lanes: dict[str, list[tuple[float, int, Task]]] = {}
        self.counts: dict[str, int] = {}  # undeleted tasks of each kind
        self._filed = 0

    def file(self, task: Task) -> None:
        """Put a task on the board (in place, should it be older than the last one: a restored task)."""
        self._filed += 1
        entry = (task.created_at, self._filed, task)
        lane = self.lanes.setdefault(task.kind, [])
        if lane and entry < lane[-1]:
            bisect.insort(lane, entry)
        else:
            lane.append(entry)
        if not task.deleted:
            self.counts[task.kind] = self.counts.get(task.kind, 0) + 1

    def took_off(self, task: Task) -> None:
        """A task on the board was deleted."""
        self.counts[task.kind] -= 1

    def count(self, kinds: Iterable[str]) -> int:
        """How many undeleted tasks of ``kinds`` the board holds."""
        return sum(self.counts.get(kind, 0) for kind in kinds)

    def walk(self, kinds: Iterable[str], newest_first: bool) -> Iterator[Task]:
        """The undeleted tasks of ``kinds``, oldest or newest first, taken one by one as they are read."""
        lanes = [self.lanes[kind] for kind in kinds if kind in self.lanes]
        merged = heapq.merge(*(reversed(lane) if newest_first else lane for lane in lanes), reverse=newest_first)
        return (task for _, _, task in merged if not task.deleted)


@dataclass(slots=True)
class CreditLog:
    """One movement of credits, as ``/user/credit/logs`` shows it."""

    at: float
    task_id: str
    task_type: str
    cost: Decimal
    api_key: str
    kind: str  # reserve | spend | release | grant


@dataclass(slots=True)
class Ledger:
    """An account's credits, exact: ``balance + reserved + spent == granted`` always holds."""

    granted: Decimal
    balance: Decimal
    reserved: Decimal = ZERO
    spent: Decimal = ZERO
    logs: list[CreditLog] = field(default_factory=list)


@dataclass(slots=True)
class Tenant:
    """Everything one account owns."""

    uid: str
    ledger: Ledger
    tasks: OrderedDict[str, Task] = field(default_factory=OrderedDict)
    files: dict[str, FileRecord] = field(default_factory=dict)
    boards: OrderedDict[str, Board] = field(default_factory=OrderedDict)
    voices: OrderedDict[str, dict[str, Any]] = field(default_factory=OrderedDict)  # cloned voices
    avatars: OrderedDict[str, dict[str, Any]] = field(default_factory=OrderedDict)  # custom AI avatars
    photo_avatars: OrderedDict[str, dict[str, Any]] = field(default_factory=OrderedDict)  # custom photo avatars
    replace_keys: dict[str, str] = field(default_factory=dict)  # PA v1 key / v2 imageId -> taskId
    downloads: dict[str, dict[str, Any]] = field(default_factory=dict)  # board batch downloads
    unmade: dict[str, Task] = field(default_factory=dict)  # succeeded, result not made yet, in finish order
    # Each kind's tasks in submit order, and how many of them are deleted: a list page costs its page.
    by_kind: dict[str, list[Task]] = field(default_factory=dict)
    deleted_by_kind: dict[str, int] = field(default_factory=dict)
    shelves: dict[str, Shelf] = field(default_factory=dict)  # the tasks filed on each board
    changes: Changes | None = field(default=None, repr=False)  # set on a persistent fake

    def add_task(self, task: Task) -> None:
        """File a newly admitted task (or a restored one, deleted or not)."""
        self.tasks[task.task_id] = task
        self.by_kind.setdefault(task.kind, []).append(task)
        if task.deleted:
            self.deleted_by_kind[task.kind] = self.deleted_by_kind.get(task.kind, 0) + 1
        if task.board_id is not None:
            self.shelf(task.board_id).file(task)

    def shelf(self, board_id: str) -> Shelf:
        """The tasks filed on a board (none yet for a new or unknown one)."""
        shelf = self.shelves.get(board_id)
        if shelf is None:
            shelf = self.shelves[board_id] = Shelf()
        return shelf

    def delete_task(self, task: Task) -> None:
        """Mark a task deleted (it stays, hidden from lists and lookups)."""
        if not task.deleted:
            task.deleted = True
            self.deleted_by_kind[task.kind] = self.deleted_by_kind.get(task.kind, 0) + 1
            if task.board_id is not None:
                self.shelf(task.board_id).took_off(task)
            if self.changes is not None:
                self.changes.tasks.add(task)

    def newest(self, kind: str, start: int, count: int) -> tuple[list[Task], int]:
        """Undeleted tasks of ``kind``, newest first: ``count`` of them from ``start``, and how many there are."""
        tasks = self.by_kind.get(kind, [])
        page: list[Task] = []
        skipped = 0
        for task in reversed(tasks):
            if len(page) >= count:
                break
            if task.deleted:
                continue
            if skipped < start:
                skipped += 1
                continue
            page.append(task)
        return page, len(tasks) - self.deleted_by_kind.get(kind, 0)

    @property
    def default_board(self) -> Board:
        """The system default board every account has ("My First Board")."""
        return next(board for board in self.boards.values() if board.is_default)


class State:
    """The tenants of one fake, created on first use, with reset."""

    def __init__(self, seed: int, default_credits: float | Decimal) -> None:
        self.ids = IdFactory(seed)
        self.default_credits = credits(default_credits)
        self.tenants: dict[str, Tenant] = {}
        self.credit_overrides: dict[str, Decimal] = {}
        self.changes: Changes | None = None  # a persistent fake's record of what to write down next
        self.generation = 0  # full resets so far: a persistent fake starts its records again after one

    def tenant(self, uid: str, now: float) -> Tenant:
        """The account ``uid``, created with its default board and credits on first use."""
        tenant = self.tenants.get(uid)
        if tenant is None:
            amount = self.credit_overrides.get(uid, self.default_credits)
            tenant = Tenant(uid=uid, ledger=Ledger(granted=amount, balance=amount))
            board = Board(self.ids.new(), uid, "My First Board", now, now, is_default=True)
            tenant.boards[board.board_id] = board
            tenant.changes = self.changes
            self.tenants[uid] = tenant
            self.note_uid(uid)
        return tenant

    def note(self, task: Task) -> None:
        """Remember that ``task`` changed, for a persistent fake's next write (nothing to do otherwise)."""
        if self.changes is not None:
            self.changes.tasks.add(task)

    def note_uid(self, uid: str) -> None:
        """Remember that account ``uid`` changed besides its tasks (ledger, boards, files, ...)."""
        if self.changes is not None:
            self.changes.uids.add(uid)

    def find_task(self, task_id: str) -> Task | None:
        """A task of any account (for the control plane only; Topview routes never cross accounts)."""
        for tenant in self.tenants.values():
            if task_id in tenant.tasks:
                return tenant.tasks[task_id]
        return None

    def reset(self, uid: str | None = None) -> None:
        """Forget one account, or everything (ids start their seeded sequence again)."""
        if uid is None:
            self.tenants.clear()
            self.ids.reset()
            self.generation += 1
        else:
            self.tenants.pop(uid, None)
            self.note_uid(uid)
