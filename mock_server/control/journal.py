"""The request journal: every Topview API exchange the fake answered, bounded in memory, filterable.

Control routes (``/_mock/...``) and object-store traffic are not journalled, so reading the journal
never changes it.
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from ..contract.openapi import Operation
from ..engine.clock import Clock

BODY_EXCERPT = 2000  # characters kept of a body that is not JSON


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and the answer it got."""

    seq: int
    at: float  # virtual clock time of the answer
    method: str
    path: str
    operation_id: str
    uid: str | None
    query: dict[str, str]
    body: Any  # the JSON body as read; a text excerpt if unreadable; None if never read
    code: str | None  # the envelope code; None when the answer was not an envelope
    status: int | None  # the HTTP status; None when the connection was dropped

    @property
    def dropped(self) -> bool:
        """True when a fault rule dropped the connection instead of answering."""
        return self.status is None

    def to_json(self) -> dict[str, Any]:
        """The exchange as the control API shows it."""
        return {
            "seq": self.seq,
            "at": self.at,
            "method": self.method,
            "path": self.path,
            "operationId": self.operation_id,
            "uid": self.uid,
            "query": self.query,
            "body": self.body,
            "code": self.code,
            "status": self.status,
            "dropped": self.dropped,
        }


class Journal:
    """Every request and response, the newest ``size`` kept."""

    def __init__(self, clock: Clock, size: int = 10_000) -> None:
        if size < 1:
            raise ValueError("journal size must be at least 1")
        self._clock = clock
        self._entries: deque[Exchange] = deque(maxlen=size)
        self._seq = itertools.count(1)

    def record(self, op: Operation, request: Request, payload: dict[str, Any] | None, status: int | None) -> Exchange:
        """Remember one exchange (``payload`` None: no envelope; ``status`` None: connection dropped)."""
        uid = request.headers.get("topview-uid", "").strip() or None
        code = payload.get("code") if payload is not None else None
        entry = Exchange(
            seq=next(self._seq),
            at=self._clock.now(),
            method=request.method,
            path=request.url.path,
            operation_id=op.operation_id,
            uid=uid,
            query=dict(request.query_params),
            body=_body(request),
            code=code if isinstance(code, str) else None,
            status=status,
        )
        self._entries.append(entry)
        return entry

    def entries(
        self,
        *,
        uid: str | None = None,
        operation_id: str | None = None,
        code: str | None = None,
        limit: int | None = None,
    ) -> list[Exchange]:
        """Exchanges, oldest first, optionally of one account, operation or code; ``limit`` keeps the newest."""
        found = [
            e
            for e in self._entries
            if (uid is None or e.uid == uid)
            and (operation_id is None or e.operation_id == operation_id)
            and (code is None or e.code == code)
        ]
        return found[-limit:] if limit else found

    def __len__(self) -> int:
        return len(self._entries)

    def reset(self) -> None:
        """Forget everything."""
        self._entries.clear()
        self._seq = itertools.count(1)


def _body(request: Request) -> Any:
    # The pipeline streams the body once (to bound its size) and leaves the raw bytes on request.state.
    raw = getattr(request.state, "raw_body", None)
    if not isinstance(raw, bytes) or not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw[:BODY_EXCERPT].decode("utf-8", "replace")
