"""64 clients at once over a real socket: no 5xx, no lost task, credits conserved per account, no callback lost.

The fake runs behind uvicorn (``LiveServer``), in memory and on a data directory. Each client submits
tasks with a noticeUrl (a local receiver acknowledges them), polls them to success (progression by polls:
no clock to wait for), uploads a file through its presigned URL, and creates, renames and lists boards;
four clients share each account, so one ledger takes concurrent submits. Meanwhile slow clients open
connections, send headers (or half of them) and fall silent: they hold nobody up, and are dropped.
"""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from receivers import Receiver, serving_in_thread
from wire import connect

from mock_server import MockConfig, Progression, TopviewMock
from mock_server.contract.openapi import Contract
from mock_server.storage.media import sample
from mock_server.testing.server import LiveServer

CLIENTS = 64
ACCOUNTS = 16
ROUNDS = 3
PNG = sample("png", width=8, height=8)
PRICED = {
    "/v1/voice/text2voice/task/submit": (
        "/v1/voice/text2voice/task/query",
        {"voiceText": "Hello there.", "voiceId": "5d188a658b5a424e98bf0dbbcb8f97d8"},
    ),
    "/v1/common_task/text2image/task/submit": (
        "/v1/common_task/text2image/task/query",
        {"model": "Nano Banana 2", "prompt": "A cup.", "aspectRatio": "1:1", "resolution": "2K", "generateCount": 2},
    ),
}


@dataclass
class Seen:
    """What the clients saw: every HTTP status and envelope code, and what they were given."""

    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    tasks: list[tuple[str, str, str | None]] = field(default_factory=list)  # uid, taskId, noticeUuid

    def answer(self, response: httpx.Response) -> Any:
        """Count a Topview answer; its result."""
        self.statuses[response.status_code] += 1
        envelope = response.json()
        self.codes[envelope["code"]] += 1
        return envelope["result"]


async def client(number: int, url: str, notice_url: str, seen: Seen) -> None:
    """One client's rounds of submits, polls, an upload and board operations."""
    uid = f"uid-load-{number % ACCOUNTS}"
    headers = {"Topview-Uid": uid, "Authorization": "Bearer load-key"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as api:
        for n in range(ROUNDS):
            for submit, (query, body) in PRICED.items():
                notice = {"noticeUrl": notice_url} if (number + n) % 2 else {}
                ack = seen.answer(await api.post(submit, json={**body, **notice}))
                seen.tasks.append((uid, ack["taskId"], ack["noticeUuid"]))
                for _ in range(3):  # polls mode: each query moves the task one step
                    status = seen.answer(await api.get(query, params={"taskId": ack["taskId"]}))["status"]
                assert status == "success"
            issued = seen.answer(await api.get("/v1/upload/credential", params={"format": "png"}))
            put = await api.put(issued["uploadUrl"], content=PNG, headers={"Topview-Uid": ""})
            seen.statuses[put.status_code] += 1
            assert seen.answer(await api.get("/v1/upload/check", params={"fileId": issued["fileId"]})) is True
            board = seen.answer(await api.post("/boards/create", json={"name": f"load {number}-{n}"}))["boardId"]
            seen.answer(await api.put("/boards/update", json={"boardId": board, "name": f"renamed {number}-{n}"}))
            seen.answer(await api.get("/boards/list", params={"pageSize": 100}))


def dropped(sock: socket.socket) -> bool:
    """Whether the server closed the connection (EOF, or reset) before the bounded wait ran out."""
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True
            if b"408" in data or b"400" in data:  # an answer counts too, if a server prefers one
                return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    finally:
        sock.close()


SLOW = [
    b"",  # connects, sends nothing
    b"GET /v1/caption/list HTTP/1.1\r\nHost: x\r\nTopview-Uid: slow\r\n",  # half the headers
    b"POST /v1/scraper/task/submit HTTP/1.1\r\nHost: x\r\nTopview-Uid: slow\r\nAuthorization: Bearer k\r\n"
    b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{",  # headers, then a body that stops
]


@pytest.mark.parametrize("keep", ["in-memory", "data-dir"])
def test_64_clients_and_some_slow_ones(tmp_path: Path, contract: Contract, keep: str) -> None:
    """No 5xx, every task found and finished, exact ledgers, every callback delivered, slow clients dropped."""
    config = MockConfig(
        progression=Progression("polls", 1, 1),
        data_dir=str(tmp_path / "data") if keep == "data-dir" else None,
    )
    receiver = Receiver()
    with serving_in_thread(receiver) as notice_url:
        server = LiveServer(TopviewMock(config, contract=contract), read_timeout=5.0).start()
        try:
            slow = [connect(server.url, request) for request in SLOW]
            seen = Seen()

            async def everyone() -> None:
                await asyncio.gather(*(client(n, server.url, notice_url, seen) for n in range(CLIENTS)))

            asyncio.run(everyone())  # the slow connections are open all along
            assert [dropped(sock) for sock in slow] == [True, True, True]
            server.drain_callbacks()
            check_outcome(server, seen, receiver)
            assert server.errors == []
        finally:
            server.stop()


def check_outcome(server: LiveServer, seen: Seen, receiver: Receiver) -> None:
    """The fake's own view agrees with everything the clients were told."""
    assert set(seen.statuses) == {200} and set(seen.codes) == {"200"}, (seen.statuses, seen.codes)
    tasks = {t["taskId"]: t for t in server.tasks()}
    assert len(seen.tasks) == CLIENTS * ROUNDS * len(PRICED) == len(tasks)
    assert {tasks[task_id]["status"] for _, task_id, _ in seen.tasks} == {"success"}
    for account in {uid for uid, _, _ in seen.tasks}:
        ledger = server.credits(account)
        costs = [Decimal(repr(t["cost"])) for t in tasks.values() if t["uid"] == account]
        assert Decimal(repr(ledger["spent"])) == sum(costs, Decimal(0))
        assert Decimal(repr(ledger["balance"])) + Decimal(repr(ledger["spent"])) == Decimal(repr(ledger["granted"]))
    owed = Counter(uuid for _, _, uuid in seen.tasks if uuid)
    assert Counter(body["uuid"] for body in receiver.bodies()) == owed  # each exactly once, none lost
    deliveries = server.callbacks()
    assert {d.state for d in deliveries} == {"delivered"} and len(deliveries) == len(owed)
