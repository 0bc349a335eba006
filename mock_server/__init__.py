"""topview-mock: an offline fake of the Topview AI API, with its OpenAPI contract and test kit."""

from .app import create_app
from .config import MockConfig
from .errors import TopviewError
from .mock import TopviewMock
from .tasks import Outcome, Progression

__all__ = ["MockConfig", "Outcome", "Progression", "TopviewError", "TopviewMock", "create_app"]
