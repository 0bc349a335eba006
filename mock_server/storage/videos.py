"""Result videos of the size and length their result reports, encoded with PyAV (FFmpeg's libx264).

A client that compares the video it downloads with the ``duration`` the query reported must find them
equal, so the video is made to measure: one still frame of a seeded scene (see ``pictures``) shown
for the whole length, one frame a second in millisecond timestamps, the last frame held to the exact
end (36.096 s for m2v's documented 36096000 µs). H.264 in MP4, so every player opens it; a still scene
encodes in a fraction of a second even at 1080p.
"""

from __future__ import annotations

import io
import random
from fractions import Fraction
from typing import Final

_MILLISECOND: Final = Fraction(1, 1000)


def video(width: int, height: int, seconds: float, *, seed: str = "") -> bytes:
    """An H.264 MP4 of ``width`` x ``height`` (rounded up to even) lasting ``seconds`` (to the millisecond)."""
    import av  # FFmpeg's libraries: loaded only when a video is first made

    from .pictures import scene

    if width < 1 or height < 1 or not seconds > 0:
        raise ValueError("a video needs a positive size and length")
    width, height = width + width % 2, height + height % 2  # 4:2:0 chroma needs even sides
    length = max(1, round(seconds * 1000))
    still = scene(width, height, random.Random(f"video:{seed}"))
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=1)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.time_base = _MILLISECOND
        stream.time_base = _MILLISECOND
        stream.options = {"preset": "ultrafast", "crf": "28"}
        frame = av.VideoFrame.from_image(still).reformat(format="yuv420p")  # type: ignore[no-untyped-call]
        frame.time_base = _MILLISECOND
        packets = []
        for stamp in range(0, length, 1000):
            frame.pts = stamp
            packets += stream.encode(frame)
        packets += stream.encode()
        # Each frame lasts until the next; the last one until the exact end, so the file is as long as asked.
        ends = [packet.pts for packet in packets[1:]] + [length]
        for packet, end in zip(packets, ends, strict=True):
            if packet.pts is not None and end is not None:
                packet.duration = end - packet.pts
            container.mux(packet)
    return buffer.getvalue()
