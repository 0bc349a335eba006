"""The request pipeline's authentication, as real clients send their headers."""

from __future__ import annotations

import httpx
import pytest
from topview_calls import assert_error, headers

from mock_server import TopviewMock

pytestmark = pytest.mark.anyio
HEADERS = headers()


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
async def test_the_auth_scheme_is_read_in_any_case(client: httpx.AsyncClient, scheme: str) -> None:
    """``Authorization: bearer <key>`` authenticates: HTTP auth schemes are case-insensitive."""
    headers = {"Topview-Uid": "uid-alice", "Authorization": f"{scheme} sk-live"}
    response = await client.get("/user/credit/detail", headers=headers)
    assert response.json()["code"] == "200", response.text


@pytest.mark.parametrize("value", ["Basic sk-live", "Bearer", "Bearer  sk-live", "Token sk-live"])
async def test_other_schemes_and_malformed_values_are_still_401(client: httpx.AsyncClient, value: str) -> None:
    """Only the scheme's case is loose: another scheme, no key, or two spaces answer 401."""
    response = await client.get("/user/credit/detail", headers={"Topview-Uid": "uid-alice", "Authorization": value})
    assert response.json()["code"] == "401", response.text


# -- one order of checks: auth, shape, referenced ids, state ----------------------------------------------------

UNKNOWN = "0123456789abcdef0123456789abcdef"


async def test_auth_comes_before_the_shape(client: httpx.AsyncClient) -> None:
    """No credentials and a broken body: 401."""
    response = await client.post("/v1/scraper/task/submit", json={"productLink": ["not", "a", "string"]})
    assert response.json()["code"] == "401"


async def test_the_shape_comes_before_unknown_ids(client: httpx.AsyncClient) -> None:
    """An unknown taskId with a malformed flag: the flag's 4001, not the id's 4004."""
    response = await client.get(
        "/v1/scraper/task/query", params={"taskId": UNKNOWN, "needCloudFrontUrl": "maybe"}, headers=HEADERS
    )
    assert_error(response.json(), "4001", "needCloudFrontUrl")


async def test_a_broken_rule_comes_before_an_unknown_id(client: httpx.AsyncClient) -> None:
    """m2v with an unknown fileId and no productName (required without productLink): the rule's 4000."""
    body = {"fileIds": [UNKNOWN], "language": "en"}
    response = await client.post("/v1/m2v/task/submit", json=body, headers=HEADERS)
    assert_error(response.json(), "4000", "productName")


async def test_a_model_rule_comes_before_an_unknown_file(client: httpx.AsyncClient) -> None:
    """image2video v2 with an unknown first frame and a duration the model lacks: the model rule's 4000."""
    body = {"model": "Seedance 1.5 Pro", "firstFrameFileId": UNKNOWN, "duration": 60}
    response = await client.post("/v2/common_task/image2video/task/submit", json=body, headers=HEADERS)
    assert_error(response.json(), "4000", "duration")


async def test_a_refused_notice_url_comes_before_an_unknown_id(client: httpx.AsyncClient) -> None:
    """A metadata-address noticeUrl with an unknown voice: the noticeUrl's 4000."""
    body = {"productLink": "https://shop.example.com/p/1", "voiceId": UNKNOWN, "noticeUrl": "http://169.254.169.254/"}
    response = await client.post("/v1/m2v/task/submit", json=body, headers=HEADERS)
    assert_error(response.json(), "4000", "noticeUrl")


async def test_a_repeated_segment_comes_before_an_unknown_task(client: httpx.AsyncClient) -> None:
    """Script update of an unknown task with a repeated segId: the shape's 4000."""
    segments = [{"segId": 0, "segText": "One."}, {"segId": 0, "segText": "Two."}]
    body = {"taskId": UNKNOWN, "scriptId": 0, "scriptContents": segments}
    response = await client.post("/v1/m2v/script/update", json=body, headers=HEADERS)
    assert_error(response.json(), "4000", "segId")


async def test_unknown_ids_come_before_the_state(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """No credits left and an unknown voice: the id's 4004, not the credits' 4100."""
    mock.set_credits("uid-alice", 0)
    body = {"productLink": "https://shop.example.com/p/1", "voiceId": UNKNOWN}
    response = await client.post("/v1/m2v/task/submit", json=body, headers=HEADERS)
    assert_error(response.json(), "4004", "voiceId")
    body.pop("voiceId")
    response = await client.post("/v1/m2v/task/submit", json=body, headers=HEADERS)
    assert_error(response.json(), "4100")
