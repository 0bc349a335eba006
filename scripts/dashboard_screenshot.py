"""Take the README's picture of the dashboard: a fake with a little of everything, shot by headless Chromium.

Run from the checkout: ``.venv/bin/python scripts/dashboard_screenshot.py [docs/dashboard.png]`` (needs
Debian's ``chromium``). The fake's clock is manual, so the picture is the same every time but for the
wall-clock "live" stamp.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from mock_server import LiveServer, MockConfig, TopviewMock

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1280,1180",
    "--virtual-time-budget=4000",
)


def populate(server: LiveServer, hook: str) -> None:
    """Two accounts; tasks finished, failed, running and waiting; a callback being retried; a fault rule."""
    shop = {"Topview-Uid": "shop-alice", "Authorization": "Bearer sk-local"}
    with httpx.Client(base_url=server.url, headers=shop, timeout=10) as client:

        def scrape(n: int, **extra: str) -> str:
            body = {"productLink": f"https://shop.example.com/p/{n}", **extra}
            return str(client.post("/v1/scraper/task/submit", json=body).json()["result"]["taskId"])

        done = scrape(1)
        failed = scrape(2, noticeUrl=hook)
        server.advance(2)
        client.get("/v1/scraper/task/query", params={"taskId": done})
        server.complete(failed, "fail", "Product page not found")
        server.drain_callbacks()
        server.advance(3)
        scrape(3)
        server.advance(1.5)
        scrape(4)
        client.get("/user/credit/detail")
    httpx.get(server.url + "/user/credit/detail", headers={"Topview-Uid": "ci-bot", "Authorization": "Bearer k"})
    server.add_fault(operation="scraperQuery", code="5003", times=2)
    server.drain_callbacks()


def main(target: str = "docs/dashboard.png") -> None:
    """Serve the demo fake and save the dashboard's picture to ``target``."""
    server = LiveServer(TopviewMock(MockConfig(seed=7))).start()
    try:
        with socket.socket() as closed, tempfile.TemporaryDirectory() as profile:
            closed.bind(("127.0.0.1", 0))  # bound, never listening: callbacks to it are refused
            populate(server, f"http://127.0.0.1:{closed.getsockname()[1]}/hooks/topview")
            url = server.url + "/_mock/ui?uid=shop-alice"
            shot = [*FLAGS, f"--user-data-dir={profile}", f"--screenshot={Path(target).resolve()}", url]
            subprocess.run(["chromium", *shot], check=True, capture_output=True, timeout=120)
    finally:
        server.stop()
    print(f"saved {target}")


if __name__ == "__main__":
    main(*sys.argv[1:])
