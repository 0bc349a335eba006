"""A stand-in for the real Topview API, for recording tests that never leave the machine.

It is the fake behind an API origin, with its object links moved to foreign hosts the way the real API
hands them out: presigned S3 URLs on a bucket host (with an ``X-Amz-Security-Token``, as STS credentials
sign them) and CloudFront links on a CDN host (with a ``Policy``). Requests to those hosts reach the
fake's own object store. It can also plant the caller's secrets in its answers (``plant``), the way a
careless upstream might: in a header, a body field, a link, or base64-encoded.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import socket
import threading
from collections.abc import Collection, Iterator
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from topview_calls import load_contract

from mock_server import TopviewMock, create_app
from mock_server.recording.normalise import dump_json, parse_json

API = "https://api.topview.test"
S3 = "https://topview-upload.s3.test"
CDN = "https://media.cloudfront.test"
STS_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLETOKEN"
POLICY = "eyJTdGF0ZW1lbnQiOlt7IlJlc291cmNlIjoiKiJ9XX0_"
METHODS = ["GET", "POST", "PUT", "DELETE", "HEAD"]


class StandIn:
    """The fake as the real API looks from outside: foreign presigned links, optionally planted secrets."""

    def __init__(
        self,
        mock: TopviewMock,
        *,
        api: str = API,
        s3: str = S3,
        cdn: str = CDN,
        plant: Collection[str] = (),
    ) -> None:
        self.mock = mock
        self.api, self.s3, self.cdn = api, s3, cdn
        self.plant = set(plant)  # header, body, url, base64
        self.inner = httpx.AsyncClient(transport=httpx.ASGITransport(create_app(mock=mock)), base_url=api)
        self.app = Starlette(routes=[Route("/{path:path}", self.handle, methods=METHODS)])

    def transport(self) -> httpx.AsyncBaseTransport:
        """An in-process transport reaching the stand-in on every host (API, bucket, CDN)."""
        return httpx.ASGITransport(self.app)

    async def handle(self, request: Request) -> Response:
        """Serve one request: object hosts map onto the fake's store, API answers get foreign links."""
        path, params = request.url.path, list(request.query_params.multi_items())
        if path.startswith("/s3/"):
            path = "/_objects/" + path[4:]
            params = [(k, v) for k, v in params if k != "X-Amz-Security-Token"]
        elif path.startswith("/cdn/"):
            path = "/_cdn/" + path[5:]
            params = [(k, v) for k, v in params if k != "Policy"]
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        answer = await self.inner.request(
            request.method, path, params=params, headers=headers, content=await request.body()
        )
        body = answer.content
        is_json, document = parse_json(body)
        if is_json and isinstance(document, dict):
            body = dump_json(self._answer(document, request)).encode()
        reply = Response(body, status_code=answer.status_code, media_type=answer.headers.get("content-type"))
        if "header" in self.plant:
            reply.headers["X-Request-Owner"] = f"uid={_uid(request)}; key={_key(request)}"
        return reply

    def _answer(self, document: dict[str, Any], request: Request) -> dict[str, Any]:
        document = self._links(document, request)
        result = document.get("result")
        if isinstance(result, dict) and "body" in self.plant:
            result["echo"] = {"account": _uid(request), "note": f"called with key {_key(request)}"}
        if isinstance(result, dict) and "base64" in self.plant:
            result["trace"] = base64.b64encode(f"key={_key(request)}".encode()).decode()
        return document

    def _links(self, value: Any, request: Request) -> Any:
        if isinstance(value, dict):
            return {k: self._links(v, request) for k, v in value.items()}
        if isinstance(value, list):
            return [self._links(v, request) for v in value]
        if isinstance(value, str) and value.startswith(f"{self.api}/_objects/"):
            extra = f"&owner={_uid(request)}&apiKey={_key(request)}" if "url" in self.plant else ""
            return f"{self.s3}/s3/{value[len(self.api) + 10 :]}&X-Amz-Security-Token={STS_TOKEN}{extra}"
        if isinstance(value, str) and value.startswith(f"{self.api}/_cdn/"):
            return f"{self.cdn}/cdn/{value[len(self.api) + 6 :]}&Policy={POLICY}"
        return value


def _key(request: Request) -> str:
    return request.headers.get("authorization", "").removeprefix("Bearer ")


def _uid(request: Request) -> str:
    return request.headers.get("topview-uid", "")


def free_socket() -> socket.socket:
    """A socket bound to a free loopback port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


@contextlib.contextmanager
def served(app: Any, sock: socket.socket) -> Iterator[str]:
    """``app`` served by uvicorn on ``sock`` in a thread; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the stand-in did not start")
            threading.Event().wait(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


KEY = "sk-live-0123456789abcdef"
UID = "880011223344"
LOCAL = "http://recorder.local"


@contextlib.asynccontextmanager
async def recording(out: Any, *, plant: Collection[str] = (), **options: Any) -> Any:
    """A stand-in, a recorder in front of it (in process) and a client of the recorder; yields all three."""
    from mock_server.recording.proxy import Recorder, RecordOptions

    contract = load_contract()
    stand_in = StandIn(TopviewMock(contract=contract), plant=plant)
    recorder = Recorder(
        RecordOptions(out=out, upstream=API, **options), contract=contract, transport=stand_in.transport()
    )
    headers = {"Topview-Uid": UID, "Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(recorder.app()), base_url=LOCAL, headers=headers
    ) as client:
        yield stand_in, recorder, client
    await recorder.aclose()
    await stand_in.inner.aclose()


async def upload_png(client: httpx.AsyncClient) -> str:
    """credential → PUT → check through ``client``; the fileId."""
    from mock_server.storage.media import sample

    credential = (await client.get("/v1/upload/credential", params={"format": "png"})).json()["result"]
    put = await client.put(credential["uploadUrl"], content=sample("png"), headers={"Content-Type": "image/png"})
    assert put.status_code == 200, put.text
    checked = (await client.get("/v1/upload/check", params={"fileId": credential["fileId"]})).json()
    assert checked["result"] is True, checked
    return str(credential["fileId"])


SCRAPE = {"productLink": "https://shop.example.com/p/1"}


async def polled_task(client: httpx.AsyncClient, mock: TopviewMock) -> list[str]:
    """A scraper task submitted and polled through init, running and success; the statuses seen."""
    task_id = (await client.post("/v1/scraper/task/submit", json=SCRAPE)).json()["result"]["taskId"]
    statuses = []
    for step in (0, 1, 3):
        mock.advance(step)
        answer = await client.get("/v1/scraper/task/query", params={"taskId": task_id})
        statuses.append(answer.json()["result"]["status"])
    return statuses


async def record_flows(out: Any, **options: Any) -> None:
    """Record an upload and a polled task into ``out/session.yaml`` through the stand-in."""
    async with recording(out, **options) as (stand_in, _, client):
        await upload_png(client)
        assert await polled_task(client, stand_in.mock) == ["init", "running", "success"]
