"""A fake on a data directory gives back, after a restart, exactly what it held — and goes on identically.

The workload touches every kind of task (with uploads, chains, forced failures and callbacks), boards,
custom avatars, deletions, forced outcomes, credits set over the control API and a reset account. A fake
restored from a copy of the directory must hold the same records (a change nobody noted would show here)
and, moved along the same clock, produce the same results, ledgers and callbacks as the original.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from receivers import closed_port_url
from test_whole_api import RECIPES, context
from topview_calls import BASE_URL, OTHER_UID, UID, ok, query, upload_image, valid_op

from mock_server import MockConfig, Progression, TopviewMock, create_app
from mock_server.contract.openapi import Contract
from mock_server.persistence import codec

pytestmark = pytest.mark.anyio
LINK = "https://shop.example.com/p/1"


def snapshot(mock: TopviewMock) -> dict[str, Any]:
    """Everything a data directory keeps, as JSON (callback attempt durations left out: they are real time)."""
    state = mock.state
    deliveries = [codec.delivery_json(d) for d in mock.notices.journal()]
    for delivery in deliveries:
        delivery["attempts"] = [attempt[:2] + attempt[3:] for attempt in delivery["attempts"]]
    return {
        "tenants": {
            uid: {
                "account": codec.tenant_json(tenant),
                "tasks": [codec.task_json(task) for task in tenant.tasks.values()],
                "files": [codec.file_json(record) for record in tenant.files.values()],
                "logs": [codec.log_json(log) for log in tenant.ledger.logs],
                "unmade": list(tenant.unmade),
                "by_kind": {kind: [t.task_id for t in tasks] for kind, tasks in tenant.by_kind.items()},
                "deleted_by_kind": tenant.deleted_by_kind,
            }
            for uid, tenant in state.tenants.items()
        },
        "overrides": {uid: str(amount) for uid, amount in state.credit_overrides.items()},
        "deliveries": deliveries,
        "deliveredSequence": mock.notices.sequence,
        "media": sorted(mock.links._media),
        "ids": state.ids.issued,
        "clock": mock.clock.now(),
    }


def restored(directory: Path, config: MockConfig, contract: Contract) -> TopviewMock:
    """A new fake on a copy of ``directory`` (the original keeps writing to its own)."""
    copy = directory.parent / f"{directory.name}-copy"
    shutil.copytree(directory, copy)
    return TopviewMock(config.__class__(**{**config.__dict__, "data_dir": str(copy)}), contract=contract)


async def workload(client: httpx.AsyncClient, mock: TopviewMock) -> list[tuple[str, str]]:
    """Tasks of every kind and the rest of what an account holds; the (query operation, taskId) of each task."""
    c = await context(client, mock)
    notice = closed_port_url()
    submitted: list[tuple[str, str]] = []
    for index, (name, recipe) in enumerate(sorted(RECIPES.items())):
        kind = mock.table.by_name[name]
        body = dict(await recipe.body(c))
        if index % 2 and "noticeUrl" in (mock.contract[kind.submit].body_schema or {}).get("properties", {}):
            body["noticeUrl"] = notice
        extra = {"X-Topview-Mock-Outcome": "fail; message=GPU melted"} if index % 3 == 0 else {}
        task_id = ok(await valid_op(client, kind.submit, body=body, extra=extra))["taskId"]
        submitted.append((kind.query, task_id))
        if index % 4 == 0:
            mock.advance(0.5)
    for operation, task_id in submitted[::2]:  # some results made now, the rest later
        ok(await query(client, operation, task_id))
    preview = ok(await valid_op(client, "m2vSubmit", body={"productLink": LINK, "preview": True}))["taskId"]
    mock.advance(4)
    segments = [{"segId": 0, "segText": "Kept across a restart."}]
    ok(await valid_op(client, "m2vScriptUpdate", body={"taskId": preview, "scriptId": 0, "scriptContents": segments}))
    ok(await valid_op(client, "m2vExport", body={"taskId": preview, "noticeUrl": notice}))
    doomed = ok(await valid_op(client, "m2vSubmit", body={"productLink": LINK}))["taskId"]
    ok(await valid_op(client, "m2vTaskDelete", body={"taskIds": [doomed]}))
    submitted.append(("m2vQuery", preview))
    photo = ok(
        await valid_op(client, "photoAvatarCreate", body={"templateImageFileId": await upload_image(client, 256, 256)})
    )
    board = ok(await valid_op(client, "boardCreate", body={"name": "To rename"}))["boardId"]
    ok(await valid_op(client, "boardUpdate", body={"boardId": board, "name": "Renamed"}))
    ok(await valid_op(client, "boardDelete", params={"boardId": c.board}))
    unfinished = [t["taskId"] for t in mock.tasks(UID) if t["status"] in ("init", "running")]
    mock.force(unfinished[0], "fail", "forced")
    mock.set_credits(OTHER_UID, 7.5)
    await upload_image(client, uid="uid-gone")
    mock.reset("uid-gone")
    assert photo
    await mock.notices.drain()
    return submitted


async def test_a_restarted_fake_holds_the_same_and_goes_on_the_same(tmp_path: Path, contract: Contract) -> None:
    """Same records after a restart; the same results, ledgers and callbacks once both move on."""
    config = MockConfig(seed=5, progression=Progression("time", 1, 3), data_dir=str(tmp_path / "data"))
    original = TopviewMock(config, contract=contract)
    app = create_app(mock=original)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL) as client:
        submitted = await workload(client, original)
        assert original.data_dir is not None
        original.data_dir.write()  # the Python control calls above answer no request: written here
        again = restored(tmp_path / "data", config, contract)
        assert snapshot(again) == snapshot(original)

        other = create_app(mock=again)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(other), base_url=BASE_URL) as client2:
            for fake in (original, again):
                fake.advance(1000)
                await fake.notices.drain()
            for operation, task_id in submitted:
                assert (await query(client2, operation, task_id)) == (await query(client, operation, task_id))
            assert snapshot(again) == snapshot(original)


async def test_ids_go_on_after_a_restart(tmp_path: Path, contract: Contract) -> None:
    """A restarted fake hands out the ids that come next, never one it handed out before."""
    config = MockConfig(data_dir=str(tmp_path / "data"))
    first = TopviewMock(config, contract=contract)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(create_app(mock=first)), base_url=BASE_URL) as client:
        before = [ok(await valid_op(client, "uploadCredential", params={"format": "png"}))["fileId"] for _ in range(3)]
    second = TopviewMock(config, contract=contract)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(create_app(mock=second)), base_url=BASE_URL) as client:
        after = ok(await valid_op(client, "uploadCredential", params={"format": "png"}))["fileId"]
    in_memory = TopviewMock(MockConfig(), contract=contract)
    in_memory.state.tenant(UID, 0)  # the default board takes the first id, as it did above
    expected = [in_memory.state.ids.new() for _ in range(4)]
    assert [*before, after] == expected and after not in before


async def test_a_full_reset_starts_the_directory_again(tmp_path: Path, contract: Contract) -> None:
    """reset() forgets everything on disk too: a restart after it holds nothing of before."""
    config = MockConfig(data_dir=str(tmp_path / "data"))
    first = TopviewMock(config, contract=contract)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(create_app(mock=first)), base_url=BASE_URL) as client:
        await upload_image(client)
        assert (await client.post("/_mock/reset")).status_code == 200
    second = TopviewMock(config, contract=contract)
    assert second.state.tenants == {} and second.state.ids.issued == 0
    assert not any((tmp_path / "data" / "objects").rglob("*.png"))


def test_in_memory_by_default(contract: Contract) -> None:
    """Without a data directory nothing is written anywhere and nothing is noted."""
    mock = TopviewMock(MockConfig(), contract=contract)
    assert mock.data_dir is None and mock.state.changes is None
