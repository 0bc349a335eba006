"""A fake's state kept in a directory, so that it survives a crash: ``topview-mock serve --data-dir DIR``.

What is kept: accounts and their ledgers, tasks (results too, once made), files, boards, cloned voices
and avatars, credit movements, the callback journal and queue, result media handed out, the clock and
the id sequence, in ``DIR/state.sqlite3``; uploaded bytes and made result files in ``DIR/objects``.
Fault rules, scripted outcomes, progression overrides and the request journal are not: they set up a
test run, and a restarted fake starts them as configured.

How changes are found: the engine, the few handlers that change a task in place and the control API
note what they change in ``State.changes`` (free on an in-memory fake, which has none); the account a
request names is written down whole but for its tasks, files and credit movements (new files and
movements are found by count: both only grow). :meth:`DataDir.write` turns all of it into one SQLite
transaction, run before every response goes out (:class:`WriteBeforeAnswer`), after every clock step,
and soon after every callback attempt. An acknowledged change is therefore on disk before the client
hears of it; a change nobody heard of yet (a task finishing between two ticks) may be lost, and the
restarted fake takes it again from the state it does have.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..callbacks.dispatcher import NoticeDispatcher
from ..callbacks.payloads import PendingNotice
from ..callbacks.records import NoticeDelivery
from ..engine.clock import Clock
from ..engine.lifecycle import Engine
from ..engine.state import Changes, FileRecord, State, Tenant
from ..engine.tasks import Task
from ..storage.buckets import StoredObject
from ..storage.links import Media, ResultLinks
from ..storage.store import ObjectStore
from . import codec
from .database import Batch, Database


class Parts(Protocol):
    """What a data directory restores into and watches: the parts of one fake."""

    state: State
    clock: Clock
    engine: Engine
    links: ResultLinks
    notices: NoticeDispatcher
    store: ObjectStore

    def notice_for(self, task: Task) -> PendingNotice:
        """The notice ``task`` (finished) calls back with, its body made when first read."""

    def result_pending(self, task: Task) -> bool:
        """Whether ``task`` succeeded with a result that is made when first needed and was not yet."""


@dataclass(slots=True)
class _Written:
    """What of one account is on disk: which tenant object, and how many of its files and movements."""

    tenant: Tenant
    files: int = 0
    logs: int = 0
    account: dict[str, Any] | None = None  # the account record as last written (a read changes nothing)


class DataDir:
    """SQLite records and the object store's files of one fake, in one directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.objects = root / "objects"  # the object store's directory
        self._db = Database(root / "state.sqlite3")
        self._parts: Parts | None = None
        self._changes = Changes()
        self._written: dict[str, _Written] = {}
        self._deliveries: dict[str, NoticeDelivery] = {}  # changed since the last write
        self._evicted: set[str] = set()
        self._media: list[Media] = []
        self._uploads: set[str] = set()  # object keys PUT since the last write
        self._generation = 0
        self._meta: dict[str, Any] = {}
        self._write_soon = False

    # -- opening: take back what is there, then watch ------------------------------------------------------

    def open(self, parts: Parts) -> None:
        """Restore what the directory holds into ``parts`` (a new fake), then write down every change."""
        self._parts = parts
        self._restore(parts)
        parts.state.changes = self._changes
        for tenant in parts.state.tenants.values():
            tenant.changes = self._changes
        parts.links.on_media = self._media.append
        parts.notices.observer = self
        received = parts.store.on_upload

        def on_upload(key: str, stored: StoredObject) -> None:
            if received is not None:
                received(key, stored)
            self._uploads.add(key)

        parts.store.on_upload = on_upload
        parts.clock.subscribe(self.write)  # after the engine's and the dispatcher's: due work is done by then
        self._generation = parts.state.generation
        self._reconcile_uploads(parts)
        self.write()

    def _restore(self, parts: Parts) -> None:
        db, state = self._db, parts.state
        now = db.meta("clock")
        if now is not None:
            parts.clock.resume_at(now)
        state.ids.resume(db.meta("ids") or 0)
        state.credit_overrides.update(
            {uid: Decimal(amount) for uid, amount in (db.meta("creditOverrides") or {}).items()}
        )
        for data in db.records("tenant"):
            tenant = codec.tenant_from(data)
            state.tenants[tenant.uid] = tenant
        for uid, data in db.logs():
            state.tenants[uid].ledger.logs.append(codec.log_from(data))
        for data in db.records("file"):
            record = codec.file_from(data)
            state.tenants[record.uid].files[record.file_id] = record
        by_notice: dict[str, Task] = {}
        for data in db.records("task"):
            task = codec.task_from(data)
            tenant = state.tenants[task.uid]
            tenant.add_task(task)  # deleted ones too: they stay, hidden
            if task.notice_uuid:
                by_notice[task.notice_uuid] = task
        for tenant in state.tenants.values():
            self._written[tenant.uid] = _Written(tenant, len(tenant.files), len(tenant.ledger.logs))
            pending = sorted((t for t in tenant.tasks.values() if parts.result_pending(t)), key=_finish_order)
            tenant.unmade.update((task.task_id, task) for task in pending)
            for task in tenant.tasks.values():
                parts.engine.adopt(task)
        for data in db.records("media"):
            parts.links.adopt(codec.media_from(data))

        def pending_notice(uid: str, uuid: str, biz_type: str, task_id: str) -> PendingNotice | dict[str, str]:
            source = by_notice.get(uuid)
            if source is None:  # its account was reset: what is known of it is all it can say
                return {
                    "uuid": uuid,
                    "bizType": biz_type,
                    "taskId": task_id,
                    "status": "",
                    "errorMsg": "",
                    "result": "",
                }
            return parts.notice_for(source)

        deliveries = [codec.delivery_from(data, pending_notice) for data in db.records("delivery")]
        parts.notices.restore(deliveries, db.meta("deliveries") or 0)

    def _reconcile_uploads(self, parts: Parts) -> None:
        """Bytes that reached the disk just before a crash, their file not marked yet: mark it now."""
        for tenant in parts.state.tenants.values():
            for record in tenant.files.values():
                if not record.uploaded and record.key.startswith("uploads/"):
                    stored = parts.store.get_object(record.key)
                    if stored is not None and parts.store.on_upload is not None:
                        parts.store.on_upload(record.key, stored)

    # -- writing down ----------------------------------------------------------------------------------------

    def write(self) -> None:
        """Write every change since the last write in one transaction; committed when this returns."""
        parts = self._parts
        if parts is None:
            return
        self._write_soon = False
        state, changes = parts.state, self._changes
        batch = Batch()
        if state.generation != self._generation:  # a full reset: the records start again
            self._generation = state.generation
            batch.wipe = True
            self._written.clear()
            changes.uids.update(state.tenants)
        tasks = set(changes.tasks)
        uids = changes.uids | {task.uid for task in tasks}
        changes.tasks.clear()
        changes.uids.clear()
        for uid in uids:
            tasks.update(self._account(state, uid, batch))
        for task in tasks:
            if state.tenants.get(task.uid) is not None and state.tenants[task.uid].tasks.get(task.task_id) is task:
                batch.put("task", task.task_id, task.uid, codec.task_json(task))
        for record in self._uploaded(state):
            batch.put("file", record.file_id, record.uid, codec.file_json(record))
        for delivery in self._deliveries.values():
            batch.put("delivery", delivery.id, delivery.uid, codec.delivery_json(delivery))
        batch.gone.extend(("delivery", delivery_id) for delivery_id in self._evicted)
        for media in self._media:
            batch.put("media", media.key, None, codec.media_json(media))
        self._deliveries.clear()
        self._evicted.clear()
        self._media.clear()
        meta = {
            "clock": parts.clock.now(),
            "ids": state.ids.issued,
            "deliveries": parts.notices.sequence,
            "creditOverrides": {uid: str(amount) for uid, amount in state.credit_overrides.items()},
        }
        if meta != self._meta:
            batch.meta.update(meta)
            self._meta = meta
        if batch:  # a request that changed nothing (a poll of a finished task) costs no transaction
            self._db.write(batch)

    def _account(self, state: State, uid: str, batch: Batch) -> Iterator[Task]:
        """Write an account down (or forget it); yields its tasks when they all need writing."""
        tenant = state.tenants.get(uid)
        written = self._written.get(uid)
        if written is not None and written.tenant is not tenant:  # reset since: its records go
            batch.forget.append(uid)
            del self._written[uid]
            written = None
        if tenant is None:
            return
        if written is None:
            written = self._written[uid] = _Written(tenant)
            yield from tenant.tasks.values()
        account = codec.tenant_json(tenant)
        if account != written.account:
            batch.put("tenant", uid, uid, account)
            written.account = account
        for record in islice(tenant.files.values(), written.files, None):  # files only ever join
            batch.put("file", record.file_id, uid, codec.file_json(record))
        logs = tenant.ledger.logs  # movements only ever join
        batch.logs.extend((uid, n, codec.log_json(logs[n])) for n in range(written.logs, len(logs)))
        written.files, written.logs = len(tenant.files), len(logs)

    def _uploaded(self, state: State) -> Iterator[FileRecord]:
        keys, self._uploads = self._uploads, set()
        for key in keys:
            file_id = key.rsplit("/", 1)[-1].split(".")[0]
            for tenant in state.tenants.values():
                record = tenant.files.get(file_id)
                if record is not None and record.key == key:
                    yield record

    # -- the callback journal (a DeliveryObserver) ------------------------------------------------------------

    def note_account(self, uid: str) -> None:
        """A request of account ``uid`` is answered: what it holds is written down with the answer."""
        self._changes.uids.add(uid)

    def changed(self, delivery: NoticeDelivery) -> None:
        """A delivery was recorded, queued, refused or attempted: written down soon."""
        self._deliveries[delivery.id] = delivery
        self._evicted.discard(delivery.id)
        self._soon()

    def evicted(self, delivery_id: str) -> None:
        """A finished delivery left the journal."""
        self._deliveries.pop(delivery_id, None)
        self._evicted.add(delivery_id)

    def _soon(self) -> None:
        """Write on the loop's next turn: attempts end outside any request, and nothing else would."""
        if self._write_soon:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop: the next request, clock step or close writes it
        self._write_soon = True
        loop.call_soon(self.write)

    def close(self) -> None:
        """Write what is left and close the file."""
        self.write()
        self._parts = None
        self._db.close()


def _account_of(scope: Scope) -> str:
    """The request's Topview-Uid, as the pipeline reads it."""
    for name, raw in scope["headers"]:
        if name.lower() == b"topview-uid":
            return str(raw.decode("latin-1").strip(" \t"))
    return ""


def _finish_order(task: Task) -> float:
    return task.finished_at or 0.0


class WriteBeforeAnswer:
    """ASGI middleware: the data directory is written before a response's first byte goes out."""

    def __init__(self, app: ASGIApp, data_dir: DataDir) -> None:
        self.app = app
        self.data_dir = data_dir

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request, writing every change down just before the answer starts."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_written(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Noted now, not when the request began: an answer written meanwhile must not take the mark.
                uid = _account_of(scope)
                if uid:
                    self.data_dir.note_account(uid)
                self.data_dir.write()
            await send(message)

        await self.app(scope, receive, send_written)
