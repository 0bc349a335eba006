"""Contract tests: the OpenAPI contract is well formed, and every fixture matches it.

Fixtures live in ``fixtures/<operationId>/<case>.json`` as
``{"operationId": ..., "request": {"query": {...}} | {"body": {...}}, "response": <envelope>}``;
``fixtures/callbacks/*.json`` hold outbound callbacks as ``{"request": {headers, body}, "reply": {...}}``.

Response ``links`` (what stateful tests follow) must name existing operations, parameters and body fields,
fed from fields the source's result has; every task submit links to its query.

Schemas are validated with Draft 2020-12 (``jsonschema_rs``, an independent validator); ``$ref``s are
inlined by the fake's own ``Contract.resolve`` (the contract has no recursive schemas).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from mock_server import MockConfig, TopviewMock
from mock_server.contract.groups import BOARD_DOWNLOAD, M2V_EXPORT, Table, TaskKind
from mock_server.contract.media_rules import NAMED_CHECKS
from mock_server.contract.models import ModelCatalogue
from mock_server.contract.openapi import Contract

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "contracts"
FIXTURES = ROOT / "fixtures"

CONTRACT = Contract.load(CONTRACTS / "topview.openapi.yaml")
DOC: dict[str, Any] = dict(CONTRACT.document)
CATALOGS = ModelCatalogue(CONTRACTS / "catalogs.yaml").tables
TABLE = Table(ModelCatalogue(CONTRACTS / "catalogs.yaml"))
resolve = CONTRACT.resolve

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
AUTH_REFS = ["#/components/parameters/TopviewUid", "#/components/parameters/Authorization"]
TASK_QUERY_REFS = {"#/components/parameters/TaskId", "#/components/parameters/NeedCloudFrontUrl"}
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
RULE_ACTIONS = {"requireOne", "require", "restrict", "forbid", "unique"}

# Part A: the first groups plus user credit, checked by operationId.
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

# Part B: every scope-B endpoint of the reference index with a known path.
EXPECTED: dict[tuple[str, str], str] = {
    ("get", "/user/space"): "userSpace",
    ("get", "/boards/list"): "boardList",
    ("post", "/boards/create"): "boardCreate",
    ("get", "/boards/detail"): "boardDetail",
    ("put", "/boards/update"): "boardUpdate",
    ("delete", "/boards/delete"): "boardDelete",
    ("get", "/boards/tasks/list"): "boardTaskList",
    ("get", "/boards/tasks/detail"): "boardTaskDetail",
    ("post", "/boards/tasks/batch-delete"): "boardTaskBatchDelete",
    ("post", "/boards/tasks/batch-download/submit"): "boardBatchDownloadSubmit",
    ("get", "/boards/tasks/batch-download"): "boardBatchDownloadStatus",
    ("get", "/v1/m2v/task/list"): "m2vTaskList",
    ("delete", "/v1/m2v/task/delete"): "m2vTaskDelete",
    ("post", "/v1/photo_avatar/task/submit"): "photoAvatarSubmit",
    ("get", "/v1/photo_avatar/task/query"): "photoAvatarQuery",
    ("get", "/v1/photo_avatar/template/list"): "photoAvatarTemplateList",
    ("get", "/v1/photo_avatar/template/category"): "photoAvatarCategoryList",
    ("post", "/v1/photo_avatar/template/create"): "photoAvatarCreate",
    ("delete", "/v1/photo_avatar/template/delete"): "photoAvatarDelete",
    ("post", "/v3/product_avatar/task/image_replace/submit"): "paV3ReplaceSubmit",
    ("get", "/v3/product_avatar/task/image_replace/query"): "paV3ReplaceQuery",
    ("post", "/v3/product_anyShoot/product_model/task/submit"): "anyshootV3ProductModelSubmit",
    ("get", "/v3/product_anyShoot/product_model/task/result"): "anyshootV3ProductModelQuery",
    ("post", "/v2/common_task/image2video/task/submit"): "image2VideoV2Submit",
    ("get", "/v2/common_task/image2video/task/query"): "image2VideoV2Query",
    ("post", "/v1/common_task/text2video/task/submit"): "text2VideoSubmit",
    ("get", "/v1/common_task/text2video/task/query"): "text2VideoQuery",
    ("post", "/v1/common_task/omni_reference/task/submit"): "omniReferenceSubmit",
    ("get", "/v1/common_task/omni_reference/task/query"): "omniReferenceQuery",
    ("post", "/v1/common_task/text2image/task/submit"): "text2ImageSubmit",
    ("get", "/v1/common_task/text2image/task/query"): "text2ImageQuery",
    ("post", "/v1/common_task/image_edit/task/submit"): "imageEditSubmit",
    ("get", "/v1/common_task/image_edit/task/query"): "imageEditQuery",
    ("post", "/v1/common_task/storyboard/task/submit"): "storyboardSubmit",
    ("get", "/v1/common_task/storyboard/task/query"): "storyboardQuery",
    ("post", "/v1/common_task/ai_music/task/submit"): "aiMusicSubmit",
    ("get", "/v1/common_task/ai_music/task/query"): "aiMusicQuery",
    ("post", "/v1/common_task/video2aiAvatar/submit"): "video2AiAvatarSubmit",
    ("get", "/v1/common_task/video2aiAvatar/query"): "video2AiAvatarQuery",
    ("post", "/v1/common_task/remove_background/submit"): "removeBackgroundSubmit",
    ("get", "/v1/common_task/remove_background/query"): "removeBackgroundQuery",
    ("post", "/v1/common-task/video-object-remove/submit"): "videoObjectRemoveSubmit",
    ("get", "/v1/common-task/video-object-remove/query"): "videoObjectRemoveQuery",
    ("post", "/v1/voice/clone/task/submit"): "voiceCloneSubmit",
    ("get", "/v1/voice/clone/task/query"): "voiceCloneQuery",
    ("delete", "/v1/voice/clone/delete"): "voiceCloneDelete",
    ("post", "/v1/voice/text2voice/task/submit"): "text2VoiceSubmit",
    ("get", "/v1/voice/text2voice/task/query"): "text2VoiceQuery",
    ("post", "/v1/instant_voice_clone/task/submit"): "instantVoiceCloneSubmit",
    ("get", "/v1/instant_voice_clone/task/query"): "instantVoiceCloneQuery",
    ("post", "/v1/character_swap/task/submit"): "characterSwapSubmit",
    ("get", "/v1/character_swap/task/query"): "characterSwapQuery",
    ("post", "/v1/segment_anything/task/submit"): "segmentAnythingSubmit",
    ("get", "/v1/segment_anything/task/query"): "segmentAnythingQuery",
    ("post", "/v1/image_translate/single/task/submit"): "imageTranslateSubmit",
    ("get", "/v1/image_translate/single/task/query"): "imageTranslateQuery",
    ("post", "/v1/image_generate/single/task/submit"): "imageGenerateSingleSubmit",
    ("post", "/v1/image_translate/batch/task/submit"): "imageTranslateBatchSubmit",
    ("get", "/v1/image_generate/task/query"): "imageGenerateQuery",
    ("post", "/v1/video_process/task/submit"): "videoProcessSubmit",
    ("get", "/v1/video_process/task/query"): "videoProcessQuery",
    ("post", "/v1/video_tracking/task/submit"): "videoTrackingSubmit",
    ("get", "/v1/video_tracking/task/query"): "videoTrackingQuery",
    ("post", "/v1/video_character_swap/task/submit"): "videoCharacterSwapSubmit",
    ("get", "/v1/video_character_swap/task/query"): "videoCharacterSwapQuery",
}

# Part-A task results follow the older reference pages, which also require these fields;
# every other task result requires only taskId and status.
TASK_REQUIRED = {
    name: ["taskId", "status", "errorMsg"]
    for name in (
        "SubmitAck",
        "M2vTask",
        "M2vScriptUpdateAck",
        "M2vExportAck",
        "PaV1Image2VideoTask",
        "PaV2ReplaceTask",
        "PaV2Image2VideoTask",
        "AnyshootTask",
        "ScraperTask",
    )
} | {"VideoAvatarTask": ["taskId", "status", "errorMsg", "inputVideoFileId", "inputAudioFileId", "outputVideoUrl"]}
# m2v answers a submit with its own acknowledgement (it carries no board).
SUBMIT_ACKS = {"m2vSubmit": "M2vSubmitAck"}
# The part-A m2v resource ids came without a length limit in the reference.
UNBOUNDED_STRINGS = {"m2vSubmit body.voiceId", "m2vSubmit body.captionId", "m2vSubmit body.aiavatarId"}


def operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (method, path, operation object as written)."""
    return {
        op["operationId"]: (method, path, op)
        for path, item in DOC["paths"].items()
        for method, op in item.items()
        if method in HTTP_METHODS
    }


OPERATIONS = operations()


def errors(schema: dict[str, Any], instance: Any) -> list[str]:
    """Draft 2020-12 validation errors, one line each."""
    validator = jsonschema_rs.Draft202012Validator(schema)
    return [f"{'/'.join(map(str, e.instance_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(instance)]


def response_schema(op: dict[str, Any]) -> dict[str, Any]:
    """The resolved 200 envelope schema of an operation."""
    return resolve(op["responses"]["200"]["content"]["application/json"]["schema"])


def body_schema(op: dict[str, Any]) -> dict[str, Any] | None:
    """The resolved request body schema, if the operation takes a body."""
    if "requestBody" not in op:
        return None
    return resolve(op["requestBody"]["content"]["application/json"]["schema"])


def query_params(op: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Resolved query parameters by name."""
    params = [resolve(p) for p in op.get("parameters", [])]
    return {p["name"]: p for p in params if p["in"] == "query"}


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every mapping inside node."""
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)


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


def _may_be_null(schema: dict[str, Any]) -> bool:
    t = schema.get("type")
    if t == "null" or (isinstance(t, list) and "null" in t):
        return True
    return any(_may_be_null(s) for s in schema.get("anyOf", []) + schema.get("oneOf", []))


# --------------------------------------------------------------------------- the document


def test_contract_is_openapi_31_document() -> None:
    assert str(DOC["openapi"]).startswith("3.1."), DOC["openapi"]
    assert DOC["info"]["title"] and DOC["info"]["version"]
    assert all(p.startswith("/") for p in DOC["paths"])
    try:
        from schemathesis.specs.openapi.definitions import OPENAPI_31
    except ImportError:  # pragma: no cover - only the structural checks below then
        pytest.skip("OpenAPI 3.1 meta-schema not available")
    problems = errors(OPENAPI_31, json.loads(json.dumps(DOC)))
    assert not problems, "\n".join(problems[:20])


def test_every_ref_resolves() -> None:
    resolve(DOC)


def test_operation_ids_unique_and_complete() -> None:
    ids = [op["operationId"] for item in DOC["paths"].values() for m, op in item.items() if m in HTTP_METHODS]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    assert set(ids) == set(CONTRACT.operations), "the fake must serve every described operation"
    missing = EXPECTED_OPERATIONS - set(ids)
    assert not missing, sorted(missing)
    unlisted = set(ids) - EXPECTED_OPERATIONS - set(EXPECTED.values())
    assert not unlisted, f"in neither expected list: {sorted(unlisted)}"


def test_every_scope_b_endpoint_is_described() -> None:
    found = {(method, path): op_id for op_id, (method, path, _) in OPERATIONS.items() if op_id in EXPECTED.values()}
    missing = {k: v for k, v in EXPECTED.items() if found.get(k) != v}
    assert not missing, f"missing or renamed: {missing}"
    extra = set(found) - set(EXPECTED)
    assert not extra, f"not in the expected list: {sorted(extra)}"


def test_top_level_tags_unique() -> None:
    names = [t["name"] for t in DOC["tags"]]
    assert len(names) == len(set(names))


def test_extension_vocabulary_values() -> None:
    for node in walk(DOC):
        assert not {"if", "then", "dependentRequired", "dependentSchemas"} & set(node), (
            f"conditional requirements belong in x-topview-rules: {node}"
        )
        if "x-topview-file" in node:
            assert node["x-topview-file"] in FILE_KINDS, node
        if "x-topview-ref" in node:
            ref = node["x-topview-ref"]
            if ref.startswith("task:"):
                parts = ref.split(":")
                assert parts[1] in OPERATIONS and parts[2:] in ([], ["success"]), ref
            else:
                assert ref in REF_RESOURCES, ref


@pytest.mark.parametrize("name", sorted(DOC["components"]["schemas"]))
def test_task_results_keep_only_id_and_status_required(name: str) -> None:
    schema = DOC["components"]["schemas"][name]
    props = schema.get("properties", {})
    if not ({"taskId", "status"} <= set(props) and "errorMsg" in props):
        return
    assert schema.get("required") == TASK_REQUIRED.get(name, ["taskId", "status"]), name
    for field, sub in props.items():
        if field in ("taskId", "status"):
            continue
        assert '"null"' in json.dumps(sub), f"{name}.{field} must be nullable"


# --------------------------------------------------------------------------- every operation


@pytest.mark.parametrize("op_id", sorted(OPERATIONS))
def test_operation_structure(op_id: str) -> None:
    method, path, op = OPERATIONS[op_id]
    assert re.fullmatch(r"[a-z][A-Za-z0-9]*", op_id), op_id
    assert len(op.get("tags", [])) == 1, f"{op_id}: exactly one tag"
    assert op["tags"][0] in {t["name"] for t in DOC["tags"]}, f"{op_id}: tag {op['tags'][0]!r} not listed"

    refs = [p.get("$ref") for p in op.get("parameters", [])]
    assert refs[:2] == AUTH_REFS, f"{op_id}: TopviewUid and Authorization first"
    names = [(resolve(p)["name"], resolve(p)["in"]) for p in op["parameters"]]
    assert len(names) == len(set(names)), f"{op_id}: duplicate parameters"
    if path.endswith(("/query", "/result")) and "task" in path:
        assert set(refs) >= TASK_QUERY_REFS, f"{op_id}: a task query takes taskId and needCloudFrontUrl"

    body = body_schema(op)
    if method == "get":
        assert body is None, f"{op_id}: GET with a body"
    elif method == "post":
        assert body is not None, f"{op_id}: POST without a body"
    if body is not None:
        content = op["requestBody"]["content"]["application/json"]
        assert body["type"] == "object" and "additionalProperties" not in body
        assert set(body.get("required", [])) <= set(body["properties"]), op_id
        assert "example" in content, f"{op_id}: request body without example"
        problems = errors(body, content["example"])
        assert not problems, f"{op_id} request example: {problems}"

    assert set(op["responses"]) == {"200"}, f"{op_id}: only HTTP 200 responses"
    raw = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert list(raw) == ["anyOf"] and len(raw["anyOf"]) == 2, f"{op_id}: envelope must be anyOf of two"
    success, error = raw["anyOf"]
    assert error == {"$ref": ERROR_REF}, f"{op_id}: second branch must be ErrorEnvelope"
    assert success["type"] == "object" and success["required"] == ["code", "message", "result"]
    assert success["properties"]["code"] == {"const": "200"}
    assert success["properties"]["message"] == {"type": "string"}
    assert "result" in success["properties"]
    example = op["responses"]["200"]["content"]["application/json"].get("example")
    if example is not None:
        problems = errors(response_schema(op), example)
        assert not problems, f"{op_id} response example: {problems}"


def links_of(op_id: str) -> dict[str, dict[str, Any]]:
    """The links of an operation's 200 response, by name."""
    links: dict[str, dict[str, Any]] = OPERATIONS[op_id][2]["responses"]["200"].get("links", {})
    return links


def property_at(schema: dict[str, Any], pointer: str) -> dict[str, Any] | None:
    """The schema of the value at a JSON pointer into instances of ``schema`` (through allOf), or None."""
    for name in pointer.split("/")[1:]:
        parts = [schema, *schema.get("allOf", [])]
        found = [part["properties"][name] for part in parts if name in part.get("properties", {})]
        if not found:
            return None
        schema = found[0]
    return schema


@pytest.mark.parametrize("kind", [*TABLE.kinds, M2V_EXPORT, BOARD_DOWNLOAD], ids=lambda kind: kind.submit)
def test_task_submit_links_to_its_query(kind: TaskKind) -> None:
    """Stateful testing follows these links to query the task a submit created, by its real id."""
    field = "downloadTaskId" if kind is BOARD_DOWNLOAD else "taskId"
    expected = {"operationId": kind.query, "parameters": {field: f"$response.body#/result/{field}"}}
    assert expected in links_of(kind.submit).values(), f"{kind.submit} does not link to {kind.query}"


@pytest.mark.parametrize("op_id", sorted(op_id for op_id in OPERATIONS if links_of(op_id)))
def test_links_name_existing_operations_and_fields(op_id: str) -> None:
    """Every link targets an operation by id, fills only parameters or body fields it has, from fields the
    source's success result has (OpenAPI link objects; schemathesis merges ``requestBody`` into the body)."""
    success = response_schema(OPERATIONS[op_id][2])["anyOf"][0]
    for name, link in links_of(op_id).items():
        assert set(link) <= {"operationId", "parameters", "requestBody", "description"}, (name, link)
        assert link.get("parameters") or link.get("requestBody"), f"{op_id} link {name} carries nothing"
        target = link["operationId"]
        assert target in OPERATIONS, f"{op_id} link {name}: unknown operation {target}"
        fields = body_schema(OPERATIONS[target][2]) or {}
        unknown = set(link.get("parameters", {})) - set(query_params(OPERATIONS[target][2]))
        unknown |= set(link.get("requestBody", {})) - set(fields.get("properties", {}))
        assert not unknown, f"{op_id} link {name}: {target} has no {sorted(unknown)}"
        for expression in [*link.get("parameters", {}).values(), *link.get("requestBody", {}).values()]:
            source, _, pointer = str(expression).partition("#")
            assert source == "$response.body", expression
            value = property_at(success, pointer)
            assert value is not None and "string" in json.dumps(value.get("type")), f"{op_id}: {expression}"


@pytest.mark.parametrize("op_id", sorted(OPERATIONS))
def test_submit_acknowledgement_matches_board_support(op_id: str) -> None:
    _method, path, op = OPERATIONS[op_id]
    if not path.endswith("/submit") or path.startswith("/boards/"):
        return
    result = op["responses"]["200"]["content"]["application/json"]["schema"]["anyOf"][0]["properties"]["result"]
    takes_board = "boardId" in (body_schema(op) or {}).get("properties", {})
    expected = SUBMIT_ACKS.get(op_id, "BoardSubmitAck" if takes_board else "SubmitAck")
    assert result == {"$ref": f"#/components/schemas/{expected}"}, op_id


def _strings_without_bound(node: Any, where: str) -> Iterator[str]:
    """Where ``node`` holds a string schema with no length, enum, const, pattern or file bound."""
    if isinstance(node, list):
        for item in node:
            yield from _strings_without_bound(item, where)
    elif isinstance(node, dict):
        if node.get("type") == "string" and not {"maxLength", "enum", "const", "pattern", "x-topview-file"} & set(node):
            yield where
        for key, sub in node.items():
            if key == "properties" and isinstance(sub, dict):
                for name, value in sub.items():
                    yield from _strings_without_bound(value, f"{where}.{name}")
            else:
                yield from _strings_without_bound(sub, where)


@pytest.mark.parametrize("op_id", sorted(OPERATIONS))
def test_free_strings_are_bounded(op_id: str) -> None:
    _, _, op = OPERATIONS[op_id]
    unbounded = list(_strings_without_bound(body_schema(op), f"{op_id} body"))
    for name, param in query_params(op).items():
        unbounded += list(_strings_without_bound(param["schema"], f"{op_id} query {name}"))
    unbounded = [where for where in unbounded if where not in UNBOUNDED_STRINGS]
    assert not unbounded, unbounded


@pytest.mark.parametrize("op_id", sorted(OPERATIONS))
def test_rules_and_catalogue(op_id: str) -> None:
    _, _, op = OPERATIONS[op_id]
    body = body_schema(op) or {}
    if "x-topview-catalog" in op:
        assert op["x-topview-catalog"] in CATALOGS, op["x-topview-catalog"]
        model = body["properties"]["model"]
        assert model["type"] == "string" and model["maxLength"] == 64 and "enum" not in model

    fields = set(body.get("properties", {}))
    for rule in op.get("x-topview-rules", []):
        if "check" in rule:
            assert rule["check"] in RULE_CHECKS, (op_id, rule)
            named = rule.get("fields", []) + [f for f in (rule.get("field"), rule.get("by")) if f]
        else:
            actions = set(rule) - {"when", "whenEmpty"}
            assert len(actions) == 1 and actions <= RULE_ACTIONS, (op_id, rule)
            named = [
                *rule.get("requireOne", []),
                *rule.get("require", []),
                *rule.get("forbid", []),
                *rule.get("whenEmpty", []),
                *rule.get("when", {}),
                *rule.get("restrict", {}),
                *rule.get("unique", {}),
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
    missing = sorted(op_id for op_id in OPERATIONS if "200" not in by_op.get(op_id, set()))
    assert not missing, f"no success fixture: {missing}"
    no_error = sorted(op_id for op_id in EXPECTED_OPERATIONS if not by_op.get(op_id, set()) - {"200"})
    assert not no_error, f"no error fixture: {no_error}"


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=_fixture_id)
def test_fixture_matches_contract(path: Path) -> None:
    fixture = json.loads(path.read_text(encoding="utf-8"))
    op_id = fixture["operationId"]
    assert path.parent.name == op_id, f"{path}: lives under the wrong operation"
    assert set(fixture) <= {"operationId", "request", "response"}
    assert op_id in OPERATIONS, f"unknown operationId {op_id}"
    method, _, op = OPERATIONS[op_id]
    problems = errors(response_schema(op), fixture["response"])
    assert not problems, "\n".join(problems)

    # Requests of success fixtures must be accepted by the contract's request schemas, as written.
    request = fixture.get("request") or {}
    assert set(request) <= {"query", "body"}
    if fixture["response"]["code"] != "200":
        return
    if "body" in request:
        schema = body_schema(op)
        assert method != "get" and schema is not None, f"{op_id} takes no body"
        problems = errors(schema, request["body"])
        assert not problems, f"request body: {problems}"
    params = query_params(op)
    for name, value in request.get("query", {}).items():
        assert name in params, f"unknown query parameter {name}"
        problems = errors(params[name]["schema"], value)
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
    schema = omit_nulls_view(CONTRACT.schemas["M2vTask"])
    problems = errors(schema, result)
    assert not problems, "\n".join(problems)

    reply = fixture["reply"]
    assert reply["code"] == "200" and reply["message"] == "Success"
    assert reply["result"] == {
        "uuid": body["uuid"],
        "topviewUid": headers["Topview-Uid"],
        "result": body["status"],
    }


def test_fakes_share_the_compiled_contract_but_never_state() -> None:
    """Compiled once per process and read-only, the contract (and what derives from it) is shared; state is not."""
    first, second = TopviewMock(), TopviewMock(MockConfig(seed=1))
    assert first.contract is second.contract is Contract.load()
    assert first.table is second.table and first.models is second.models
    assert first.catalogues is not second.catalogues  # seeded: one per seed
    assert first.catalogues is TopviewMock().catalogues
    assert first.state is not second.state and first.clock is not second.clock


# --------------------------------------------------------------------------- lenient forms, declared


def optional_body_fields(schema: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, schema) of every optional property of a body schema, at any depth."""
    required = set(schema.get("required", ()))
    for name, sub in (schema.get("properties") or {}).items():
        if name not in required:
            yield f"{path}{name}", sub
        for alternative in [sub, *sub.get("anyOf", ())]:
            yield from optional_body_fields(alternative, f"{path}{name}.")
            if isinstance(alternative.get("items"), dict):
                yield from optional_body_fields(alternative["items"], f"{path}{name}[].")


def accepts(schema: dict[str, Any], value: Any) -> bool:
    """Whether ``value`` is valid under ``schema`` (Draft 2020-12)."""
    return not errors(schema, value)


@pytest.mark.parametrize("op_id", sorted(OPERATIONS))
def test_the_contract_declares_the_lenient_forms_the_fake_accepts(op_id: str) -> None:
    """Optional body fields take null, optional query parameters an empty value, booleans TRUE/1/0 too."""
    _, _, op = OPERATIONS[op_id]
    body = body_schema(op) or {}
    not_nullable = [path for path, sub in optional_body_fields(body) if not accepts(sub, None)]
    assert not not_nullable, f"{op_id}: optional fields that do not admit null: {not_nullable}"
    for name, param in query_params(op).items():
        if not param.get("required"):
            assert param.get("allowEmptyValue") is True, (op_id, name)
    for node in walk([body, *(p["schema"] for p in query_params(op).values())]):
        if node.get("type") == "boolean" or "boolean" in (node.get("type") or []):
            continue  # an alternative of LooseBoolean (checked below through its parent)
        if any(alt.get("type") == "boolean" for alt in node.get("anyOf", ())):
            assert all(accepts(node, v) for v in (True, "TRUE", "True", "false", "1", "0")), (op_id, node)
            assert not accepts(node, "yes"), (op_id, node)


def test_the_authorization_pattern_reads_the_scheme_in_any_case() -> None:
    """``bearer <key>`` matches the declared header pattern, as the fake accepts it."""
    pattern = re.compile(resolve({"$ref": "#/components/parameters/Authorization"})["schema"]["pattern"])
    assert all(pattern.search(f"{scheme} sk-1") for scheme in ("Bearer", "bearer", "BEARER"))
    assert not pattern.search("Basic sk-1") and not pattern.search("Bearer")
