"""The OpenAPI contract, loaded once and indexed by operationId."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, TypeVar

from .resources import data_dir, read_yaml
from .validation import Check, ContractError, compile_schema

HTTP_METHODS = ("get", "post", "put", "delete", "patch")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Annotation:
    """A body field the fake checks beyond its schema: an uploaded file or a reference to a resource."""

    path: tuple[str, ...]  # property names from the body root; "[]" steps into array items
    kind: str  # "file" or "ref"
    value: str  # media kind for files, resource name for refs


@dataclass(frozen=True)
class Operation:
    """One contract operation with what the fake needs to serve it."""

    operation_id: str
    method: str
    path: str
    tag: str
    summary: str
    query: tuple[dict[str, Any], ...]
    body_schema: dict[str, Any] | None
    result_schema: dict[str, Any]
    rules: tuple[dict[str, Any], ...]
    catalog: str | None
    annotations: tuple[Annotation, ...]
    query_check: Check = field(repr=False)
    body_check: Check | None = field(repr=False)


class Contract:
    """The parsed contract: resolved operations by operationId, in document order."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self._resolved: dict[str, Any] = {}
        self._derived: dict[Hashable, Any] = {}
        self.operations: dict[str, Operation] = {}
        for method, path, raw in self._raw_operations():
            operation = self._operation(method, path, raw)
            if operation.operation_id in self.operations:
                raise ContractError(f"duplicate operationId {operation.operation_id}")
            self.operations[operation.operation_id] = operation

    @classmethod
    def load(cls, path: Path | None = None) -> Contract:
        """``topview.openapi.yaml`` (the packaged one unless a path is given), compiled once per process.

        The compiled contract is read-only, so every fake in the process shares it (the first costs a
        few hundred milliseconds, later ones nothing); a changed file is compiled again.
        """
        path = (path or data_dir("contracts") / "topview.openapi.yaml").resolve()
        return _compiled(path, path.stat().st_mtime_ns)

    def derived(self, key: Hashable, make: Callable[[], T]) -> T:
        """A read-only value made once from this contract (model tables, seeded catalogues), then shared."""
        if key not in self._derived:
            self._derived[key] = make()
        value: T = self._derived[key]
        return value

    def __iter__(self) -> Iterator[Operation]:
        return iter(self.operations.values())

    def __getitem__(self, operation_id: str) -> Operation:
        return self.operations[operation_id]

    @cached_property
    def schemas(self) -> dict[str, Any]:
        """Every component schema, fully resolved."""
        names = self.document.get("components", {}).get("schemas", {})
        return {name: self.resolve({"$ref": f"#/components/schemas/{name}"}) for name in names}

    @cached_property
    def yaml_text(self) -> str:
        """The document as YAML, as the control API serves it (rendered once: the dump takes a while)."""
        import yaml  # only the control API's YAML view needs it

        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's, where PyYAML was built with it
        return yaml.dump(dict(self.document), Dumper=dumper, sort_keys=False, allow_unicode=True)

    @cached_property
    def json_text(self) -> str:
        """The document as JSON, as the control API serves it."""
        return json.dumps(self.document, ensure_ascii=False, indent=1)

    def resolve(self, node: Any) -> Any:
        """A deep copy of ``node`` with every local ``$ref`` inlined."""
        if isinstance(node, list):
            return [self.resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            ref = node["$ref"]
            if ref not in self._resolved:
                self._resolved[ref] = self.resolve(self._pointer(ref))
            target = copy.deepcopy(self._resolved[ref])
            siblings = {k: self.resolve(v) for k, v in node.items() if k != "$ref"}
            return {**target, **siblings} if siblings else target
        return {key: self.resolve(value) for key, value in node.items()}

    def _pointer(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise ContractError(f"only local $refs are supported, not {ref}")
        node: Any = self.document
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def _raw_operations(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for path, item in self.document.get("paths", {}).items():
            for method in HTTP_METHODS:
                if method in item:
                    yield method.upper(), path, item[method]

    def _operation(self, method: str, path: str, raw: dict[str, Any]) -> Operation:
        op_id = raw.get("operationId")
        if not op_id:
            raise ContractError(f"{method} {path} has no operationId")
        params = [self.resolve(p) for p in raw.get("parameters", [])]
        unsupported = [p["name"] for p in params if p["in"] not in ("query", "header")]
        if unsupported:
            raise ContractError(f"{op_id}: path/cookie parameters are not supported: {unsupported}")
        query = tuple(p for p in params if p["in"] == "query")
        query_schema = {
            "type": "object",
            "properties": {p["name"]: p["schema"] for p in query},
            "required": [p["name"] for p in query if p.get("required")],
        }
        body_schema = None
        if "requestBody" in raw:
            body_schema = self.resolve(raw["requestBody"])["content"]["application/json"]["schema"]
        success = self.resolve(raw["responses"]["200"])["content"]["application/json"]["schema"]["anyOf"][0]
        return Operation(
            operation_id=op_id,
            method=method,
            path=path,
            tag=(raw.get("tags") or ["?"])[0],
            summary=raw.get("summary", ""),
            query=query,
            body_schema=body_schema,
            result_schema=success["properties"]["result"],
            rules=tuple(raw.get("x-topview-rules", ())),
            catalog=raw.get("x-topview-catalog"),
            annotations=tuple(_annotations(body_schema, ())) if body_schema else (),
            query_check=compile_schema(query_schema, f"{op_id} query"),
            body_check=compile_schema(body_schema, f"{op_id} body") if body_schema else None,
        )


@lru_cache(maxsize=4)
def _compiled(path: Path, mtime_ns: int) -> Contract:
    return Contract(read_yaml(path))


def _annotations(schema: Mapping[str, Any], path: tuple[str, ...]) -> Iterator[Annotation]:
    if "x-topview-file" in schema:
        yield Annotation(path, "file", schema["x-topview-file"])
    if "x-topview-ref" in schema:
        yield Annotation(path, "ref", schema["x-topview-ref"])
    for part in schema.get("allOf", ()):
        yield from _annotations(part, path)
    for name, sub in (schema.get("properties") or {}).items():
        yield from _annotations(sub, (*path, name))
    if isinstance(schema.get("items"), Mapping):
        yield from _annotations(schema["items"], (*path, "[]"))
