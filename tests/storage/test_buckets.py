"""The object store's two backends, used directly: a dict in memory and files in a directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_server.storage.buckets import Bucket, DirectoryBucket, MemoryBucket, StorageError, StoredObject

OBJECT = StoredObject(b"bytes", "image/png", '"etag"', 5, 1_767_225_600.0)


@pytest.fixture(params=["memory", "directory"])
def bucket(request: pytest.FixtureRequest, tmp_path: Path) -> Bucket:
    """Each backend, empty."""
    return MemoryBucket() if request.param == "memory" else DirectoryBucket(tmp_path)


def test_objects_come_back_as_stored_until_cleared(bucket: Bucket) -> None:
    """put then get returns the same object; replacing works; clear drops everything."""
    assert bucket.get("a/b.png") is None
    bucket.put("a/b.png", OBJECT)
    assert bucket.get("a/b.png") == OBJECT
    replaced = StoredObject(b"other", "image/jpeg", '"e2"', 5, 1.0)
    bucket.put("a/b.png", replaced)
    assert bucket.get("a/b.png") == replaced
    bucket.clear()
    assert bucket.get("a/b.png") is None


def test_directory_layout_and_a_second_reader(tmp_path: Path) -> None:
    """Bytes at <root>/<key>, metadata under .meta; another bucket on the same root reads them back."""
    DirectoryBucket(tmp_path).put("uploads/f.png", OBJECT)
    assert (tmp_path / "uploads" / "f.png").read_bytes() == b"bytes"
    assert (tmp_path / ".meta" / "uploads" / "f.png.json").is_file()
    assert DirectoryBucket(tmp_path).get("uploads/f.png") == OBJECT


def test_directory_keys_that_clash_on_disk_are_refused(tmp_path: Path) -> None:
    """'a' and 'a/b' cannot both be files: the second is S3's InvalidArgument."""
    bucket = DirectoryBucket(tmp_path)
    bucket.put("a", OBJECT)
    with pytest.raises(StorageError) as raised:
        bucket.put("a/b", OBJECT)
    assert (raised.value.status, raised.value.code) == (400, "InvalidArgument")
