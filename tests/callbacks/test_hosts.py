"""noticeUrl hosts: any public host is accepted at submit, only allowed hosts are ever contacted.

Clients send ngrok and webhook.site URLs, which Topview accepts; the fake accepts them too, journals
their notices as not delivered (naming the flag that would deliver them), says so once per host in the
log, and never opens a connection or asks a resolver about them. Hosts are compared and sent in one
normalised form, so ``localhost.`` is delivered as ``localhost`` and never looked up under its dotted name.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from receivers import Receiver, serving
from topview_calls import ok, op

from mock_server import MockConfig, Progression, TopviewMock

pytestmark = pytest.mark.anyio

SCRAPE = {"productLink": "https://shop.example.com/cup"}
NGROK = "https://3f9a-81-2-69-160.ngrok-free.app/topview/notice"


@pytest.fixture
def config() -> MockConfig:
    """Time-driven tasks (init 1 s, running 3 s)."""
    return MockConfig(seed=0, progression=Progression("time", init=1, running=3))


@pytest.fixture(autouse=True)
async def stop_callbacks(mock: TopviewMock) -> AsyncIterator[None]:
    """Stop retries still scheduled when a test ends."""
    yield
    await mock.notices.aclose()


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every host name a resolver is asked about during the test (the real resolver still answers)."""
    asked: list[str] = []
    real: Callable[..., Any] = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(host.decode() if isinstance(host, bytes) else str(host))
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield asked


async def submit(client: httpx.AsyncClient, url: str) -> str:
    """A scraper task calling back to ``url``, accepted; its taskId."""
    ack = ok(await op(client, "scraperSubmit", body={**SCRAPE, "noticeUrl": url}))
    assert len(ack["noticeUuid"]) == 32, ack
    return str(ack["taskId"])


async def finish(mock: TopviewMock) -> None:
    """Let every task finish and every due delivery run."""
    mock.advance(4)
    await mock.adrain_callbacks()


async def test_a_public_host_is_accepted_and_journalled_as_not_delivered(
    client: httpx.AsyncClient, mock: TopviewMock, lookups: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    """An ngrok URL: 200 at check and submit; its notice is journalled, never sent, never resolved."""
    assert ok(await op(client, "noticeUrlCheck", body={"noticeUrl": NGROK})) is True
    task_id = await submit(client, NGROK)
    with caplog.at_level(logging.WARNING, logger="topview_mock.callbacks"):
        await finish(mock)
    [delivery] = (await client.get("/_mock/callbacks", params={"taskId": task_id})).json()["callbacks"]
    assert delivery["state"] == "refused" and delivery["attempts"] == [], delivery
    host = "3f9a-81-2-69-160.ngrok-free.app"
    assert delivery["refusedReason"].startswith("not delivered: host not allowed"), delivery
    assert f"--notice-host {host}" in delivery["refusedReason"]
    assert host not in lookups
    assert [r.getMessage() for r in caplog.records if host in r.getMessage()], "the log names the host"


async def test_the_log_says_it_once_per_host(
    client: httpx.AsyncClient, mock: TopviewMock, caplog: pytest.LogCaptureFixture
) -> None:
    """Three notices to one host and one to another: two warnings."""
    for url in (NGROK, NGROK + "?again", NGROK, "https://webhook.site/5f0c9a4e"):
        await submit(client, url)
    with caplog.at_level(logging.WARNING, logger="topview_mock.callbacks"):
        await finish(mock)
    warnings = [r.getMessage() for r in caplog.records if r.name == "topview_mock.callbacks"]
    assert len(warnings) == 2, warnings
    assert "ngrok-free.app" in warnings[0] and "webhook.site" in warnings[1]


async def test_a_trailing_dot_host_is_delivered_without_looking_up_its_dotted_name(
    client: httpx.AsyncClient, mock: TopviewMock, lookups: list[str]
) -> None:
    """``http://localhost.:PORT/`` passes as ``localhost``: delivered there, the dotted name never resolved."""
    receiver = Receiver()
    async with serving(receiver) as url:
        port = url.split(":")[2].split("/")[0]
        task_id = await submit(client, f"http://LocalHost.:{port}/notice")
        await finish(mock)
    [delivery] = (await client.get("/_mock/callbacks", params={"taskId": task_id})).json()["callbacks"]
    assert delivery["url"] == f"http://localhost:{port}/notice" and delivery["state"] == "delivered", delivery
    assert len(receiver.received) == 1
    assert not [host for host in lookups if host.endswith(".") or host != host.lower()], lookups


async def test_a_trailing_dot_host_that_is_not_allowed_never_reaches_a_resolver(
    client: httpx.AsyncClient, mock: TopviewMock, lookups: list[str]
) -> None:
    """``http://hooks.example.com.:9/``: accepted, normalised, not delivered — the resolver is never called."""
    task_id = await submit(client, "http://Hooks.Example.com.:9/n")
    await finish(mock)
    [delivery] = (await client.get("/_mock/callbacks", params={"taskId": task_id})).json()["callbacks"]
    assert delivery["url"] == "http://hooks.example.com:9/n" and delivery["state"] == "refused", delivery
    assert lookups == []


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/iam/",
        "http://10.0.0.8:8080/hook",
        "http://[fe80::1]/hook",
        "http://metadata.google.internal/computeMetadata/v1/",
    ],
)
async def test_internal_addresses_stay_refused_at_check_and_submit(
    client: httpx.AsyncClient, mock: TopviewMock, url: str
) -> None:
    """Private, link-local and metadata addresses answer 4000 naming noticeUrl, before any task exists."""
    for operation, body in (("noticeUrlCheck", {"noticeUrl": url}), ("scraperSubmit", {**SCRAPE, "noticeUrl": url})):
        envelope = await op(client, operation, body=body)
        assert envelope["code"] == "4000" and "noticeUrl" in envelope["message"], envelope
        assert "private, link-local or metadata" in envelope["message"]
    assert mock.tasks() == []
