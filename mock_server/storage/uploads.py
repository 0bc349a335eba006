"""Uploaded files: where an account's uploads live in the store, and what arriving bytes tell a file record."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import lru_cache

from ..engine.state import Tenant
from .media import matches, probe


@lru_cache(maxsize=1024)
def account_folder(uid: str) -> str:
    """The object-key folder of an account's uploads: safe whatever characters the uid has."""
    # The uid is any header text ("a/b", "\\", ".."), so the object key names the account by a digest.
    return hashlib.sha256(uid.encode()).hexdigest()[:32]


def upload_key(uid: str, file_id: str, fmt: str) -> str:
    """The object key of an upload: ``uploads/<account folder>/<fileId>.<format>``."""
    return f"uploads/{account_folder(uid)}/{file_id}.{fmt}"


def receive_upload(tenants: Iterable[Tenant], key: str, data: bytes) -> None:
    """The store got bytes for ``key``: mark the file uploaded and read its media facts."""
    parts = key.split("/")
    if len(parts) != 3 or parts[0] != "uploads":
        return
    file_id = parts[2].split(".")[0]
    records = (tenant.files.get(file_id) for tenant in tenants)
    record = next((r for r in records if r is not None and r.key == key), None)
    if record is None:
        return
    info = probe(data)
    record.uploaded = True
    if info is not None and matches(record.format, info):
        record.kind = str(info.kind)
        record.width, record.height, record.duration = info.width, info.height, info.duration_seconds
    else:
        record.kind = "invalid"  # bytes that are not the declared format: check answers false
