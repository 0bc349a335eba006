"""JSON text the fake can hold: what it reads as Python's json does, and what it refuses, naming the field."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_server.contract.json_text import MAX_DEPTH, UnreadableJson, parse, parse_exactly


def test_ordinary_json_reads_as_json_does() -> None:
    """Objects, arrays, numbers within range, escaped pairs (one character) and the longest allowed number."""
    raw = b'{"a": [1, -2.5, 9223372036854775808, "\\ud83d\\ude00", null, true], "b": ' + b"9" * 1000 + b"}"
    assert parse(raw) == {"a": [1, -2.5, 2**63, "\U0001f600", None, True], "b": int("9" * 1000)}


def test_nesting_is_bounded_exactly() -> None:
    """MAX_DEPTH levels read; one more is refused, however the brackets are spread."""
    assert parse(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None
    with pytest.raises(UnreadableJson, match=f"nests deeper than {MAX_DEPTH} levels"):
        parse(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))
    flat = b"[" + b",".join([b"[]"] * 500) + b"]"  # many brackets, little depth
    assert len(parse(flat)) == 500


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b'{"a": {"b": [0, "\\udfff"]}}', "field a.b[1] holds an unpaired UTF-16 surrogate (\\udfff)"),
        (b'"\\ud800"', "holds an unpaired UTF-16 surrogate (\\ud800)"),
        (b'{"a": [Infinity]}', "field a[0] is Infinity, which is not a number JSON allows"),
        (b'{"a": -1e999}', "field a holds the number -1e999, beyond the range of a double"),
        (b'{"a": ' + b"1" * 1001 + b"}", "field a holds a number of more than 1000 digits"),
        (b"\xef\xbb\xbf{}", "is not valid JSON: Unexpected UTF-8 BOM"),
        (b"\xc0\xaf", "is not valid UTF-8 (byte 0xc0 at offset 0)"),
    ],
)
def test_what_cannot_be_held_is_named(raw: bytes, problem: str) -> None:
    """Each refusal says what is wrong, and where."""
    with pytest.raises(UnreadableJson) as refused:
        parse(raw)
    assert str(refused.value).startswith(problem)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
json_pieces = st.sampled_from(
    [b"{", b"}", b"[", b"]", b",", b":", b'"a"', b'"\\ud800"', b'"\\ud83d\\ude00"', b"1e999", b"-0", b"0.5",
     b"NaN", b"Infinity", b"9" * 19, b"1" * 18, b"-", b"e5", b"\xc0", b"\xef\xbb\xbf", b" ", b"\x01", b"null"]
)  # fmt: skip


def _outcome(raw: bytes, reader: Callable[[bytes], Any]) -> Any:
    try:
        return ("value", repr(reader(raw)))  # repr: tells 1 from 1.0 and -0.0 from 0.0
    except UnreadableJson as error:
        return ("refused", str(error))


@settings(max_examples=300, deadline=None)
@given(st.one_of(json_values.map(lambda v: json.dumps(v).encode()), st.lists(json_pieces, max_size=12).map(b"".join)))
def test_the_fast_reading_answers_as_the_exact_one(raw: bytes) -> None:
    """orjson's fast path reads every text to the same value, or refuses it with the same message."""
    assert _outcome(raw, parse) == _outcome(raw, parse_exactly)
