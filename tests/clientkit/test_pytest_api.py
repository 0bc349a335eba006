"""The kit from pytest: the scenarios strategy, the judge, and ``check_client`` on the fixtures."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings

from mock_server import TopviewMock
from mock_server.clientkit import (
    ClientCrashed,
    Credentials,
    PolledAfterTerminal,
    PollTooFast,
    SwallowedError,
    TimedOut,
    scenarios,
)
from mock_server.control.scenario import Scenario

sys.path.insert(0, str(Path(__file__).resolve().parent / "clients"))
import kit_client  # the catalog's Python clients, imported to run in process
import notice_bug_polled_after_terminal
import notice_client

FLOW = ["uploadCredential", "uploadCheck", "removeBackgroundSubmit", "removeBackgroundQuery"]


class Quick(kit_client.Client):
    """The correct client, pacing itself for an in-process fake.

    A sleep never ends early, so it never polls faster than ``min_poll_interval=0.005`` below nor
    retries at once (under 0.05 s), however busy the machine.
    """

    poll_interval = 0.01
    backoff = 0.1


def correct(credentials: Credentials) -> None:
    kit_client.run(Quick(credentials.base_url, credentials.uid, credentials.api_key))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(FLOW, tier="drift", callbacks=True))
def test_every_generated_scenario_applies_and_reads_back(scenario: Scenario) -> None:
    assert Scenario.from_json(scenario.to_json()) == scenario
    assert scenario.operations() <= set(FLOW)
    FAKE.apply_scenario(scenario)  # the fake takes every one of them


FAKE = TopviewMock()  # one for the whole property test: applying resets it anyway


def test_the_strategy_refuses_unknown_operations() -> None:
    with pytest.raises(ValueError, match="operations must name operations"):
        scenarios(["teleport"])


def test_a_correct_python_client_survives_100_examples(topview_mock: Any) -> None:
    report = topview_mock.check_client(
        correct, examples=100, seed=5, errors=(kit_client.Failed,), min_poll_interval=0.005
    )
    assert report.findings == [] and report.examples >= 100
    assert report.operations == sorted(FLOW)


def test_a_planted_bug_fails_the_test_with_its_shrunk_scenario(topview_mock: Any) -> None:
    def swallowing(credentials: Credentials) -> None:
        try:
            correct(credentials)
        except kit_client.Failed:
            print("done")

    with pytest.raises(SwallowedError) as raised:
        topview_mock.check_client(swallowing, examples=30, seed=2, min_poll_interval=0.005)
    text = str(raised.value)
    assert "shrunk scenario:" in text and "timeline:" in text
    scenario = raised.value.run.scenario  # type: ignore[union-attr]
    assert len(scenario.faults) + len(scenario.outcomes) + len(scenario.variants) <= 1  # shrunk to one cause


def test_undeclared_exceptions_are_crashes_and_the_baseline_is_judged(topview_mock: Any) -> None:
    with pytest.raises(PollTooFast, match="in the clean baseline run"):
        topview_mock.check_client(correct, examples=5, errors=(kit_client.Failed,), min_poll_interval=5)


def test_a_hanging_client_is_stopped_and_reported_as_timed_out(topview_mock: Any) -> None:
    stopped = threading.Event()

    def hanging(credentials: Credentials) -> None:
        try:
            while True:  # never returns on its own
                time.sleep(0.01)
        finally:
            stopped.set()

    with pytest.raises(TimedOut, match="did not finish within 1 s"):
        topview_mock.check_client(hanging, examples=3, timeout=1)
    assert stopped.wait(5)  # it was stopped, not left running


def test_a_client_blocked_for_good_is_left_behind_and_reported_as_timed_out(topview_mock: Any) -> None:
    release = threading.Event()
    try:
        with pytest.raises(TimedOut):
            topview_mock.check_client(lambda credentials: release.wait(), examples=3, timeout=1)
    finally:
        release.set()


def impatient(credentials: Credentials) -> None:
    """Gives every answer 0.1 s and lets ``httpx.ReadTimeout`` escape: a deadline nobody handles."""

    def result(response: httpx.Response) -> Any:
        if response.status_code != 200 or response.json().get("code") != "200":
            raise kit_client.Failed(f"HTTP {response.status_code}: {response.text[:80]}")
        return response.json()["result"]

    with httpx.Client(base_url=credentials.base_url, headers=credentials.headers, timeout=0.1) as http:
        task = result(http.post("/v1/scraper/task/submit", json={"productLink": "https://shop.example.com/p/1"}))
        for _ in range(40):
            if result(http.get("/v1/scraper/task/query", params={"taskId": task["taskId"]}))["status"] in (
                "success",
                "fail",
            ):
                return
            time.sleep(0.01)


def test_a_latency_fault_meets_the_client_read_timeout_in_process(topview_mock: Any) -> None:
    """In process a latency fault takes no real time, yet it still outlasts a short read timeout."""
    with pytest.raises(ClientCrashed, match="ReadTimeout") as raised:
        topview_mock.check_client(
            impatient,
            examples=60,
            seed=1,
            errors=(kit_client.Failed, httpx.RemoteProtocolError),
            min_poll_interval=0.005,
        )
    (fault,) = raised.value.run.scenario.faults  # type: ignore[union-attr]
    assert fault.latency is not None and fault.latency[0] > 0.1


def notices(credentials: Credentials, client_class: type[notice_client.NoticeClient]) -> None:
    client = client_class(credentials.base_url, credentials.uid, credentials.api_key)
    client.poll_interval, client.backoff = Quick.poll_interval, Quick.backoff
    notice_client.run(client)


def test_a_callback_client_in_process_gets_duplicate_late_and_reordered_notices(topview_mock: Any) -> None:
    seen: list[Scenario] = []

    def correct_notices(credentials: Credentials) -> None:
        seen.append(topview_mock.mock.scenario)
        notices(credentials, notice_client.NoticeClient)

    report = topview_mock.check_client(correct_notices, examples=30, seed=3, errors=(kit_client.Failed,))
    assert report.findings == [] and report.operations == ["scraperQuery", "scraperSubmit"]
    aids = [scenario.callbacks for scenario in seen]
    assert (
        any(a.deliver_twice for a in aids) and any(a.extra_delay for a in aids) and any(a.shuffle_window for a in aids)
    )
    assert all(s.progression is not None and s.progression.mode == "time" for s in seen)  # it waits: the clock moves


def test_a_duplicate_notice_mishandled_in_process_is_caught(topview_mock: Any) -> None:
    def fetching_twice(credentials: Credentials) -> None:
        notices(credentials, notice_bug_polled_after_terminal.Client)

    with pytest.raises(PolledAfterTerminal) as raised:
        topview_mock.check_client(fetching_twice, examples=30, seed=3, errors=(kit_client.Failed,), shrink=False)
    assert raised.value.run.scenario.callbacks.deliver_twice  # type: ignore[union-attr]
