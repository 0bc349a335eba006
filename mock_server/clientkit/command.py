"""``topview-mock check-client``: test any client, in any language, against generated scenarios.

It starts the fake on a free loopback port, runs the command once per example with ``TOPVIEW_BASE_URL``,
``TOPVIEW_UID`` and ``TOPVIEW_API_KEY`` in its environment (a fresh account each time), and judges each
run. Exit status 0: nothing found; 1: findings (or the client fails the happy path); 2: usage error.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ..config import MockConfig
from .invariants import INVARIANTS, Thresholds, select

if TYPE_CHECKING:
    from .explore import Report
    from .targets import Fake

FAILURES_DIR = Path(".topview-mock") / "failures"
Serve = Callable[[MockConfig], AbstractContextManager["Fake"]]


def add_arguments(command: argparse.ArgumentParser) -> None:
    """The options of ``check-client``."""
    command.add_argument("--examples", type=int, default=100, metavar="N", help="generated scenarios (default 100)")
    command.add_argument("--seed", type=int, metavar="S", help="Hypothesis seed (default: a random one, printed)")
    command.add_argument(
        "--tier",
        choices=("valid", "drift"),
        default="valid",
        help="response variants within the contract (valid, default) or also outside it, as seen in the wild (drift)",
    )
    command.add_argument(
        "--invariants",
        default="all",
        metavar="LIST",
        help="invariants to judge, comma-separated, or all but some: --invariants=-poll-too-fast,-retry-storm "
        f"({', '.join(INVARIANTS)})",
    )
    command.add_argument(
        "--min-poll-interval", type=float, default=1.0, metavar="S", help="seconds between two queries of a task (1)"
    )
    command.add_argument(
        "--max-retries", type=int, default=5, metavar="N", help="retries after transient errors allowed (5)"
    )
    command.add_argument(
        "--timeout", type=float, default=30.0, metavar="S", help="seconds one client run may take (30)"
    )
    command.add_argument("--report", type=Path, metavar="FILE.json", help="write the JSON report there")
    command.add_argument("--junit", type=Path, metavar="FILE.xml", help="write a JUnit XML report there")
    command.add_argument("--replay", type=Path, metavar="SCENARIO.json", help="run one scenario (a saved failure) once")
    command.add_argument("--no-shrink", action="store_true", help="report failures as found, without shrinking them")
    command.add_argument("client", nargs=argparse.REMAINDER, metavar="-- CMD [ARGS...]", help="the client to run")


def run(args: argparse.Namespace, serve: Serve, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``check-client``; the exit status."""
    # Here, not at import: the CLI builds its parser from this module, and serve must not load Hypothesis.
    from .explore import BASELINE_BY_TIME, Options, digest_of, explore, read_scenario, replay
    from .report import text
    from .targets import CommandTarget

    out, err = out or sys.stdout, err or sys.stderr
    command = list(args.client)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        print("topview-mock check-client: give the client to run after --, e.g. -- node client.js", file=err)
        return 2
    try:
        thresholds = Thresholds(args.min_poll_interval, args.max_retries, args.timeout, select(args.invariants))
        scenario = read_scenario(args.replay) if args.replay is not None else None
    except (ValueError, OSError) as error:
        print(f"topview-mock check-client: {error}", file=err)
        return 2
    if args.examples < 1:
        print("topview-mock check-client: --examples must be at least 1", file=err)
        return 2
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    config = MockConfig(seed=seed, clock_mode="realtime", progression=BASELINE_BY_TIME)
    with serve(config) as fake:
        target = CommandTarget(fake, command, timeout=thresholds.timeout)
        if scenario is not None:
            report = replay(target, scenario, thresholds, seed)
        else:
            options = Options(
                examples=args.examples,
                seed=seed,
                tier=args.tier,
                thresholds=thresholds,
                failures_dir=FAILURES_DIR,
                key=digest_of(command),
                shrink=not args.no_shrink,
            )
            print(f"topview-mock check-client: {' '.join(command)} (seed {seed}, {args.examples} examples)", file=err)
            report = explore(target, options, _progress(err))
    _write(report, args, command)
    out.write(text(report, command))
    return 0 if report.ok else 1


def _write(report: Report, args: argparse.Namespace, command: list[str]) -> None:
    from .report import junit, to_json

    if args.report is not None:
        args.report.write_text(json.dumps(to_json(report, command), indent=2, ensure_ascii=False) + "\n", "utf-8")
    if args.junit is not None:
        args.junit.write_text(junit(report, command, sorted(select(args.invariants), key=INVARIANTS.index)), "utf-8")


def _progress(err: TextIO) -> Callable[[str, int, str], None]:
    """Progress on stderr: the baseline, each new kind of finding, and every tenth example."""
    seen: set[str] = set()

    def tell(event: str, count: int, detail: str) -> None:
        if event == "baseline":
            print(f"  baseline run: {detail}", file=err, flush=True)
            return
        if event == "saved":
            print(f"  saved failure tried first: {detail or 'fixed now'}", file=err, flush=True)
            seen.update(name for name in detail.split(", ") if name)
            return
        new = [name for name in detail.split(", ") if name and name not in seen]
        seen.update(new)
        for name in new:
            print(f"  example {count}: {name} — shrinking it", file=err, flush=True)
        if count % 10 == 0:
            phase = "shrinking" if seen else "running"
            print(f"  {count} examples ({phase}, {len(seen)} kind(s) of finding)", file=err, flush=True)

    return tell
