"""What a person or a tool finds at the control URL: an index of the control routes and the contract.

``GET /_mock/`` lists every route under ``/_mock`` (read from the app, so routes added beside the
control API, such as the dashboard, are listed too) with the first line of its docstring: its request
shape and what it does. The contract
is served as ``/_mock/openapi.yaml`` and ``/_mock/openapi.json``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .surface import Controls

PREFIX = "/_mock"
_SLASHES = re.compile(r"/{2,}")


def canonical(path: str) -> str:
    """A control path as its route is written: ``/_mock//journal`` and ``/_mock/journal/`` are ``/_mock/journal``;
    ``/_mock`` is the index, ``/_mock/``.

    Whoever joins the printed control URL (``.../_mock/``) with ``"/journal"`` or ``"journal"`` reaches
    the same route; Topview paths are left to the router (``api/routing.py``), which folds them likewise.
    """
    if path != PREFIX and not path.startswith(PREFIX + "/"):
        return path
    path = _SLASHES.sub("/", path).rstrip("/")
    return PREFIX + "/" if path == PREFIX else path


async def index(mock: Controls, request: Request) -> dict[str, Any]:
    """GET /_mock/: this index — every control route with what it does, the contract and the dashboard."""
    routes = [
        {"method": method, "path": route.path, "doc": _first_line(route.endpoint)}
        for route in request.app.routes
        if isinstance(route, Route) and route.path.startswith(PREFIX + "/") and route.path != PREFIX + "/"
        for method in sorted((route.methods or set()) - {"HEAD"})
    ]
    return {
        "controlApi": PREFIX + "/",
        "dashboard": PREFIX + "/ui",
        "openapi": [PREFIX + "/openapi.yaml", PREFIX + "/openapi.json"],
        "routes": routes,
    }


def _first_line(endpoint: Callable[..., Any]) -> str:
    """The first line of the endpoint's docstring: its request shape and what it does."""
    return (endpoint.__doc__ or "").strip().split("\n", 1)[0]


async def openapi_yaml(mock: Controls, request: Request) -> Response:
    """GET /_mock/openapi.yaml: the contract this fake serves, as YAML."""
    return Response(mock.contract.yaml_text, media_type="application/yaml")


async def openapi_json(mock: Controls, request: Request) -> Response:
    """GET /_mock/openapi.json: the contract this fake serves, as JSON."""
    return Response(mock.contract.json_text, media_type="application/json")
