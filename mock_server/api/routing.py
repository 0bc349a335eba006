"""A router that finds contract operations by exact path in one dictionary lookup.

Contract paths have no path parameters, so the per-request linear scan of Starlette's router over
~130 routes is pure overhead; the object store's and control plane's parameterised routes, and every
miss, still go through Starlette's matching (so 404 and 405 behave exactly as before). Control paths are
first made canonical, so a doubled or trailing slash after the printed control URL still finds its route.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route, Router
from starlette.types import Receive, Scope, Send

from ..control.index import canonical


class ContractRouter(Router):
    """Starlette's router with an exact-path index in front."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        super().__init__(routes=routes)
        self._exact: dict[tuple[str, str], Route] = {}
        for route in routes:
            if isinstance(route, Route) and not route.param_convertors and route.methods:
                for method in route.methods:
                    self._exact.setdefault((method, route.path), route)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve an exact contract path directly; anything else the usual way."""
        if scope["type"] == "http":
            path = canonical(scope["path"])
            if path != scope["path"]:
                scope = {**scope, "path": path}
            route = self._exact.get((scope["method"], scope["path"]))
            if route is not None:
                scope.setdefault("router", self)
                scope["route"] = route
                scope["endpoint"] = route.endpoint
                scope["path_params"] = {}
                await route.handle(scope, receive, send)
                return
        await super().app(scope, receive, send)
