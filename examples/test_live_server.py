"""Clients that need a real socket: requests, and a program in another process, against the live server."""

from __future__ import annotations

import os
import subprocess
import sys

import requests

from mock_server import LiveServer

SCRIPT = """
import json, os, urllib.request
request = urllib.request.Request(
    os.environ["TOPVIEW_BASE_URL"] + "/v1/scraper/task/submit",
    data=json.dumps({"productLink": "https://shop.example.com/p/1"}).encode(),
    headers={"Topview-Uid": os.environ["TOPVIEW_UID"], "Authorization": "Bearer " + os.environ["TOPVIEW_API_KEY"],
             "Content-Type": "application/json"},
)
print(json.load(urllib.request.urlopen(request, timeout=10))["result"]["taskId"])
"""


def test_requests_client(topview_server: LiveServer) -> None:
    session = requests.Session()
    session.headers.update(topview_server.headers)
    submitted = session.post(
        f"{topview_server.url}/v1/scraper/task/submit", json={"productLink": "https://shop.example.com/p/1"}, timeout=10
    ).json()
    task_id = submitted["result"]["taskId"]
    topview_server.advance(5)
    queried = session.get(f"{topview_server.url}/v1/scraper/task/query", params={"taskId": task_id}, timeout=10)
    assert queried.json()["result"]["status"] == "success"


def test_another_process_via_environment(topview_server: LiveServer) -> None:
    env = {**os.environ, **topview_server.env}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=30, check=True
    )
    task_id = out.stdout.strip()
    assert [task["taskId"] for task in topview_server.tasks()] == [task_id]
