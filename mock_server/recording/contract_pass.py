"""Drift against the contract: every recorded answer validated against its operation's response schema.

The validation (JSON Schema 2020-12) finds what breaks a client: a required field missing, a type or
nullness changed, an enum value the contract does not know, any other rule broken. A strict pass then
walks the answer beside its schema and lists every field the contract does not declare (additive: the
contract leaves ``additionalProperties`` open, as Topview's Java backend adds fields freely).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from ..contract.openapi import Contract, Operation
from .cassettes import Cassette
from .findings import ADDITIVE, BREAKING, Finding
from .normalise import parse_json

Schema = Mapping[str, Any]


def json_path(parts: Sequence[Any]) -> str:
    """``$.result.videos[].status`` for ``["result", "videos", 0, "status"]`` (any item reads ``[]``)."""
    return "$" + "".join("[]" if isinstance(part, int) else f".{part}" for part in parts)


def type_name(value: Any) -> str:
    """The JSON type of a value (integers and floats are both numbers)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def flatten(schema: Schema, value: Any) -> Schema:
    """``schema`` with ``allOf`` merged and an ``anyOf``/``oneOf`` branch chosen for ``value``."""
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k not in ("allOf", "anyOf", "oneOf")}
    for part in schema.get("allOf", ()):
        part = flatten(part, value)
        merged["properties"] = {**merged.get("properties", {}), **part.get("properties", {})}
        merged.update({k: v for k, v in part.items() if k != "properties"})
    branches = list(schema.get("anyOf", ())) + list(schema.get("oneOf", ()))
    if branches:
        valid = [b for b in branches if Draft202012Validator(b).is_valid(value)]
        typed = [b for b in branches if _declares(b, type_name(value))]
        merged.update(flatten((valid or typed or branches)[0], value))
    return merged


def _declares(schema: Schema, name: str) -> bool:
    declared = schema.get("type")
    names = declared if isinstance(declared, list) else [declared]
    return name in names or (name == "number" and "integer" in names)


class ContractCheck:
    """Recorded answers against the contract, operation by operation."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.operations = {(op.method, op.path): op for op in contract}
        self._envelopes: dict[str, list[Schema]] = {}

    def operation_for(self, method: str, uri: str) -> Operation | None:
        """The contract operation a recorded request called, if any."""
        return self.operations.get((method.upper(), urlsplit(uri).path))

    def envelopes(self, operation: Operation) -> list[Schema]:
        """The success envelope and the error envelope of an operation, resolved."""
        found = self._envelopes.get(operation.operation_id)
        if found is None:
            raw = self.contract.document["paths"][operation.path][operation.method.lower()]["responses"]["200"]
            schema = self.contract.resolve(raw)["content"]["application/json"]["schema"]
            found = self._envelopes[operation.operation_id] = list(schema["anyOf"])
        return found

    def schema_for(self, operation: Operation, answer: Any) -> Schema:
        """The envelope an answer must match: the success one for code 200, else the error one."""
        success, error = self.envelopes(operation)[:2]
        return success if isinstance(answer, Mapping) and answer.get("code") == "200" else error

    def check_answer(self, operation: Operation, answer: Any) -> list[Finding]:
        """Every finding of one answer (without cassette location)."""
        schema = self.schema_for(operation, answer)
        found = [*self._validation(schema, answer), *undeclared(schema, answer, [])]
        unique = dict.fromkeys(found)
        return [
            Finding(f.severity, "contract", f.kind, f.path, f.detail, operation=operation.operation_id) for f in unique
        ]

    def check_cassette(self, cassette: Cassette) -> list[Finding]:
        """Every finding of every recorded answer of a contract operation in the cassette."""
        findings: list[Finding] = []
        for index, interaction in enumerate(cassette):
            operation = self.operation_for(interaction.request.method, interaction.request.uri)
            if operation is None:
                continue
            is_json, answer = parse_json(interaction.response.body)
            if not is_json:
                problems = [Finding(BREAKING, "contract", "not-json", "$", "the answer is not a JSON envelope")]
            else:
                problems = self.check_answer(operation, answer)
            findings += [
                Finding(f.severity, f.check, f.kind, f.path, f.detail, cassette.name, index, operation.operation_id)
                for f in problems
            ]
        return findings

    def _validation(self, schema: Schema, answer: Any) -> Iterator[Finding]:
        for error in Draft202012Validator(schema).iter_errors(answer):
            yield from _from_error(error)


def _from_error(error: ValidationError) -> Iterator[Finding]:
    path = json_path(list(error.absolute_path))
    instance, expected = error.instance, error.validator_value
    if error.validator == "required":
        for name in expected:
            if isinstance(instance, Mapping) and name not in instance:
                yield Finding(
                    BREAKING, "contract", "missing-field", f"{path}.{name}", f"required field {name} is missing"
                )
    elif error.validator == "type":
        kind = "nullness" if instance is None else "type"
        yield Finding(BREAKING, "contract", kind, path, f"{type_name(instance)} where the contract declares {expected}")
    elif error.validator in ("enum", "const"):
        known = ", ".join(str(v) for v in (expected if isinstance(expected, list) else [expected]))
        yield Finding(BREAKING, "contract", "enum", path, f"value {instance!r} is not one the contract knows ({known})")
    else:
        yield Finding(BREAKING, "contract", "schema", path, error.message)


def undeclared(schema: Schema, value: Any, parts: list[Any]) -> Iterator[Finding]:
    """The strict pass: every object field the schema does not declare, at any depth."""
    schema = flatten(schema, value)
    if isinstance(value, dict):
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if properties is not None and key in properties:
                yield from undeclared(properties[key], item, [*parts, key])
            elif isinstance(extra, Mapping):
                yield from undeclared(extra, item, [*parts, key])
            elif properties is not None:
                path = json_path([*parts, key])
                yield Finding(ADDITIVE, "contract", "undeclared-field", path, f"field {key} is not in the contract")
    elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for item in value:
            yield from undeclared(schema["items"], item, [*parts, 0])
