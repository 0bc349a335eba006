"""Testing aids: ``FakeTopview`` (in-process, with HTTP clients), the live server and the pytest plugin.

An entry point, like the CLI: it sits above the facade and may import it and everything below.
Nothing in mock_server imports it except the package's public ``__init__`` and ``cli``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .fake import FakeTopview
    from .server import LiveServer

__all__ = ["FakeTopview", "LiveServer"]
_WHERE = {"FakeTopview": ".fake", "LiveServer": ".server"}


def __getattr__(name: str) -> Any:
    # Imported on first use: the pytest plugin lives in this package and must load fast.
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_WHERE[name], __name__), name)
    globals()[name] = value
    return value
