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
from mock_server.clientkit.explore import BASELINE_BY_TIME, Options, explore
from mock_server.clientkit.invariants import Thresholds
from mock_server.clientkit.targets import CommandTarget, Fake
from mock_server.config import MockConfig

CLIENTS = Path(__file__).resolve().parent / "clients"
# The correct clients poll every 0.05 s and back off 0.2 s, then 0.6 s: a sleep never ends early, so the
# poll interval can only be broken by a client that does not sleep at all, and the backoff's growth
# only by a hiccup of over 0.3 s between an answer and the next try.
THRESHOLDS = Thresholds(min_poll_interval=0.03, max_retries=5, timeout=4.0)
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
SHELL_BUGS = ["poll-too-fast", "key-leak", "unchecked-upload", "swallowed-error", "retry-storm"]


@pytest.fixture(scope="module")
def fake() -> Iterator[Fake]:
    """One live fake for the module's clients (each example resets it)."""
    with kit_server(MockConfig(seed=1, clock_mode="realtime", progression=BASELINE_BY_TIME)) as served:
        yield served


def command(name: str) -> list[str]:
    """How to run a catalog client."""
    path = CLIENTS / name
    return [sys.executable, str(path)] if path.suffix == ".py" else [str(path)]


def found(fake: Fake, client: str, examples: int, seed: int = 3) -> list[str]:
    """The invariants the kit reports for ``client``, the first one first."""
    target = CommandTarget(fake, command(client), timeout=THRESHOLDS.timeout)
    report = explore(target, Options(examples=examples, seed=seed, thresholds=THRESHOLDS, shrink=False))
    return [finding.invariant for finding in report.findings]


@pytest.mark.parametrize("invariant", PYTHON_BUGS)
def test_each_planted_python_bug_is_caught_by_name(fake: Fake, invariant: str) -> None:
    assert found(fake, f"bug_{invariant.replace('-', '_')}.py", examples=40)[:1] == [invariant]


@pytest.mark.parametrize("invariant", SHELL_BUGS)
def test_each_planted_shell_bug_is_caught_by_name(fake: Fake, invariant: str) -> None:
    assert found(fake, f"bug_{invariant.replace('-', '_')}.sh", examples=40)[:1] == [invariant]


def test_every_invariant_has_a_planted_bug() -> None:
    planted = {path.stem.removeprefix("bug_").replace("_", "-") for path in CLIENTS.glob("bug_*")}
    assert planted == set(PYTHON_BUGS) and set(SHELL_BUGS) <= planted


def test_the_correct_shell_client_survives_100_examples(fake: Fake) -> None:
    assert found(fake, "kit_client.sh", examples=100, seed=11) == []


def test_the_correct_python_client_survives_as_a_subprocess(fake: Fake) -> None:
    assert found(fake, "kit_client.py", examples=15, seed=12) == []
