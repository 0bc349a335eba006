"""The ten judges on hand-made journals: each sees its bug, and lets the careful version of it pass."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mock_server.clientkit.invariants import (
    INVARIANTS,
    ClientCrashed,
    InvariantViolation,
    RetryStorm,
    Thresholds,
    check,
    judge,
    select,
)
from mock_server.clientkit.records import ClientRun, Credentials
from mock_server.control.journal import Exchange
from mock_server.control.scenario import Scenario

KEY = "tvk-secret-1"
QUERY = "/v1/scraper/task/query"
FAULTY = Scenario.from_json({"faults": [{"code": "5003"}]})


def exchange(
    seq: int,
    wall: float,
    op: str = "scraperQuery",
    *,
    method: str = "GET",
    code: str | None = "200",
    status: int | None = 200,
    query: dict[str, str] | None = None,
    body: Any = None,
    result: Any = None,
    headers: dict[str, str] | None = None,
    path: str = QUERY,
) -> Exchange:
    sent = {"code": code, "message": "Server is busy" if code == "5003" else "Success", "result": result}
    return Exchange(
        seq,
        0.0,
        method,
        path,
        op,
        "kit-1",
        query if query is not None else {"taskId": "t1"},
        body,
        code,
        status,
        wall=wall,
        duration=0.01,
        raw_headers=[(k.encode(), v.encode()) for k, v in (headers or {}).items()],
        raw_response=json.dumps(sent).encode() if code is not None else None,
    )


def status(value: str, error: str | None = None) -> dict[str, Any]:
    return {"taskId": "t1", "status": value, "errorMsg": error}


def run(
    *exchanges: Exchange, exit_code: int | None = 0, output: str = "done", scenario: Scenario = FAULTY, **extra: Any
) -> ClientRun:
    return ClientRun(scenario, Credentials("http://x", "kit-1", KEY), exit_code, output, exchanges, 1.0, **extra)


def names(client_run: ClientRun, **thresholds: Any) -> list[str]:
    return [v.invariant for v in judge(client_run, Thresholds(**thresholds))]


def test_a_careful_run_breaks_nothing() -> None:
    careful = run(
        exchange(1, 0.0, "scraperSubmit", method="POST", query={}, body={"productLink": "x"}, result={"taskId": "t1"}),
        exchange(2, 0.1, result=status("running")),
        exchange(3, 1.2, code="5003", status=200),
        exchange(4, 1.5, result=status("running")),  # a retry after 0.29 s: not a poll
        exchange(5, 2.6, result=status("success")),
    )
    assert names(careful) == []


@pytest.mark.parametrize(
    ("output", "exit_code", "extra"),
    [
        ("Traceback (most recent call last):\n  File \"c.py\"\nKeyError: 'taskId'", 1, {}),
        ("TypeError: Cannot read properties of null\n    at x (c.js:3:1)\n\nNode.js v20.11.0", 1, {}),
        ("panic: runtime error: invalid memory address\n\ngoroutine 1 [running]:", 2, {}),
        ("", -11, {}),
        ("", 1, {"crash": "Traceback ...\nValueError: boom"}),
    ],
)
def test_client_crashed(output: str, exit_code: int, extra: dict[str, Any]) -> None:
    assert names(run(output=output, exit_code=exit_code, **extra))[:1] == ["client-crashed"]
    with pytest.raises(ClientCrashed):
        check(run(output=output, exit_code=exit_code, **extra))


def test_timed_out() -> None:
    assert names(run(exit_code=None, timed_out=True)) == ["timed-out"]


def test_polled_after_terminal_but_not_after_a_chained_request() -> None:
    ended = [exchange(1, 0.0, result=status("SUCCESS")), exchange(2, 2.0, result=status("success"))]
    assert names(run(*ended)) == ["polled-after-terminal"]
    chained = exchange(2, 1.0, "m2vExport", method="POST", query={}, body={"taskId": "t1"}, path="/v1/m2v/export")
    assert names(run(ended[0], chained, exchange(3, 2.5, result=status("running")))) == []
    assert names(run(exchange(1, 0.0, result=status("unknown")), exchange(2, 2.0, result=status("success")))) == []


def test_poll_too_fast() -> None:
    polls = run(exchange(1, 0.0, result=status("running")), exchange(2, 0.4, result=status("success")))
    assert names(polls) == ["poll-too-fast"]
    assert names(polls, min_poll_interval=0.3) == []


def test_retried_client_error() -> None:
    refused = exchange(1, 0.0, "scraperSubmit", method="POST", code="4100", query={}, body={"a": 1})
    again = exchange(2, 5.0, "scraperSubmit", method="POST", code="4100", query={}, body={"a": 1})
    assert names(run(refused, again, exit_code=1, output="4100")) == ["retried-client-error"]
    changed = exchange(2, 5.0, "scraperSubmit", method="POST", code="200", query={}, body={"a": 2})
    assert names(run(refused, changed)) == []


def test_retry_storm_by_count_and_by_waits() -> None:
    def busy(seq: int, wall: float) -> Exchange:
        return exchange(seq, wall, code="5003")

    many = [busy(i, 2.0**i) for i in range(1, 8)]  # 6 retries, each wait twice the one before
    assert names(run(*many, exit_code=1, output="5003")) == ["retry-storm"]
    assert names(run(*many, exit_code=1, output="5003"), max_retries=6) == []
    at_once = [busy(1, 0.0), busy(2, 0.02), busy(3, 0.04), exchange(4, 0.06, result=status("running"))]
    with pytest.raises(RetryStorm, match="retried at once"):
        check(run(*at_once), Thresholds(invariants=frozenset({"retry-storm"})))
    shrinking = [busy(1, 0.0), busy(2, 8.01), busy(3, 9.02), exchange(4, 9.03, result=status("running"))]
    with pytest.raises(RetryStorm, match="shrinking waits"):
        check(run(*shrinking), Thresholds(invariants=frozenset({"retry-storm"})))
    growing = [busy(1, 0.0), busy(2, 0.51), busy(3, 1.52), exchange(4, 3.53, result=status("running"))]
    assert names(run(*growing)) == []


def test_retry_storm_allows_what_a_busy_machine_adds_to_a_wait() -> None:
    def busy(seq: int, wall: float) -> Exchange:
        return exchange(seq, wall, code="5003")

    # A client asking for 0.1 s then 0.3 s, its first wait stretched to 2 s by the scheduler: not a storm.
    stretched = [busy(1, 0.0), busy(2, 2.01), busy(3, 2.32), exchange(4, 3.3, result=status("running"))]
    assert names(run(*stretched)) == []
    # One retry at once and then a real wait is a client that backs off.
    once = [busy(1, 0.0), busy(2, 0.02), busy(3, 0.33), exchange(4, 1.0, result=status("running"))]
    assert names(run(*once)) == []


def test_swallowed_error() -> None:
    failed = exchange(1, 0.0, result=status("fail", "Face not detected"))
    assert names(run(failed, output="done")) == ["swallowed-error"]
    assert names(run(failed, output="error: Face not detected")) == []
    assert names(run(failed, exit_code=1, output="")) == []
    recovered = [exchange(1, 0.0, code="5003"), exchange(2, 1.0, result=status("running"))]
    assert names(run(*recovered)) == []
    gateway = exchange(1, 0.0, code=None, status=502)
    assert names(run(gateway)) == ["swallowed-error"] and names(run(gateway, output="HTTP 502")) == []


def test_a_dropped_connection_the_client_did_not_report_is_swallowed() -> None:
    dropped = exchange(1, 0.0, code=None, status=None)
    assert names(run(dropped, output="done")) == ["swallowed-error"]
    assert names(run(dropped, output="curl: (52) Empty reply from server")) == []
    assert names(run(dropped, output="RemoteProtocolError: Server disconnected")) == []
    assert names(run(dropped, exchange(2, 1.0, result=status("running")))) == []  # retried, and it worked


def test_contract_violation_only_in_a_fault_free_run() -> None:
    bad = exchange(1, 0.0, "uploadCredential", code="4000", query={"format": "heic"})
    assert names(run(bad, scenario=Scenario(), output="4000")) == ["contract-violation"]
    assert names(run(bad, output="4000")) == []  # a fault may have answered it


def test_unchecked_upload() -> None:
    credential = exchange(1, 0.0, "uploadCredential", query={"format": "png"}, result={"fileId": "f1"})
    check_false = exchange(2, 0.1, "uploadCheck", query={"fileId": "f1"}, result=False)
    check_true = exchange(3, 0.2, "uploadCheck", query={"fileId": "f1"}, result=True)
    submit = exchange(4, 0.3, "removeBackgroundSubmit", method="POST", query={}, body={"productImageFileId": "f1"})
    assert names(run(credential, check_false, submit)) == ["unchecked-upload"]
    assert names(run(credential, check_false, check_true, submit)) == []


def test_key_leak() -> None:
    put = exchange(
        1,
        0.0,
        "objectUpload",
        method="PUT",
        code=None,
        query={},
        path="/_objects/uploads/a/f1.png",
        headers={"Authorization": "Bearer x"},
    )
    assert names(run(put)) == ["key-leak"]
    in_url = exchange(1, 0.0, query={"taskId": "t1", "apiKey": KEY}, result=status("running"))
    assert names(run(in_url)) == ["key-leak"]
    plain_put = exchange(1, 0.0, "objectUpload", method="PUT", code=None, query={}, path="/_objects/uploads/a/f1.png")
    assert names(run(plain_put)) == []


def test_invariants_can_be_switched_off() -> None:
    assert select("all") == frozenset(INVARIANTS)
    assert select("-poll-too-fast,-key-leak") == frozenset(INVARIANTS) - {"poll-too-fast", "key-leak"}
    assert select("timed-out") == {"timed-out"}
    with pytest.raises(ValueError, match="unknown invariant"):
        select("slow")
    assert names(run(exit_code=None, timed_out=True), invariants=frozenset({"key-leak"})) == []


def test_one_exception_class_per_invariant() -> None:
    classes = {type(v) for v in judge(run(exit_code=None, timed_out=True, crash="Traceback\nE: x"))}
    assert all(issubclass(c, InvariantViolation) and issubclass(c, AssertionError) for c in classes)
    assert {c.invariant for c in InvariantViolation.__subclasses__()} == set(INVARIANTS)
