"""Result media agree with their result: every aspect ratio its own size, pictures that look and weigh
like photos, a background removal with a transparent background beside a different mask, videos as long
as their result reports."""

from __future__ import annotations

import io
from fractions import Fraction
from typing import Any

import httpx
import pytest
from PIL import Image
from topview_calls import finished_task, materials, ok, query, submit

from mock_server import TopviewMock
from mock_server.contract.models import ModelCatalogue
from mock_server.contract.result_media import aspect_size
from mock_server.storage.media import probe

pytestmark = pytest.mark.anyio


def catalogue_ratios() -> list[str]:
    """Every aspect ratio a model table lists."""
    tables = ModelCatalogue().tables
    found = {
        str(ratio)
        for table in ("text2video", "image2video_v2", "omni_reference", "text2image", "image_edit")
        for model in tables[table]
        if isinstance(model.get("aspectRatio"), list)
        for ratio in model["aspectRatio"]
        if ratio != "auto"
    }
    return sorted(found)


def test_every_catalogue_aspect_ratio_has_its_own_size() -> None:
    """4:5 is 1080x1350 (not 9:16's 1080x1920); each ratio's size has exactly that ratio."""
    sizes = {ratio: aspect_size(ratio) for ratio in catalogue_ratios()}
    assert sizes["4:5"] == (1080, 1350)
    assert len(set(sizes.values())) == len(sizes), sizes
    for ratio, (width, height) in sizes.items():
        across, down = (Fraction(part) for part in ratio.split(":"))
        assert abs(width / height - across / down) < 0.01, (ratio, width, height)


async def download(client: httpx.AsyncClient, url: str) -> bytes:
    """A result URL's bytes (a plain GET, as clients fetch them)."""
    response = await client.get(url)
    assert response.status_code == 200, response.text
    return response.content


async def test_a_4_5_image_comes_back_4_5_and_weighs_like_a_photo(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Nano Banana 2 at 4:5 and 1K: the result says 820x1024, the file is that size, photo-like and >= 20 KB."""
    body = {"model": "Nano Banana 2", "prompt": "A cup on marble.", "aspectRatio": "4:5", "resolution": "1K"}
    _, result = await finished_task(client, mock, "text2ImageSubmit", body)
    image = result["images"][0]
    assert (image["width"], image["height"]) == (820, 1024)
    data = await download(client, image["filePath"])
    assert len(data) >= 20 * 1024, len(data)
    with Image.open(io.BytesIO(data)) as picture:
        assert picture.size == (820, 1024)
        colours = picture.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 5000, "a photo has many colours, not a flat fill"


async def test_background_removal_gives_a_transparent_cutout_and_a_different_mask(
    client: httpx.AsyncClient, mock: TopviewMock
) -> None:
    """The removed-background image has an alpha channel (transparent outside the subject) unlike its mask."""
    m = await materials(client, mock)
    _, result = await finished_task(client, mock, "removeBackgroundSubmit", {"productImageFileId": m.image})
    cutout_bytes = await download(client, result["bgRemovedImagePath"])
    mask_bytes = await download(client, result["maskImagePath"])
    assert cutout_bytes != mask_bytes
    with Image.open(io.BytesIO(cutout_bytes)) as cutout, Image.open(io.BytesIO(mask_bytes)) as mask:
        assert cutout.mode == "RGBA" and (cutout.width, cutout.height) == (
            result["bgRemovedImageWidth"],
            result["bgRemovedImageHeight"],
        )
        alpha = cutout.getchannel("A")
        assert alpha.getextrema() == (0, 255), "transparent background, opaque subject"
        assert mask.mode in ("L", "1") and mask.size == cutout.size
        assert alpha.point(lambda v: 255 if v else 0).tobytes() == mask.convert("L").tobytes()


async def test_generated_videos_last_their_reported_duration(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """text2video at 8 s: the video downloads as an 8 s H.264 MP4 of the reported size."""
    body = {
        "model": "Seedance 1.5 Pro",
        "prompt": "A cup turns.",
        "aspectRatio": "16:9",
        "resolution": 720,
        "duration": 8,
    }
    _, result = await finished_task(client, mock, "text2VideoSubmit", body)
    video = result["videos"][0]
    info = probe(await download(client, video["filePath"]))
    assert info is not None and info.format == "mp4"
    assert info.duration_seconds == pytest.approx(video["duration"]) == 8
    assert (info.width, info.height) == (video["width"], video["height"]) == (1280, 720)


async def test_m2v_videos_last_their_video_duration_in_microseconds(
    client: httpx.AsyncClient, mock: TopviewMock
) -> None:
    """m2v's videoDuration 36096000 (µs): the exported video lasts 36.096 s."""
    _, result = await finished_task(client, mock, "m2vSubmit", {"productLink": "https://shop.example.com/cup"})
    video = result["exportVideos"][0]
    info = probe(await download(client, video["videoUrl"]))
    assert info is not None and info.duration_seconds == pytest.approx(video["videoDuration"] / 1_000_000)


async def test_video_object_removal_lasts_its_output_duration_in_milliseconds(
    client: httpx.AsyncClient, mock: TopviewMock
) -> None:
    """outputDuration is in milliseconds; the output video is that long."""
    m = await materials(client, mock)
    box = {"x": 10, "y": 10, "w": 30, "h": 30}
    body: dict[str, Any] = {"mode": "clear-inside", "videoFileId": m.video, "selectionBox": box}
    task_id = await submit(client, "videoObjectRemoveSubmit", body)
    mock.advance(10)
    result = ok(await query(client, "videoObjectRemoveQuery", task_id))
    info = probe(await download(client, result["outputVideoUrl"]))
    assert info is not None and info.duration_seconds == pytest.approx(result["outputDuration"] / 1000)
