"""The clients bound to the fake read an answer for cookies only when it sets one, and still keep and send cookies."""

from __future__ import annotations

import http.cookiejar
from collections.abc import Iterator

import httpx
import pytest

from mock_server import MockConfig, TopviewMock
from mock_server.testing import FakeTopview
from mock_server.testing.fake import SetCookiesOnly

QUERY = "/v1/scraper/task/query"


@pytest.fixture
def fake() -> Iterator[FakeTopview]:
    fake = FakeTopview(TopviewMock(MockConfig(seed=1)))
    yield fake
    fake.close()


@pytest.fixture
def jar_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every time the standard cookie jar reads a response, the URL it read."""
    reads: list[str] = []
    original = http.cookiejar.CookieJar.extract_cookies

    def counted(self: http.cookiejar.CookieJar, response: object, request: object) -> None:
        reads.append(request.get_full_url())  # type: ignore[attr-defined]
        original(self, response, request)  # type: ignore[arg-type]

    monkeypatch.setattr(http.cookiejar.CookieJar, "extract_cookies", counted)
    return reads


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_fake_s_answers_are_not_read_for_cookies(
    fake: FakeTopview, jar_reads: list[str], anyio_backend: str
) -> None:
    """The fake never sets a cookie: neither client spends a cookie-jar pass on its answers."""
    assert (await fake.client.get(QUERY, params={"taskId": "0" * 32})).json()["code"] == "4004"
    assert fake.sync_client.get(QUERY, params={"taskId": "0" * 32}).json()["code"] == "4004"
    assert jar_reads == []
    plain = httpx.Client(transport=fake.sync_transport, base_url=fake.base_url, headers=fake.headers)
    plain.get(QUERY, params={"taskId": "0" * 32})  # what an httpx client does otherwise
    assert len(jar_reads) == 1


def test_cookies_set_on_the_client_are_sent(fake: FakeTopview) -> None:
    fake.sync_client.cookies.set("session", "s1")
    fake.sync_client.get(QUERY, params={"taskId": "0" * 32})
    [entry] = fake.journal.entries(limit=1)
    assert (b"cookie", b"session=s1") in list(entry.raw_headers)


def test_an_answer_that_sets_a_cookie_is_still_read(jar_reads: list[str]) -> None:
    """SetCookiesOnly keeps what an answer sets, and sends it back, as httpx's own cookies do."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/login":
            return httpx.Response(200, headers={"Set-Cookie": "token=t1; Path=/"})
        return httpx.Response(200, text=request.headers.get("cookie", ""))

    client = httpx.Client(transport=httpx.MockTransport(answer), base_url="https://example.test")
    client._cookies = SetCookiesOnly(client.cookies.jar)
    client.get("/login")
    assert client.cookies["token"] == "t1" and client.get("/echo").text == "token=t1"
    assert len(jar_reads) == 1  # the login's answer only
