"""Calls to the fake Topview API as the tests make them: accounts, envelopes, uploads, schema checks.

Kept out of ``conftest.py`` so test modules can import it by a name no other directory uses.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx
import jsonschema_rs
from PIL import Image

from mock_server import TopviewMock
from mock_server.contract.catalogues import THAI_VOICE_IDS
from mock_server.contract.openapi import Contract
from mock_server.storage.media import sample

BASE_URL = "https://api.topview.ai"
UID = "uid-alice"
OTHER_UID = "uid-bob"


def headers(uid: str = UID, key: str = "test-key", **extra: str) -> dict[str, str]:
    """The auth headers of account ``uid`` (plus any extra headers, ``_`` in names read as ``-``)."""
    return {"Topview-Uid": uid, "Authorization": f"Bearer {key}", **{k.replace("_", "-"): v for k, v in extra.items()}}


async def call(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    *,
    uid: str = UID,
    json: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """One API call as account ``uid``; the envelope, after checking the HTTP status is 200."""
    response = await client.request(method, path, headers={**headers(uid), **(extra or {})}, json=json, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ok(envelope: Mapping[str, Any]) -> Any:
    """The result of a successful envelope (fails the test with the envelope otherwise)."""
    assert envelope["code"] == "200", envelope
    return envelope["result"]


def assert_error(envelope: Mapping[str, Any], code: str, *words: str) -> None:
    """The envelope is error ``code`` with a null result and a message containing every word."""
    assert (envelope["code"], envelope["result"]) == (code, None), envelope
    for word in words:
        assert word in envelope["message"], (word, envelope)


def png(width: int = 64, height: int = 64) -> bytes:
    """A PNG of the given size, made with Pillow."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(out, format="PNG")
    return out.getvalue()


def wav(seconds: float, rate: int = 8000) -> bytes:
    """Silent mono 16-bit WAV lasting ``seconds``, made with the stdlib ``wave`` module."""
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(b"\x00\x00" * round(seconds * rate))
    return out.getvalue()


async def op(
    client: httpx.AsyncClient,
    operation_id: str,
    *,
    uid: str = UID,
    body: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Call a contract operation by its operationId; the envelope."""
    operation = load_contract()[operation_id]
    return await call(client, operation.method, operation.path, uid=uid, json=body, params=params, extra=extra)


async def submit(
    client: httpx.AsyncClient,
    operation_id: str,
    body: Mapping[str, Any],
    *,
    uid: str = UID,
    extra: Mapping[str, str] | None = None,
) -> str:
    """Submit a task that must be accepted; its taskId."""
    ack = ok(await op(client, operation_id, uid=uid, body=body, extra=extra))
    assert ack["status"] == "success" and ack["errorMsg"] is None, ack
    return str(ack["taskId"])


async def query(client: httpx.AsyncClient, operation_id: str, task_id: str, *, uid: str = UID) -> dict[str, Any]:
    """The query envelope of a task, checked against the contract's response schema."""
    envelope = await op(client, operation_id, uid=uid, params={"taskId": task_id})
    assert_valid(operation_id, envelope)
    return envelope


async def credential(client: httpx.AsyncClient, fmt: str, uid: str = UID) -> dict[str, Any]:
    """Step 1 of an upload: a fileId and a presigned PUT URL."""
    result: dict[str, Any] = ok(await call(client, "GET", "/v1/upload/credential", uid=uid, params={"format": fmt}))
    return result


async def put(client: httpx.AsyncClient, upload_url: str, data: bytes) -> None:
    """Step 2: PUT the raw bytes to the presigned URL, without Content-Type or Topview headers."""
    response = await client.put(upload_url, content=data)
    assert response.status_code == 200, response.text


async def check(client: httpx.AsyncClient, file_id: str, uid: str = UID) -> dict[str, Any]:
    """Step 3: the envelope of /v1/upload/check."""
    return await call(client, "GET", "/v1/upload/check", uid=uid, params={"fileId": file_id})


async def upload(client: httpx.AsyncClient, fmt: str, data: bytes, uid: str = UID) -> str:
    """Upload ``data`` as ``fmt`` (credential → PUT → check true) and return its fileId."""
    issued = await credential(client, fmt, uid)
    await put(client, issued["uploadUrl"], data)
    assert ok(await check(client, issued["fileId"], uid)) is True
    return str(issued["fileId"])


async def upload_image(client: httpx.AsyncClient, width: int = 64, height: int = 64, uid: str = UID) -> str:
    """A PNG upload of the given size."""
    return await upload(client, "png", png(width, height), uid)


async def upload_audio(client: httpx.AsyncClient, seconds: float = 2.0, uid: str = UID) -> str:
    """A WAV upload lasting ``seconds``."""
    return await upload(client, "wav", wav(seconds), uid)


async def upload_video(client: httpx.AsyncClient, uid: str = UID) -> str:
    """An MP4 upload (the fake's shipped one-second sample)."""
    return await upload(client, "mp4", sample("mp4"), uid)


@dataclass(frozen=True)
class Materials:
    """Uploaded files and catalogue ids one account can build valid requests from."""

    image: str  # 64x64 PNG
    image2: str  # another 64x64 PNG
    mask: str  # 64x64 PNG, the size of ``image``
    video: str
    audio: str  # a 2 s WAV
    voice: str  # a non-Thai voice
    thai_voice: str
    caption: str
    ai_avatar: str
    product_avatar: str
    template: str


async def materials(client: httpx.AsyncClient, mock: TopviewMock, uid: str = UID) -> Materials:
    """Upload the usual inputs as ``uid`` and pick catalogue ids."""
    items = mock.catalogues.items
    return Materials(
        image=await upload_image(client, uid=uid),
        image2=await upload_image(client, uid=uid),
        mask=await upload_image(client, uid=uid),
        video=await upload_video(client, uid=uid),
        audio=await upload_audio(client, 2.0, uid=uid),
        voice=next(v["voiceId"] for v in items["voices"] if v["bestSupportLanguage"] != "th"),
        thai_voice=THAI_VOICE_IDS[0],
        caption=items["captions"][0]["captionId"],
        ai_avatar=items["aiavatars"][0]["aiavatarId"],
        product_avatar=items["productAvatars"][0]["avatarId"],
        template=items["anyshootTemplates"][0]["templateId"],
    )


@cache
def load_contract() -> Contract:
    """The contract, parsed once per process."""
    return Contract.load()


@cache
def _validator(operation_id: str) -> Any:
    operation = load_contract()[operation_id]
    raw = load_contract().document["paths"][operation.path][operation.method.lower()]
    schema = load_contract().resolve(raw["responses"]["200"]["content"]["application/json"]["schema"])
    return jsonschema_rs.Draft202012Validator(schema)


def assert_valid(operation_id: str, envelope: Mapping[str, Any]) -> None:
    """The envelope matches the contract's 200 response schema of ``operation_id``."""
    errors = [f"{e.instance_path}: {e.message}" for e in _validator(operation_id).iter_errors(dict(envelope))]
    assert not errors, f"{operation_id} response does not match the contract: {errors}\n{envelope}"


async def valid_op(
    client: httpx.AsyncClient,
    operation_id: str,
    *,
    uid: str = UID,
    body: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Call a contract operation; the envelope, checked against the operation's response schema."""
    envelope = await op(client, operation_id, uid=uid, body=body, params=params, extra=extra)
    assert_valid(operation_id, envelope)
    return envelope


async def finished_task(
    client: httpx.AsyncClient, mock: TopviewMock, operation_id: str, body: Mapping[str, Any], *, uid: str = UID
) -> tuple[str, dict[str, Any]]:
    """Submit a task, move the virtual clock past its progression, and return (taskId, success result)."""
    task_id = await submit(client, operation_id, body, uid=uid)
    mock.advance(10)
    result: dict[str, Any] = ok(await query(client, mock.table.by_submit[operation_id].query, task_id, uid=uid))
    assert result.get("status", result.get("taskStatus")) == "success", result
    return task_id, result


async def anyshoot_image(client: httpx.AsyncClient, mock: TopviewMock, m: Materials, *, uid: str = UID) -> str:
    """The fileId of an image a finished AnyShoot task generated from ``m`` for account ``uid``."""
    body = {"productImageFileId": m.image, "templateId": m.template, "templateMaskFileId": m.mask, "mode": "pro"}
    _, result = await finished_task(client, mock, "anyshootSubmit", body, uid=uid)
    return str(result["images"][0]["fileId"])


async def finished_prerequisites(client: httpx.AsyncClient, mock: TopviewMock, m: Materials) -> dict[str, str]:
    """A finished m2v preview task, PA v1 replace key and PA v2 replace imageId of the account."""
    m2v = await submit(client, "m2vSubmit", {"productLink": "https://shop.example.com/cup", "preview": True})
    v1 = await submit(
        client,
        "paV1ReplaceSubmit",
        {"avatarId": m.product_avatar, "productImageFileId": m.image, "imageEditPrompt": "hold the cup"},
    )
    v2 = await submit(
        client, "paV2ReplaceSubmit", {"productImageWithoutBackgroundFileId": m.image, "avatarId": m.product_avatar}
    )
    mock.advance(4)
    key = ok(await query(client, "paV1ReplaceQuery", v1))["productReplaceResult"][0]["key"]
    image_id = ok(await query(client, "paV2ReplaceQuery", v2))["replaceProductResult"][0]["imageId"]
    return {"m2v": m2v, "key": key, "image_id": image_id}
