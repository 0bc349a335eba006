"""The command lines of ``topview-mock record``, ``replay`` and ``drift``.

Kept apart from ``commands`` (which runs them) so that ``cli`` builds its parser without importing the
proxy, the replayer or the drift checks: ``topview-mock serve`` starts without them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

DEFAULT_UPSTREAM = "https://api.topview.ai"
CHECKS = ("contract", "fake")  # what ``drift --against`` may name
NAMES = ("record", "replay", "drift")


def add_commands(commands: Any) -> None:
    """Add ``record``, ``replay`` and ``drift`` to the ``topview-mock`` subcommands."""
    record = commands.add_parser(
        "record",
        help="record real traffic through a reverse proxy into VCR cassettes",
        description="A reverse proxy that forwards to the Topview API and writes every exchange, scrubbed of "
        "secrets, to VCR cassettes (one per session, or per test named in the X-Topview-Mock-Cassette header).",
    )
    record.add_argument(
        "--upstream", default=DEFAULT_UPSTREAM, help=f"the API to forward to (default {DEFAULT_UPSTREAM})"
    )
    record.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    record.add_argument("--port", type=int, default=8100, help="port to listen on, 0 for any free one (default 8100)")
    record.add_argument("--out", type=Path, required=True, help="directory the cassettes are written to")
    record.add_argument(
        "--max-credits",
        type=float,
        metavar="N",
        help="stop forwarding submits once recorded tasks would spend more than N credits (answered 4100)",
    )
    record.add_argument(
        "--record-as",
        metavar="URL",
        help="base URL written in cassettes instead of the upstream's (e.g. https://api.topview.ai)",
    )
    record.add_argument(
        "--record-media", action="store_true", help="keep upload and download bytes, not only size and type"
    )
    record.add_argument("--session", default="session", help="cassette name of requests naming none (default session)")

    replay = commands.add_parser(
        "replay",
        help="serve recorded cassettes to a client in any language",
        description="Answer requests from VCR cassettes: matched by method, path and normalised query and body, "
        "repeated requests in recorded order; a request with no match answers 4004 naming the nearest one.",
    )
    replay.add_argument("cassettes", type=Path, metavar="DIR", help="a directory of cassettes (or one cassette)")
    replay.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    replay.add_argument("--port", type=int, default=8200, help="port to listen on, 0 for any free one (default 8200)")
    drift = commands.add_parser(
        "drift",
        help="check recorded answers against the contract and the fake",
        description="Validate every recorded answer against the contract (and list what it does not declare), "
        "drive the recorded sequence through an in-process fake and compare the answers' shapes. "
        "Exits 1 when a finding is breaking.",
    )
    drift.add_argument("cassettes", type=Path, metavar="DIR", help="a directory of cassettes (or one cassette)")
    drift.add_argument(
        "--against",
        default=",".join(CHECKS),
        metavar="CHECKS",
        help="comma-separated checks: contract, fake (default both)",
    )
    drift.add_argument("--report", type=Path, metavar="FILE.json", help="write the findings as JSON")
    drift.add_argument(
        "--skip-paths", type=Path, metavar="FILE", help="paths the fake comparison ignores, one per line"
    )
