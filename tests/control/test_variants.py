"""Response variants: derived from the contract's result schemas, applied to the fake's real answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from topview_calls import assert_valid

from mock_server.contract.openapi import Contract
from mock_server.control.variants import (
    DRIFT_KINDS,
    EXTRA_FIELD,
    NON_ASCII,
    Variant,
    VariantError,
    Variants,
    format_path,
    parse_path,
    reshape,
    sites,
)

ANSWER = {
    "code": "200",
    "message": "Success",
    "result": {
        "taskId": "a" * 32,
        "status": "success",
        "errorMsg": None,
        "productName": "Mug",
        "productImages": [{"fileUrl": "https://x/1.png", "width": 640}, {"fileUrl": "https://x/2.png", "width": 320}],
    },
}


def variant(kind: str, path: str, value: float | None = None) -> Variant:
    return Variant("scraperQuery", kind, parse_path(path), value=value)


def test_paths_read_and_write() -> None:
    assert parse_path("result.productImages[].fileUrl") == ("result", "productImages", "[]", "fileUrl")
    assert parse_path("") == ()
    assert format_path(("result", "a", "[]", "[]", "b")) == "result.a[][].b"
    with pytest.raises(VariantError):
        parse_path("result..x")


def test_sites_follow_the_contract(contract: Contract) -> None:
    """Optional fields may be dropped, nullable ones nulled, free text goes non-ASCII, ids and URLs do not."""
    found = {(v.kind, format_path(v.path)) for v in sites("scraperQuery", contract["scraperQuery"].result_schema)}
    assert ("drop", "result.productName") in found
    assert ("drop", "result.status") not in found  # required
    assert ("null", "result.errorMsg") in found
    assert ("null", "result.taskId") not in found  # not nullable
    assert ("empty", "result.productImages") in found and ("long", "result.productImages") in found
    assert ("unicode", "result.productName") in found
    assert not {path for kind, path in found if kind == "unicode" and path.endswith(("Url", "taskId"))}
    assert not {kind for kind, _ in found if kind in DRIFT_KINDS}


def test_drift_sites_add_casing_spelling_and_types(contract: Contract) -> None:
    drift = sites("scraperQuery", contract["scraperQuery"].result_schema, "drift")
    found = {(v.kind, format_path(v.path)) for v in drift}
    assert {("upper", "result.status"), ("spelling", "result.status"), ("unknown", "result.status")} <= found
    assert ("code-number", "code") in found
    assert ("drop", "result.productName") in found  # drift includes the valid tier


def test_numbers_get_their_schema_bounds(contract: Contract) -> None:
    page = sites("voiceQuery", contract["voiceQuery"].result_schema)
    bounds = {(v.kind, format_path(v.path)): v.value for v in page if v.kind in ("min", "max")}
    assert bounds[("min", "result.pageNo")] >= 0
    assert bounds[("max", "result.total")] > 1000


@pytest.mark.parametrize(
    ("kind", "path", "value", "expected"),
    [
        ("drop", "result.productName", None, lambda r: "productName" not in r),
        ("null", "result.productName", None, lambda r: r["productName"] is None),
        ("extra", "result", None, lambda r: EXTRA_FIELD in r),
        ("empty", "result.productImages", None, lambda r: r["productImages"] == []),
        ("long", "result.productImages", 50, lambda r: len(r["productImages"]) == 50),
        ("max", "result.productImages[].width", 99, lambda r: r["productImages"][1]["width"] == 99),
        ("unicode", "result.productName", None, lambda r: r["productName"] == "Mug" + NON_ASCII),
        ("upper", "result.status", None, lambda r: r["status"] == "SUCCESS"),
        ("spelling", "result.status", None, lambda r: r["status"] == "succeeded"),
        ("unknown", "result.status", None, lambda r: r["status"] == "unknown"),
        ("number-string", "result.productImages[].width", None, lambda r: r["productImages"][0]["width"] == "640"),
    ],
)
def test_each_kind_reshapes_a_copy(kind: str, path: str, value: float | None, expected: object) -> None:
    shaped = reshape(ANSWER, variant(kind, path, value))
    assert expected(shaped["result"])  # type: ignore[operator]
    assert ANSWER["result"]["productName"] == "Mug" and len(ANSWER["result"]["productImages"]) == 2  # type: ignore[index]


def test_the_envelope_code_as_a_number_and_missing_paths() -> None:
    assert reshape(ANSWER, variant("code-number", "code"))["code"] == 200
    assert reshape(ANSWER, variant("null", "result.nowhere")) is ANSWER
    assert reshape({"code": "5003", "result": None}, variant("drop", "result.productName"))["result"] is None


def test_times_counts_only_answers_it_changed() -> None:
    active = Variants()
    active.set([Variant("scraperQuery", "upper", ("result", "status"), times=1)])
    running = {"code": "200", "result": {"status": "running"}}
    assert active.apply("scraperSubmit", running) == (running, [])
    assert active.apply("scraperQuery", {"code": "200", "result": None})[1] == []  # nothing to change
    assert active.apply("scraperQuery", running)[0]["result"]["status"] == "RUNNING"
    assert active.apply("scraperQuery", running) == (running, [])  # spent


def test_a_variant_is_checked() -> None:
    with pytest.raises(VariantError, match="kind must be one of"):
        Variant("scraperQuery", "shuffle", ())
    with pytest.raises(VariantError, match="needs a value"):
        Variant("scraperQuery", "long", ())
    assert Variant("scraperQuery", "upper", ("result", "status")).tier == "drift"


SUCCESS_FIXTURES = sorted(
    path
    for path in (Path(__file__).resolve().parents[2] / "fixtures").glob("*/*.json")
    if path.parent.name != "callbacks" and json.loads(path.read_text(encoding="utf-8"))["response"]["code"] == "200"
)


@pytest.mark.parametrize("path", SUCCESS_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_valid_tier_variant_of_a_real_answer_stays_within_the_contract(path: Path, contract: Contract) -> None:
    """Tier ``valid`` promises answers a correct client must accept: each one still matches the contract."""
    fixture = json.loads(path.read_text(encoding="utf-8"))
    operation_id = fixture["operationId"]
    for site in sites(operation_id, contract[operation_id].result_schema):
        assert site.tier == "valid"
        assert_valid(operation_id, reshape(fixture["response"], site))
