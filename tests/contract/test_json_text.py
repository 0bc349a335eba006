"""JSON text the fake can hold: what it reads as Python's json does, and what it refuses, naming the field."""

from __future__ import annotations

import pytest

from mock_server.contract.json_text import MAX_DEPTH, UnreadableJson, parse


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
