"""Drift: planted differences in recorded answers are found by the contract check and the fake comparison."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from standin import polled_task, recording, upload_png
from topview_calls import load_contract

from mock_server.cli import main
from mock_server.recording.cassettes import Cassette, dumps, load, load_dir
from mock_server.recording.drift import drift
from mock_server.recording.findings import SkipPaths

pytestmark = pytest.mark.anyio
IMAGE = {"model": "seedream-4.0", "prompt": "A cup.", "aspectRatio": "1:1", "resolution": "1K"}


async def _record(out: Path) -> None:
    async with recording(out) as (stand_in, _, client):
        await upload_png(client)
        await polled_task(client, stand_in.mock)
        submit = await client.post("/v1/common_task/text2image/task/submit", json=IMAGE)
        task_id = submit.json()["result"]["taskId"]
        stand_in.mock.advance(5)
        query = await client.get("/v1/common_task/text2image/task/query", params={"taskId": task_id})
        assert (await client.get(query.json()["result"]["images"][0]["filePath"])).status_code == 200


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Cassette:
    """A recording of an upload, a scraper task polled to success, and a text2image task whose image is fetched."""
    out = tmp_path_factory.mktemp("recorded")
    asyncio.run(_record(out))  # once for the module, outside any test's event loop
    return load(out / "session.yaml")


def planted(cassette: Cassette, index: int, change: Callable[[dict[str, Any]], None]) -> Cassette:
    """The cassette with the JSON answer of one exchange changed."""
    interactions = list(cassette.interactions)
    document = json.loads(str(interactions[index].response.body))
    change(document)
    answer = replace(interactions[index].response, body=json.dumps(document))
    interactions[index] = interactions[index].with_response(answer)
    return Cassette(cassette.name, tuple(interactions))


SCRAPED = 6  # the exchange answering the scraper query that saw success


def _rename(d: dict[str, Any]) -> None:
    d["result"]["productTitle"] = d["result"].pop("productName")


def _new_field(d: dict[str, Any]) -> None:
    d["result"]["sku"] = "CUP-1"


def _enum(d: dict[str, Any]) -> None:
    d["result"]["productImages"][0]["fileType"] = "photo"


def _type(d: dict[str, Any]) -> None:
    d["result"]["productImages"][0]["fileId"] = 12345


async def test_a_faithful_recording_drifts_nowhere(recorded: Cassette) -> None:
    report = await drift([recorded], load_contract())
    assert report.findings == [] and report.skipped == []  # every exchange, uploads and downloads included
    assert report.interactions == len(recorded) == 10


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            _rename,
            {
                ("contract", "additive", "undeclared-field", "$.result.productTitle"),
                ("fake", "breaking", "missing-field", "$.result.productName"),
                ("fake", "additive", "new-field", "$.result.productTitle"),
            },
        ),
        (
            _new_field,
            {
                ("contract", "additive", "undeclared-field", "$.result.sku"),
                ("fake", "additive", "new-field", "$.result.sku"),
            },
        ),
        (
            _enum,
            {
                ("contract", "breaking", "enum", "$.result.productImages[].fileType"),
                ("fake", "breaking", "enum", "$.result.productImages[].fileType"),
            },
        ),
        (
            _type,
            {
                ("contract", "breaking", "type", "$.result.productImages[].fileId"),
                ("fake", "breaking", "type", "$.result.productImages[].fileId"),
            },
        ),
    ],
    ids=["renamed-field", "new-field", "changed-enum", "type-change"],
)
async def test_planted_differences_are_found_and_classed(
    recorded: Cassette, change: Callable[[dict[str, Any]], None], expected: set[tuple[str, str, str, str]]
) -> None:
    report = await drift([planted(recorded, SCRAPED, change)], load_contract())
    found = {(f.check, f.severity, f.kind, f.path) for f in report.findings}
    assert found == expected
    assert {(f.cassette, f.interaction, f.operation) for f in report.findings} == {("session", SCRAPED, "scraperQuery")}


async def test_skipped_paths_are_left_out_of_the_fake_comparison(recorded: Cassette) -> None:
    skip = SkipPaths.parse(["# costs move", "scraperQuery $.result.productImages[].fileId"])
    report = await drift([planted(recorded, SCRAPED, _type)], load_contract(), ["fake"], skip)
    assert report.findings == []


async def test_an_upload_answered_differently_and_a_code_the_fake_would_not_give_are_breaking(
    recorded: Cassette,
) -> None:
    interactions = list(recorded.interactions)
    interactions[1] = interactions[1].with_response(replace(interactions[1].response, status=403))
    cassette = planted(Cassette("c", tuple(interactions)), 2, lambda d: d.update(code="4004", result=None))
    report = await drift([cassette], load_contract(), ["fake"])
    assert [(f.interaction, f.kind, f.detail) for f in report.findings] == [
        (1, "status", "HTTP 403 upstream, 200 from the fake"),
        (2, "code", "upstream answered code 4004 (Success), the fake 200 (Success)"),
    ]


def test_the_command_writes_a_report_and_exits_1_on_breaking_drift(
    tmp_path: Path, recorded: Cassette, capsys: pytest.CaptureFixture[str]
) -> None:
    cassettes = tmp_path / "planted"
    cassettes.mkdir()
    (cassettes / "session.yaml").write_text(dumps(planted(recorded, SCRAPED, _rename)))
    report_file = tmp_path / "drift.json"
    assert main(["drift", str(cassettes), "--against", "contract,fake", "--report", str(report_file)]) == 1
    report = json.loads(report_file.read_text())
    assert (report["breaking"], report["additive"]) == (1, 2)
    assert report["findings"][0]["path"] in ("$.result.productTitle", "$.result.productName")
    assert "1 breaking, 2 additive finding(s)" in capsys.readouterr().out
    (cassettes / "session.yaml").write_text(dumps(planted(recorded, SCRAPED, _new_field)))
    assert main(["drift", str(cassettes), "--against", "contract"]) == 0  # additive only
    assert len(load_dir(cassettes)) == 1
