"""Where the object store keeps its objects: a dict in memory, or files in a directory.

Also the records both sides share: the stored object, the key check and S3's error.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True, slots=True)
class StoredObject:
    """One object in the bucket, as S3 would describe it."""

    data: bytes
    content_type: str
    etag: str
    size: int
    uploaded_at: float


class InvalidKey(ValueError):
    """A key the bucket will not store: empty, too long, or with '', '.' or '..' segments."""


class StorageError(Exception):
    """An S3 or CloudFront error: HTTP status, error code, message and extra XML fields."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = tuple(details)


def _plain(key: str) -> bool:
    """True when nothing may make ``key`` unsafe: no empty key or segment, no segment starting with '.', no
    backslash, no NUL (string tests: a regular expression costs more than the rest of an upload credential)."""
    return (
        bool(key)
        and key[0] not in "./"
        and key[-1] != "/"
        and "/." not in key
        and "//" not in key
        and "\\" not in key
        and "\x00" not in key
    )


def check_key(key: str) -> str:
    """Return ``key`` if it maps safely to a path; raise :class:`InvalidKey` otherwise."""
    if key.isascii() and len(key) <= 255 and _plain(key):
        return key  # short ASCII keys: no segment or whole key can be too long, nothing suspect in it
    segments = key.split("/")
    if (
        not key
        or len(key.encode()) > 1024
        or "\\" in key
        or "\x00" in key
        or any(not part or part.startswith(".") or len(part.encode()) > 255 for part in segments)
    ):
        # Segments starting with '.' are refused (S3 allows them) so '..' can never escape the
        # directory and '.meta'/'.tmp' stay the directory bucket's own.
        raise InvalidKey(f"invalid object key {key!r}")
    return key


class Bucket(Protocol):
    """Where object bytes and metadata live."""

    def get(self, key: str) -> StoredObject | None:
        """The object under ``key``, or None."""

    def put(self, key: str, stored: StoredObject) -> None:
        """Store or replace the object under ``key``."""

    def clear(self) -> None:
        """Drop every object."""


class MemoryBucket:
    """Objects in a dict, gone with the process."""

    __slots__ = ("_objects",)

    def __init__(self) -> None:
        self._objects: dict[str, StoredObject] = {}

    def get(self, key: str) -> StoredObject | None:
        """The object under ``key``, or None."""
        return self._objects.get(key)

    def put(self, key: str, stored: StoredObject) -> None:
        """Store or replace the object under ``key``."""
        self._objects[key] = stored

    def clear(self) -> None:
        """Drop every object."""
        self._objects.clear()


class DirectoryBucket:
    """Object bytes at ``<root>/<key>``, metadata at ``<root>/.meta/<key>.json``."""

    __slots__ = ("_root",)

    def __init__(self, root: Path) -> None:
        self._root = root
        (root / ".tmp").mkdir(parents=True, exist_ok=True)

    def get(self, key: str) -> StoredObject | None:
        """Read the object back from disk, or None."""
        data_path, meta_path = self._paths(key)
        if not meta_path.is_file() or not data_path.is_file():
            return None
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        data = data_path.read_bytes()
        return StoredObject(
            data,
            str(meta["content_type"]),
            str(meta["etag"]),
            len(data),
            float(meta["uploaded_at"]),
        )

    def put(self, key: str, stored: StoredObject) -> None:
        """Write bytes then metadata, each atomically, so readers never see half an object."""
        data_path, meta_path = self._paths(key)
        meta = {
            "content_type": stored.content_type,
            "etag": stored.etag,
            "uploaded_at": stored.uploaded_at,
        }
        try:
            self._write(data_path, stored.data)
            self._write(meta_path, json.dumps(meta).encode())
        except (NotADirectoryError, IsADirectoryError, FileExistsError) as error:
            # 'a' and 'a/b' cannot both be files; S3 keys can, this layout cannot.
            raise StorageError(400, "InvalidArgument", "Key clashes with another key's path on disk.") from error

    def clear(self) -> None:
        """Delete the objects this bucket wrote, then any directories left empty."""
        meta_root = self._root / ".meta"
        for meta_path in sorted(meta_root.rglob("*.json")):
            key = meta_path.relative_to(meta_root).as_posix().removesuffix(".json")
            (self._root / key).unlink(missing_ok=True)
            meta_path.unlink()
        for folder in sorted((p for p in self._root.rglob("*") if p.is_dir()), reverse=True):
            if folder.name != ".tmp" and not any(folder.iterdir()):
                folder.rmdir()

    def _paths(self, key: str) -> tuple[Path, Path]:
        """Where the bytes and the metadata of ``key`` live."""
        check_key(key)
        return self._root / key, self._root / ".meta" / f"{key}.json"

    def _write(self, path: Path, data: bytes) -> None:
        """Write through a temporary file in the same directory tree, then rename."""
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self._root / ".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
