"""The invariants a client must keep, judged from the fake's side alone: the journal, the exit status, the output.

Each has a fixed name (used in reports and ``--invariants``) and one exception class, so a pytest suite
(and Hypothesis, which tells failures apart by exception type) sees each kind of bug as its own failure.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from ..control.journal import OBJECT_UPLOAD, Exchange
from .records import OBJECT_OPERATIONS, ClientRun, result_of, task_status

TRANSIENT_CODES: Final = frozenset({"5000", "5001", "5003", "5004", "5005"})
CLIENT_ERROR_CODES: Final = frozenset({"4000", "4001", "4002", "4003", "4004", "4005", "4006", "4100", "6001"})
CONTRACT_CODES: Final = frozenset({"401", "4000", "4001", "4003"})  # what the contract's checks answer
TERMINAL: Final = frozenset({"success", "fail", "failed", "succeeded"})  # drifted spellings end a task too
FAILED: Final = frozenset({"fail", "failed"})
# What a client's report of a lost connection says, in any language: httpx, requests, curl, Node, Go...
DROP_WORDS: Final = ("connection", "disconnect", "reset", "empty reply", "eof", "hang up", "transport", "network")
# A wait the fake measures (from its answer to the retry's arrival) is the delay the client asked for plus
# whatever a busy machine added, never less. So a wait under AT_ONCE proves the client did not wait, and a
# wait can only be said not to have grown when it is shorter than BACKOFF_GROWTH times the shortest delay
# the client may have asked for before it: that earlier wait less SCHEDULING_NOISE.
AT_ONCE: Final = 0.05  # seconds: a retry sooner than this after the answer did not wait at all
BACKOFF_GROWTH: Final = 1.25  # each delay of a retry chain must be this many times the one before...
SCHEDULING_NOISE: Final = 2.0  # ...where up to this many seconds of a measured wait may be a busy machine's
CRASH_PATTERNS: Final = (
    re.compile(r"^Traceback \(most recent call last\):", re.M),  # Python
    re.compile(r"^Node\.js v\d+", re.M),  # Node prints its version after an uncaught error
    re.compile(r"UnhandledPromiseRejection|^Uncaught \w*Error", re.M),
    re.compile(r"^panic: |^goroutine \d+ \[running\]", re.M),  # Go
    re.compile(r"^Exception in thread \"", re.M),  # Java
    re.compile(r"^thread '.+' panicked at", re.M),  # Rust
)


class InvariantViolation(AssertionError):
    """A client broke an invariant; the subclass says which (``invariant`` holds its name)."""

    invariant: str = ""

    def __init__(self, message: str, run: ClientRun | None = None) -> None:
        super().__init__(f"{self.invariant}: {message}")
        self.message = message
        self.run = run


class ClientCrashed(InvariantViolation):
    """An unhandled exception: a Python traceback, a Node uncaught error, ``panic:``, killed by a signal."""

    invariant = "client-crashed"


class TimedOut(InvariantViolation):
    """The client did not finish within the timeout."""

    invariant = "timed-out"


class PolledAfterTerminal(InvariantViolation):
    """A task was queried again after a query answered it success or fail."""

    invariant = "polled-after-terminal"


class PollTooFast(InvariantViolation):
    """Two queries of one task closer than the minimum poll interval."""

    invariant = "poll-too-fast"


class RetriedClientError(InvariantViolation):
    """The same request sent again after a 4000-4006, 4100 or 6001 answer."""

    invariant = "retried-client-error"


class RetryStorm(InvariantViolation):
    """A transient error (5000-5005, HTTP 5xx, a dropped connection) retried too often, or without backing off."""

    invariant = "retry-storm"


class SwallowedError(InvariantViolation):
    """A task failed, a request was refused or lost its connection, and the client exited 0 without saying so."""

    invariant = "swallowed-error"


class ContractViolation(InvariantViolation):
    """In a fault-free run, the client sent a request the contract rejects."""

    invariant = "contract-violation"


class UncheckedUpload(InvariantViolation):
    """A fileId used in a submit before ``/v1/upload/check`` answered true for it."""

    invariant = "unchecked-upload"


class KeyLeak(InvariantViolation):
    """The API key or Authorization header sent to an upload or download URL, or placed in a URL."""

    invariant = "key-leak"


VIOLATIONS: Final[tuple[type[InvariantViolation], ...]] = (
    ClientCrashed,
    TimedOut,
    PolledAfterTerminal,
    PollTooFast,
    RetriedClientError,
    RetryStorm,
    SwallowedError,
    ContractViolation,
    UncheckedUpload,
    KeyLeak,
)
INVARIANTS: Final = tuple(v.invariant for v in VIOLATIONS)
BY_NAME: Final = {v.invariant: v for v in VIOLATIONS}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """What the judges allow, and which of them judge at all."""

    min_poll_interval: float = 1.0  # seconds between two queries of one task
    max_retries: int = 5  # retries of one request after transient errors
    timeout: float = 30.0  # seconds a client run may take
    invariants: frozenset[str] = field(default_factory=lambda: frozenset(INVARIANTS))

    def __post_init__(self) -> None:
        unknown = sorted(self.invariants - set(INVARIANTS))
        if unknown:
            raise ValueError(f"unknown invariant {unknown[0]} (known: {', '.join(INVARIANTS)})")
        if self.min_poll_interval < 0 or self.max_retries < 0 or self.timeout <= 0:
            raise ValueError("min_poll_interval and max_retries must be >= 0, timeout > 0")


def select(spec: str) -> frozenset[str]:
    """Invariants from ``--invariants``: names to judge (``a,b``), or all but some (``-a,-b``)."""
    names = [name.strip() for name in spec.split(",") if name.strip()]
    dropped = {name[1:] for name in names if name.startswith("-")}
    kept = {name for name in names if not name.startswith("-") and name != "all"}
    chosen = (kept or set(INVARIANTS)) - dropped
    unknown = sorted((kept | dropped) - set(INVARIANTS))
    if unknown:
        raise ValueError(f"unknown invariant {unknown[0]} (known: {', '.join(INVARIANTS)})")
    return frozenset(chosen)


def judge(run: ClientRun, thresholds: Thresholds | None = None) -> list[InvariantViolation]:
    """Every invariant the run broke, in the order of :data:`INVARIANTS` (at most one of each)."""
    thresholds = thresholds or Thresholds()
    found = []
    for violation in VIOLATIONS:
        if violation.invariant not in thresholds.invariants:
            continue
        message = next(iter(JUDGES[violation.invariant](run, thresholds)), None)
        if message is not None:
            found.append(violation(message, run))
    return found


def check(run: ClientRun, thresholds: Thresholds | None = None) -> None:
    """Raise the first broken invariant's exception (a pytest assertion with the invariant's name)."""
    found = judge(run, thresholds)
    if found:
        raise found[0]


# -- the judges: each yields a message per violation it sees --------------------------------------------------


def _crashed(run: ClientRun, _: Thresholds) -> Iterator[str]:
    if run.crash is not None:
        yield f"unhandled exception: {run.crash.strip().splitlines()[-1]}"
    elif run.exit_code is not None and run.exit_code < 0 and not run.timed_out:
        yield f"killed by signal {-run.exit_code}"
    else:
        for pattern in CRASH_PATTERNS:
            match = pattern.search(run.output)
            if match:
                line = next((x for x in reversed(run.output.splitlines()) if x.strip()), match.group(0))
                yield f"unhandled exception in the output: {line.strip()[:200]}"
                return


def _timed_out(run: ClientRun, thresholds: Thresholds) -> Iterator[str]:
    if run.timed_out:
        yield f"did not finish within {thresholds.timeout:g} s (stopped after {run.seconds:.1f} s)"


def _polled_after_terminal(run: ClientRun, _: Thresholds) -> Iterator[str]:
    ended: dict[str, Exchange] = {}  # taskId -> the query that answered it finished
    for exchange in run.topview:
        task_id = exchange.query.get("taskId")
        if exchange.method != "GET":
            for mentioned in _strings(exchange.body):  # a chained request (m2v export) wakes the task up
                ended.pop(mentioned, None)
            continue
        if task_id is None:
            continue
        if task_id in ended:
            first = ended[task_id]
            yield (
                f"{exchange.operation_id} #{exchange.seq} queried task {task_id} after #{first.seq} "
                f"answered it {task_status(first)!r}"
            )
        elif exchange.code == "200" and task_status(exchange) in TERMINAL:
            ended[task_id] = exchange


def _poll_too_fast(run: ClientRun, thresholds: Thresholds) -> Iterator[str]:
    last: dict[str, Exchange] = {}
    for exchange in run.topview:
        task_id = exchange.query.get("taskId")
        if exchange.method != "GET" or task_id is None or exchange.wall is None:
            continue
        before = last.get(task_id)
        last[task_id] = exchange
        if before is None or before.wall is None or _transient(before) or before.code != "200":
            continue  # a retry after an error is the retry judges' business
        gap = exchange.wall - before.wall
        if gap < thresholds.min_poll_interval:
            yield (
                f"task {task_id} queried at #{before.seq} and #{exchange.seq} {gap:.3f} s apart "
                f"(minimum {thresholds.min_poll_interval:g} s)"
            )


def _retried_client_error(run: ClientRun, _: Thresholds) -> Iterator[str]:
    exchanges = run.topview
    for i, refused in enumerate(exchanges):
        if refused.code not in CLIENT_ERROR_CODES:
            continue
        again = next((e for e in exchanges[i + 1 :] if _same_request(refused, e)), None)
        if again is not None:
            yield f"{refused.operation_id} #{refused.seq} answered {refused.code}; sent again unchanged at #{again.seq}"


def _retry_storm(run: ClientRun, thresholds: Thresholds) -> Iterator[str]:
    for chain in _retry_chains(run.topview):
        retries = len(chain) - 1
        name = f"{chain[0].operation_id} #{chain[0].seq}"
        if retries > thresholds.max_retries:
            yield f"{name} was retried {retries} times after transient errors (at most {thresholds.max_retries})"
            continue
        waits = [b.wall - a.answered for a, b in itertools.pairwise(chain) if b.wall and a.answered]
        shown = ", ".join(f"{w:.2f} s" for w in waits)
        if sum(w < AT_ONCE for w in waits) >= 2:
            yield f"{name} was retried at once, twice or more, after transient errors (waits {shown})"
        elif any(later < (earlier - SCHEDULING_NOISE) * BACKOFF_GROWTH for earlier, later in itertools.pairwise(waits)):
            yield f"{name} was retried after transient errors with shrinking waits ({shown})"


def _swallowed_error(run: ClientRun, _: Thresholds) -> Iterator[str]:
    if run.exit_code != 0 or run.timed_out or run.crash is not None:
        return
    exchanges = run.topview
    for i, exchange in enumerate(exchanges):
        later = exchanges[i + 1 :]
        said = _what_it_said(exchange)
        if said is None:
            continue
        kind, texts, recovered = said
        if recovered(later):
            continue
        output = run.output.lower()
        if not any(text and text.lower() in output for text in texts):
            shown = " / ".join(t for t in texts if t)
            yield f"{kind} at #{exchange.seq} ({shown}), yet the client exited 0 without saying so"


def _contract_violation(run: ClientRun, _: Thresholds) -> Iterator[str]:
    if not run.scenario.fault_free:
        return
    for exchange in run.exchanges:
        if exchange.operation_id in OBJECT_OPERATIONS:
            if exchange.status is not None and 400 <= exchange.status < 500:
                yield f"{exchange.method} {exchange.path} #{exchange.seq}: the store refused it ({exchange.status})"
        elif exchange.code in CONTRACT_CODES or exchange.status in (404, 405):
            message = (exchange.response or {}).get("message", "") if isinstance(exchange.response, dict) else ""
            yield f"{exchange.operation_id} #{exchange.seq} was refused with {exchange.code}: {message}"


def _unchecked_upload(run: ClientRun, _: Thresholds) -> Iterator[str]:
    issued: set[str] = set()
    checked: set[str] = set()
    for exchange in run.topview:
        result = result_of(exchange)
        if exchange.operation_id == "uploadCredential" and isinstance(result, dict):
            issued.add(str(result.get("fileId")))
        elif exchange.operation_id == "uploadCheck" and result is True:
            checked.add(exchange.query.get("fileId", ""))
        elif exchange.method != "GET":
            for file_id in sorted(set(_strings(exchange.body)) & (issued - checked)):
                yield f"{exchange.operation_id} #{exchange.seq} used fileId {file_id} before upload/check answered true"


def _key_leak(run: ClientRun, _: Thresholds) -> Iterator[str]:
    key = run.credentials.api_key
    for exchange in run.exchanges:
        where = f"{exchange.method} {exchange.path} #{exchange.seq}"
        if exchange.operation_id in OBJECT_OPERATIONS:
            if "authorization" in exchange.headers:
                yield f"{where} carried an Authorization header to {_store_url(exchange)}"
            elif exchange.carries(key):
                yield f"{where} carried the API key to {_store_url(exchange)}"
        elif key in exchange.path or any(key in value for value in exchange.query.values()):
            yield f"{where} put the API key in its URL"


JUDGES: Final[dict[str, Callable[[ClientRun, Thresholds], Iterator[str]]]] = {
    "client-crashed": _crashed,
    "timed-out": _timed_out,
    "polled-after-terminal": _polled_after_terminal,
    "poll-too-fast": _poll_too_fast,
    "retried-client-error": _retried_client_error,
    "retry-storm": _retry_storm,
    "swallowed-error": _swallowed_error,
    "contract-violation": _contract_violation,
    "unchecked-upload": _unchecked_upload,
    "key-leak": _key_leak,
}


# -- helpers --------------------------------------------------------------------------------------------------


def _transient(exchange: Exchange) -> bool:
    return exchange.dropped or (exchange.status or 0) >= 500 or exchange.code in TRANSIENT_CODES


def _same_request(a: Exchange, b: Exchange) -> bool:
    return (a.method, a.path, a.query, a.body) == (b.method, b.path, b.query, b.body)


def _retry_chains(exchanges: list[Exchange]) -> Iterator[list[Exchange]]:
    """Runs of the same request, each attempt after the first following a transient answer."""
    open_chains: list[list[Exchange]] = []
    for exchange in exchanges:
        chain = next((c for c in open_chains if _same_request(c[-1], exchange)), None)
        if chain is not None and _transient(chain[-1]):
            chain.append(exchange)
            continue
        if chain is not None:
            open_chains.remove(chain)
            if len(chain) > 1:
                yield chain
        open_chains.append([exchange])
    yield from (chain for chain in open_chains if len(chain) > 1)


def _what_it_said(exchange: Exchange) -> tuple[str, list[str], Callable[[list[Exchange]], bool]] | None:
    """An error the client must report: what it was, the texts that count as reporting it, and when it recovered."""
    operation = exchange.operation_id

    def same_operation_succeeded(later: list[Exchange]) -> bool:
        return any(e.operation_id == operation and e.code == "200" for e in later)

    if exchange.dropped:
        return f"{operation} lost its connection", list(DROP_WORDS), same_operation_succeeded
    if exchange.code is not None and exchange.code != "200":
        message = exchange.response.get("message") if isinstance(exchange.response, dict) else None
        return f"{operation} answered {exchange.code}", [exchange.code, str(message or "")], same_operation_succeeded
    if exchange.code is None and exchange.status is not None and exchange.status >= 400:
        return f"{operation} answered HTTP {exchange.status}", [str(exchange.status)], same_operation_succeeded
    if exchange.code == "200" and task_status(exchange) in FAILED:
        result = result_of(exchange)
        error_msg = result.get("errorMsg") if isinstance(result, dict) else None

        def resubmitted_and_succeeded(later: list[Exchange]) -> bool:
            return any(e.operation_id == operation and task_status(e) in TERMINAL - FAILED for e in later)

        # Without an errorMsg (a variant may null it) saying that the task failed is all a client can do.
        texts = [str(error_msg)] if error_msg else ["fail"]
        return f"task {exchange.query.get('taskId')} failed", texts, resubmitted_and_succeeded
    return None


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _store_url(exchange: Exchange) -> str:
    return "an upload URL" if exchange.operation_id == OBJECT_UPLOAD else "a download URL"
