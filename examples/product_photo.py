"""A sample product photo for the example tests (a real PNG: the fake reads uploaded images)."""

from __future__ import annotations

import io

from PIL import Image


def product_photo(width: int = 64, height: int = 64) -> bytes:
    """A small PNG."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(out, format="PNG")
    return out.getvalue()
