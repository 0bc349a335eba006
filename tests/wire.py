"""What tests of a real server process or socket share: a process's output lines, a half-sent connection."""

from __future__ import annotations

import queue
import socket
import subprocess
import threading


def lines_of(process: subprocess.Popen[str]) -> queue.Queue[str]:
    """The process's stdout lines, read in a thread so the test can wait with a timeout."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()
    return lines


def connect(url: str, sent: bytes) -> socket.socket:
    """A connection to ``url`` that sent ``sent`` and will send nothing more."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=60)
    sock.sendall(sent)
    return sock
