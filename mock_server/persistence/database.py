"""The SQLite file of a data directory: records by kind and id, credit movements, and a few named values.

Standard-library ``sqlite3`` in WAL mode. ``synchronous=NORMAL`` makes each commit durable against the
process being killed (the commit is in the write-ahead log the moment ``commit`` returns; only losing
power could undo it), at the cost of no fsync per commit. A batch of changes is one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    uid TEXT,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS records_by_uid ON records (uid);
CREATE TABLE IF NOT EXISTS logs (
    uid TEXT NOT NULL,
    n INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (uid, n)
);
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
FORMAT = 1  # the layout of these tables; a directory of another layout is refused, not misread


@dataclass(slots=True)
class Batch:
    """Changes written in one transaction."""

    wipe: bool = False  # everything goes first (after a full reset of the fake)
    forget: list[str] = field(default_factory=list)  # accounts whose records go (their callbacks stay)
    records: list[tuple[str, str, str | None, Any]] = field(default_factory=list)  # kind, id, uid, JSON
    gone: list[tuple[str, str]] = field(default_factory=list)  # kind, id
    logs: list[tuple[str, int, Any]] = field(default_factory=list)  # uid, n, JSON
    meta: dict[str, Any] = field(default_factory=dict)

    def put(self, kind: str, record_id: str, uid: str | None, body: Any) -> None:
        """Write (or replace) one record."""
        self.records.append((kind, record_id, uid, body))

    def __bool__(self) -> bool:
        return bool(self.wipe or self.forget or self.records or self.gone or self.logs or self.meta)


class Database:
    """One data directory's SQLite file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # One thread at a time uses the fake (its event loop's); tests may hand it between threads.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        found = self.meta("format")
        if found is None:
            self._write(Batch(meta={"format": FORMAT}))
        elif found != FORMAT:
            raise ValueError(f"{path} holds data of format {found}; this topview-mock reads format {FORMAT}")

    def write(self, batch: Batch) -> None:
        """Apply ``batch`` in one transaction, committed when this returns."""
        self._write(batch)

    def _write(self, batch: Batch) -> None:
        db = self._db
        db.execute("BEGIN")
        try:
            if batch.wipe:
                db.execute("DELETE FROM records")
                db.execute("DELETE FROM logs")
            for uid in batch.forget:
                db.execute("DELETE FROM records WHERE uid = ? AND kind IN ('tenant', 'task', 'file')", (uid,))
                db.execute("DELETE FROM logs WHERE uid = ?", (uid,))
            db.executemany("DELETE FROM records WHERE kind = ? AND id = ?", batch.gone)
            db.executemany(
                "INSERT INTO records (kind, id, uid, body) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (kind, id) DO UPDATE SET uid = excluded.uid, body = excluded.body",
                ((kind, record_id, uid, _dump(body)) for kind, record_id, uid, body in batch.records),
            )
            db.executemany(
                "INSERT OR REPLACE INTO logs (uid, n, body) VALUES (?, ?, ?)",
                ((uid, n, _dump(body)) for uid, n, body in batch.logs),
            )
            db.executemany(
                "INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)",
                ((name, _dump(value)) for name, value in batch.meta.items()),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def records(self, kind: str) -> Iterator[Any]:
        """The records of ``kind`` in the order they were first written."""
        for (body,) in self._db.execute("SELECT body FROM records WHERE kind = ? ORDER BY rowid", (kind,)):
            yield json.loads(body)

    def logs(self) -> Iterator[tuple[str, Any]]:
        """Every credit movement, per account in order: (uid, JSON)."""
        for uid, body in self._db.execute("SELECT uid, body FROM logs ORDER BY uid, n"):
            yield uid, json.loads(body)

    def meta(self, name: str) -> Any:
        """A named value, or None."""
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else json.loads(row[0])

    def close(self) -> None:
        """Close the file (every batch was committed already)."""
        self._db.close()


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
