"""Checks beyond JSON Schema: cross-field rules, uploaded files, references to existing resources.

Rules are declared in the contract (``x-topview-rules``, ``x-topview-file``, ``x-topview-ref``); this
module is the one generic interpreter. Unknown rule shapes or check names are refused at start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

from ..engine.errors import TopviewError, bad_value, not_found
from ..engine.state import FileRecord, Tenant
from .openapi import Annotation, Operation
from .validation import ContractError, is_empty

RULE_KEYS = frozenset(
    {
        "requireOne",
        "when",
        "whenEmpty",
        "require",
        "restrict",
        "forbid",
        "check",
        "message",
        "fields",
        "field",
        "by",
        "limits",
        "models",
        "unique",
    }
)


class Resources(Protocol):
    """What rule checks may look up: the account's things and the shared catalogues."""

    def exists(self, tenant: Tenant, resource: str, value: str) -> bool: ...


NamedCheck = Callable[[Mapping[str, Any], Mapping[str, Any], Tenant], None]


def validate_rules(operation: Operation, named: Mapping[str, NamedCheck]) -> None:
    """Refuse a contract rule the interpreter does not understand (called when the app starts)."""
    for rule in operation.rules:
        unknown = set(rule) - RULE_KEYS
        if unknown:
            raise ContractError(f"{operation.operation_id}: unknown rule keys {sorted(unknown)}")
        if "check" in rule and rule["check"] not in named:
            raise ContractError(f"{operation.operation_id}: unknown named check {rule['check']!r}")
        if not ({"requireOne", "require", "restrict", "forbid", "check", "unique"} & set(rule)):
            raise ContractError(f"{operation.operation_id}: rule {rule} asks for nothing")


def _holds(rule: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
    for field, values in (rule.get("when") or {}).items():
        if body.get(field) not in values:
            return False
    return all(is_empty(body.get(field)) for field in rule.get("whenEmpty", ()))


def _condition(rule: Mapping[str, Any]) -> str:
    parts = [f"{field} is {' or '.join(map(_show, values))}" for field, values in (rule.get("when") or {}).items()]
    parts += [f"{field} is empty" for field in rule.get("whenEmpty", ())]
    return " and ".join(parts)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def check_rules(operation: Operation, body: Mapping[str, Any], tenant: Tenant, named: Mapping[str, NamedCheck]) -> None:
    """Apply every cross-field rule of the operation, in contract order (broken rule → 4000)."""
    for rule in operation.rules:
        if "requireOne" in rule:
            fields = rule["requireOne"]
            if all(is_empty(body.get(f)) for f in fields):
                raise TopviewError("4000", rule.get("message") or f"{' or '.join(fields)} is required")
            continue
        if "unique" in rule:
            _unique(rule["unique"], body)
            continue
        if not _holds(rule, body):
            continue
        condition = _condition(rule)
        for field in rule.get("require", ()):
            if is_empty(body.get(field)):
                raise bad_value(field, rule.get("message") or f"is required when {condition}")
        for field, allowed in (rule.get("restrict") or {}).items():
            value = body.get(field)
            if not is_empty(value) and value not in allowed:
                detail = f"must be one of {', '.join(map(_show, allowed))} when {condition}"
                raise bad_value(field, rule.get("message") or detail)
        for field in rule.get("forbid", ()):
            if not is_empty(body.get(field)):
                raise bad_value(field, rule.get("message") or f"must be empty when {condition}")
        if "check" in rule:
            named[rule["check"]](rule, body, tenant)


def _unique(keys: Mapping[str, str], body: Mapping[str, Any]) -> None:
    """The items of each array field must not repeat their key (``{unique: {scriptContents: segId}}``)."""
    for field, key in keys.items():
        seen = [item.get(key) for item in body.get(field) or [] if isinstance(item, Mapping)]
        if len(set(map(repr, seen))) != len(seen):
            raise bad_value(field, f"must not repeat a {key}")


def values_at(body: Any, path: tuple[str, ...], label: str = "") -> Iterator[tuple[str, Any]]:
    """Every (field label, value) at ``path`` in the body, stepping into arrays at "[]"."""
    if not path:
        yield label, body
        return
    head, rest = path[0], path[1:]
    if head == "[]":
        if isinstance(body, list):
            for i, item in enumerate(body):
                yield from values_at(item, rest, f"{label}[{i}]")
        return
    if isinstance(body, Mapping) and not is_empty(body.get(head)):
        yield from values_at(body[head], rest, f"{label}.{head}" if label else head)


def check_annotations(operation: Operation, body: Mapping[str, Any], tenant: Tenant, resources: Resources) -> None:
    """Every fileId names an uploaded file of the account, of the right kind; every ref exists."""
    for annotation in operation.annotations:
        for label, value in values_at(body, annotation.path):
            if not isinstance(value, str):
                continue
            if annotation.kind == "file":
                check_file(tenant, label, value, annotation)
            elif not resources.exists(tenant, annotation.value, value):
                unfinished = annotation.value.removesuffix(":success")
                if unfinished != annotation.value and resources.exists(tenant, unfinished, value):
                    # the account's own task, only not succeeded: a bad value (4000), not an unknown id (4004)
                    raise bad_value(label, f"{value} must have succeeded first, it is {tenant.tasks[value].status}")
                raise not_found(label, value)


def check_file(tenant: Tenant, label: str, file_id: str, annotation: Annotation) -> FileRecord:
    """The uploaded file behind ``file_id`` (4004 unknown or foreign; 4000 not uploaded or wrong kind)."""
    record = tenant.files.get(file_id)
    if record is None:
        raise not_found(label, file_id)
    if not record.uploaded:
        raise bad_value(label, f"{file_id} has not been uploaded yet")
    wanted = annotation.value
    if wanted != "media" and record.kind is not None and record.kind != wanted:
        raise bad_value(label, f"must be an {wanted} file, but {file_id} is {record.kind}")
    if wanted == "media" and record.kind not in (None, "image", "video"):
        raise bad_value(label, f"must be an image or video file, but {file_id} is {record.kind}")
    return record
