"""Uploads through the Topview API: credential, presigned PUT to the fake's store, check, use in submits.

The store's own behaviour (signing, XML errors, directory layout) is pinned by ``test_store.py``; these
tests show the same behaviour as a Topview client meets it, from ``/v1/upload/credential`` to a submit.
"""

from __future__ import annotations

import copy
import io
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import mutagen
import pytest
import requests
from PIL import Image
from topview_calls import (
    BASE_URL,
    OTHER_UID,
    assert_error,
    check,
    credential,
    finished_task,
    load_contract,
    ok,
    op,
    png,
    put,
    submit,
    upload,
    upload_image,
    upload_video,
    wav,
)

from mock_server import MockConfig, Progression, TopviewMock, create_app
from mock_server.contract.openapi import Annotation, Contract
from mock_server.storage.media import sample, silence
from mock_server.storage.store import S3_PARAMS
from mock_server.testing.server import LiveServer

TIMED = Progression("time", init=1, running=3)
FORMATS: tuple[str, ...] = tuple(
    next(p for p in load_contract()["uploadCredential"].query if p["name"] == "format")["schema"]["enum"]
)
# Bytes of another format than the one declared, per media kind the declared format belongs to.
FOREIGN_BYTES = {"image": sample("wav"), "video": sample("png"), "audio": sample("png"), "media": sample("mp3")}
DECLARED = {"image": "png", "video": "mp4", "audio": "wav", "media": "png"}
WRONG_KIND = {"image": "audio", "video": "image", "audio": "image", "media": "audio"}


def s3_error(response: httpx.Response | requests.Response) -> dict[str, str]:
    """The fields of an S3 XML error body."""
    assert response.headers["content-type"] == "application/xml"
    root = ET.fromstring(response.content)
    assert root.tag == "Error"
    return {child.tag: child.text or "" for child in root}


def key_of(url: str) -> str:
    """The object key a store URL addresses."""
    return unquote(urlsplit(url).path.removeprefix("/_objects/").removeprefix("/_cdn/"))


# -- credential -------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("fmt", FORMATS)
async def test_every_documented_format_gets_a_presigned_url_on_the_fake(
    client: httpx.AsyncClient, mock: TopviewMock, fmt: str
) -> None:
    """fileId, uploadUrl (S3 query, expiring with the config), fileName, format, expireTime; then PUT, check."""
    mock.advance(42)
    issued = await credential(client, fmt)
    assert set(issued) == {"fileId", "uploadUrl", "fileName", "format", "expireTime"}
    assert (issued["format"], issued["fileName"]) == (fmt, f"{issued['fileId']}.{fmt}")
    url = urlsplit(issued["uploadUrl"])
    assert f"{url.scheme}://{url.netloc}" == BASE_URL and url.path.startswith("/_objects/uploads/")
    assert url.path.endswith(f"/{issued['fileId']}.{fmt}")
    signed = parse_qs(url.query)
    assert set(signed) == set(S3_PARAMS)
    assert signed["X-Amz-Expires"] == [str(mock.config.upload_url_seconds)]
    assert len(signed["X-Amz-Signature"][0]) == 64 and set(signed["X-Amz-Signature"][0]) <= set("0123456789abcdef")
    expire = datetime.strptime(issued["expireTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    assert expire == mock.clock.now() + mock.config.upload_url_seconds
    assert ok(await check(client, issued["fileId"])) is False
    await put(client, issued["uploadUrl"], sample(fmt, seconds=1.0))
    assert ok(await check(client, issued["fileId"])) is True


@pytest.mark.anyio
@pytest.mark.parametrize("fmt", ["gif", "txt", "mp4x", "exe"])
async def test_an_undocumented_format_is_4000_naming_format(client: httpx.AsyncClient, fmt: str) -> None:
    """Only the documented extensions get a credential."""
    assert_error(await op(client, "uploadCredential", params={"format": fmt}), "4000", "format")


# -- PUT and check ----------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("content_type", [None, "text/plain", "application/octet-stream", "image/png"])
async def test_put_takes_raw_bytes_with_any_or_no_content_type(
    client: httpx.AsyncClient, content_type: str | None
) -> None:
    """Content-Type is not signed: any value (or none) stores the bytes, and check becomes true."""
    issued = await credential(client, "png")
    headers = {"Content-Type": content_type} if content_type else {}
    response = await client.put(issued["uploadUrl"], content=png(), headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["etag"].startswith('"')
    assert ok(await check(client, issued["fileId"])) is True


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("fmt", "data"),
    [
        ("png", sample("jpeg")),  # a JPEG named png
        ("jpg", sample("png")),
        ("mp4", sample("mov")),  # QuickTime is not mp4
        ("mp4", sample("m4a")),  # audio-only MPEG-4 is not a video
        ("mp3", sample("wav")),
        ("wav", b"RIFF\x00\x00\x00\x00WAVEnot really"),
        ("avi", sample("mp4")),
        ("webp", b"\x00" * 100),
    ],
    ids=["jpeg-as-png", "png-as-jpg", "mov-as-mp4", "m4a-as-mp4", "wav-as-mp3", "broken-wav", "mp4-as-avi", "zeros"],
)
async def test_bytes_not_matching_the_declared_format(client: httpx.AsyncClient, fmt: str, data: bytes) -> None:
    """S3 takes any bytes, but check stays false and a submit naming the file is refused with 4000."""
    issued = await credential(client, fmt)
    await put(client, issued["uploadUrl"], data)
    assert ok(await check(client, issued["fileId"])) is False
    body = {"productName": "Cup", "productDescription": "A cup.", "fileIds": [issued["fileId"]]}
    assert_error(await op(client, "m2vSubmit", body=body), "4000", "fileIds[0]", issued["fileId"])


@pytest.mark.anyio
async def test_check_of_an_unknown_or_foreign_file_is_4004(client: httpx.AsyncClient) -> None:
    """Another account's fileId is as unknown as one never issued; its owner sees it."""
    bobs = await upload_image(client, uid=OTHER_UID)
    assert_error(await check(client, bobs), "4004", "fileId", bobs)
    assert_error(await check(client, "9" * 32), "4004", "fileId")
    assert ok(await check(client, bobs, uid=OTHER_UID)) is True


@pytest.mark.anyio
async def test_tampered_foreign_and_moved_signatures_are_refused(client: httpx.AsyncClient, contract: Contract) -> None:
    """403 SignatureDoesNotMatch in S3's XML for a changed signature, another fake's secret or another key."""
    issued = await credential(client, "png")
    other = await credential(client, "png")
    signature = parse_qs(urlsplit(issued["uploadUrl"]).query)["X-Amz-Signature"][0]
    tampered = issued["uploadUrl"].replace(signature, ("0" if signature[0] != "0" else "1") + signature[1:])
    moved = issued["uploadUrl"].replace(issued["fileId"], other["fileId"])
    foreign_fake = TopviewMock(MockConfig(secret=b"another-fake"), contract=contract)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(create_app(mock=foreign_fake)), base_url=BASE_URL
    ) as foreign_client:
        foreign = await credential(foreign_client, "png")
    assert urlsplit(foreign["uploadUrl"]).netloc == urlsplit(BASE_URL).netloc
    for url in (tampered, moved, foreign["uploadUrl"]):
        response = await client.put(url, content=png())
        assert response.status_code == 403, url
        error = s3_error(response)
        assert error["Code"] == "SignatureDoesNotMatch"
        assert error["Key"] == key_of(url)
    for file_id in (issued["fileId"], other["fileId"]):
        assert ok(await check(client, file_id)) is False
    await put(client, issued["uploadUrl"], png())  # the untouched URL still works
    assert ok(await check(client, issued["fileId"])) is True


@pytest.mark.anyio
async def test_an_expired_upload_url_is_access_denied(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Past expireTime (virtual clock) the PUT gets 403 AccessDenied 'Request has expired'."""
    issued = await credential(client, "png")
    mock.advance(mock.config.upload_url_seconds + 1)
    response = await client.put(issued["uploadUrl"], content=png())
    assert response.status_code == 403
    error = s3_error(response)
    assert (error["Code"], error["Message"]) == ("AccessDenied", "Request has expired")
    assert error["Expires"] == issued["expireTime"]
    assert ok(await check(client, issued["fileId"])) is False


@pytest.mark.anyio
async def test_a_second_put_is_refused_and_the_first_bytes_stay(client: httpx.AsyncClient) -> None:
    """Upload URLs are single-use: 403 AccessDenied, and the file keeps its first (valid) bytes."""
    issued = await credential(client, "png")
    await put(client, issued["uploadUrl"], png(64, 48))
    again = await client.put(issued["uploadUrl"], content=sample("wav"))
    assert again.status_code == 403
    assert s3_error(again)["Code"] == "AccessDenied"
    assert ok(await check(client, issued["fileId"])) is True
    task = await submit(
        client,
        "commonImage2VideoSubmit",
        {"imageFileId": issued["fileId"], "duration": 5, "mode": "lite", "generatingCount": 1},
    )
    assert task


@pytest.mark.anyio
@pytest.mark.parametrize("config", [MockConfig(max_upload_bytes=2048, progression=TIMED)], ids=["limit-2KiB"])
async def test_a_body_over_max_upload_bytes_is_entity_too_large(client: httpx.AsyncClient) -> None:
    """Over MockConfig.max_upload_bytes: 400 EntityTooLarge, nothing stored, the URL still usable."""
    big = wav(1.0)
    assert len(big) > 2048
    issued = await credential(client, "wav")
    response = await client.put(issued["uploadUrl"], content=big)
    assert response.status_code == 400
    error = s3_error(response)
    assert (error["Code"], error["MaxSizeAllowed"], error["ProposedSize"]) == ("EntityTooLarge", "2048", str(len(big)))
    assert ok(await check(client, issued["fileId"])) is False
    small = wav(0.1)
    assert len(small) <= 2048
    await put(client, issued["uploadUrl"], small)
    assert ok(await check(client, issued["fileId"])) is True


@pytest.mark.anyio
async def test_clients_that_skip_the_check_but_did_put_still_work(client: httpx.AsyncClient) -> None:
    """The PUT alone makes the file usable; a credential without PUT is 'not uploaded' (4000)."""
    issued = await credential(client, "png")
    body = {"imageFileId": issued["fileId"], "duration": 5, "mode": "lite", "generatingCount": 1}
    assert_error(await op(client, "commonImage2VideoSubmit", body=body), "4000", "imageFileId", "not been uploaded")
    await put(client, issued["uploadUrl"], png())
    assert await submit(client, "commonImage2VideoSubmit", body)


# -- directory mode ---------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_directory_mode_end_to_end(contract: Contract, tmp_path: Path) -> None:
    """With storage_dir the uploaded bytes and the result files live on disk; reset deletes them."""
    config = MockConfig(storage_dir=str(tmp_path), progression=TIMED)
    mock = TopviewMock(config, contract=contract)
    transport = httpx.ASGITransport(create_app(mock=mock))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        issued = await credential(client, "jpg")
        data = sample("jpg", width=80, height=60)
        await put(client, issued["uploadUrl"], data)
        assert (tmp_path / key_of(issued["uploadUrl"])).read_bytes() == data
        assert ok(await check(client, issued["fileId"])) is True
        body = {"imageFileId": issued["fileId"], "duration": 5, "mode": "lite", "generatingCount": 1}
        _, result = await finished_task(client, mock, "commonImage2VideoSubmit", body)
        video_url = result["videos"][0]["originVideo"]["filePath"]
        async with httpx.AsyncClient(transport=transport) as bare:  # no auth, no Topview headers
            downloaded = await bare.get(video_url)
        assert downloaded.status_code == 200
        assert (tmp_path / key_of(video_url)).read_bytes() == downloaded.content
        mock.reset()
        assert not (tmp_path / key_of(issued["uploadUrl"])).exists()
        assert not (tmp_path / key_of(video_url)).exists()


@pytest.mark.anyio
async def test_a_restarted_fake_on_the_same_directory_accepts_its_uploads(contract: Contract, tmp_path: Path) -> None:
    """Same seed, same directory (a restarted server): the same fileId comes again and its PUT must work."""
    config = MockConfig(storage_dir=str(tmp_path), progression=TIMED)
    issued: list[dict[str, Any]] = []
    for size in ((80, 60), (30, 20)):
        fake = TopviewMock(config, contract=contract)
        transport = httpx.ASGITransport(create_app(mock=fake))
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            issued.append(await credential(client, "png"))
            await put(client, issued[-1]["uploadUrl"], png(*size))
            assert ok(await check(client, issued[-1]["fileId"])) is True
            mask = await upload(client, "png", png(*size))
            image = issued[-1]["fileId"]
            body = {
                "productImageFileId": image,
                "productMaskFileId": mask,
                "templateImageFileId": image,
                "templateMaskFileId": mask,
                "mode": "pro",
            }
            assert await submit(client, "anyshootSubmit", body)  # the sizes are the new bytes' sizes
    assert issued[0]["fileId"] == issued[1]["fileId"]  # the seed decides ids
    with Image.open(tmp_path / key_of(issued[1]["uploadUrl"])) as stored:
        assert stored.size == (30, 20)


# -- fileIds in submits -----------------------------------------------------------------------------


def _file_fields() -> list[Any]:
    """(operationId, annotation) for every x-topview-file field of the contract."""
    return [
        pytest.param(o.operation_id, a, id=f"{o.operation_id}-{'.'.join(p for p in a.path if p != '[]')}")
        for o in load_contract()
        for a in o.annotations
        if a.kind == "file"
    ]


def _example(operation_id: str) -> dict[str, Any]:
    """A copy of the operation's documented request example."""
    operation = load_contract()[operation_id]
    raw = load_contract().document["paths"][operation.path][operation.method.lower()]
    example: dict[str, Any] = copy.deepcopy(raw["requestBody"]["content"]["application/json"]["example"])
    return example


# Example bodies changed so the field under test may be given at all (the example's model takes no
# reference images).
RULE_ABIDING: dict[tuple[str, str], dict[str, Any]] = {
    ("image2VideoV2Submit", "referenceImageFileIds"): {"model": "Kling V3 Reference Video", "firstFrameFileId": None},
}


def known_ids(mock: TopviewMock) -> dict[str, str]:
    """An id of each catalogue resource the fake knows, for optional references of example bodies."""
    items = mock.catalogues.items
    return {
        "voice": items["voices"][0]["voiceId"],
        "caption": items["captions"][0]["captionId"],
        "aiAvatar": items["aiavatars"][0]["aiavatarId"],
        "productAvatar": items["productAvatars"][0]["avatarId"],
        "photoAvatar": items["photoAvatars"][0]["avatarId"],
        "anyshootTemplate": items["anyshootTemplates"][0]["templateId"],
    }


# Omni reference items are named in the prompt; a new item needs a name of its kind.
NEW_ITEMS = {"inputImages": {"name": "Image1"}, "inputVideos": {"name": "Video1"}}


def _replace_all(body: Any, path: tuple[str, ...], value: str) -> Any:
    """``body`` with every value at ``path`` (present in it) replaced by ``value``."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if head == "[]":
        return [_replace_all(item, rest, value) for item in body] if isinstance(body, list) else body
    if isinstance(body, dict) and head in body:
        return {**body, head: _replace_all(body[head], rest, value)}
    return body


def _valid_content(path: tuple[str, ...], schema: Mapping[str, Any], file_id: str) -> Any:
    """Content for the top-level field at ``path`` holding ``file_id`` (as many items as the schema needs)."""
    if path[1:] == ("[]",):
        return [file_id] * max(1, schema.get("minItems", 1))
    if path[1:2] == ("[]",):
        return [{**NEW_ITEMS.get(path[0], {}), path[2]: file_id}]
    if len(path) == 2:
        return {path[1]: file_id}
    return file_id


def _put_first(body: Any, path: tuple[str, ...], value: str) -> Any:
    """``body`` with ``value`` at ``path``, in the first item of each array on the way."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if head == "[]":
        return [_put_first(body[0], rest, value), *body[1:]]
    return {**body, head: _put_first(body[head], rest, value)}


@pytest.fixture
async def replaced_image(client: httpx.AsyncClient, mock: TopviewMock) -> str:
    """A PA v2 replace imageId of the account (the one required reference checked before a file)."""
    image = await upload_image(client)
    product_avatar = mock.catalogues.items["productAvatars"][0]["avatarId"]
    body = {"productImageWithoutBackgroundFileId": image, "avatarId": product_avatar}
    _, result = await finished_task(client, mock, "paV2ReplaceSubmit", body)
    return str(result["replaceProductResult"][0]["imageId"])


@pytest.mark.anyio
@pytest.mark.parametrize(("operation_id", "annotation"), _file_fields())
async def test_every_file_field_needs_an_uploaded_file_of_the_account_and_kind(
    client: httpx.AsyncClient, mock: TopviewMock, replaced_image: str, operation_id: str, annotation: Annotation
) -> None:
    """Unknown or another account's fileId: 4004; wrong kind, not uploaded or bytes not the format: 4000."""
    wanted = annotation.value
    valid = {kind: await upload(client, DECLARED[kind], sample(DECLARED[kind])) for kind in ("image", "video", "audio")}
    valid["media"] = valid["image"]
    # Start from the documented example with every other file valid and every optional reference naming a
    # known id (or dropped): the body's rules hold, so the file under test decides the answer (rules are
    # checked first, then references in contract order, and the first failure answers).
    operation = load_contract()[operation_id]
    required = set((operation.body_schema or {}).get("required", ()))
    body = _example(operation_id)
    known = known_ids(mock)
    for other in operation.annotations:
        if other.kind == "file":
            body = _replace_all(body, other.path, valid[other.value])
        elif other.path[0] not in required and other.path[0] in body:
            if other.value in known:
                body[other.path[0]] = known[other.value]
            else:
                body.pop(other.path[0])
        elif other.value == "paV2ReplaceImageId":
            body[other.path[0]] = replaced_image
    for name, value in RULE_ABIDING.get((operation_id, annotation.path[0]), {}).items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    label = annotation.path[0]
    if label not in body:  # give the field valid content first, so only the value under test is wrong
        schema = (operation.body_schema or {})["properties"][label]
        body[label] = _valid_content(annotation.path, schema, valid[wanted])
    not_uploaded = (await credential(client, DECLARED[wanted]))["fileId"]
    mismatched = await credential(client, DECLARED[wanted])
    await put(client, mismatched["uploadUrl"], FOREIGN_BYTES[wanted])
    cases = [
        ("unknown", "0" * 32, "4004"),
        ("foreign", await upload(client, DECLARED[wanted], sample(DECLARED[wanted]), uid=OTHER_UID), "4004"),
        ("wrong kind", valid[WRONG_KIND[wanted]], "4000"),
        ("not uploaded", not_uploaded, "4000"),
        ("not the declared format", mismatched["fileId"], "4000"),
    ]
    for case, file_id, code in cases:
        envelope = await op(client, operation_id, body=_put_first(body, annotation.path, file_id))
        assert envelope["code"] == code, (case, envelope)
        assert label in envelope["message"] and file_id in envelope["message"], (case, envelope)


# -- documented media rules, judged from the bytes ---------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("mask_field", "image_field"),
    [("productMaskFileId", "productImageFileId"), ("templateMaskFileId", "templateImageFileId")],
)
async def test_anyshoot_masks_must_have_their_images_pixel_size(
    client: httpx.AsyncClient, mask_field: str, image_field: str
) -> None:
    """A mask of another pixel size: 4000 naming the mask and both sizes; same size in another format passes."""
    image, other_image = await upload(client, "png", png(120, 90)), await upload_image(client, 64, 64)
    other_mask = await upload_image(client, 64, 64)
    body = {
        "productImageFileId": other_image,
        "productMaskFileId": other_mask,
        "templateImageFileId": other_image,
        "templateMaskFileId": other_mask,
        "mode": "pro",
        image_field: image,
    }
    for width, height in ((90, 120), (121, 90), (64, 64)):
        mask = await upload(client, "png", png(width, height))
        envelope = await op(client, "anyshootSubmit", body={**body, mask_field: mask})
        assert_error(envelope, "4000", mask_field, f"{width}x{height}", "120x90")
    same_size = await upload(client, "jpg", sample("jpg", width=120, height=90))
    assert await submit(client, "anyshootSubmit", {**body, mask_field: same_size})


@pytest.fixture
async def portrait(client: httpx.AsyncClient) -> str:
    """An uploaded portrait for photo avatar submits."""
    return await upload_image(client, 256, 320)


def _audio_body(operation_id: str, mode: str | None, audio: str, image: str, replaced: str) -> dict[str, Any]:
    """A lip-sync body for photo avatar (on an uploaded portrait) or PA v2 image2Video (on a replaced image)."""
    body: dict[str, Any] = {"scriptMode": "audio", "audioFileId": audio}
    if operation_id == "photoAvatarSubmit":
        body["templateImageFileId"] = image
    else:
        body["replaceProductTaskImageId"] = replaced
    if mode is not None:
        body["mode"] = mode
    return body


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("operation_id", "mode", "limit"),
    [
        *[
            (operation_id, mode, limit)
            for operation_id in ("photoAvatarSubmit", "paV2Image2VideoSubmit")
            for mode, limit in (("avatar2", 28), ("avatar4", 120), ("avatar4Fast", 120))
        ],
        ("paV2Image2VideoSubmit", None, 28),  # PA v2's documented default mode is avatar2
    ],
)
async def test_audio_longer_than_the_modes_limit_is_refused(
    client: httpx.AsyncClient, portrait: str, replaced_image: str, operation_id: str, mode: str | None, limit: int
) -> None:
    """Audio of exactly the limit passes; one second more answers 4000 naming audioFileId and the limit."""
    at_limit = await upload(client, "wav", wav(limit))
    too_long = await upload(client, "wav", wav(limit + 1))
    body = _audio_body(operation_id, mode, too_long, portrait, replaced_image)
    assert_error(await op(client, operation_id, body=body), "4000", "audioFileId", f"{limit} s")
    assert await submit(client, operation_id, {**body, "audioFileId": at_limit})


@pytest.mark.anyio
async def test_audio_length_is_read_from_mp3_and_m4a_too(client: httpx.AsyncClient, portrait: str) -> None:
    """MP3 of about 40 s is over avatar2's 28 s; the one-second shipped M4A is within it."""
    long_mp3 = await upload(client, "mp3", silence(40.0, format="mp3"))
    short_m4a = await upload(client, "m4a", sample("m4a"))
    body = _audio_body("photoAvatarSubmit", "avatar2", long_mp3, portrait, "")
    assert_error(await op(client, "photoAvatarSubmit", body=body), "4000", "audioFileId", "28 s")
    assert await submit(client, "photoAvatarSubmit", {**body, "audioFileId": short_m4a})


@pytest.mark.anyio
async def test_m2v_counts_images_by_their_bytes(client: httpx.AsyncClient) -> None:
    """Ten images of any image format are too few without a productLink; one video among them is enough."""
    formats = ["png", "jpg", "jpeg", "webp", "bmp"] * 2
    images = [await upload(client, fmt, sample(fmt, width=32, height=32)) for fmt in formats]
    body = {"productName": "Cup", "productDescription": "A cup.", "fileIds": images}
    assert_error(await op(client, "m2vSubmit", body=body), "4000", "fileIds", "10")
    assert await submit(client, "m2vSubmit", {**body, "fileIds": [*images, await upload_image(client)]})
    assert await submit(client, "m2vSubmit", {**body, "fileIds": [*images, await upload_video(client)]})


# -- a real server: requests and httpx over a socket -------------------------------------------------


def _download_checks(url: str, response: requests.Response | httpx.Response) -> None:
    """A downloaded result file is what its extension says: decodable, with the matching Content-Type."""
    assert response.status_code == 200, response.text
    extension = urlsplit(url).path.rsplit(".", 1)[-1]
    content_type, pillow_format = {
        "mp4": ("video/mp4", None),
        "jpg": ("image/jpeg", "JPEG"),
        "png": ("image/png", "PNG"),
    }[extension]
    assert response.headers["content-type"] == content_type
    if pillow_format is None:
        parsed = mutagen.File(io.BytesIO(response.content))
        assert parsed is not None and parsed.info.length > 0
    else:
        with Image.open(io.BytesIO(response.content)) as image:
            image.load()
            assert image.format == pillow_format


def test_whole_flow_with_requests_against_a_live_server(topview_server: LiveServer, tmp_path: Path) -> None:
    """requests: credential, a bare ``requests.put(url, data=f)``, check, submit, finish, plain GET, expiry."""
    api = requests.Session()
    api.headers.update(topview_server.headers)
    base = topview_server.url
    issued = api.get(f"{base}/v1/upload/credential", params={"format": "png"}, timeout=5).json()["result"]
    assert issued["uploadUrl"].startswith(f"{base}/_objects/uploads/")
    image = tmp_path / "cup.png"
    image.write_bytes(png(64, 48))
    with image.open("rb") as f:
        uploaded = requests.put(issued["uploadUrl"], data=f, timeout=5)
    assert uploaded.status_code == 200, uploaded.text
    with image.open("rb") as f:
        twice = requests.put(issued["uploadUrl"], data=f, timeout=5)
    assert twice.status_code == 403 and "<Code>AccessDenied</Code>" in twice.text
    checked = api.get(f"{base}/v1/upload/check", params={"fileId": issued["fileId"]}, timeout=5).json()
    assert (checked["code"], checked["result"]) == ("200", True)
    body = {"imageFileId": issued["fileId"], "duration": 5, "mode": "lite", "generatingCount": 1}
    task_id = api.post(f"{base}/v1/common_task/image2video/submit", json=body, timeout=5).json()["result"]["taskId"]
    topview_server.advance(5)
    result = api.get(f"{base}/v1/common_task/image2video/result", params={"taskId": task_id}, timeout=5).json()
    video_url = result["result"]["videos"][0]["originVideo"]["filePath"]
    urls = [s for s in _strings(result["result"]) if s.startswith("http")]
    assert video_url in urls
    for url in urls:
        assert url.startswith(f"{base}/_objects/results/")
        _download_checks(url, requests.get(url, timeout=5))
    topview_server.advance(topview_server.mock.config.result_url_seconds + 1)
    expired = requests.get(video_url, timeout=5)
    assert expired.status_code == 403 and "<Code>AccessDenied</Code>" in expired.text


def test_whole_flow_with_httpx_against_a_live_server(topview_server: LiveServer) -> None:
    """httpx: streamed (chunked) PUT of a WAV, check, photo avatar submit, CDN-style result download."""
    base = topview_server.url
    with httpx.Client(base_url=base, headers=topview_server.headers, timeout=5) as api, httpx.Client(timeout=5) as bare:
        portrait = api.get("/v1/upload/credential", params={"format": "jpg"}).json()["result"]
        assert bare.put(portrait["uploadUrl"], content=sample("jpg", width=200, height=240)).status_code == 200
        audio = api.get("/v1/upload/credential", params={"format": "wav"}).json()["result"]
        data = wav(3.0)
        chunks = (data[i : i + 4096] for i in range(0, len(data), 4096))
        assert bare.put(audio["uploadUrl"], content=chunks).status_code == 200
        for issued in (portrait, audio):
            assert api.get("/v1/upload/check", params={"fileId": issued["fileId"]}).json()["result"] is True
        body = {
            "templateImageFileId": portrait["fileId"],
            "mode": "avatar2",
            "scriptMode": "audio",
            "audioFileId": audio["fileId"],
        }
        task_id = api.post("/v1/photo_avatar/task/submit", json=body).json()["result"]["taskId"]
        topview_server.advance(5)
        params = {"taskId": task_id, "needCloudFrontUrl": "true"}
        result = api.get("/v1/photo_avatar/task/query", params=params).json()["result"]
        urls = [v for v in _strings(result) if v.startswith("http")]
        assert urls and all(u.startswith(f"{base}/_cdn/") for u in urls)
        for url in urls:
            _download_checks(url, bare.get(url))


def _strings(value: Any) -> list[str]:
    """Every string inside a JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []
