"""The sample client checked by the client kit, as a downstream suite would write it: one test, shrinking for free."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from topview_client import Account, SyncTopviewClient, TopviewAPIError

from mock_server.clientkit import Credentials

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000080000000808020000004b6d29dc0000001449444154789c63fc51a1c180"
    "0d3061151d6e6812001e270178061683ca0000000049454e44ae426082"
)
# What the kit found in the first version of this flow (``result["bgRemovedImagePath"]``), shrunk: the
# link is optional in the contract, and without it the flow died with a KeyError (client-crashed).
FOUND = {"variants": [{"operationId": "removeBackgroundQuery", "kind": "drop", "path": "result.bgRemovedImagePath"}]}


def remove_background(credentials: Credentials, *, careful: bool = True) -> None:
    """An application's flow on the sample sync client: upload, submit, wait (every 10 ms, not 2 s), download."""
    client = SyncTopviewClient(
        Account(credentials.uid, credentials.api_key, credentials.base_url), sleep=lambda _: time.sleep(0.01)
    )
    file_id = client.upload(PNG, "png")
    task_id = client.submit("/v1/common_task/remove_background/submit", {"productImageFileId": file_id})
    result = client.wait("/v1/common_task/remove_background/query", task_id)
    if result["status"] != "success":
        raise TopviewAPIError("task", result.get("errorMsg") or "task failed")
    link = result.get("bgRemovedImagePath") if careful else result["bgRemovedImagePath"]
    print(len(client.download(link)) if link else "no cut-out in the result")


def test_the_flow_survives_what_topview_does(topview_mock: Any) -> None:
    """Faults, failed tasks, 4100/4007 and reshaped results: the client's own errors are fine, crashes are not."""
    report = topview_mock.check_client(
        remove_background, examples=40, seed=1, errors=(TopviewAPIError, httpx.HTTPError), min_poll_interval=0.005
    )
    assert report.findings == []


def test_what_the_kit_found_replays(topview_mock: Any) -> None:
    """The shrunk scenario of the first version's finding, applied by hand: the old line still fails on it."""
    topview_mock.apply_scenario({**FOUND, "progression": {"mode": "polls", "init": 0, "running": 0}})
    credentials = Credentials("https://api.topview.ai", topview_mock.uid, topview_mock.api_key)
    with pytest.raises(KeyError, match="bgRemovedImagePath"):
        remove_background(credentials, careful=False)
    remove_background(credentials)  # the fixed flow takes it
