"""A small Topview client, as an application would write it, and a tiny callback receiver.

Nothing here knows about topview-mock: the tests next to it point these clients at the fake.

* :class:`TopviewClient` (async httpx) and :class:`SyncTopviewClient` (sync httpx): upload a file with
  the three-step flow (credential, PUT to the presigned URL, check), submit a task, poll it until it
  finishes, download a result file.
* :class:`CallbackReceiver`: an HTTP endpoint on 127.0.0.1 that keeps the notices Topview POSTs to a
  task's ``noticeUrl`` and acknowledges them the documented way.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anyio
import httpx

API_URL = "https://api.topview.ai"
FINISHED = ("success", "fail")


class TopviewAPIError(Exception):
    """Topview answered an envelope with a code other than 200."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"Topview error {code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Account:
    """Where the API is and who calls it."""

    uid: str
    api_key: str
    base_url: str = API_URL

    @classmethod
    def from_env(cls) -> Account:
        """TOPVIEW_UID, TOPVIEW_API_KEY and (optionally) TOPVIEW_BASE_URL."""
        return cls(
            os.environ["TOPVIEW_UID"], os.environ["TOPVIEW_API_KEY"], os.environ.get("TOPVIEW_BASE_URL", API_URL)
        )

    @property
    def headers(self) -> dict[str, str]:
        """The two headers every API call carries."""
        return {"Topview-Uid": self.uid, "Authorization": f"Bearer {self.api_key}"}


def unwrap(response: httpx.Response) -> Any:
    """The ``result`` of a Topview envelope; raises on HTTP errors and on business error codes."""
    response.raise_for_status()
    envelope = response.json()
    if envelope.get("code") != "200":
        raise TopviewAPIError(str(envelope.get("code")), str(envelope.get("message")))
    return envelope["result"]


class TopviewClient:
    """Async client. ``sleep`` waits between polls (tests pass one that moves the fake's clock)."""

    def __init__(
        self,
        account: Account,
        *,
        http: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[object]] = anyio.sleep,
    ) -> None:
        self.account = account
        self.http = http or httpx.AsyncClient(timeout=30)
        self.sleep = sleep

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One API call; returns the envelope's result."""
        url = self.account.base_url.rstrip("/") + path
        return unwrap(await self.http.request(method, url, headers=self.account.headers, **kwargs))

    async def upload(self, data: bytes, fmt: str) -> str:
        """Upload ``data`` as a ``fmt`` file; returns its fileId."""
        credential = await self.call("GET", "/v1/upload/credential", params={"format": fmt})
        put = await self.http.put(credential["uploadUrl"], content=data)  # presigned: no Topview headers
        put.raise_for_status()
        if await self.call("GET", "/v1/upload/check", params={"fileId": credential["fileId"]}) is not True:
            raise TopviewAPIError("upload", f"file {credential['fileId']} was not accepted")
        return str(credential["fileId"])

    async def submit(self, path: str, body: dict[str, Any]) -> str:
        """Submit a task; returns its taskId."""
        return str((await self.call("POST", path, json=body))["taskId"])

    async def wait(self, query_path: str, task_id: str, *, interval: float = 2.0, timeout: float = 600.0) -> Any:
        """Poll until the task is success or fail; returns the last query result."""
        waited = 0.0
        while True:
            result = await self.call("GET", query_path, params={"taskId": task_id})
            if result["status"] in FINISHED:
                return result
            if waited >= timeout:
                raise TimeoutError(f"task {task_id} still {result['status']} after {timeout:g} s")
            await self.sleep(interval)
            waited += interval

    async def download(self, url: str) -> bytes:
        """The bytes of a result file (its URL is presigned)."""
        response = await self.http.get(url)
        response.raise_for_status()
        return response.content

    async def remove_background(self, image: bytes, fmt: str = "png", notice_url: str | None = None) -> bytes:
        """The whole flow: upload an image, remove its background, wait, download the cut-out."""
        file_id = await self.upload(image, fmt)
        body: dict[str, Any] = {"productImageFileId": file_id}
        if notice_url:
            body["noticeUrl"] = notice_url
        task_id = await self.submit("/v1/common_task/remove_background/submit", body)
        result = await self.wait("/v1/common_task/remove_background/query", task_id)
        if result["status"] != "success":
            raise TopviewAPIError("task", result.get("errorMsg") or "task failed")
        return await self.download(result["bgRemovedImagePath"])

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self.http.aclose()


class SyncTopviewClient:
    """The same client for sync code."""

    def __init__(
        self, account: Account, *, http: httpx.Client | None = None, sleep: Callable[[float], object] = time.sleep
    ) -> None:
        self.account = account
        self.http = http or httpx.Client(timeout=30)
        self.sleep = sleep

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One API call; returns the envelope's result."""
        url = self.account.base_url.rstrip("/") + path
        return unwrap(self.http.request(method, url, headers=self.account.headers, **kwargs))

    def upload(self, data: bytes, fmt: str) -> str:
        """Upload ``data`` as a ``fmt`` file; returns its fileId."""
        credential = self.call("GET", "/v1/upload/credential", params={"format": fmt})
        self.http.put(credential["uploadUrl"], content=data).raise_for_status()
        if self.call("GET", "/v1/upload/check", params={"fileId": credential["fileId"]}) is not True:
            raise TopviewAPIError("upload", f"file {credential['fileId']} was not accepted")
        return str(credential["fileId"])

    def submit(self, path: str, body: dict[str, Any]) -> str:
        """Submit a task; returns its taskId."""
        return str(self.call("POST", path, json=body)["taskId"])

    def wait(self, query_path: str, task_id: str, *, interval: float = 2.0, timeout: float = 600.0) -> Any:
        """Poll until the task is success or fail; returns the last query result."""
        waited = 0.0
        while True:
            result = self.call("GET", query_path, params={"taskId": task_id})
            if result["status"] in FINISHED:
                return result
            if waited >= timeout:
                raise TimeoutError(f"task {task_id} still {result['status']} after {timeout:g} s")
            self.sleep(interval)
            waited += interval

    def download(self, url: str) -> bytes:
        """The bytes of a result file."""
        response = self.http.get(url)
        response.raise_for_status()
        return response.content

    def close(self) -> None:
        """Close the HTTP client."""
        self.http.close()


class CallbackReceiver:
    """A noticeUrl endpoint on 127.0.0.1 (any free port), in a thread; ``notices`` holds what arrived."""

    def __init__(self) -> None:
        self.notices: list[dict[str, Any]] = []
        self.arrived = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The noticeUrl to submit tasks with."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/topview/notice"

    def __enter__(self) -> CallbackReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Block until ``count`` notices arrived (or ``timeout`` real seconds passed); returns them."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.notices) >= count, timeout)
            return list(self.notices)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                notice = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                notice["result"] = json.loads(notice["result"]) if notice.get("result") else None  # a JSON string
                with receiver.arrived:
                    receiver.notices.append(notice)
                    receiver.arrived.notify_all()
                ack = {  # the documented acknowledgement: echo the uuid and the account
                    "code": "200",
                    "message": "Success",
                    "result": {"uuid": notice["uuid"], "topviewUid": self.headers["Topview-Uid"], "result": "success"},
                }
                payload = json.dumps(ack).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                return

        return Handler
