"""The notice's result string: what Topview's serializer writes, whichever encoder wrote it."""

from __future__ import annotations

import json
from types import MappingProxyType

from mock_server.callbacks.payloads import drop_nulls, encode_result


def test_the_result_string_is_compact_sorted_utf8_without_nulls() -> None:
    result = {"taskId": "t1", "errorMsg": None, "b": [{"z": 1, "a": None}], "a": "café", "n": 2.5}
    assert encode_result(result) == '{"a":"café","b":[{"z":1}],"n":2.5,"taskId":"t1"}'


def test_what_orjson_refuses_is_written_by_the_standard_encoder() -> None:
    huge = 2**70  # beyond 64 bits: orjson refuses it
    assert json.loads(encode_result({"size": huge, "tag": None})) == {"size": huge}


def test_nulls_are_dropped_from_any_mapping_at_any_depth_and_list_items_are_kept() -> None:
    value = {"outer": MappingProxyType({"keep": 0, "gone": None}), "items": (None, {"x": None}), 1: True}
    assert drop_nulls(value) == {"outer": {"keep": 0}, "items": [None, {}], "1": True}
