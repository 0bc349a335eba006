"""Task lifecycles on the virtual clock: progression policies, unpolled tasks, and a stateful property test.

The hypothesis state machine submits, polls, advances, forces and injects faults at random, and after
every step checks: states only move forward along TRANSITIONS, terminal states stay, and every
account's credits are conserved (balance + reserved + spent == granted, reserved == unfinished costs).
"""

from __future__ import annotations

from functools import cache, partial
from itertools import pairwise
from typing import Any

import httpx
import pytest
from anyio.from_thread import start_blocking_portal
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule
from starlette.applications import Starlette
from topview_calls import BASE_URL, UID, headers, ok

from mock_server import MockConfig, Progression, TopviewMock, create_app
from mock_server.contract.openapi import Contract
from mock_server.engine.clock import EPOCH, Clock
from mock_server.engine.errors import ERROR_CODES
from mock_server.engine.tasks import TERMINAL, TRANSITIONS

SCRAPE = {"productLink": "https://shop.example.com/p/1"}
M2V = {"productLink": "https://shop.example.com/p/1", "preview": False}


class BlockingClient:
    """A synchronous HTTP client on the app, for sync tests: an AsyncClient run through an anyio portal."""

    def __init__(self, app: Starlette) -> None:
        self._portal_cm = start_blocking_portal("asyncio")
        self._portal = self._portal_cm.__enter__()
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request, waited for."""
        return self._portal.call(partial(self._client.request, method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        """GET ``url``."""
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        """POST ``url``."""
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        """PUT ``url``."""
        return self.request("PUT", url, **kwargs)

    def close(self) -> None:
        """Close the client and stop the portal's thread."""
        self._portal.call(self._client.aclose)
        self._portal_cm.__exit__(None, None, None)


# -- progression, in examples ----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_per_kind_durations(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """init and running durations per task kind; other kinds keep the global ones."""
    mock.set_progression(Progression("time", init=5, running=10), kind="m2v")
    slow = ok((await client.post("/v1/m2v/task/submit", json=M2V, headers=headers())).json())["taskId"]
    quick = ok((await client.post("/v1/scraper/task/submit", json=SCRAPE, headers=headers())).json())["taskId"]
    mock.advance(4)
    assert {t["taskId"]: t["status"] for t in mock.tasks()} == {slow: "init", quick: "success"}
    mock.advance(1)
    assert mock.tasks()[0]["status"] == "running"
    mock.advance(10)
    history = mock.tasks()[0]["history"]
    assert history == [
        {"at": EPOCH, "status": "init"},
        {"at": EPOCH + 5, "status": "running"},
        {"at": EPOCH + 15, "status": "success"},
    ]


@pytest.mark.anyio
async def test_an_unpolled_task_finishes_on_time_and_calls_back(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Nobody queries: advance() alone finishes the task at its due time, and its callback goes out."""
    body = {**SCRAPE, "noticeUrl": "http://127.0.0.1:9/topview-callback"}
    task_id = ok((await client.post("/v1/scraper/task/submit", json=body, headers=headers())).json())["taskId"]
    mock.advance(3.5)
    assert mock.notices.journal(task_id=task_id) == []
    mock.advance(0.5)
    (task,) = mock.tasks()
    assert (task["status"], task["finishedAt"]) == ("success", EPOCH + 4)
    (delivery,) = mock.notices.journal(task_id=task_id)
    assert delivery.body["status"] == "success" and delivery.url == body["noticeUrl"]
    await mock.notices.aclose()  # the receiver is not there: stop the retries


def test_realtime_clock_follows_its_source_with_speed() -> None:
    """realtime mode: virtual time = start + (source - origin) * speed, plus any advance."""
    now = [100.0]
    clock = Clock(mode="realtime", speed=10, source=lambda: now[0])
    now[0] += 1.5
    assert clock.now() == EPOCH + 15
    assert clock.advance(5) == EPOCH + 20


def test_tick_finishes_due_tasks_in_realtime_mode(contract: Contract) -> None:
    """A server's ticker calls mock.tick(): due work happens though nobody polls or advances."""
    app = create_app(mock=TopviewMock(MockConfig(clock_mode="realtime", clock_speed=100), contract=contract))
    mock: TopviewMock = app.state.mock
    now = [0.0]
    mock.clock.source = lambda: now[0]
    mock.clock.reset()
    client = BlockingClient(app)
    task_id = ok(client.post("/v1/scraper/task/submit", json=SCRAPE, headers=headers()).json())["taskId"]
    client.close()
    now[0] += 0.05  # 5 virtual seconds at speed 100
    task = mock.state.find_task(task_id)  # the raw state: the control API's reads would settle it themselves
    assert task is not None and task.status == "init"
    mock.tick()
    assert task.status == "success"


def test_manual_progression_waits_for_the_control_plane(contract: Contract) -> None:
    """mode manual: time does not move the task; complete() does."""
    app = create_app(mock=TopviewMock(MockConfig(progression=Progression("manual")), contract=contract))
    mock: TopviewMock = app.state.mock
    client = BlockingClient(app)
    task_id = ok(client.post("/v1/scraper/task/submit", json=SCRAPE, headers=headers()).json())["taskId"]
    mock.advance(10_000)
    assert mock.tasks()[0]["status"] == "init"
    mock.complete(task_id, "fail", "stopped")
    result = ok(client.get("/v1/scraper/task/query", params={"taskId": task_id}, headers=headers()).json())
    client.close()
    assert (result["status"], result["errorMsg"]) == ("fail", "stopped")


# -- the state machine -------------------------------------------------------------------------------------

ACCOUNTS = (UID, "uid-bob")
SUBMITS = {"scraper": ("/v1/scraper/task/submit", SCRAPE), "m2v": ("/v1/m2v/task/submit", M2V)}
QUERIES = {"scraper": "/v1/scraper/task/query", "m2v": "/v1/m2v/task/query"}


@cache
def shared_app() -> Starlette:
    """One fake for every example, reset before each: building a fake per example would dominate the run."""
    config = MockConfig(credits=12, progression=Progression("time", 1, 3))
    return create_app(mock=TopviewMock(config, contract=Contract.load()))


class Lifecycle(RuleBasedStateMachine):
    """Random submits, polls, clock moves, forced ends and faults against one fake."""

    tasks = Bundle("tasks")

    def __init__(self) -> None:
        super().__init__()
        self.app = shared_app()
        self.mock: TopviewMock = self.app.state.mock
        self.mock.reset()
        self.client = BlockingClient(self.app)
        self.seen: dict[str, list[tuple[float, str]]] = {}  # taskId -> history as last observed
        self.kinds: dict[str, tuple[str, str]] = {}  # taskId -> (kind, uid)
        self.pending_code: str | None = None  # the code the next API call must answer
        self.costs: dict[str, float] = {}  # kind -> what its tasks cost, as seen

    def teardown(self) -> None:
        """Close the client (and its portal thread)."""
        self.client.close()

    def answer(self, response: httpx.Response) -> dict[str, Any]:
        """The envelope, after checking a pending one-shot fault took this call."""
        envelope: dict[str, Any] = response.json()
        if self.pending_code is not None:
            assert envelope["code"] == self.pending_code
            self.pending_code = None
        return envelope

    @rule(
        target=tasks,
        kind=st.sampled_from(sorted(SUBMITS)),
        uid=st.sampled_from(ACCOUNTS),
        outcome=st.sampled_from([None, "success", "fail", "fail; message=boom"]),
    )
    def submit(self, kind: str, uid: str, outcome: str | None) -> str:
        """Submit a task (maybe with a forced outcome); a refused one yields no task."""
        path, body = SUBMITS[kind]
        extra = {"X-Topview-Mock-Outcome": outcome} if outcome else {}
        faulted = self.pending_code is not None
        balance = self.mock.credits(uid)["balance"]
        envelope = self.answer(self.client.post(path, json=body, headers={**headers(uid), **extra}))
        if envelope["code"] != "200":
            assert faulted or envelope["code"] == "4100"
            if not faulted:  # 4100 by its natural trigger only: the balance could not cover the cost
                assert kind != "scraper" and balance < self.costs.get(kind, float("inf"))
            return ""
        task_id = str(envelope["result"]["taskId"])
        self.kinds[task_id] = (kind, uid)
        task = self.mock.state.find_task(task_id)
        assert task is not None and task.cost <= balance
        self.costs[kind] = task.cost
        return task_id

    @rule(task_id=tasks)
    def poll(self, task_id: str) -> None:
        """Query a task: the answer agrees with the engine's view."""
        if not task_id:
            return
        kind, uid = self.kinds[task_id]
        envelope = self.answer(self.client.get(QUERIES[kind], params={"taskId": task_id}, headers=headers(uid)))
        if envelope["code"] == "200":
            assert envelope["result"]["status"] == self.status(task_id)

    @rule(seconds=st.sampled_from([0, 0.5, 1, 2.5, 4, 30]))
    def advance(self, seconds: float) -> None:
        """Move the virtual clock."""
        self.client.post("/_mock/clock/advance", json={"seconds": seconds}).raise_for_status()

    @rule(task_id=tasks, status=st.sampled_from(["success", "fail"]))
    def force(self, task_id: str, status: str) -> None:
        """Finish a task over the control API: 409 once it is terminal, and nothing changes then."""
        if not task_id:
            return
        before = self.status(task_id)
        response = self.client.post(f"/_mock/tasks/{task_id}/complete", json={"status": status})
        if before in TERMINAL:
            assert response.status_code == 409 and self.status(task_id) == before
        else:
            assert response.status_code == 200 and self.status(task_id) == status

    @rule(code=st.sampled_from(ERROR_CODES))
    def fault(self, code: str) -> None:
        """A one-shot fault: the next API call answers ``code``."""
        if self.pending_code is None:
            self.client.post("/_mock/faults", json={"code": code, "times": 1}).raise_for_status()
            self.pending_code = code

    @rule(uid=st.sampled_from(ACCOUNTS), credit=st.sampled_from([0, 3, 5, 20]))
    def top_up(self, uid: str, credit: float) -> None:
        """Set an account's balance (granted moves with it)."""
        self.client.put("/_mock/credits", json={"uid": uid, "credit": credit}).raise_for_status()

    @rule(mode=st.sampled_from(["time", "polls", "manual"]))
    def progression(self, mode: str) -> None:
        """Change how new tasks progress."""
        self.client.put("/_mock/progression", json={"mode": mode}).raise_for_status()

    def status(self, task_id: str) -> str:
        task = self.mock.state.find_task(task_id)
        assert task is not None
        return task.status

    @invariant()
    def states_only_move_forward(self) -> None:
        """Histories follow TRANSITIONS from init, only grow, and terminal states stay."""
        for tenant in self.mock.state.tenants.values():
            for task in tenant.tasks.values():
                states = [status for _, status in task.history]
                assert states[0] == "init" and states[-1] == task.status
                assert all(step in TRANSITIONS for step in pairwise(states))
                previous = self.seen.get(task.task_id, [])
                assert task.history[: len(previous)] == previous
                if previous and previous[-1][1] in TERMINAL:
                    assert task.history == previous
                self.seen[task.task_id] = list(task.history)
        assert set(self.seen) == set(self.kinds)  # no task vanished, none appeared unasked

    @invariant()
    def credits_are_conserved(self) -> None:
        """balance + reserved + spent == granted; reserved is what unfinished tasks hold."""
        for tenant in self.mock.state.tenants.values():
            ledger = tenant.ledger
            assert ledger.balance >= -1e-9
            assert ledger.balance + ledger.reserved + ledger.spent == pytest.approx(ledger.granted)
            unfinished = sum(t.cost for t in tenant.tasks.values() if t.status not in TERMINAL)
            succeeded = sum(t.cost for t in tenant.tasks.values() if t.status == "success")
            assert ledger.reserved == pytest.approx(unfinished)
            assert ledger.spent == pytest.approx(succeeded)  # failed tasks cost nothing


Lifecycle.TestCase.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_lifecycle = Lifecycle.TestCase
