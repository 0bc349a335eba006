"""The recording proxy: exchanges forwarded, links passed through it, cassettes written one per name."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from standin import CDN, S3, recording, upload_png

from mock_server.recording.cassettes import load
from mock_server.recording.proxy import CASSETTE_HEADER

pytestmark = pytest.mark.anyio


async def test_an_upload_and_a_task_are_recorded_as_a_vcr_cassette(tmp_path: Path) -> None:
    async with recording(tmp_path) as (stand_in, _, client):
        await upload_png(client)
        submit = await client.post("/v1/scraper/task/submit", json={"productLink": "https://shop.example.com/p/1"})
        task_id = submit.json()["result"]["taskId"]
        stand_in.mock.advance(5)
        done = (await client.get("/v1/scraper/task/query", params={"taskId": task_id})).json()["result"]
        assert done["status"] == "success"

    data = yaml.safe_load((tmp_path / "session.yaml").read_text())
    assert data["version"] == 1
    assert [i["request"]["method"] for i in data["interactions"]] == ["GET", "PUT", "GET", "POST", "GET"]
    first = data["interactions"][0]
    assert set(first) == {"request", "response"}
    assert set(first["request"]) == {"body", "headers", "method", "uri"}
    assert set(first["response"]) == {"body", "headers", "status"}
    assert first["response"]["status"] == {"code": 200, "message": "OK"}
    assert first["request"]["uri"] == "https://api.topview.test/v1/upload/credential?format=png"
    assert isinstance(first["response"]["body"]["string"], str)
    assert all(isinstance(v, list) for v in first["request"]["headers"].values())


async def test_presigned_links_pass_through_the_proxy_and_uploads_are_recorded_as_metadata(tmp_path: Path) -> None:
    async with recording(tmp_path) as (_, _, client):
        credential = (await client.get("/v1/upload/credential", params={"format": "png"})).json()["result"]
        # The client is handed a link through the proxy, which leads to the bucket host.
        assert credential["uploadUrl"].startswith("http://recorder.local/_ext/https/topview-upload.s3.test/s3/")
        await client.put(
            credential["uploadUrl"], content=b"\x89PNG" + bytes(300), headers={"Content-Type": "image/png"}
        )
        refused = await client.get("http://recorder.local/_ext/https/elsewhere.test/x")
        assert refused.status_code == 404  # only hosts the proxy handed out are reachable

    put = load(tmp_path / "session.yaml").interactions[1]
    assert put.request.uri.startswith(f"{S3}/s3/")
    assert put.request.body is None
    assert (put.request_body.size, put.request_body.content_type) == (304, "image/png")  # type: ignore[union-attr]
    assert put.response.status == 200


async def test_downloads_are_metadata_unless_media_is_asked_for(tmp_path: Path) -> None:
    for record_media in (False, True):
        out = tmp_path / str(record_media)
        async with recording(out, record_media=record_media) as (stand_in, _, client):
            submit = await client.post(
                "/v1/common_task/text2image/task/submit",
                json={"model": "Nano Banana 2", "prompt": "A cup.", "aspectRatio": "1:1", "resolution": "1K"},
            )
            task_id = submit.json()["result"]["taskId"]
            stand_in.mock.advance(5)
            query = await client.get(
                "/v1/common_task/text2image/task/query", params={"taskId": task_id, "needCloudFrontUrl": "true"}
            )
            link = query.json()["result"]["images"][0]["filePath"]
            assert link.startswith("http://recorder.local/_ext/https/media.cloudfront.test/cdn/")
            image = await client.get(link)
            assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
        download = load(out / "session.yaml").interactions[-1]
        assert download.request.uri.startswith(f"{CDN}/cdn/")
        if record_media:
            assert download.response.body == image.content and download.response_body is None
        else:
            assert download.response.body == ""
            assert download.response_body is not None and download.response_body.size == len(image.content)
            assert download.response_body.content_type == "image/png"
            assert download.response.header("Content-Length") == "0"


async def test_a_test_name_in_a_header_gets_its_own_cassette(tmp_path: Path) -> None:
    async with recording(tmp_path) as (_, _, client):
        await client.get("/user/credit/detail", headers={CASSETTE_HEADER: "tests/test_a.py::test_one[x]"})
        await client.get("/user/credit/detail", headers={CASSETTE_HEADER: "tests/test_a.py::test_two"})
        await client.get("/user/credit/detail", headers={CASSETTE_HEADER: "tests/test_a.py::test_two"})
        await client.get("/boards/list")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "session.yaml",
        "tests_test_a.py_test_one_x.yaml",
        "tests_test_a.py_test_two.yaml",
    ]
    assert len(load(tmp_path / "tests_test_a.py_test_two.yaml")) == 2
    assert all(CASSETTE_HEADER not in i.request.headers for i in load(tmp_path / "session.yaml"))


async def test_a_cassette_records_as_another_base_url(tmp_path: Path) -> None:
    async with recording(tmp_path, record_as="https://api.topview.ai") as (_, _, client):
        await client.get("/boards/list")
    (interaction,) = load(tmp_path / "session.yaml").interactions
    assert interaction.request.uri == "https://api.topview.ai/boards/list"
