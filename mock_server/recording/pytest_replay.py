"""pytest plugin: ``topview_replay``, a directory of cassettes replayed in process (loaded by its own entry point).

``@pytest.mark.topview_replay("cassettes/", cassette="upload", strict=True)`` says what to replay: a
directory of cassettes (or one file), relative to the test file's folder; by default the cassettes this
package ships (``fixtures/cassettes``). Every httpx request, sync or async, to a host the cassettes name
is answered from them, matched the way ``topview-mock replay`` matches (in recorded order for repeated
requests); other hosts reach the network as usual. ``cassette`` limits the answers to one cassette
(otherwise the ``X-Topview-Mock-Cassette`` header of a request may name one). With ``strict`` (the
default) a request nothing answered fails the test at teardown, listing the nearest recorded requests.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

# Every session of a project that installed topview-mock loads this plugin: httpx, respx and the
# cassette machinery are imported when a test uses the fixture, not here.
if TYPE_CHECKING:
    import httpx

    from .matching import Miss, ReplayBook

MARKER = "topview_replay"


@dataclass
class Replay:
    """What ``topview_replay`` gives a test: the cassettes' base URL, clients, and the misses so far."""

    book: ReplayBook
    base_url: str
    cassette: str | None = None

    @property
    def misses(self) -> list[Miss]:
        """Requests nothing answered, oldest first."""
        return self.book.misses

    def client(self) -> httpx.AsyncClient:
        """An async httpx client on the cassettes' base URL (close it, or use ``async with``)."""
        import httpx

        return httpx.AsyncClient(base_url=self.base_url)

    def sync_client(self) -> httpx.Client:
        """A sync httpx client on the cassettes' base URL (close it, or use ``with``)."""
        import httpx

        return httpx.Client(base_url=self.base_url)

    def respond(self, request: httpx.Request) -> httpx.Response:
        """Answer one intercepted request from the cassettes."""
        import httpx

        from .matching import Miss
        from .proxy import CASSETTE_HEADER
        from .replay import answer_body, miss_envelope

        found = self.book.answer(
            request.method,
            str(request.url),
            request.content,
            request.headers.get("content-type"),
            self.cassette or request.headers.get(CASSETTE_HEADER),
        )
        if isinstance(found, Miss):
            return httpx.Response(404, json=miss_envelope(found))
        headers = [
            (name, value)
            for name, values in found.response.headers.items()
            if name.lower() not in ("content-length", "content-encoding", "transfer-encoding")
            for value in values
        ]
        return httpx.Response(found.response.status, headers=headers, content=answer_body(found))


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker (the plugin works under ``--strict-markers``)."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(path=None, cassette=None, strict=True): replay a cassette directory in process for the "
        "topview_replay fixture",
    )


@pytest.fixture
def topview_replay(request: pytest.FixtureRequest) -> Iterator[Replay]:
    """Cassettes answering this test's httpx calls in process (see ``@pytest.mark.topview_replay``)."""
    import respx

    from ..contract.resources import data_dir
    from .cassettes import load_dir
    from .matching import ReplayBook

    mark = request.node.get_closest_marker(MARKER)
    args, kwargs = (mark.args, mark.kwargs) if mark is not None else ((), {})
    path = Path(args[0]) if args else data_dir("fixtures") / "cassettes"
    if not path.is_absolute():
        path = request.path.parent / path
    book = ReplayBook(load_dir(path))
    base = book.shelves[0].base if book.shelves else "https://api.topview.ai"
    replay = Replay(book, base, kwargs.get("cassette"))
    with respx.mock(assert_all_called=False, assert_all_mocked=False) as router:
        for host in sorted(book.hosts()):
            router.route(url__startswith=host).mock(side_effect=replay.respond)
        router.route().pass_through()
        yield replay
    if kwargs.get("strict", True) and book.misses:
        listed = "\n".join(f"  {miss.describe()}" for miss in book.misses)
        pytest.fail(f"topview_replay: {len(book.misses)} request(s) had no recorded answer:\n{listed}")
