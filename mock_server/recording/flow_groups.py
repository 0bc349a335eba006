"""One task flow per Topview group, as data: its submit and query paths and how to build a valid body.

A body is built the way a client builds it: uploading the files it needs and looking ids up in the
catalogues first, all through the flow's session (so the cassette holds those exchanges too).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol


class Materials(Protocol):
    """What a body may need: uploads and catalogue ids."""

    async def image(self) -> str: ...
    async def audio(self) -> str: ...
    async def video(self) -> str: ...
    async def voice(self) -> str: ...
    async def lookup(self, path: str, key: str, **params: Any) -> str: ...


Inputs = Callable[[Any, Materials], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class GroupFlow:
    """A Topview group's task: the cassette it goes to, its submit and query paths, its body."""

    name: str
    submit: str
    query: str
    inputs: Inputs


async def _m2v(_: Any, m: Materials) -> dict[str, Any]:
    return {
        "productLink": "https://shop.example.com/cup",
        "preview": False,
        "aiavatarId": await m.lookup("/v1/aiavatar/query", "aiavatarId"),
        "voiceId": await m.voice(),
        "captionId": await m.lookup("/v1/caption/list", "captionId"),
    }


async def _video_avatar(_: Any, m: Materials) -> dict[str, Any]:
    avatar = await m.lookup("/v1/aiavatar/query", "aiavatarId")
    return {"avatarSourceFrom": 1, "aiAvatarId": avatar, "audioSourceFrom": 0, "audioFileId": await m.audio()}


async def _product_avatar(m: Materials) -> str:
    return await m.lookup("/v1/product_avatar/public_avatar/query", "avatarId")


async def _pa_v1(_: Any, m: Materials) -> dict[str, Any]:
    image = await m.image()
    return {"avatarId": await _product_avatar(m), "productImageFileId": image, "imageEditPrompt": "Hold the cup."}


async def _pa_v2(_: Any, m: Materials) -> dict[str, Any]:
    return {"productImageWithoutBackgroundFileId": await m.image(), "avatarId": await _product_avatar(m)}


async def _pa_v3(_: Any, m: Materials) -> dict[str, Any]:
    return {"productImageFileId": await m.image(), "avatarId": await _product_avatar(m)}


async def _anyshoot(_: Any, m: Materials) -> dict[str, Any]:
    return {"productImageFileId": await m.image(), "templateImageFileId": await m.image(), "generatingCount": 1}


async def _text2image(_: Any, m: Materials) -> dict[str, Any]:
    return {"model": "Nano Banana 2", "prompt": "A cup on marble.", "aspectRatio": "1:1", "resolution": "1K"}


async def _scraper(_: Any, m: Materials) -> dict[str, Any]:
    return {"productLink": "https://shop.example.com/cup"}


async def _text2voice(_: Any, m: Materials) -> dict[str, Any]:
    return {"voiceText": "Welcome to our store.", "voiceId": await m.voice()}


async def _photo_avatar(_: Any, m: Materials) -> dict[str, Any]:
    avatar = await m.lookup("/v1/photo_avatar/template/list", "avatarId")
    script = "Meet the cup that keeps coffee hot."
    return {"avatarId": avatar, "mode": "avatar4", "scriptMode": "text", "ttsText": script, "voiceId": await m.voice()}


async def _character_swap(_: Any, m: Materials) -> dict[str, Any]:
    return {"inputModelFileId": await m.image(), "inputTemplateFileId": await m.image()}


async def _image_translate(_: Any, m: Materials) -> dict[str, Any]:
    return {"fileId": await m.image(), "languages": ["French"]}


async def _video_process(_: Any, m: Materials) -> dict[str, Any]:
    return {"inputVideoFileId": await m.video()}


GROUPS: tuple[GroupFlow, ...] = (
    GroupFlow("avatar-marketing-video", "/v1/m2v/task/submit", "/v1/m2v/task/query", _m2v),
    GroupFlow("video-avatar", "/v1/video_avatar/task/submit", "/v1/video_avatar/task/query", _video_avatar),
    GroupFlow(
        "product-avatar-v1",
        "/v1/product_avatar/task/image_replace/submit",
        "/v1/product_avatar/task/image_replace/result",
        _pa_v1,
    ),
    GroupFlow(
        "product-avatar-v2",
        "/v2/product_avatar/task/image_replace/submit",
        "/v2/product_avatar/task/image_replace/query",
        _pa_v2,
    ),
    GroupFlow(
        "product-avatar-v3",
        "/v3/product_avatar/task/image_replace/submit",
        "/v3/product_avatar/task/image_replace/query",
        _pa_v3,
    ),
    GroupFlow(
        "product-anyshoot",
        "/v3/product_anyShoot/product_model/task/submit",
        "/v3/product_anyShoot/product_model/task/result",
        _anyshoot,
    ),
    GroupFlow(
        "common-task",
        "/v1/common_task/text2image/task/submit",
        "/v1/common_task/text2image/task/query",
        _text2image,
    ),
    GroupFlow("scraper", "/v1/scraper/task/submit", "/v1/scraper/task/query", _scraper),
    GroupFlow("voice", "/v1/voice/text2voice/task/submit", "/v1/voice/text2voice/task/query", _text2voice),
    GroupFlow("photo-avatar", "/v1/photo_avatar/task/submit", "/v1/photo_avatar/task/query", _photo_avatar),
    GroupFlow("image-tools", "/v1/character_swap/task/submit", "/v1/character_swap/task/query", _character_swap),
    GroupFlow(
        "image-translate",
        "/v1/image_translate/single/task/submit",
        "/v1/image_translate/single/task/query",
        _image_translate,
    ),
    GroupFlow("video-character-swap", "/v1/video_process/task/submit", "/v1/video_process/task/query", _video_process),
)
