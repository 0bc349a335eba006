"""The project's own fixtures, checked the way ``topview-mock drift`` checks recordings.

``fixtures/cassettes`` holds the main flows recorded from the fake through the recorder
(``scripts/record_fixtures.py``); the JSON fixtures hold documented example answers. A fixture that no
longer matches the contract, or a cassette the fake no longer answers alike, fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from topview_calls import load_contract

from mock_server.recording.cassettes import load, load_dir
from mock_server.recording.contract_pass import ContractCheck
from mock_server.recording.drift import drift
from mock_server.recording.flow_groups import GROUPS
from mock_server.recording.flows import flows, links, record_from_fake

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CASSETTES = FIXTURES / "cassettes"
JSON_FIXTURES = sorted(p for p in FIXTURES.glob("*/*.json") if p.parent.name != "callbacks")


def test_every_flow_has_its_cassette() -> None:
    assert sorted(c.name for c in load_dir(CASSETTES)) == sorted(flows(fake=True))


@pytest.mark.anyio
async def test_the_fixture_cassettes_match_the_contract_and_the_fake() -> None:
    report = await drift(load_dir(CASSETTES), load_contract())
    # When the fake changed on purpose, re-record: .venv/bin/python scripts/record_fixtures.py
    assert [f.describe() for f in report.findings] == [], "re-record with scripts/record_fixtures.py"
    assert report.skipped == []  # every exchange followed, uploads and downloads included


@pytest.mark.parametrize("group", [g.name for g in GROUPS])
def test_each_group_cassette_takes_a_task_to_success_and_one_to_fail(group: str) -> None:
    statuses, files = [], []
    for interaction in load(CASSETTES / f"{group}.yaml"):
        body = interaction.response.body
        result = json.loads(body).get("result") if isinstance(body, str) and body.startswith("{") else None
        if isinstance(result, dict) and interaction.request.method == "GET":
            statuses.append(result.get("status") or result.get("taskStatus"))
            files += list(links(result)) if statuses[-1] == "success" else []
    assert {"init", "running", "success", "fail"} <= set(statuses)
    downloads = [i for i in load(CASSETTES / f"{group}.yaml") if i.response_body is not None]
    # The successful task's first result file is fetched, and recorded as metadata only.
    assert [d.request.uri for d in downloads] == files[:1]


@pytest.mark.parametrize("path", JSON_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_json_fixtures_pass_the_strict_contract_check(path: Path) -> None:
    fixture = json.loads(path.read_text(encoding="utf-8"))
    contract = load_contract()
    findings = ContractCheck(contract).check_answer(contract[fixture["operationId"]], fixture["response"])
    assert [f.describe() for f in findings] == []


@pytest.mark.anyio
async def test_the_fixtures_script_records_the_same_exchanges(tmp_path: Path) -> None:
    await record_from_fake(tmp_path, ["upload", "scraper"], load_contract())
    for name in ("upload", "scraper"):
        fresh, committed = load(tmp_path / f"{name}.yaml"), load(CASSETTES / f"{name}.yaml")
        assert [(i.request.method, i.request.uri) for i in fresh] == [
            (i.request.method, i.request.uri) for i in committed
        ]
