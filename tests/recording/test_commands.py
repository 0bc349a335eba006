"""The commands as a user runs them: ``topview-mock record`` in front of a stand-in API on loopback."""

from __future__ import annotations

import asyncio
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import yaml
from standin import KEY, UID, StandIn, free_socket, record_flows, served
from topview_calls import load_contract

from mock_server import TopviewMock
from mock_server.cli import parser as cli_parser
from mock_server.recording.cassettes import load
from mock_server.recording.flows import parser as flows_parser
from mock_server.storage.media import sample

AUTH = {"Topview-Uid": UID, "Authorization": f"Bearer {KEY}"}
ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def command(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``python -m mock_server <args>`` until it prints where it listens; yields the process and that URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = ""
        while not url:
            line = process.stdout.readline()  # type: ignore[union-attr]
            if not line:
                raise AssertionError(f"the command ended early: {process.stderr.read()}")  # type: ignore[union-attr]
            if "listening on " in line:
                url = line.split("listening on ", 1)[1].strip()
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def test_record_forwards_to_a_loopback_upstream_and_writes_a_scrubbed_cassette(tmp_path: Path) -> None:
    sock = free_socket()
    port = sock.getsockname()[1]
    # The bucket is "another host": the same stand-in reached by another name.
    stand_in = StandIn(
        TopviewMock(contract=load_contract()), api=f"http://127.0.0.1:{port}", s3=f"http://localhost:{port}"
    )
    with served(stand_in.app, sock) as upstream:
        args = (
            "record",
            "--upstream",
            upstream,
            "--port",
            "0",
            "--out",
            str(tmp_path),
            "--record-as",
            "https://api.topview.ai",
        )
        with command(*args) as (process, url):
            with httpx.Client(base_url=url, headers=AUTH) as client:
                credential = client.get("/v1/upload/credential", params={"format": "png"}).json()["result"]
                assert credential["uploadUrl"].startswith(f"{url}/_ext/http/localhost:{port}/s3/")
                assert client.put(credential["uploadUrl"], content=sample("png")).status_code == 200
                assert client.get("/v1/upload/check", params={"fileId": credential["fileId"]}).json()["result"]
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "3 exchange(s) in 1 cassette(s)" in out
    cassette = load(tmp_path / "session.yaml")
    assert [i.request.uri.split("?")[0] for i in cassette][::2] == [
        "https://api.topview.ai/v1/upload/credential",
        "https://api.topview.ai/v1/upload/check",
    ]
    assert cassette.interactions[1].request.uri.startswith(f"http://localhost:{port}/s3/")
    text = (tmp_path / "session.yaml").read_text()
    assert KEY not in text and UID not in text


def test_replay_serves_recorded_cassettes_and_prints_misses(tmp_path: Path) -> None:
    asyncio.run(record_flows(tmp_path))
    with command("replay", str(tmp_path), "--port", "0") as (process, url), httpx.Client(base_url=url) as client:
        credential = client.get("/v1/upload/credential", params={"format": "png"}).json()["result"]
        assert credential["uploadUrl"].startswith(f"{url}/_ext/https/topview-upload.s3.test/")
        assert client.put(credential["uploadUrl"], content=sample("png")).status_code == 200
        miss = client.get("/v1/scraper/task/query", params={"taskId": "f" * 32})
        assert miss.json()["code"] == "4004"
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "1 request(s) had no recorded answer" in out
    assert f"got '{'f' * 32}'" in err  # the server printed the near miss


def test_the_scheduled_drift_workflow_runs_commands_that_exist() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "drift.yml").read_text())
    assert workflow[True]["schedule"]  # "on:" reads as True in YAML 1.1
    steps = workflow["jobs"]["drift"]["steps"]
    script = "\n".join(step.get("run", "") for step in steps)
    secrets = {k: v for step in steps for k, v in (step.get("env") or {}).items()}
    assert secrets == {
        "TOPVIEW_API_KEY": "${{ secrets.TOPVIEW_API_KEY }}",
        "TOPVIEW_UID": "${{ secrets.TOPVIEW_UID }}",
    }
    commands = [shlex.split(line.split(">")[0].rstrip(" &")) for line in script.splitlines() if "topview-mock " in line]
    parsed = [cli_parser().parse_args(words[1:]) for words in commands if words[0] == "topview-mock"]
    assert [(a.command, getattr(a, "max_credits", None)) for a in parsed] == [("record", 5.0), ("drift", None)]
    flows_line = next(line for line in script.splitlines() if "mock_server.recording.flows" in line)
    flows = flows_parser().parse_args(shlex.split(flows_line)[3:])
    assert (flows.base_url, flows.real) == ("http://127.0.0.1:8100", True)
