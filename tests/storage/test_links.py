"""Result media of finished tasks: every URL is served by the fake, expires, and holds the file it names.

Each case submits a task through the API, lets the virtual clock finish it, walks every URL in its query
result and downloads it with a plain GET (no Topview headers): the bytes must decode as the media type
the URL's extension promises, with the matching Content-Type.
"""

from __future__ import annotations

import io
import json
import threading
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import anyio.to_thread
import httpx
import mutagen
import pytest
from PIL import Image
from starlette.applications import Starlette
from topview_calls import (
    BASE_URL,
    Materials,
    materials,
    ok,
    op,
    query,
    submit,
)

from mock_server import MockConfig, Progression, TopviewMock
from mock_server.callbacks.policy import DeliveryPolicy
from mock_server.storage import store
from mock_server.storage.media import MediaKind, probe
from mock_server.storage.store import S3_PARAMS

CDN_QUERY = {"Expires", "Signature", "Key-Pair-Id"}
# What a result URL's extension promises: Content-Type, the format probing finds, the media kind.
EXTENSIONS = {
    "mp4": ("video/mp4", "mp4", MediaKind.VIDEO),
    "jpg": ("image/jpeg", "jpeg", MediaKind.IMAGE),
    "png": ("image/png", "png", MediaKind.IMAGE),
    "mp3": ("audio/mpeg", "mp3", MediaKind.AUDIO),
    "wav": ("audio/wav", "wav", MediaKind.AUDIO),
}

Body = Callable[[httpx.AsyncClient, TopviewMock, Materials], Awaitable[dict[str, Any]]]


def plain(body: dict[str, Any] | Callable[[Materials], dict[str, Any]]) -> Body:
    """A body builder from a fixed body or one made from the account's materials."""

    async def build(client: httpx.AsyncClient, mock: TopviewMock, m: Materials) -> dict[str, Any]:
        return body(m) if callable(body) else body

    return build


async def pa_v2_image2video(client: httpx.AsyncClient, mock: TopviewMock, m: Materials) -> dict[str, Any]:
    """A PA v2 image2Video body on a finished PA v2 replace of the account."""
    replace = await submit(
        client, "paV2ReplaceSubmit", {"productImageWithoutBackgroundFileId": m.image, "avatarId": m.product_avatar}
    )
    mock.advance(5)
    image_id = ok(await query(client, "paV2ReplaceQuery", replace))["replaceProductResult"][0]["imageId"]
    return {"replaceProductTaskImageId": image_id, "scriptMode": "audio", "audioFileId": m.audio}


# (submit operationId, body, result fields that must hold a URL)
CASES: dict[str, tuple[str, Body, set[str]]] = {
    "m2v": ("m2vSubmit", plain({"productLink": "https://shop.example.com/cup"}), {"videoUrl", "coverUrl"}),
    "video_avatar": (
        "videoAvatarSubmit",
        plain(lambda m: {"avatarSourceFrom": 0, "videoFileId": m.video, "audioSourceFrom": 0, "audioFileId": m.audio}),
        {"outputVideoUrl"},
    ),
    "text2image": (
        "text2ImageSubmit",
        plain(
            {"model": "Nano Banana 2", "prompt": "A cup.", "aspectRatio": "1:1", "resolution": "2K", "generateCount": 2}
        ),
        {"filePath"},
    ),
    "ai_music": (
        "aiMusicSubmit",
        plain({"model": "Topview Music", "instrumental": True, "styles": "lo-fi hip hop"}),
        {"url"},
    ),
    "text2voice": (
        "text2VoiceSubmit",
        plain(lambda m: {"voiceText": "Welcome to our store, where every cup stays hot.", "voiceId": m.voice}),
        {"demoAudioUrl"},
    ),
    "photo_avatar": (
        "photoAvatarSubmit",
        plain(
            lambda m: {"templateImageFileId": m.image, "mode": "avatar2", "scriptMode": "audio", "audioFileId": m.audio}
        ),
        {"finishedVideoUrl", "finishedVideoCoverUrl"},
    ),
    "pa_v2_image2video": ("paV2Image2VideoSubmit", pa_v2_image2video, {"finishedVideoUrl"}),
    "common_image2video": (
        "commonImage2VideoSubmit",
        plain(lambda m: {"imageFileId": m.image, "duration": 5, "mode": "lite", "generatingCount": 2}),
        {"filePath"},
    ),
    "anyshoot": (
        "anyshootSubmit",
        plain(
            lambda m: {
                "productImageFileId": m.image,
                "templateId": m.template,
                "templateMaskFileId": m.mask,
                "mode": "pro",
                "generatingCount": 2,
            }
        ),
        {"filePath"},
    ),
    "voice_clone": (
        "voiceCloneSubmit",
        plain(lambda m: {"originVoiceFileId": m.audio, "name": "Narrator Anna"}),
        {"demoAudioUrl"},
    ),
}


def urls_in(value: Any, field: str = "") -> Iterator[tuple[str, str]]:
    """Every (field name, value) in a JSON value whose string looks like a URL."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from urls_in(item, key)
    elif isinstance(value, list):
        for item in value:
            yield from urls_in(item, field)
    elif isinstance(value, str) and value.startswith(("http://", "https://")):
        yield field, value


def assert_decodes_as_promised(url: str, response: httpx.Response) -> None:
    """The download is 200 with the Content-Type of its extension and decodes as that media type."""
    assert response.status_code == 200, (url, response.text)
    extension = urlsplit(url).path.rsplit(".", 1)[-1]
    content_type, fmt, kind = EXTENSIONS[extension]
    assert response.headers["content-type"] == content_type, url
    assert response.headers["content-length"] == str(len(response.content))
    info = probe(response.content)
    assert info is not None and (info.format, info.kind) == (fmt, kind), (url, info)
    if kind is MediaKind.IMAGE:
        with Image.open(io.BytesIO(response.content)) as image:
            image.load()  # decode the pixels, not only the header
            assert image.format == fmt.upper() and image.width > 0 and image.height > 0
    else:
        parsed = mutagen.File(io.BytesIO(response.content))
        assert parsed is not None and parsed.info.length > 0, url
        if kind is MediaKind.VIDEO:
            assert info.width and info.height  # a real video track, not audio in an mp4 box


def s3_error(response: httpx.Response) -> dict[str, str]:
    """The fields of an S3 (or CloudFront) XML error body."""
    assert response.headers["content-type"] == "application/xml"
    return {child.tag: child.text or "" for child in ET.fromstring(response.content)}


@pytest.fixture
async def bare(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the fake with no Topview headers at all: what a browser or a downloader sends."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app)) as client:
        yield client


async def finished(client: httpx.AsyncClient, mock: TopviewMock, case: str, **params: Any) -> dict[str, Any]:
    """Submit the case's task, move the clock past its end, and return its query result."""
    submit_id, build, _ = CASES[case]
    m = await materials(client, mock)
    task_id = await submit(client, submit_id, await build(client, mock, m))
    mock.advance(10)
    envelope = await op(client, mock.table.by_submit[submit_id].query, params={"taskId": task_id, **params})
    result: dict[str, Any] = ok(envelope)
    assert result["status"] == "success", result
    return result


@pytest.mark.anyio
@pytest.mark.parametrize("cdn", [False, True], ids=["s3", "cloudfront"])
@pytest.mark.parametrize("case", CASES)
async def test_every_result_url_downloads_as_the_media_its_extension_names(
    client: httpx.AsyncClient, bare: httpx.AsyncClient, mock: TopviewMock, case: str, cdn: bool
) -> None:
    """Plain GET, no auth: each URL gives a small valid file of its type; needCloudFrontUrl gives the CDN form."""
    params = {"needCloudFrontUrl": "true"} if cdn else {}
    result = await finished(client, mock, case, **params)
    found = list(urls_in(result))
    assert CASES[case][2] <= {field for field, _ in found}, found
    for _, url in found:
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == BASE_URL
        assert parts.path.startswith("/_cdn/" if cdn else "/_objects/"), url
        signed = parse_qs(parts.query)
        assert set(signed) == (CDN_QUERY if cdn else set(S3_PARAMS))
        if not cdn:
            assert signed["X-Amz-Expires"] == [str(mock.config.result_url_seconds)]
        assert_decodes_as_promised(url, await bare.get(url))


@pytest.mark.anyio
async def test_m2v_export_videos_download_too(
    client: httpx.AsyncClient, bare: httpx.AsyncClient, mock: TopviewMock
) -> None:
    """A preview m2v task's previews, then its exported video after m2vExport, are all served."""
    task_id = await submit(client, "m2vSubmit", {"productLink": "https://shop.example.com/cup", "preview": True})
    mock.advance(10)
    preview = ok(await query(client, "m2vQuery", task_id))
    assert {"videoUrl", "coverUrl"} <= {field for field, _ in urls_in(preview["previewVideos"])}
    assert ok(await op(client, "m2vExport", body={"taskId": task_id, "scriptId": 0}))["taskId"] == task_id
    mock.advance(10)
    exported = ok(await query(client, "m2vQuery", task_id))
    assert {"videoUrl", "coverUrl"} <= {field for field, _ in urls_in(exported["exportVideos"])}
    for _, url in urls_in(exported):
        assert_decodes_as_promised(url, await bare.get(url))


@pytest.mark.anyio
@pytest.mark.parametrize(
    "config",
    [MockConfig(seed=0, progression=Progression("time", init=1, running=3), result_url_seconds=600)],
    ids=["600s"],
)
@pytest.mark.parametrize("cdn", [False, True], ids=["s3", "cloudfront"])
async def test_result_urls_expire_with_the_virtual_clock(
    client: httpx.AsyncClient, bare: httpx.AsyncClient, mock: TopviewMock, cdn: bool
) -> None:
    """Valid through result_url_seconds, then 403 AccessDenied; a new query signs fresh, working URLs."""
    params = {"needCloudFrontUrl": "true"} if cdn else {}
    result = await finished(client, mock, "text2image", **params)
    urls = [url for _, url in urls_in(result)]
    mock.advance(600)
    for url in urls:
        assert (await bare.get(url)).status_code == 200
    mock.advance(1)
    for url in urls:
        response = await bare.get(url)
        assert response.status_code == 403, url
        error = s3_error(response)
        assert error["Code"] == "AccessDenied"
        if not cdn:
            assert error["Message"] == "Request has expired"
    again = ok(await op(client, "text2ImageQuery", params={"taskId": result["taskId"], **params}))
    fresh = [url for _, url in urls_in(again)]
    assert len(fresh) == len(urls) and set(fresh).isdisjoint(urls)
    for url in fresh:
        assert_decodes_as_promised(url, await bare.get(url))


@pytest.mark.anyio
async def test_result_urls_in_callbacks_are_served_by_the_fake(
    client: httpx.AsyncClient, bare: httpx.AsyncClient, mock: TopviewMock
) -> None:
    """The callback's result carries the same kind of URLs as the query: on the API's host, downloadable."""
    mock.notices.policy = DeliveryPolicy(extra_delay=10_000)  # journalled now, never sent during the test
    body = {
        "model": "Nano Banana 2",
        "prompt": "A cup.",
        "aspectRatio": "1:1",
        "resolution": "2K",
        "noticeUrl": "http://127.0.0.1:8080/notice",
    }
    task_id = await submit(client, "text2ImageSubmit", body)
    mock.advance(10)
    (delivery,) = mock.notices.journal(task_id=task_id)
    urls = [url for _, url in urls_in(json.loads(delivery.body["result"]))]
    assert urls
    for url in urls:
        assert url.startswith(f"{BASE_URL}/_objects/"), url
        assert_decodes_as_promised(url, await bare.get(url))
    await mock.notices.aclose()


@pytest.mark.anyio
@pytest.mark.parametrize(("aspect", "size"), [("16:9", (1920, 1080)), ("9:16", (1080, 1920)), ("1:1", (1080, 1080))])
async def test_result_images_have_the_size_their_result_reports(
    client: httpx.AsyncClient, bare: httpx.AsyncClient, mock: TopviewMock, aspect: str, size: tuple[int, int]
) -> None:
    """A generated image decodes at the width and height its images[] item states."""
    body = {"model": "Nano Banana", "prompt": "A red mug on a desk", "aspectRatio": aspect, "generateCount": 2}
    task_id = await submit(client, "text2ImageSubmit", body)
    mock.advance(10)
    result = ok(await op(client, "text2ImageQuery", params={"taskId": task_id}))
    assert len(result["images"]) == 2
    for image in result["images"]:
        assert (image["width"], image["height"]) == size
        with Image.open(io.BytesIO((await bare.get(image["filePath"])).content)) as decoded:
            assert decoded.size == size


@pytest.mark.anyio
@pytest.mark.parametrize(("resolution", "size"), [("1K", (1024, 576)), ("2K", (2048, 1152))])
async def test_image_resolution_names_the_long_side(
    client: httpx.AsyncClient, bare: httpx.AsyncClient, mock: TopviewMock, resolution: str, size: tuple[int, int]
) -> None:
    """1K / 2K images come back with that long side, in the requested aspect ratio."""
    body = {"model": "Nano Banana 2", "prompt": "A red mug", "aspectRatio": "16:9", "resolution": resolution}
    task_id = await submit(client, "text2ImageSubmit", body)
    mock.advance(10)
    [image] = ok(await op(client, "text2ImageQuery", params={"taskId": task_id}))["images"]
    assert (image["width"], image["height"]) == size
    with Image.open(io.BytesIO((await bare.get(image["filePath"])).content)) as decoded:
        assert decoded.size == size


@pytest.mark.anyio
async def test_a_result_file_is_made_off_the_event_loop(
    client: httpx.AsyncClient, bare: httpx.AsyncClient, mock: TopviewMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a large result file is being made, other requests are answered: the maker runs in a thread.

    The maker is held on an event this test controls. Made on the event loop, it would block the loop, so
    the request below could not be answered until the maker gave up waiting (and the test fails).
    """
    result = await finished(client, mock, "m2v")
    url = next(url for field, url in urls_in(result) if field == "videoUrl")
    making, release = threading.Event(), threading.Event()
    released = []
    make = store.sample

    def held(*args: Any, **kwargs: Any) -> bytes:
        making.set()
        released.append(release.wait(60))
        return make(*args, **kwargs)

    monkeypatch.setattr(store, "sample", held)
    downloads: list[httpx.Response] = []

    async def download() -> None:
        downloads.append(await bare.get(url))

    async with anyio.create_task_group() as group:
        group.start_soon(download)
        group.start_soon(download)  # a second download of the same file waits for the first one's making
        assert await anyio.to_thread.run_sync(making.wait, 60)
        assert ok(await op(client, "userCreditDetail"))["remainCredit"] is not None  # answered meanwhile
        assert downloads == []
        release.set()
    assert released == [True]  # made once, and let go by this test, not by its own timeout
    assert downloads[0].content == downloads[1].content
    assert_decodes_as_promised(url, downloads[0])
