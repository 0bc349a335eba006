"""Request validators compiled from the contract's JSON Schemas.

A schema compiles once into a tree of small functions that coerce and check a value in one pass and
raise :class:`TopviewError` with the code the reference README decides (missing → 4003, wrong type →
4001, out of enum or range → 4000) and a message naming the field. Like stripe-mock, a schema keyword
the compiler does not understand is refused when the app starts, instead of being silently ignored.

As lenient as Topview's Java backend, whose real clients rely on it: an optional field sent empty
(``null``, ``""``, ``[]``; in a query string ``?pageNo=``) is absent, so its default applies, and a
boolean reads ``"true"``/``"false"`` in any case and ``"1"``/``"0"``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from ..engine.errors import TopviewError, bad_type, bad_value, empty_list, missing

Check = Callable[[Any, str], Any]

# Keywords that only document (or that other modules read): accepted and not enforced here.
_ANNOTATIONS = frozenset(
    {"description", "title", "example", "examples", "default", "format", "deprecated", "readOnly", "writeOnly"}
)
_ENFORCED = frozenset(
    {
        "type",
        "properties",
        "required",
        "items",
        "enum",
        "const",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
        "uniqueItems",
        "additionalProperties",
        "allOf",
        "anyOf",
        "multipleOf",
    }
)
_JSON_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "object": "an object",
    "array": "an array",
    "null": "null",
}


class ContractError(Exception):
    """The contract uses something the fake does not implement: refused at start-up."""


def is_empty(value: object) -> bool:
    """Absent, null, "" and [] count as empty, as Topview's Java validators treat them."""
    return value is None or value == "" or value == []


def compile_schema(schema: Mapping[str, Any], where: str = "schema") -> Check:
    """Compile a resolved JSON Schema (no ``$ref`` left) into a coercing validator."""
    unknown = {k for k in schema if not k.startswith("x-")} - _ANNOTATIONS - _ENFORCED
    if unknown:
        raise ContractError(f"{where}: unsupported schema keywords {sorted(unknown)}")
    if "allOf" in schema:
        return compile_schema(_merge_all_of(schema), where)
    if "anyOf" in schema:
        return _any_of([compile_schema(s, f"{where}.anyOf") for s in schema["anyOf"]])
    types = schema.get("type")
    type_list: list[str] = [types] if isinstance(types, str) else list(types or [])
    checks: list[Check] = []
    if "object" in type_list or "properties" in schema:
        checks.append(_object(schema, where))
    if "array" in type_list or "items" in schema:
        checks.append(_array(schema, where))
    scalar = [t for t in type_list if t not in ("object", "array", "null")]
    if scalar:
        checks.append(_scalar(scalar, schema))
    nullable = "null" in type_list
    shape = _type_gate(type_list) if type_list else None
    enum = schema.get("enum")
    const = schema.get("const", _NOTHING)

    def check(value: Any, field: str) -> Any:
        if value is None:
            if nullable or not type_list:
                return None
            raise bad_type(field, " or ".join(_JSON_NAMES[t] for t in type_list))
        if shape is not None:
            shape(value, field)
        for step in checks:
            value = step(value, field)
        if enum is not None and value not in enum:
            raise bad_value(field, "must be one of: " + ", ".join(str(v) for v in enum))
        if const is not _NOTHING and value != const:
            raise bad_value(field, f"must be {const}")
        return value

    return check


_NOTHING = object()


def _merge_all_of(schema: Mapping[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema["allOf"]:
        part = _merge_all_of(part) if "allOf" in part else part
        for key, value in part.items():
            if key == "properties":
                merged.setdefault("properties", {}).update(value)
            elif key == "required":
                merged["required"] = sorted(set(merged.get("required", [])) | set(value))
            else:
                merged.setdefault(key, value)
    return merged


def _any_of(alternatives: list[Check]) -> Check:
    def check(value: Any, field: str) -> Any:
        first: TopviewError | None = None
        for alternative in alternatives:
            try:
                return alternative(value, field)
            except TopviewError as error:
                first = first or error
        assert first is not None
        raise first

    return check


def _type_gate(type_list: list[str]) -> Callable[[Any, str], None]:
    """Refuse containers where scalars belong and scalars where containers belong (4001)."""
    wants_object = "object" in type_list
    wants_array = "array" in type_list
    wants_scalar = any(t not in ("object", "array", "null") for t in type_list)
    expected = " or ".join(_JSON_NAMES[t] for t in type_list if t != "null")

    def gate(value: Any, field: str) -> None:
        if isinstance(value, dict):
            ok = wants_object
        elif isinstance(value, list):
            ok = wants_array
        else:
            ok = wants_scalar
        if not ok:
            raise bad_type(field, expected)

    return gate


def _scalar(types: list[str], schema: Mapping[str, Any]) -> Check:
    converters = [_CONVERTERS[t] for t in types]
    constraints = _scalar_constraints(schema)

    def check(value: Any, field: str) -> Any:
        if isinstance(value, (dict, list)):
            return value  # a container allowed by another type of the union
        for convert in converters:
            converted = convert(value)
            if converted is not _NOTHING:
                break
        else:
            raise bad_type(field, " or ".join(_JSON_NAMES[t] for t in types))
        for constraint in constraints:
            constraint(converted, field)
        return converted

    return check


# Coercion as the real (Java) backend does it: a numeric string for a number, "true"/"false" for a
# boolean, a number for a string. Anything else of the wrong type is a 4001.
def _to_string(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return _NOTHING
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return _NOTHING


def _to_integer(value: Any) -> Any:
    if isinstance(value, bool):
        return _NOTHING
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d{1,18}\s*", value):
        return int(value)
    return _NOTHING


def _to_number(value: Any) -> Any:
    if isinstance(value, bool):
        return _NOTHING
    if isinstance(value, int):
        return value  # always finite (math.isfinite would overflow converting 10**400 to a float)
    if isinstance(value, float):
        return value if math.isfinite(value) else _NOTHING
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*", value):
        number = float(value)
        if math.isfinite(number):
            return int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number
    return _NOTHING


_BOOLEAN_WORDS = {"true": True, "false": False, "1": True, "0": False}


def _to_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):  # Jackson reads any case; clients send TRUE, True and 1/0 too
        return _BOOLEAN_WORDS.get(value.strip().lower(), _NOTHING)
    return _NOTHING


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "string": _to_string,
    "integer": _to_integer,
    "number": _to_number,
    "boolean": _to_boolean,
}


def _scalar_constraints(schema: Mapping[str, Any]) -> list[Callable[[Any, str], None]]:
    out: list[Callable[[Any, str], None]] = []
    if "minimum" in schema:
        low = schema["minimum"]
        out.append(_numeric(lambda v: v >= low, f"must be at least {low}"))
    if "maximum" in schema:
        high = schema["maximum"]
        out.append(_numeric(lambda v: v <= high, f"must be at most {high}"))
    if "exclusiveMinimum" in schema:
        xlow = schema["exclusiveMinimum"]
        out.append(_numeric(lambda v: v > xlow, f"must be greater than {xlow}"))
    if "exclusiveMaximum" in schema:
        xhigh = schema["exclusiveMaximum"]
        out.append(_numeric(lambda v: v < xhigh, f"must be less than {xhigh}"))
    if "multipleOf" in schema:
        step = schema["multipleOf"]
        out.append(_numeric(lambda v: (v / step).is_integer(), f"must be a multiple of {step}"))
    if "minLength" in schema:
        shortest = schema["minLength"]
        out.append(_text(lambda v: len(v) >= shortest, f"must be at least {shortest} characters"))
    if "maxLength" in schema:
        longest = schema["maxLength"]
        out.append(_text(lambda v: len(v) <= longest, f"must be at most {longest} characters"))
    if "pattern" in schema:
        pattern = re.compile(schema["pattern"])
        out.append(_text(lambda v: pattern.search(v) is not None, f"must match {schema['pattern']}"))
    return out


def _numeric(ok: Callable[[Any], bool], detail: str) -> Callable[[Any, str], None]:
    def constraint(value: Any, field: str) -> None:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not ok(value):
            raise bad_value(field, detail)

    return constraint


def _text(ok: Callable[[str], bool], detail: str) -> Callable[[Any, str], None]:
    def constraint(value: Any, field: str) -> None:
        if isinstance(value, str) and not ok(value):
            raise bad_value(field, detail)

    return constraint


def _object(schema: Mapping[str, Any], where: str) -> Check:
    properties = {
        name: compile_schema(sub, f"{where}.{name}") for name, sub in (schema.get("properties") or {}).items()
    }
    defaults = {name: sub["default"] for name, sub in (schema.get("properties") or {}).items() if "default" in sub}
    required = tuple(schema.get("required", ()))
    optional = frozenset(properties) - frozenset(required)
    extra = schema.get("additionalProperties", True)
    extra_check = compile_schema(extra, f"{where}.*") if isinstance(extra, Mapping) else None

    def check(value: Any, field: str) -> Any:
        if not isinstance(value, dict):
            return value
        prefix = f"{field}." if field else ""
        for name in required:
            if is_empty(value.get(name)):
                raise empty_list(prefix + name) if value.get(name) == [] else missing(prefix + name)
        out: dict[str, Any] = {}
        for name, item in value.items():
            validator = properties.get(name)
            if validator is not None:
                if name in optional and is_empty(item):
                    continue  # an optional field sent empty is absent, as the Java backend reads it
                out[name] = validator(item, prefix + name)
            elif extra is False:
                raise bad_value(prefix + name, "is not a known parameter")
            elif extra_check is not None:
                out[name] = extra_check(item, prefix + name)
            else:
                out[name] = item  # unknown fields are ignored by the real backend; kept, never read
        for name, default in defaults.items():
            if out.get(name) is None:
                out[name] = default
        return out

    return check


def _array(schema: Mapping[str, Any], where: str) -> Check:
    item_check = compile_schema(schema["items"], f"{where}[]") if "items" in schema else None
    fewest = schema.get("minItems")
    most = schema.get("maxItems")
    unique = schema.get("uniqueItems", False)

    def check(value: Any, field: str) -> Any:
        if not isinstance(value, list):
            return value
        if fewest is not None and len(value) < fewest:
            raise bad_value(field, f"must have at least {fewest} items")
        if most is not None and len(value) > most:
            raise bad_value(field, f"must have at most {most} items")
        items = [item_check(v, f"{field}[{i}]") for i, v in enumerate(value)] if item_check else value
        if unique and len({repr(v) for v in items}) != len(items):
            raise bad_value(field, "must not repeat items")
        return items

    return check
