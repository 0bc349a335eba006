"""TopviewMock: the facade over one fake Topview — its parts, its Python control API, and its app.

The parts and what a request does to them live in :class:`~mock_server.api.backend.Backend`; this class
adds the control API that tests, the control routes and the CLI drive. Nothing below imports it.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.types import ASGIApp

from .api.app import build_app
from .api.backend import Backend
from .callbacks.policy import DeliveryPolicy
from .callbacks.records import DeliveryState, NoticeDelivery
from .config import MockConfig
from .control.faults import FaultRule, FaultSpec
from .control.routes import control_routes
from .control.scenario import CallbackAids, Scenario, unknown_operations
from .control.schema import ControlError
from .dashboard.routes import dashboard_routes
from .engine.credits import credit_number, credits
from .engine.errors import TopviewError
from .engine.lifecycle import describe
from .engine.tasks import Outcome, Progression, Task


class TopviewMock(Backend):
    """A complete fake: build one per test (or per server); two instances share nothing."""

    # -- control API -------------------------------------------------------------------------------------

    def advance(self, seconds: float) -> float:
        """Move the virtual clock; due transitions and callback attempts happen on the way."""
        return self.clock.advance(seconds)

    # -- callbacks ---------------------------------------------------------------------------------------

    def callbacks(
        self, *, uid: str | None = None, task_id: str | None = None, state: DeliveryState | None = None
    ) -> list[NoticeDelivery]:
        """The callback journal, oldest first: every delivery with every attempt, optionally filtered."""
        self.engine.settle()
        return [d for d in self.notices.journal(uid, task_id) if state is None or d.state == state]

    def drain_callbacks(self) -> list[NoticeDelivery]:
        """Run due work and every due callback attempt to its end (sync code); the deliveries still waiting."""
        if _running_loop():
            raise RuntimeError("drain_callbacks() cannot run inside an event loop: await adrain_callbacks()")
        self.tick()
        self.engine.settle()  # with no loop running, nothing else would take what is due
        self.notices.run_pending_sync()
        return self.notices.pending()

    async def adrain_callbacks(self) -> list[NoticeDelivery]:
        """Run due work, wait for every callback attempt in flight; the deliveries still waiting on the clock."""
        self.tick()
        await self.engine.caught_up()
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

    def add_receiver(self, origin: str, app: ASGIApp) -> str:
        """Deliver the callbacks whose noticeUrl has ``origin`` to the ASGI ``app``, in process; the origin as kept.

        ``origin`` is a scheme, host and port (``"https://hooks.example.com"``); the app sees each notice's
        path and query and answers as a real receiver would (the acknowledgement, or anything else to fail
        the attempt). No socket, DNS look-up or allow-list is involved; retries, timeouts and the journal
        work as for any receiver. Receivers stay through ``reset``.
        """
        return self.notices.receivers.add(origin, app)

    def remove_receiver(self, origin: str) -> bool:
        """Stop delivering ``origin``'s callbacks in process; whether a receiver was there."""
        return self.notices.receivers.remove(origin)

    def tick(self) -> None:
        """Let due work happen now (transitions, callbacks): a realtime server calls this periodically."""
        self.clock.notify()

    def complete(self, task_id: str, status: str = "success", error_msg: str | None = None) -> dict[str, Any]:
        """Finish a task now with ``status`` (``fail`` shows ``error_msg``); the task as ``task()`` shows it."""
        return describe(self.engine.complete(self._task(task_id), _outcome(status, error_msg)))

    def force(self, task_id: str, status: str = "success", error_msg: str | None = None) -> dict[str, Any]:
        """Decide how an unfinished task ends, when its progression gets there; the task as ``task()`` shows it."""
        task = self._task(task_id)
        if task.finished:
            raise TopviewError("4000", f"task {task_id} is already {task.status}")
        task.outcome = _outcome(status, error_msg)
        self.state.note(task)
        return describe(task)

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
        """An account's ledger: ``granted == balance + reserved + spent`` (exact in ``state``; numbers here)."""
        self.engine.settle_tenant(uid)
        ledger = self.state.tenant(uid, self.clock.now()).ledger
        return {
            "granted": credit_number(ledger.granted),
            "balance": credit_number(ledger.balance),
            "reserved": credit_number(ledger.reserved),
            "spent": credit_number(ledger.spent),
        }

    def _task(self, task_id: str) -> Task:
        self.engine.settle()  # the control API shows (and changes) tasks as of now
        task = self.state.find_task(task_id)
        if task is None:
            raise KeyError(task_id)
        return task

    def task(self, task_id: str) -> dict[str, Any]:
        """One task as the control plane shows it, with its history (KeyError if unknown)."""
        return describe(self._task(task_id))

    def accounts(self) -> list[dict[str, Any]]:
        """Every account the fake knows, in order of first use: its uid, credits and how many tasks it has."""
        self.engine.settle()
        return [
            {
                "uid": uid,
                "credits": self.credits(uid),
                "tasks": len(tenant.tasks),
                "unfinished": sum(not task.finished for task in tenant.tasks.values()),
            }
            for uid, tenant in list(self.state.tenants.items())
        ]

    def tasks(self, uid: str | None = None) -> list[dict[str, Any]]:
        """Every task (of one account), as the control plane shows them."""
        self.engine.settle()
        tenants = [self.state.tenants[uid]] if uid in self.state.tenants else [] if uid else self.state.tenants.values()
        return [describe(t) for tenant in tenants for t in tenant.tasks.values()]

    def set_credits(self, uid: str, credit: float) -> None:
        """Give an account ``credit`` credits to spend from now on (ValueError beyond 10^12 or below 0)."""
        amount = credits(credit)
        if amount < 0:
            raise ValueError("credit cannot be negative")
        self.state.credit_overrides[uid] = amount
        tenant = self.state.tenant(uid, self.clock.now())
        ledger = tenant.ledger
        ledger.granted += amount - ledger.balance
        ledger.balance = amount
        self.state.note_uid(uid)

    def apply_scenario(self, scenario: Scenario | Mapping[str, Any]) -> Scenario:
        """Reset the fake, then behave as ``scenario`` says (a :class:`Scenario` or its JSON document).

        A bad document raises ValueError naming the field; the fake is left as it was.
        """
        try:
            scenario = scenario if isinstance(scenario, Scenario) else Scenario.from_json(scenario)
        except ControlError as error:
            raise ValueError(error.message) from None
        unknown = unknown_operations(scenario, {op.operation_id for op in self.contract})
        if unknown:
            raise ValueError(f"{unknown[0]} is not an operation of the contract")
        self.reset()
        if scenario.progression is not None:
            self.policies.progression = scenario.progression
        for operation_id, outcomes in scenario.outcomes:
            self.script_outcomes(operation_id, outcomes)
        for spec in scenario.faults:
            self.faults.add(spec)
        self.variants.set(scenario.variants)
        if scenario.account.credits is not None:
            self.state.default_credits = credits(scenario.account.credits)
        if scenario.account.max_unfinished is not None:
            self.policies.max_unfinished = scenario.account.max_unfinished
        aids = scenario.callbacks
        if aids != CallbackAids():
            self.set_notice_policy(
                deliver_twice=aids.deliver_twice, extra_delay=aids.extra_delay, shuffle_window=aids.shuffle_window
            )
        self.scenario = scenario
        return scenario

    def reset(self, uid: str | None = None) -> None:
        """Forget one account, or everything (clock, ids, callbacks and stored objects too)."""
        self.state.reset(uid)
        self._rendered.clear()  # a reset fake issues the same taskIds again
        self._unsent.clear()
        if uid is None:
            self.engine.forget()
            self.clock.reset()
            self.store.reset()
            self.links.reset()
            self.notices.reset()
            self.notices.policy = self.config.notice_policy
            self.faults.reset()
            self.journal.reset()
            self.variants.reset()
            self.scenario = Scenario()
            self.state.default_credits = credits(self.config.credits)
            self.state.credit_overrides.clear()
            self.policies.reset(self.config.progression, self.config.max_unfinished)


def _running_loop() -> bool:
    """True inside a running event loop (where blocking on callback attempts would deadlock)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _outcome(status: str, error_msg: str | None) -> Outcome:
    if status not in ("success", "fail"):
        raise ValueError(f"status must be success or fail, not {status!r}")
    return Outcome("fail", error_msg or "Task failed") if status == "fail" else Outcome()


def create_app(config: MockConfig | None = None, *, mock: TopviewMock | None = None) -> Starlette:
    """A fake Topview app; its :class:`TopviewMock` is ``app.state.mock``."""
    mock = mock or TopviewMock(config)
    return build_app(mock, [*control_routes(mock), *dashboard_routes()])
