"""A small Python ``requests`` client for the kit's benchmark: scrape a product page, poll until it ends."""

import os
import sys
import time

import requests

BASE, HEADERS = (
    os.environ["TOPVIEW_BASE_URL"],
    {
        "Topview-Uid": os.environ["TOPVIEW_UID"],
        "Authorization": f"Bearer {os.environ['TOPVIEW_API_KEY']}",
    },
)
TRANSIENT = {"5000", "5001", "5003", "5004", "5005"}


def call(session, method, path, **kwargs):
    for attempt in range(3):
        if attempt:
            time.sleep(0.01 * 3**attempt)
        try:
            response = session.request(method, BASE + path, headers=HEADERS, timeout=10, **kwargs)
        except requests.RequestException as error:
            problem = str(error)
            continue
        if response.status_code >= 500:
            problem = f"HTTP {response.status_code}"
            continue
        envelope = response.json()
        code = str(envelope.get("code"))
        if code == "200":
            return envelope["result"]
        problem = f"{code}: {envelope.get('message')}"
        if code not in TRANSIENT:
            break
    sys.exit(f"error: {path}: {problem}")


with requests.Session() as session:
    task = call(session, "POST", "/v1/scraper/task/submit", json={"productLink": "https://shop.example.com/p/1"})
    for _ in range(50):
        result = call(session, "GET", "/v1/scraper/task/query", params={"taskId": task["taskId"]})
        status = str(result.get("status")).lower()
        if status in ("success", "succeeded"):
            print("done")
            sys.exit(0)
        if status in ("fail", "failed"):
            sys.exit(f"error: {result.get('errorMsg')}")
        time.sleep(0.01)
    sys.exit("error: never finished")
