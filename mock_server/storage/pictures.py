"""Result pictures that look and weigh like photos, made with Pillow from a seed.

A flat-coloured PNG of 1024x1024 weighs a few kilobytes; a photo of that size weighs hundreds, and
clients check it (a "too small, probably an error page" guard). So a picture here is a soft scene —
a sky-to-ground gradient and a few blurred shapes, drawn small and scaled up the way a photo's
out-of-focus parts look — under seeded film grain, which gives every block the detail real photos
have. Three looks: ``photo``; ``cutout``, the scene's subject on a transparent background (RGBA, as a
background removal answers); and ``mask``, the subject's black-and-white silhouette. A cutout and a mask
made with the same ``shape_seed`` (by default the seed's folder: one task's results) outline the same
subject.
"""

from __future__ import annotations

import io
import random
from typing import Final

from PIL import Image, ImageChops, ImageDraw, ImageFilter

LOOKS: Final = ("photo", "cutout", "mask")
_TILE: Final = 256  # side of the grain tile, repeated across the picture
_GRAIN: Final = 6  # grain amplitude: enough to weigh like a photo, little enough to look like one


def picture(fmt: str, width: int, height: int, *, look: str = "photo", seed: str = "", shape_seed: str = "") -> bytes:
    """An image file of ``fmt`` (png, jpeg, webp, bmp) that looks like ``look``, the same for the same seeds."""
    if width < 1 or height < 1:
        raise ValueError("image width and height must be positive")
    if look not in LOOKS:
        raise ValueError(f"look must be one of {', '.join(LOOKS)}, not {look!r}")
    rng = random.Random(f"picture:{seed}")
    subject = silhouette(width, height, shape_seed or seed.rpartition("/")[0] or seed)
    if look == "mask":
        image = subject
    else:
        image = grained(scene(width, height, rng), rng)
        if look == "cutout":
            cut = Image.new("RGBA", (width, height), (0, 0, 0, 0))
            cut.paste(image, mask=subject)
            image = cut
    buffer = io.BytesIO()
    name = fmt.upper()
    if name == "JPEG" and image.mode == "RGBA":
        image = image.convert("RGB")  # JPEG has no alpha; a cutout asked as JPEG keeps its black background
    if name == "PNG":
        image.save(buffer, format="PNG", compress_level=1)  # fast to make; photos barely compress anyway
    elif name == "JPEG":
        image.save(buffer, format="JPEG", quality=92)
    else:
        image.save(buffer, format=name)
    return buffer.getvalue()


def scene(width: int, height: int, rng: random.Random) -> Image.Image:
    """A soft photo-like scene: a vertical gradient and blurred shapes, drawn small and scaled up."""
    small = (max(4, width // 32), max(4, height // 32))
    canvas = Image.new("RGB", small)
    draw = ImageDraw.Draw(canvas)
    top, bottom = _colour(rng), _colour(rng)
    for row in range(small[1]):
        t = row / max(1, small[1] - 1)
        shade = tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, row), (small[0], row)], fill=shade)
    for _ in range(rng.randint(4, 8)):
        left, upper = rng.uniform(-0.2, 1.0) * small[0], rng.uniform(-0.2, 1.0) * small[1]
        across, down = rng.uniform(0.1, 0.6) * small[0], rng.uniform(0.1, 0.6) * small[1]
        draw.ellipse([left, upper, left + across, upper + down], fill=_colour(rng))
    canvas = canvas.filter(ImageFilter.GaussianBlur(radius=max(0.8, min(small) / 24)))
    return canvas.resize((width, height), Image.Resampling.BICUBIC)


def grained(image: Image.Image, rng: random.Random) -> Image.Image:
    """``image`` under seeded grain (a noise tile repeated across it)."""
    noise = Image.frombytes("L", (_TILE, _TILE), rng.randbytes(_TILE * _TILE))
    tile = noise.point([128 + (v * (2 * _GRAIN + 1)) // 256 - _GRAIN for v in range(256)])
    grain = Image.new("L", image.size)
    for x in range(0, image.width, _TILE):
        for y in range(0, image.height, _TILE):
            grain.paste(tile, (x, y))
    return ImageChops.add(image, Image.merge("RGB", (grain, grain, grain)), scale=1.0, offset=-128)


def silhouette(width: int, height: int, seed: str) -> Image.Image:
    """The subject's mask ("L": 255 inside, 0 outside): a rounded figure in the middle of the frame."""
    rng = random.Random(f"shape:{seed}")
    mask = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(mask)
    cx, cy = width * rng.uniform(0.42, 0.58), height * rng.uniform(0.58, 0.66)
    rx, ry = width * rng.uniform(0.18, 0.28), height * rng.uniform(0.22, 0.3)
    draw.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=255)  # body
    head = min(rx, ry, (cy - ry) / 2.2) * 0.9
    draw.ellipse([cx - head, cy - ry - head * 1.8, cx + head, cy - ry + head * 0.2], fill=255)  # head
    return mask


def _colour(rng: random.Random) -> tuple[int, int, int]:
    """A muted colour, as daylight scenes have (mixed towards a warm grey)."""
    return tuple(round(0.55 * rng.randint(10, 245) + 0.45 * grey) for grey in (150, 140, 128))  # type: ignore[return-value]
