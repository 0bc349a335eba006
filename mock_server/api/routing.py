"""A router that finds contract operations by exact path in one dictionary lookup.

Contract paths have no path parameters, so the per-request linear scan of Starlette's router over
~130 routes is pure overhead; the object store's and control plane's parameterised routes, and every
miss, still go through Starlette's matching (so 404 and 405 behave exactly as before). Control paths are
first made canonical, so a doubled or trailing slash after the printed control URL still finds its route.

Topview paths are read as Topview's gateway reads them: a doubled slash (``//v1/m2v/task/submit``, from
clients that join a base URL ending in ``/`` with a path starting with one) and a trailing slash reach
the operation itself, for every method — never a redirect, which a POST through ``urllib`` cannot follow.
"""

from __future__ import annotations

import re

from starlette.routing import BaseRoute, Route, Router
from starlette.types import Receive, Scope, Send

from ..control.index import canonical

_SLASHES = re.compile(r"/{2,}")


def contract_path(path: str) -> str:
    """``path`` with runs of slashes folded into one and no trailing slash (``/`` stays ``/``)."""
    if "//" in path:
        path = _SLASHES.sub("/", path)
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path


class ContractRouter(Router):
    """Starlette's router with an exact-path index in front."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        super().__init__(routes=routes)
        self._exact: dict[tuple[str, str], Route] = {}
        for route in routes:
            if isinstance(route, Route) and not route.param_convertors and route.methods:
                for method in route.methods:
                    self._exact.setdefault((method, route.path), route)
        self._paths = frozenset(path for _, path in self._exact)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve a contract path directly (doubled or trailing slashes too); anything else the usual way."""
        if scope["type"] == "http":
            path = canonical(scope["path"])
            if path != scope["path"]:
                scope = {**scope, "path": path}
            route = self._exact.get((scope["method"], path))
            if route is None:
                normal = contract_path(path)
                if normal != path and normal in self._paths:
                    route = self._exact.get((scope["method"], normal))
                    # a known path with another method still answers 405, as the exact path does
                    scope = {**scope, "path": normal}
            if route is not None:
                scope.setdefault("router", self)
                scope["route"] = route
                scope["endpoint"] = route.endpoint
                scope["path_params"] = {}
                await route.handle(scope, receive, send)
                return
        await super().app(scope, receive, send)
