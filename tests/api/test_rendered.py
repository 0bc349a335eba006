"""A finished result is rendered once and reused: by later polls, and by its task's callback."""

from __future__ import annotations

import json

import pytest

import mock_server.api.backend as backend
from mock_server import MockConfig, Outcome, Progression, TopviewMock
from mock_server.callbacks.payloads import PendingNotice, encode_result
from mock_server.engine.tasks import Task

UID = "uid-rendered"


def finished(mock: TopviewMock, count: int) -> list[Task]:
    """``count`` succeeded scraper tasks of one account, each submitted with a noticeUrl."""
    tenant = mock.state.tenant(UID, mock.clock.now())
    tasks = []
    for i in range(count):
        task = Task(
            mock.state.ids.new(), UID, "scraper", "scraperSubmit", {"productLink": f"https://shop.example.com/p/{i}"},
            mock.clock.now(), Progression("time", 0, 1), Outcome(), 0.0, "scraper",
            notice_url="https://hooks.example.com/topview", notice_uuid=f"{i:032x}",
        )  # fmt: skip
        tasks.append(mock.engine.submit(tenant, task))
    mock.advance(2)
    assert all(task.status == "success" for task in tasks)
    return tasks


def test_a_full_cache_forgets_the_result_rendered_longest_ago_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backend, "MAX_RENDERED", 2)
    mock = TopviewMock(MockConfig(credits=1e6))
    first, second, third = finished(mock, 3)
    base = mock.public_url
    kept = [mock.rendered_result(task, base, cdn=False) for task in (first, second, third)]
    assert mock.rendered_result(second, base, cdn=False) is kept[1], "the newer results stay rendered"
    assert mock.rendered_result(third, base, cdn=False) is kept[2]
    again = mock.rendered_result(first, base, cdn=False)
    assert again is not kept[0] and again.value == kept[0].value, "the oldest went, and renders the same again"


def test_a_notice_carries_the_result_its_poll_rendered_without_rendering_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mock = TopviewMock(MockConfig(credits=1e6))
    (task,) = finished(mock, 1)
    polled = mock.rendered_result(task, mock.public_url, cdn=False)  # what a poll in this second answers
    renders = []
    monkeypatch.setattr(backend, "render", lambda value, url_for: renders.append(value) or value)
    body = dict(mock.notice_for(task))
    assert renders == [], "the notice reused the poll's rendering"
    assert body["result"] == encode_result(polled.value)
    assert json.loads(body["result"])["productImages"][0]["fileUrl"].startswith(f"{mock.public_url}/_objects/")


def test_notices_of_a_burst_larger_than_the_cache_carry_their_polls_renderings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Polled first, called back after: a notice is made before its task's rendering is forgotten."""
    monkeypatch.setattr(backend, "MAX_RENDERED", 2)
    mock = TopviewMock(MockConfig(credits=1e6))
    tasks = finished(mock, 5)
    polled = [mock.rendered_result(task, mock.public_url, cdn=False) for task in tasks]
    renders = []
    monkeypatch.setattr(backend, "render", lambda value, url_for: renders.append(value) or value)
    bodies = {d.task_id: dict(d.body) for d in mock.notices.journal()}
    assert renders == [], "no notice rendered its result again"
    assert [bodies[task.task_id]["result"] for task in tasks] == [encode_result(p.value) for p in polled]


def test_a_rendering_from_an_earlier_second_makes_no_notice_early(monkeypatch: pytest.MonkeyPatch) -> None:
    """A notice made later reads the clock of then: one whose poll was seconds ago waits to be read."""
    monkeypatch.setattr(backend, "MAX_RENDERED", 1)
    mock = TopviewMock(MockConfig(credits=1e6))
    first, second = finished(mock, 2)
    mock.rendered_result(first, mock.public_url, cdn=False)
    mock.clock.advance(1)
    mock.rendered_result(second, mock.public_url, cdn=False)  # the first's rendering is forgotten
    notices = {d.task_id: d.body for d in mock.notices.journal()}
    assert isinstance(notices[first.task_id], PendingNotice) and notices[first.task_id].made is None
    signed_at = json.loads(notices[first.task_id]["result"])["productImages"][0]["fileUrl"]
    assert "X-Amz-Date=20260101T000003Z" in signed_at, "made when read, in the second it was read"
