"""A client in another language checked by ``topview-mock check-client``: the Node scraper in scrape_client.js."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mock_server.cli import main

CLIENT = Path(__file__).resolve().parent / "scrape_client.js"


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node 20 (CI has it)")
def test_the_node_client_survives_generated_scenarios(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Faults, failed tasks and reshaped results: it retries what is transient, reports the rest, exits 1."""
    monkeypatch.chdir(tmp_path)  # saved failures would go under .topview-mock/ here
    monkeypatch.setenv("POLL_INTERVAL", "0.05")  # it polls every 2 s unless told; the kit runs it often
    status = main(
        ["check-client", "--examples", "10", "--seed", "4", "--min-poll-interval", "0.03", "--", "node", str(CLIENT)]
    )
    assert status == 0, capsys.readouterr().out
