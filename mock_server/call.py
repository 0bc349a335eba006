"""One validated Topview request as handlers see it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers

from .contract import Operation
from .state import Tenant


@dataclass(slots=True)
class Call:
    """The operation, the account, and the coerced query and body of one request."""

    op: Operation
    uid: str
    api_key: str
    tenant: Tenant
    query: dict[str, Any]
    body: dict[str, Any]
    headers: Headers
    base_url: str

    def param(self, name: str) -> Any:
        """A body field, else a query parameter."""
        return self.body[name] if name in self.body else self.query.get(name)
