"""Faults on demand (filled in by the control-plane issue): for now only the X-Topview-Mock-Code header."""

from __future__ import annotations

from starlette.requests import Request

from .contract import Operation
from .errors import ERROR_CODES, TopviewError


class Faults:
    """Decides, before an operation runs, whether it answers a forced error instead."""

    async def before(self, op: Operation, request: Request) -> None:
        """Raise the forced error of this request, if any."""
        code = request.headers.get("x-topview-mock-code")
        if code is not None:
            if code not in ERROR_CODES:
                raise TopviewError("4000", f"X-Topview-Mock-Code must be one of {', '.join(ERROR_CODES)}")
            raise TopviewError(code)

    def reset(self) -> None:
        """Forget every fault rule."""
