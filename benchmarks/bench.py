"""topview-mock against bare baselines, every figure measured side by side in one run.

    python benchmarks/bench.py            # the full run (a few minutes)
    python benchmarks/bench.py --quick    # fewer, shorter rounds (about a minute)
    python benchmarks/bench.py --quick --request-cost   # only the request-cost rows

Over a socket (wrk, installed with apt-get if missing): task query, submit and upload credential, the
fake and a bare Starlette app answering the same envelopes, each on uvicorn with uvloop and httptools.
In process: a task query through ``FakeTopview.client`` against bare ``httpx.ASGITransport``; query,
submit and a list page as state grows; the cost of finishing a task; whole lifecycles with callbacks.
Memory: the resident size of a fake holding as many finished tasks, results made or not.
Start-up: the pytest plugin in a session not using it, the first and later fakes, serve's first answer.
Rounds alternate between the fake and its baseline; the table shows the median of per-round ratios with
their spread, and absolute figures (medians) labelled with the machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import in_process
import memory
import served
import start_up
from stats import Row, machine, table


def main(argv: list[str] | None = None) -> int:
    """Run every benchmark and print the table; 0 when every goal is met, 1 otherwise."""
    options = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    options.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    options.add_argument("--smoke", action="store_true", help="the smallest run that exercises everything (tests)")
    options.add_argument("--no-socket", action="store_true", help="skip the wrk figures")
    options.add_argument(
        "--request-cost", action="store_true", help="only the request-cost rows (socket, in-process query)"
    )
    args = options.parse_args(argv)
    if args.smoke:
        rounds, seconds, count, big, lives = 1, 1.0, 10, 500, 100
    elif args.quick:
        rounds, seconds, count, big, lives = 3, 2.0, 300, 20_000, 10_000
    else:
        rounds, seconds, count, big, lives = 6, 5.0, 1000, 100_000, 10_000
    started = time.perf_counter()
    header = f"Measured on {machine()}."
    rows: list[Row] = []
    if not args.no_socket:
        rows += served.measure(rounds, seconds)
    if args.request_cost:
        rows += in_process.request_cost(rounds, count)
    else:
        rows += in_process.measure(rounds, count, big, lives)
        rows += memory.measure(1, big)
        rows.append(start_up.plugin(rounds))
        rows.append(start_up.plugin_import(rounds))
        rows += start_up.fakes(rounds)
        rows.append(start_up.serve(rounds))
    print(header)
    print()
    print(table(rows))
    print()
    print(
        f"{rounds} alternating round(s) per figure; ratios are the fake's figure over the baseline's (req/s over "
        f"req/s, µs over µs); whole run {time.perf_counter() - started:.0f} s."
    )
    return 0 if all(row.met() for row in rows if row.fake) else 1


if __name__ == "__main__":
    sys.exit(main())
