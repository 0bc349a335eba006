"""The client kit's speed: examples per minute, and the time to shrink a single-fault failure.

Run with ``.venv/bin/python benchmarks/kit_bench.py``. Each figure is measured ``--rounds`` times and
shown as median [min-max], with the load average; each is compared in the same run with a bare baseline
doing the client's own work without the kit (the same client run as many times with no scenario, no
Hypothesis, no judging). The rates are steady state: both clients are correct, so every round runs all
its examples (a finding would end a round after a few, its fixed cost spread over them); every round
runs the same seed's scenarios; and a warm-up run first pays for the first use of the strategies, the
app and the routing.

- subprocess: a small Python ``requests`` client (``benchmarks/clients/requests_client.py``) against a
  server kept warm between examples, as ``topview-mock check-client`` runs it (goal >= 150/min);
- in process: the same flow as an httpx function through the ``topview_mock`` fixture's routing, as
  ``check_client`` runs it (goal >= 3,000/min); latency faults are held against the client's read
  timeout there, taking no real time, as the fixture does for every in-process request;
- shrink: seconds from the start of a run to the reported minimal scenario, for a shell client that
  hides every refusal (one fault is enough to break it), goal <= 60 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from mock_server import MockConfig, Progression, TopviewMock
from mock_server.cli import kit_server
from mock_server.clientkit import Credentials
from mock_server.clientkit.explore import BASELINE_BY_TIME, Options, explore
from mock_server.clientkit.invariants import INVARIANTS, Thresholds
from mock_server.clientkit.targets import Accounts, CommandTarget, Fake, FunctionTarget, Target
from mock_server.control.scenario import Scenario
from mock_server.testing.fake import FakeTopview

HERE = Path(__file__).resolve().parent
REQUESTS_CLIENT = [sys.executable, str(HERE / "clients" / "requests_client.py")]
SHRINK_CLIENT = [str(HERE.parent / "tests" / "clientkit" / "clients" / "bug_swallowed_error.sh")]
# Neither client sleeps between polls on the fake's progression by polls: the pace is not what is measured.
FAST = Thresholds(min_poll_interval=0, timeout=10, invariants=frozenset(INVARIANTS) - {"poll-too-fast"})
SEED = 1  # every round runs the same scenarios: the spread is the machine's, not the draw's
WARM_UP = 20  # examples run once before the rounds, not counted
POLLS = Scenario(progression=Progression("polls", 1, 1))


def spread(values: list[float]) -> str:
    """median [min-max]"""
    return f"{statistics.median(values):,.0f} [{min(values):,.0f}-{max(values):,.0f}]"


def per_minute(examples: int, seconds: float) -> float:
    return examples / seconds * 60


def kit_rate(target: Target, examples: int, seed: int) -> float:
    """Examples per minute of one kit run, its baseline run included; a finding would end it early."""
    started = time.perf_counter()
    options = Options(examples=examples, seed=seed, thresholds=FAST, polls=True, shrink=False)
    report = explore(target, options)
    seconds = time.perf_counter() - started
    # A correct client runs every example: a finding would stop the run after a seed-dependent few, and the
    # run's fixed cost (Hypothesis' set-up, the baseline) spread over those few is no rate.
    assert not report.findings and report.examples == examples, [f.message for f in report.findings]
    return per_minute(report.examples + 1, seconds)  # +1: the baseline


def bare_rate(fake: Fake, run_once: Callable[[Credentials], object], examples: int) -> float:
    accounts = Accounts(fake.base_url)
    started = time.perf_counter()
    for _ in range(examples):
        fake.apply_scenario(POLLS)
        run_once(accounts.next())
    return per_minute(examples, time.perf_counter() - started)


def subprocess_figures(rounds: int, examples: int) -> tuple[list[float], list[float]]:
    kit, bare = [], []
    config = MockConfig(seed=1, clock_mode="realtime", progression=BASELINE_BY_TIME)
    with kit_server(config) as fake:
        target = CommandTarget(fake, REQUESTS_CLIENT, timeout=10)
        kit_rate(target, WARM_UP, seed=SEED)  # not counted: first use of the strategies and the server's routes
        for _ in range(rounds):
            kit.append(kit_rate(target, examples, seed=SEED))
            bare.append(
                bare_rate(fake, lambda c: subprocess.run(REQUESTS_CLIENT, env=c.env, capture_output=True), examples)
            )
    return kit, bare


HTTP = httpx.Client()  # one client for every example, as an application keeps one


def in_process_client(credentials: Credentials) -> None:
    """The requests client's flow with httpx, polling without sleeping (a test moves no real time).

    A correct client (it raises on every refusal, gateway page and failed task), so the kit runs every
    example instead of stopping at a finding.
    """
    base, headers = credentials.base_url, credentials.headers

    def call(method: str, path: str, **options: Any) -> dict[str, Any]:
        response = HTTP.request(method, base + path, headers=headers, **options)
        if response.status_code >= 500:
            raise RuntimeError(f"HTTP {response.status_code}")
        envelope = response.json()
        if str(envelope.get("code")) != "200":
            raise RuntimeError(f"{envelope.get('code')}: {envelope.get('message')}")
        return dict(envelope.get("result") or {})

    task = call("POST", "/v1/scraper/task/submit", json={"productLink": "https://shop.example.com/p/1"})
    for _ in range(50):
        result = call("GET", "/v1/scraper/task/query", params={"taskId": task["taskId"]})
        status = str(result.get("status")).lower()
        if status in ("success", "succeeded"):
            return
        if status in ("fail", "failed"):
            raise RuntimeError(f"task failed: {result.get('errorMsg')}")
    raise RuntimeError("never finished")


def in_process_figures(rounds: int, examples: int) -> tuple[list[float], list[float]]:
    kit, bare = [], []
    fixture = FakeTopview(TopviewMock(MockConfig(seed=1)), intercept=True)
    fake = Fake(
        fixture.base_url,
        fixture.mock.contract,
        fixture.apply_scenario,
        lambda: fixture.mock.journal.entries(),
    )
    target = FunctionTarget(fake, in_process_client, timeout=10, errors=(RuntimeError, httpx.HTTPError))
    try:
        kit_rate(target, WARM_UP, seed=SEED)  # not counted: first use of the strategies, the app and respx
        for _ in range(rounds):
            kit.append(kit_rate(target, examples, seed=SEED))
            bare.append(bare_rate(fake, in_process_client, examples))
    finally:
        fixture.close()
    return kit, bare


def shrink_figures(rounds: int) -> tuple[list[float], list[int]]:
    seconds, runs = [], []
    config = MockConfig(seed=1, clock_mode="realtime", progression=BASELINE_BY_TIME)
    with kit_server(config) as fake:
        for number in range(rounds):
            target = CommandTarget(fake, SHRINK_CLIENT, timeout=10)
            started = time.perf_counter()
            report = explore(target, Options(examples=100, seed=number, thresholds=Thresholds(min_poll_interval=0.01)))
            seconds.append(time.perf_counter() - started)
            runs.append(report.examples)
            assert [f.invariant for f in report.findings] == ["swallowed-error"], report.findings
    return seconds, runs


def main() -> None:
    """Print the figures as a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--examples", type=int, default=60)
    parser.add_argument("--smoke", action="store_true", help="one round of a few examples: does it run?")
    args = parser.parse_args()
    if args.smoke:
        args.rounds, args.examples = 1, 3
    print(f"load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    kit, bare = subprocess_figures(args.rounds, args.examples)
    print(f"| subprocess requests client, warm server | {spread(kit)} /min | bare {spread(bare)} /min | goal >= 150 |")
    kit, bare = in_process_figures(args.rounds, args.examples * 10)
    print(f"| in-process httpx client | {spread(kit)} /min | bare {spread(bare)} /min | goal >= 3,000 |")
    seconds, runs = shrink_figures(args.rounds)
    shown = f"{statistics.median(seconds):.1f} s [{min(seconds):.1f}-{max(seconds):.1f}]"
    runs_shown = f"{statistics.median(runs):.0f} runs"
    print(f"| shrink a single-fault failure (shell client) | {shown} | {runs_shown} | goal <= 60 s |")
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
