"""Result schemas are compiled once into steps: a result made later decides nothing a field's name decides,
and every result stays the same, seed for seed, as the schema walker made it before compilation."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from mock_server import MockConfig, Outcome, Progression, TopviewMock
from mock_server.contract import results
from mock_server.contract.outputs import generate
from mock_server.engine.tasks import Task
from mock_server.storage.links import Media

SOURCE = "0" * 31 + "5"  # an image translation, the source an image_generate task names
PARAMS: list[dict[str, Any]] = [
    {"taskId": SOURCE, "fileIds": ["f0"], "languages": ["German"]},
    {
        "taskId": SOURCE,
        "duration": 10,
        "aspectRatio": "9:16",
        "generatingCount": 2,
        "resolution": "2K",
        "preview": True,
        "languages": ["French", "Spanish"],
        "fileIds": ["a", "b"],
    },
    {
        "taskId": SOURCE,
        "fileIds": [],
        "languages": [],
        "duration": "7",
        "resolution": 720,
        "aspectRatio": "4:3",
        "productName": "Cup",
        "preview": False,
    },
]
# sha256 of every generated kind's results for PARAMS, three tasks each, seed 7, and the files they made:
# taken from the schema walker the compiled steps replaced, so compiling changed no result.
DIGEST = "cd523719b4c0d63d8d4c726d22aebfc5853ea27b4864e3a10d4a63e8843b04ca"


def _media(value: object) -> list[object]:
    if isinstance(value, Media):
        return ["MEDIA", value.key, value.kind, value.format, value.width, value.height, value.seconds, value.look]
    raise TypeError(type(value))


def _task(mock: TopviewMock, uid: str, kind: str, number: int, params: dict[str, Any]) -> Task:
    now = mock.clock.now()
    tenant = mock.state.tenant(uid, now)
    task = Task(
        f"{kind}{uid}{number:030d}"[-32:], uid, kind, "op", dict(params), now, Progression(), Outcome(), 1.5, kind
    )
    task.status, task.finished_at = "success", now + 3
    tenant.tasks[task.task_id] = task
    return task


def _make(mock: TopviewMock, task: Task) -> dict[str, Any]:
    schema = mock.contract[mock.table.by_name[task.kind].query].result_schema
    tenant = mock.state.tenants[task.uid]
    return generate(task, tenant, schema, seed=7, faker=mock.faker, voices=mock.catalogues.voices_by_id)


def test_every_generated_result_is_what_the_schema_walker_made() -> None:
    mock = TopviewMock(MockConfig(credits=1e12))
    for p in range(len(PARAMS)):
        source = _task(mock, f"u{p}", "image_translate", 0, {"fileId": "f9", "languages": ["French", "Hindi"]})
        mock.state.tenants[source.uid].tasks[SOURCE] = source
    made: dict[str, Any] = {}
    for kind in sorted(name for name, row in mock.table.by_name.items() if row.generated):
        for p, params in enumerate(PARAMS):
            for number in range(3):
                made[f"{kind}/{p}/{number}"] = _make(mock, _task(mock, f"u{p}", kind, number, params))
        made[f"files/{kind}"] = sorted(
            (file_id, f.kind, f.format, f.width, f.height)
            for tenant in mock.state.tenants.values()
            for file_id, f in tenant.files.items()
        )
    text = json.dumps(made, default=_media, sort_keys=True)
    assert hashlib.sha256(text.encode()).hexdigest() == DIGEST


def test_a_result_made_later_asks_no_field_name_what_it_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names are judged when the schema is compiled: the second task of a kind costs no judging at all."""
    mock = TopviewMock(MockConfig(credits=1e12))
    judged: list[str] = []
    judge = results.media_kind

    def counting(name: str, parent: str = "") -> tuple[str, str] | None:
        judged.append(name)
        return judge(name, parent)

    monkeypatch.setattr(results, "media_kind", counting)
    monkeypatch.setattr(results, "_compiled", {}, raising=False)  # compiled afresh, whatever ran before
    first = _make(mock, _task(mock, "u1", "scraper", 1, {"productLink": "https://shop.example.com/p/1"}))
    assert judged and first["productImages"][0]["fileUrl"].kind == "image"
    judged.clear()
    second = _make(mock, _task(mock, "u1", "scraper", 2, {"productLink": "https://shop.example.com/p/2"}))
    assert judged == [] and second["productVideos"][0]["fileUrl"].kind == "video"
    assert second["productImages"][0]["fileId"] != first["productImages"][0]["fileId"]


def test_a_schema_is_compiled_once_and_a_new_schema_at_a_reused_address_anew() -> None:
    schema: dict[str, Any] = {"type": "object", "properties": {"status": {"type": "string"}}}
    step = results.compiled(schema)
    assert results.compiled(schema) is step
    other = {"type": "object", "properties": {"taskId": {"type": "string"}}}
    results._compiled[id(other)] = (schema, step)  # as if ``schema`` had died and ``other`` took its address
    assert results.compiled(other) is not step
