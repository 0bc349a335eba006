"""Scenarios: one document for a whole client run, applied from Python, over HTTP and by ``serve --scenario``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from topview_calls import UID, headers, ok

from mock_server import TopviewMock
from mock_server.cli import main
from mock_server.control.scenario import Scenario
from mock_server.control.schema import ControlError
from mock_server.engine.tasks import Outcome, Progression

pytestmark = pytest.mark.anyio

SCRAPE = {"productLink": "https://shop.example.com/p/1"}
M2V = {"productLink": "https://shop.example.com/p/1", "preview": False}  # m2v costs credits; scraping is free
DOCUMENT: dict[str, Any] = {
    "progression": {"mode": "polls", "init": 1, "running": 1},
    "outcomes": {"scraperSubmit": ["fail; message=Product page unreachable"]},
    "faults": [{"operationId": "scraperQuery", "code": "5003", "times": 1}],
    "variants": [{"operationId": "scraperQuery", "kind": "upper", "path": "result.status"}],
    "account": {"credits": 500},
    "callbacks": {"deliverTwice": True, "extraDelay": 3},
}


def test_a_document_reads_and_writes_back() -> None:
    scenario = Scenario.from_json(DOCUMENT)
    assert scenario.progression == Progression("polls", 1, 1)
    assert scenario.outcomes == (("scraperSubmit", (Outcome("fail", "Product page unreachable"),)),)
    assert Scenario.from_json(scenario.to_json()) == scenario
    assert scenario.operations() == {"scraperSubmit", "scraperQuery"}
    assert not scenario.fault_free and Scenario().fault_free
    assert Scenario().to_json() == {}


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"weather": 1}, "scenario.weather"),
        ({"faults": [{"code": "9999"}]}, "faults[0].code"),
        ({"faults": {"code": "5003"}}, "faults must be a list"),
        ({"variants": [{"operationId": "scraperQuery", "kind": "upper", "path": "a..b"}]}, "variants[0].path"),
        ({"variants": [{"kind": "upper"}]}, "variants[0].operationId"),
        ({"account": {"credits": -1}}, "account.credits"),
        ({"account": {"credits": 1e300}}, "account.credits must be at most 1e+12"),
        ({"account": {"maxUnfinished": "one"}}, "account.maxUnfinished"),
        ({"callbacks": {"deliverTwice": "yes"}}, "callbacks.deliverTwice"),
        ({"outcomes": {"scraperSubmit": ["maybe"]}}, "outcomes.scraperSubmit[0]"),
        ({"progression": {"mode": "sometimes"}}, "progression.mode"),
    ],
)
def test_a_bad_document_names_the_field(document: dict[str, Any], field: str) -> None:
    with pytest.raises(ControlError) as raised:
        Scenario.from_json(document)
    assert field in raised.value.message


async def test_applying_resets_then_behaves_as_told(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Outcome, fault, variant, progression and the account's balance, all from one document."""
    old = ok((await client.post("/v1/scraper/task/submit", json=SCRAPE, headers=headers())).json())["taskId"]
    mock.apply_scenario(DOCUMENT)
    assert mock.state.find_task(old) is None  # reset first
    task_id = ok((await client.post("/v1/scraper/task/submit", json=SCRAPE, headers=headers())).json())["taskId"]
    answers = [
        (await client.get("/v1/scraper/task/query", params={"taskId": task_id}, headers=headers())).json()
        for _ in range(3)
    ]
    assert answers[0]["code"] == "5003"
    assert [a["result"]["status"] for a in answers[1:]] == ["RUNNING", "FAIL"]
    assert answers[2]["result"]["errorMsg"] == "Product page unreachable"
    assert mock.credits(UID)["granted"] == 500
    assert mock.notices.policy.deliver_twice and mock.notices.policy.extra_delay == 3
    mock.reset()
    assert (mock.scenario, mock.state.default_credits, bool(mock.variants)) == (Scenario(), 1000, False)
    assert not mock.notices.policy.deliver_twice


async def test_account_state_answers_4100_and_4007(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    mock.apply_scenario({"account": {"credits": 0}})
    assert (await client.post("/v1/m2v/task/submit", json=M2V, headers=headers())).json()["code"] == "4100"
    assert (await client.post("/v1/scraper/task/submit", json=SCRAPE, headers=headers())).json()["code"] == "200"
    mock.apply_scenario({"account": {"maxUnfinished": 0}})  # the account's limit is already full
    assert (await client.post("/v1/scraper/task/submit", json=SCRAPE, headers=headers())).json()["code"] == "4007"


async def test_over_http(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    answer = await client.put("/_mock/scenario", json=DOCUMENT)
    assert answer.status_code == 200
    assert Scenario.from_json(answer.json()["scenario"]) == Scenario.from_json(DOCUMENT)
    assert (await client.get("/_mock/scenario")).json()["scenario"] == answer.json()["scenario"]
    bad = await client.put("/_mock/scenario", json={"faults": [{"operationId": "teleport", "code": "5003"}]})
    assert bad.status_code == 400
    assert bad.json() == {"error": "faults[0].operationId is not an operation of the contract"}
    assert mock.scenario == Scenario.from_json(DOCUMENT)  # a refused document changes nothing
    assert (await client.put("/_mock/scenario", json={})).json() == {"scenario": {}}


def test_python_refusals_are_value_errors(mock: TopviewMock) -> None:
    with pytest.raises(ValueError, match=r"variants\[0\]\.operationId is not an operation"):
        mock.apply_scenario({"variants": [{"operationId": "nope", "kind": "null", "path": "result"}]})
    with pytest.raises(ValueError, match=r"account\.credits"):
        mock.apply_scenario({"account": {"credits": "lots"}})


def test_serve_refuses_a_bad_scenario_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"faults": [{"code": "42"}]}')
    assert main(["serve", "--port", "0", "--scenario", str(path)]) == 2
    assert "bad.json: faults[0].code" in capsys.readouterr().err
