"""The sync client against the in-process fake: through the fixture's client, or plain httpx.Client."""

from __future__ import annotations

import httpx
import pytest
from product_photo import product_photo
from topview_client import Account, SyncTopviewClient

from mock_server import FakeTopview


@pytest.mark.parametrize("bound", [True, False], ids=["fixture-client", "plain-httpx"])
def test_upload_submit_poll_download(topview_mock: FakeTopview, bound: bool) -> None:
    http = topview_mock.sync_client if bound else httpx.Client()
    client = SyncTopviewClient(Account(topview_mock.uid, topview_mock.api_key), http=http, sleep=topview_mock.advance)
    file_id = client.upload(product_photo(), "png")
    task_id = client.submit("/v1/common_task/remove_background/submit", {"productImageFileId": file_id})
    result = client.wait("/v1/common_task/remove_background/query", task_id)
    assert result["status"] == "success"
    assert client.download(result["bgRemovedImagePath"])[:4] == b"\x89PNG"
    client.close()


@pytest.mark.topview(seed=3)
def test_seeded_ids_repeat(topview_mock: FakeTopview) -> None:
    first = topview_mock.sync_client.get("/v1/upload/credential", params={"format": "png"}).json()["result"]
    topview_mock.reset()
    again = topview_mock.sync_client.get("/v1/upload/credential", params={"format": "png"}).json()["result"]
    assert first["fileId"] == again["fileId"]
