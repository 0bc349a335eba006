"""Contract tests for the part-B surface of the contract (the newer groups: boards, photo avatar, common
tasks, voice, image and video tools). Fixtures of part-B operations (``fixtures/<operationId>/<case>.json``)
are validated against their operation's ``200`` schema with Draft 2020-12 (``jsonschema_rs``); ``$ref``s are resolved
by inlining (the contract has no recursive schemas).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml

from mock_server.media_rules import NAMED_CHECKS

ROOT = Path(__file__).resolve().parent.parent
MAIN_PATH = ROOT / "contracts" / "topview.openapi.yaml"
CATALOGS_PATH = ROOT / "contracts" / "catalogs.yaml"
FIXTURES = ROOT / "fixtures"

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
AUTH_REFS = {"#/components/parameters/TopviewUid", "#/components/parameters/Authorization"}
ERROR_REF = "#/components/schemas/ErrorEnvelope"
FILE_KINDS = {"image", "video", "audio", "media"}
REF_RESOURCES = {
    "board", "voice", "caption", "aiAvatar", "productAvatar", "photoAvatar",
    "anyshootTemplate", "paV1ReplaceKey", "paV2ReplaceImageId",
}
RULE_CHECKS = set(NAMED_CHECKS)
RULE_ACTIONS = {"requireOne", "require", "restrict", "forbid"}
PART_B_TAGS = {
    "User", "Boards", "Avatar Marketing Video", "Photo Avatar", "Product Avatar v3", "Product AnyShoot",
    "Common Task", "Voice", "Image Tools", "Image Translate", "Video Character Swap",
}

# Every scope-B endpoint of the reference index with a known path (user credit detail/logs are part A).
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


# --------------------------------------------------------------------------- loading and merging


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


MERGED = _load(MAIN_PATH)
PART_B_SCHEMAS = (
    "AiMusicOutput",
    "AiMusicTask",
    "AnyshootV3ProductModelTask",
    "BatchDownload",
    "Board",
    "BoardMember",
    "BoardPage",
    "BoardTask",
    "BoardTaskBatchDeleteResult",
    "BoardTaskEstimate",
    "BoardTaskFilter",
    "BoardTaskPage",
    "CharacterSwapTask",
    "ImageGenerateDetail",
    "ImageGenerateTask",
    "ImageTaskOutput",
    "ImageTaskResult",
    "ImageTranslateContent",
    "ImageTranslateTask",
    "InstantVoiceCloneAudio",
    "InstantVoiceCloneTask",
    "M2vTaskDeleteResult",
    "M2vTaskListItem",
    "M2vTaskPage",
    "MaskDrawingInput",
    "PaV3ReplaceImage",
    "PaV3ReplaceTask",
    "PhotoAvatarCategory",
    "PhotoAvatarCategoryPage",
    "PhotoAvatarId",
    "PhotoAvatarTask",
    "PhotoAvatarTemplate",
    "PhotoAvatarTemplatePage",
    "RemoveBackgroundTask",
    "SegmentAnythingTask",
    "Text2VoiceAudio",
    "Text2VoiceTask",
    "UserDiskSpace",
    "UserSpace",
    "Video2AiAvatarTask",
    "VideoCharacterSwapTask",
    "VideoObjectRemoveTask",
    "VideoProcessTask",
    "VideoSelectionBox",
    "VideoTaskOutput",
    "VideoTaskResult",
    "VideoTrackingTask",
    "VoiceCloneTask",
    "VoiceCloneVoice",
)
CATALOGS = _load(CATALOGS_PATH)["catalogs"]


def pointer(doc: dict[str, Any], ref: str) -> Any:
    """Follow a local JSON pointer like '#/components/schemas/SubmitAck'."""
    assert ref.startswith("#/"), f"only local $refs are supported: {ref}"
    node: Any = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def resolve(node: Any, seen: tuple[str, ...] = ()) -> Any:
    """A deep copy of node with every $ref of the merged document inlined."""
    if isinstance(node, dict):
        if "$ref" in node:
            ref = node["$ref"]
            assert ref not in seen, f"recursive $ref {ref}"
            target = resolve(pointer(MERGED, ref), (*seen, ref))
            siblings = {k: resolve(v, seen) for k, v in node.items() if k != "$ref"}
            return {**target, **siblings} if siblings else target
        return {k: resolve(v, seen) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, seen) for v in node]
    return copy.deepcopy(node)


def part_b_operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (method, path, operation) for the part-B operations."""
    out: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for path, item in MERGED["paths"].items():
        for method, op in item.items():
            if method in HTTP_METHODS and op["operationId"] in EXPECTED.values():
                assert op["operationId"] not in out, f"duplicate operationId {op['operationId']}"
                out[op["operationId"]] = (method, path, op)
    return out


OPERATIONS = part_b_operations()
ALL_OPERATION_IDS = {
    op["operationId"]
    for item in MERGED["paths"].values()
    for method, op in item.items()
    if method in HTTP_METHODS
}


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


# --------------------------------------------------------------------------- document structure


def test_every_ref_resolves() -> None:
    resolve(MERGED)


def test_merged_document_is_openapi_31() -> None:
    try:
        from schemathesis.specs.openapi.definitions import OPENAPI_31
    except ImportError:  # pragma: no cover
        pytest.skip("OpenAPI 3.1 meta-schema not available")
    problems = errors(OPENAPI_31, json.loads(json.dumps(MERGED)))
    assert not problems, "\n".join(problems[:20])


def test_operation_ids_unique_across_documents() -> None:
    ids = [
        op["operationId"]
        for item in MERGED["paths"].values()
        for method, op in item.items()
        if method in HTTP_METHODS
    ]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_every_scope_b_endpoint_is_described() -> None:
    found = {(method, path): op["operationId"] for op_id, (method, path, op) in OPERATIONS.items()}
    missing = {k: v for k, v in EXPECTED.items() if found.get(k) != v}
    assert not missing, f"missing or renamed: {missing}"
    extra = set(found) - set(EXPECTED)
    assert not extra, f"not in the expected list: {sorted(extra)}"


@pytest.mark.parametrize("op_id", sorted(OPERATIONS))
def test_operation_structure(op_id: str) -> None:
    method, path, op = OPERATIONS[op_id]
    assert re.fullmatch(r"[a-z][A-Za-z0-9]*", op_id), op_id
    assert len(op.get("tags", [])) == 1, f"{op_id}: exactly one tag"
    assert op["tags"][0] in {t["name"] for t in MERGED["tags"]}, f"{op_id}: tag not listed"

    refs = [p.get("$ref") for p in op.get("parameters", [])]
    assert refs[:2] == sorted(AUTH_REFS, reverse=True), f"{op_id}: TopviewUid and Authorization first"
    names = [(resolve(p)["name"], resolve(p)["in"]) for p in op["parameters"]]
    assert len(names) == len(set(names)), f"{op_id}: duplicate parameters"
    if path.endswith(("/query", "/result")):
        assert {"#/components/parameters/TaskId", "#/components/parameters/NeedCloudFrontUrl"} <= set(refs)

    body = body_schema(op)
    if method in ("get",):
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

    assert set(op["responses"]) == {"200"}
    raw = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert list(raw) == ["anyOf"] and len(raw["anyOf"]) == 2, f"{op_id}: envelope must be anyOf of two"
    success, error = raw["anyOf"]
    assert error == {"$ref": ERROR_REF}
    assert success["type"] == "object" and success["required"] == ["code", "message", "result"]
    assert success["properties"]["code"] == {"const": "200"}
    assert success["properties"]["message"] == {"type": "string"}
    assert "result" in success["properties"]
    example = op["responses"]["200"]["content"]["application/json"].get("example")
    if example is not None:
        problems = errors(response_schema(op), example)
        assert not problems, f"{op_id} response example: {problems}"


@pytest.mark.parametrize("op_id", sorted(OPERATIONS))
def test_submit_acknowledgement_matches_board_support(op_id: str) -> None:
    _method, path, op = OPERATIONS[op_id]
    if not path.endswith("/submit") or path.startswith("/boards/"):
        return
    result = op["responses"]["200"]["content"]["application/json"]["schema"]["anyOf"][0]["properties"]["result"]
    takes_board = "boardId" in (body_schema(op) or {}).get("properties", {})
    expected = "BoardSubmitAck" if takes_board else "SubmitAck"
    assert result == {"$ref": f"#/components/schemas/{expected}"}, op_id


@pytest.mark.parametrize("name", PART_B_SCHEMAS)
def test_task_results_keep_only_id_and_status_required(name: str) -> None:
    schema = MERGED["components"]["schemas"][name]
    props = schema.get("properties", {})
    if not ({"taskId", "status"} <= set(props) and "errorMsg" in props):
        return
    assert schema.get("required") == ["taskId", "status"], name
    for field, sub in props.items():
        if field in ("taskId", "status"):
            continue
        text = json.dumps(sub)
        assert '"null"' in text, f"{name}.{field} must be nullable"


# --------------------------------------------------------------------------- extension vocabulary


def _strings_without_bound(node: Any, where: str) -> Iterator[str]:
    for sub in walk(node):
        if sub.get("type") == "string" and not (
            {"maxLength", "enum", "const", "pattern", "x-topview-file"} & set(sub)
        ):
            yield where


@pytest.mark.parametrize("op_id", sorted(OPERATIONS))
def test_free_strings_are_bounded(op_id: str) -> None:
    _, _, op = OPERATIONS[op_id]
    unbounded = list(_strings_without_bound(body_schema(op), f"{op_id} body"))
    for name, param in query_params(op).items():
        unbounded += list(_strings_without_bound(param["schema"], f"{op_id} query {name}"))
    assert not unbounded, unbounded


@pytest.mark.parametrize("op_id", sorted(OPERATIONS))
def test_extension_vocabulary(op_id: str) -> None:
    _, _, op = OPERATIONS[op_id]
    for node in walk(op):
        assert not {"if", "then", "dependentRequired", "dependentSchemas"} & set(node), (
            f"{op_id}: conditional requirements belong in x-topview-rules"
        )
        if "x-topview-file" in node:
            assert node["x-topview-file"] in FILE_KINDS, node
        if "x-topview-ref" in node:
            ref = node["x-topview-ref"]
            if ref.startswith("task:"):
                parts = ref.split(":")
                assert parts[1] in ALL_OPERATION_IDS and parts[2:] in ([], ["success"]), ref
            else:
                assert ref in REF_RESOURCES, ref
    if "x-topview-catalog" in op:
        assert op["x-topview-catalog"] in CATALOGS, op["x-topview-catalog"]
        model = body_schema(op)["properties"]["model"]
        assert model["type"] == "string" and model["maxLength"] == 64 and "enum" not in model

    fields = set((body_schema(op) or {}).get("properties", {}))
    for rule in op.get("x-topview-rules", []):
        if "check" in rule:
            assert rule["check"] in RULE_CHECKS, rule
            named = rule.get("fields", []) + [f for f in (rule.get("field"), rule.get("by")) if f]
        else:
            actions = set(rule) - {"when", "whenEmpty"}
            assert len(actions) == 1 and actions <= RULE_ACTIONS, rule
            named = [
                *rule.get("requireOne", []), *rule.get("require", []), *rule.get("forbid", []),
                *rule.get("whenEmpty", []), *rule.get("when", {}), *rule.get("restrict", {}),
            ]
        unknown = set(named) - fields
        assert not unknown, f"{op_id}: rule {rule} names unknown fields {sorted(unknown)}"


# --------------------------------------------------------------------------- fixtures

FIXTURE_FILES = sorted(p for p in FIXTURES.glob("*/*.json") if p.parent.name in OPERATIONS)


def test_every_operation_has_a_success_fixture() -> None:
    codes: dict[str, set[str]] = {}
    for path in FIXTURE_FILES:
        fixture = json.loads(path.read_text(encoding="utf-8"))
        codes.setdefault(fixture["operationId"], set()).add(fixture["response"]["code"])
    missing = sorted(op_id for op_id in OPERATIONS if "200" not in codes.get(op_id, set()))
    assert not missing, missing


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_matches_contract(path: Path) -> None:
    fixture = json.loads(path.read_text(encoding="utf-8"))
    op_id = fixture["operationId"]
    assert path.parent.name == op_id, f"{path}: lives under the wrong operation"
    assert set(fixture) <= {"operationId", "request", "response"}
    _method, _, op = OPERATIONS[op_id]
    problems = errors(response_schema(op), fixture["response"])
    assert not problems, "\n".join(problems)

    request = fixture.get("request") or {}
    assert set(request) <= {"query", "body"}
    if fixture["response"]["code"] != "200":
        return
    if "body" in request:
        schema = body_schema(op)
        assert schema is not None, f"{op_id} takes no body"
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
