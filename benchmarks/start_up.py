"""Start-up: what the pytest plugin adds to a session, the first and later fakes, and serve's first answer."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx
from stats import Row

BARE_SERVE = (
    "import sys, uvicorn; from baselines import bare_app; "
    "uvicorn.run(bare_app(), port=int(sys.argv[1]), log_level='warning', loop='uvloop', http='httptools')"
)
TRIVIAL_TESTS = "\n".join(f"def test_{i}():\n    assert {i} == {i}\n" for i in range(5))
FAKES = textwrap.dedent(
    """
    import time
    started = time.perf_counter()
    from mock_server import TopviewMock
    from mock_server.testing.fake import FakeTopview
    first = FakeTopview(TopviewMock())
    ready = time.perf_counter()
    second = FakeTopview(TopviewMock())
    print(ready - started, time.perf_counter() - ready)
    """
)


def _run(command: list[str], cwd: str | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, capture_output=True, timeout=120, check=True)
    return time.perf_counter() - started


def plugin(rounds: int) -> Row:
    """Seconds a 5-test session takes with both plugins (fixtures, replay) against the same session without them."""
    row = Row("plugins: seconds added to a 5-test session not using them", "s", "<= 0.3 s")
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "test_plain.py").write_text(TRIVIAL_TESTS)
        base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_plain.py"]
        _run(base, folder)
        for _ in range(rounds):
            without = _run([*base, "-p", "no:topview_mock", "-p", "no:topview_mock_replay"], folder)
            row.fake.append(_run(base, folder) - without)
    return row


PLUGIN_IMPORT = (
    "import time, pytest; started = time.perf_counter(); "
    "import mock_server.testing.pytest_plugin, mock_server.recording.pytest_replay; "
    "print(time.perf_counter() - started)"
)


def plugin_import(rounds: int) -> Row:
    """Seconds to import both plugin modules in a fresh process that has pytest: what every session pays first.

    The session row subtracts two whole pytest runs, so on a busy machine its noise outweighs the effect;
    this one times only the plugins' own import.
    """
    row = Row("plugins: their import in a fresh process with pytest", "s", "<= 0.3 s")
    for _ in range(rounds):
        out = subprocess.run([sys.executable, "-c", PLUGIN_IMPORT], capture_output=True, text=True, timeout=120)
        row.fake.append(float(out.stdout.split()[-1]))
    return row


def fakes(rounds: int) -> tuple[Row, Row]:
    """Seconds until the first FakeTopview in a fresh process is ready (imports included), then a second one."""
    first = Row("first topview_mock in a process (imports included)", "s", "<= 1 s")
    later = Row("a later topview_mock", "s", "<= 0.02 s")
    for _ in range(rounds):
        out = subprocess.run([sys.executable, "-c", FAKES], capture_output=True, text=True, timeout=120, check=True)
        a, b = out.stdout.split()
        first.fake.append(float(a))
        later.fake.append(float(b))
    return first, later


def serve(rounds: int) -> Row:
    """Seconds from launching ``topview-mock serve`` to its first answer, against bare uvicorn on the same stack."""
    row = Row("serve: first answer after launch", "s", "<= 0.7 s", absolute=True)
    bare = [sys.executable, "-c", BARE_SERVE]
    fake = [sys.executable, "-m", "mock_server", "serve", "--log-level", "warning", "--port"]
    for _ in range(rounds):
        row.bare.append(_first_answer(bare, port=_free_port(), path="/v1/upload/credential?format=png"))
        row.fake.append(_first_answer(fake, port=_free_port(), path="/v1/upload/credential?format=png"))
    return row


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _first_answer(command: list[str], port: int, path: str) -> float:
    headers = {"Topview-Uid": "u", "Authorization": "Bearer k"}
    started = time.perf_counter()
    process = subprocess.Popen([*command, str(port)], cwd=Path(__file__).parent, stdout=subprocess.DEVNULL)
    try:
        deadline = started + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}{path}", headers=headers, timeout=5).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                if time.perf_counter() > deadline:
                    raise
                time.sleep(0.005)
    finally:
        process.terminate()
        process.wait(10)
