"""Records as JSON and back: every field survives, Media markers included, a client's own "$media" object too."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from mock_server.callbacks.payloads import PendingNotice
from mock_server.callbacks.records import Attempt, NoticeDelivery
from mock_server.engine.state import Board, CreditLog, FileRecord, Ledger, Tenant
from mock_server.engine.tasks import Outcome, Progression, Task
from mock_server.persistence import codec
from mock_server.storage.links import Media

COVER = Media("results/t1/cover.jpg", "image", "jpg", 1024, 576)


def through_json(data: Any) -> Any:
    """What SQLite gives back: the JSON text read again."""
    return json.loads(json.dumps(data, allow_nan=False))


def a_task() -> Task:
    """A finished task with every field set, its result holding Media markers."""
    task = Task(
        task_id="t1",
        uid="u1",
        kind="m2v",
        operation_id="m2vSubmit",
        params={"productLink": "https://x.example.com/p", "mine": {"$media": ["not", "a", "marker", None, None]}},
        created_at=1.5,
        progression=Progression("polls", 2, 3),
        outcome=Outcome("fail", "boom"),
        cost=Decimal("0.600"),
        task_type="m2v",
        api_key="k",
        status="fail",
        polls=1,
        entered_at=2.5,
        finished_at=3.5,
        error_msg="boom",
        notice_url="http://127.0.0.1:9/n",
        notice_uuid="n1",
        board_id="b1",
        board_task_ids=("bt1",),
        parent_id="p1",
        children=("c1",),
        output={"previewVideos": [{"coverUrl": COVER, "n": 1}], "plain": {"$dict": 1}},
        deleted=True,
        history=[(1.5, "init"), (2.5, "running"), (3.5, "fail")],
    )
    return task


def test_a_task_reads_back_field_for_field() -> None:
    """Every field, Decimal cost, tuples of history, Media in the result and look-alike client objects."""
    task = a_task()
    again = codec.task_from(through_json(codec.task_json(task)))
    assert codec.task_json(again) == codec.task_json(task)
    assert again.output is not None and again.output["previewVideos"][0]["coverUrl"] == COVER
    assert again.params["mine"] == {"$media": ["not", "a", "marker", None, None]}
    assert again.output["plain"] == {"$dict": 1}
    assert again.cost == Decimal("0.600") and again.history == task.history


def test_an_account_reads_back_with_its_boards_voices_and_ledger() -> None:
    """The small part of an account: ledger totals exact, boards, custom voices with their Media."""
    tenant = Tenant(uid="u1", ledger=Ledger(Decimal("10.000"), Decimal("9.400"), Decimal("0.600"), Decimal("0")))
    tenant.boards["b1"] = Board("b1", "u1", "My First Board", 1.0, 2.0, is_default=True)
    tenant.voices["v1"] = {"voiceId": "v1", "demoAudioUrl": Media("voices/u1/v1.mp3", "audio", "mp3")}
    tenant.replace_keys["k"] = "t1"
    again = codec.tenant_from(through_json(codec.tenant_json(tenant)))
    assert codec.tenant_json(again) == codec.tenant_json(tenant)
    assert again.ledger.balance == Decimal("9.4") and again.default_board.board_id == "b1"


def test_files_and_credit_movements_read_back() -> None:
    """A file record and a movement, exact amounts included."""
    record = FileRecord("f1", "u1", "png", "uploads/x/f1.png", 1.0, uploaded=True, kind="image", width=8, height=8)
    assert codec.file_from(through_json(codec.file_json(record))) == record
    log = CreditLog(1.0, "t1", "m2v", Decimal("0.100"), "k", "release")
    assert codec.log_from(through_json(codec.log_json(log))) == log


def test_a_delivery_keeps_its_attempts_and_an_unmade_body_stays_unmade() -> None:
    """A body not made yet is kept as what makes it, and made again (by the fake) only when read."""
    made: list[str] = []

    def make() -> dict[str, str]:
        made.append("made")
        return {"uuid": "n1", "bizType": "M2V", "taskId": "t1", "status": "success", "errorMsg": "", "result": "{}"}

    delivery = NoticeDelivery("dlv-000001", "u1", "http://127.0.0.1:9/n", PendingNotice("n1", "M2V", "t1", make), 1.0)
    delivery.attempts.append(Attempt(1, 1.0, 12.5, None, "", "ConnectError", False))
    data = through_json(codec.delivery_json(delivery))
    assert made == [] and data["body"] is None and data["pending"] == ["n1", "M2V", "t1"]

    asked: list[tuple[str, ...]] = []

    def pending(uid: str, uuid: str, biz_type: str, task_id: str) -> dict[str, str]:
        asked.append((uid, uuid, biz_type, task_id))
        return make()

    again = codec.delivery_from(data, pending)
    assert asked == [("u1", "n1", "M2V", "t1")] and again.attempts == delivery.attempts
    assert codec.delivery_json(again)["body"]["status"] == "success"  # a made body is kept as it is
