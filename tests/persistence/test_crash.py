"""kill -9 in the middle of a concurrent load, then a restart on the same data directory: nothing acknowledged is lost.

A real ``topview-mock serve --data-dir DIR`` (manual clock) takes submits with a noticeUrl, uploads, board
creations and priced tasks from eight client threads while the main thread moves the clock; it is killed
with SIGKILL once some hundreds of answers arrived, with requests in flight. Restarted on the same DIR:
every task, file, board and credit movement a client was told about is there, tasks go on from where the
clock stood, every callback still pending is delivered, no id is handed out twice, and an upload URL
issued before the crash still takes its bytes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from receivers import Receiver, serving_in_thread
from wire import lines_of

from mock_server.storage.media import sample

WORKERS = 8
KILL_AFTER = 300  # acknowledged answers before the kill
PNG = sample("png", width=8, height=8)
VOICE = {"voiceText": "Hello there.", "voiceId": "5d188a658b5a424e98bf0dbbcb8f97d8"}


@dataclass
class Acknowledged:
    """What the clients were told before the crash (appended from several threads: list.append is atomic)."""

    tasks: list[tuple[str, str, str | None]] = field(default_factory=list)  # uid, taskId, noticeUuid
    files: list[tuple[str, str, str, bool]] = field(default_factory=list)  # uid, fileId, uploadUrl, uploaded
    boards: list[tuple[str, str]] = field(default_factory=list)  # uid, boardId
    statuses: list[tuple[str, str, str]] = field(default_factory=list)  # uid, taskId, status seen
    clock: list[float] = field(default_factory=list)  # "now" of each acknowledged advance

    def count(self) -> int:
        """Answers so far."""
        return len(self.tasks) + len(self.files) + len(self.boards) + len(self.statuses) + len(self.clock)

    def ids(self) -> set[str]:
        """Every id a client has seen."""
        found = {task_id for _, task_id, _ in self.tasks} | {uuid for _, _, uuid in self.tasks if uuid}
        return found | {file_id for _, file_id, _, _ in self.files} | {board for _, board in self.boards}


@contextmanager
def served(data_dir: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``topview-mock serve --data-dir`` on a free port; (process, base URL). Killed if still running at exit."""
    command = [sys.executable, "-m", "mock_server", "serve", "--port", "0", "--clock", "manual", "--seed", "3"]
    command += ["--data-dir", str(data_dir), "--log-level", "warning", "--notice-timeout", "30"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines = lines_of(process)
    try:
        first = lines.get(timeout=120)
        assert first.startswith("topview-mock listening on "), first
        yield process, first.rsplit(" ", 1)[1]
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def headers(uid: str) -> dict[str, str]:
    """Auth of account ``uid``."""
    return {"Topview-Uid": uid, "Authorization": "Bearer crash-key"}


def client_load(url: str, notice_url: str, worker: int, seen: Acknowledged, stop: threading.Event) -> None:
    """One client: submits (with callbacks), uploads, boards, priced tasks and polls, until the server dies."""
    uid = f"uid-{worker % 4}"  # two clients per account: concurrent writes to one ledger
    scrape = {"productLink": "https://shop.example.com/p/1", "noticeUrl": notice_url}
    with httpx.Client(base_url=url, headers=headers(uid), timeout=30) as api, httpx.Client(timeout=30) as bare:
        try:
            for n in range(10_000):
                if stop.is_set():
                    return
                ack = api.post("/v1/scraper/task/submit", json=scrape).json()["result"]
                seen.tasks.append((uid, ack["taskId"], ack["noticeUuid"]))
                priced = api.post("/v1/voice/text2voice/task/submit", json=VOICE).json()["result"]
                seen.tasks.append((uid, priced["taskId"], None))
                issued = api.get("/v1/upload/credential", params={"format": "png"}).json()["result"]
                uploaded = n % 2 == 0 and bare.put(issued["uploadUrl"], content=PNG).status_code == 200
                seen.files.append((uid, issued["fileId"], issued["uploadUrl"], uploaded))
                board = api.post("/boards/create", json={"name": f"board {worker}-{n}"}).json()["result"]
                seen.boards.append((uid, board["boardId"]))
                status = api.get("/v1/scraper/task/query", params={"taskId": ack["taskId"]}).json()["result"]["status"]
                seen.statuses.append((uid, ack["taskId"], status))
        except (httpx.HTTPError, KeyError, TypeError):
            return  # the server was killed mid-request: that request was never acknowledged


def control(url: str, method: str, path: str, **kwargs: Any) -> Any:
    """A control call that must answer 200."""
    response = httpx.request(method, f"{url}/_mock{path}", timeout=60, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def test_kill_9_under_load_loses_nothing_acknowledged(tmp_path: Path) -> None:
    """Acknowledged tasks, files, boards and credit movements survive SIGKILL; the fake goes on from there."""
    data_dir, seen, stop = tmp_path / "data", Acknowledged(), threading.Event()
    receiver = Receiver()
    with serving_in_thread(receiver) as notice_url:
        with served(data_dir) as (process, url):
            threads = [
                threading.Thread(target=client_load, args=(url, notice_url, w, seen, stop)) for w in range(WORKERS)
            ]
            for thread in threads:
                thread.start()
            while seen.count() < KILL_AFTER:  # the clock moves while the clients work
                seen.clock.append(control(url, "POST", "/clock/advance", json={"seconds": 0.7})["now"])
            os.kill(process.pid, signal.SIGKILL)
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
        assert seen.count() >= KILL_AFTER and any(not uploaded for *_, uploaded in seen.files)

        with served(data_dir) as (_, url):
            assert control(url, "GET", "/clock")["now"] >= max(seen.clock)  # on from where it stood
            tasks = {t["taskId"]: t for t in control(url, "GET", "/tasks")["tasks"]}
            assert {task_id for _, task_id, _ in seen.tasks} <= set(tasks)
            order = ["init", "running", "success"]
            for _, task_id, status in seen.statuses:  # no task went back
                assert order.index(tasks[task_id]["status"]) >= order.index(status)
            with httpx.Client(base_url=url, timeout=30) as api:
                for uid, file_id, _, uploaded in seen.files:
                    check = api.get("/v1/upload/check", params={"fileId": file_id}, headers=headers(uid)).json()
                    assert (check["code"], check["result"] or not uploaded) == ("200", True), (file_id, check)
                for uid, board_id in seen.boards:
                    detail = api.get("/boards/detail", params={"boardId": board_id}, headers=headers(uid)).json()
                    assert detail["code"] == "200", (board_id, detail)
                assert_credits_conserved(api, control(url, "GET", "/tasks")["tasks"], seen)
                # An upload URL issued before the crash, never used: it still takes the bytes.
                uid, file_id, upload_url, _ = next(f for f in seen.files if not f[3])
                assert (
                    httpx.put(upload_url.replace(upload_url.split("/_objects/")[0], url), content=PNG).status_code
                    == 200
                )
                assert api.get("/v1/upload/check", params={"fileId": file_id}, headers=headers(uid)).json()["result"]
                # No id is handed out twice.
                fresh = [api.get("/v1/upload/credential", params={"format": "png"}, headers=headers("uid-0")).json()]
                fresh.append(
                    api.post(
                        "/v1/scraper/task/submit", json={"productLink": "https://x.example/p"}, headers=headers("uid-0")
                    ).json()
                )
                new_ids = {
                    value for envelope in fresh for value in envelope["result"].values() if isinstance(value, str)
                }
                assert not new_ids & seen.ids()
            # Tasks go on and every callback still owed goes out.
            control(url, "POST", "/clock/advance", json={"seconds": 100})
            control(url, "POST", "/callbacks/drain")
            assert {t["status"] for t in control(url, "GET", "/tasks")["tasks"]} == {"success"}
            owed = {uuid for _, _, uuid in seen.tasks if uuid}
            assert owed <= {body["uuid"] for body in receiver.bodies()}


def assert_credits_conserved(api: httpx.Client, tasks: list[dict[str, Any]], seen: Acknowledged) -> None:
    """Per account: every acknowledged priced task is deducted once, and balance + deductions == granted."""
    for uid in sorted({uid for uid, _, _ in seen.tasks}):
        logs: list[dict[str, Any]] = []
        for page in range(1, 100):
            found = api.get("/user/credit/logs", params={"pageNo": page, "pageSize": 100}, headers=headers(uid)).json()
            logs += found["result"]["data"]
            if page * 100 >= found["result"]["total"]:
                break
        deducted = [entry["taskId"] for entry in logs if entry["costCredit"] > 0]
        assert len(deducted) == len(set(deducted))
        priced = {task_id for owner, task_id, uuid in seen.tasks if owner == uid and uuid is None}
        assert priced <= set(deducted)
        balance = api.get("/user/credit/detail", headers=headers(uid)).json()["result"]["remainCredit"]
        spent = sum((Decimal(repr(entry["costCredit"])) for entry in logs), Decimal(0))
        assert Decimal(repr(balance)) + spent == 1000, (uid, balance, spent)
        mine = [t for t in tasks if t["uid"] == uid]
        assert len([t for t in mine if t["cost"] > 0]) == len(deducted)


@pytest.fixture
def anyio_backend() -> str:
    """The receiver runs its own loop in a thread; nothing here is async."""
    return "asyncio"
