"""The ``topview_replay`` fixture, used the way a downstream project uses it (pytester, plugin from its entry point)."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from standin import record_flows

pytest_plugins = ["pytester"]

DOWNSTREAM = """
import httpx
import pytest

SUBMIT, QUERY = "/v1/scraper/task/submit", "/v1/scraper/task/query"
PRODUCT = {"productLink": "https://shop.example.com/p/1"}


def poll(client, task_id):
    return client.get(QUERY, params={"taskId": task_id}).json()["result"]["status"]


@pytest.mark.topview_replay("cassettes")
def test_plain_httpx_gets_the_recorded_answers_in_order(topview_replay):
    with httpx.Client(base_url="https://api.topview.ai") as client:
        task_id = client.post(SUBMIT, json=PRODUCT).json()["result"]["taskId"]
        assert [poll(client, task_id) for _ in range(3)] == ["init", "running", "success"]
    assert topview_replay.misses == []


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # not trio too, where selenium installed it
@pytest.mark.topview_replay("cassettes", cassette="session")
async def test_async_upload_through_the_recorded_links(topview_replay):
    async with topview_replay.client() as client:
        credential = (await client.get("/v1/upload/credential", params={"format": "png"})).json()["result"]
        assert (await client.put(credential["uploadUrl"], content=b"png")).status_code == 200
        assert (await client.get("/v1/upload/check", params={"fileId": credential["fileId"]})).json()["result"]


@pytest.mark.topview_replay("cassettes", strict=False)
def test_a_miss_answers_4004_naming_the_nearest(topview_replay):
    with topview_replay.sync_client() as client:
        answer = client.get(QUERY, params={"taskId": "0" * 32})
    assert answer.status_code == 404 and answer.json()["code"] == "4004"
    assert "nearest recorded request" in answer.json()["message"]
    assert len(topview_replay.misses) == 1


@pytest.mark.topview_replay(cassette="scraper")
def test_without_a_path_the_shipped_cassettes_replay(topview_replay):
    cup = {"productLink": "https://shop.example.com/cup"}
    with topview_replay.sync_client() as client:
        first = client.post(SUBMIT, json=cup).json()["result"]["taskId"]
        assert [poll(client, first) for _ in range(3)] == ["init", "running", "success"]
        second = client.post(SUBMIT, json=cup).json()["result"]["taskId"]  # the same request, the next answer
    assert first != second


@pytest.mark.topview_replay("cassettes")
def test_strict_fails_on_a_miss(topview_replay):
    httpx.get("https://api.topview.ai/v1/scraper/task/query?taskId=x")
"""


def test_a_cassette_directory_is_replayed_in_process(pytester: pytest.Pytester) -> None:
    # Recorded outside any event loop: the downstream tests below run their own.
    asyncio.run(record_flows(pytester.path / "cassettes", record_as="https://api.topview.ai"))
    pytester.makepyfile(test_downstream=DOWNSTREAM)
    result = pytester.runpytest("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=5, errors=1)  # the strict one passes, then fails at teardown
    result.stdout.fnmatch_lines(["*topview_replay: 1 request(s) had no recorded answer*", "*taskId=x*"])


def test_loading_the_replay_plugin_imports_nothing_of_the_machinery() -> None:
    """Every session of a project that installed topview-mock loads this plugin too: httpx, respx and the
    cassettes come with the fixture."""
    heavy = ("httpx", "respx", "yaml", "starlette", "mock_server.recording.proxy", "mock_server.contract")
    code = f"import sys, mock_server.recording.pytest_replay; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.strip() == "[]"
