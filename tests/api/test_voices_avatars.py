"""An account's own voices and avatars: cloned voices, custom photo avatars and avatars made from a video.

Each is usable by its account wherever the catalogue's items are, listed with isCustom=true, and
invisible to every other account (4004 when another uid names it).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from topview_calls import (
    OTHER_UID,
    UID,
    finished_task,
    materials,
    ok,
    upload_audio,
    upload_image,
    upload_video,
    valid_op,
)

from mock_server import TopviewMock


async def clone_voice(client: httpx.AsyncClient, mock: TopviewMock, name: str, uid: str = UID) -> str:
    """A finished voice clone of the account; the new voiceId."""
    audio = await upload_audio(client, 3.0, uid=uid)
    _, result = await finished_task(
        client, mock, "voiceCloneSubmit", {"originVoiceFileId": audio, "name": name}, uid=uid
    )
    return str(result["voice"]["voiceId"])


async def custom_voices(client: httpx.AsyncClient, uid: str = UID) -> list[dict[str, Any]]:
    """Voice Query isCustom=true."""
    page = ok(await valid_op(client, "voiceQuery", uid=uid, params={"isCustom": "true", "pageSize": 100}))
    return list(page["data"])


async def custom_photo_avatars(client: httpx.AsyncClient, uid: str = UID) -> list[dict[str, Any]]:
    """Photo avatar template list isCustom=true."""
    page = ok(await valid_op(client, "photoAvatarTemplateList", uid=uid, params={"isCustom": "true"}))
    return list(page["data"])


async def custom_ai_avatars(client: httpx.AsyncClient, uid: str = UID) -> list[dict[str, Any]]:
    """AiAvatar Query isCustom=true."""
    page = ok(await valid_op(client, "aiAvatarQuery", uid=uid, params={"isCustom": "true"}))
    return list(page["data"])


def code_of(envelope: dict[str, Any]) -> str:
    """The envelope's code (the result must be null when it is an error)."""
    if envelope["code"] != "200":
        assert envelope["result"] is None, envelope
    return str(envelope["code"])


# -- cloned voices -------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_cloned_voice_is_listed_and_usable_by_its_account(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """A finished clone shows in Voice Query isCustom=true and speaks in text2voice."""
    assert await custom_voices(client) == []
    voice_id = await clone_voice(client, mock, "Narrator Anna")
    listed = await custom_voices(client)
    assert [(v["voiceId"], v["voiceName"]) for v in listed] == [(voice_id, "Narrator Anna")]
    public = ok(await valid_op(client, "voiceQuery", params={"isCustom": "false", "pageSize": 100}))
    assert public["total"] > 1 and voice_id not in {v["voiceId"] for v in public["data"]}
    _, spoken = await finished_task(client, mock, "text2VoiceSubmit", {"voiceText": "Hello.", "voiceId": voice_id})
    assert spoken["voice"]["voiceId"] == voice_id and spoken["voice"]["demoAudioUrl"]


@pytest.mark.anyio
async def test_cloned_voice_is_invisible_to_other_accounts(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Another uid does not list it, cannot speak with it or delete it (4004); the owner keeps it."""
    voice_id = await clone_voice(client, mock, "Private voice")
    assert await custom_voices(client, OTHER_UID) == []
    them = await valid_op(client, "text2VoiceSubmit", uid=OTHER_UID, body={"voiceText": "Hi.", "voiceId": voice_id})
    assert code_of(them) == "4004" and voice_id in them["message"]
    m = await materials(client, mock, uid=OTHER_UID)
    avatar = await valid_op(
        client,
        "videoAvatarSubmit",
        uid=OTHER_UID,
        body={
            "avatarSourceFrom": 0,
            "videoFileId": m.video,
            "audioSourceFrom": 1,
            "ttsText": "Hi.",
            "voiceoverId": voice_id,
        },
    )
    assert code_of(avatar) == "4004"
    deleted = await valid_op(client, "voiceCloneDelete", uid=OTHER_UID, params={"voiceId": voice_id})
    assert code_of(deleted) == "4004"
    assert [v["voiceId"] for v in await custom_voices(client)] == [voice_id]


@pytest.mark.anyio
async def test_deleting_a_cloned_voice(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """The owner deletes it (result null); afterwards it is unknown everywhere. Public voices cannot go (4006)."""
    voice_id = await clone_voice(client, mock, "Short-lived")
    assert ok(await valid_op(client, "voiceCloneDelete", params={"voiceId": voice_id})) is None
    assert await custom_voices(client) == []
    again = await valid_op(client, "voiceCloneDelete", params={"voiceId": voice_id})
    assert code_of(again) == "4004"
    speak = await valid_op(client, "text2VoiceSubmit", body={"voiceText": "Hi.", "voiceId": voice_id})
    assert code_of(speak) == "4004"
    public = mock.catalogues.items["voices"][0]["voiceId"]
    assert code_of(await valid_op(client, "voiceCloneDelete", params={"voiceId": public})) == "4006"


@pytest.mark.anyio
async def test_duplicate_clone_name_answers_4005(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Cloned voice names are unique per account (contracts/README.md); other accounts may reuse one."""
    await clone_voice(client, mock, "Anna")
    audio = await upload_audio(client, 3.0)
    duplicate = await valid_op(client, "voiceCloneSubmit", body={"originVoiceFileId": audio, "name": "Anna"})
    assert code_of(duplicate) == "4005"
    assert [v["voiceName"] for v in await custom_voices(client)] == ["Anna"]
    await clone_voice(client, mock, "Anna", uid=OTHER_UID)


# -- custom photo avatars ------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_custom_photo_avatar_create_use_delete(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Create from a portrait → listed with isCustom=true → drives a photo avatar task → deleted."""
    portrait = await upload_image(client, 256, 256)
    avatar_id = ok(await valid_op(client, "photoAvatarCreate", body={"templateImageFileId": portrait}))
    assert isinstance(avatar_id, str) and len(avatar_id) == 32
    listed = await custom_photo_avatars(client)
    assert [(a["avatarId"], a["isCustom"]) for a in listed] == [(avatar_id, True)]
    public = ok(await valid_op(client, "photoAvatarTemplateList", params={"isCustom": "false", "pageSize": 100}))
    assert avatar_id not in {a["avatarId"] for a in public["data"]}

    m = await materials(client, mock)
    _, video = await finished_task(
        client,
        mock,
        "photoAvatarSubmit",
        {"avatarId": avatar_id, "mode": "avatar4", "scriptMode": "audio", "audioFileId": m.audio},
    )
    assert video["finishedVideoUrl"]

    assert ok(await valid_op(client, "photoAvatarDelete", params={"aiAvatarId": avatar_id})) is None
    assert await custom_photo_avatars(client) == []
    assert code_of(await valid_op(client, "photoAvatarDelete", params={"aiAvatarId": avatar_id})) == "4004"
    gone = await valid_op(
        client,
        "photoAvatarSubmit",
        body={"avatarId": avatar_id, "mode": "avatar4", "scriptMode": "audio", "audioFileId": m.audio},
    )
    assert code_of(gone) == "4004"
    public_id = mock.catalogues.items["photoAvatars"][0]["avatarId"]
    assert code_of(await valid_op(client, "photoAvatarDelete", params={"aiAvatarId": public_id})) == "4006"


@pytest.mark.anyio
async def test_custom_photo_avatar_is_invisible_to_other_accounts(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Another uid does not list, use or delete it."""
    avatar_id = ok(
        await valid_op(client, "photoAvatarCreate", body={"templateImageFileId": await upload_image(client)})
    )
    assert await custom_photo_avatars(client, OTHER_UID) == []
    audio = await upload_audio(client, 2.0, uid=OTHER_UID)
    used = await valid_op(
        client,
        "photoAvatarSubmit",
        uid=OTHER_UID,
        body={"avatarId": avatar_id, "mode": "avatar4", "scriptMode": "audio", "audioFileId": audio},
    )
    assert code_of(used) == "4004"
    deleted = await valid_op(client, "photoAvatarDelete", uid=OTHER_UID, params={"aiAvatarId": avatar_id})
    assert code_of(deleted) == "4004"
    assert [a["avatarId"] for a in await custom_photo_avatars(client)] == [avatar_id]


@pytest.mark.anyio
async def test_photo_avatar_create_needs_an_image_of_the_account(client: httpx.AsyncClient) -> None:
    """templateImageFileId must be the account's uploaded image (4004 foreign, 4000 not an image)."""
    foreign = await upload_image(client, uid=OTHER_UID)
    assert code_of(await valid_op(client, "photoAvatarCreate", body={"templateImageFileId": foreign})) == "4004"
    video = await upload_video(client)
    assert code_of(await valid_op(client, "photoAvatarCreate", body={"templateImageFileId": video})) == "4000"
    assert await custom_photo_avatars(client) == []


# -- avatars made from a video -------------------------------------------------------------------------


@pytest.mark.anyio
async def test_video2aiavatar_result_is_a_custom_ai_avatar(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """The new avatar is in AiAvatar Query isCustom=true and drives a video avatar with avatarSourceFrom=2."""
    m = await materials(client, mock)
    _, made = await finished_task(client, mock, "video2AiAvatarSubmit", {"videoFileId": m.video})
    avatar_id = made["aiAvatar"]["aiavatarId"]
    listed = await custom_ai_avatars(client)
    assert [a["aiavatarId"] for a in listed] == [avatar_id]
    public = ok(await valid_op(client, "aiAvatarQuery", params={"isCustom": "false", "pageSize": 100}))
    assert avatar_id not in {a["aiavatarId"] for a in public["data"]}

    _, video = await finished_task(
        client,
        mock,
        "videoAvatarSubmit",
        {
            "avatarSourceFrom": 2,
            "aiAvatarId": avatar_id,
            "audioSourceFrom": 1,
            "ttsText": "Welcome to topview.ai",
            "voiceoverId": m.voice,
        },
    )
    assert video["outputVideoUrl"]
    _, video = await finished_task(
        client,
        mock,
        "videoAvatarSubmit",
        {"avatarSourceFrom": "2", "aiAvatarId": avatar_id, "audioSourceFrom": "0", "audioFileId": m.audio},
    )
    assert video["outputVideoUrl"]


@pytest.mark.anyio
async def test_video2aiavatar_avatar_is_invisible_to_other_accounts(
    client: httpx.AsyncClient, mock: TopviewMock
) -> None:
    """Another uid does not list it and cannot make videos with it (4004)."""
    video = await upload_video(client)
    _, made = await finished_task(client, mock, "video2AiAvatarSubmit", {"videoFileId": video})
    avatar_id = made["aiAvatar"]["aiavatarId"]
    assert await custom_ai_avatars(client, OTHER_UID) == []
    audio = await upload_audio(client, 2.0, uid=OTHER_UID)
    used = await valid_op(
        client,
        "videoAvatarSubmit",
        uid=OTHER_UID,
        body={"avatarSourceFrom": 2, "aiAvatarId": avatar_id, "audioSourceFrom": 0, "audioFileId": audio},
    )
    assert code_of(used) == "4004"


@pytest.mark.anyio
async def test_photo_avatar_templates_filter_by_category(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """categories (comma-separated ids from the category list) keeps only the templates in them."""
    categories = ok(await valid_op(client, "photoAvatarCategoryList"))["data"]
    first, second = categories[0]["categoryId"], categories[1]["categoryId"]
    for wanted in ([first], [first, second]):
        page = ok(
            await valid_op(client, "photoAvatarTemplateList", params={"categories": ",".join(wanted), "pageSize": 100})
        )
        assert page["total"] > 0
        assert page["total"] == len(page["data"])
        assert all(set(item["categoryIds"]) & set(wanted) for item in page["data"])
    everything = ok(await valid_op(client, "photoAvatarTemplateList", params={"pageSize": 100}))
    one = ok(await valid_op(client, "photoAvatarTemplateList", params={"categories": first, "pageSize": 100}))
    assert one["total"] < everything["total"]
