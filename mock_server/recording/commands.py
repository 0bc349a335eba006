"""``topview-mock record``, ``replay`` and ``drift``: running the recording subcommands.

``cli`` adds them with ``arguments.add_commands`` and imports this module only to :func:`run` one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from ..contract.openapi import Contract
from ..testing.server import Uvicorn, bind, url_of
from .cassettes import load_dir
from .drift import drift, summary
from .findings import SkipPaths
from .proxy import Recorder, RecordOptions
from .redaction import Secrets
from .replay import Replayer


def run(args: argparse.Namespace) -> int:
    """Run one of these subcommands."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per forwarded request is noise here
    if args.command == "record":
        return run_record(args)
    if args.command == "replay":
        return run_replay(args)
    if args.command == "drift":
        return run_drift(args)
    raise ValueError(f"unknown command {args.command}")


def run_record(args: argparse.Namespace) -> int:
    """Record until SIGINT or SIGTERM; 1 if a cassette was refused because a secret survived in it."""
    secrets = Secrets()
    secrets.add(key=os.environ.get("TOPVIEW_API_KEY", ""), uid=os.environ.get("TOPVIEW_UID", ""))
    options = RecordOptions(
        out=args.out,
        upstream=args.upstream,
        record_as=args.record_as,
        max_credits=args.max_credits,
        record_media=args.record_media,
        session=args.session,
        secrets=secrets,
    )
    recorder = Recorder(options)
    sock = bind(args.host, args.port)

    def announce() -> None:
        budget = f", at most {args.max_credits:g} credits" if args.max_credits is not None else ""
        print(f"topview-mock record listening on {url_of(sock)}", flush=True)
        print(f"forwarding to {args.upstream}; cassettes in {args.out}{budget}; Ctrl-C to stop", flush=True)

    try:
        asyncio.run(_serve(recorder.app(), sock, announce, recorder.aclose))
    finally:
        sock.close()
    written = {name: len(tape.items) for name, tape in recorder.tapes.items() if tape.items}
    print(f"topview-mock record stopped: {sum(written.values())} exchange(s) in {len(written)} cassette(s)")
    for leak in recorder.leaks:
        print(f"topview-mock record: {leak}", file=sys.stderr)
    return 1 if recorder.leaks else 0


def run_replay(args: argparse.Namespace) -> int:
    """Replay until SIGINT or SIGTERM."""
    cassettes = load_dir(args.cassettes)
    replayer = Replayer(cassettes)
    sock = bind(args.host, args.port)

    def announce() -> None:
        count = sum(len(c) for c in cassettes)
        print(f"topview-mock replay listening on {url_of(sock)}", flush=True)
        print(f"{count} exchange(s) from {len(cassettes)} cassette(s) in {args.cassettes}; Ctrl-C to stop", flush=True)

    async def stop() -> None:
        return None

    try:
        asyncio.run(_serve(replayer.app(), sock, announce, stop))
    finally:
        sock.close()
    print(f"topview-mock replay stopped: {len(replayer.book.misses)} request(s) had no recorded answer")
    return 0


def run_drift(args: argparse.Namespace) -> int:
    """Check for drift; 1 when a finding is breaking."""
    against = [name.strip() for name in str(args.against).split(",") if name.strip()]
    report = asyncio.run(drift(load_dir(args.cassettes), Contract.load(), against, SkipPaths.read(args.skip_paths)))
    for line in summary(report):
        print(line)
    if args.report is not None:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    return 1 if report.breaking else 0


async def _serve(app: ASGIApp, sock: socket.socket, on_ready: Callable[[], None], on_stop: Callable[[], Any]) -> None:
    """Serve ``app`` on ``sock`` until SIGINT or SIGTERM."""
    server = Uvicorn(uvicorn.Config(app, log_level="warning", log_config=None, lifespan="off"))
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, lambda: setattr(server, "should_exit", True))
    watcher = asyncio.create_task(_when_started(server, on_ready))
    try:
        await server.serve(sockets=[sock])
    finally:
        watcher.cancel()
        await on_stop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


async def _when_started(server: Uvicorn, on_ready: Callable[[], None]) -> None:
    while not server.started:
        await asyncio.sleep(0.01)
    on_ready()
