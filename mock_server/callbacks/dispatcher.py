"""Task callbacks: POST each finished task's notice to its noticeUrl, retrying on the fake's clock.

Retry *schedules* use virtual time, so a test moves the clock instead of waiting; the HTTP attempts
themselves are real network I/O and are bounded by ``DeliveryPolicy.attempt_timeout`` real seconds.
Up to ``MAX_IN_FLIGHT`` attempts run at once, each in its own turn of a small crew of asyncio tasks, so a
slow receiver delays nobody else; the rest wait their turn, and an attempt's timeout starts only when
the attempt does, so it measures the receiver, never the time spent waiting to be scheduled.

The dispatcher works in two settings. Inside a running event loop (the server, async tests), due
attempts start as soon as they are due: on enqueue, and after every clock advance. Without a running
loop (a sync test calling ``clock.advance()``), due attempts wait until ``await drain()`` or
``run_pending_sync()``. It is not thread-safe: call it from one thread (the event loop's, in the
server — so the control API must advance the clock from async endpoints).
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Protocol

from ..engine.clock import Clock
from .payloads import NOTICE_FIELDS, PendingNotice
from .policy import DeliveryPolicy, delivery_problem, normalise_notice_url
from .receivers import Receivers
from .records import Attempt, NoticeDelivery
from .sender import NoticeSender, Patience

if TYPE_CHECKING:
    import httpx

# Attempts in flight at once. Thousands started together would share the loop so thinly that every
# one of them timed out; beyond this many, deliveries wait (still "pending") for a free turn.
MAX_IN_FLIGHT = 64

log = logging.getLogger("topview_mock.callbacks")


class DeliveryObserver(Protocol):
    """Told of every change to the callback journal: what a persistent fake writes down."""

    def changed(self, delivery: NoticeDelivery) -> None:
        """``delivery`` was recorded, queued, refused or attempted."""

    def evicted(self, delivery_id: str) -> None:
        """A finished delivery left the journal (beyond its limit)."""


class NoticeDispatcher:
    """Delivers notices to noticeUrls off the request path and journals every attempt."""

    def __init__(
        self,
        clock: Clock,
        policy: DeliveryPolicy | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.policy = policy or DeliveryPolicy()
        self._clock = clock
        self.receivers = Receivers()  # in-process receivers by origin: they take their notices without HTTP
        self._sender = NoticeSender(transport, self.receivers)
        self._timer = timer  # real time, only to measure how long an HTTP attempt took
        self.patience: Patience = asyncio.timeout  # bounds each attempt; tests drive it by events instead
        self._journal: dict[str, NoticeDelivery] = {}
        # Pending deliveries waiting for their time: (due, order, delivery), soonest first.
        self._waiting: list[tuple[float, int, NoticeDelivery]] = []
        # Due deliveries waiting for a free turn; a batch (the shuffle aid's) is attempted in order.
        self._ready: deque[list[NoticeDelivery]] = deque()
        # Shuffle aid: deliveries waiting for the window to close.
        self._held: list[NoticeDelivery] = []
        self._window_closes_at: float | None = None
        # Due or in flight: resolved when the delivery's attempt is over.
        self._inflight: dict[str, asyncio.Future[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()  # the crew attempting ready deliveries
        self._finished_order: deque[str] = deque()  # finished deliveries, the first to evict first
        self._sequence = 0
        self._sequence_waiting = 0
        # Why the policy does not deliver to a URL (None: it does), for the policy the answers were found under:
        # hashing the policy (a dataclass of ten fields) for every notice cost more than the rest of enqueuing.
        self._problems: dict[str, str | None] = {}
        self._problems_policy: DeliveryPolicy | None = None
        self._logged_refusals: set[str] = set()  # each reason (one per host) goes to the log once
        self.observer: DeliveryObserver | None = None
        self._closed = False
        clock.subscribe(self._on_clock)

    # ----------------------------------------------------------------------------- public API

    def enqueue(self, uid: str, url: str, body: Mapping[str, str]) -> NoticeDelivery:
        """Record a notice for ``url``; refused hosts are journalled and never contacted."""
        if self._closed:
            raise RuntimeError("the notice dispatcher is closed")
        if not isinstance(body, PendingNotice):  # a finished task's notice has every field by construction
            missing = [name for name in NOTICE_FIELDS if name not in body]
            if missing:
                raise ValueError(f"notice body lacks {', '.join(missing)}")
        delivery = self._record(uid, url, body)  # a PendingNotice stays unmade until attempted
        if self._refuse(delivery):
            return delivery
        due = self._clock.now() + self.policy.extra_delay
        if self.policy.shuffle_window > 0:
            if self._window_closes_at is None:
                self._window_closes_at = due + self.policy.shuffle_window
            delivery.next_attempt_at = self._window_closes_at
            self._held.append(delivery)
        else:
            self._wait(delivery, due)
        self._kick()
        return delivery

    def replay(self, delivery_id: str) -> NoticeDelivery:
        """Send a journalled notice again as a NEW delivery (same body and uuid), due now.

        The original record is left as it was, so the journal stays an append-only history; the
        testing aids (extra_delay, shuffle) do not apply to a replay. Raises KeyError if unknown.
        """
        original = self._journal[delivery_id]
        delivery = self._record(original.uid, original.url, original.body, replay_of=original.id)
        if not self._refuse(delivery):
            self._wait(delivery, self._clock.now())
            self._kick()
        return delivery

    def get(self, delivery_id: str) -> NoticeDelivery | None:
        """The delivery with this id, or None."""
        return self._journal.get(delivery_id)

    def journal(self, uid: str | None = None, task_id: str | None = None) -> list[NoticeDelivery]:
        """Deliveries in the order they were created, optionally only one tenant's or task's."""
        return [
            d
            for d in self._journal.values()
            if (uid is None or d.uid == uid) and (task_id is None or d.task_id == task_id)
        ]

    def pending(self) -> list[NoticeDelivery]:
        """Deliveries that will still be attempted (waiting, held or in flight)."""
        return [d for d in self._journal.values() if not d.finished]

    async def drain(self) -> None:
        """Start every due attempt and wait until nothing is in flight (the clock is not moved)."""
        while True:
            self._start_due()
            if not self._tasks:
                return
            done, _ = await asyncio.wait(set(self._tasks))
            for task in done:
                error = None if task.cancelled() else task.exception()
                if error is not None:
                    raise error  # a bug in the dispatcher, not a failed attempt

    async def settle(self, delivery_id: str) -> NoticeDelivery:
        """Wait for the delivery's in-flight attempt, if any, to finish; returns the record."""
        delivery = self._journal[delivery_id]
        done = self._inflight.get(delivery_id)
        if done is not None:
            await asyncio.wait({done})
        return delivery

    def run_pending_sync(self) -> None:
        """For sync callers: run due attempts to completion in a fresh event loop."""
        if _running_loop() is not None:
            raise RuntimeError("run_pending_sync() cannot run inside an event loop; await drain()")
        asyncio.run(self._drain_in_fresh_loop())

    def restore(self, deliveries: Iterable[NoticeDelivery], sequence: int) -> None:
        """Take back the callback journal of a fake that stopped (a data directory's).

        Finished deliveries stay as they were; the rest are queued again (one interrupted mid-attempt is due
        at once), and new delivery ids go on after ``sequence``.
        """
        now = self._clock.now()
        for delivery in deliveries:
            self._journal[delivery.id] = delivery
            if delivery.finished:
                self._finished_order.append(delivery.id)
            else:
                due = delivery.next_attempt_at if delivery.state == "pending" else None
                self._wait(delivery, now if due is None else due)
        self._sequence = max(self._sequence, sequence)
        self._kick()

    @property
    def sequence(self) -> int:
        """How many deliveries were ever recorded (their ids' counter)."""
        return self._sequence

    def reset(self) -> None:
        """Forget every delivery and cancel attempts in flight."""
        for task in self._tasks:
            task.cancel()
        for done in self._inflight.values():
            done.cancel()
        self._journal.clear()
        self._finished_order.clear()
        self._waiting.clear()
        self._ready.clear()
        self._held.clear()
        self._window_closes_at = None
        self._inflight.clear()
        self._tasks.clear()
        self._sequence = 0
        self._logged_refusals.clear()

    async def aclose(self) -> None:
        """Stop for good: cancel attempts in flight and close the HTTP client."""
        self._closed = True
        tasks = set(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        await self._sender.aclose()

    # ------------------------------------------------------------------------------ scheduling

    def _record(
        self,
        uid: str,
        url: str,
        body: Mapping[str, str],
        *,
        replay_of: str | None = None,
        duplicate_of: str | None = None,
    ) -> NoticeDelivery:
        """Create and journal a delivery, evicting the oldest finished ones beyond the limit."""
        self._sequence += 1
        delivery = NoticeDelivery(
            id=f"dlv-{self._sequence:06d}",
            uid=uid,
            url=normalise_notice_url(url),  # the host as the policy compares it and the sender uses it
            body=body if isinstance(body, PendingNotice) else dict(body),  # made on first read, then fixed
            created_at=self._clock.now(),
            replay_of=replay_of,
            duplicate_of=duplicate_of,
        )
        self._journal[delivery.id] = delivery
        self._evict()
        self._changed(delivery)
        return delivery

    def _changed(self, delivery: NoticeDelivery) -> None:
        if self.observer is not None:
            self.observer.changed(delivery)

    def _evict(self) -> None:
        """Drop the oldest finished deliveries while the journal is over its limit (unfinished ones never)."""
        excess = len(self._journal) - self.policy.journal_limit
        while excess > 0 and self._finished_order:
            delivery = self._journal.get(self._finished_order.popleft())
            if delivery is not None and delivery.finished:
                del self._journal[delivery.id]
                excess -= 1
                if self.observer is not None:
                    self.observer.evicted(delivery.id)

    def _problem(self, url: str) -> str | None:
        """Why the current policy does not deliver to ``url``; None if it does (or an in-process receiver takes it)."""
        if self.receivers.app_for(url) is not None:
            return None
        if self._problems_policy is not self.policy:  # a new policy: what the old one said does not hold
            self._problems_policy, self._problems = self.policy, {}
        problems = self._problems
        if url in problems:
            return problems[url]
        if len(problems) >= 4096:
            problems.clear()
        problem = problems[url] = delivery_problem(url, self.policy)
        return problem

    def _refuse(self, delivery: NoticeDelivery) -> bool:
        """Mark the delivery refused (never contacted) when the policy does not deliver to its URL."""
        problem = self._problem(delivery.url)
        if problem is None:
            return False
        if problem not in self._logged_refusals:
            self._logged_refusals.add(problem)
            log.warning("callbacks to %s are %s", delivery.url, problem)
        delivery.state = "refused"
        delivery.next_attempt_at = None
        delivery.refused_reason = problem
        self._finished_order.append(delivery.id)
        self._changed(delivery)
        return True

    def _wait(self, delivery: NoticeDelivery, due: float) -> None:
        """Queue the delivery's next attempt for virtual time ``due``."""
        delivery.state = "pending"
        delivery.next_attempt_at = due
        self._sequence_waiting += 1
        heapq.heappush(self._waiting, (due, self._sequence_waiting, delivery))
        self._changed(delivery)

    def _on_clock(self) -> None:
        """Clock listener: start what became due, if there is a loop to run it on."""
        self._kick()

    def _kick(self) -> None:
        """Start due attempts now when inside a running loop; otherwise leave them queued."""
        if not self._closed and _running_loop() is not None:
            self._start_due()

    def _start_due(self) -> None:
        """Move every attempt that is due to the ready queue and staff it (needs a running loop)."""
        self._collect_due()
        loop = asyncio.get_running_loop()
        while self._ready and len(self._tasks) < MAX_IN_FLIGHT:
            task = loop.create_task(self._work())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _collect_due(self) -> None:
        now = self._clock.now()
        if self._held and self._window_closes_at is not None and now >= self._window_closes_at:
            batch = list(reversed(self._held))
            self._held.clear()
            self._window_closes_at = None
            self._make_ready(batch)
        while self._waiting and self._waiting[0][0] <= now:
            self._make_ready([heapq.heappop(self._waiting)[2]])

    def _make_ready(self, batch: list[NoticeDelivery]) -> None:
        loop = asyncio.get_running_loop()
        for delivery in batch:
            self._inflight[delivery.id] = loop.create_future()
        self._ready.append(batch)

    async def _work(self) -> None:
        """One of the crew: attempt ready batches, each in order, until none is left."""
        while self._ready:
            for delivery in self._ready.popleft():
                try:
                    await self._attempt(delivery)
                finally:
                    done = self._inflight.pop(delivery.id, None)
                    if done is not None and not done.done():
                        done.set_result(None)
            self._evict()
            if not self._closed:
                self._collect_due()  # a retry or a twin may be due already

    # -------------------------------------------------------------------------------- attempts

    async def _attempt(self, delivery: NoticeDelivery) -> None:
        """POST the notice once, journal the attempt and decide what happens next."""
        if self._refuse(delivery):  # the policy changed since it was queued: never contacted
            return
        delivery.state = "delivering"
        delivery.next_attempt_at = None
        at = self._clock.now()
        started = self._timer()
        status, text, error = await self._sender.post(delivery, self.policy.attempt_timeout, self.patience)
        attempt = Attempt(
            number=len(delivery.attempts) + 1,
            at=at,
            duration_ms=(self._timer() - started) * 1000,
            http_status=status,
            response_text=text[: self.policy.response_excerpt],
            error=error,
            acknowledged=error is None,
        )
        delivery.attempts.append(attempt)
        if attempt.acknowledged:
            delivery.state = "delivered"
            self._finished_order.append(delivery.id)
            if self.policy.deliver_twice and delivery.duplicate_of is None:
                twin = self._record(delivery.uid, delivery.url, delivery.body, duplicate_of=delivery.id)
                self._wait(twin, self._clock.now())
        elif attempt.number >= self.policy.max_attempts:
            delivery.state = "failed"
            self._finished_order.append(delivery.id)
        else:
            self._wait(delivery, at + self.policy.delay_after(attempt.number))
        self._changed(delivery)

    async def _drain_in_fresh_loop(self) -> None:
        """drain(), then release the client bound to this short-lived loop."""
        try:
            await self.drain()
        finally:
            await self._sender.release()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop running in this thread, if any (asking costs no exception when there is none)."""
    return asyncio._get_running_loop()
