"""topview-mock: an offline fake of the Topview AI API, with its OpenAPI contract and test kit."""

from .config import MockConfig
from .engine.errors import TopviewError
from .engine.tasks import Outcome, Progression
from .mock import TopviewMock, create_app
from .testing import FakeTopview, LiveServer

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
