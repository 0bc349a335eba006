"""The in-process transport calls an ASGI app as a server would: what the app is sent and what comes back."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from importlib.util import find_spec

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from mock_server.testing.latency import InProcessTransport

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"] if find_spec("trio") else ["asyncio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Both loops anyio runs, where trio is installed: the transport waits with anyio's events."""
    return str(request.param)


async def echo(request: Request) -> Response:
    return JSONResponse(
        {
            "method": request.method,
            "path": request.url.path,
            "raw_path": request.scope["raw_path"].decode(),
            "query": request.url.query,
            "headers": dict(request.headers),
            "body": (await request.body()).decode(),
            "server": list(request.scope["server"]),
        },
        headers={"X-Echo": "yes"},
    )


async def chunks() -> AsyncIterator[bytes]:
    for word in (b"one ", b"two ", b"three"):
        yield word


async def streamed(request: Request) -> Response:
    return StreamingResponse(chunks(), media_type="text/plain")  # it also listens for the client leaving


APP = Starlette(
    routes=[
        Route("/echo/{rest:path}", echo, methods=["GET", "POST", "PUT", "HEAD"]),
        Route("/stream", streamed),
    ]
)


def client(app: object = APP) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=InProcessTransport(app), base_url="https://api.example.com")  # type: ignore[arg-type]


async def test_the_app_gets_method_path_query_headers_and_body() -> None:
    async with client() as c:
        answer = await c.post("/echo/a%20b/c", params={"x": "1 2"}, content=b"hello", headers={"Topview-Uid": "u"})
    seen = answer.json()
    assert answer.status_code == 200 and answer.headers["x-echo"] == "yes"
    assert (seen["method"], seen["path"], seen["raw_path"]) == ("POST", "/echo/a b/c", "/echo/a%20b/c")
    assert seen["query"] == "x=1+2" and seen["body"] == "hello"
    assert seen["headers"]["topview-uid"] == "u" and seen["headers"]["content-length"] == "5"
    assert seen["server"] == ["api.example.com", None]


async def test_a_streamed_request_body_arrives_whole() -> None:
    async with client() as c:
        answer = await c.put("/echo/upload", content=chunks())
    assert answer.json()["body"] == "one two three"


async def test_a_streamed_answer_is_collected_and_a_head_answer_has_no_body() -> None:
    async with client() as c:
        assert (await c.get("/stream")).text == "one two three"
        head = await c.head("/echo/x")
    assert head.status_code == 200 and head.content == b""


async def test_what_the_app_raises_reaches_the_caller() -> None:
    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise LookupError("bug")

    async with client(broken) as c:
        with pytest.raises(LookupError, match="bug"):
            await c.get("/")


async def test_an_app_that_never_answers_is_an_error_not_an_empty_200() -> None:
    async def silent(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()

    async with client(silent) as c:
        with pytest.raises(RuntimeError, match="without a complete answer to GET /"):
            await c.get("/")


async def test_the_fake_answers_through_it_as_through_asgi_transport() -> None:
    """The same request to the fake through both transports gets the same answer."""
    from mock_server import MockConfig, TopviewMock, create_app

    headers = {"Topview-Uid": "u1", "Authorization": "Bearer k"}
    answers = []
    for make in (InProcessTransport, httpx.ASGITransport):
        app = create_app(mock=TopviewMock(MockConfig(seed=1)))
        async with httpx.AsyncClient(transport=make(app), base_url="https://api.topview.ai", headers=headers) as c:
            submitted = await c.post("/v1/scraper/task/submit", json={"productLink": "https://shop.example.com/p"})
            app.state.mock.advance(5)
            task_id = submitted.json()["result"]["taskId"]
            queried = await c.get("/v1/scraper/task/query", params={"taskId": task_id})
            bad = await c.post("/v1/scraper/task/submit", content=b"{not json")
        answers.append(
            [(r.status_code, r.headers.get("content-type"), json.loads(r.content)) for r in (submitted, queried, bad)]
        )
    assert answers[0] == answers[1]
