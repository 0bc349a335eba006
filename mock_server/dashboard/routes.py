"""The dashboard's routes: the page and its two assets, under ``/_mock/ui``.

Jinja2 is imported when the page is first asked for, not with the app: most fakes (a test's) never
serve it, and importing the package stays cheap.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..control.index import PREFIX

UI = PREFIX + "/ui"
PACKAGE = Path(str(resources.files(__package__ or "mock_server.dashboard")))
ASSETS = {path.name: path for path in (PACKAGE / "static").iterdir() if path.suffix in (".js", ".css")}
POLL_MILLISECONDS = 1000  # how often the page reads the control API
JOURNAL_LIMIT = 50  # requests shown (the journal keeps many more)


@cache
def templates() -> Any:
    """The page's template environment (read-only, so one serves every app)."""
    import jinja2
    from starlette.templating import Jinja2Templates

    loader = jinja2.FileSystemLoader(PACKAGE / "templates")
    return Jinja2Templates(env=jinja2.Environment(loader=loader, autoescape=True))


async def page(request: Request) -> Response:
    """GET /_mock/ui: the dashboard — tasks, callbacks, requests, clock, credits and faults, live."""
    control = request.scope.get("root_path", "") + PREFIX
    context = {
        "control": control,
        "assets": control + "/ui/static",
        "poll": POLL_MILLISECONDS,
        "journal_limit": JOURNAL_LIMIT,
    }
    response: Response = templates().TemplateResponse(request, "dashboard.html", context)
    return response


async def asset(request: Request) -> Response:
    """GET /_mock/ui/static/{name}: the dashboard's script and stylesheet, shipped in the package."""
    path = ASSETS.get(request.path_params["name"])
    if path is None:
        return JSONResponse({"error": f"no dashboard asset {request.path_params['name']}"}, status_code=404)
    return FileResponse(path, headers={"Cache-Control": "no-cache"})


def dashboard_routes() -> list[BaseRoute]:
    """The dashboard's routes, to serve beside the control API."""
    return [
        Route(UI, page, methods=["GET"], name="dashboard"),
        Route(UI + "/static/{name}", asset, methods=["GET"], name="dashboard:asset"),
    ]
