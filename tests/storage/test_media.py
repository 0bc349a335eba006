"""Media probing and sample files: facts come from real bytes, samples are real files."""

from __future__ import annotations

import io

import mutagen
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from mock_server.storage.media import (
    FORMAT_KINDS,
    MediaInfo,
    MediaKind,
    canonical_format,
    matches,
    mime_type,
    probe,
    sample,
    shipped_sample,
    silence,
)

SAMPLE_FORMATS = {
    "png": MediaKind.IMAGE,
    "jpeg": MediaKind.IMAGE,
    "webp": MediaKind.IMAGE,
    "bmp": MediaKind.IMAGE,
    "mp4": MediaKind.VIDEO,
    "mov": MediaKind.VIDEO,
    "avi": MediaKind.VIDEO,
    "mp3": MediaKind.AUDIO,
    "wav": MediaKind.AUDIO,
    "m4a": MediaKind.AUDIO,
}


@pytest.mark.parametrize(("fmt", "kind"), SAMPLE_FORMATS.items())
def test_probe_identifies_every_sample_format(fmt: str, kind: MediaKind) -> None:
    """Each sample probes as its own format and kind, and matches its declared format."""
    info = probe(sample(fmt))
    assert info is not None
    assert (info.format, info.kind) == (fmt, kind)
    assert matches(fmt, info)


@pytest.mark.parametrize("fmt", ["png", "jpg", "jpeg", "webp", "bmp"])
def test_image_samples_have_the_requested_size(fmt: str) -> None:
    """Pillow opens an image sample at exactly the size asked for."""
    data = sample(fmt, width=320, height=180)
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (320, 180)
    assert probe(data) == MediaInfo(MediaKind.IMAGE, canonical_format(fmt), 320, 180)


@pytest.mark.parametrize("fmt", ["mp4", "mov"])
def test_video_samples_report_size_and_duration(fmt: str) -> None:
    """Videos give width and height from their video track and a duration from mutagen."""
    info = probe(sample(fmt))
    assert info is not None
    assert (info.width, info.height) == (64, 64)
    assert info.duration_seconds == pytest.approx(1.0, abs=0.2)


def test_avi_is_recognised_without_size_or_duration() -> None:
    """AVI is accepted on its RIFF signature alone; nothing in Pillow or mutagen reads it."""
    assert probe(sample("avi")) == MediaInfo(MediaKind.VIDEO, "avi")


@pytest.mark.parametrize("seconds", [0.5, 2.0, 37.25])
def test_silent_wav_lasts_exactly_as_asked(seconds: float) -> None:
    """mutagen reads the WAV helper's duration back exactly."""
    parsed = mutagen.File(io.BytesIO(silence(seconds)))
    assert parsed is not None
    assert parsed.info.length == pytest.approx(seconds)


@pytest.mark.parametrize("seconds", [1.0, 10.0, 60.0])
def test_silent_mp3_lasts_about_as_asked(seconds: float) -> None:
    """MP3 silence is whole copies of the shipped clip, within one clip of the request."""
    info = probe(silence(seconds, format="mp3"))
    assert info is not None and info.format == "mp3"
    assert info.duration_seconds == pytest.approx(seconds, abs=1.1)


def test_sample_by_kind_uses_the_default_format() -> None:
    """Asking for a kind gives png, mp4 or mp3."""
    formats = {kind: probe(sample(kind)) for kind in MediaKind}
    assert {kind: info and info.format for kind, info in formats.items()} == {
        MediaKind.IMAGE: "png",
        MediaKind.VIDEO: "mp4",
        MediaKind.AUDIO: "mp3",
    }
    assert probe(sample("audio", seconds=3.0)) == probe(silence(3.0, format="mp3"))


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"hello world",
        b"\x00" * 4096,
        b"RIFF\x00\x00\x00\x00WAVEjunk",
        b"\x00\x00\x00\x20ftypisom" + b"\x00" * 24,
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 32,
        b"ID3\x04\x00\x00\x00\x00\x00\x00",
        b"<html><body>not media</body></html>",
    ],
)
def test_probe_rejects_garbage(garbage: bytes) -> None:
    """Bytes that are not a readable media file probe as None."""
    assert probe(garbage) is None


@settings(max_examples=200, deadline=None)
@given(
    fmt=st.sampled_from(sorted(SAMPLE_FORMATS)),
    cut=st.integers(min_value=0, max_value=4096),
    flips=st.lists(st.tuples(st.integers(0, 4095), st.integers(0, 255)), max_size=8),
)
def test_probe_never_raises_on_damaged_files(fmt: str, cut: int, flips: list[tuple[int, int]]) -> None:
    """Truncated or corrupted samples probe as something or None, never as an exception."""
    data = bytearray(sample(fmt)[:cut])
    for index, value in flips:
        if index < len(data):
            data[index] = value
    info = probe(bytes(data))
    assert info is None or info.kind in MediaKind


@pytest.mark.parametrize(
    ("declared", "fmt", "expected"),
    [
        ("jpg", "jpeg", True),
        ("JPEG", "jpeg", True),
        ("png", "png", True),
        ("mp4", "mov", False),
        ("mp4", "m4a", False),
        ("png", "jpeg", False),
        ("gif", "gif", False),  # a readable image, but not an upload format
    ],
)
def test_matches_compares_declared_and_probed_format(declared: str, fmt: str, expected: bool) -> None:
    """jpg and jpeg are one format; anything else must be exactly what was declared."""
    info = MediaInfo(MediaKind.IMAGE, fmt)
    assert matches(declared, info) is expected


def test_matches_refuses_unprobeable_bytes() -> None:
    """Nothing matches bytes that did not probe."""
    assert not matches("png", None)


def test_upload_formats_are_the_documented_ones() -> None:
    """FORMAT_KINDS lists exactly Topview's upload formats."""
    assert set(FORMAT_KINDS) == {
        "mp4", "mov", "avi", "png", "jpg", "jpeg", "bmp", "webp", "mp3", "wav", "m4a",
    }  # fmt: skip
    assert all(FORMAT_KINDS[fmt] is kind for fmt, kind in SAMPLE_FORMATS.items())


def test_mime_types() -> None:
    """Result files are served with the usual Content-Type for their format."""
    assert mime_type("jpg") == mime_type("jpeg") == "image/jpeg"
    assert mime_type("mov") == "video/quicktime"
    assert mime_type("mp3") == "audio/mpeg"
    assert mime_type("xyz") == "application/octet-stream"


@pytest.mark.parametrize(
    "call",
    [
        lambda: sample("gif"),
        lambda: sample("png", width=0),
        lambda: silence(-1),
        lambda: silence(float("nan")),
        lambda: silence(1, format="ogg"),
        lambda: shipped_sample("png"),
    ],
)
def test_impossible_samples_are_refused(call: object) -> None:
    """Unknown formats, empty images and negative durations raise ValueError."""
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]
