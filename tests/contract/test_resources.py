"""Reading the contract's documents: parsed once per version of their bytes, then read from a cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_server.contract import resources
from mock_server.contract.resources import CACHE_ENV, read_yaml


def test_a_document_is_parsed_once_then_read_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second read comes from the cache (PyYAML not called); an edit is parsed again."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    document = tmp_path / "doc.yaml"
    document.write_text("a: [1, 2.5, x]\nb: {c: null, d: true}\n")
    assert read_yaml(document) == {"a": [1, 2.5, "x"], "b": {"c": None, "d": True}}
    assert len(list((tmp_path / "cache").iterdir())) == 1

    def no_parsing(name: str) -> None:
        raise AssertionError("parsed again")

    with monkeypatch.context() as patched:
        patched.setattr(resources, "__getattr__", no_parsing)  # the loader: asked for only when parsing
        assert read_yaml(document) == {"a": [1, 2.5, "x"], "b": {"c": None, "d": True}}
    document.write_text("a: changed\n")
    assert read_yaml(document) == {"a": "changed"}


def test_a_cache_that_cannot_be_used_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Caching off, an unwritable cache, a damaged entry or a value marshal cannot hold: the YAML is read."""
    document = tmp_path / "doc.yaml"
    document.write_text("when: 2026-01-01\n")  # a date: marshal cannot hold it, so it is never cached
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory would be")
    for cache in ("off", str(blocked), str(tmp_path / "cache")):
        monkeypatch.setenv(CACHE_ENV, cache)
        assert str(read_yaml(document)["when"]) == "2026-01-01"
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())
    document.write_text("a: 1\n")
    read_yaml(document)
    (entry,) = (tmp_path / "cache").iterdir()
    entry.write_bytes(b"\x00damaged")
    assert read_yaml(document) == {"a": 1}
