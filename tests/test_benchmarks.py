"""The benchmark runs (its figures are for people to read: no timing is asserted here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench.py"


def test_the_benchmark_runs_and_prints_its_table() -> None:
    """Its smallest run (no wrk) measures every in-process and start-up figure and prints one table."""
    done = subprocess.run(
        [sys.executable, str(BENCH), "--smoke", "--no-socket"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode in (0, 1), done.stderr  # 1: some goal not met on this run, which is no test failure
    out = done.stdout
    assert out.startswith("Measured on ") and "| measure | topview-mock | bare baseline |" in out
    for figure in (
        "in process: task query",
        "state: task submit",
        "finishing a task",
        "lifecycles",
        "memory: RSS holding",
        "board task list page",
        "plugins:",
        "their import in a fresh process",
        "serve:",
    ):
        assert figure in out


def test_the_client_kit_benchmark_runs() -> None:
    """Its smallest run measures each figure once: subprocess and in-process rates, and one shrink."""
    kit_bench = BENCH.with_name("kit_bench.py")
    done = subprocess.run([sys.executable, str(kit_bench), "--smoke"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    for figure in ("subprocess requests client", "in-process httpx client", "shrink a single-fault failure"):
        assert figure in done.stdout


def test_the_persistence_benchmark_runs() -> None:
    """Its smallest run measures a data directory's cost per request and its restore, beside in memory."""
    done = subprocess.run(
        [sys.executable, str(BENCH.with_name("persistence.py")), "--smoke"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode in (0, 1), done.stderr
    for figure in ("in process: submit", "first query of a finished task", "a later query", "start on a directory"):
        assert figure in done.stdout
