"""The fake on a real socket: uvicorn plus a clock ticker, in the foreground (CLI) or a thread (tests).

The ticker matters in server mode: with a realtime clock nobody calls ``advance``, so without it a
task nobody polls would never finish and its callback would never fire.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import gc
import importlib.util
import logging
import signal
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import uvicorn
from starlette.types import ASGIApp

from ..callbacks.records import NoticeDelivery
from ..config import MockConfig
from ..mock import TopviewMock, create_app
from .controls import TopviewControls
from .defaults import DEFAULT_API_KEY, DEFAULT_UID
from .slow_clients import READ_TIMEOUT, protocol_class
from .trap import ErrorTrap

T = TypeVar("T")
TICK_SECONDS = 0.2
log = logging.getLogger("topview_mock.server")


class Uvicorn(uvicorn.Server):
    """uvicorn's server, leaving signals to whoever runs it (uvicorn re-raises them after shutdown)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Install nothing: :func:`serve` handles SIGINT/SIGTERM itself, the test thread has none."""
        yield


LOOPS = ("auto", "uvloop", "asyncio")
PARSERS = ("auto", "httptools", "h11")
GC_YOUNG_THRESHOLD = 100_000  # allocations between young collections in a served fake (Python: 700)


def loop_name(choice: str = "auto") -> str:
    """The event loop ``choice`` runs: ``auto`` is uvloop where it is installed (not on Windows), else asyncio."""
    if choice not in LOOPS:
        raise ValueError(f"--loop must be one of {', '.join(LOOPS)}, not {choice!r}")
    if choice == "auto":
        return "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"
    return choice


def parser_name(choice: str = "auto") -> str:
    """The HTTP parser ``choice`` runs: ``auto`` is httptools where it is installed, else h11."""
    if choice not in PARSERS:
        raise ValueError(f"--http must be one of {', '.join(PARSERS)}, not {choice!r}")
    if choice == "auto":
        return "httptools" if importlib.util.find_spec("httptools") is not None else "h11"
    return choice


def loop_factory(choice: str = "auto") -> Callable[[], asyncio.AbstractEventLoop]:
    """A factory of the event loop ``choice`` names (``asyncio.Runner(loop_factory=...)``)."""
    if loop_name(choice) == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    return asyncio.new_event_loop


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket on ``host:port`` (port 0: any free port)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def url_of(sock: socket.socket) -> str:
    """``http://host:port`` of a bound socket (IPv6 hosts in brackets)."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


async def tick(mock: TopviewMock, interval: float, on_error: Callable[[BaseException], None]) -> None:
    """Let the clock's listeners run every ``interval`` real seconds: due tasks finish, callbacks go out."""
    # A control plane may add mock.tick() doing more per tick; until then notifying the clock is the tick.
    step: Callable[[], object] = getattr(mock, "tick", mock.clock.notify)
    while True:
        await asyncio.sleep(interval)
        try:
            step()
        except Exception as error:  # keep ticking, but make the bug visible
            log.exception("topview-mock: the clock ticker failed")
            on_error(error)


def tune_collector(young: int = GC_YOUNG_THRESHOLD) -> None:
    """Set the garbage collector up for a process that only serves a fake (never for a test process).

    A served fake keeps everything it is sent, and the collector's passes over it were a quarter of a
    submit's cost: what start-up made (the contract, catalogues) is never garbage, so it is frozen out of
    every pass, and young passes run less often.
    """
    gc.freeze()
    gc.set_threshold(young, *gc.get_threshold()[1:])


async def serve(
    app: ASGIApp,
    mock: TopviewMock,
    sock: socket.socket,
    *,
    log_level: str = "warning",
    on_ready: Callable[[Uvicorn], object] | None = None,
    on_error: Callable[[BaseException], None] = lambda error: None,
    handle_signals: bool = False,
    http: str = "auto",
    read_timeout: float = READ_TIMEOUT,
) -> None:
    """Serve ``app`` on ``sock`` until the server is told to exit, ticking ``mock``'s clock meanwhile.

    ``http`` names uvicorn's HTTP parser (``auto``: httptools where installed); the event loop is the
    caller's (``loop_factory``). A request that has not arrived whole ``read_timeout`` real seconds after
    its first byte has its connection closed (``slow_clients``).
    """
    config = uvicorn.Config(
        app,
        http=protocol_class(parser_name(http), read_timeout),
        log_level=log_level,
        log_config=None,
        access_log=log_level in ("debug", "trace"),
        lifespan="off",
    )
    server = Uvicorn(config)
    if mock.public_url == MockConfig.public_url:  # result links inside callbacks point at this server
        mock.public_url = url_of(sock)
    loop = asyncio.get_running_loop()
    if handle_signals:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, _exit_handler(server))
    ticker = asyncio.create_task(tick(mock, TICK_SECONDS, on_error))
    watcher = asyncio.create_task(_when_started(server, on_ready))
    try:
        await server.serve(sockets=[sock])
    finally:
        ticker.cancel()
        watcher.cancel()
        await asyncio.gather(ticker, watcher, return_exceptions=True)
        await mock.notices.aclose()
        if mock.data_dir is not None:
            mock.data_dir.close()  # what the last requests changed is written already; this closes the file
        if handle_signals:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)


def _exit_handler(server: Uvicorn) -> Callable[[], None]:
    """First signal: shut down gracefully; second one: stop waiting for open connections."""

    def handle() -> None:
        if server.should_exit:
            server.force_exit = True
        server.should_exit = True

    return handle


async def _when_started(server: Uvicorn, on_ready: Callable[[Uvicorn], object] | None) -> None:
    while not server.started:
        await asyncio.sleep(0.01)
    if on_ready is not None:
        on_ready(server)


class LiveServer(TopviewControls):
    """The fake served on a free loopback port from a background thread: what ``topview_server`` gives.

    Control calls (``advance``, ``complete`` ...) run on the server's event loop, so a test thread never
    touches the fake while it serves a request; what they answer is a snapshot taken there.
    """

    def __init__(
        self,
        mock: TopviewMock,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        uid: str = DEFAULT_UID,
        api_key: str = DEFAULT_API_KEY,
        log_level: str = "warning",
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        self.mock = mock
        self.read_timeout = read_timeout  # real seconds a request may take to arrive whole
        self.uid = uid
        self.api_key = api_key
        self.trap = ErrorTrap(create_app(mock=mock))
        self._host, self._port, self._log_level = host, port, log_level
        self._server: Uvicorn | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self.url = ""

    @property
    def base_url(self) -> str:
        """Where the API is served (same as :attr:`url`)."""
        return self.url

    @property
    def control_url(self) -> str:
        """Where the control API is served: ``+ "/journal"`` and ``+ "journal"`` both reach a route."""
        return f"{self.url}/_mock/"

    @property
    def env(self) -> dict[str, str]:
        """The environment a subprocess needs to call the fake: TOPVIEW_BASE_URL, TOPVIEW_UID, TOPVIEW_API_KEY."""
        return {"TOPVIEW_BASE_URL": self.url, "TOPVIEW_UID": self.uid, "TOPVIEW_API_KEY": self.api_key}

    def start(self, timeout: float = 10.0) -> LiveServer:
        """Start serving; returns once the port accepts connections (or raises)."""
        sock = bind(self._host, self._port)
        self.url = url_of(sock)
        self._thread = threading.Thread(target=self._main, args=(sock,), name="topview-mock-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            self.stop()
            raise RuntimeError(f"topview-mock did not start within {timeout:g} s")
        if self._failure is not None:
            raise RuntimeError("topview-mock failed to start") from self._failure
        return self

    def _main(self, sock: socket.socket) -> None:
        try:
            asyncio.run(self._serve(sock))
        except BaseException as error:
            self._failure = error
        finally:
            sock.close()
            self._ready.set()

    async def _serve(self, sock: socket.socket) -> None:
        self._loop = asyncio.get_running_loop()

        def ready(server: Uvicorn) -> None:
            self._server = server
            self._ready.set()

        await serve(
            self.trap,
            self.mock,
            sock,
            log_level=self._log_level,
            on_ready=ready,
            on_error=self.errors.append,
            read_timeout=self.read_timeout,
        )

    def _run(self, call: Callable[[], T]) -> T:
        # A snapshot taken on the server's loop: the server thread goes on changing the fake's own records.
        result: T = self.call(lambda: copy.deepcopy(call()))
        return result

    async def _arun(self, call: Callable[[], Awaitable[T]]) -> T:
        async def snapshot() -> T:
            return copy.deepcopy(await call())

        future = asyncio.run_coroutine_threadsafe(snapshot(), self._running_loop())
        return await asyncio.wrap_future(future)

    def call(self, function: Callable[..., Any], *args: Any, timeout: float = 30.0) -> Any:
        """Run ``function(*args)`` (a coroutine function or a plain one) on the server's loop."""
        future = asyncio.run_coroutine_threadsafe(_awaited(function, *args), self._running_loop())
        return future.result(timeout)

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        loop = self._loop
        if loop is None or not loop.is_running():
            raise RuntimeError("the server is not running")
        return loop

    def drain_callbacks(self) -> list[NoticeDelivery]:
        """Run due work and every due callback attempt to its end (sync code); the deliveries still waiting."""

        async def drained() -> list[NoticeDelivery]:  # the attempts run on the server loop
            return copy.deepcopy(await self.mock.adrain_callbacks())

        result: list[NoticeDelivery] = self.call(drained)
        return result

    def stop(self, timeout: float = 10.0) -> None:
        """Shut down gracefully and wait for the thread to end."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout)


async def _awaited(function: Callable[..., Any], *args: Any) -> Any:
    result = function(*args)
    if asyncio.iscoroutine(result):
        return await result
    return result
