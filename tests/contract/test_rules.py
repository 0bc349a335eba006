"""Validation of the foundation groups: required fields (4003) and cross-field rules (4000).

The generic tests read the rules from the contract (``x-topview-rules`` and ``required``) and break
each one in an otherwise valid request; the concrete tests pin the documented cases.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
from topview_calls import (
    Materials,
    assert_error,
    assert_valid,
    credential,
    finished_prerequisites,
    load_contract,
    materials,
    ok,
    op,
    png,
    submit,
    upload,
    upload_audio,
    upload_image,
    upload_video,
    wav,
)

from mock_server import TopviewMock
from mock_server.contract.catalogues import THAI_VOICE_IDS

# The foundation operations that take a JSON body, each given a valid body by ``valid_bodies``.
BODY_OPERATIONS = (
    "m2vSubmit",
    "m2vScriptUpdate",
    "m2vExport",
    "videoAvatarSubmit",
    "paV1ReplaceSubmit",
    "paV1Image2VideoSubmit",
    "paV2ReplaceSubmit",
    "paV2Image2VideoSubmit",
    "anyshootSubmit",
    "commonImage2VideoSubmit",
    "scraperSubmit",
    "noticeUrlCheck",
)
# The foundation operations with query parameters, each given valid parameters by ``valid_params``.
QUERY_OPERATIONS = (
    "m2vQuery",
    "m2vScriptList",
    "videoAvatarQuery",
    "paV1ReplaceQuery",
    "paV1Image2VideoQuery",
    "paV2ReplaceQuery",
    "paV2Image2VideoQuery",
    "anyshootQuery",
    "commonImage2VideoQuery",
    "scraperQuery",
    "uploadCredential",
    "uploadCheck",
    "ethnicityList",
)
NOTICE_URL = "http://127.0.0.1:8080/notice"


def _rule_cases() -> list[Any]:
    """One case per cross-field rule (per required field of a ``require``) of the foundation operations."""
    cases = []
    for operation_id in BODY_OPERATIONS:
        for index, rule in enumerate(load_contract()[operation_id].rules):
            if "check" in rule:
                continue  # named media checks have concrete tests below
            fields = rule.get("require") or [None]
            for field in fields:
                label = f"{operation_id}-{index}" + (f"-{field}" if field else "")
                cases.append(pytest.param(operation_id, index, field, id=label))
    return cases


def _required_cases() -> list[Any]:
    """(operationId, field) for every required body field of the foundation operations."""
    return [
        pytest.param(operation_id, field, id=f"{operation_id}-{field}")
        for operation_id in BODY_OPERATIONS
        for field in (load_contract()[operation_id].body_schema or {}).get("required", ())
    ]


def _required_query_cases() -> list[Any]:
    """(operationId, parameter) for every required query parameter of the foundation operations."""
    return [
        pytest.param(operation_id, p["name"], id=f"{operation_id}-{p['name']}")
        for operation_id in QUERY_OPERATIONS
        for p in load_contract()[operation_id].query
        if p.get("required")
    ]


async def valid_bodies(client: httpx.AsyncClient, mock: TopviewMock) -> tuple[Materials, dict[str, dict[str, Any]]]:
    """A body per operation that fills every conditional field, so each rule holds until a test breaks it."""
    m = await materials(client, mock)
    pre = await finished_prerequisites(client, mock, m)
    bodies: dict[str, dict[str, Any]] = {
        "m2vSubmit": {
            "productLink": "https://shop.example.com/cup",
            "fileIds": [m.video, m.image],
            "productName": "Thermo cup",
            "productDescription": "Keeps coffee hot for twelve hours.",
            "language": "en",
            "voiceId": m.thai_voice,
            "captionId": m.caption,
            "aiavatarId": m.ai_avatar,
            "endcardFileId": m.image,
            "logoFileId": m.image2,
            "preview": True,
            "isDiyScript": False,
            "diyStyle": "diyScriptPrompt",
            "diyScriptPrompt": "Upbeat and short.",
            "musicFileId": m.audio,
        },
        "m2vScriptUpdate": {
            "taskId": pre["m2v"],
            "scriptId": 0,
            "scriptContents": [{"segId": 0, "segText": "Hello there."}],
        },
        "m2vExport": {"taskId": pre["m2v"], "scriptId": 0},
        "videoAvatarSubmit": {
            "avatarSourceFrom": 1,
            "aiAvatarId": m.ai_avatar,
            "videoFileId": m.video,
            "imageFileId": m.image,
            "modeType": 1,
            "audioSourceFrom": 1,
            "audioFileId": m.audio,
            "ttsText": "Welcome to topview.ai",
            "voiceoverId": m.voice,
            "captionId": m.caption,
        },
        "paV1ReplaceSubmit": {
            "avatarId": m.product_avatar,
            "productImageFileId": m.image,
            "templateImageFileId": m.image2,
            "userFaceImageFileId": m.image2,
            "imageEditPrompt": "Replace the cup.",
            "productSize": "2",
        },
        "paV1Image2VideoSubmit": {
            "productReplaceResultKey": pre["key"],
            "mode": "lite",
            "image2videoPrompt": "She smiles.",
            "ttsText": "Hot all day.",
            "voiceoverId": m.voice,
        },
        "paV2ReplaceSubmit": {
            "productImageWithoutBackgroundFileId": m.image,
            "avatarId": m.product_avatar,
            "templateImageFileId": m.image2,
            "userFaceImageFileId": m.image2,
            "generateImageMode": "manual",
            "location": [[10, 20], [30, 40]],
            "imageEditPrompt": "Hold it up.",
        },
        "paV2Image2VideoSubmit": {
            "replaceProductTaskImageId": pre["image_id"],
            "mode": "avatar2",
            "scriptMode": "text",
            "ttsText": "Hot all day.",
            "voiceId": m.voice,
            "audioFileId": m.audio,
            "captionId": m.caption,
        },
        "anyshootSubmit": {
            "productImageFileId": m.image,
            "productMaskFileId": m.mask,
            "templateId": m.template,
            "templateImageFileId": m.image2,
            "templateMaskFileId": m.mask,
            "mode": "pro",
            "generatingCount": 2,
            "location": [[5, 5]],
        },
        "commonImage2VideoSubmit": {
            "imageFileId": m.image,
            "prompt": "Slow orbit.",
            "negativePrompt": "blur",
            "duration": 5,
            "mode": "pro",
            "generatingCount": 1,
        },
        "scraperSubmit": {"productLink": "https://shop.example.com/cup"},
        "noticeUrlCheck": {"noticeUrl": NOTICE_URL},
    }
    assert set(bodies) == set(BODY_OPERATIONS)
    return m, bodies


async def valid_params(client: httpx.AsyncClient, mock: TopviewMock) -> dict[str, dict[str, Any]]:
    """Valid query parameters per query operation (tasks of the right kind, an uploaded file)."""
    m, bodies = await valid_bodies(client, mock)
    params: dict[str, dict[str, Any]] = {
        "uploadCredential": {"format": "png"},
        "uploadCheck": {"fileId": m.image},
        "ethnicityList": {"scene": "video_avatar"},
        "m2vScriptList": {"taskId": bodies["m2vExport"]["taskId"]},
    }
    for kind in mock.table.kinds:
        if kind.query in QUERY_OPERATIONS and kind.submit in bodies:
            task_id = await submit(client, kind.submit, bodies[kind.submit])
            params[kind.query] = {"taskId": task_id}
    assert set(params) == set(QUERY_OPERATIONS)
    return params


# -- generic: every rule and required field in the contract ------------------------------------------


@pytest.mark.anyio
async def test_valid_bodies_are_accepted(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """The bodies the rule tests start from pass every check (so a failure below is the broken rule)."""
    _, bodies = await valid_bodies(client, mock)
    for operation_id, body in bodies.items():
        envelope = await op(client, operation_id, body=body)
        assert envelope["code"] == "200", (operation_id, envelope)
        assert_valid(operation_id, envelope)


@pytest.mark.anyio
@pytest.mark.parametrize(("operation_id", "index", "field"), _rule_cases())
async def test_each_contract_rule_answers_4000_naming_the_field(
    client: httpx.AsyncClient, mock: TopviewMock, operation_id: str, index: int, field: str | None
) -> None:
    """Breaking one x-topview-rules item (and nothing else) answers 4000 with the field in the message."""
    m, bodies = await valid_bodies(client, mock)
    rule = load_contract()[operation_id].rules[index]
    body = copy.deepcopy(bodies[operation_id])
    named: list[str]
    for name, values in (rule.get("when") or {}).items():
        body[name] = values[0]
    for name in rule.get("whenEmpty", ()):
        body.pop(name, None)
    if "requireOne" in rule:
        for name in rule["requireOne"]:
            body.pop(name, None)
        named = list(rule["requireOne"])
    elif field is not None:
        body.pop(field, None)
        named = [field]
    elif "restrict" in rule:
        ((name, allowed),) = rule["restrict"].items()
        body[name] = disallowed_value(operation_id, name, allowed, m)
        named = [name]
    elif "unique" in rule:
        ((name, key),) = rule["unique"].items()
        body[name] = [*body[name], *body[name]]  # every item twice
        named = [name, key]
    else:
        pytest.fail(f"no way to break rule {rule} yet: extend this test")
    envelope = await op(client, operation_id, body=body)
    assert_error(envelope, "4000", *named)
    assert_valid(operation_id, envelope)


def disallowed_value(operation_id: str, field: str, allowed: list[Any], m: Materials) -> Any:
    """A value of ``field`` that passes its schema and references but not the rule's allowed list."""
    candidates = {("m2vSubmit", "voiceId"): m.voice, ("videoAvatarSubmit", "modeType"): 0}
    value = candidates.get((operation_id, field))
    assert value is not None and value not in allowed, f"add a disallowed value for {operation_id}.{field}"
    return value


@pytest.mark.anyio
@pytest.mark.parametrize(("operation_id", "field"), _required_cases())
async def test_missing_required_body_field_answers_4003(
    client: httpx.AsyncClient, mock: TopviewMock, operation_id: str, field: str
) -> None:
    """Each required body field, absent or empty, answers 4003 naming it."""
    _, bodies = await valid_bodies(client, mock)
    for emptied in (None, ""):
        body = copy.deepcopy(bodies[operation_id])
        if emptied is None:
            del body[field]
        else:
            body[field] = emptied
        envelope = await op(client, operation_id, body=body)
        assert_error(envelope, "4003", field)


@pytest.mark.anyio
@pytest.mark.parametrize(("operation_id", "name"), _required_query_cases())
async def test_missing_required_query_parameter_answers_4003(
    client: httpx.AsyncClient, mock: TopviewMock, operation_id: str, name: str
) -> None:
    """Each required query parameter, absent, answers 4003 naming it (present, the call succeeds)."""
    params = await valid_params(client, mock)
    assert (await op(client, operation_id, params=params[operation_id]))["code"] == "200"
    without = {k: v for k, v in params[operation_id].items() if k != name}
    envelope = await op(client, operation_id, params=without)
    assert_error(envelope, "4003", name)
    assert_valid(operation_id, envelope)


# -- m2v -----------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_m2v_needs_product_link_or_file_ids(client: httpx.AsyncClient) -> None:
    """Neither productLink nor fileIds: 4000 naming both."""
    envelope = await op(client, "m2vSubmit", body={"productName": "Cup", "productDescription": "A cup."})
    assert_error(envelope, "4000", "productLink", "fileIds")
    envelope = await op(client, "m2vSubmit", body={"productLink": "", "fileIds": []})
    assert_error(envelope, "4000", "productLink", "fileIds")


@pytest.mark.anyio
async def test_m2v_product_name_required_when_product_link_is_empty(client: httpx.AsyncClient) -> None:
    """fileIds without productLink need productName; with productLink the name is scraped."""
    video = await upload_video(client)
    envelope = await op(client, "m2vSubmit", body={"fileIds": [video], "productDescription": "A cup."})
    assert_error(envelope, "4000", "productName")
    body = {"fileIds": [video], "productName": "Cup", "productDescription": "A cup."}
    assert (await op(client, "m2vSubmit", body=body))["code"] == "200"
    assert (await op(client, "m2vSubmit", body={"productLink": "https://shop.example.com/cup"}))["code"] == "200"


@pytest.mark.anyio
async def test_m2v_product_description_required_only_without_diy_script(client: httpx.AsyncClient) -> None:
    """Without productLink, productDescription is required unless isDiyScript is true (DOCS)."""
    video = await upload_video(client)
    body: dict[str, Any] = {"fileIds": [video], "productName": "Cup"}
    assert_error(await op(client, "m2vSubmit", body=body), "4000", "productDescription")
    assert_error(await op(client, "m2vSubmit", body={**body, "isDiyScript": "false"}), "4000", "productDescription")
    diy = {**body, "isDiyScript": True, "diyScriptDescription": "My own words."}
    assert (await op(client, "m2vSubmit", body=diy))["code"] == "200"


@pytest.mark.anyio
async def test_m2v_thai_needs_one_of_the_four_thai_voices(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """language th with a voice outside the documented four: 4000 naming voiceId; each of the four works."""
    other = next(v["voiceId"] for v in mock.catalogues.items["voices"] if v["voiceId"] not in THAI_VOICE_IDS)
    body = {"productLink": "https://shop.example.com/cup", "language": "th"}
    envelope = await op(client, "m2vSubmit", body={**body, "voiceId": other})
    assert_error(envelope, "4000", "voiceId")
    assert "th" in envelope["message"]
    for voice in THAI_VOICE_IDS:
        assert (await op(client, "m2vSubmit", body={**body, "voiceId": voice}))["code"] == "200"
    assert (await op(client, "m2vSubmit", body={**body, "language": "en", "voiceId": other}))["code"] == "200"


@pytest.mark.anyio
async def test_m2v_diy_prompt_style_needs_the_prompt(client: httpx.AsyncClient) -> None:
    """diyStyle diyScriptPrompt without diyScriptPrompt: 4000 naming it."""
    body = {"productLink": "https://shop.example.com/cup", "isDiyScript": True, "diyStyle": "diyScriptPrompt"}
    assert_error(await op(client, "m2vSubmit", body=body), "4000", "diyScriptPrompt")


@pytest.mark.anyio
async def test_m2v_with_only_images_needs_more_than_ten(client: httpx.AsyncClient) -> None:
    """Only local images: 10 or fewer answer 4000 naming fileIds; 11 pass; a video among them passes too."""
    images = [await upload_image(client) for _ in range(11)]
    base = {"productName": "Cup", "productDescription": "A cup."}
    for count in (1, 10):
        envelope = await op(client, "m2vSubmit", body={**base, "fileIds": images[:count]})
        assert_error(envelope, "4000", "fileIds")
    assert (await op(client, "m2vSubmit", body={**base, "fileIds": images}))["code"] == "200"
    video = await upload_video(client)
    assert (await op(client, "m2vSubmit", body={**base, "fileIds": [*images[:3], video]}))["code"] == "200"
    # with a productLink the local files are ignored, so the count does not matter
    linked = {"productLink": "https://shop.example.com/cup", "fileIds": images[:2]}
    assert (await op(client, "m2vSubmit", body=linked))["code"] == "200"


@pytest.mark.anyio
async def test_m2v_file_ids_must_be_uploaded_media(client: httpx.AsyncClient) -> None:
    """fileIds hold uploaded images or videos: an audio file is 4000, an unknown id 4004."""
    audio = await upload_audio(client)
    base = {"productName": "Cup", "productDescription": "A cup."}
    assert_error(await op(client, "m2vSubmit", body={**base, "fileIds": [audio]}), "4000", "fileIds[0]")
    assert_error(await op(client, "m2vSubmit", body={**base, "fileIds": ["0" * 32]}), "4004", "fileIds[0]")


# -- video avatar -------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("source", "needs"),
    [(0, "videoFileId"), (1, "aiAvatarId"), (2, "aiAvatarId"), (3, "imageFileId")],
)
async def test_video_avatar_source_requirements(
    client: httpx.AsyncClient, mock: TopviewMock, source: int, needs: str
) -> None:
    """avatarSourceFrom 0 needs videoFileId, 1 and 2 aiAvatarId, 3 imageFileId (with modeType 1)."""
    m = await materials(client, mock)
    inputs = {"videoFileId": m.video, "aiAvatarId": m.ai_avatar, "imageFileId": m.image}
    audio = {"audioSourceFrom": 0, "audioFileId": m.audio}
    body = {"avatarSourceFrom": source, **audio, **{k: v for k, v in inputs.items() if k != needs}}
    if source == 3:
        body["modeType"] = 1
    assert_error(await op(client, "videoAvatarSubmit", body=body), "4000", needs)
    assert (await op(client, "videoAvatarSubmit", body={**body, needs: inputs[needs]}))["code"] == "200"


@pytest.mark.anyio
async def test_video_avatar_photo_input_needs_mode_type_1(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """avatarSourceFrom 3 restricts modeType to 1 (avatar2); its default 0 is refused too."""
    m = await materials(client, mock)
    body = {"avatarSourceFrom": "3", "imageFileId": m.image, "audioSourceFrom": "0", "audioFileId": m.audio}
    assert_error(await op(client, "videoAvatarSubmit", body=body), "4000", "modeType")
    assert_error(await op(client, "videoAvatarSubmit", body={**body, "modeType": 0}), "4000", "modeType")
    assert (await op(client, "videoAvatarSubmit", body={**body, "modeType": "1"}))["code"] == "200"


@pytest.mark.anyio
async def test_video_avatar_audio_source_requirements(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """audioSourceFrom 0 needs audioFileId; 1 needs ttsText, and voiceoverId unless the avatar is public."""
    m = await materials(client, mock)
    public = {"avatarSourceFrom": 1, "aiAvatarId": m.ai_avatar}
    own_video = {"avatarSourceFrom": 0, "videoFileId": m.video}
    assert_error(await op(client, "videoAvatarSubmit", body={**public, "audioSourceFrom": 0}), "4000", "audioFileId")
    assert_error(await op(client, "videoAvatarSubmit", body={**public, "audioSourceFrom": 1}), "4000", "ttsText")
    tts = {"audioSourceFrom": 1, "ttsText": "Hello"}
    assert (await op(client, "videoAvatarSubmit", body={**public, **tts}))["code"] == "200"
    assert_error(await op(client, "videoAvatarSubmit", body={**own_video, **tts}), "4000", "voiceoverId")
    assert (await op(client, "videoAvatarSubmit", body={**own_video, **tts, "voiceoverId": m.voice}))["code"] == "200"


@pytest.mark.anyio
async def test_video_avatar_source_values_and_types(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """avatarSourceFrom outside 0..3 is 4000; a numeric string is coerced; an object is 4001."""
    m = await materials(client, mock)
    body = {"aiAvatarId": m.ai_avatar, "audioSourceFrom": 1, "ttsText": "Hi"}
    assert_error(
        await op(client, "videoAvatarSubmit", body={**body, "avatarSourceFrom": 4}), "4000", "avatarSourceFrom"
    )
    assert (await op(client, "videoAvatarSubmit", body={**body, "avatarSourceFrom": "1"}))["code"] == "200"
    envelope = await op(client, "videoAvatarSubmit", body={**body, "avatarSourceFrom": {"v": 1}})
    assert_error(envelope, "4001", "avatarSourceFrom")


@pytest.mark.anyio
async def test_video_avatar_file_kinds_are_checked(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """videoFileId must be a video: an image there is 4000 naming the field."""
    m = await materials(client, mock)
    body = {"avatarSourceFrom": 0, "videoFileId": m.image, "audioSourceFrom": 0, "audioFileId": m.audio}
    assert_error(await op(client, "videoAvatarSubmit", body=body), "4000", "videoFileId")


# -- product avatar v1 / v2 -----------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("operation_id", "product_field"),
    [("paV1ReplaceSubmit", "productImageFileId"), ("paV2ReplaceSubmit", "productImageWithoutBackgroundFileId")],
)
async def test_product_avatar_replace_needs_avatar_or_template(
    client: httpx.AsyncClient, mock: TopviewMock, operation_id: str, product_field: str
) -> None:
    """Neither avatarId nor templateImageFileId: 4000 naming both; either one is enough."""
    m = await materials(client, mock)
    body = {product_field: m.image, "imageEditPrompt": "Swap the cup."}
    assert_error(await op(client, operation_id, body=body), "4000", "avatarId", "templateImageFileId")
    assert (await op(client, operation_id, body={**body, "avatarId": m.product_avatar}))["code"] == "200"
    assert (await op(client, operation_id, body={**body, "templateImageFileId": m.image2}))["code"] == "200"
    envelope = await op(client, operation_id, body={**body, "avatarId": "f" * 32})
    assert_error(envelope, "4004", "avatarId")


@pytest.mark.anyio
async def test_pa_v2_manual_mode_needs_location(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """generateImageMode manual without location: 4000 naming location; auto needs none."""
    m = await materials(client, mock)
    body = {"productImageWithoutBackgroundFileId": m.image, "avatarId": m.product_avatar}
    envelope = await op(client, "paV2ReplaceSubmit", body={**body, "generateImageMode": "manual"})
    assert_error(envelope, "4000", "location")
    manual = {**body, "generateImageMode": "manual", "location": [[1, 2], [3, 4], [5, 6], [7, 8]]}
    assert (await op(client, "paV2ReplaceSubmit", body=manual))["code"] == "200"
    assert (await op(client, "paV2ReplaceSubmit", body=body))["code"] == "200"


@pytest.mark.anyio
async def test_pa_v2_script_mode_requirements(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """scriptMode text (the default) needs ttsText and voiceId; audio needs audioFileId."""
    m, bodies = await valid_bodies(client, mock)
    image = bodies["paV2Image2VideoSubmit"]["replaceProductTaskImageId"]
    base = {"replaceProductTaskImageId": image}
    assert_error(await op(client, "paV2Image2VideoSubmit", body={**base, "voiceId": m.voice}), "4000", "ttsText")
    assert_error(await op(client, "paV2Image2VideoSubmit", body={**base, "ttsText": "Hi"}), "4000", "voiceId")
    assert_error(await op(client, "paV2Image2VideoSubmit", body={**base, "scriptMode": "audio"}), "4000", "audioFileId")
    audio = {**base, "scriptMode": "audio", "audioFileId": m.audio}
    assert (await op(client, "paV2Image2VideoSubmit", body=audio))["code"] == "200"


@pytest.mark.anyio
async def test_pa_v2_avatar2_audio_longer_than_28_seconds(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """avatar2 (also the default mode) takes audio of at most 28 s; avatar4 up to 120 s."""
    _, bodies = await valid_bodies(client, mock)
    image = bodies["paV2Image2VideoSubmit"]["replaceProductTaskImageId"]
    long_audio = await upload(client, "wav", wav(30.0))
    limit_audio = await upload(client, "wav", wav(28.0))
    base = {"replaceProductTaskImageId": image, "scriptMode": "audio"}
    for mode in ({"mode": "avatar2"}, {}):
        envelope = await op(client, "paV2Image2VideoSubmit", body={**base, **mode, "audioFileId": long_audio})
        assert_error(envelope, "4000", "audioFileId")
        assert "28" in envelope["message"]
    assert (await op(client, "paV2Image2VideoSubmit", body={**base, "audioFileId": limit_audio}))["code"] == "200"
    avatar4 = {**base, "mode": "avatar4", "audioFileId": long_audio}
    assert (await op(client, "paV2Image2VideoSubmit", body=avatar4))["code"] == "200"
    too_long = await upload(client, "wav", wav(121.0))
    envelope = await op(client, "paV2Image2VideoSubmit", body={**avatar4, "audioFileId": too_long})
    assert_error(envelope, "4000", "audioFileId")


@pytest.mark.anyio
async def test_pa_v1_image2video_mode_and_key(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """mode is lite or pro (4000 otherwise); an unknown productReplaceResultKey is 4004."""
    _, bodies = await valid_bodies(client, mock)
    body = bodies["paV1Image2VideoSubmit"]
    assert_error(await op(client, "paV1Image2VideoSubmit", body={**body, "mode": "best"}), "4000", "mode")
    envelope = await op(client, "paV1Image2VideoSubmit", body={**body, "productReplaceResultKey": "a" * 29})
    assert_error(envelope, "4004", "productReplaceResultKey")


# -- AnyShoot -------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_anyshoot_needs_template_id_or_template_image(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Neither templateId nor templateImageFileId: 4000 naming both; either is enough."""
    m = await materials(client, mock)
    body = {"productImageFileId": m.image, "templateMaskFileId": m.mask, "mode": "pro"}
    assert_error(await op(client, "anyshootSubmit", body=body), "4000", "templateId", "templateImageFileId")
    assert (await op(client, "anyshootSubmit", body={**body, "templateId": m.template}))["code"] == "200"
    assert (await op(client, "anyshootSubmit", body={**body, "templateImageFileId": m.image2}))["code"] == "200"
    envelope = await op(client, "anyshootSubmit", body={**body, "templateId": "e" * 32})
    assert_error(envelope, "4004", "templateId")


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("mask_field", "image_field"),
    [("templateMaskFileId", "templateImageFileId"), ("productMaskFileId", "productImageFileId")],
)
async def test_anyshoot_mask_must_match_its_image_size(
    client: httpx.AsyncClient, mock: TopviewMock, mask_field: str, image_field: str
) -> None:
    """A mask whose pixel size differs from its image: 4000 naming the mask field and both sizes."""
    m = await materials(client, mock)
    image = await upload(client, "png", png(64, 48))
    wrong_mask = await upload(client, "png", png(32, 32))
    right_mask = await upload(client, "png", png(64, 48))
    body = {"productImageFileId": m.image, "templateImageFileId": m.image2, "templateMaskFileId": m.mask, "mode": "pro"}
    envelope = await op(client, "anyshootSubmit", body={**body, image_field: image, mask_field: wrong_mask})
    assert_error(envelope, "4000", mask_field, "32x32", "64x48")
    assert (await op(client, "anyshootSubmit", body={**body, image_field: image, mask_field: right_mask}))[
        "code"
    ] == "200"


@pytest.mark.anyio
async def test_anyshoot_generating_count_range(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """generatingCount is 1..4."""
    m = await materials(client, mock)
    body = {"productImageFileId": m.image, "templateId": m.template, "templateMaskFileId": m.mask, "mode": "pro"}
    for count in (0, 5):
        envelope = await op(client, "anyshootSubmit", body={**body, "generatingCount": count})
        assert_error(envelope, "4000", "generatingCount")


# -- common image2video v1, scraper -------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("duration", 7, "4000"),
        ("mode", "ultra", "4000"),
        ("generatingCount", 5, "4000"),
        ("generatingCount", 0, "4000"),
        ("duration", "five", "4001"),
        ("prompt", ["x"], "4001"),
    ],
)
async def test_common_image2video_values(
    client: httpx.AsyncClient, mock: TopviewMock, field: str, value: Any, code: str
) -> None:
    """duration 5 or 10, mode lite/pro/plus/best, generatingCount 1..4; wrong types are 4001."""
    image = await upload_image(client)
    body = {"imageFileId": image, "duration": 5, "mode": "lite", "generatingCount": 1}
    assert (await op(client, "commonImage2VideoSubmit", body=body))["code"] == "200"
    assert_error(await op(client, "commonImage2VideoSubmit", body={**body, field: value}), code, field)


@pytest.mark.anyio
async def test_common_image2video_needs_an_image(client: httpx.AsyncClient) -> None:
    """imageFileId must be an uploaded image (audio is 4000, unknown 4004)."""
    audio = await upload_audio(client)
    body = {"duration": 5, "mode": "lite", "generatingCount": 1}
    assert_error(
        await op(client, "commonImage2VideoSubmit", body={**body, "imageFileId": audio}), "4000", "imageFileId"
    )
    envelope = await op(client, "commonImage2VideoSubmit", body={**body, "imageFileId": "1" * 32})
    assert_error(envelope, "4004", "imageFileId")


@pytest.mark.anyio
async def test_scraper_needs_a_product_link(client: httpx.AsyncClient) -> None:
    """productLink is required (4003 absent or empty); a 2049-character link is 4000."""
    assert_error(await op(client, "scraperSubmit", body={}), "4003", "productLink")
    assert_error(await op(client, "scraperSubmit", body={"productLink": ""}), "4003", "productLink")
    envelope = await op(client, "scraperSubmit", body={"productLink": "https://x.example/" + "a" * 2040})
    assert_error(envelope, "4000", "productLink")


# -- upload, notice -------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_upload_credential_format(client: httpx.AsyncClient) -> None:
    """format is required (4003) and one of the documented extensions (4000 naming format); avi is accepted."""
    assert_error(await op(client, "uploadCredential", params={}), "4003", "format")
    assert_error(await op(client, "uploadCredential", params={"format": "gif"}), "4000", "format")
    issued = await credential(client, "avi")
    assert issued["format"] == "avi"
    assert issued["fileName"] == f"{issued['fileId']}.avi"


@pytest.mark.anyio
async def test_upload_check_unknown_file_is_4004(client: httpx.AsyncClient) -> None:
    """A fileId never issued answers 4004 naming fileId."""
    assert_error(await op(client, "uploadCheck", params={"fileId": "2" * 32}), "4004", "fileId")


@pytest.mark.anyio
@pytest.mark.parametrize("url", ["ftp://127.0.0.1/notice", "not a url", "http://user:pw@127.0.0.1/n", "http:///path"])
async def test_notice_url_check_refuses_invalid_urls(client: httpx.AsyncClient, url: str) -> None:
    """An invalid noticeUrl answers 4000 naming noticeUrl; a valid one answers true."""
    assert_error(await op(client, "noticeUrlCheck", body={"noticeUrl": url}), "4000", "noticeUrl")
    assert ok(await op(client, "noticeUrlCheck", body={"noticeUrl": NOTICE_URL})) is True


@pytest.mark.anyio
async def test_submit_with_invalid_notice_url_is_refused(client: httpx.AsyncClient) -> None:
    """Submits check noticeUrl as the check endpoint does."""
    body = {"productLink": "https://shop.example.com/cup", "noticeUrl": "ftp://127.0.0.1/notice"}
    assert_error(await op(client, "scraperSubmit", body=body), "4000", "noticeUrl")


# -- lookups --------------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("operation_id", "params", "code", "field"),
    [
        ("ethnicityList", {}, "4003", "scene"),
        ("ethnicityList", {"scene": "m2v"}, "4000", "scene"),
        ("voiceQuery", {"pageSize": 0}, "4000", "pageSize"),
        ("voiceQuery", {"pageSize": 101}, "4000", "pageSize"),
        ("voiceQuery", {"pageNo": 0}, "4000", "pageNo"),
        ("voiceQuery", {"pageNo": "one"}, "4001", "pageNo"),
        ("voiceQuery", {"gender": "other"}, "4000", "gender"),
        ("aiAvatarQuery", {"gender": "x"}, "4000", "gender"),
        ("aiAvatarQuery", {"isCustom": "maybe"}, "4001", "isCustom"),
        ("paPublicAvatarQuery", {"sortingType": "Oldest"}, "4000", "sortingType"),
        ("anyshootTemplateList", {"style": "Retro"}, "4000", "style"),
    ],
)
async def test_lookup_parameters(
    client: httpx.AsyncClient, operation_id: str, params: dict[str, Any], code: str, field: str
) -> None:
    """Lookup parameters outside their enum or range answer 4000 (4001 for a wrong type), naming them."""
    envelope = await op(client, operation_id, params=params)
    assert_error(envelope, code, field)
    assert_valid(operation_id, envelope)
