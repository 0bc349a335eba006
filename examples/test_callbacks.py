"""Task callbacks reaching the application's receiver."""

from __future__ import annotations

import httpx
import pytest
from topview_client import Account, CallbackReceiver, SyncTopviewClient

from mock_server import FakeTopview, LiveServer

SUBMIT = "/v1/scraper/task/submit"


async def test_callback_in_process(topview_mock: FakeTopview) -> None:
    with CallbackReceiver() as receiver:
        response = await topview_mock.client.post(
            SUBMIT, json={"productLink": "https://shop.example.com/p/1", "noticeUrl": receiver.url}
        )
        task_id = response.json()["result"]["taskId"]
        topview_mock.advance(5)
        await topview_mock.adrain_callbacks()
    [notice] = receiver.notices
    assert (notice["taskId"], notice["status"]) == (task_id, "success")
    assert topview_mock.callbacks(task_id=task_id)[0].state == "delivered"


@pytest.mark.topview(clock="realtime", speed=100)
def test_callback_from_live_server_nobody_polls(topview_server: LiveServer) -> None:
    # 4 virtual seconds of work pass in 0.04 real seconds; the server's ticker finishes the task.
    client = SyncTopviewClient(Account(topview_server.uid, topview_server.api_key, topview_server.url))
    with CallbackReceiver() as receiver:
        task_id = client.submit(SUBMIT, {"productLink": "https://shop.example.com/p/1", "noticeUrl": receiver.url})
        [notice] = receiver.wait_for(1)
    assert (notice["taskId"], notice["status"]) == (task_id, "success")
    # The result links inside a callback point at the server that sent it, and download from it.
    [image, *_] = notice["result"]["productImages"]  # the receiver parsed the result string
    assert image["fileUrl"].startswith(topview_server.url + "/_objects/")
    assert httpx.get(image["fileUrl"]).status_code == 200
    client.close()
