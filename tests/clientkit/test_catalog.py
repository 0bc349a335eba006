"""The kit's own test suite: planted-bug clients, each caught under its invariant's name, and correct clients.

Every client under ``clients/`` runs as a subprocess against one live fake per test module, as the CLI
runs it; seeds are fixed and shrinking is off (the CLI tests shrink). A correct client must survive
every scenario: the shell one runs 100 examples here, the Python one 100 in process (test_pytest_api).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mock_server.cli import kit_server
from mock_server.clientkit.explore import BASELINE_BY_TIME, Options, Report, explore
from mock_server.clientkit.invariants import INVARIANTS, Thresholds
from mock_server.clientkit.records import ClientRun, Credentials
from mock_server.clientkit.targets import CommandTarget, Fake
from mock_server.config import MockConfig
from mock_server.control.scenario import Scenario

CLIENTS = Path(__file__).resolve().parent / "clients"
# A busy machine only lengthens what the fake measures, never shortens it: the correct clients poll every
# 0.02 s and back off 0.1 s, then 0.3 s, so no scheduler can make them poll faster than 0.01 s or retry
# at once, and the judges allow 2 s of noise before calling waits shrinking. Correct runs take about a
# second: the timeout leaves them many seconds more. Only two planted bugs need thresholds of their own.
THRESHOLDS = Thresholds(min_poll_interval=0.01, max_retries=5, timeout=10.0)
OWN_THRESHOLDS = {
    "timed-out": Thresholds(min_poll_interval=0.01, timeout=3.0),  # the bug never ends: any timeout catches it
    "poll-too-fast": Thresholds(min_poll_interval=2.5, timeout=10.0),  # the bug does not pause at all
}
PYTHON_BUGS = [
    "client-crashed",
    "timed-out",
    "polled-after-terminal",
    "poll-too-fast",
    "retried-client-error",
    "retry-storm",
    "swallowed-error",
    "contract-violation",
    "unchecked-upload",
    "key-leak",
]
SHELL_BUGS = PYTHON_BUGS


@pytest.fixture(scope="module")
def fake() -> Iterator[Fake]:
    """One live fake for the module's clients (each example resets it)."""
    with kit_server(MockConfig(seed=1, clock_mode="realtime", progression=BASELINE_BY_TIME)) as served:
        yield served


@pytest.fixture(scope="module")
def fast_clock() -> Iterator[Fake]:
    """A live fake whose clock runs 50 times as fast as real time: a callback 5 s late comes in 0.1 s."""
    config = MockConfig(seed=1, clock_mode="realtime", clock_speed=50, progression=BASELINE_BY_TIME)
    with kit_server(config) as served:
        yield served


def command(name: str) -> list[str]:
    """How to run a catalog client."""
    path = CLIENTS / name
    return [sys.executable, str(path)] if path.suffix == ".py" else [str(path)]


def found(fake: Fake, client: str, examples: int, seed: int = 3, thresholds: Thresholds = THRESHOLDS) -> list[str]:
    """The invariants the kit reports for ``client``, the first one first."""
    return [finding.invariant for finding in explored(fake, client, examples, seed, thresholds)[0].findings]


def explored(
    fake: Fake, client: str, examples: int, seed: int = 3, thresholds: Thresholds = THRESHOLDS
) -> tuple[Report, list[ClientRun]]:
    """The kit's report on ``client``, and every run it made."""
    runs: list[ClientRun] = []
    target = CommandTarget(fake, command(client), timeout=thresholds.timeout)
    run_once = target.run

    def run(scenario: Scenario, credentials: Credentials) -> ClientRun:
        runs.append(run_once(scenario, credentials))
        return runs[-1]

    target.run = run  # type: ignore[method-assign]
    report = explore(target, Options(examples=examples, seed=seed, thresholds=thresholds, shrink=False))
    return report, runs


@pytest.mark.parametrize("invariant", PYTHON_BUGS)
def test_each_planted_python_bug_is_caught_by_name(fake: Fake, invariant: str) -> None:
    thresholds = OWN_THRESHOLDS.get(invariant, THRESHOLDS)
    assert found(fake, f"bug_{invariant.replace('-', '_')}.py", 40, thresholds=thresholds)[:1] == [invariant]


@pytest.mark.parametrize("invariant", SHELL_BUGS)
def test_each_planted_shell_bug_is_caught_by_name(fake: Fake, invariant: str) -> None:
    thresholds = OWN_THRESHOLDS.get(invariant, THRESHOLDS)
    assert found(fake, f"bug_{invariant.replace('-', '_')}.sh", 40, thresholds=thresholds)[:1] == [invariant]


def test_every_invariant_has_a_planted_bug() -> None:
    for suffix, bugs in ((".py", PYTHON_BUGS), (".sh", SHELL_BUGS)):
        planted = {path.stem.removeprefix("bug_").replace("_", "-") for path in CLIENTS.glob(f"bug_*{suffix}")}
        assert planted == set(bugs) == set(INVARIANTS), suffix


def test_the_correct_shell_client_survives_100_examples(fake: Fake) -> None:
    assert found(fake, "kit_client.sh", examples=100, seed=11) == []


def test_the_correct_python_client_survives_as_a_subprocess(fake: Fake) -> None:
    assert found(fake, "kit_client.py", examples=15, seed=12) == []


def test_the_correct_callback_client_survives_duplicate_late_and_reordered_notices(fast_clock: Fake) -> None:
    report, runs = explored(fast_clock, "notice_client.py", examples=20, seed=13)
    assert report.findings == [] and not report.baseline_failed
    aids = [run.scenario.callbacks for run in runs]
    assert (
        any(a.deliver_twice for a in aids) and any(a.extra_delay for a in aids) and any(a.shuffle_window for a in aids)
    )
    # The duplicates really came: the client saw notices of tasks it had handled, and ignored them.
    assert any("repeated notices ignored" in run.output and "(0 repeated" not in run.output for run in runs)
    assert all(run.scenario.progression and run.scenario.progression.mode == "time" for run in runs)


def test_a_client_fetching_a_task_again_on_a_duplicate_notice_is_caught(fast_clock: Fake) -> None:
    report, _ = explored(fast_clock, "notice_bug_polled_after_terminal.py", examples=40, seed=13)
    (finding,) = report.findings
    assert finding.invariant == "polled-after-terminal" and finding.scenario.callbacks.deliver_twice
