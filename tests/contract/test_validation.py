"""Loose input real Topview clients send, read as the Java backend reads it (issue: real clients' requests).

Each test sends the request a public client sends — the official skill's upload helper, Python
``requests`` scripts, Node ``fetch``/``axios`` scripts — with only the base URL changed.
"""

from __future__ import annotations

import httpx
import pytest
from topview_calls import assert_error, call, finished_task, ok

from mock_server import TopviewMock

pytestmark = pytest.mark.anyio

PRODUCT_LINK = "https://shop.example.com/p/cup"


async def raw_get(client: httpx.AsyncClient, path_and_query: str) -> dict[str, object]:
    """A GET with the query string exactly as written (httpx would not drop an empty value either)."""
    response = await client.get(
        path_and_query, headers={"Topview-Uid": "uid-alice", "Authorization": "Bearer test-key"}
    )
    assert response.status_code == 200, response.text
    envelope: dict[str, object] = response.json()
    return envelope


# -- empty query values are absent --------------------------------------------------------------------------


async def test_the_skill_upload_helper_sends_an_empty_need_accelerate_url(client: httpx.AsyncClient) -> None:
    """``?format=png&needAccelerateUrl=`` (sent on every upload credential request) is a credential."""
    result = ok(await raw_get(client, "/v1/upload/credential?format=png&needAccelerateUrl="))
    assert result["format"] == "png" and "/_objects/" in result["uploadUrl"]


async def test_empty_paging_values_take_their_defaults(client: httpx.AsyncClient) -> None:
    """``?pageNo=&pageSize=`` pages as if both were absent: page 1 of 20."""
    page = ok(await raw_get(client, "/v1/ethnicity/list?scene=video_avatar&pageNo=&pageSize="))
    assert (page["pageNo"], page["pageSize"]) == (1, 20)


async def test_empty_filters_filter_nothing(client: httpx.AsyncClient) -> None:
    """``?taskType=&startTime=`` on the credit logs is the unfiltered list, not a 4000 on the time."""
    page = ok(await raw_get(client, "/user/credit/logs?taskType=&startTime=&endTime="))
    assert page["pageNo"] == 1


async def test_an_empty_cloudfront_flag_is_false(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """``?taskId=...&needCloudFrontUrl=`` queries with presigned S3-style links."""
    task_id, _ = await finished_task(client, mock, "scraperSubmit", {"productLink": PRODUCT_LINK})
    result = ok(await raw_get(client, f"/v1/scraper/task/query?taskId={task_id}&needCloudFrontUrl="))
    assert "/_cdn/" not in str(result) and "X-Amz-Signature" in str(result)


async def test_an_empty_required_query_value_is_missing(client: httpx.AsyncClient) -> None:
    """``?taskId=`` is a missing taskId (4003), as before."""
    assert_error(await raw_get(client, "/v1/scraper/task/query?taskId="), "4003", "taskId cannot be null")


# -- null and empty arrays in bodies ------------------------------------------------------------------------


async def test_null_for_an_optional_body_field_is_absent(client: httpx.AsyncClient) -> None:
    """A Node client's ``{productName: product.name ?? null, ...}`` is accepted (was 4001)."""
    body = {
        "productLink": PRODUCT_LINK,
        "productName": None,
        "productDescription": None,
        "voiceId": None,
        "aspectRatio": None,
        "preview": None,
        "noticeUrl": None,
    }
    ack = ok(await call(client, "POST", "/v1/m2v/task/submit", json=body))
    assert ack["noticeUuid"] is None  # no noticeUrl: no callback


async def test_null_for_a_required_body_field_stays_missing(client: httpx.AsyncClient) -> None:
    """``{"productLink": null}`` on the scraper is 4003 naming the field."""
    envelope = await call(client, "POST", "/v1/scraper/task/submit", json={"productLink": None})
    assert_error(envelope, "4003", "productLink cannot be null")


async def test_an_empty_optional_array_is_absent(client: httpx.AsyncClient) -> None:
    """``fileIds: []`` beside a productLink (a form with no files picked) is accepted."""
    ok(await call(client, "POST", "/v1/m2v/task/submit", json={"productLink": PRODUCT_LINK, "fileIds": []}))


async def test_an_empty_required_array_must_not_be_empty(client: httpx.AsyncClient) -> None:
    """``fileIds: []`` on the batch translate is 4003 saying it must not be empty."""
    body = {"fileIds": [], "languages": ["German"]}
    envelope = await call(client, "POST", "/v1/image_translate/batch/task/submit", json=body)
    assert_error(envelope, "4003", "fileIds must not be empty")


# -- booleans -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["true", "TRUE", "True", "1"])
async def test_boolean_query_values_are_read_in_any_case_and_as_one(
    client: httpx.AsyncClient, mock: TopviewMock, value: str
) -> None:
    """``needCloudFrontUrl=TRUE`` (or True, 1) gives CloudFront-style links."""
    task_id, _ = await finished_task(client, mock, "scraperSubmit", {"productLink": PRODUCT_LINK})
    result = ok(await raw_get(client, f"/v1/scraper/task/query?taskId={task_id}&needCloudFrontUrl={value}"))
    assert "/_cdn/" in str(result)


@pytest.mark.parametrize("value", ["false", "FALSE", "False", "0"])
async def test_false_query_values_are_read_in_any_case_and_as_zero(
    client: httpx.AsyncClient, mock: TopviewMock, value: str
) -> None:
    """``needCloudFrontUrl=FALSE`` (or False, 0) gives presigned S3-style links."""
    task_id, _ = await finished_task(client, mock, "scraperSubmit", {"productLink": PRODUCT_LINK})
    result = ok(await raw_get(client, f"/v1/scraper/task/query?taskId={task_id}&needCloudFrontUrl={value}"))
    assert "/_cdn/" not in str(result)


@pytest.mark.parametrize(("value", "preview"), [("TRUE", True), ("True", True), ("1", True), ("FALSE", False)])
async def test_boolean_body_fields_sent_as_strings(
    client: httpx.AsyncClient, mock: TopviewMock, value: str, preview: bool
) -> None:
    """m2v ``preview: "TRUE"`` is a preview task: it finishes with preview videos to export."""
    _, result = await finished_task(client, mock, "m2vSubmit", {"productLink": PRODUCT_LINK, "preview": value})
    assert bool(result["previewVideos"]) is preview


async def test_a_word_that_is_no_boolean_is_still_a_type_error(client: httpx.AsyncClient) -> None:
    """``preview: "yes"`` is 4001 naming preview."""
    envelope = await call(client, "POST", "/v1/m2v/task/submit", json={"productLink": PRODUCT_LINK, "preview": "yes"})
    assert_error(envelope, "4001", "preview")
