"""One validated Topview request as handlers see it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..contract.openapi import Operation
from ..engine.state import Tenant


@dataclass(slots=True)
class Call:
    """The operation, the account, and the coerced query and body of one request."""

    op: Operation
    uid: str
    api_key: str
    tenant: Tenant
    query: dict[str, Any]
    body: dict[str, Any]
    headers: Mapping[str, str]  # lower-case names
    base_url: str

    def param(self, name: str) -> Any:
        """A body field, else a query parameter."""
        return self.body[name] if name in self.body else self.query.get(name)

    def page(self, items: Sequence[Any], key: str = "data") -> dict[str, Any]:
        """One page of ``items`` as Topview's paged lists answer: ``pageNo`` and ``pageSize`` from the query."""
        page_no, page_size = self.query.get("pageNo", 1), self.query.get("pageSize", 20)
        start = (page_no - 1) * page_size
        return {
            key: list(items[start : start + page_size]),
            "total": len(items),
            "pageNo": page_no,
            "pageSize": page_size,
        }
