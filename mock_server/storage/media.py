"""Media facts read from real bytes (Pillow, mutagen) and small valid sample files."""

from __future__ import annotations

import io
import math
import struct
import wave
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from .videos import video

if TYPE_CHECKING:
    from mutagen.mp4._atom import Atom, Atoms

# Pillow (pictures) and mutagen take a while to import: they are imported when a file is first made or read.


class MediaKind(StrEnum):
    """What a media file is, as Topview's upload formats group them."""

    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What probing a file found; fields that do not apply to the kind are None."""

    kind: MediaKind
    format: str
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None


FORMAT_KINDS: Final = MappingProxyType(
    {
        "mp4": MediaKind.VIDEO,
        "mov": MediaKind.VIDEO,
        "avi": MediaKind.VIDEO,
        "png": MediaKind.IMAGE,
        "jpg": MediaKind.IMAGE,
        "jpeg": MediaKind.IMAGE,
        "bmp": MediaKind.IMAGE,
        "webp": MediaKind.IMAGE,
        "mp3": MediaKind.AUDIO,
        "wav": MediaKind.AUDIO,
        "m4a": MediaKind.AUDIO,
    }
)
"""Topview's upload formats (``format`` of the upload credential) and their kind."""

DEFAULT_FORMATS: Final = MappingProxyType({MediaKind.IMAGE: "png", MediaKind.VIDEO: "mp4", MediaKind.AUDIO: "mp3"})
"""The format :func:`sample` produces when asked for a kind rather than a format."""

MIME_TYPES: Final = MappingProxyType(
    {
        "png": "image/png",
        "jpeg": "image/jpeg",
        "webp": "image/webp",
        "bmp": "image/bmp",
        "gif": "image/gif",
        "tiff": "image/tiff",
        "mp4": "video/mp4",
        "mov": "video/quicktime",
        "avi": "video/x-msvideo",
        "mp3": "audio/mpeg",
        "wav": "audio/wav",
        "m4a": "audio/mp4",
    }
)
"""The Content-Type a result file of each canonical format is served with."""

_PILLOW_FORMATS: Final = ("PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF")
_ALIASES: Final = MappingProxyType({"jpg": "jpeg", "tif": "tiff"})
# media_samples/ was made once with ffmpeg (not a dependency): a 64x64 10 fps flat colour for one
# second, H.264 (CRF 35) + 8 kHz mono AAC for mp4/mov, AAC alone for m4a, MJPEG for avi, and for mp3
# 22.05 kHz mono CBR 32 kbit/s silence written without ID3 or Xing headers (see silence()).
_SHIPPED: Final = frozenset({"mp4", "mov", "m4a", "avi", "mp3"})
_SAMPLE_COLOUR: Final = (42, 157, 143)
_WAV_RATE: Final = 8000


def canonical_format(name: str) -> str:
    """Lower-case a format name, drop a leading dot and fold aliases (jpg -> jpeg)."""
    name = name.strip().lower().removeprefix(".")
    return _ALIASES.get(name, name)


def mime_type(fmt: str) -> str:
    """The Content-Type for a format name (jpg and jpeg alike); octet-stream if unknown."""
    return MIME_TYPES.get(canonical_format(fmt), "application/octet-stream")


def probe(data: bytes) -> MediaInfo | None:
    """Identify an image, video or audio file from its bytes; None when it is none of them."""
    return _probe_image(data) or _probe_avi(data) or _probe_mutagen(data)


def matches(declared_format: str, info: MediaInfo | None) -> bool:
    """Whether probed bytes are what the upload credential's ``format`` said they would be.

    Strict on purpose: a QuickTime file declared ``mp4`` does not match, and neither does an
    audio-only MPEG-4 (which probes as ``m4a``).
    """
    declared = declared_format.strip().lower().removeprefix(".")
    if info is None or declared not in FORMAT_KINDS:
        return False
    return canonical_format(declared) == info.format


def sample(
    kind_or_format: MediaKind | str,
    *,
    width: int | None = None,
    height: int | None = None,
    seconds: float | None = None,
    look: str | None = None,
    seed: str = "",
) -> bytes:
    """A valid file of a kind or format.

    Images honour ``width``/``height`` (64x64 by default): flat-coloured, or with a ``look`` (photo,
    cutout, mask) a seeded picture that looks and weighs like a photo (``pictures``). WAV or MP3 honour
    ``seconds`` (1 s by default; MP3 in whole clips of about 1.07 s). MP4 asked with a size or a length
    is made to measure (``videos``, seeded); otherwise MP4, MOV, M4A and AVI are the shipped 1-second
    64x64 samples.
    """
    fmt = _format_for(kind_or_format)
    if fmt in ("png", "jpeg", "webp", "bmp"):
        width, height = 64 if width is None else width, 64 if height is None else height
        if look is None:
            return _image(fmt, width, height)
        from .pictures import picture

        return picture(fmt, width, height, look=look, seed=seed)
    if fmt in ("wav", "mp3"):
        return silence(1.0 if seconds is None else seconds, format=fmt)
    if fmt == "mp4" and (width, height, seconds) != (None, None, None):
        return video(width or 64, height or 64, 1.0 if seconds is None else seconds, seed=seed)
    if fmt in _SHIPPED:
        return shipped_sample(fmt)
    raise ValueError(f"no sample for {kind_or_format!r}")


def silence(seconds: float, *, format: str = "wav") -> bytes:
    """Silent audio lasting ``seconds``: exact for WAV, whole repeats of the shipped clip for MP3."""
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("seconds must be a finite, non-negative number")
    fmt = canonical_format(format)
    if fmt == "wav":
        return _silent_wav(seconds)
    if fmt == "mp3":
        # The clip is bare CBR frames (no ID3, no Xing header) and its first frame does not lean on
        # a bit reservoir, so copies placed end to end are still a valid stream.
        clip = shipped_sample("mp3")
        info = probe(clip)
        clip_seconds = info.duration_seconds if info else None
        return clip * max(1, round(seconds / (clip_seconds or 1.0)))
    raise ValueError(f"silence comes as wav or mp3, not {format!r}")


def shipped_sample(fmt: str) -> bytes:
    """The bytes of a sample file shipped in ``media_samples/`` (mp4, mov, m4a, avi, mp3)."""
    fmt = canonical_format(fmt)
    if fmt not in _SHIPPED:
        raise ValueError(f"no shipped sample for {fmt!r}")
    return (resources.files(__package__ or "mock_server") / "media_samples" / f"sample.{fmt}").read_bytes()


def _format_for(kind_or_format: MediaKind | str) -> str:
    """The concrete format :func:`sample` should produce."""
    if isinstance(kind_or_format, MediaKind):
        return DEFAULT_FORMATS[kind_or_format]
    name = canonical_format(kind_or_format)
    try:
        return DEFAULT_FORMATS[MediaKind(name)]
    except ValueError:
        return name


def _image(fmt: str, width: int, height: int) -> bytes:
    """A flat-coloured image of the given size."""
    if width < 1 or height < 1:
        raise ValueError("image width and height must be positive")
    from PIL import Image  # Pillow takes a while to import: only when an image is made or read

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), _SAMPLE_COLOUR).save(buffer, format=fmt.upper())
    return buffer.getvalue()


def _silent_wav(seconds: float) -> bytes:
    """Mono 16-bit 8 kHz silence."""
    frames = round(seconds * _WAV_RATE)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(_WAV_RATE)
        out.writeframes(bytes(frames * 2))
    return buffer.getvalue()


def _probe_image(data: bytes) -> MediaInfo | None:
    """Pillow reads the header only; pixel data is never decoded."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS) as image:
            fmt, (width, height) = image.format, image.size
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    if fmt is None:
        return None
    return MediaInfo(MediaKind.IMAGE, fmt.lower(), width, height)


def _probe_avi(data: bytes) -> MediaInfo | None:
    """Pillow and mutagen cannot read AVI, so only its RIFF signature is checked."""
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"AVI ":
        return MediaInfo(MediaKind.VIDEO, "avi")
    return None


def _probe_mutagen(data: bytes) -> MediaInfo | None:
    """MPEG-4 family, WAV and MP3 through mutagen."""
    import mutagen
    from mutagen.mp3 import MP3
    from mutagen.mp4 import MP4, MP4StreamInfoError
    from mutagen.wave import WAVE

    try:
        parsed = mutagen.File(io.BytesIO(data), options=[MP4, WAVE, MP3])
    except (
        mutagen.MutagenError,
        MP4StreamInfoError,
        struct.error,
        ValueError,
        EOFError,
    ):
        return None
    if parsed is None:
        return None
    length = float(parsed.info.length)
    if isinstance(parsed, WAVE):
        return MediaInfo(MediaKind.AUDIO, "wav", duration_seconds=length)
    if isinstance(parsed, MP3):
        return MediaInfo(MediaKind.AUDIO, "mp3", duration_seconds=length)
    return _mpeg4_info(data, length)


def _mpeg4_info(data: bytes, length: float) -> MediaInfo | None:
    """Tell mp4, mov and m4a apart: a video track makes video, brand 'qt  ' makes mov."""
    import mutagen

    # mutagen's own MPEG-4 box reader, which mutagen.mp4 uses but does not re-export.
    from mutagen.mp4._atom import AtomError, Atoms

    fileobj = io.BytesIO(data)
    try:
        atoms = Atoms(fileobj)
        brand = _atom_payload(atoms, fileobj, (b"ftyp",))[:4]
        tracks = atoms[b"moov",].findall(b"trak")
        size = next(
            (_track_size(track, fileobj) for track in tracks if _handler(track, fileobj) == b"vide"),
            None,
        )
    except (
        mutagen.MutagenError,
        AtomError,
        KeyError,
        struct.error,
        ValueError,
        EOFError,
    ):
        return None
    if size is None:
        return MediaInfo(MediaKind.AUDIO, "m4a", duration_seconds=length)
    fmt = "mov" if brand == b"qt  " else "mp4"
    return MediaInfo(MediaKind.VIDEO, fmt, size[0] or None, size[1] or None, length)


def _atom_payload(atoms: Atoms, fileobj: io.BytesIO, path: tuple[bytes, ...]) -> bytes:
    """The data of the atom at ``path``, or empty bytes when it is absent."""
    try:
        ok, payload = atoms[path].read(fileobj)
    except KeyError:
        return b""
    return bytes(payload) if ok else b""


def _handler(track: Atom, fileobj: io.BytesIO) -> bytes:
    """A track's handler type (``vide``, ``soun``, ...) from its hdlr box."""
    ok, payload = track[b"mdia", b"hdlr"].read(fileobj)
    return bytes(payload[8:12]) if ok else b""


def _track_size(track: Atom, fileobj: io.BytesIO) -> tuple[int, int]:
    """A track's presentation width and height, 16.16 fixed point at the end of its tkhd box."""
    ok, payload = track[b"tkhd",].read(fileobj)
    if not ok or len(payload) < 8:
        return (0, 0)
    width, height = struct.unpack(">II", payload[-8:])
    return (width >> 16, height >> 16)
