"""Response variants: the fake's real answers reshaped the ways a client must survive, derived from the contract.

A variant names an operation, a *kind* of reshaping and a *path* into the answer (``result.productImages[].url``;
``[]`` steps into every item of an array). Kinds come in two tiers:

- ``valid`` — still within the contract: an optional field dropped, a nullable field null, an unknown extra
  field, an empty or a long list, an extreme in-range number, a non-ASCII string;
- ``drift`` — outside the contract but seen in the wild: an enum value in other casing (``SUCCESS``) or
  spelling (``failed``), an unknown enum value, the envelope's ``code`` as a number, numbers as strings.

:func:`sites` reads an operation's result schema and lists every variant that applies to it, so a test kit
can draw from them; :class:`Variants` holds the active ones and reshapes answers after rendering.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

Tier = Literal["valid", "drift"]
VALID_KINDS: Final = ("drop", "null", "extra", "empty", "long", "min", "max", "unicode")
DRIFT_KINDS: Final = ("upper", "spelling", "unknown", "code-number", "number-string")
KINDS: Final = VALID_KINDS + DRIFT_KINDS
EXTRA_FIELD: Final = "unexpectedField"
NON_ASCII: Final = " — Ünïcødé 产品 ✓ 🎬"
UNKNOWN_ENUM: Final = "unknown"
LONG_LIST: Final = 50  # items in a "long" list (fewer when the schema's maxItems says so)
INT_MAX: Final = 2_147_483_647  # a Java int: the largest a Topview number plausibly gets without a maximum
# Spellings of task statuses other APIs (and older Topview clients) use.
SPELLINGS: Final = {"success": "succeeded", "fail": "failed", "running": "processing", "init": "pending"}
# Strings that carry an id, a link, a time or a code: a non-ASCII value there is not a plausible valid answer.
_NOT_TEXT = re.compile(r"(id|ids|url|path|uuid|key|time|date|format|code|status|type|md5|etag)$", re.I)
_MAX_DEPTH = 6


class VariantError(ValueError):
    """A variant that names no known kind, or a malformed path."""


@dataclass(frozen=True, slots=True)
class Variant:
    """One reshaping of an operation's answers: ``kind`` at ``path``, on the first ``times`` answers (or all)."""

    operation: str
    kind: str
    path: tuple[str, ...]  # keys from the envelope root; "[]" = every item of an array
    value: float | int | None = None  # the number for min/max, the length for long
    times: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise VariantError(f"kind must be one of {', '.join(KINDS)}")
        if self.times is not None and self.times < 1:
            raise VariantError("times must be at least 1")
        if self.kind in ("min", "max", "long") and self.value is None:
            raise VariantError(f"a {self.kind} variant needs a value")

    @property
    def tier(self) -> Tier:
        """``valid`` (within the contract) or ``drift`` (outside it)."""
        return "valid" if self.kind in VALID_KINDS else "drift"

    @property
    def name(self) -> str:
        """A short label: ``scraperQuery:null@result.productImages``."""
        return f"{self.operation}:{self.kind}@{format_path(self.path) or '.'}"

    def to_json(self) -> dict[str, Any]:
        """The variant as a scenario document holds it."""
        out: dict[str, Any] = {"operationId": self.operation, "kind": self.kind, "path": format_path(self.path)}
        if self.value is not None:
            out["value"] = self.value
        if self.times is not None:
            out["times"] = self.times
        return out


def parse_path(text: str) -> tuple[str, ...]:
    """``result.items[].url`` → ``("result", "items", "[]", "url")``; ``""`` is the envelope itself."""
    steps: list[str] = []
    for part in text.split(".") if text else ():
        name, brackets = part, 0
        while name.endswith("[]"):
            name, brackets = name[:-2], brackets + 1
        if not name or "[" in name or "]" in name:
            raise VariantError(f"path {text!r} is not of the form result.field[].field")
        steps += [name, *["[]"] * brackets]
    return tuple(steps)


def format_path(path: Sequence[str]) -> str:
    """The inverse of :func:`parse_path`."""
    out = ""
    for step in path:
        out += "[]" if step == "[]" else (f".{step}" if out else step)
    return out


# -- deriving variants from the contract ------------------------------------------------------------------


def sites(operation: str, result_schema: Mapping[str, Any], tier: Tier = "valid") -> list[Variant]:
    """Every variant of ``tier`` (``drift`` includes ``valid``) that applies to answers of this operation."""
    found = [Variant(operation, "extra", ())]  # the envelope takes unknown fields too
    found += _variants(operation, ("result",), result_schema, optional=False, depth=0)
    if tier == "drift":
        found.append(Variant(operation, "code-number", ("code",)))
    else:
        found = [v for v in found if v.tier == "valid"]
    return found


def _variants(
    operation: str, path: tuple[str, ...], schema: Mapping[str, Any], *, optional: bool, depth: int
) -> Iterator[Variant]:
    schema = flatten(schema)
    types = _types(schema)
    name = next((step for step in reversed(path) if step != "[]"), "")
    if optional and path[-1] != "[]":
        yield Variant(operation, "drop", path)
    if "null" in types:
        yield Variant(operation, "null", path)
    if "object" in types and depth < _MAX_DEPTH:
        if schema.get("additionalProperties", True) is not False:
            yield Variant(operation, "extra", path)
        required = set(schema.get("required", ()))
        for key, sub in (schema.get("properties") or {}).items():
            yield from _variants(operation, (*path, key), sub, optional=key not in required, depth=depth + 1)
    if "array" in types:
        if not schema.get("minItems"):
            yield Variant(operation, "empty", path)
        yield Variant(operation, "long", path, value=min(LONG_LIST, int(schema.get("maxItems", LONG_LIST))))
        items = schema.get("items")
        if isinstance(items, Mapping) and depth < _MAX_DEPTH:
            yield from _variants(operation, (*path, "[]"), items, optional=False, depth=depth + 1)
    if types & {"integer", "number"}:
        low, high = _extremes(schema)
        if low is not None and high is not None:
            yield Variant(operation, "min", path, value=low)
            yield Variant(operation, "max", path, value=high)
        yield Variant(operation, "number-string", path)
    if "string" in types:
        if "enum" in schema:
            yield from (Variant(operation, kind, path) for kind in ("upper", "spelling", "unknown"))
        elif not ({"const", "pattern", "format"} & schema.keys() or _NOT_TEXT.search(name)):
            yield Variant(operation, "unicode", path)


def flatten(schema: Mapping[str, Any]) -> dict[str, Any]:
    """One schema for an ``allOf`` (properties and required merged) or an ``anyOf``/``oneOf`` (its first branch)."""
    out = {k: v for k, v in schema.items() if k not in ("allOf", "anyOf", "oneOf")}
    for part in schema.get("allOf", ()):
        part = flatten(part)
        out["properties"] = {**out.get("properties", {}), **part.get("properties", {})}
        out["required"] = [*out.get("required", ()), *part.get("required", ())]
        out.update({k: v for k, v in part.items() if k not in ("properties", "required")})
    branches = [flatten(b) for b in (*schema.get("anyOf", ()), *schema.get("oneOf", ()))]
    if branches:
        nullable = any("null" in _types(b) for b in branches)
        out.update(next((b for b in branches if _types(b) - {"null"}), branches[0]))
        if nullable:
            out["type"] = sorted(_types(out) | {"null"})
    return out


def _types(schema: Mapping[str, Any]) -> set[str]:
    kind = schema.get("type")
    if kind is None:
        if "properties" in schema:
            return {"object"}
        if "enum" in schema or "const" in schema:
            values = schema.get("enum") or [schema.get("const")]
            return {"string"} if all(isinstance(v, str) for v in values) else set()
        return set()
    return {kind} if isinstance(kind, str) else set(kind)


def _extremes(schema: Mapping[str, Any]) -> tuple[float | int | None, float | int | None]:
    """The smallest and largest numbers the schema allows (None when it allows only one, or names them)."""
    if "const" in schema:
        return None, None
    if "enum" in schema:  # e.g. an avatar ``type`` of 0, 1 or 2: in range means one of them
        numbers = [v for v in schema["enum"] if isinstance(v, int | float) and not isinstance(v, bool)]
        return (min(numbers), max(numbers)) if len(numbers) > 1 else (None, None)
    return _bound(schema, "minimum", 0), _bound(schema, "maximum", INT_MAX)


def _bound(schema: Mapping[str, Any], keyword: str, default: int) -> float | int:
    value = schema.get(keyword, default)
    return int(value) if float(value).is_integer() else float(value)


# -- reshaping answers ---------------------------------------------------------------------------------------

_DROP: Final = object()


def reshape(payload: Any, variant: Variant) -> Any:
    """``payload`` with the variant applied (copied along the path; untouched if the path is not there)."""
    return _at(payload, variant.path, variant)


def _at(node: Any, path: tuple[str, ...], variant: Variant) -> Any:
    if not path:
        return _change(node, variant)
    step, rest = path[0], path[1:]
    if step == "[]":
        if not isinstance(node, list):
            return node
        items = [_at(item, rest, variant) for item in node]
        return node if all(a is b for a, b in zip(items, node, strict=True)) else items
    if not isinstance(node, dict) or step not in node:
        return node
    changed = _at(node[step], rest, variant)
    if changed is node[step]:
        return node
    copy = dict(node)
    if changed is _DROP:
        del copy[step]
    else:
        copy[step] = changed
    return copy


def _change(value: Any, variant: Variant) -> Any:
    kind = variant.kind
    if kind == "drop":
        return _DROP
    if kind == "null":
        return None
    if kind == "extra":
        return {**value, EXTRA_FIELD: "added by topview-mock"} if isinstance(value, dict) else value
    if isinstance(value, list):
        if kind == "empty":
            return []
        if kind == "long" and value:
            size = int(variant.value or LONG_LIST)
            return [value[i % len(value)] for i in range(max(size, len(value)))]
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if kind in ("min", "max") and variant.value is not None:
            return variant.value
        return str(value) if kind == "number-string" else value
    if isinstance(value, str):
        return _text(value, kind)
    return value


def _text(value: str, kind: str) -> Any:
    if kind == "unicode":
        return value + NON_ASCII
    if kind == "upper":
        return value.upper()
    if kind == "spelling":
        return SPELLINGS.get(value, value)
    if kind == "unknown":
        return UNKNOWN_ENUM
    if kind == "code-number" and value.isdigit():
        return int(value)
    return value


class Variants:
    """The variants in force on one fake, each counting the answers it has reshaped (``times`` counts those)."""

    def __init__(self) -> None:
        self._active: list[list[Any]] = []  # [variant, answers reshaped]

    def __bool__(self) -> bool:
        return bool(self._active)

    def set(self, variants: Sequence[Variant]) -> None:
        """Replace the variants in force."""
        self._active = [[variant, 0] for variant in variants]

    def active(self) -> list[Variant]:
        """The variants in force, spent ones included."""
        return [variant for variant, _ in self._active]

    def apply(self, operation_id: str, payload: Any) -> tuple[Any, list[str]]:
        """The answer as sent, and the names of the variants that reshaped it."""
        applied: list[str] = []
        for entry in self._active:
            variant, count = entry
            if variant.operation != operation_id or (variant.times is not None and count >= variant.times):
                continue
            shaped = reshape(payload, variant)
            if shaped is not payload:  # only answers it changed count towards ``times``
                entry[1] = count + 1
                payload = shaped
                applied.append(variant.name)
        return payload, applied

    def reset(self) -> None:
        """No variants."""
        self._active = []
