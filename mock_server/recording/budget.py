"""The recorder's budget guard: submits stop being forwarded before recording would spend too many credits.

Spending is what the recorded answers say: each task submitted through the recorder counts its
``costCredit`` once a query reports it (nothing if it failed: failed tasks are refunded), and until then
the fake's own estimate for that request. A submit whose estimate would take the total past the budget
is answered with Topview's 4100 envelope, saying why, and never reaches the upstream.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..contract.groups import M2V_EXPORT, Table, TaskKind
from ..engine.credits import ZERO
from ..engine.state import Ledger, Tenant


class Budget:
    """Credits spent or committed by the tasks submitted through one recorder, against a limit."""

    def __init__(self, limit: float | None, table: Table) -> None:
        self.limit = limit
        self.kinds: dict[str, TaskKind] = {**table.by_submit, M2V_EXPORT.submit: M2V_EXPORT}
        self.tasks: dict[str, float] = {}  # taskId -> credits (estimate until a query reports costCredit)

    @property
    def used(self) -> float:
        """Credits spent or committed so far."""
        return round(sum(self.tasks.values()), 3)

    def estimate(self, operation_id: str, body: Any) -> float:
        """What a submit should cost, by the fake's billing rules (0 when they cannot tell)."""
        kind = self.kinds.get(operation_id)
        if kind is None or not isinstance(body, Mapping):
            return 0.0
        try:
            # Estimates read the request body; an empty account stands in for the one the upstream knows.
            return round(float(kind.cost(body, Tenant("budget-estimate", Ledger(ZERO, ZERO)))), 3)
        except (TypeError, ValueError, KeyError, AttributeError):
            return 0.0

    def refusal(self, operation_id: str, body: Any) -> str | None:
        """Why this submit must not be forwarded, or None to let it through."""
        if self.limit is None or operation_id not in self.kinds:
            return None
        cost = self.estimate(operation_id, body)
        if self.used + cost <= self.limit + 1e-9 and self.used < self.limit:
            return None
        return (
            f"topview-mock record budget guard: {operation_id} was not forwarded. It would cost about "
            f"{cost:g} credits and {self.used:g} of the {self.limit:g} allowed by --max-credits are already "
            "spent or committed by this recording."
        )

    def observe(self, operation_id: str | None, body: Any, answer: Any) -> None:
        """Account for an answer: a submit commits its estimate, a query's costCredit replaces it."""
        if not isinstance(answer, Mapping) or answer.get("code") != "200":
            return
        result = answer.get("result")
        if operation_id in self.kinds and isinstance(result, Mapping) and isinstance(result.get("taskId"), str):
            self.tasks.setdefault(result["taskId"], self.estimate(operation_id, body))
            return
        for item in result if isinstance(result, list) else [result]:
            self._reported(item)

    def _reported(self, result: Any) -> None:
        if not isinstance(result, Mapping) or result.get("taskId") not in self.tasks:
            return
        if (result.get("status") or result.get("taskStatus")) == "fail":
            self.tasks[result["taskId"]] = 0.0
        elif isinstance(result.get("costCredit"), int | float) and not isinstance(result.get("costCredit"), bool):
            self.tasks[result["taskId"]] = float(result["costCredit"])
