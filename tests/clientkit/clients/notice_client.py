"""A Topview client that waits for callbacks: scrape product pages with a noticeUrl, fetch each result once told.

The correct callback client of the kit's catalog. It listens on a loopback port of its own and passes it
as the noticeUrl; it scrapes two pages at once, then a third. Topview may send a notice twice (the same
uuid), late, or out of order, so it keys notices by uuid and taskId and queries each task once, after its
first notice. Run as a script it reads TOPVIEW_BASE_URL, TOPVIEW_UID and TOPVIEW_API_KEY and exits 0, or 1
with the code or errorMsg; ``run`` is the same flow in process. NOTICE_WAIT (seconds) bounds each wait.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import kit_client as base

PAGES = ("https://shop.example.com/p/1", "https://shop.example.com/p/2", "https://shop.example.com/p/3")


class Receiver:
    """A loopback HTTP server taking Topview's notices into a queue, acknowledging each at once as documented."""

    def __init__(self) -> None:
        self.notices: queue.Queue[dict[str, Any]] = queue.Queue()
        notices = self.notices

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                notice = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                notices.put(notice)
                # The documented acknowledgement: anything else is a failed attempt, and Topview sends it again.
                ack = {"uuid": notice.get("uuid"), "topviewUid": self.headers.get("Topview-Uid"), "result": "success"}
                reply = json.dumps({"code": "200", "message": "Success", "result": ack}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/topview/notice"
        # serve_forever looks for shutdown() every poll_interval: 0.5 s by default, per example.
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()

    def close(self) -> None:
        """Stop listening."""
        self.server.shutdown()
        self.server.server_close()


class NoticeClient(base.Client):
    """Submits with a noticeUrl and handles each task once, on its first notice."""

    wait_seconds = float(os.environ.get("NOTICE_WAIT", "6"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.receiver = Receiver()
        self.seen: set[str] = set()  # notice uuids already handled: a second delivery is no news
        self.done: dict[str, dict[str, Any]] = {}  # taskId -> its result
        self.repeated = 0  # notices ignored as already handled

    def submit_page(self, page: str) -> str:
        """Scrape one page; its taskId."""
        body = {"productLink": page, "noticeUrl": self.receiver.url}
        return str(self.call("POST", "/v1/scraper/task/submit", json=body)["taskId"])

    def await_tasks(self, task_ids: list[str]) -> None:
        """Take notices until every one of ``task_ids`` is handled (in whatever order they come)."""
        deadline = time.monotonic() + self.wait_seconds
        while any(task_id not in self.done for task_id in task_ids):
            try:
                notice = self.receiver.notices.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise base.Failed(f"no notice for {sorted(set(task_ids) - set(self.done))}") from None
            self.on_notice(notice)

    def on_notice(self, notice: dict[str, Any]) -> None:
        """Handle a notice the first time its uuid and task are seen; fetch the task's result once."""
        task_id = str(notice.get("taskId"))
        if notice.get("uuid") in self.seen or task_id in self.done:
            self.repeated += 1
            return
        self.seen.add(str(notice.get("uuid")))
        self.handle(task_id, notice)

    def handle(self, task_id: str, notice: dict[str, Any]) -> None:
        """A task's first notice: its failure raised, or its result fetched."""
        if str(notice.get("status")).lower() in base.FAILED:
            raise base.Failed(f"task {task_id} failed: {notice.get('errorMsg') or 'no errorMsg'}")
        result = self.call("GET", "/v1/scraper/task/query", params={"taskId": task_id})
        self.done[task_id] = dict(result or {})

    def scrape(self) -> int:
        """Two pages at once, then a third; how many results."""
        try:
            first = [self.submit_page(page) for page in PAGES[:2]]
            self.await_tasks(first)
            self.await_tasks([self.submit_page(PAGES[2])])
        finally:
            self.receiver.close()
        return len(self.done)


def run(client: NoticeClient) -> None:
    """Run the flow, printing what happened; Failed propagates."""
    print(f"done: {client.scrape()} pages ({client.repeated} repeated notices ignored)")


def main(client_class: type[NoticeClient] = NoticeClient) -> int:
    """The script: 0 on success, 1 with the reason on stderr."""
    client = client_class(os.environ["TOPVIEW_BASE_URL"], os.environ["TOPVIEW_UID"], os.environ["TOPVIEW_API_KEY"])
    try:
        run(client)
    except base.Failed as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
