"""Redaction fails closed: planted secrets never reach a cassette, and the scan refuses what redaction missed."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from standin import KEY, UID, recording, upload_png

from mock_server.recording.cassettes import Cassette, Interaction, RecordedRequest, RecordedResponse, dumps, load
from mock_server.recording.redaction import BEARER_REDACTED, Scrubber, SecretLeak, Secrets, refuse_leaks, scan

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("plant", ["header", "body", "url"])
async def test_planted_secrets_are_never_written(tmp_path: Path, plant: str) -> None:
    async with recording(tmp_path, plant=[plant]) as (_, recorder, client):
        await upload_png(client)
        answer = await client.get("/v1/upload/credential", params={"format": "mp4"})
        # The client itself is answered untouched: only the cassette is scrubbed.
        assert KEY in answer.text + str(answer.headers)
    text = (tmp_path / "session.yaml").read_text()
    assert recorder.leaks == []
    assert KEY not in text and UID not in text
    assert "Bearer <REDACTED>" in text and "redacted-uid-1" in text


async def test_the_scan_refuses_a_cassette_holding_a_secret_redaction_could_not_see(tmp_path: Path) -> None:
    async with recording(tmp_path, plant=["base64"]) as (_, recorder, client):
        answer = await client.get("/boards/list")
        assert answer.json()["result"]["trace"]  # the client still gets its answer
        await client.get("/user/credit/detail")
    assert not (tmp_path / "session.yaml").exists()  # nothing written, not even the clean exchange after it
    (leak,) = recorder.leaks
    assert leak.cassette == "session"
    assert "the API key (base64) at interactions[0].response.body.string $.result.trace" in str(leak)


def _exchange(uri: str, body: object, headers: dict[str, list[str]] | None = None) -> Interaction:
    return Interaction(
        RecordedRequest("GET", uri, None, {"Authorization": [f"Bearer {KEY}"], "Topview-Uid": [UID]}),
        RecordedResponse(200, "OK", json.dumps(body), headers or {}),
    )


def _secrets() -> Secrets:
    secrets = Secrets()
    secrets.learn({"Authorization": f"Bearer {KEY}", "Topview-Uid": UID})
    return secrets


def test_secrets_in_urls_headers_and_json_keys_are_replaced_in_every_encoding() -> None:
    scrubber = Scrubber(_secrets())
    raw = _exchange(
        f"https://api.topview.test/x?uid={UID}&k={KEY.replace('-', '%2D')}",
        {"owner": {UID: f"key {KEY}"}, "link": f"https://b.test/{UID}/a.png"},
        {"X-Owner": [f"{UID}:{KEY}"], "Set-Cookie": ["session=abc"], "Content-Encoding": ["gzip"]},
    )
    text = dumps(Cassette("c", (scrubber.interaction(raw),)))
    assert scan(text, scrubber.secrets) == []
    clean = load_text(text)
    assert clean.request.headers == {"Authorization": [BEARER_REDACTED], "Topview-Uid": ["redacted-uid-1"]}
    assert clean.request.uri == "https://api.topview.test/x?uid=redacted-uid-1&k=REDACTED"
    assert clean.response.headers["X-Owner"] == ["redacted-uid-1:REDACTED"]
    assert clean.response.headers["Set-Cookie"] == ["REDACTED"]
    assert "Content-Encoding" not in clean.response.headers  # the body is stored decoded
    assert json.loads(str(clean.response.body))["owner"] == {"redacted-uid-1": "key REDACTED"}


def load_text(text: str) -> Interaction:
    """The only interaction of a cassette's text."""
    from mock_server.recording.cassettes import loads

    (interaction,) = loads("c", text).interactions
    return interaction


def test_a_short_uid_is_replaced_only_as_a_whole_token() -> None:
    secrets = Secrets(uids=["42"])
    assert secrets.redact("uid 42, task 4242, /u/42/x") == "uid redacted-uid-1, task 4242, /u/redacted-uid-1/x"


@pytest.mark.parametrize(
    ("planted", "form"),
    [
        (KEY, "raw"),
        (f"x?key={KEY.replace('-', '%2D')}", "percent-encoded"),
        (base64.urlsafe_b64encode(f"{UID}|{KEY}".encode()).decode(), "base64"),
    ],
)
def test_the_scan_finds_a_secret_in_any_form_and_says_where(planted: str, form: str) -> None:
    # Written past the scrubber on purpose: the scan is the last line, it must not trust redaction.
    cassette = Cassette("c", (_exchange("https://a.test/x", {"result": {"notes": ["ok", planted]}}),))
    with pytest.raises(SecretLeak) as raised:
        refuse_leaks("c", dumps(cassette), _secrets())
    where = [leak.where for leak in raised.value.leaks if leak.what == "API key" and leak.form == form]
    assert "interactions[0].response.body.string $.result.notes[1]" in where
    assert "interactions[0].request.headers.Authorization[0]" in [leak.where for leak in raised.value.leaks]


async def test_ids_are_renumbered_consistently_across_requests_and_responses(tmp_path: Path) -> None:
    async with recording(tmp_path) as (stand_in, _, client):
        file_id = await upload_png(client)
        submit = await client.post("/v1/scraper/task/submit", json={"productLink": "https://shop.example.com/p/1"})
        task_id = submit.json()["result"]["taskId"]
        await client.get("/v1/scraper/task/query", params={"taskId": task_id})
        stand_in.mock.advance(5)
        await client.get("/v1/scraper/task/query", params={"taskId": task_id})
    credential, put, check, submitted, running, done = load(tmp_path / "session.yaml").interactions
    text = (tmp_path / "session.yaml").read_text()
    assert file_id not in text and task_id not in text
    placeholder_file = json.loads(str(credential.response.body))["result"]["fileId"]
    assert placeholder_file == "00000000000000000000000000000001"
    assert placeholder_file in put.request.uri and check.request.uri.endswith(f"fileId={placeholder_file}")
    placeholder_task = json.loads(str(submitted.response.body))["result"]["taskId"]
    assert placeholder_task not in (placeholder_file,) and set(placeholder_task[:-2]) == {"0"}
    for query in (running, done):
        assert query.request.uri.endswith(f"taskId={placeholder_task}")
        assert json.loads(str(query.response.body))["result"]["taskId"] == placeholder_task


async def test_times_are_fixed(tmp_path: Path) -> None:
    async with recording(tmp_path) as (_, _, client):
        await client.get("/v1/upload/credential", params={"format": "png"})
        await client.post("/boards/create", json={"name": "Spring"})
    credential, board = load(tmp_path / "session.yaml").interactions
    result = json.loads(str(credential.response.body))["result"]
    assert result["expireTime"].startswith("2025-01-01T00:00:00")
    assert "X-Amz-Date=20250101T000000Z" in result["uploadUrl"]
    assert "X-Amz-Signature=REDACTED" in result["uploadUrl"] and "X-Amz-Credential=REDACTED" in result["uploadUrl"]
    assert "X-Amz-Security-Token=REDACTED" in result["uploadUrl"]
    assert json.loads(str(board.response.body))["result"]["gmtCreate"].startswith("2025-01-01")


def test_cloudfront_signing_parameters_are_redacted() -> None:
    link = "https://d1.cloudfront.net/a.mp4?Expires=1767225600&Signature=abc~def_&Key-Pair-Id=K2JCJMDEHXQW5F&Policy=eyJ"
    scrubbed = Scrubber(Secrets()).text(link)
    assert (
        scrubbed
        == "https://d1.cloudfront.net/a.mp4?Expires=1735689600&Signature=REDACTED&Key-Pair-Id=REDACTED&Policy=REDACTED"
    )


def test_a_recorded_cassette_loads_back_unchanged(tmp_path: Path) -> None:
    cassette = Cassette("c", (Scrubber(_secrets()).interaction(_exchange("https://a.test/x", {"a": 1})),))
    (tmp_path / "c.yaml").write_text(dumps(cassette))
    assert load(tmp_path / "c.yaml") == cassette
