"""Testing aids: ``FakeTopview`` (in-process, with HTTP clients), the live server and the pytest plugin.

An entry point, like the CLI: it sits above the facade and may import it and everything below.
Nothing in mock_server imports it except the package's public ``__init__`` and ``cli``.
"""

from .fake import FakeTopview
from .server import LiveServer

__all__ = ["FakeTopview", "LiveServer"]
