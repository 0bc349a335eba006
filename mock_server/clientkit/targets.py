"""How a client is run once under a scenario: a command in a subprocess, or a Python function in process."""

from __future__ import annotations

import contextlib
import ctypes
import inspect
import io
import os
import secrets
import signal
import subprocess
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import anyio

from ..contract.openapi import Contract
from ..control.journal import Exchange
from ..control.scenario import Scenario
from .records import ClientRun, Credentials

ClientFunction = Callable[[Credentials], Any]
TICK = 0.01  # real seconds between moves of an in-process fake's clock while a client runs
CLOCK_SPEED = 200.0  # virtual seconds per real second: a task of 3 s ends within two ticks, a 5 s late callback in 3
STOP_GRACE = 1.0  # real seconds a stopped in-process client gets to unwind


@dataclass(frozen=True)
class Fake:
    """What the kit needs of a running fake: where clients reach it, and how to steer and read it.

    The CLI builds one over a live server; the pytest fixtures over themselves. The functions run
    wherever the fake runs (a server's event loop), so the kit never touches it from the wrong thread.
    """

    base_url: str
    contract: Contract
    apply_scenario: Callable[[Scenario], object]
    exchanges: Callable[[], list[Exchange]]
    advance: Callable[[float], object] | None = None  # moves a virtual clock (in process); None: it runs by itself


class Target(Protocol):
    """Something the kit can run once per example."""

    fake: Fake

    def run(self, scenario: Scenario, credentials: Credentials) -> ClientRun:
        """Apply the scenario, run the client once, and collect what happened."""


class Accounts:
    """A fresh account per example: ``kit-1``, ``kit-2``, ... with an API key no request could contain by chance."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._token = secrets.token_hex(6)
        self._count = 0

    def next(self) -> Credentials:
        """The next account."""
        self._count += 1
        return Credentials(self.base_url, f"kit-{self._count}", f"tvk-{self._token}-{self._count}")


class CommandTarget:
    """A client in any language: the command runs once per example with the account in its environment."""

    def __init__(
        self, fake: Fake, command: Sequence[str], *, timeout: float, env: Mapping[str, str] | None = None
    ) -> None:
        self.fake = fake
        self.command = list(command)
        self.timeout = timeout
        self.env = dict(os.environ if env is None else env)

    def run(self, scenario: Scenario, credentials: Credentials) -> ClientRun:
        """Run the command once; after ``timeout`` its whole process group is killed."""
        self.fake.apply_scenario(scenario)
        started = time.monotonic()
        process = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**self.env, **credentials.env},
            start_new_session=True,  # its own process group: a shell client's curl dies with it
        )
        timed_out = False
        try:
            output, _ = process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
        return ClientRun(
            scenario=scenario,
            credentials=credentials,
            exit_code=None if timed_out else process.returncode,
            output=output.decode("utf-8", "replace"),
            exchanges=tuple(self.fake.exchanges()),
            seconds=time.monotonic() - started,
            timed_out=timed_out,
        )


class ClientStopped(BaseException):
    """Raised inside an in-process client past its timeout (a BaseException: ``except Exception`` lets it by)."""


class FunctionTarget:
    """A Python client in process: ``client(credentials)`` runs once per example, in a thread of its own.

    Returning is exit status 0. An exception of one of ``errors`` (the client's own, documented errors)
    is a clean failure, exit status 1, its message the output; any other exception is a crash. What the
    client prints is its output. A client still running after ``timeout`` is stopped (:class:`ClientStopped`
    raised inside it at its next Python instruction; one blocked in C is left behind) and judged timed out.
    While it runs, a fake whose tasks move on with time has its clock moved ``CLOCK_SPEED`` times as fast
    as real time, so a client waiting for a callback gets it without a real wait.
    """

    def __init__(
        self, fake: Fake, client: ClientFunction, *, timeout: float, errors: tuple[type[BaseException], ...] = ()
    ) -> None:
        self.fake = fake
        self.client = client
        self.timeout = timeout
        self.errors = errors
        self._left_behind: set[str] = set()  # accounts of stopped clients that may still be calling

    def run(self, scenario: Scenario, credentials: Credentials) -> ClientRun:
        """Call the client once, capturing what it prints."""
        self.fake.apply_scenario(scenario)
        printed = io.StringIO()
        call = _Call(self.client, credentials, self.errors)
        worker = threading.Thread(target=call, name="topview-mock client", daemon=True)
        moving = (
            self.fake.advance is not None and scenario.progression is not None and scenario.progression.mode == "time"
        )
        started = time.monotonic()
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            worker.start()
            deadline = started + self.timeout
            while worker.is_alive() and time.monotonic() < deadline:
                worker.join(TICK if moving else deadline - time.monotonic())
                if moving and worker.is_alive() and self.fake.advance is not None:
                    self.fake.advance(TICK * CLOCK_SPEED)
            timed_out = worker.is_alive()
            if timed_out:
                _stop(worker)
                worker.join(STOP_GRACE)
                if worker.is_alive():
                    self._left_behind.add(credentials.uid)
        seconds = time.monotonic() - started
        if timed_out:
            print(f"stopped after {seconds:.1f} s", file=printed)
        return ClientRun(
            scenario=scenario,
            credentials=credentials,
            exit_code=None if timed_out else call.exit_code,
            output=printed.getvalue(),
            exchanges=tuple(e for e in self.fake.exchanges() if e.uid not in self._left_behind - {credentials.uid}),
            seconds=seconds,
            timed_out=timed_out,
            crash=None if timed_out else call.crash,
        )


class _Call:
    """The client's call in its thread, and how it ended."""

    def __init__(self, client: ClientFunction, credentials: Credentials, errors: tuple[type[BaseException], ...]):
        self.client = client
        self.credentials = credentials
        self.errors = errors
        self.exit_code = 0
        self.crash: str | None = None

    def __call__(self) -> None:
        try:
            if inspect.iscoroutinefunction(self.client):
                anyio.run(self.client, self.credentials)
            else:
                self.client(self.credentials)
        except ClientStopped:
            self.exit_code = 1
        except self.errors as error:
            self.exit_code = 1
            print(f"{type(error).__name__}: {error}")
        except Exception:
            self.exit_code, self.crash = 1, traceback.format_exc()
            print(self.crash)


def _stop(worker: threading.Thread) -> None:
    """Raise ClientStopped in the worker thread at its next Python instruction."""
    if worker.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident), ctypes.py_object(ClientStopped))
