"""Model rules from the catalogue: names and codes, resolutions, aspect ratios, durations, sound,
image2video v2 input modes, image_edit's image limits, text2image resolutions, and catalogue prices.

Refusals answer 4000 in the real style, naming the model code and what it supports, as the one live
error seen does: ``{"code":"4000","message":"seedance-2.5 supports resolutions: 480, 720.","result":null}``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from topview_calls import finished_task, ok, upload_image, valid_op

from mock_server import TopviewMock

PROMPT = "A golden retriever runs along a beach at sunset."


async def refused(client: httpx.AsyncClient, operation_id: str, body: dict[str, Any], code: str = "4000") -> str:
    """Submit a body that must be refused with ``code``; the message."""
    envelope = await valid_op(client, operation_id, body=body)
    assert envelope["code"] == code and envelope["result"] is None, envelope
    return str(envelope["message"])


async def accepted(client: httpx.AsyncClient, operation_id: str, body: dict[str, Any]) -> str:
    """Submit a body that must be accepted; its taskId."""
    ack = ok(await valid_op(client, operation_id, body=body))
    return str(ack["taskId"])


# -- names and codes -----------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("name", ["Seedance 1.5 Pro", "seedance-1.5-pro", "SEEDANCE 1.5 PRO", " Seedance-1.5-Pro "])
async def test_display_name_and_code_are_both_accepted(client: httpx.AsyncClient, mock: TopviewMock, name: str) -> None:
    """ "Seedance 1.5 Pro" and "seedance-1.5-pro" name the same model, at the same price (0.12/s at 720p)."""
    _, result = await finished_task(
        client,
        mock,
        "text2VideoSubmit",
        {"model": name, "prompt": PROMPT, "aspectRatio": "16:9", "resolution": 720, "duration": 5},
    )
    assert float(result["costCredit"]) == pytest.approx(0.6)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("operation_id", "body"),
    [
        ("text2VideoSubmit", {"model": "Seedance 9 Ultra", "prompt": PROMPT}),
        ("omniReferenceSubmit", {"model": "seedance-1.5-pro", "prompt": PROMPT}),  # a text2video model, not omni
        ("text2ImageSubmit", {"model": "Midjourney", "prompt": "A cup.", "aspectRatio": "1:1"}),
        ("imageEditSubmit", {"model": "Imagen 4", "prompt": "A cup.", "inputImageFileIds": [], "aspectRatio": "auto"}),
    ],
)
async def test_unknown_model_answers_4000_naming_model(
    client: httpx.AsyncClient, operation_id: str, body: dict[str, Any]
) -> None:
    """A model the operation's catalogue does not list is a bad value naming the field."""
    if operation_id == "imageEditSubmit":  # Imagen 4 makes images but does not edit them
        body["inputImageFileIds"] = [await upload_image(client)]
    message = await refused(client, operation_id, body)
    assert "model" in message and str(body["model"]) in message


@pytest.mark.anyio
async def test_missing_model_answers_4003(client: httpx.AsyncClient) -> None:
    """model is required: 4003, not a catalogue error."""
    message = await refused(client, "text2VideoSubmit", {"prompt": PROMPT}, code="4003")
    assert "model" in message


# -- resolutions, aspect ratios, durations, sound --------------------------------------------------------


@pytest.mark.anyio
async def test_seedance_25_at_1080_answers_the_real_message(client: httpx.AsyncClient) -> None:
    """The one live refusal seen, copied verbatim: omni_reference Seedance 2.5 at 1080."""
    message = await refused(
        client, "omniReferenceSubmit", {"model": "Seedance 2.5", "prompt": PROMPT, "resolution": 1080}
    )
    assert message == "seedance-2.5 supports resolutions: 480, 720."


@pytest.mark.anyio
async def test_seedance_25_at_720_is_accepted(client: httpx.AsyncClient) -> None:
    """The same model at a resolution it lists is fine (by code as well)."""
    await accepted(client, "omniReferenceSubmit", {"model": "seedance-2.5", "prompt": PROMPT, "resolution": 720})


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"model": "Sora 2 Pro", "resolution": 480}, "sora-2-pro supports resolutions: 720, 1080."),
        ({"model": "Kling 2.5 Turbo Std", "resolution": 720}, "kling-2.5-turbo-std supports resolutions: 1080."),
        ({"model": "Sora 2", "aspectRatio": "1:1"}, "sora-2 supports aspect ratios: 9:16, 16:9."),
        ({"model": "Kling V3", "aspectRatio": "4:3"}, "kling-v3 supports aspect ratios: 9:16, 1:1, 16:9."),
    ],
)
async def test_unsupported_combination_lists_what_the_model_supports(
    client: httpx.AsyncClient, body: dict[str, Any], expected: str
) -> None:
    """A value outside the model's list answers 4000 "<code> supports <things>: <values>."."""
    assert await refused(client, "text2VideoSubmit", {"prompt": PROMPT, **body}) == expected


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("operation_id", "body", "field"),
    [
        ("text2VideoSubmit", {"model": "Kling 2.6", "prompt": PROMPT, "resolution": 720}, "resolution"),
        ("text2VideoSubmit", {"model": "MiniMax-Hailuo-02", "prompt": PROMPT, "aspectRatio": "16:9"}, "aspectRatio"),
        (
            "omniReferenceSubmit",
            {"model": "Kling O3 Video-Edit", "prompt": PROMPT, "aspectRatio": "9:16"},
            "aspectRatio",
        ),
    ],
)
async def test_field_a_model_does_not_take_must_be_omitted(
    client: httpx.AsyncClient, operation_id: str, body: dict[str, Any], field: str
) -> None:
    """Models whose table says "not supported (omit)" refuse the field, naming it."""
    message = await refused(client, operation_id, body)
    assert field in message and "omit" in message


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("model", "duration", "ok_duration"),
    [
        ("Seedance 1.0 Pro", 7, 10),  # 5,10,12
        ("Veo 3.1", 5, 6),  # 4,6,8
        ("Seedance 1.5 Pro", 13, 12),  # 4-12
        ("Vidu Q3 Pro", 17, 1),  # 1-16
    ],
)
async def test_unsupported_duration(client: httpx.AsyncClient, model: str, duration: int, ok_duration: int) -> None:
    """Durations outside the model's set or range answer 4000 naming duration; listed ones pass."""
    body = {"model": model, "prompt": PROMPT}
    message = await refused(client, "text2VideoSubmit", {**body, "duration": duration})
    assert "duration" in message
    await accepted(client, "text2VideoSubmit", {**body, "duration": ok_duration})


@pytest.mark.anyio
async def test_omni_edit_keeps_the_source_length_with_duration_minus_one(client: httpx.AsyncClient) -> None:
    """-1 means "keep the source video's length" in omni_reference (edit/extend), nowhere else."""
    message = await refused(client, "text2VideoSubmit", {"model": "Standard", "prompt": PROMPT, "duration": -1})
    assert "duration" in message
    await accepted(client, "omniReferenceSubmit", {"model": "Standard", "prompt": PROMPT, "duration": -1})


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("operation_id", "model"),
    [
        ("text2VideoSubmit", "Seedance 1.0 Pro"),
        ("text2VideoSubmit", "Sora 2"),
        ("omniReferenceSubmit", "Kling O1 Video-Edit"),
    ],
)
async def test_sound_on_a_model_without_native_audio(client: httpx.AsyncClient, operation_id: str, model: str) -> None:
    """sound=on needs native audio; sound=off is always fine."""
    message = await refused(client, operation_id, {"model": model, "prompt": PROMPT, "sound": "on"})
    assert "sound" in message
    await accepted(client, operation_id, {"model": model, "prompt": PROMPT, "sound": "off"})


@pytest.mark.anyio
async def test_internet_search_only_where_the_model_has_it(client: httpx.AsyncClient) -> None:
    """omni_reference internetSearch: Standard has it, Kling O3 Video-Edit does not."""
    await accepted(client, "omniReferenceSubmit", {"model": "Standard", "prompt": PROMPT, "internetSearch": True})
    message = await refused(
        client, "omniReferenceSubmit", {"model": "Kling O3 Video-Edit", "prompt": PROMPT, "internetSearch": True}
    )
    assert "internetSearch" in message


# -- image2video v2 input modes ------------------------------------------------------------------------


@pytest.mark.anyio
async def test_image2video_v2_single_mode(client: httpx.AsyncClient) -> None:
    """single (Seedance 1.0 Pro Fast): a first frame only; an end frame or reference images are refused."""
    first, end = await upload_image(client), await upload_image(client)
    body = {"model": "Seedance 1.0 Pro Fast", "prompt": PROMPT, "duration": 5}
    await accepted(client, "image2VideoV2Submit", {**body, "firstFrameFileId": first})
    assert "endFrameFileId" in await refused(
        client, "image2VideoV2Submit", {**body, "firstFrameFileId": first, "endFrameFileId": end}
    )
    assert "referenceImageFileIds" in await refused(
        client, "image2VideoV2Submit", {**body, "firstFrameFileId": first, "referenceImageFileIds": [first, end]}
    )


@pytest.mark.anyio
async def test_image2video_v2_first_end_mode(client: httpx.AsyncClient) -> None:
    """first_end (Seedance 1.5 Pro): first frame with an optional end frame; references alone are refused."""
    first, end = await upload_image(client), await upload_image(client)
    body = {"model": "Seedance 1.5 Pro", "prompt": PROMPT, "duration": 5}
    await accepted(client, "image2VideoV2Submit", {**body, "firstFrameFileId": first})
    await accepted(client, "image2VideoV2Submit", {**body, "firstFrameFileId": first, "endFrameFileId": end})
    message = await refused(client, "image2VideoV2Submit", {**body, "referenceImageFileIds": [first, end]})
    assert "firstFrameFileId" in message


@pytest.mark.anyio
async def test_image2video_v2_multi_ref_mode(client: httpx.AsyncClient) -> None:
    """multi_ref (Kling V3 Reference Video): 2+ reference images, no first/end frame."""
    a, b = await upload_image(client), await upload_image(client)
    body = {"model": "Kling V3 Reference Video", "prompt": PROMPT, "duration": 5}
    await accepted(client, "image2VideoV2Submit", {**body, "referenceImageFileIds": [a, b]})
    assert "firstFrameFileId" in await refused(
        client, "image2VideoV2Submit", {**body, "firstFrameFileId": a, "referenceImageFileIds": [a, b]}
    )
    assert "referenceImageFileIds" in await refused(client, "image2VideoV2Submit", {**body, "firstFrameFileId": a})
    assert "referenceImageFileIds" in await refused(
        client, "image2VideoV2Submit", {**body, "referenceImageFileIds": [a]}
    )


@pytest.mark.anyio
async def test_image2video_v2_needs_some_image(client: httpx.AsyncClient) -> None:
    """Neither a first frame nor reference images: 4000 naming both."""
    message = await refused(client, "image2VideoV2Submit", {"model": "Seedance 1.5 Pro", "prompt": PROMPT})
    assert "firstFrameFileId" in message and "referenceImageFileIds" in message


# -- image models ---------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("model", "max_images", "extra"),
    [
        ("Grok Image", 1, {"aspectRatio": "19.5:9", "resolution": "1K"}),
        ("Seedream 4.0", 5, {"aspectRatio": "auto", "resolution": "2K"}),
        ("Nano Banana Pro", 6, {"aspectRatio": "auto", "resolution": "1K"}),
    ],
)
async def test_image_edit_max_images(
    client: httpx.AsyncClient, model: str, max_images: int, extra: dict[str, Any]
) -> None:
    """image_edit takes at most the model's maxImages input images."""
    images = [await upload_image(client) for _ in range(max_images + 1)]
    body = {"model": model, "prompt": "Beach background.", **extra}
    await accepted(client, "imageEditSubmit", {**body, "inputImageFileIds": images[:max_images]})
    message = await refused(client, "imageEditSubmit", {**body, "inputImageFileIds": images})
    assert "inputImageFileIds" in message and str(max_images) in message


@pytest.mark.anyio
@pytest.mark.parametrize("model", ["Nano Banana 2", "Nano Banana Pro", "Seedream 4.5", "GPT Image 2"])
async def test_text2image_resolution_required_when_the_model_lists_some(client: httpx.AsyncClient, model: str) -> None:
    """A model with a resolution list needs one: 4000 naming resolution."""
    body = {"model": model, "prompt": "A cup.", "aspectRatio": "1:1" if "Seedream" not in model else "auto"}
    message = await refused(client, "text2ImageSubmit", body)
    assert "resolution" in message


@pytest.mark.anyio
@pytest.mark.parametrize("model", ["Nano Banana", "GPT Image 1.5", "Kontext-Pro", "Imagen 4"])
async def test_text2image_resolution_refused_when_the_model_has_none(client: httpx.AsyncClient, model: str) -> None:
    """A model without resolutions refuses one, and is fine without."""
    body = {"model": model, "prompt": "A cup.", "aspectRatio": "1:1"}
    message = await refused(client, "text2ImageSubmit", {**body, "resolution": "2K"})
    assert "resolution" in message
    await accepted(client, "text2ImageSubmit", body)


@pytest.mark.anyio
async def test_text2image_resolution_outside_the_list(client: httpx.AsyncClient) -> None:
    """Nano Banana Pro has no 512p."""
    message = await refused(
        client,
        "text2ImageSubmit",
        {"model": "Nano Banana Pro", "prompt": "A cup.", "aspectRatio": "1:1", "resolution": "512p"},
    )
    assert message == "nano-banana-pro supports resolutions: 1K, 2K, 4K."


@pytest.mark.anyio
async def test_text2image_aspect_ratio_outside_the_list(client: httpx.AsyncClient) -> None:
    """GPT Image 1.5 draws only 3:2, 1:1 and 2:3."""
    message = await refused(
        client, "text2ImageSubmit", {"model": "GPT Image 1.5", "prompt": "A cup.", "aspectRatio": "16:9"}
    )
    assert message == "gpt-image-1.5 supports aspect ratios: 3:2, 1:1, 2:3."


# -- prices ---------------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("operation_id", "body", "cost"),
    [
        # video: rate per second for (resolution, sound) × duration × count
        ("text2VideoSubmit", {"model": "Seedance 1.5 Pro", "resolution": 1080, "sound": "on", "duration": 4}, 0.55 * 4),
        (
            "text2VideoSubmit",
            {"model": "Veo 3.1 Fast", "resolution": 2160, "duration": 8, "generatingCount": 2},
            1.7 * 8 * 2,
        ),
        ("text2VideoSubmit", {"model": "Kling 2.6", "sound": "on", "duration": 10}, 0.65 * 10),
        ("omniReferenceSubmit", {"model": "Kling O3 Video-Edit", "resolution": 1080, "duration": 3}, 2.0 * 3),
        # image: price per image at the resolution × count
        (
            "text2ImageSubmit",
            {"model": "Nano Banana Pro", "aspectRatio": "1:1", "resolution": "4K", "generateCount": 3},
            1.4 * 3,
        ),
        ("text2ImageSubmit", {"model": "GPT Image 1.5", "aspectRatio": "1:1"}, 2.0),
    ],
)
async def test_cost_is_the_catalogue_estimate(
    client: httpx.AsyncClient, mock: TopviewMock, operation_id: str, body: dict[str, Any], cost: float
) -> None:
    """costCredit (and the credits spent) equal the catalogue's rate × duration × count."""
    before = ok(await valid_op(client, "userCreditDetail"))["remainCredit"]
    _, result = await finished_task(client, mock, operation_id, {"prompt": PROMPT, **body})
    after = ok(await valid_op(client, "userCreditDetail"))["remainCredit"]
    assert float(result["costCredit"]) == pytest.approx(cost)
    assert before - after == pytest.approx(cost)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("operation_id", "body", "spellings"),
    [
        (
            "storyboardSubmit",
            {"story": "A fox finds a hat.", "resolution": "2K"},
            ["Nano Banana 2", "nano-banana-2", "NANO BANANA 2", " nano banana 2 "],
        ),
        ("aiMusicSubmit", {"styles": "lofi, rainy night"}, ["Topview Music", "topview-music", "topview music"]),
    ],
)
async def test_fixed_model_lists_take_display_names_and_codes_in_any_case(
    client: httpx.AsyncClient, mock: TopviewMock, operation_id: str, body: dict[str, Any], spellings: list[str]
) -> None:
    """Storyboard and AI music document their models as case-insensitive, codes accepted."""
    for spelling in spellings:
        envelope = await valid_op(client, operation_id, body={**body, "model": spelling})
        assert envelope["code"] == "200", (spelling, envelope)
    refused = await valid_op(client, operation_id, body={**body, "model": "midjourney-7"})
    assert refused["code"] == "4000"
    assert refused["message"].startswith("model midjourney-7 is not supported here")


@pytest.mark.anyio
async def test_rules_about_a_model_apply_to_its_code_too(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """512p is only for Nano Banana 2: the code of another model is held to its display name's rule."""
    story = {"story": "A fox finds a hat.", "resolution": "512p"}
    assert ok(await valid_op(client, "storyboardSubmit", body={**story, "model": "nano-banana-2"}))
    refused = await valid_op(client, "storyboardSubmit", body={**story, "model": "gpt-image-2"})
    assert refused["code"] == "4000"
    assert refused["message"].startswith("resolution must be one of 1K, 2K, 4K when model is GPT Image 2")
