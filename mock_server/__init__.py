"""topview-mock: an offline fake of the Topview AI API, with its OpenAPI contract and test kit."""

from .api.app import create_app
from .config import MockConfig
from .engine.errors import TopviewError
from .engine.tasks import Outcome, Progression
from .mock import TopviewMock

__all__ = ["MockConfig", "Outcome", "Progression", "TopviewError", "TopviewMock", "create_app"]
