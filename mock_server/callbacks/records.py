"""What a callback carries and what the fake remembers about delivering it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

NoticeStatus: TypeAlias = Literal["success", "fail"]
DeliveryState: TypeAlias = Literal["pending", "delivering", "delivered", "failed", "refused"]
FINISHED_STATES: frozenset[DeliveryState] = frozenset({"delivered", "failed", "refused"})


def acknowledgement_problem(text: str, uuid: str, uid: str) -> str | None:
    """Why a receiver's reply does not acknowledge notice ``uuid`` for ``uid``, or None when it does.

    The documented reply is ``{"code":"200","message":"Success","result":{"uuid":...,
    "topviewUid":...,"result":"success"|"fail"}}``. ``message`` is not checked, and either
    ``result`` value acknowledges receipt: Topview does not say what "fail" would change.
    """
    try:
        reply = json.loads(text)
    except ValueError:
        return "acknowledgement is not JSON"
    if not isinstance(reply, dict):
        return "acknowledgement is not a JSON object"
    if reply.get("code") != "200":
        return f"acknowledgement code is {reply.get('code')!r}, expected '200'"
    ack = reply.get("result")
    if not isinstance(ack, dict):
        return "acknowledgement has no result object"
    if ack.get("uuid") != uuid:
        return f"acknowledgement uuid {ack.get('uuid')!r} does not match {uuid!r}"
    if ack.get("topviewUid") != uid:
        return f"acknowledgement topviewUid {ack.get('topviewUid')!r} does not match {uid!r}"
    if ack.get("result") not in ("success", "fail"):
        return f"acknowledgement result is {ack.get('result')!r}, expected 'success' or 'fail'"
    return None


@dataclass(frozen=True, slots=True)
class Attempt:
    """One HTTP POST of a notice and how the receiver answered it."""

    number: int
    at: float  # virtual time the attempt started
    duration_ms: float  # real milliseconds the network exchange took
    http_status: int | None  # None when no response arrived (refused, timed out, ...)
    response_text: str  # an excerpt of the reply body
    error: str | None  # why the attempt failed; None exactly when acknowledged
    acknowledged: bool

    def to_json(self) -> dict[str, object]:
        """The attempt as shown by the control API."""
        return {
            "number": self.number,
            "at": self.at,
            "durationMs": round(self.duration_ms, 3),
            "httpStatus": self.http_status,
            "responseText": self.response_text,
            "error": self.error,
            "acknowledged": self.acknowledged,
        }


@dataclass(slots=True)
class NoticeDelivery:
    """Everything about sending one notice to one noticeUrl, including every attempt."""

    id: str
    uid: str
    url: str
    body: Mapping[str, str]  # a dict, or a PendingNotice made when first read
    created_at: float
    state: DeliveryState = "pending"
    attempts: list[Attempt] = field(default_factory=list)
    next_attempt_at: float | None = None
    refused_reason: str | None = None
    replay_of: str | None = None  # the delivery this one re-sends (replay)
    duplicate_of: str | None = None  # the delivery this one repeats (deliver_twice aid)

    @property
    def notice_uuid(self) -> str:
        """The noticeUuid the receiver must echo."""
        return self.body["uuid"]

    @property
    def biz_type(self) -> str:
        """The notice's bizType."""
        return self.body["bizType"]

    @property
    def task_id(self) -> str:
        """The task the notice reports on."""
        return self.body["taskId"]

    @property
    def finished(self) -> bool:
        """True once nothing more will be attempted."""
        return self.state in FINISHED_STATES

    def to_json(self) -> dict[str, object]:
        """The delivery as shown by ``GET /_mock/callbacks``."""
        return {
            "id": self.id,
            "uid": self.uid,
            "url": self.url,
            "noticeUuid": self.notice_uuid,
            "bizType": self.biz_type,
            "taskId": self.task_id,
            "state": self.state,
            "createdAt": self.created_at,
            "nextAttemptAt": self.next_attempt_at,
            "refusedReason": self.refused_reason,
            "replayOf": self.replay_of,
            "duplicateOf": self.duplicate_of,
            "body": dict(self.body),
            "attempts": [attempt.to_json() for attempt in self.attempts],
        }
