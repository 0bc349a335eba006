"""Re-record ``fixtures/cassettes`` from the fake itself, through the recorder.

Every flow of ``mock_server.recording.flows`` (upload, credits, boards, and a task of each Topview group
to success and to fail) runs against a fresh in-process fake (seed 0) behind ``topview-mock record``'s
proxy, and lands in a cassette named after it. Run from the checkout:

    .venv/bin/python scripts/record_fixtures.py            # every flow; cassettes of removed flows go
    .venv/bin/python scripts/record_fixtures.py boards     # only these flows
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

from mock_server.recording.cassettes import load_dir
from mock_server.recording.flows import record_from_fake

CASSETTES = Path(__file__).resolve().parent.parent / "fixtures" / "cassettes"


def main(names: list[str]) -> int:
    """Record into a scratch directory, then replace the recorded cassettes in ``fixtures/cassettes``."""
    with tempfile.TemporaryDirectory() as scratch:
        ran = asyncio.run(record_from_fake(Path(scratch), names or None))
        CASSETTES.mkdir(parents=True, exist_ok=True)
        if not names:
            for old in CASSETTES.glob("*.yaml"):
                old.unlink()
        for recorded in sorted(Path(scratch).glob("*.yaml")):
            shutil.copyfile(recorded, CASSETTES / recorded.name)
    cassettes = load_dir(CASSETTES)
    print(f"recorded {', '.join(ran)}; {sum(len(c) for c in cassettes)} exchanges in {len(cassettes)} cassettes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
