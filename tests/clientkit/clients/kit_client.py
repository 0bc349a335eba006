"""A small, careful Topview client: upload an image, remove its background, wait for it, download the cut-out.

The correct client of the kit's catalog. Run as a script it reads TOPVIEW_BASE_URL, TOPVIEW_UID and
TOPVIEW_API_KEY and exits 0 on success, 1 with the code or errorMsg on stderr otherwise; ``run`` is the
same flow for in-process use. Each ``bug_*.py`` beside it plants one bug by overriding one method.
POLL_INTERVAL and BACKOFF (seconds) pace it; keep them small in tests.
"""

from __future__ import annotations

import base64
import os
import sys
import time
from typing import Any

import httpx

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAFElEQVR4nGM8UaHBgA0wYRUdtBIAHicBeAYWg8oAAAAASUVORK5CYII="
)
TRANSIENT = {"5000", "5001", "5003", "5004", "5005"}
DONE, FAILED = {"success", "succeeded"}, {"fail", "failed"}


class Failed(Exception):
    """Topview refused a request, a task failed, or it could not be reached."""


class Client:
    """Calls Topview with retries (transient errors only, growing waits) and polls at a steady pace."""

    poll_interval = float(os.environ.get("POLL_INTERVAL", "0.02"))
    backoff = float(os.environ.get("BACKOFF", "0.1"))
    retries = 2
    max_polls = 40

    def __init__(self, base_url: str, uid: str, api_key: str, http: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"Topview-Uid": uid, "Authorization": f"Bearer {api_key}"}
        self.http = http or httpx.Client(timeout=10)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The result of one API call; transient errors are retried with growing waits."""
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 3 ** (attempt - 1))  # 0.1 s, then 0.3 s
            try:
                response = self.http.request(method, self.base_url + path, headers=self.headers, **kwargs)
            except httpx.TransportError as error:
                problem = f"transport error {type(error).__name__}"
                continue
            if response.status_code >= 500:
                problem = f"HTTP {response.status_code}"
                continue
            envelope = response.json()
            code = str(envelope.get("code"))
            if code == "200":
                return envelope.get("result")
            if code not in TRANSIENT:
                raise Failed(f"{path} answered {code}: {envelope.get('message')}")
            problem = f"{code}: {envelope.get('message')}"
        raise Failed(f"{path} failed after {self.retries} retries: {problem}")

    def upload(self) -> str:
        """Upload the image; its fileId once /v1/upload/check vouches for it."""
        credential = self.call("GET", "/v1/upload/credential", params={"format": "png"})
        self.put(credential["uploadUrl"])
        for _ in range(self.max_polls):
            if self.call("GET", "/v1/upload/check", params={"fileId": credential["fileId"]}) is True:
                return str(credential["fileId"])
            time.sleep(self.poll_interval)
        raise Failed("the upload was never confirmed")

    def put(self, url: str) -> None:
        """PUT the bytes to the presigned URL, with no Topview headers."""
        if self.http.put(url, content=PNG).status_code != 200:
            raise Failed("the upload was refused")

    def submit(self, file_id: str) -> str:
        """Submit the background removal; its taskId."""
        return str(
            self.call("POST", "/v1/common_task/remove_background/submit", json={"productImageFileId": file_id})[
                "taskId"
            ]
        )

    def wait(self, task_id: str) -> dict[str, Any]:
        """Poll until the task ends; its result (raises Failed with the errorMsg if it failed)."""
        for _ in range(self.max_polls):
            result = self.call("GET", "/v1/common_task/remove_background/query", params={"taskId": task_id})
            status = str(result.get("status", "")).lower()
            if status in DONE:
                return dict(result)
            if status in FAILED:
                raise Failed(f"task {task_id} failed: {result.get('errorMsg') or 'no errorMsg'}")
            time.sleep(self.poll_interval)
        raise Failed(f"task {task_id} did not finish after {self.max_polls} polls")

    def download(self, result: dict[str, Any]) -> int:
        """Download the cut-out, if the result has one; its size."""
        url = result.get("bgRemovedImagePath")
        if not url:
            return 0
        response = self.http.get(url)
        if response.status_code != 200:
            raise Failed(f"download answered HTTP {response.status_code}")
        return len(response.content)

    def remove_background(self) -> int:
        """The whole flow."""
        return self.download(self.wait(self.submit(self.upload())))


def run(client: Client) -> None:
    """Run the flow, printing what happened; Failed propagates."""
    print(f"done: {client.remove_background()} bytes")


def main(client_class: type[Client] = Client) -> int:
    """The script: 0 on success, 1 with the reason on stderr."""
    client = client_class(os.environ["TOPVIEW_BASE_URL"], os.environ["TOPVIEW_UID"], os.environ["TOPVIEW_API_KEY"])
    try:
        run(client)
    except Failed as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
