"""topview-mock: an offline fake of the Topview AI API, with its OpenAPI contract and test kit.

The public names are imported on first use, so that importing the package (the pytest plugin does,
in every session of a project that installed it) costs next to nothing.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import MockConfig
    from .engine.errors import TopviewError
    from .engine.tasks import Outcome, Progression
    from .mock import TopviewMock, create_app
    from .testing import FakeTopview, LiveServer

_WHERE = {
    "FakeTopview": ".testing",
    "LiveServer": ".testing",
    "MockConfig": ".config",
    "Outcome": ".engine.tasks",
    "Progression": ".engine.tasks",
    "TopviewError": ".engine.errors",
    "TopviewMock": ".mock",
    "create_app": ".mock",
}

__all__ = [
    "FakeTopview",
    "LiveServer",
    "MockConfig",
    "Outcome",
    "Progression",
    "TopviewError",
    "TopviewMock",
    "create_app",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_WHERE[name], __name__), name)
    globals()[name] = value
    return value
