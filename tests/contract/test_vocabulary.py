"""Result values read like Topview's: fields with a fixed vocabulary take a word from it, objects a task
did not ask for are absent, and a result spoken in a voice describes that voice."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from test_whole_api import RECIPES, context
from topview_calls import finished_task, materials, ok, valid_op

from mock_server import TopviewMock
from mock_server.contract.vocabulary import ACCENTS, AGES, ETHNICITY_NAMES, GENDERS, LANGUAGES, STYLES, vocabulary

pytestmark = pytest.mark.anyio

VOCABULARIES: dict[str, tuple[str, ...]] = {
    "gender": GENDERS,
    "language": LANGUAGES,
    "bestSupportLanguage": LANGUAGES,
    "age": AGES,
    "accent": ACCENTS,
    "style": STYLES,
    "ethnicityName": ETHNICITY_NAMES,
}
MEDIA_WORDS = {"mediaType": {"video", "image", "audio"}, "fileType": {"video", "image", "audio"}}
FORMATS = {"png", "jpg", "jpeg", "mp4", "mp3", "wav"}
STATUS_WORDS = {"init", "running", "success", "fail", None}


def fields(node: Any, name: str = "") -> Iterator[tuple[str, Any]]:
    """Every (field name, value) of a result, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from fields(value, key)
    elif isinstance(node, list):
        for item in node:
            yield from fields(item, name)


@pytest.mark.parametrize("kind_name", sorted(RECIPES))
async def test_vocabulary_fields_of_every_result_take_their_words(
    client: httpx.AsyncClient, mock: TopviewMock, kind_name: str
) -> None:
    """gender, language, age, accent, ethnicity, media types, formats and statuses: never a random word."""
    kind = next(k for k in mock.table.kinds if k.name == kind_name)
    c = await context(client, mock)
    body = await RECIPES[kind_name].body(c)
    _, result = await finished_task(client, mock, kind.submit, body)
    translated = {
        language
        for task in mock.state.tenants["uid-alice"].tasks.values()
        for language in task.params.get("languages") or []
    }
    for name, value in fields(result):
        if name in VOCABULARIES and value is not None:
            # image translation names its target languages as the request did ("French")
            assert value in VOCABULARIES[name] or value in translated, (kind_name, name, value)
        if name in MEDIA_WORDS and value is not None:
            assert value in MEDIA_WORDS[name], (kind_name, name, value)
        if name == "format" and value is not None:
            assert value in FORMATS, (kind_name, name, value)
        if name in ("status", "taskStatus"):
            assert value in STATUS_WORDS, (kind_name, name, value)


def test_words_come_from_the_vocabulary_and_formats_from_what_holds_them() -> None:
    """The filler's words: a field's vocabulary to draw from; a format the one its object's media has."""
    assert vocabulary("gender", "aiAvatar") == GENDERS and vocabulary("bestSupportLanguage", "") == LANGUAGES
    assert vocabulary("format", "outputAudio") == "mp3" and vocabulary("format", "productVideos") == "mp4"
    assert vocabulary("productName", "") is None


async def test_pa_v2_image2video_avatar_reads_like_a_person(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """The issue's ``aiAvatar.gender: "success"`` is a gender; its default voice is a voice that exists."""
    c = await context(client, mock)
    _, result = await finished_task(client, mock, "paV2Image2VideoSubmit", await RECIPES["pa_v2_image2video"].body(c))
    avatar = result["aiAvatar"]
    assert avatar["gender"] in GENDERS
    assert avatar["voiceoverIdDefault"] in {v["voiceId"] for v in mock.catalogues.items["voices"]}
    assert all(e["ethnicityName"] in ETHNICITY_NAMES for e in avatar["ethnicities"])


async def test_text2voice_describes_the_voice_it_spoke_in(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """The result's voice has the gender, age, accent and language Voice Query lists for it."""
    voice = mock.catalogues.items["voices"][7]
    body = {"voiceId": voice["voiceId"], "voiceText": "Hello and welcome."}
    _, result = await finished_task(client, mock, "text2VoiceSubmit", body)
    spoken = result["voice"]
    assert (spoken["gender"], spoken["age"], spoken["accent"], spoken["language"]) == (
        voice["gender"],
        voice["age"],
        voice["accent"],
        voice["bestSupportLanguage"],
    )


@pytest.mark.parametrize(("save", "kept"), [(None, False), (False, False), (True, True), ("true", True)])
async def test_photo_avatar_answers_an_avatar_only_when_asked_to_save_one(
    client: httpx.AsyncClient, mock: TopviewMock, save: Any, kept: bool
) -> None:
    """``aiAvatar`` is null unless saveCustomAiAvatar was set; the saved one joins the account's templates."""
    m = await materials(client, mock)
    avatar = mock.catalogues.items["photoAvatars"][0]["avatarId"]
    body: dict[str, Any] = {"avatarId": avatar, "mode": "avatar4", "scriptMode": "text", "ttsText": "Hi."}
    body["voiceId"] = m.voice
    if save is not None:
        body["saveCustomAiAvatar"] = save
    _, result = await finished_task(client, mock, "photoAvatarSubmit", body)
    assert (result["aiAvatar"] is not None) is kept, result
    templates = ok(await valid_op(client, "photoAvatarTemplateList", params={"isCustom": "true"}))["data"]
    assert len(templates) == int(kept)


async def test_request_values_are_echoed_where_the_result_names_them(
    client: httpx.AsyncClient, mock: TopviewMock
) -> None:
    """ai_music's styles are the requested styles, not a random sentence."""
    body = {"model": "Topview Music", "styles": "lo-fi piano, rainy night"}
    _, result = await finished_task(client, mock, "aiMusicSubmit", body)
    assert result["styles"] == "lo-fi piano, rainy night"
