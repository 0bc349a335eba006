"""The async client against the in-process fake: plain httpx calls to api.topview.ai reach it unchanged."""

from __future__ import annotations

import httpx
import pytest
from product_photo import product_photo
from topview_client import Account, TopviewAPIError, TopviewClient

from mock_server import FakeTopview, Progression


def client_for(fake: FakeTopview) -> TopviewClient:
    """The application's client, unchanged; waiting between polls moves the fake's clock instead."""

    async def sleep(seconds: float) -> None:
        fake.advance(seconds)

    return TopviewClient(Account(fake.uid, fake.api_key), http=httpx.AsyncClient(), sleep=sleep)


async def test_remove_background_end_to_end(topview_mock: FakeTopview) -> None:
    client = client_for(topview_mock)
    cut_out = await client.remove_background(product_photo())
    await client.aclose()
    assert cut_out.startswith(b"\x89PNG")
    [task] = topview_mock.tasks()
    assert task["status"] == "success"


@pytest.mark.topview(progression=Progression("polls", 1, 2))
async def test_polls_progression_finishes_after_three_queries(topview_mock: FakeTopview) -> None:
    client = client_for(topview_mock)
    task_id = await client.submit("/v1/scraper/task/submit", {"productLink": "https://shop.example.com/p/1"})
    result = await client.wait("/v1/scraper/task/query", task_id)
    await client.aclose()
    assert result["status"] == "success"
    assert topview_mock.task(task_id)["history"][-1]["status"] == "success"


@pytest.mark.topview(outcomes={"scraperSubmit": "fail; message=product page unreachable"})
async def test_a_failed_task_is_reported(topview_mock: FakeTopview) -> None:
    client = client_for(topview_mock)
    task_id = await client.submit("/v1/scraper/task/submit", {"productLink": "https://shop.example.com/p/1"})
    result = await client.wait("/v1/scraper/task/query", task_id)
    await client.aclose()
    assert (result["status"], result["errorMsg"]) == ("fail", "product page unreachable")


@pytest.mark.topview(credits=0.1)
async def test_too_few_credits_is_an_api_error(topview_mock: FakeTopview) -> None:
    client = client_for(topview_mock)
    with pytest.raises(TopviewAPIError) as raised:
        await client.remove_background(product_photo())
    await client.aclose()
    assert raised.value.code == "4100"
