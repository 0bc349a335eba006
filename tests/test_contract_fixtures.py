"""Contract tests: the OpenAPI contract is well formed, and every fixture matches it.

Fixtures live in ``fixtures/<operationId>/<case>.json`` as
``{"operationId": ..., "request": {"query": {...}} | {"body": {...}}, "response": <envelope>}``;
``fixtures/callbacks/*.json`` hold outbound callbacks as ``{"request": {headers, body}, "reply": {...}}``.

Schemas are validated with Draft 2020-12 (``jsonschema_rs``, the validator shipped in the project
environment). ``$ref``s are resolved by inlining them (the contract has no recursive schemas).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml

from mock_server.media_rules import NAMED_CHECKS

ROOT = Path(__file__).resolve().parent.parent
CONTRACT_PATH = ROOT / "contracts" / "topview.openapi.yaml"
FIXTURES = ROOT / "fixtures"
FRAGMENTS = ROOT / "contracts" / "fragments"

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
AUTH_REFS = {
    "#/components/parameters/TopviewUid",
    "#/components/parameters/Authorization",
}
ERROR_REF = "#/components/schemas/ErrorEnvelope"

FILE_KINDS = {"image", "video", "audio", "media"}
REF_RESOURCES = {
    "board",
    "voice",
    "caption",
    "aiAvatar",
    "productAvatar",
    "photoAvatar",
    "anyshootTemplate",
    "paV1ReplaceKey",
    "paV2ReplaceImageId",
}
RULE_CHECKS = set(NAMED_CHECKS)

# Operations this contract must serve (part A groups plus user credit).
EXPECTED_OPERATIONS = {
    "m2vScriptList",
    "m2vScriptUpdate",
    "m2vSubmit",
    "m2vQuery",
    "m2vExport",
    "videoAvatarSubmit",
    "videoAvatarQuery",
    "paV1ReplaceSubmit",
    "paV1ReplaceQuery",
    "paV1Image2VideoSubmit",
    "paV1Image2VideoQuery",
    "paV2ReplaceSubmit",
    "paV2ReplaceQuery",
    "paV2Image2VideoSubmit",
    "paV2Image2VideoQuery",
    "paCategoryList",
    "paPublicAvatarQuery",
    "anyshootSubmit",
    "anyshootQuery",
    "anyshootTemplateCategoryList",
    "anyshootTemplateList",
    "commonImage2VideoSubmit",
    "commonImage2VideoQuery",
    "scraperSubmit",
    "scraperQuery",
    "uploadCredential",
    "uploadCheck",
    "noticeUrlCheck",
    "voiceQuery",
    "ethnicityList",
    "aiAvatarQuery",
    "captionList",
    "userCreditDetail",
    "userCreditLogs",
}


# --------------------------------------------------------------------------- loading and $ref resolution


def load_contract() -> dict[str, Any]:
    """The contract, plus any not-yet-merged fragment in ``contracts/fragments/``.

    Fragments are written in the style of the main file and refer to its components by local
    name; until the lead merges one, its paths, tags and components are added here (never
    overriding what the main file already has).
    """
    with CONTRACT_PATH.open(encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    for fragment_path in sorted(FRAGMENTS.glob("*.yaml")):
        with fragment_path.open(encoding="utf-8") as fh:
            fragment = yaml.safe_load(fh) or {}
        known_tags = {t["name"] for t in doc.setdefault("tags", [])}
        doc["tags"] += [t for t in fragment.get("tags", []) if t["name"] not in known_tags]
        for path, item in fragment.get("paths", {}).items():
            target = doc.setdefault("paths", {}).setdefault(path, {})
            for method, op in item.items():
                target.setdefault(method, op)
        for section, entries in fragment.get("components", {}).items():
            target = doc.setdefault("components", {}).setdefault(section, {})
            for name, value in entries.items():
                target.setdefault(name, value)
    return doc


CONTRACT = load_contract()


def pointer(doc: dict[str, Any], ref: str) -> Any:
    """Follow a local JSON pointer like '#/components/schemas/SubmitAck'."""
    assert ref.startswith("#/"), f"only local $refs are supported: {ref}"
    node: Any = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def resolve(node: Any, doc: dict[str, Any] = CONTRACT, seen: tuple[str, ...] = ()) -> Any:
    """Return a deep copy of node with every $ref replaced by its (resolved) target."""
    if isinstance(node, dict):
        if "$ref" in node:
            ref = node["$ref"]
            assert ref not in seen, f"recursive $ref {ref}"
            target = resolve(pointer(doc, ref), doc, (*seen, ref))
            siblings = {k: resolve(v, doc, seen) for k, v in node.items() if k != "$ref"}
            return {**target, **siblings} if siblings else target
        return {k: resolve(v, doc, seen) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, doc, seen) for v in node]
    return copy.deepcopy(node)


def operations(
    doc: dict[str, Any] = CONTRACT,
) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (method, path, operation object)."""
    out: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            if method in HTTP_METHODS:
                out[op["operationId"]] = (method, path, op)
    return out


OPERATIONS = operations()


def response_schema(op: dict[str, Any]) -> dict[str, Any]:
    return resolve(op["responses"]["200"]["content"]["application/json"]["schema"])


def errors(schema: dict[str, Any], instance: Any) -> list[str]:
    validator = jsonschema_rs.Draft202012Validator(schema)
    return [f"{'/'.join(map(str, e.instance_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(instance)]


def omit_nulls_view(schema: Any) -> Any:
    """The schema of a payload whose null-valued fields were dropped (as callback results are):
    a property that may be null is no longer required."""
    if isinstance(schema, list):
        return [omit_nulls_view(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: omit_nulls_view(v) for k, v in schema.items()}
    props = schema.get("properties")
    if isinstance(props, dict) and "required" in schema:
        out["required"] = [name for name in schema["required"] if not _may_be_null(props.get(name, {}))]
    return out


def coerce(schema: Any, value: Any) -> Any:
    """Coerce scalars the way the fake (like the real Java backend) does: a numeric string for a
    number, "true"/"false" for a boolean, a number for a string. Anything else is left alone."""
    if not isinstance(schema, dict):
        return value
    if isinstance(value, dict):
        props = schema.get("properties", {})
        return {k: coerce(props.get(k), v) for k, v in value.items()}
    if isinstance(value, list):
        return [coerce(schema.get("items"), v) for v in value]
    types = schema.get("type")
    types = set(types) if isinstance(types, list) else {types}
    if isinstance(value, str) and types & {"integer", "number"}:
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() and "integer" in types else number
    if isinstance(value, str) and "boolean" in types and value in ("true", "false"):
        return value == "true"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and types == {"string"}:
        return str(value)
    return value


def _may_be_null(schema: dict[str, Any]) -> bool:
    t = schema.get("type")
    if t == "null" or (isinstance(t, list) and "null" in t):
        return True
    return any(_may_be_null(s) for s in schema.get("anyOf", []) + schema.get("oneOf", []))


# --------------------------------------------------------------------------- contract structure


def test_contract_is_openapi_31_document() -> None:
    assert str(CONTRACT["openapi"]).startswith("3.1."), CONTRACT["openapi"]
    assert CONTRACT["info"]["title"] and CONTRACT["info"]["version"]
    assert all(p.startswith("/") for p in CONTRACT["paths"])
    try:
        from schemathesis.specs.openapi.definitions import OPENAPI_31
    except ImportError:  # pragma: no cover - only the structural checks below then
        pytest.skip("OpenAPI 3.1 meta-schema not available")
    problems = errors(OPENAPI_31, json.loads(json.dumps(CONTRACT)))
    assert not problems, "\n".join(problems)


def test_every_ref_resolves() -> None:
    resolve(CONTRACT)


def test_operation_ids_unique_and_complete() -> None:
    ids = [
        op["operationId"]
        for item in CONTRACT["paths"].values()
        for method, op in item.items()
        if method in HTTP_METHODS
    ]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    missing = EXPECTED_OPERATIONS - set(ids)
    assert not missing, sorted(missing)


def test_top_level_tags_unique() -> None:
    names = [t["name"] for t in CONTRACT["tags"]]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("op_id", sorted(OPERATIONS))
def test_operation_structure(op_id: str) -> None:
    method, _path, op = OPERATIONS[op_id]
    tag_names = {t["name"] for t in CONTRACT["tags"]}

    assert isinstance(op.get("operationId"), str) and op["operationId"][0].islower()
    assert len(op.get("tags", [])) == 1, f"{op_id}: exactly one tag"
    assert op["tags"][0] in tag_names, f"{op_id}: tag {op['tags'][0]!r} not in top-level tags"

    refs = {p.get("$ref") for p in op.get("parameters", [])}
    assert refs >= AUTH_REFS, f"{op_id}: missing auth parameters"
    names = [(resolve(p)["name"], resolve(p)["in"]) for p in op.get("parameters", [])]
    assert len(names) == len(set(names)), f"{op_id}: duplicate parameters"

    if method == "get":
        assert "requestBody" not in op, f"{op_id}: GET with a body"
    elif "requestBody" in op:
        body = op["requestBody"]["content"]["application/json"]
        schema = resolve(body["schema"])
        assert schema["type"] == "object" and "additionalProperties" not in schema
        assert "example" in body, f"{op_id}: request body without example"
        problems = errors(schema, body["example"])
        assert not problems, f"{op_id} request example: {problems}"

    assert set(op["responses"]) == {"200"}, f"{op_id}: only HTTP 200 responses"
    raw = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert list(raw) == ["anyOf"] and len(raw["anyOf"]) == 2, f"{op_id}: envelope must be anyOf of two"
    success, error = raw["anyOf"]
    assert error == {"$ref": ERROR_REF}, f"{op_id}: second branch must be ErrorEnvelope"
    assert success["type"] == "object" and success["required"] == [
        "code",
        "message",
        "result",
    ]
    assert success["properties"]["code"] == {"const": "200"}
    assert success["properties"]["message"] == {"type": "string"}
    assert "result" in success["properties"]

    example = op["responses"]["200"]["content"]["application/json"].get("example")
    if example is not None:
        problems = errors(response_schema(op), example)
        assert not problems, f"{op_id} response example: {problems}"


def _walk(node: Any):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def test_extension_vocabulary() -> None:
    op_ids = set(OPERATIONS)
    for node in _walk(CONTRACT):
        if "x-topview-file" in node:
            assert node["x-topview-file"] in FILE_KINDS, node
        if "x-topview-ref" in node:
            ref = node["x-topview-ref"]
            if ref.startswith("task:"):
                parts = ref.split(":")
                assert parts[1] in op_ids and parts[2:] in ([], ["success"]), ref
            else:
                assert ref in REF_RESOURCES, ref
    for op_id, (_, _, op) in OPERATIONS.items():
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
        fields = set(resolve(body).get("properties", {}))
        for rule in op.get("x-topview-rules", []):
            if "check" in rule:
                assert rule["check"] in RULE_CHECKS, (op_id, rule)
                named = rule.get("fields", []) + [f for f in (rule.get("field"), rule.get("by")) if f]
            else:
                keys = set(rule) - {"when", "whenEmpty"}
                assert len(keys) == 1 and keys <= {
                    "requireOne",
                    "require",
                    "restrict",
                    "forbid",
                }, (op_id, rule)
                named = [
                    *rule.get("requireOne", []),
                    *rule.get("require", []),
                    *rule.get("forbid", []),
                    *rule.get("whenEmpty", []),
                    *rule.get("when", {}),
                    *rule.get("restrict", {}),
                ]
            unknown = set(named) - fields
            assert not unknown, f"{op_id}: rule {rule} names unknown fields {sorted(unknown)}"


# --------------------------------------------------------------------------- fixtures

FIXTURE_FILES = sorted(p for p in FIXTURES.glob("*/*.json") if p.parent.name != "callbacks")
CALLBACK_FILES = sorted(FIXTURES.glob("callbacks/*.json"))


def _fixture_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def test_fixtures_exist_for_every_operation() -> None:
    by_op: dict[str, set[str]] = {}
    for path in FIXTURE_FILES:
        fixture = json.loads(path.read_text(encoding="utf-8"))
        by_op.setdefault(fixture["operationId"], set()).add(fixture["response"]["code"])
    for op_id in sorted(EXPECTED_OPERATIONS):
        codes = by_op.get(op_id, set())
        assert "200" in codes, f"{op_id}: no success fixture"
        assert codes - {"200"}, f"{op_id}: no error fixture"


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=_fixture_id)
def test_fixture_matches_contract(path: Path) -> None:
    fixture = json.loads(path.read_text(encoding="utf-8"))
    op_id = fixture["operationId"]
    assert path.parent.name == op_id, f"{path}: lives under the wrong operation"
    assert op_id in OPERATIONS, f"unknown operationId {op_id}"
    method, _, op = OPERATIONS[op_id]

    problems = errors(response_schema(op), fixture["response"])
    assert not problems, "\n".join(problems)

    # Requests of success fixtures must be accepted by the contract's request schemas.
    request = fixture.get("request") or {}
    if fixture["response"]["code"] != "200":
        return
    if "body" in request:
        assert method != "get"
        schema = resolve(op["requestBody"]["content"]["application/json"]["schema"])
        problems = errors(schema, coerce(schema, request["body"]))
        assert not problems, f"request body: {problems}"
    params = {resolve(p)["name"]: resolve(p) for p in op.get("parameters", []) if resolve(p)["in"] == "query"}
    for name, value in request.get("query", {}).items():
        assert name in params, f"unknown query parameter {name}"
        problems = errors(params[name]["schema"], coerce(params[name]["schema"], value))
        assert not problems, f"query {name}: {problems}"
    for name, param in params.items():
        if param.get("required"):
            assert name in request.get("query", {}), f"required query parameter {name} missing"


@pytest.mark.parametrize("path", CALLBACK_FILES, ids=_fixture_id)
def test_callback_fixture(path: Path) -> None:
    fixture = json.loads(path.read_text(encoding="utf-8"))
    headers, body = fixture["request"]["headers"], fixture["request"]["body"]
    assert headers["Content-Type"] == "application/json" and headers["Topview-Uid"]
    assert set(body) == {"uuid", "bizType", "taskId", "status", "errorMsg", "result"}
    assert body["status"] in ("success", "fail")

    # result is a JSON *string* holding the query result, with null-valued fields omitted.
    assert isinstance(body["result"], str)
    result = json.loads(body["result"])
    assert isinstance(result, dict)
    assert result["taskId"] == body["taskId"] and result["status"] == body["status"]
    schema = omit_nulls_view(resolve({"$ref": "#/components/schemas/M2vTask"}))
    problems = errors(schema, result)
    assert not problems, "\n".join(problems)

    reply = fixture["reply"]
    assert reply["code"] == "200" and reply["message"] == "Success"
    assert reply["result"] == {
        "uuid": body["uuid"],
        "topviewUid": headers["Topview-Uid"],
        "result": body["status"],
    }
