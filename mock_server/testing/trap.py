"""Exceptions that escape the fake's app, kept so a test (or its fixture, at teardown) can see them."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from ..control.faults import is_dropped


class ErrorTrap:
    """ASGI wrapper keeping every exception that escapes the app (Starlette has already sent a 500).

    A connection dropped by a fault rule escapes the app on purpose and is not kept.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.errors: list[BaseException] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection, remembering and re-raising whatever escapes it."""
        try:
            await self.app(scope, receive, send)
        except Exception as error:
            if not is_dropped(error):
                self.errors.append(error)
            raise
