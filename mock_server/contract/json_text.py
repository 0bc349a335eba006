"""JSON text as Topview's Java backend can hold it: strict UTF-8, finite numbers, no lone surrogates, bounded depth.

Python's ``json`` module is more lenient than Jackson behind api.topview.ai in ways that would break the
fake later: it reads ``NaN``/``Infinity``, numbers no double can hold, lone UTF-16 surrogates
(``"\\ud800"``) that can never be written out again as UTF-8, and nesting deep enough to exhaust the
interpreter's stack. Whatever this module accepts can be stored, journalled and sent back as JSON.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Final

import orjson

MAX_DEPTH: Final = 100  # Topview bodies nest a few levels; Jackson's own limit is 1000 (see the README)
MAX_DIGITS: Final = 1000  # Jackson's limit on the length of a number (StreamReadConstraints)
_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89a-fA-F]", re.ASCII)  # may introduce a surrogate
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
# orjson reads integers beyond 64 bits as floats: text with a run of 19 digits or more (which every number
# of more than 1000 digits has too) takes the exact path. 18 digits always fit in a signed 64-bit integer.
_LONG_DIGITS: Final = re.compile(rb"[0-9]{19}")


class UnreadableJson(ValueError):
    """JSON text the fake refuses; the message names the problem (and the field, when there is one)."""


@dataclass(frozen=True, slots=True)
class _Refused:
    """A number the parser met that no Topview field can hold; reported with its field by the walk."""

    problem: str


def parse(raw: bytes) -> Any:
    """The value of JSON text ``raw``, or :class:`UnreadableJson` saying what is wrong with it."""
    # The fast path: orjson refuses what this module refuses (NaN, infinite numbers, lone surrogates,
    # invalid UTF-8, a BOM) and reads the rest to the same value, except long integers and deep nesting,
    # which take the exact path; so does everything orjson refuses, to name the problem.
    if _LONG_DIGITS.search(raw) is None and raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return parse_exactly(raw)


def parse_exactly(raw: bytes) -> Any:
    """What :func:`parse` answers, read by Python's json with every number and string checked."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableJson(f"is not valid UTF-8 (byte 0x{raw[error.start]:02x} at offset {error.start})") from None
    refused: list[_Refused] = []

    def keep(value: Any) -> Any:
        if isinstance(value, _Refused):
            refused.append(value)
        return value

    try:
        value = json.loads(
            text,
            parse_constant=lambda name: keep(_Refused(f"is {name}, which is not a number JSON allows")),
            parse_int=lambda digits: keep(_long(digits)),
            parse_float=lambda digits: keep(_double(digits)),
        )
    except RecursionError:
        raise UnreadableJson(f"nests deeper than {MAX_DEPTH} levels") from None
    except ValueError as error:  # json.JSONDecodeError
        raise UnreadableJson(f"is not valid JSON: {error}") from None
    # Walk the value only when something may be wrong: a refused number, a possible surrogate, or more
    # brackets than the nesting allowed (the bracket count bounds the depth, and counting is cheap).
    surrogates = _SURROGATE_ESCAPE.search(text) is not None
    if refused or surrogates or text.count("[") + text.count("{") > MAX_DEPTH:
        problem = _problem(value, check_text=surrogates)
        if problem is not None:
            raise UnreadableJson(problem)
    return value


def _long(digits: str) -> int | _Refused:
    # Checked before int(): 5,000 digits would be slow to convert, and Python refuses more than 4,300.
    if len(digits.lstrip("-")) > MAX_DIGITS:
        return _Refused(f"holds a number of more than {MAX_DIGITS} digits")
    return int(digits)


def _double(digits: str) -> float | _Refused:
    if len(digits) > MAX_DIGITS:
        return _Refused(f"holds a number of more than {MAX_DIGITS} digits")
    value = float(digits)
    if math.isfinite(value):
        return value
    # Jackson would read Infinity here; the fake cannot store or show it as JSON again.
    return _Refused(f"holds the number {_cut(digits)}, beyond the range of a double")


def _cut(digits: str) -> str:
    return digits if len(digits) <= 24 else digits[:24] + "..."


def _problem(value: Any, *, check_text: bool) -> str | None:
    """Too deep a nesting, a refused number, or a lone surrogate (looked for only when one may be there)."""
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, dict | list) and depth > MAX_DEPTH:
            return f"nests deeper than {MAX_DEPTH} levels"
        if isinstance(item, dict):
            for name, child in item.items():
                if check_text and _SURROGATE.search(name):
                    return f"has a field name with an unpaired UTF-16 surrogate ({_shown(name)})"
                stack.append((child, f"{where}.{name}" if where else name, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{i}]", depth + 1) for i, child in enumerate(item))
        elif isinstance(item, _Refused):
            return f"field {where} {item.problem}" if where else item.problem
        elif check_text and isinstance(item, str) and _SURROGATE.search(item):
            return (
                f"field {where} holds an unpaired UTF-16 surrogate ({_shown(item)})"
                if where
                else (f"holds an unpaired UTF-16 surrogate ({_shown(item)})")
            )
    return None


def _shown(text: str) -> str:
    """The first surrogate of ``text`` as an escape a reader can see (it cannot be printed)."""
    found = _SURROGATE.search(text)
    return f"\\u{ord(found.group()):04x}" if found else ""
