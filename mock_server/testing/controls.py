"""The Python control API as the fixtures offer it: the same methods as :class:`TopviewMock`, run where the fake runs.

``topview_mock`` (:class:`FakeTopview`) and ``topview_server`` (:class:`LiveServer`) both derive from
:class:`TopviewControls`, whose public methods are exactly the facade's control methods, with the same
names, parameters and return types (``tests/testing/test_surfaces.py`` compares the three). Each call is
handed to ``_run``, which runs it on the fake's own event loop, so time moves, tasks finish and callbacks
start there, never in a thread that races a request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from functools import partial
from typing import Any, TypeVar

from starlette.types import ASGIApp

from ..callbacks.policy import DeliveryPolicy
from ..callbacks.records import DeliveryState, NoticeDelivery
from ..control.faults import FaultRule, FaultSpec
from ..control.scenario import Scenario
from ..engine.tasks import Outcome, Progression
from ..mock import TopviewMock
from .trap import ErrorTrap

T = TypeVar("T")


class TopviewControls:
    """The control API of a fake owned by a fixture, plus its test account (``uid``, ``api_key``, ``headers``).

    The fake's parts (``journal``, ``faults``, ``clock``, ``notices``, ``state``, ...) are reachable as
    attributes of this object too; reading them happens in the caller's thread.
    """

    mock: TopviewMock
    uid: str
    api_key: str
    trap: ErrorTrap

    def _run(self, call: Callable[[], T]) -> T:
        """Run a control call where the fake runs (here: in the caller's thread)."""
        return call()

    async def _arun(self, call: Callable[[], Awaitable[T]]) -> T:
        """Await an async control call where the fake runs (here: in the caller's loop)."""
        return await call()

    @property
    def errors(self) -> list[BaseException]:
        """Unexpected exceptions raised inside the fake so far (clear it after provoking one on purpose)."""
        return self.trap.errors

    @property
    def headers(self) -> dict[str, str]:
        """The auth headers of the test account."""
        return {"Topview-Uid": self.uid, "Authorization": f"Bearer {self.api_key}"}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == "mock":
            raise AttributeError(name)
        return getattr(self.mock, name)

    # -- the control API: TopviewMock's control methods, one for one ---------------------------------------

    def advance(self, seconds: float) -> float:
        """Move the virtual clock; due transitions and callback attempts happen on the way."""
        return self._run(partial(self.mock.advance, seconds))

    def tick(self) -> None:
        """Let due work happen now (transitions, callbacks)."""
        self._run(self.mock.tick)

    def task(self, task_id: str) -> dict[str, Any]:
        """One task as the control plane shows it, with its history (KeyError if unknown)."""
        return self._run(partial(self.mock.task, task_id))

    def accounts(self) -> list[dict[str, Any]]:
        """Every account the fake knows, in order of first use: its uid, credits and how many tasks it has."""
        return self._run(self.mock.accounts)

    def tasks(self, uid: str | None = None) -> list[dict[str, Any]]:
        """Every task (of one account), as the control plane shows them."""
        return self._run(partial(self.mock.tasks, uid))

    def complete(self, task_id: str, status: str = "success", error_msg: str | None = None) -> dict[str, Any]:
        """Finish a task now with ``status`` (``fail`` shows ``error_msg``); the task as ``task()`` shows it."""
        return self._run(partial(self.mock.complete, task_id, status, error_msg))

    def force(self, task_id: str, status: str = "success", error_msg: str | None = None) -> dict[str, Any]:
        """Decide how an unfinished task ends, when its progression gets there; the task as ``task()`` shows it."""
        return self._run(partial(self.mock.force, task_id, status, error_msg))

    def script_outcomes(self, operation_id: str, outcomes: Iterable[Outcome | str]) -> None:
        """Queue how the next tasks submitted by ``operation_id`` (or ``"*"``) end, in order."""
        self._run(partial(self.mock.script_outcomes, operation_id, list(outcomes)))

    def set_progression(
        self,
        progression: Progression,
        *,
        uid: str | None = None,
        kind: str | None = None,
        task_id: str | None = None,
    ) -> None:
        """How tasks move on: globally, per account, per task kind (new tasks) or for one task (now)."""
        self._run(partial(self.mock.set_progression, progression, uid=uid, kind=kind, task_id=task_id))

    def set_max_unfinished(self, limit: int | None) -> None:
        """Limit each account's unfinished tasks (submits beyond answer 4007); None lifts the limit."""
        self._run(partial(self.mock.set_max_unfinished, limit))

    def set_credits(self, uid: str, credit: float) -> None:
        """Give an account ``credit`` credits to spend from now on."""
        self._run(partial(self.mock.set_credits, uid, credit))

    def credits(self, uid: str) -> dict[str, float]:
        """An account's ledger: ``granted == balance + reserved + spent``."""
        return self._run(partial(self.mock.credits, uid))

    def add_fault(self, spec: FaultSpec | None = None, **fields: Any) -> FaultRule:
        """Activate a fault rule: ``add_fault(operation="scraperSubmit", code="5003", times=2)``."""
        return self._run(partial(self.mock.add_fault, spec, **fields))

    def callbacks(
        self, *, uid: str | None = None, task_id: str | None = None, state: DeliveryState | None = None
    ) -> list[NoticeDelivery]:
        """The callback journal, oldest first: every delivery with every attempt, optionally filtered."""
        return self._run(partial(self.mock.callbacks, uid=uid, task_id=task_id, state=state))

    def drain_callbacks(self) -> list[NoticeDelivery]:
        """Run due work and every due callback attempt to its end (sync code); the deliveries still waiting."""
        return self._run(self.mock.drain_callbacks)

    async def adrain_callbacks(self) -> list[NoticeDelivery]:
        """Run due work, wait for every callback attempt in flight; the deliveries still waiting on the clock."""
        return await self._arun(self.mock.adrain_callbacks)

    def replay_callback(self, delivery_id: str) -> NoticeDelivery:
        """Send a journalled callback again (same body and uuid) as a new delivery; KeyError if unknown."""
        return self._run(partial(self.mock.replay_callback, delivery_id))

    def set_notice_policy(self, policy: DeliveryPolicy | None = None, **changes: Any) -> DeliveryPolicy:
        """Replace the delivery policy, or change some of its fields: ``set_notice_policy(deliver_twice=True)``."""
        return self._run(partial(self.mock.set_notice_policy, policy, **changes))

    def add_receiver(self, origin: str, app: ASGIApp) -> str:
        """Deliver the callbacks whose noticeUrl has ``origin`` to the ASGI ``app``, in process; the origin as kept."""
        return self._run(partial(self.mock.add_receiver, origin, app))

    def remove_receiver(self, origin: str) -> bool:
        """Stop delivering ``origin``'s callbacks in process; whether a receiver was there."""
        return self._run(partial(self.mock.remove_receiver, origin))

    def reset(self, uid: str | None = None) -> None:
        """Forget one account, or everything (clock, ids, callbacks and stored objects too)."""
        self._run(partial(self.mock.reset, uid))

    def apply_scenario(self, scenario: Scenario | Mapping[str, Any]) -> Scenario:
        """Reset the fake, then behave as ``scenario`` says (a Scenario or its JSON document)."""
        return self._run(partial(self.mock.apply_scenario, scenario))

    # -- the client kit's entry point: not a control method of the facade ------------------------------

    def check_client(self, client: Callable[..., Any], *, examples: int = 100, **options: Any) -> Any:
        """Test a Python client in process against generated scenarios; raise the shrunk finding, if any.

        ``client(credentials)`` runs once per example with a fresh account (``credentials.base_url``,
        ``.uid``, ``.api_key``); the fake is reset for each. Options: ``seed``, ``tier``, ``errors`` (the
        client's own exception types), ``min_poll_interval``, ``max_retries``, ``timeout``,
        ``invariants``, ``shrink``. Returns the kit's report when nothing was found.
        """
        # Imported here: the kit brings Hypothesis along, which a test that never checks a client need not load.
        from ..clientkit.pytest_api import check_client
        from ..clientkit.targets import Fake

        fake = Fake(
            base_url=self.base_url,
            contract=self.mock.contract,
            apply_scenario=self.apply_scenario,
            exchanges=lambda: self._run(self.mock.journal.entries),
            advance=self.advance,
        )
        return check_client(fake, client, examples=examples, **options)
