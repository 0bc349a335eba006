"""The cassette format: the text vcrpy's own serializer writes, read back by vcrpy, bytes bodies included."""

from __future__ import annotations

from pathlib import Path

import pytest
from vcr import serialize as vcr_serialize
from vcr.serializers import yamlserializer

from mock_server.recording.cassettes import (
    BodyMetadata,
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    dumps,
    file_name,
    loads,
    to_vcr,
)

CASSETTES = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "cassettes").glob("*.yaml"))
PNG = b"\x89PNG\r\n\x1a\n\x00\xff"


@pytest.mark.parametrize("path", CASSETTES[:4], ids=lambda p: p.stem)
def test_the_text_is_what_vcrpys_serializer_writes(path: Path) -> None:
    cassette = loads(path.stem, path.read_text(encoding="utf-8"))
    assert dumps(cassette) == yamlserializer.serialize(to_vcr(cassette)) == path.read_text(encoding="utf-8")


def test_vcrpy_reads_requests_responses_and_binary_bodies() -> None:
    cassette = Cassette(
        "c",
        (
            Interaction(
                RecordedRequest(
                    "PUT", "https://b.test/k.png?X-Amz-Signature=REDACTED", PNG, {"Content-Type": ["image/png"]}
                ),
                RecordedResponse(200, "OK", "", {"ETag": ['"1"']}),
            ),
            Interaction(
                RecordedRequest("GET", "https://b.test/k.png"),
                RecordedResponse(200, "OK", "", {"Content-Length": ["0"]}),
                response_body=BodyMetadata(1234, "image/png"),
            ),
        ),
    )
    text = dumps(cassette)
    assert "!!binary" in text
    requests, responses = vcr_serialize.deserialize(text, yamlserializer)
    assert [(r.method, r.uri, r.body) for r in requests] == [
        ("PUT", "https://b.test/k.png?X-Amz-Signature=REDACTED", PNG),
        ("GET", "https://b.test/k.png", None),
    ]
    assert responses[1]["status"] == {"code": 200, "message": "OK"} and responses[1]["body"]["string"] == b""
    assert loads("c", text) == cassette  # body_metadata survives a round trip; vcrpy ignores it


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("session", "session.yaml"),
        ("tests/test_a.py::test_b[x-1]", "tests_test_a.py_test_b_x-1.yaml"),
        ("..", "session.yaml"),
    ],
)
def test_cassette_file_names_are_safe(name: str, expected: str) -> None:
    assert file_name(name) == expected
