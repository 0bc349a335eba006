"""TopviewMock: one fake Topview — its state, engine, store, callbacks — and its Python control API."""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .api.account import receive_upload
from .api.call import Call
from .api.handlers import query_result
from .callbacks.dispatcher import (
    DeliveryPolicy,
    DeliveryState,
    NoticeDelivery,
    NoticeDispatcher,
    build_notice_body,
    check_notice_url,
)
from .config import MockConfig
from .contract.catalogues import Catalogues
from .contract.groups import Table, TaskKind
from .contract.lookups import Lookups
from .contract.media_rules import NAMED_CHECKS
from .contract.models import ModelCatalogue
from .contract.openapi import Contract
from .contract.outputs import generate
from .contract.results import Media, render
from .contract.rules import validate_rules
from .control.faults import FaultRule, Faults, FaultSpec
from .control.journal import Journal
from .engine.clock import Clock
from .engine.errors import TopviewError, bad_value
from .engine.lifecycle import Engine, Policies, describe
from .engine.state import State
from .engine.tasks import Outcome, Progression, Task
from .storage.buckets import StoredObject
from .storage.store import ObjectStore


class TopviewMock:
    """A complete fake: build one per test (or per server); two instances share nothing."""

    def __init__(self, config: MockConfig | None = None, *, contract: Contract | None = None) -> None:
        self.config = config = config or MockConfig()
        self.contract = contract or Contract.load()
        self.models = ModelCatalogue()
        self.table = Table(self.models)
        self.public_url = config.public_url  # a server sets its own address here
        self.clock = Clock(mode=config.clock_mode, speed=config.clock_speed)
        self.state = State(config.seed, config.credits)
        self.policies = Policies(progression=config.progression, max_unfinished=config.max_unfinished)
        self.engine = Engine(self.state, self.clock, self.policies)
        self.catalogues = Catalogues(config.seed)
        self.resources = Lookups(self.catalogues, self.contract)
        self.store = ObjectStore(
            self.clock,
            config.secret,
            max_bytes=config.max_upload_bytes,
            directory=Path(config.storage_dir) if config.storage_dir else None,
        )
        # A new fake starts with empty state and, under its seed, issues the same fileIds (object keys) as
        # the last fake on this directory did: objects it left would refuse those PUTs as second uploads.
        self.store.reset()
        self.store.on_upload = lambda key, stored: receive_upload(self, key, stored.data)
        self.notices = NoticeDispatcher(self.clock, config.notice_policy)
        self.faults = Faults(config.seed)
        self.journal = Journal(self.clock, config.journal_size)
        self._signed_urls: dict[tuple[str, str, bool, int], str] = {}  # see url_for
        self._media: dict[str, Media] = {}  # result media handed out, by object key
        self.store.fallback = self._materialise
        self.engine.on_finish(self._finished)
        for operation in self.contract:
            validate_rules(operation, NAMED_CHECKS)
            if operation.catalog is not None:
                self.models.require_table(operation.catalog, operation.operation_id)

    # -- tasks ---------------------------------------------------------------------------------------

    def new_task(self, call: Call, kind: TaskKind, parent: Task | None = None) -> Task:
        """Create and admit a task of ``kind`` from a validated submit call."""
        body = call.body
        # An m2v export without its own noticeUrl calls back to the preview task's (contracts/README.md).
        notice_url = body.get("noticeUrl") or (parent.notice_url if parent is not None else None)
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
            task_id=self.state.ids.new(),
            uid=call.uid,
            kind=kind.name,
            operation_id=call.op.operation_id,
            params=dict(body),
            created_at=now,
            progression=self.policies.progression_for(call.uid, kind.name),
            outcome=self.engine.outcome_for(call.op.operation_id, outcome),
            cost=round(kind.cost(body, call.tenant), 3),
            task_type=kind.task_type,
            api_key=call.api_key,
            notice_url=notice_url,
            notice_uuid=self.state.ids.new() if notice_url else None,
        )
        if "boardId" in (call.op.body_schema or {}).get("properties", {}):  # newer endpoints file on boards
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
        kind = self.table.by_name[task.kind]
        if task.status == "success" and kind.generated:
            task.output = generate(self, task, tenant)
        if task.notice_url and task.notice_uuid:
            # The notice names the task the client submitted: an m2v export stage reports its m2v task.
            reported = tenant.tasks[task.parent_id] if task.parent_id else task
            result = render(self._notice_result(task, reported), self.url_for(self.public_url, cdn=False))
            body = build_notice_body(
                task.notice_uuid,
                kind.biz_type_for(task) or "",
                reported.task_id,
                task.status,
                task.error_msg or "",
                result,
            )
            self.notices.enqueue(task.uid, task.notice_url, body)

    def _notice_result(self, task: Task, reported: Task) -> dict[str, Any]:
        """The query result a notice carries: for m2v, only the videos of the stage that finished.

        The documented M2V_PREVIEW callback carries previewVideos and no exportVideos, so a preview
        stage leaves exportVideos out; an export stage (M2V_EXPORT, or a task submitted without
        preview) carries its own exportVideos, with the stage's status and errorMsg.
        """
        result = self.task_result(reported)
        if reported.kind != "m2v":
            return result
        if task is reported and task.params.get("preview"):
            result.pop("exportVideos", None)
            return result
        result.pop("previewVideos", None)
        if task is not reported:  # an export stage of a preview task
            result["status"], result["errorMsg"] = task.status, task.error_msg
            if task.status == "success" and task.output is not None:
                result["exportVideos"] = list(task.output.get("exportVideos") or [])
            else:
                result["exportVideos"] = [{"scriptId": task.params.get("scriptId", 0), "status": task.status}]
        return result

    # -- media -------------------------------------------------------------------------------------------

    def url_for(self, base_url: str, *, cdn: bool) -> Any:
        """A function rendering result media into presigned (or CloudFront-style) URLs on ``base_url``."""
        seconds = self.config.result_url_seconds

        def url(media: Media) -> str:
            # Signing dominates the query of a finished task. A signed URL depends only on these inputs
            # and the clock's whole second, so polls within one second reuse it (bounded, reset clears it).
            cache_key = (base_url, media.key, cdn, int(self.clock.now()))
            signed = self._signed_urls.get(cache_key)
            if signed is None:
                if len(self._signed_urls) >= 4096:
                    self._signed_urls.clear()
                self._media.setdefault(media.key, media)  # made on first download (_materialise)
                signed = self._signed_urls[cache_key] = self.store.presign_get(base_url, media.key, seconds, cdn=cdn)
            return signed

        return url

    def _materialise(self, key: str) -> StoredObject | None:
        """A valid file for result media handed out under ``key`` (images at their reported size)."""
        media = self._media.get(key)
        if media is None:
            return None
        return self.store.ensure_sample(key, media.format, width=media.width, height=media.height)

    # -- control API -------------------------------------------------------------------------------------

    def advance(self, seconds: float) -> float:
        """Move the virtual clock; due transitions and callback attempts happen on the way."""
        return self.clock.advance(seconds)

    # -- callbacks ---------------------------------------------------------------------------------------

    def callbacks(
        self, uid: str | None = None, task_id: str | None = None, state: DeliveryState | None = None
    ) -> list[NoticeDelivery]:
        """The callback journal, oldest first: every delivery with every attempt, optionally filtered."""
        return [d for d in self.notices.journal(uid, task_id) if state is None or d.state == state]

    async def drain_callbacks(self) -> list[NoticeDelivery]:
        """Run due work, wait for every callback attempt in flight; the deliveries still waiting on the clock."""
        self.tick()
        await self.notices.drain()
        return self.notices.pending()

    def replay_callback(self, delivery_id: str) -> NoticeDelivery:
        """Send a journalled callback again (same body and uuid) as a new delivery; KeyError if unknown."""
        return self.notices.replay(delivery_id)

    def set_notice_policy(self, policy: DeliveryPolicy | None = None, **changes: Any) -> DeliveryPolicy:
        """Replace the delivery policy, or change some of its fields: ``set_notice_policy(deliver_twice=True)``.

        Applies to every attempt from now on, including retries of deliveries already queued.
        """
        self.notices.policy = dataclasses.replace(policy or self.notices.policy, **changes)
        return self.notices.policy

    def tick(self) -> None:
        """Let due work happen now (transitions, callbacks): a realtime server calls this periodically."""
        self.clock.notify()

    def complete(self, task_id: str, status: str = "success", error_msg: str | None = None) -> Task:
        """Finish a task now with ``status`` (``fail`` shows ``error_msg``)."""
        return self.engine.complete(self._task(task_id), _outcome(status, error_msg))

    def force(self, task_id: str, status: str = "success", error_msg: str | None = None) -> Task:
        """Decide how an unfinished task ends, when its progression gets there."""
        task = self._task(task_id)
        if task.finished:
            raise TopviewError("4000", f"task {task_id} is already {task.status}")
        task.outcome = _outcome(status, error_msg)
        return task

    def script_outcomes(self, operation_id: str, outcomes: Iterable[Outcome | str]) -> None:
        """Queue how the next tasks submitted by ``operation_id`` (or ``"*"``) end, in order."""
        queue = self.policies.scripts.setdefault(operation_id, deque())
        queue.extend(Outcome.parse(o) if isinstance(o, str) else o for o in outcomes)

    def set_progression(
        self,
        progression: Progression,
        *,
        uid: str | None = None,
        kind: str | None = None,
        task_id: str | None = None,
    ) -> None:
        """How tasks move on: globally, per account, per task kind (new tasks) or for one task (now)."""
        if task_id is not None:
            self.engine.reprogress(self._task(task_id), progression)
        elif uid is not None:
            self.policies.by_uid[uid] = progression
        elif kind is not None:
            self.policies.by_kind[kind] = progression
        else:
            self.policies.progression = progression

    def set_max_unfinished(self, limit: int | None) -> None:
        """Limit each account's unfinished tasks (submits beyond answer 4007); None lifts the limit."""
        self.policies.max_unfinished = limit

    def add_fault(self, spec: FaultSpec | None = None, **fields: Any) -> FaultRule:
        """Activate a fault rule: ``add_fault(operation="scraperSubmit", code="5003", times=2)``."""
        return self.faults.add(spec or FaultSpec(**fields))

    def credits(self, uid: str) -> dict[str, float]:
        """An account's ledger: ``granted == balance + reserved + spent``."""
        ledger = self.state.tenant(uid, self.clock.now()).ledger
        return {
            "granted": ledger.granted,
            "balance": ledger.balance,
            "reserved": ledger.reserved,
            "spent": ledger.spent,
        }

    def _task(self, task_id: str) -> Task:
        task = self.state.find_task(task_id)
        if task is None:
            raise KeyError(task_id)
        return task

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
            self._signed_urls.clear()
            self._media.clear()
            self.notices.reset()
            self.notices.policy = self.config.notice_policy
            self.faults.reset()
            self.journal.reset()
            self.state.credit_overrides.clear()
            self.policies.reset(self.config.progression, self.config.max_unfinished)


def _outcome(status: str, error_msg: str | None) -> Outcome:
    if status not in ("success", "fail"):
        raise ValueError(f"status must be success or fail, not {status!r}")
    return Outcome("fail", error_msg or "Task failed") if status == "fail" else Outcome()
