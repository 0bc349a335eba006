"""What one client run leaves behind: the account it used, how it ended, what it printed, what the fake saw."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..control.journal import OBJECT_DOWNLOAD, OBJECT_UPLOAD, Exchange
from ..control.scenario import Scenario

OBJECT_OPERATIONS = frozenset({OBJECT_UPLOAD, OBJECT_DOWNLOAD})


@dataclass(frozen=True, slots=True)
class Credentials:
    """Where a client reaches the fake and as whom: a fresh account per example."""

    base_url: str
    uid: str
    api_key: str

    @property
    def env(self) -> dict[str, str]:
        """``TOPVIEW_BASE_URL``, ``TOPVIEW_UID`` and ``TOPVIEW_API_KEY``, as a subprocess client reads them."""
        return {"TOPVIEW_BASE_URL": self.base_url, "TOPVIEW_UID": self.uid, "TOPVIEW_API_KEY": self.api_key}

    @property
    def headers(self) -> dict[str, str]:
        """The two headers every Topview call carries."""
        return {"Topview-Uid": self.uid, "Authorization": f"Bearer {self.api_key}"}


@dataclass(frozen=True, slots=True)
class ClientRun:
    """One run of the client under one scenario."""

    scenario: Scenario
    credentials: Credentials
    exit_code: int | None  # None: killed after the timeout; negative: ended by that signal
    output: str  # stdout and stderr together (in process: what it printed, and its exception)
    exchanges: tuple[Exchange, ...]  # the fake's journal of the run, the object store's traffic included
    seconds: float  # wall-clock duration
    timed_out: bool = False
    crash: str | None = None  # in process: the traceback of an exception the client did not declare

    @property
    def topview(self) -> list[Exchange]:
        """The Topview API exchanges, oldest first."""
        return [e for e in self.exchanges if e.operation_id not in OBJECT_OPERATIONS]

    @property
    def operations(self) -> set[str]:
        """The Topview operations the run called."""
        return {e.operation_id for e in self.topview}

    def output_tail(self, lines: int = 20) -> str:
        """The last lines of the output."""
        return "\n".join(self.output.rstrip("\n").splitlines()[-lines:])


def result_of(exchange: Exchange) -> Any:
    """The ``result`` of the answer as sent, or None."""
    sent = exchange.response
    return sent.get("result") if isinstance(sent, dict) else None


def task_status(exchange: Exchange) -> str | None:
    """The task status a query answered, lower-cased (``status``, or PA v1's ``taskStatus``)."""
    result = result_of(exchange)
    if not isinstance(result, dict):
        return None
    status = result.get("status", result.get("taskStatus"))
    return status.lower() if isinstance(status, str) else None
