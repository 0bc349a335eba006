"""Every example in the README runs as written, in a fresh downstream project, against the installed wheel.

The README's fenced blocks are read in order: ``python`` blocks with tests run under pytest (pytester, in a
subprocess that finds the plugin through the wheel's entry point), other ``python`` blocks run as scripts,
``sh`` blocks run line by line (a ``serve`` is started on a free port, waited for and stopped; a request to
``127.0.0.1:8000`` goes to a server started for it), ``json`` blocks are sent to the control route that
takes them, and ``yaml`` blocks are written to the file named on their first line for the commands after
them. A block that cannot run here says why in a ``<!-- not run: ... -->`` comment right above it.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from built_wheel import InstalledWheel

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"(?:<!-- not run: (?P<reason>[^>]*?) -->\n)?^```(?P<lang>\w*)\n(?P<text>.*?)^```$", re.M | re.S)
EXAMPLE_LANGUAGES = ("python", "sh", "json", "yaml")  # untagged blocks are diagrams, not examples
# The README's opening commands (set up + serve; set up + run the suite): the set-up is what the packaging
# test does with this same wheel, the serve is run below, and the suite is what is running this test.
OPENING = {"./scripts/test": "the test suite itself"}
FAULT_FIELDS = {"operationId", "uid", "code", "status", "latency", "drop", "times", "probability", "seed"}
START_SECONDS = 60.0  # generous: a loaded 2-core CI machine imports the package slowly


@dataclass(frozen=True)
class Block:
    """One fenced example of the README."""

    line: int
    lang: str
    text: str
    not_run: str | None

    @property
    def name(self) -> str:
        """Where it is, for messages and file names."""
        return f"README line {self.line}"


def examples() -> list[Block]:
    """The README's example blocks, in order."""
    found = []
    for match in FENCE.finditer(README):
        if match["lang"] in EXAMPLE_LANGUAGES:
            line = README.count("\n", 0, match.start("lang")) + 1
            found.append(
                Block(line, match["lang"], match["text"], match["reason"] or OPENING.get(match["text"].strip()))
            )
    return found


def commands(block: Block) -> list[str]:
    """The shell lines of a block, continuations joined."""
    return [line for line in block.text.replace("\\\n", " ").splitlines() if line.strip()]


def to_run(lang: str) -> list[Block]:
    """The blocks of one language that run here."""
    return [block for block in examples() if block.lang == lang and block.not_run is None]


def test_every_example_runs_or_says_why_not() -> None:
    blocks = examples()
    assert {block.lang for block in blocks} >= {"python", "sh", "json", "yaml"}
    assert all(block.not_run is None or block.not_run.strip() for block in blocks)
    assert len(to_run("python")) >= 2 and len(to_run("sh")) >= 2


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh downstream project: an empty directory holding the README's config files."""
    for block in to_run("yaml"):
        first = block.text.splitlines()[0]
        assert first.startswith("# ") and first.endswith((".yaml", ".yml")), f"{block.name}: name its file first"
        (tmp_path / first[2:].strip()).write_text(block.text, encoding="utf-8")
    return tmp_path


class Served:
    """A README serve command started on a free port from the project directory, stopped with SIGTERM."""

    def __init__(self, command: str, cwd: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        if "--port" in command:
            command = re.sub(r"--port \d+", f"--port {self.port}", command)
        else:
            command = f"{command} --port {self.port}"
        self.command = command
        self.output: list[str] = []
        self.process = subprocess.Popen(
            ["sh", "-c", f"exec {command}"],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def ready(self) -> str:
        """Its URL, once it says it listens."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            self.output.append(line)
            if "listening on" in line or not line:
                break
        assert "listening on" in self.output[-1], f"{self.command!r} did not start:\n{''.join(self.output)}"
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop it the way Ctrl-C or a service manager would; it must exit cleanly."""
        self.process.send_signal(signal.SIGTERM)
        rest, _ = self.process.communicate(timeout=START_SECONDS)
        assert self.process.returncode == 0, f"{self.command!r} exited {self.process.returncode}:\n{rest}"
        assert "stopped" in rest


@contextmanager
def serving(command: str, cwd: Path, env: dict[str, str]) -> Iterator[str]:
    """Run a README serve command on a free port; its URL once it listens."""
    served = Served(command, cwd, env)
    try:
        yield served.ready()
    finally:
        served.stop()


def serve_line(command: str) -> str | None:
    """The serve command of a shell line (the last of an ``&&`` chain), if it is one."""
    last = command.split("&&")[-1].split("#")[0].strip()
    if re.match(r"(\S*/)?topview-mock serve\b|python -m mock_server serve\b", last) and "--help" not in last:
        return re.sub(r"^\S*/topview-mock", "topview-mock", last)  # .venv/bin/topview-mock: the installed one
    return None


def test_serve_commands_start_and_stop_cleanly(project: Path, wheel_install: InstalledWheel) -> None:
    env = wheel_install.env()
    lines = [line for block in to_run("sh") for line in commands(block)]
    serves = [serve for serve in map(serve_line, lines) if serve]
    assert len(serves) >= 3
    started = [Served(serve, project, env) for serve in serves]  # all at once: each takes a while to import
    try:
        for served in started:
            index = httpx.get(served.ready() + "/_mock/", timeout=10)
            assert index.status_code == 200 and index.json()["routes"], served.command
    finally:
        for served in started:
            served.stop()
    helps = [line for line in lines if "--help" in line]
    for line in helps:
        done = subprocess.run(["sh", "-c", line], cwd=project, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and "usage:" in done.stdout, (line, done.stderr)


def test_requests_shown_in_the_readme_get_answers(project: Path, wheel_install: InstalledWheel) -> None:
    requests = [line for block in to_run("sh") for line in commands(block) if line.startswith("curl ")]
    bodies = [json.loads(block.text) for block in to_run("json")]
    assert requests and bodies
    with serving("topview-mock serve", project, wheel_install.env()) as url:
        for line in requests:
            done = subprocess.run(
                ["sh", "-c", line.replace("http://127.0.0.1:8000", url)], capture_output=True, text=True, timeout=30
            )
            assert done.returncode == 0, (line, done.stderr)
            answer = json.loads(done.stdout)
            assert "error" not in answer and answer.get("code", "200") == "200", (line, answer)
        for body in bodies:
            if set(body) <= FAULT_FIELDS:
                response = httpx.post(url + "/_mock/faults", json=body, timeout=10)
            else:
                response = httpx.put(url + "/_mock/scenario", json=body, timeout=10)
            assert response.status_code == 200, (body, response.text)


def test_python_examples_pass_in_a_fresh_project(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, wheel_install: InstalledWheel
) -> None:
    env = wheel_install.env()
    for name in ("PYTHONPATH", "PATH"):
        monkeypatch.setenv(name, env[name])
    probe = subprocess.run(
        [sys.executable, "-c", "import mock_server; print(mock_server.__file__)"],
        cwd=pytester.path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.startswith(str(wheel_install.site)), "the examples must run against the installed wheel"
    tests = [block for block in to_run("python") if "def test_" in block.text]
    scripts = [block for block in to_run("python") if "def test_" not in block.text]
    assert tests and scripts
    for block in scripts:
        done = subprocess.run(
            [sys.executable, "-c", block.text], cwd=pytester.path, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"{block.name}:\n{done.stderr}"
    for block in tests:
        pytester.makepyfile(**{f"test_readme_line_{block.line}": block.text})
    # schemathesis and hypothesis are this checkout's test tools, not topview-mock's dependencies: a fresh
    # downstream project has neither plugin (and loading them is most of this run's start-up).
    no_foreign_plugins = ("-p", "no:schemathesis", "-p", "no:hypothesispytest")
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", *no_foreign_plugins, "--strict-markers", timeout=300
    )
    outcomes = result.parseoutcomes()
    expected = sum(block.text.count("\ndef test_") + block.text.count("\nasync def test_") for block in tests)
    assert outcomes.get("passed") == expected and not outcomes.get("failed"), result.stdout.str()
