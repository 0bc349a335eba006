"""``topview-mock serve``: options, config files, and a real server process started and stopped."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from wire import lines_of

from mock_server import cli
from mock_server.cli import main, mock_config, parser, settings
from mock_server.contract.resources import CACHE_ENV
from mock_server.engine.tasks import Progression

HEADERS = {"Topview-Uid": "uid-cli", "Authorization": "Bearer cli-key"}


def test_help_lists_the_serve_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for flag in (
        "--host",
        "--port",
        "--seed",
        "--clock",
        "--speed",
        "--init-seconds",
        "--running-seconds",
        "--progression",
        "--credits",
        "--config",
        "--log-level",
    ):
        assert flag in out


def test_defaults_suit_a_server() -> None:
    config = mock_config(settings(parser().parse_args(["serve"])))
    assert (config.clock_mode, config.progression) == ("realtime", Progression("time", 1.0, 3.0))


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_config_file_then_flags(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"mock{suffix}"
    options = {"clock": "manual", "init-seconds": 2, "running_seconds": 5, "seed": 4, "credits": 50}
    path.write_text(json.dumps(options))  # JSON is YAML too
    merged = settings(parser().parse_args(["serve", "--config", str(path), "--seed", "7"]))
    config = mock_config(merged)
    assert (config.clock_mode, config.seed, config.credits) == ("manual", 7, 50)
    assert config.progression == Progression("time", 2, 5)


def test_unknown_config_key_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mock.yaml"
    path.write_text("colour: blue\n")
    assert main(["serve", "--config", str(path)]) == 2
    assert "unknown option(s) colour" in capsys.readouterr().err


def test_console_script_answers_help() -> None:
    script = Path(sys.executable).with_name("topview-mock")
    if not script.exists():
        pytest.skip("the console script is not installed next to this interpreter")
    out = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60, check=True).stdout
    assert "serve" in out


def test_serve_starts_without_what_other_commands_need(tmp_path: Path) -> None:
    """Start-up cost: building serve's app loads no Hypothesis or client kit (check-client), proxy or drift
    checks (record, drift), no Faker (the catalogues are made on first use), no httpx (callbacks import it
    to send the first one), Pillow or mutagen (a file made or read), SQLite (--data-dir), and, once the
    parsed contract is cached, no PyYAML."""
    heavy = ("hypothesis", "faker", "respx", "mock_server.clientkit.explore", "mock_server.recording.proxy")
    heavy += ("mock_server.recording.drift", "mock_server.recording.commands", "mock_server.clientkit.command")
    heavy += ("httpx", "PIL", "mutagen", "sqlite3", "yaml")
    code = (
        "import sys; from mock_server import cli; from mock_server.mock import TopviewMock, create_app; "
        "cli.parser(['serve']).parse_args(['serve']); "
        "create_app(mock=TopviewMock(cli.mock_config(cli.DEFAULTS))); "
        f"print([m for m in {heavy!r} if m in sys.modules])"
    )
    environment = {**os.environ, CACHE_ENV: str(tmp_path)}
    for start in ("cold", "warm"):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=environment)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == ("['yaml']" if start == "cold" else "[]"), start


def wait_for_port(url: str, timeout: float = 30.0) -> None:
    """Poll until the server accepts TCP connections (bounded)."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_serve_runs_and_stops_on_sigterm(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("faults: [{operationId: captionList, code: '5003', times: 1}]\n")
    command = [sys.executable, "-m", "mock_server", "serve", "--port", "0", "--speed", "100", "--log-level", "warning"]
    command += ["--scenario", str(scenario)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = lines_of(process)
        first = lines.get(timeout=60)
        assert first.startswith("topview-mock listening on http://127.0.0.1:"), first
        url = first.rsplit(" ", 1)[1]
        assert lines.get(timeout=10) == f"control API: {url}/_mock/"
        assert "; event loop uvloop, HTTP parser httptools;" in lines.get(timeout=10)  # the fast stack by default
        assert lines.get(timeout=10) == f"dashboard: {url}/_mock/ui"
        wait_for_port(url)
        with httpx.Client(base_url=url, headers=HEADERS, timeout=10) as client:
            assert [client.get("/v1/caption/list").json()["code"] for _ in range(2)] == ["5003", "200"]  # --scenario
            submitted = client.post("/v1/scraper/task/submit", json={"productLink": "https://shop.example.com/p/1"})
            task_id = submitted.json()["result"]["taskId"]
            # realtime at speed 100: init 1 s + running 3 s take 0.04 real seconds; the ticker finishes it.
            deadline = time.monotonic() + 20
            while client.get(f"/_mock/tasks/{task_id}").json()["status"] != "success":
                assert time.monotonic() < deadline, "the task never finished"
                time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        assert lines.get(timeout=5) == "topview-mock stopped"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        assert process.stderr is not None
        process.stderr.close()
        assert process.stdout is not None
        process.stdout.close()


def test_serve_runs_the_loop_and_parser_asked_for() -> None:
    """--loop and --http choose another stack, and the start-up line says which one runs."""
    command = [sys.executable, "-m", "mock_server", "serve", "--port", "0", "--loop", "asyncio", "--http", "h11"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = lines_of(process)
        url = lines.get(timeout=60).rsplit(" ", 1)[1]
        lines.get(timeout=10)
        assert "; event loop asyncio, HTTP parser h11;" in lines.get(timeout=10)
        with httpx.Client(base_url=url, headers=HEADERS, timeout=10) as client:
            assert client.get("/v1/caption/list").json()["code"] == "200"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_an_unknown_loop_or_parser_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    for flag in ("--loop", "--http"):
        with pytest.raises(SystemExit):
            main(["serve", flag, "trio"])
        assert "invalid choice: 'trio'" in capsys.readouterr().err


def test_serve_tunes_the_collector_before_it_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    steps: list[str] = []

    class Served(Exception):
        """Stops serve where it would start serving."""

    async def serve(*args: object, **kwargs: object) -> None:
        steps.append("serve")
        raise Served

    monkeypatch.setattr(cli, "tune_collector", lambda: steps.append("tune"))
    monkeypatch.setattr(cli, "serve", serve)
    with pytest.raises(Served):
        main(["serve", "--port", "0"])
    assert steps == ["tune", "serve"]
