"""A finished result is rendered once and reused: by later polls, and by its task's callback."""

from __future__ import annotations

import json

import pytest

import mock_server.api.backend as backend
from mock_server import MockConfig, Outcome, Progression, TopviewMock
from mock_server.callbacks.payloads import encode_result
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
