"""Result media: the markers results carry, and the presigned URLs they become when a response is written.

A task's stored result holds :class:`Media` markers, never URLs: URLs depend on who asks (the request's
base URL, ``needCloudFrontUrl``) and on the clock (they expire). The file behind a marker is made on
its first download, at the size the result reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..engine.clock import Clock
from .buckets import StoredObject
from .store import ObjectStore

MAX_CACHED_URLS = 4096


@dataclass(frozen=True, slots=True)
class Media:
    """A result file the fake serves; rendered into an expiring URL when a response is written."""

    key: str
    kind: str  # video | image | audio
    format: str  # mp4 | jpg | png | mp3 | wav
    width: int | None = None  # images and videos are served at the size their result reports
    height: int | None = None
    seconds: float | None = None  # videos and audio last as long as their result reports
    look: str = "photo"  # images: photo, cutout (transparent background) or mask (pictures.LOOKS)


class ResultLinks:
    """Signs result media into URLs on the fake's store and makes each file when it is first downloaded."""

    def __init__(self, store: ObjectStore, clock: Clock, seconds: int) -> None:
        self.store = store
        self.clock = clock
        self.seconds = seconds
        self._signed: dict[tuple[str, str, bool, int], str] = {}
        self._media: dict[str, Media] = {}  # result media handed out, by object key
        self.on_media: Callable[[Media], None] | None = None  # told of each marker handed out (persistence)
        store.fallback = self.materialise

    def url_for(self, base_url: str, *, cdn: bool) -> Callable[[Media], str]:
        """A function rendering result media into presigned (or CloudFront-style) URLs on ``base_url``."""

        def url(media: Media) -> str:
            # Signing dominates the query of a finished task. A signed URL depends only on these inputs
            # and the clock's whole second, so polls within one second reuse it (bounded, reset clears it).
            cache_key = (base_url, media.key, cdn, int(self.clock.now()))
            signed = self._signed.get(cache_key)
            if signed is None:
                if len(self._signed) >= MAX_CACHED_URLS:
                    self._signed.clear()
                if media.key not in self._media:  # made on first download (materialise)
                    self._media[media.key] = media
                    if self.on_media is not None:
                        self.on_media(media)
                signed = self._signed[cache_key] = self.store.presign_get(base_url, media.key, self.seconds, cdn=cdn)
            return signed

        return url

    def materialise(self, key: str) -> StoredObject | None:
        """A valid file for result media handed out under ``key`` (images at their reported size)."""
        media = self._media.get(key)
        if media is None:
            return None
        look = media.look if media.kind == "image" else None
        return self.store.ensure_sample(
            key, media.format, width=media.width, height=media.height, seconds=media.seconds, look=look
        )

    def adopt(self, media: Media) -> None:
        """Know a marker handed out before a restart, so its URL still downloads."""
        self._media.setdefault(media.key, media)

    def reset(self) -> None:
        """Forget every URL and media marker handed out."""
        self._signed.clear()
        self._media.clear()
