"""The budget guard: submits stop reaching the upstream once recording would spend more than --max-credits."""

from __future__ import annotations

from pathlib import Path

import pytest
from standin import recording

from mock_server.recording.cassettes import load

pytestmark = pytest.mark.anyio

# Seedream 4.0 at 1K: 0.15 credits per image (catalogs.yaml); Nano Banana 2 at 2K: 0.6 per image.
CHEAP = {"model": "seedream-4.0", "prompt": "A cup.", "aspectRatio": "1:1", "resolution": "1K"}
DEAR = {"model": "Nano Banana 2", "prompt": "A cup.", "aspectRatio": "1:1", "resolution": "2K", "generateCount": 2}
SUBMIT = "/v1/common_task/text2image/task/submit"
QUERY = "/v1/common_task/text2image/task/query"


async def test_a_submit_that_would_pass_the_budget_is_answered_4100_and_not_forwarded(tmp_path: Path) -> None:
    async with recording(tmp_path, max_credits=1.0) as (stand_in, recorder, client):
        first = (await client.post(SUBMIT, json=CHEAP)).json()
        assert first["code"] == "200"
        refused = (await client.post(SUBMIT, json=DEAR)).json()
        assert refused["code"] == "4100" and refused["result"] is None
        assert "--max-credits" in refused["message"] and "1.2 credits" in refused["message"]
        assert "0.15 of the 1" in refused["message"]
        # Queries and free calls still go through.
        assert (await client.get("/user/credit/detail")).json()["code"] == "200"
        assert len(stand_in.mock.tasks()) == 1  # the refused submit never reached the upstream
    assert [i.request.uri.rsplit("/", 1)[-1] for i in load(tmp_path / "session.yaml")] == ["submit", "detail"]
    assert recorder.budget.used == 0.15


async def test_recorded_cost_credits_replace_estimates_and_failed_tasks_cost_nothing(tmp_path: Path) -> None:
    async with recording(tmp_path, max_credits=0.5) as (stand_in, recorder, client):
        stand_in.mock.script_outcomes("text2ImageSubmit", ["fail; message=GPU melted", "success", "success"])
        failed = (await client.post(SUBMIT, json=CHEAP)).json()["result"]["taskId"]
        stand_in.mock.advance(5)
        await client.get(QUERY, params={"taskId": failed})
        assert recorder.budget.used == 0.0  # refunded: the failed task no longer counts
        for _ in range(3):
            assert (await client.post(SUBMIT, json=CHEAP)).json()["code"] == "200"
        assert recorder.budget.used == 0.45
        assert (await client.post(SUBMIT, json=CHEAP)).json()["code"] == "4100"


async def test_without_a_budget_nothing_is_refused(tmp_path: Path) -> None:
    async with recording(tmp_path) as (_, _, client):
        for _ in range(3):
            assert (await client.post(SUBMIT, json=DEAR)).json()["code"] == "200"


async def test_a_query_reporting_cost_credit_replaces_the_estimate_committed_at_submit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The upstream's price may differ from the fake's estimate: here the estimate is a third of it.
    async with recording(tmp_path, max_credits=0.45) as (stand_in, recorder, client):
        monkeypatch.setattr(recorder.budget, "estimate", lambda operation_id, body: 0.05)
        ids = [(await client.post(SUBMIT, json=CHEAP)).json()["result"]["taskId"] for _ in range(3)]
        assert recorder.budget.used == 0.15  # three estimates committed
        stand_in.mock.advance(5)
        for task_id in ids:
            answer = (await client.get(QUERY, params={"taskId": task_id})).json()["result"]
            assert answer["status"] == "success" and answer["costCredit"] == 0.15
        assert recorder.budget.used == 0.45  # each estimate replaced by the recorded costCredit
        refused = (await client.post(SUBMIT, json=CHEAP)).json()
        assert refused["code"] == "4100" and "0.45 of the 0.45" in refused["message"]
