"""The request journal (filled in by the control-plane issue)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from .contract import Operation


class Journal:
    """Every request and response, bounded in memory."""

    def record(self, op: Operation, request: Request, payload: dict[str, Any], status: int) -> None:
        """Remember one exchange."""

    def reset(self) -> None:
        """Forget everything."""
