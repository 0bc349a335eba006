"""What the control routes drive: the Python control API of a fake, as a protocol.

:class:`~mock_server.mock.TopviewMock` implements it; the routes take any object that does, so this
package never imports the facade.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from ..callbacks.dispatcher import NoticeDispatcher
from ..callbacks.policy import DeliveryPolicy
from ..callbacks.records import DeliveryState, NoticeDelivery
from ..contract.groups import Table
from ..contract.openapi import Contract
from ..engine.clock import Clock
from ..engine.lifecycle import Engine, Policies
from ..engine.state import State
from ..engine.tasks import Outcome, Progression
from .faults import FaultRule, Faults, FaultSpec
from .journal import Journal
from .scenario import Scenario
from .variants import Variants


class Controls(Protocol):
    """A fake's parts and control operations, as the control API over HTTP uses them."""

    contract: Contract
    table: Table
    clock: Clock
    state: State
    engine: Engine
    policies: Policies
    notices: NoticeDispatcher
    faults: Faults
    journal: Journal
    variants: Variants
    scenario: Scenario

    def apply_scenario(self, scenario: Scenario) -> Scenario:
        """Reset, then behave as the scenario says."""

    def reset(self, uid: str | None = None) -> None:
        """Forget one account, or everything."""

    def advance(self, seconds: float) -> float:
        """Move the virtual clock."""

    def accounts(self) -> list[dict[str, Any]]:
        """Every account with its credits and task counts."""

    def tasks(self, uid: str | None = None) -> list[dict[str, Any]]:
        """Every task (of one account), as the control plane shows them."""

    def complete(self, task_id: str, status: str = "success", error_msg: str | None = None) -> dict[str, Any]:
        """Finish a task now."""

    def force(self, task_id: str, status: str = "success", error_msg: str | None = None) -> dict[str, Any]:
        """Decide how an unfinished task ends."""

    def script_outcomes(self, operation_id: str, outcomes: Iterable[Outcome | str]) -> None:
        """Queue how the next submitted tasks end."""

    def set_progression(
        self, progression: Progression, *, uid: str | None = None, kind: str | None = None, task_id: str | None = None
    ) -> None:
        """How tasks move on."""

    def set_max_unfinished(self, limit: int | None) -> None:
        """Limit each account's unfinished tasks."""

    def set_credits(self, uid: str, credit: float) -> None:
        """Give an account credits to spend."""

    def credits(self, uid: str) -> dict[str, float]:
        """An account's ledger."""

    def add_fault(self, spec: FaultSpec | None = None, **fields: Any) -> FaultRule:
        """Activate a fault rule."""

    def callbacks(
        self, *, uid: str | None = None, task_id: str | None = None, state: DeliveryState | None = None
    ) -> list[NoticeDelivery]:
        """The callback journal."""

    async def adrain_callbacks(self) -> list[NoticeDelivery]:
        """Wait for callback attempts in flight."""

    def replay_callback(self, delivery_id: str) -> NoticeDelivery:
        """Send a journalled callback again."""

    def set_notice_policy(self, policy: DeliveryPolicy | None = None, **changes: Any) -> DeliveryPolicy:
        """Replace or change the delivery policy."""
