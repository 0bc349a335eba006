"""What a result's media must agree with in the result itself: sizes, picture looks and lengths.

A client trusts what a query reports: ``width``/``height`` for the aspect ratio it asked, a
background-removed image with a transparent background beside its mask, a video as long as its
``duration``. The filler sizes and labels the :class:`Media` markers it makes with these functions,
and :func:`fit_lengths` gives every video and audio marker the length its own object reports.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, Final

from ..storage.links import Media

# Sizes Topview answers for the common ratios; any other "w:h" ratio gets 1080 on its short side.
ASPECT_SIZES: Final = {
    "9:16": (1080, 1920),
    "16:9": (1920, 1080),
    "1:1": (1080, 1080),
    "3:4": (1080, 1440),
    "4:3": (1440, 1080),
    "21:9": (2520, 1080),
    "2:3": (1024, 1536),
    "3:2": (1536, 1024),
}
DEFAULT_SIZE: Final = (1080, 1920)  # no ratio asked (or "auto"): a portrait video, as most tasks make
SHORT_SIDE: Final = 1080
_RATIO: Final = re.compile(r"\s*(\d{1,3}(?:\.\d{1,3})?)\s*:\s*(\d{1,3}(?:\.\d{1,3})?)\s*")

# Fields reporting a length, and what one unit of each is in seconds (videoDuration is in
# microseconds: the one real payload only fits that unit, see the reference README).
LENGTH_UNITS: Final = {"videoDuration": 1e-6, "outputDuration": 1e-3, "duration": 1.0, "durations": 1.0}


def aspect_size(ratio: Any) -> tuple[int, int]:
    """The pixel size of an aspect ratio ("4:5" is 1080x1350, "9:19.5" 1080x2340), its own for every ratio."""
    known = ASPECT_SIZES.get(str(ratio))
    if known is not None:
        return known
    match = _RATIO.fullmatch(str(ratio)) if ratio is not None else None
    if match is None or not (float(match[1]) > 0 and float(match[2]) > 0):
        return DEFAULT_SIZE
    across, down = float(match[1]), float(match[2])
    if across >= down:
        return _even(SHORT_SIDE * across / down), SHORT_SIDE
    return SHORT_SIDE, _even(SHORT_SIDE * down / across)


@cache  # field names, judged once each
def look_of(name: str) -> str:
    """How a result picture named ``name`` looks: a mask, a cutout (transparent background) or a photo."""
    lowered = name.lower()
    if "mask" in lowered:
        return "mask"
    if any(word in lowered for word in ("bgremoved", "withoutbackground", "nobackground", "cutout")):
        return "cutout"
    return "photo"


def fit_lengths(node: Any) -> Any:
    """``node`` with each video and audio marker as long as the length its own object reports."""
    if isinstance(node, list):
        return [fit_lengths(item) for item in node]
    if not isinstance(node, dict):
        return node
    seconds = None
    for name, value in node.items():
        if name in LENGTH_UNITS and isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            seconds = float(value) * LENGTH_UNITS[name]
            break
    out = {}
    for name, value in node.items():
        if isinstance(value, Media):
            if seconds is not None and value.kind in ("video", "audio"):
                value = Media(value.key, value.kind, value.format, value.width, value.height, seconds, value.look)
        elif isinstance(value, dict | list):
            value = fit_lengths(value)
        out[name] = value
    return out


def _even(size: float) -> int:
    """A pixel count rounded to the nearest even number (video frames need even sides)."""
    return 2 * round(size / 2)
