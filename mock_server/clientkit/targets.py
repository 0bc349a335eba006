"""How a client is run once under a scenario: a command in a subprocess, or a Python function in process."""

from __future__ import annotations

import contextlib
import inspect
import io
import os
import secrets
import signal
import subprocess
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


class FunctionTarget:
    """A Python client in process: ``client(credentials)`` runs once per example.

    Returning is exit status 0. An exception of one of ``errors`` (the client's own, documented errors)
    is a clean failure, exit status 1, its message the output; any other exception is a crash. What the
    client prints is its output. A client that runs longer than ``timeout`` is judged timed out once it
    returns (a function cannot be stopped from outside).
    """

    def __init__(
        self, fake: Fake, client: ClientFunction, *, timeout: float, errors: tuple[type[BaseException], ...] = ()
    ) -> None:
        self.fake = fake
        self.client = client
        self.timeout = timeout
        self.errors = errors

    def run(self, scenario: Scenario, credentials: Credentials) -> ClientRun:
        """Call the client once, capturing what it prints."""
        self.fake.apply_scenario(scenario)
        printed = io.StringIO()
        exit_code, crash = 0, None
        started = time.monotonic()
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            try:
                if inspect.iscoroutinefunction(self.client):
                    anyio.run(self.client, credentials)
                else:
                    self.client(credentials)
            except self.errors as error:
                exit_code = 1
                print(f"{type(error).__name__}: {error}")
            except Exception:
                exit_code, crash = 1, traceback.format_exc()
                print(crash)
        seconds = time.monotonic() - started
        return ClientRun(
            scenario=scenario,
            credentials=credentials,
            exit_code=exit_code,
            output=printed.getvalue(),
            exchanges=tuple(self.fake.exchanges()),
            seconds=seconds,
            timed_out=seconds > self.timeout,
            crash=crash,
        )
