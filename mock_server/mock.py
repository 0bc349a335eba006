"""TopviewMock: one fake Topview — its state, engine, store, callbacks — and its Python control API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .account_handlers import receive_upload
from .catalogues import Catalogues
from .call import Call
from .clock import Clock
from .config import MockConfig
from .contract import Contract
from .engine import Engine, Policies, describe
from .errors import TopviewError, bad_value
from .faults import Faults
from .groups import Table, TaskKind
from .handlers import query_result
from .journal import Journal
from .lookups import Lookups
from .media_rules import NAMED_CHECKS
from .notices import DeliveryPolicy, NoticeDispatcher, build_notice_body, check_notice_url
from .outputs import generate
from .results import Media, render
from .rules import validate_rules
from .state import State
from .store import ObjectStore
from .tasks import Outcome, Task


class TopviewMock:
    """A complete fake: build one per test (or per server); two instances share nothing."""

    def __init__(self, config: MockConfig | None = None, *, contract: Contract | None = None) -> None:
        self.config = config = config or MockConfig()
        self.contract = contract or Contract.load()
        self.table = Table()
        self.clock = Clock(mode=config.clock_mode, speed=config.clock_speed)
        self.state = State(config.seed, config.credits)
        self.policies = Policies(progression=config.progression, max_unfinished=config.max_unfinished)
        self.engine = Engine(self.state, self.clock, self.policies)
        self.catalogues = Catalogues(config.seed)
        self.resources = Lookups(self.catalogues, self.contract)
        self.store = ObjectStore(
            self.clock, config.secret, max_bytes=config.max_upload_bytes,
            directory=Path(config.storage_dir) if config.storage_dir else None,
        )
        self.store.on_upload = lambda key, stored: receive_upload(self, key, stored.data)
        self.notices = NoticeDispatcher(self.clock, DeliveryPolicy())
        self.faults = Faults()
        self.journal = Journal()
        self.engine.on_finish(self._finished)
        for operation in self.contract:
            validate_rules(operation, NAMED_CHECKS)

    # -- tasks ---------------------------------------------------------------------------------------

    def new_task(self, call: Call, kind: TaskKind, parent: Task | None = None) -> Task:
        """Create and admit a task of ``kind`` from a validated submit call."""
        body = call.body
        notice_url = body.get("noticeUrl") or None
        if notice_url is not None:
            problem = check_notice_url(notice_url, self.notices.policy)
            if problem is not None:
                raise bad_value("noticeUrl", problem.removeprefix("noticeUrl ")) from None
        forced = call.headers.get("x-topview-mock-outcome")
        try:
            outcome = Outcome.parse(forced) if forced else None
        except ValueError as error:
            raise TopviewError("4000", f"X-Topview-Mock-Outcome: {error}") from None
        now = self.clock.now()
        task = Task(
            task_id=self.state.ids.new(), uid=call.uid, kind=kind.name, operation_id=call.op.operation_id,
            params=dict(body), created_at=now,
            progression=self.policies.progression_for(call.uid, kind.name),
            outcome=self.engine.outcome_for(call.op.operation_id, outcome),
            cost=round(kind.cost(body), 3), task_type=kind.task_type, api_key=call.api_key,
            notice_url=notice_url, notice_uuid=self.state.ids.new() if notice_url else None,
        )
        if kind.board:
            board_id = body.get("boardId") or call.tenant.default_board.board_id
            task.board_id = board_id
            task.board_task_ids = [self.state.ids.new()]
        if parent is not None:
            task.parent_id = parent.task_id
            parent.children.append(task.task_id)
        return self.engine.submit(call.tenant, task)

    def task_result(self, task: Task) -> dict[str, Any]:
        """The query result of a task as of now (with Media markers, rendered on the way out)."""
        return query_result(self, task)

    def _finished(self, task: Task) -> None:
        tenant = self.state.tenants.get(task.uid)
        if tenant is None:
            return
        if task.status == "success":
            task.output = generate(self, task, tenant)
        if task.notice_url and task.notice_uuid:
            reported = tenant.tasks[task.parent_id] if task.parent_id else task
            result = render(self.task_result(reported), self.url_for("http://127.0.0.1", cdn=False))
            kind = self.table.by_name[task.kind]
            body = build_notice_body(
                task.notice_uuid, kind.biz_type_for(task) or "", reported.task_id, task.status,
                task.error_msg or "", result,
            )
            self.notices.enqueue(task.uid, task.notice_url, body)

    # -- media -------------------------------------------------------------------------------------------

    def url_for(self, base_url: str, *, cdn: bool) -> Any:
        """A function rendering result media into presigned (or CloudFront-style) URLs on ``base_url``."""
        seconds = self.config.result_url_seconds

        def url(media: Media) -> str:
            self.store.ensure_sample(media.key, media.format)
            return self.store.presign_get(base_url, media.key, seconds, cdn=cdn)

        return url

    # -- control API -------------------------------------------------------------------------------------

    def advance(self, seconds: float) -> float:
        """Move the virtual clock; due transitions and callback attempts happen on the way."""
        return self.clock.advance(seconds)

    def complete(self, task_id: str, status: str = "success", error_msg: str | None = None) -> Task:
        """Finish a task now with ``status`` (``fail`` shows ``error_msg``)."""
        task = self.state.find_task(task_id)
        if task is None:
            raise KeyError(task_id)
        outcome = Outcome("fail", error_msg or "Task failed") if status == "fail" else Outcome()
        return self.engine.complete(task, outcome)

    def tasks(self, uid: str | None = None) -> list[dict[str, Any]]:
        """Every task (of one account), as the control plane shows them."""
        tenants = [self.state.tenants[uid]] if uid in self.state.tenants else [] if uid else self.state.tenants.values()
        return [describe(t) for tenant in tenants for t in tenant.tasks.values()]

    def set_credits(self, uid: str, credit: float) -> None:
        """Give an account ``credit`` credits to spend from now on."""
        self.state.credit_overrides[uid] = credit
        tenant = self.state.tenant(uid, self.clock.now())
        ledger = tenant.ledger
        ledger.granted += credit - ledger.balance
        ledger.balance = credit

    def reset(self, uid: str | None = None) -> None:
        """Forget one account, or everything (clock, ids, callbacks and stored objects too)."""
        self.state.reset(uid)
        if uid is None:
            self.engine.forget()
            self.clock.reset()
            self.store.reset()
            self.notices.reset()
            self.faults.reset()
            self.journal.reset()
            self.state.credit_overrides.clear()
