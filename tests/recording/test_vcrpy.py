"""vcrpy itself replays a cassette ``topview-mock record`` wrote, as a downstream test suite would."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import vcr
from standin import SCRAPE, record_flows

pytestmark = pytest.mark.anyio


async def test_vcrpy_replays_a_recorded_cassette(tmp_path: Path) -> None:
    await record_flows(tmp_path, record_as="https://api.topview.ai")
    player = vcr.VCR(record_mode="none")  # a request the cassette lacks raises instead of going out
    headers = {"Topview-Uid": "someone", "Authorization": "Bearer whatever"}
    with player.use_cassette(str(tmp_path / "session.yaml")) as cassette:
        async with httpx.AsyncClient(base_url="https://api.topview.ai", headers=headers) as client:
            credential = (await client.get("/v1/upload/credential", params={"format": "png"})).json()["result"]
            put = await client.put(credential["uploadUrl"], content=b"\x89PNG...")
            assert put.status_code == 200
            check = await client.get("/v1/upload/check", params={"fileId": credential["fileId"]})
            assert check.json()["result"] is True
            task_id = (await client.post("/v1/scraper/task/submit", json=SCRAPE)).json()["result"]["taskId"]
            statuses = []
            for _ in range(3):
                answer = await client.get("/v1/scraper/task/query", params={"taskId": task_id})
                statuses.append(answer.json()["result"]["status"])
        assert statuses == ["init", "running", "success"]
        assert cassette.all_played
