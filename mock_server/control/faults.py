"""Faults on demand: a forced code per request (header), and seeded fault rules set over the control API.

A rule says *where* (an operationId or ``*``, optionally one account), *what* (an envelope code, an HTTP
status, added latency, a dropped connection) and *how often* (the next N matching calls, or each one
with probability p). Every rule draws from its own ``random.Random(seed)``, so a run repeats exactly
under the same seed. Latency is a real, awaited wait inside the one request: other requests go on.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from http import HTTPStatus
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from ..contract.openapi import Operation
from ..engine.errors import ERROR_CODES, TopviewError

CODE_HEADER = "x-topview-mock-code"
Sleep = Callable[[float], Awaitable[None]]


def __getattr__(name: str) -> Any:
    """``DroppedConnection``, made on first use: httpx (with its command line) is slow to import."""
    if name == "DroppedConnection":
        return dropped_connection()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def dropped_connection() -> type[Exception]:
    """The exception of a connection a ``drop`` fault rule cut: ``DroppedConnection``."""
    import httpx

    class DroppedConnection(httpx.RemoteProtocolError):
        """The fake dropped the connection on purpose (a ``drop`` fault rule).

        In process (``httpx.ASGITransport``) the client sees this exception, a ``httpx.TransportError``.
        Behind a real ASGI server the status line has gone out and the connection closes before any body,
        so the client sees its own ``httpx.RemoteProtocolError`` (the server logs the exception).
        """

    DroppedConnection.__module__, DroppedConnection.__qualname__ = __name__, "DroppedConnection"
    return DroppedConnection


def is_dropped(error: BaseException) -> bool:
    """Whether ``error`` is a connection cut by a fault rule (none is, before any rule cut one)."""
    return dropped_connection.cache_info().currsize > 0 and isinstance(error, dropped_connection())


class DropResponse(Response):
    """Starts the response, then fails: servers close a started response's connection, not answer 500."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the status line only, then raise so the server cuts the connection."""
        # Before http.response.start, Starlette and uvicorn would still answer a 500; after it, they close.
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        raise dropped_connection()("topview-mock dropped the connection (fault rule)")


class FaultReply(Exception):
    """A reply that is not a Topview envelope: a gateway error page, or a dropped connection."""

    def __init__(self, response: Response, status: int | None) -> None:
        super().__init__(f"fault reply {status or 'dropped'}")
        self.response = response
        self.status = status  # None: the connection was dropped


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """What a rule does, where, and how often; ``__post_init__`` names the field that is wrong."""

    operation: str = "*"  # an operationId, or "*" for every operation
    uid: str | None = None  # only this account's requests
    code: str | None = None  # answer this envelope code
    status: int | None = None  # with this HTTP status; alone: a gateway page with this status
    latency: float | tuple[float, float] | None = None  # seconds: fixed, or uniform in (min, max) under the seed
    drop: bool = False  # close the connection without an answer
    times: int | None = None  # fire on the next N matching calls only
    probability: float | None = None  # fire on each matching call with this probability
    seed: int | None = None  # the rule's random draws; None: the fake's seed

    def __post_init__(self) -> None:
        if self.code is not None and self.code not in ERROR_CODES:
            raise ValueError(f"code must be one of {', '.join(ERROR_CODES)}")
        if self.status is not None and not 400 <= self.status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        low, high = _bounds(self.latency) or (0.0, 0.0)
        if not 0 <= low <= high:
            raise ValueError("latency must be seconds >= 0, or [min, max] with 0 <= min <= max")
        if self.drop and (self.code is not None or self.status is not None):
            raise ValueError("drop cannot be combined with code or status")
        if self.code is None and self.status is None and self.latency is None and not self.drop:
            raise ValueError("a fault needs one of code, status, latency or drop")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1")
        if self.probability is not None and not 0 <= self.probability <= 1:
            raise ValueError("probability must be between 0 and 1")

    def matches(self, operation_id: str, uid: str | None) -> bool:
        """True if a call of ``operation_id`` by ``uid`` is in this rule's scope."""
        return self.operation in ("*", operation_id) and (self.uid is None or self.uid == uid)


@dataclass(slots=True)
class FaultRule:
    """One active rule: its spec, its own seeded draws and its counters."""

    rule_id: str
    spec: FaultSpec
    seed: int
    rng: random.Random = field(repr=False)
    matched: int = 0  # calls in scope seen so far
    fired: int = 0  # calls it acted on

    @property
    def spent(self) -> bool:
        """True once a ``times`` rule has fired that many times."""
        return self.spec.times is not None and self.fired >= self.spec.times

    @property
    def latency(self) -> tuple[float, float] | None:
        """The rule's latency as (min, max) seconds."""
        return _bounds(self.spec.latency)

    def draw(self) -> float | None:
        """Decide one matching call: the latency to add (0.0 for none), or None if the rule passes."""
        self.matched += 1
        if self.spent:
            return None
        if self.spec.probability is not None and self.rng.random() >= self.spec.probability:
            return None
        self.fired += 1
        if self.latency is None:
            return 0.0
        low, high = self.latency
        return low if low == high else self.rng.uniform(low, high)

    def act(self) -> None:
        """Answer as the rule says (raise), once its latency has passed; latency-only rules return."""
        spec = self.spec
        if spec.drop:
            raise FaultReply(DropResponse(), None)
        if spec.code is not None:
            raise TopviewError(spec.code, http_status=spec.status or 200)
        if spec.status is not None:  # a gateway in front of the API failing: not JSON, not an envelope
            page = f"{spec.status} {HTTPStatus(spec.status).phrase}"
            raise FaultReply(PlainTextResponse(page, status_code=spec.status), spec.status)

    def to_json(self) -> dict[str, Any]:
        """The rule as the control API shows it."""
        spec = self.spec
        latency: float | list[float] | None = None
        if self.latency is not None:
            low, high = self.latency
            latency = low if low == high else [low, high]
        return {
            "id": self.rule_id,
            "operationId": spec.operation,
            "uid": spec.uid,
            "code": spec.code,
            "status": spec.status,
            "latency": latency,
            "drop": spec.drop,
            "times": spec.times,
            "probability": spec.probability,
            "seed": self.seed,
            "matched": self.matched,
            "fired": self.fired,
            "spent": self.spent,
        }


class Faults:
    """Decides, before an operation runs, whether it answers a forced error, late, or not at all."""

    def __init__(self, seed: int = 0, sleep: Sleep = anyio.sleep) -> None:
        self.seed = seed
        self.sleep = sleep  # real waiting, awaited, so other requests go on meanwhile
        self._rules: dict[str, FaultRule] = {}
        self._ids = itertools.count(1)

    def add(self, spec: FaultSpec) -> FaultRule:
        """Activate a rule; rules act in the order they were added."""
        rule_id = f"fault-{next(self._ids)}"
        seed = self.seed if spec.seed is None else spec.seed
        rule = FaultRule(rule_id, spec, seed, random.Random(seed))
        self._rules[rule_id] = rule
        return rule

    def remove(self, rule_id: str) -> None:
        """Drop one rule (KeyError if unknown)."""
        del self._rules[rule_id]

    def rules(self) -> list[FaultRule]:
        """The active rules, spent ones included (they show what happened)."""
        return list(self._rules.values())

    async def before(self, op: Operation, request: Request, headers: Mapping[str, str] | None = None) -> None:
        """Raise the forced error of this request, if any: the header first, then the rules.

        ``headers`` are the request's by lower-case name, when the caller has them at hand. The journal
        learns which one answered from ``request.state.fault``.
        """
        headers = request.headers if headers is None else headers
        try:
            forced_code(headers)
        except TopviewError:
            request.state.fault = CODE_HEADER
            raise
        if not self._rules:
            return
        uid = headers.get("topview-uid", "").strip() or None
        for rule in list(self._rules.values()):
            if not rule.spec.matches(op.operation_id, uid):
                continue
            delay = rule.draw()
            if delay is None:
                continue
            request.state.fault = rule.rule_id
            if delay > 0:
                await self.sleep(delay)
            rule.act()

    def reset(self) -> None:
        """Forget every fault rule."""
        self._rules.clear()
        self._ids = itertools.count(1)


def _bounds(latency: float | tuple[float, float] | None) -> tuple[float, float] | None:
    if latency is None or isinstance(latency, tuple):
        return latency
    return float(latency), float(latency)


def forced_code(headers: Mapping[str, str]) -> None:
    """``X-Topview-Mock-Code: <code>`` makes the call answer that documented code (HTTP 200)."""
    code = headers.get(CODE_HEADER)
    if code is None:
        return
    code = code.strip()
    if code not in ERROR_CODES:
        raise TopviewError("4000", f"X-Topview-Mock-Code must be one of {', '.join(ERROR_CODES)}")
    raise TopviewError(code)
