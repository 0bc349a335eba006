"""The fake Topview backend: every part of one fake, and what a Topview request does to them.

The facade (:class:`~mock_server.mock.TopviewMock`) extends this class with the Python control API;
the handlers of this package receive it. Two backends share nothing: all mutable state hangs off one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from weakref import WeakValueDictionary

from starlette.requests import Request
from starlette.responses import Response

from ..callbacks.dispatcher import NoticeDispatcher
from ..callbacks.payloads import PendingNotice, build_notice_body, notice_result
from ..callbacks.policy import normalise_notice_url
from ..config import MockConfig
from ..contract.catalogues import Catalogues
from ..contract.groups import Table, TaskKind
from ..contract.lookups import Lookups
from ..contract.media_rules import NAMED_CHECKS
from ..contract.models import ModelCatalogue
from ..contract.openapi import Contract
from ..contract.outputs import generate, query_result
from ..contract.results import render
from ..contract.rules import validate_rules
from ..control.faults import Faults
from ..control.journal import OBJECT_DOWNLOAD, OBJECT_UPLOAD, Journal
from ..control.scenario import Scenario
from ..control.variants import Variants
from ..engine.clock import Clock
from ..engine.credits import credits
from ..engine.errors import TopviewError
from ..engine.lifecycle import Engine, Policies
from ..engine.state import State, Tenant
from ..engine.tasks import Outcome, Task
from ..storage.links import Media, ResultLinks
from ..storage.store import ObjectStore
from ..storage.uploads import receive_upload
from .call import Call

if TYPE_CHECKING:
    from faker import Faker

    from ..persistence.data_dir import DataDir


MAX_RENDERED = 4096  # finished results kept rendered; beyond, the one rendered longest ago goes


@dataclass(frozen=True, slots=True)
class Rendered:
    """A result already rendered (its Media signed into URLs) or holding none: the pipeline sends it as it is."""

    value: dict[str, Any]


class Backend:
    """One fake Topview: contract, state, engine, object store, callbacks, faults and journal."""

    def __init__(self, config: MockConfig | None = None, *, contract: Contract | None = None) -> None:
        self.config = config = config or MockConfig()
        self.contract = contract = contract or Contract.load()
        # Read-only parts made once per contract and shared by every fake on it; state never is.
        self.models = contract.derived("models", ModelCatalogue)
        self.table = contract.derived("table", lambda: Table(self.models))
        self.public_url = config.public_url  # a server sets its own address here
        self.clock = Clock(mode=config.clock_mode, speed=config.clock_speed)
        self.state = State(config.seed, config.credits)
        self.policies = Policies(progression=config.progression, max_unfinished=config.max_unfinished)
        self.engine = Engine(self.state, self.clock, self.policies)
        self.data_dir: DataDir | None = None
        if config.data_dir:
            from ..persistence.data_dir import DataDir  # SQLite and the codec: only for a data directory

            self.data_dir = DataDir(Path(config.data_dir))
        directory = Path(config.storage_dir) if config.storage_dir else None
        self.store = ObjectStore(
            self.clock,
            config.secret,
            max_bytes=config.max_upload_bytes,
            directory=self.data_dir.objects if self.data_dir is not None else directory,
        )
        if self.data_dir is None:
            # A new fake starts with empty state and, under its seed, issues the same fileIds (object keys) as
            # the last fake on this directory did: objects it left would refuse those PUTs as second uploads.
            self.store.reset()
        self.store.on_upload = lambda key, stored: receive_upload(self.state.tenants.values(), key, stored.data)
        self.links = ResultLinks(self.store, self.clock, config.result_url_seconds)
        self.notices = NoticeDispatcher(self.clock, config.notice_policy)
        self.faults = Faults(config.seed)
        self.journal = Journal(self.clock, config.journal_size)
        self.store.on_exchange = self._journal_object
        self.variants = Variants()  # response variants of the scenario in force, applied after rendering
        self.scenario = Scenario()  # the scenario applied last (the empty one: the fake as configured)
        self.engine.on_finish(self._finished)
        self._rendered: dict[str, tuple[tuple[str, bool, int], Rendered]] = {}
        # Notices not made yet that will read their task's rendering, by task: one is made before its
        # rendering is forgotten (a burst of finished tasks can outnumber the renderings kept).
        self._unsent: WeakValueDictionary[str, PendingNotice] = WeakValueDictionary()
        contract.derived("checked", self._check_contract)
        if self.data_dir is not None:
            self.data_dir.open(self)  # last: every part is there to take back what the directory holds

    @cached_property
    def catalogues(self) -> Catalogues:
        """The seeded catalogues, made on first use (Faker takes a while to load) and shared per seed."""
        seed = self.config.seed
        return self.contract.derived(("catalogues", seed), lambda: Catalogues(seed))

    @cached_property
    def resources(self) -> Lookups:
        """The catalogues' ids the rules look referenced ids up in."""
        return self.contract.derived(("lookups", self.config.seed), lambda: Lookups(self.catalogues, self.contract))

    def _check_contract(self) -> bool:
        """Refuse, at start-up, rules and catalogue tables the fake does not know."""
        for operation in self.contract:
            validate_rules(operation, NAMED_CHECKS)
            if operation.catalog is not None:
                self.models.require_table(operation.catalog, operation.operation_id)
        return True

    # -- tasks ---------------------------------------------------------------------------------------

    def new_task(self, call: Call, kind: TaskKind, parent: Task | None = None) -> Task:
        """Create and admit a task of ``kind`` from a validated submit call."""
        body = call.body
        # The request's noticeUrl was checked with its shape (api/app.py), in the form delivery uses; an
        # m2v export without its own noticeUrl calls back to the preview task's (contracts/README.md).
        notice_url = normalise_notice_url(body["noticeUrl"]) if body.get("noticeUrl") else None
        if notice_url is None and parent is not None:
            notice_url = parent.notice_url
        forced = call.headers.get("x-topview-mock-outcome")
        try:
            outcome = Outcome.parse(forced) if forced else None
        except ValueError as error:
            raise TopviewError("4000", f"X-Topview-Mock-Outcome: {error}") from None
        try:
            cost = credits(kind.cost(body, call.tenant))
        except ValueError:  # more than any balance can hold (a duration of 10^18 seconds)
            raise TopviewError("4100", "Credit not enough: this task costs more than any balance holds") from None
        now = self.clock.now()
        task = Task(
            task_id=self.state.ids.new(),
            uid=call.uid,
            kind=kind.name,
            operation_id=call.op.operation_id,
            params=dict(body),
            created_at=now,
            progression=self.policies.progression_for(call.uid, kind.name),
            outcome=self.engine.outcome_for(call.op.operation_id, outcome),
            cost=cost,
            task_type=kind.task_type,
            api_key=call.api_key,
            notice_url=notice_url,
            notice_uuid=self.state.ids.new() if notice_url else None,
        )
        if "boardId" in (call.op.body_schema or {}).get("properties", {}):  # newer endpoints file on boards
            board_id = body.get("boardId") or call.tenant.default_board.board_id
            task.board_id = board_id
            task.board_task_ids = (self.state.ids.new(),)
        if parent is not None:
            task.parent_id = parent.task_id
            parent.children += (task.task_id,)
            self.state.note(parent)
        return self.engine.submit(call.tenant, task)

    def task_result(self, task: Task) -> dict[str, Any]:
        """The query result of a task as of now (with Media markers, rendered on the way out)."""
        self.made(task)
        for child_id in task.children:  # an m2v task shows its export stages
            child = self.state.tenants[task.uid].tasks.get(child_id)
            if child is not None:
                self.made(child)
        schema = self.contract[self.table.by_name[task.kind].query].result_schema
        return query_result(task, self.state.tenants[task.uid], schema)

    def rendered_result(self, task: Task, base_url: str, *, cdn: bool) -> Rendered:
        """A finished task's query result, rendered: once per base URL, CDN flag and second of the clock.

        A finished result never changes (m2v's shows its export stages, so it is rendered every time), and
        signed URLs only change with the clock's whole second, so polling a finished task re-renders nothing.
        """
        key = self._rendering_key(base_url, cdn)
        cached = self._rendered.get(task.task_id)
        if cached is not None and cached[0] == key and task.kind != "m2v":
            return cached[1]
        rendered = Rendered(render(self.task_result(task), self.url_for(base_url, cdn=cdn)))
        self._rendered.pop(task.task_id, None)  # re-entered last: the cache forgets the oldest first
        if len(self._rendered) >= MAX_RENDERED:
            self._forget_oldest_rendering()
        self._rendered[task.task_id] = (key, rendered)
        return rendered

    def _rendering_key(self, base_url: str, cdn: bool) -> tuple[str, bool, int]:
        """What a rendering depends on besides its task: the base URL, the CDN flag, the clock's whole second."""
        return base_url, cdn, int(self.clock.now())

    def _forget_oldest_rendering(self) -> None:
        """Forget the result rendered longest ago; a notice still to make that would read it reads it first."""
        task_id = next(iter(self._rendered))
        notice = self._unsent.get(task_id)
        if notice is not None and self._rendered[task_id][0] == self._rendering_key(self.public_url, False):
            notice.make()  # what it would be if it were sent in this second, without rendering again
        del self._rendered[task_id]

    def url_for(self, base_url: str, *, cdn: bool) -> Callable[[Media], str]:
        """A function rendering result media into presigned (or CloudFront-style) URLs on ``base_url``."""
        return self.links.url_for(base_url, cdn=cdn)

    # -- results, made when first needed ---------------------------------------------------------------

    @cached_property
    def faker(self) -> Faker:
        """The fake's one Faker, reseeded for every result (building one costs milliseconds)."""
        from faker import Faker

        return Faker()

    def made(self, task: Task) -> Task:
        """The task with its result made, if it succeeded and the result was not needed before."""
        tenant = self.state.tenants.get(task.uid)
        if tenant is not None and tenant.unmade.pop(task.task_id, None) is not None:
            schema = self.contract[self.table.by_name[task.kind].query].result_schema
            task.output = generate(
                task, tenant, schema, seed=self.config.seed, faker=self.faker, voices=self.catalogues.voices_by_id
            )
            self.state.note(task)  # its result, and what the result added to the account
        return task

    def make_all(self, tenant: Tenant) -> None:
        """Make every result of the account not made yet (before reading what results add to it)."""
        while tenant.unmade:
            self.made(next(iter(tenant.unmade.values())))

    # -- the object store's exchanges, journalled ---------------------------------------------------------

    def _journal_object(self, request: Request, response: Response, key: str) -> None:
        operation = OBJECT_UPLOAD if request.method == "PUT" else OBJECT_DOWNLOAD
        self.journal.record_object(operation, request, response, self.owner_of(key))

    def owner_of(self, key: str) -> str | None:
        """The account an object key belongs to: its upload's, its result task's, or its cloned voice's."""
        parts = key.split("/")
        if len(parts) >= 3 and parts[0] == "uploads":
            file_id = parts[2].split(".")[0]
            return next((t.uid for t in self.state.tenants.values() if file_id in t.files), None)
        if len(parts) >= 2 and parts[0] == "results":
            task = self.state.find_task(parts[1])
            return task.uid if task is not None else None
        if len(parts) >= 3 and parts[0] == "voices":
            return parts[1]
        return None

    def _finished(self, task: Task) -> None:
        # Called for every finishing task, possibly thousands at one clock advance: only bookkeeping
        # here. The result (Faker text, file records, ids) is made when first needed (`made`).
        tenant = self.state.tenants.get(task.uid)
        if tenant is None:
            return
        kind = self.table.by_name[task.kind]
        if task.status == "success" and kind.generated:
            tenant.unmade[task.task_id] = task
        if task.notice_url and task.notice_uuid:
            self.notices.enqueue(task.uid, task.notice_url, self.notice_for(task))

    def notice_for(self, task: Task) -> PendingNotice:
        """The notice a finished task calls back with, its body made when first read."""
        # The notice names the task the client submitted: an m2v export stage reports its m2v task.
        reported = self.state.tenants[task.uid].tasks[task.parent_id] if task.parent_id else task
        biz_type = self.table.by_name[task.kind].biz_type_for(task) or ""
        notice = PendingNotice(
            task.notice_uuid or "", biz_type, reported.task_id, lambda: self._notice_body(task, reported, biz_type)
        )
        if reported.kind != "m2v":  # it reads the query's rendering (an m2v stage's result is its own)
            self._unsent[reported.task_id] = notice
        return notice

    def result_pending(self, task: Task) -> bool:
        """Whether ``task`` succeeded with a result made when first needed, and not made yet."""
        return task.status == "success" and task.output is None and self.table.by_name[task.kind].generated

    def _notice_body(self, task: Task, reported: Task, biz_type: str) -> dict[str, str]:
        if reported.kind == "m2v":  # a stage's notice carries that stage's videos: a result of its own
            stage = notice_result(task, reported, self.task_result(reported))
            result = render(stage, self.url_for(self.public_url, cdn=False))
        else:  # the query's result: rendered once for a poll and its notice in the same second
            result = self.rendered_result(reported, self.public_url, cdn=False).value
            self._unsent.pop(reported.task_id, None)
        return build_notice_body(
            task.notice_uuid or "", biz_type, reported.task_id, task.status, task.error_msg or "", result
        )
