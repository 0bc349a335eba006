"""Slow clients are dropped: a request must arrive whole within a deadline, or its connection is closed.

uvicorn puts no limit on how long a request may take to arrive: a client that sends its headers (or half
of them, or a connection and nothing at all) and then falls silent keeps its connection, and the
request's handler waits for the body, for good. The event loop still serves everyone else, but such
connections pile up. Here each request gets ``read_timeout`` seconds from its first byte (a new connection
from its opening) to arrive whole; a request that did is the application's, however long it then takes.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

READ_TIMEOUT = 30.0  # real seconds for a request (line, headers, body) to arrive


class ReadDeadline:
    """Mixin for uvicorn's HTTP protocols: close a connection whose request does not arrive in time."""

    read_timeout = READ_TIMEOUT
    # Provided by the uvicorn protocol this is mixed into.
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    cycle: Any

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Open the connection with its first request's deadline running."""
        super().connection_made(transport)  # type: ignore[misc]
        self._armed_for: Any = None
        self._deadline: asyncio.TimerHandle | None = None
        self._deadline_at = self._timer_at = 0.0
        self._arm()

    def data_received(self, data: bytes) -> None:
        """A byte after a finished exchange starts the next request's deadline (dribbling does not)."""
        if self.cycle is not self._armed_for and (self.cycle is None or self.cycle.response_complete):
            self._arm()
        super().data_received(data)  # type: ignore[misc]

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the deadline with the connection."""
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        super().connection_lost(exc)  # type: ignore[misc]

    def _arm(self) -> None:
        # One timer per connection: a new request moves the deadline, and a timer that fires before it
        # sets itself again for it (cancelling and making a timer for every request cost more than
        # reading a small request's headers).
        self._armed_for = self.cycle
        self._deadline_at = self.loop.time() + self.read_timeout
        if self._deadline is None:
            self._timer_at = self._deadline_at
            self._deadline = self.loop.call_at(self._timer_at, self._expire)

    def _expire(self) -> None:
        self._deadline = None
        if self._deadline_at > self._timer_at:  # a later request moved the deadline since
            self._timer_at = self._deadline_at
            self._deadline = self.loop.call_at(self._timer_at, self._expire)
            return
        cycle = self.cycle
        if cycle is not None and cycle is not self._armed_for and not cycle.more_body:
            # The request arrived whole: the application's, however long it takes; then, idle, uvicorn's
            # keep-alive timeout is what closes the connection.
            return
        self.transport.close()  # nothing, part of the headers, or part of the body: the handler sees a disconnect


class DeadlineH11Protocol(ReadDeadline, H11Protocol):
    """h11 with a request deadline."""


def protocol_class(parser: str, read_timeout: float = READ_TIMEOUT) -> type[asyncio.Protocol]:
    """uvicorn's protocol for ``parser`` (``h11`` or ``httptools``) with a ``read_timeout`` deadline."""
    base: type[asyncio.Protocol] = DeadlineH11Protocol
    if parser == "httptools":
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol  # installed with uvicorn's extras

        class DeadlineHttpToolsProtocol(ReadDeadline, HttpToolsProtocol):
            """httptools with a request deadline."""

        base = DeadlineHttpToolsProtocol
    elif parser != "h11":
        raise ValueError(f"no request deadline for the {parser!r} parser")
    if read_timeout == READ_TIMEOUT:
        return base
    return type(base.__name__, (base,), {"read_timeout": read_timeout})
