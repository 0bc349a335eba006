"""Replay: recorded answers served back in order, links through the replay server, misses explained."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from standin import SCRAPE, record_flows

from mock_server.recording.cassettes import load_dir
from mock_server.recording.proxy import CASSETTE_HEADER
from mock_server.recording.replay import Replayer

pytestmark = pytest.mark.anyio
QUERY = "/v1/scraper/task/query"


@pytest.fixture
async def recorded(tmp_path: Path) -> Path:
    """A cassette directory holding an upload and a polled scraper task."""
    await record_flows(tmp_path)
    return tmp_path


@pytest.fixture
async def replay(recorded: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a replay server over the recorded cassettes (in process)."""
    replayer = Replayer(load_dir(recorded))
    transport = httpx.ASGITransport(replayer.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://replay.local") as client:
        yield client


async def test_repeated_requests_get_their_recorded_answers_in_order(replay: httpx.AsyncClient) -> None:
    task_id = (await replay.post("/v1/scraper/task/submit", json=SCRAPE)).json()["result"]["taskId"]
    assert task_id == "00000000000000000000000000000003"  # the upload's fileId and key held the first two
    statuses = [(await replay.get(QUERY, params={"taskId": task_id})).json()["result"]["status"] for _ in range(4)]
    assert statuses == ["init", "running", "success", "success"]  # then the last answer again
    await replay.post("/_replay/rewind")
    assert (await replay.get(QUERY, params={"taskId": task_id})).json()["result"]["status"] == "init"


async def test_uploads_go_through_the_replay_server(replay: httpx.AsyncClient) -> None:
    credential = (await replay.get("/v1/upload/credential", params={"format": "png"})).json()["result"]
    assert credential["uploadUrl"].startswith("http://replay.local/_ext/https/topview-upload.s3.test/s3/")
    put = await replay.put(credential["uploadUrl"], content=b"any bytes", headers={"Content-Type": "image/png"})
    assert put.status_code == 200
    check = await replay.get("/v1/upload/check", params={"fileId": credential["fileId"]})
    assert check.json()["result"] is True


async def test_a_miss_answers_topview_shaped_and_names_the_nearest_request(
    replay: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="topview_mock.replay"):
        answer = await replay.get(QUERY, params={"taskId": "00000000000000000000000000000009"})
    assert answer.status_code == 404
    envelope = answer.json()
    assert (envelope["code"], envelope["result"]) == ("4004", None)
    message = envelope["message"]
    assert "nearest recorded request: session #4: GET /v1/scraper/task/query?taskId=" in message
    assert (
        "query taskId: recorded '00000000000000000000000000000003', got '00000000000000000000000000000009'" in message
    )
    assert message.removeprefix("topview-mock replay: ") in caplog.text  # the server prints it too

    body_miss = await replay.post("/v1/scraper/task/submit", json={"productLink": "https://shop.example.com/p/2"})
    assert (
        "body $.productLink: recorded 'https://shop.example.com/p/1', got 'https://shop.example.com/p/2'"
        in body_miss.json()["message"]
    )
    misses = (await replay.get("/_replay/misses")).json()["misses"]
    assert len(misses) == 2 and "differs in method" not in misses[0]


async def test_a_cassette_header_picks_one_cassette(recorded: Path) -> None:
    (recorded / "session.yaml").rename(recorded / "flows.yaml")
    await record_flows(recorded)  # a second cassette, session.yaml, with the same requests
    replayer = Replayer(load_dir(recorded))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(replayer.app()), base_url="http://r.local") as client:
        task_id = (await client.post("/v1/scraper/task/submit", json=SCRAPE)).json()["result"]["taskId"]
        picked = {CASSETTE_HEADER: "session"}
        first = await client.get(QUERY, params={"taskId": task_id}, headers=picked)
        other = await client.get(QUERY, params={"taskId": task_id}, headers={CASSETTE_HEADER: "flows"})
        assert first.json()["result"]["status"] == other.json()["result"]["status"] == "init"
        missing = await client.get(QUERY, params={"taskId": task_id}, headers={CASSETTE_HEADER: "nope"})
        assert missing.json()["code"] == "4004"
