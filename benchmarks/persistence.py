"""What a data directory costs: the same requests on a fake with ``data_dir`` and on an in-memory one.

    python benchmarks/persistence.py            # 7 alternating rounds
    python benchmarks/persistence.py --smoke    # one short round (tests)

In process (ASGITransport): a submit, the first query of a finished task (its result is made then, and
written) and a later query of it, each answered only after its change (if any) is committed to SQLite;
and the start of a fake on a directory holding N finished tasks (the restore),
against the start of an empty in-memory fake. The table shows medians of per-round ratios with their
spread, as ``bench.py`` does.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baselines import HEADERS, QUERY, SCRAPE, SUBMIT
from stats import Row, machine, table

from mock_server import MockConfig, Progression, TopviewMock, create_app
from mock_server.contract.openapi import Contract


async def requests(config: MockConfig, contract: Contract, count: int) -> tuple[float, float, float]:
    """Microseconds per submit, per first query of a finished task (its result made), per later poll."""
    app = create_app(mock=TopviewMock(config, contract=contract))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="https://api.topview.ai") as client:
        started = time.perf_counter()
        ids = [
            (await client.post(SUBMIT, json=SCRAPE, headers=HEADERS)).json()["result"]["taskId"] for _ in range(count)
        ]
        submit = (time.perf_counter() - started) / count * 1e6
        app.state.mock.advance(5)
        polls = []
        for _ in range(2):
            started = time.perf_counter()
            for task_id in ids:
                await client.get(QUERY, params={"taskId": task_id}, headers=HEADERS)
            polls.append((time.perf_counter() - started) / count * 1e6)
    return submit, polls[0], polls[1]


def filled(directory: Path, contract: Contract, tasks: int) -> None:
    """A data directory holding ``tasks`` finished scraper tasks of one account."""
    config = MockConfig(data_dir=str(directory), progression=Progression("time", 1, 3))

    async def fill() -> None:
        app = create_app(mock=TopviewMock(config, contract=contract))
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="https://api.topview.ai") as client:
            for _ in range(tasks):
                await client.post(SUBMIT, json=SCRAPE, headers=HEADERS)
            await client.post("/_mock/clock/advance", json={"seconds": 5})

    asyncio.run(fill())


def start(config: MockConfig, contract: Contract) -> float:
    """Seconds to build a fake (and restore what its directory holds)."""
    started = time.perf_counter()
    TopviewMock(config, contract=contract)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Measure and print the table; 0 when every goal is met, 1 otherwise."""
    options = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    options.add_argument("--smoke", action="store_true", help="one short round")
    args = options.parse_args(argv)
    rounds, count, tasks = (1, 20, 50) if args.smoke else (7, 400, 5000)
    contract = Contract.load()
    submit = Row("in process: submit, per request (µs)", "µs", "<= 2.5")
    query = Row("in process: first query of a finished task (result made, written), per request (µs)", "µs", "<= 3.0")
    poll = Row("in process: a later query of it (nothing changed, nothing written), per request (µs)", "µs", "<= 1.5")
    restore = Row(f"start on a directory of {tasks:,} tasks, against an empty in-memory start (s)", "s", "<= 10 s")
    restore.absolute = True
    root = Path(tempfile.mkdtemp(prefix="topview-mock-bench-"))
    try:
        kept = root / "kept"
        filled(kept, contract, tasks)
        for n in range(rounds):
            directory = root / f"round-{n}"
            for keep in (False, True):  # alternate, so a busy moment hits both sides
                config = MockConfig(data_dir=str(directory) if keep else None)
                figures = asyncio.run(requests(config, contract, count))
                for row, value in zip((submit, query, poll), figures, strict=True):
                    (row.fake if keep else row.bare).append(value)
            restore.bare.append(start(MockConfig(), contract))
            restore.fake.append(start(MockConfig(data_dir=str(kept)), contract))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    rows = [submit, query, poll, restore]
    print(f"Measured on {machine()}; the baseline is the same fake in memory.")
    print(table(rows))
    return 0 if all(row.met() for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
