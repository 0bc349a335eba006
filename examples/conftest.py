"""Helpers the example tests share (the fixtures themselves come from the topview-mock plugin)."""

from __future__ import annotations

import io

import pytest
from PIL import Image


@pytest.fixture
def png() -> bytes:
    """A small PNG product photo."""
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 120, 40)).save(out, format="PNG")
    return out.getvalue()
