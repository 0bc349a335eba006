"""``topview-mock serve``: the fake as a standalone server (also ``python -m mock_server``).

Serve defaults differ from the in-process ones on purpose: a realtime clock and tasks that take a few
real seconds (init 1 s, running 3 s), so a client polling the server sees them run and finish.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .callbacks.policy import DeliveryPolicy
from .config import MockConfig
from .engine.tasks import Progression
from .mock import TopviewMock, create_app
from .recording import arguments as recording
from .testing.server import (
    LOOPS,
    PARSERS,
    LiveServer,
    bind,
    loop_factory,
    loop_name,
    parser_name,
    serve,
    tune_collector,
    url_of,
)
from .testing.trap import ErrorTrap

if TYPE_CHECKING:
    from .clientkit.targets import Fake

LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
_NOTICES = DeliveryPolicy()  # the callback defaults, shared with in-process fakes

# Every key a --config file may hold; the command-line flags have the same names (``-`` or ``_``).
DEFAULTS: dict[str, Any] = {
    "host": "127.0.0.1",
    "port": 8000,
    "seed": 0,
    "clock": "realtime",
    "speed": 1.0,
    "progression": "time",
    "init_seconds": 1.0,
    "running_seconds": 3.0,
    "credits": 1000.0,
    "log_level": "info",
    "loop": "auto",  # uvloop where installed
    "http": "auto",  # httptools where installed
    "scenario": None,  # a scenario document (JSON or YAML) applied at start
    "data_dir": None,  # keep the state here across restarts (persistence); in memory without it
    "read_timeout": 30.0,  # real seconds a request may take to arrive whole (slow clients are dropped)
    "accounts": None,  # uid -> API key; only in a config file
    # Callback delivery (noticeUrl): hosts allowed besides loopback, and the retry schedule.
    "notice_hosts": [],
    "notice_attempts": _NOTICES.max_attempts,
    "notice_first_delay": _NOTICES.first_delay,
    "notice_backoff": _NOTICES.backoff,
    "notice_timeout": _NOTICES.attempt_timeout,
}


class ConfigFileError(ValueError):
    """A --config file that cannot be read or holds unknown keys."""


def parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command line: ``topview-mock serve [options]``.

    Given the words to parse, ``check-client``'s options (the client kit, which takes a while to import)
    are added only when that is the command.
    """
    top = argparse.ArgumentParser(prog="topview-mock", description="An offline fake of the Topview AI API.")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve the fake over HTTP",
        description="Serve the fake Topview API and its control API (/_mock/).",
    )
    # Flags default to None so that a --config file fills what the command line leaves out.
    serve.add_argument("--host", help=f"interface to listen on (default {DEFAULTS['host']})")
    serve.add_argument("--port", type=int, help=f"port to listen on, 0 for any free one (default {DEFAULTS['port']})")
    serve.add_argument("--seed", type=int, help="seed of ids and generated content (default 0)")
    serve.add_argument(
        "--clock", choices=("realtime", "manual"), help="realtime (default) or manual (moved by the control API)"
    )
    serve.add_argument("--speed", type=float, help="virtual seconds per real second of the realtime clock (default 1)")
    serve.add_argument(
        "--progression",
        choices=("time", "polls", "manual"),
        help="tasks move on after some seconds (default), after some polls, or only when completed by the control API",
    )
    serve.add_argument("--init-seconds", type=float, help="seconds (or polls) a task stays in init (default 1)")
    serve.add_argument("--running-seconds", type=float, help="seconds (or polls) a task stays running (default 3)")
    serve.add_argument("--credits", type=float, help="credits of every new account (default 1000)")
    serve.add_argument("--config", type=Path, help="a YAML or JSON file holding any of these options")
    serve.add_argument(
        "--scenario", type=Path, metavar="FILE", help="serve one scenario (JSON or YAML), e.g. a saved failure"
    )
    serve.add_argument(
        "--data-dir",
        metavar="DIR",
        help="keep accounts, tasks, files, boards, credits, callbacks and ids in DIR across restarts and "
        "crashes (created if absent; default: in memory)",
    )
    serve.add_argument(
        "--read-timeout",
        type=float,
        metavar="SECONDS",
        help="close a connection whose request has not arrived whole after SECONDS (default 30)",
    )
    serve.add_argument("--log-level", choices=LOG_LEVELS, help="server log level (default info)")
    serve.add_argument("--loop", choices=LOOPS, help="event loop (default auto: uvloop where installed, else asyncio)")
    serve.add_argument(
        "--http", choices=PARSERS, help="HTTP parser (default auto: httptools where installed, else h11)"
    )
    notices = serve.add_argument_group("callbacks (noticeUrl)")
    notices.add_argument(
        "--notice-host",
        dest="notice_hosts",
        action="append",
        metavar="HOST",
        help="also deliver callbacks to HOST: a name, *.suffix, an IP address or network, or * for any public "
        "host (repeatable; loopback is always delivered to; notices for other hosts are journalled, not sent)",
    )
    notices.add_argument(
        "--notice-attempts",
        type=int,
        metavar="N",
        help=f"attempts per callback (default {DEFAULTS['notice_attempts']})",
    )
    notices.add_argument(
        "--notice-first-delay",
        type=float,
        metavar="SECONDS",
        help=f"virtual seconds before the first retry (default {DEFAULTS['notice_first_delay']:g})",
    )
    notices.add_argument(
        "--notice-backoff",
        type=float,
        metavar="FACTOR",
        help=f"each retry waits FACTOR times longer (default {DEFAULTS['notice_backoff']:g})",
    )
    notices.add_argument(
        "--notice-timeout",
        type=float,
        metavar="SECONDS",
        help=f"real seconds one callback attempt may take (default {DEFAULTS['notice_timeout']:g})",
    )
    recording.add_commands(commands)
    kit = commands.add_parser(
        "check-client",
        help="test a client in any language against generated scenarios",
        description="Run CMD once per generated scenario against the fake (TOPVIEW_BASE_URL, TOPVIEW_UID and "
        "TOPVIEW_API_KEY in its environment) and judge each run. Exit 0: no finding; 1: findings; 2: usage error.",
    )
    if argv is None or next((word for word in argv if not word.startswith("-")), None) == "check-client":
        from .clientkit import command as check_client

        check_client.add_arguments(kit)
    return top


@contextlib.contextmanager
def kit_server(config: MockConfig) -> Iterator[Fake]:
    """The fake the client kit drives: a live server on a free loopback port, for the command's duration."""
    from .clientkit.targets import Fake

    # Dropped connections are what some scenarios ask for: uvicorn need not log each one.
    server = LiveServer(TopviewMock(config), log_level="critical").start()
    mock = server.mock
    try:
        yield Fake(
            base_url=server.url,
            contract=mock.contract,
            apply_scenario=lambda scenario: server.call(mock.apply_scenario, scenario),
            exchanges=lambda: server.call(mock.journal.entries),
        )
    finally:
        server.stop()


def load_document(path: Path, what: str) -> dict[str, Any]:
    """The mapping in a YAML or JSON file (``{}`` for an empty one)."""
    import yaml  # only a config or scenario file needs it: serve starts without it

    from .contract.resources import YAML_LOADER

    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.load(text, Loader=YAML_LOADER)
    except (OSError, ValueError, yaml.YAMLError) as error:
        raise ConfigFileError(f"cannot read {path}: {error}") from error
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigFileError(f"{path} must hold a mapping ({what})")
    return data


def load_file(path: Path) -> dict[str, Any]:
    """The options of a YAML or JSON config file (keys as the flags, ``-`` or ``_``)."""
    data = load_document(path, "of options")
    options = {str(key).replace("-", "_"): value for key, value in data.items()}
    unknown = sorted(set(options) - set(DEFAULTS))
    if unknown:
        raise ConfigFileError(f"{path}: unknown option(s) {', '.join(unknown)}; known: {', '.join(DEFAULTS)}")
    return options


def settings(args: argparse.Namespace) -> dict[str, Any]:
    """Defaults, then the config file, then the command line."""
    merged = dict(DEFAULTS)
    if args.config is not None:
        merged.update(load_file(args.config))
    merged.update({key: value for key, value in vars(args).items() if key in DEFAULTS and value is not None})
    return merged


def mock_config(options: Mapping[str, Any]) -> MockConfig:
    """The :class:`MockConfig` of merged serve options."""
    return MockConfig(
        seed=int(options["seed"]),
        clock_mode=str(options["clock"]),
        clock_speed=float(options["speed"]),
        progression=Progression(
            options["progression"], float(options["init_seconds"]), float(options["running_seconds"])
        ),
        credits=float(options["credits"]),
        accounts=dict(options["accounts"]) if options["accounts"] else None,
        notice_policy=notice_policy(options),
        data_dir=str(options["data_dir"]) if options["data_dir"] else None,
    )


def notice_policy(options: Mapping[str, Any]) -> DeliveryPolicy:
    """The callback delivery policy of merged serve options (hosts: a list, or one comma-separated string)."""
    hosts = options["notice_hosts"] or []
    if isinstance(hosts, str):
        hosts = hosts.split(",")
    return DeliveryPolicy(
        allowed_hosts=tuple(str(host).strip() for host in hosts if str(host).strip()),
        max_attempts=int(options["notice_attempts"]),
        first_delay=float(options["notice_first_delay"]),
        backoff=float(options["notice_backoff"]),
        attempt_timeout=float(options["notice_timeout"]),
    )


def run_serve(options: Mapping[str, Any]) -> int:
    """Serve until SIGINT or SIGTERM; 0 after a clean stop."""
    config = mock_config(options)  # invalid values fail here, before the port is taken
    if options["scenario"] and config.data_dir:
        # A scenario starts from a reset: on a data directory it would wipe what was kept.
        raise ConfigFileError("--scenario resets the fake, so it cannot be combined with --data-dir")
    log_level = str(options["log_level"])
    logging.basicConfig(
        level=logging.getLevelName(log_level.upper()) if log_level != "trace" else 5,
        format="%(levelname)s %(name)s: %(message)s",
    )
    mock = TopviewMock(config)
    if options["scenario"]:
        scenario_file = Path(options["scenario"])
        try:
            mock.apply_scenario(load_document(scenario_file, "a scenario"))
        except ValueError as error:
            raise ConfigFileError(f"{scenario_file}: {error}") from None
    app = ErrorTrap(create_app(mock=mock))
    loop, http = loop_name(str(options["loop"])), parser_name(str(options["http"]))
    sock = bind(str(options["host"]), int(options["port"]))
    url = url_of(sock)

    def announce(_: object) -> None:
        progression = config.progression
        print(f"topview-mock listening on {url}", flush=True)
        print(f"control API: {url}/_mock/", flush=True)
        print(
            f"clock {config.clock_mode} (speed {config.clock_speed:g}), progression {progression.mode} "
            f"(init {progression.init:g}, running {progression.running:g}), seed {config.seed}, "
            f"credits {config.credits:g}; event loop {loop}, HTTP parser {http}; Ctrl-C to stop",
            flush=True,
        )
        print(f"dashboard: {url}/_mock/ui", flush=True)
        if config.data_dir:
            print(f"state kept in {config.data_dir}", flush=True)

    try:
        tune_collector()
        with asyncio.Runner(loop_factory=loop_factory(loop)) as runner:
            runner.run(
                serve(
                    app,
                    mock,
                    sock,
                    log_level=log_level,
                    on_ready=announce,
                    handle_signals=True,
                    http=http,
                    read_timeout=float(options["read_timeout"]),
                )
            )
    finally:
        sock.close()
    print("topview-mock stopped", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``topview-mock`` command."""
    words = sys.argv[1:] if argv is None else argv
    args = parser(words).parse_args(words)
    try:
        if args.command in recording.NAMES:
            # Imported only for these commands: serve starts without the proxy, replayer and drift checks.
            from .recording import commands

            return commands.run(args)
        if args.command == "check-client":
            from .clientkit import command as check_client

            return check_client.run(args, kit_server)
        options = settings(args)
        if args.command == "serve":
            return run_serve(options)
    except (ConfigFileError, ValueError, OSError) as error:
        print(f"topview-mock: {error}", file=sys.stderr)
        return 2
    return 2  # pragma: no cover - argparse requires a command
