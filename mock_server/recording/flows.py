"""The main flows a Topview client runs, each into a cassette of its own: what fixtures and drift jobs record.

A flow talks to a base URL (the recorder) like a client does — uploads through presigned URLs, catalogue
lookups, tasks submitted and polled, result files downloaded — naming its cassette in the
``X-Topview-Mock-Cassette`` header of every request. How a task is made to move on is a
:class:`Steering`: against a fake, its control API (the clock, or finishing a task as it must end);
against the real API, waiting and polling. Only the fake can make a task fail on purpose, so the
real API runs :data:`REAL_FLOWS`.

``python -m mock_server.recording.flows --base-url URL [--fake-control URL | --real]`` runs them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from ..config import MockConfig
from ..contract.openapi import Contract
from ..mock import TopviewMock, create_app
from ..storage.media import sample, silence
from .flow_groups import GROUPS, GroupFlow
from .proxy import CASSETTE_HEADER, Recorder, RecordOptions

REAL_FLOWS = ("upload", "credits", "boards", "scraper")
FAIL_MESSAGE = "The input could not be processed"
USER_AGENT = "topview-mock-flows"
API = "https://api.topview.ai"
LOCAL = "http://127.0.0.1:8100"  # where `topview-mock record` listens by default


class Steering(Protocol):
    """How a submitted task is made to reach a status."""

    async def reach(self, session: Session, query: str, task_id: str, status: str) -> None:
        """Move the task toward ``status`` (running, success or fail) before the flow polls it."""


class FakeSteering:
    """Steers a fake through its control API: the clock for running and success, ``complete`` for fail."""

    def __init__(self, control: httpx.AsyncClient) -> None:
        self.control = control  # based on the fake's /_mock/ URL

    async def reach(self, session: Session, query: str, task_id: str, status: str) -> None:
        """Advance the clock past init (running) or past running (success), or finish the task as failed."""
        if status == "fail":
            answer = await self.control.post(
                f"tasks/{task_id}/complete", json={"status": "fail", "errorMsg": FAIL_MESSAGE}
            )
        else:
            answer = await self.control.post("clock/advance", json={"seconds": 1 if status == "running" else 3})
        answer.raise_for_status()


class PollingSteering:
    """Steers nothing: polls the real API every ``interval`` seconds until the task gets there."""

    def __init__(self, interval: float = 5.0, attempts: int = 120) -> None:
        self.interval = interval
        self.attempts = attempts

    async def reach(self, session: Session, query: str, task_id: str, status: str) -> None:
        """Poll until the task leaves init (running) or finishes (success, fail)."""
        for _ in range(self.attempts):
            seen = await session.poll(query, task_id)
            if (status == "running" and seen != "init") or seen in ("success", "fail"):
                return
            await asyncio.sleep(self.interval)
        raise TimeoutError(f"task {task_id} did not reach {status}")


@dataclass
class Session:
    """One flow's calls: through ``client``, into the cassette ``name``, steered by ``steering``."""

    client: httpx.AsyncClient
    name: str
    steering: Steering
    auth: Mapping[str, str]

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """An API call; its envelope."""
        headers = {**self.auth, CASSETTE_HEADER: self.name, "User-Agent": USER_AGENT}
        answer = await self.client.request(method, path, headers=headers, **kwargs)
        return answer.json()

    async def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """An API call that must succeed; its result."""
        envelope = await self.call(method, path, **kwargs)
        if envelope.get("code") != "200":
            raise RuntimeError(f"{self.name}: {method} {path} answered {envelope}")
        return envelope["result"]

    async def fetch(self, method: str, url: str, content: bytes | None = None, content_type: str | None = None) -> int:
        """An upload or download outside the API (no Topview headers, as S3 wants); its HTTP status."""
        headers = {CASSETTE_HEADER: self.name, "User-Agent": USER_AGENT}
        if content_type:
            headers["Content-Type"] = content_type
        return (await self.client.request(method, url, content=content, headers=headers)).status_code

    async def upload(self, fmt: str, data: bytes, content_type: str) -> str:
        """credential → PUT → check; the fileId."""
        credential = await self.ok("GET", "/v1/upload/credential", params={"format": fmt})
        status = await self.fetch("PUT", credential["uploadUrl"], data, content_type)
        if (
            status != 200
            or await self.ok("GET", "/v1/upload/check", params={"fileId": credential["fileId"]}) is not True
        ):
            raise RuntimeError(f"{self.name}: the upload of a {fmt} failed ({status})")
        return str(credential["fileId"])

    async def poll(self, query: str, task_id: str) -> str:
        """One task query; the status it shows (PA v1 replace calls it taskStatus)."""
        result = await self.ok("GET", query, params={"taskId": task_id})
        return str(result.get("status") or result.get("taskStatus"))

    async def task(self, submit: str, query: str, body: Mapping[str, Any], outcome: str) -> None:
        """Submit, poll through init and running to ``outcome``, and download a result file on success."""
        task_id = (await self.ok("POST", submit, json=body))["taskId"]
        statuses = [await self.poll(query, task_id)]
        for status in ("running", outcome):
            await self.steering.reach(self, query, task_id, status)
            statuses.append(await self.poll(query, task_id))
        if statuses[-1] != outcome:
            raise RuntimeError(f"{self.name}: task {task_id} went {statuses}, not to {outcome}")
        if outcome == "success":
            result = await self.ok("GET", query, params={"taskId": task_id})
            link = next(iter(links(result)), None)
            if link is not None:
                await self.fetch("GET", link)


MEDIA_SUFFIXES = (".mp4", ".mov", ".png", ".jpg", ".jpeg", ".webp", ".mp3", ".wav", ".m4a", ".zip")


def links(value: Any) -> Iterable[str]:
    """Every link to a result file (a media path, not an echoed product page) in a result, in order."""
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        if urlsplit(value).path.lower().endswith(MEDIA_SUFFIXES):
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from links(item)
    elif isinstance(value, list):
        for item in value:
            yield from links(item)


def first(result: Any, key: str, where: Callable[[Mapping[str, Any]], bool] = lambda item: True) -> str:
    """The first ``key`` of an object in a catalogue answer (paged or not) that ``where`` accepts."""
    if isinstance(result, Mapping):
        if key in result and where(result):
            return str(result[key])
        items = [result[k] for k in ("data", "list", "records") if isinstance(result.get(k), list)]
        candidates = items[0] if items else []
    else:
        candidates = result if isinstance(result, list) else []
    for item in candidates:
        if isinstance(item, Mapping) and key in item and where(item):
            return str(item[key])
    raise LookupError(f"no {key} in {result!r:.200}")


# -- the flows -----------------------------------------------------------------------------------------


async def upload_flow(session: Session) -> None:
    """An upload: credential, a check before the bytes, PUT, a check after; a refused format."""
    credential = await session.ok("GET", "/v1/upload/credential", params={"format": "png"})
    await session.ok("GET", "/v1/upload/check", params={"fileId": credential["fileId"]})
    await session.fetch("PUT", credential["uploadUrl"], sample("png"), "image/png")
    await session.ok("GET", "/v1/upload/check", params={"fileId": credential["fileId"]})
    await session.call("GET", "/v1/upload/credential", params={"format": "gif"})


async def credits_flow(session: Session) -> None:
    """The account's credits and their log."""
    await session.ok("GET", "/user/credit/detail")
    await session.ok("GET", "/user/credit/logs", params={"pageNo": 1, "pageSize": 20})


async def boards_flow(session: Session) -> None:
    """Boards: list, create, a duplicate name refused, detail, rename, its tasks, delete."""
    await session.ok("GET", "/boards/list")
    board = (await session.ok("POST", "/boards/create", json={"name": "Spring launch"}))["boardId"]
    await session.call("POST", "/boards/create", json={"name": "Spring launch"})
    await session.ok("GET", "/boards/detail", params={"boardId": board})
    await session.ok("PUT", "/boards/update", json={"boardId": board, "name": "Spring launch 2"})
    await session.ok("GET", "/boards/tasks/list", params={"boardId": board})
    await session.call("DELETE", "/boards/delete", params={"boardId": board})
    await session.ok("GET", "/boards/list")


def group_flow(group: GroupFlow, outcomes: tuple[str, ...]) -> Callable[[Session], Awaitable[None]]:
    """A group's flow: its inputs, then one task to each outcome."""

    async def run(session: Session) -> None:
        inputs = await group.inputs(session, _Materials(session))
        for outcome in outcomes:
            await session.task(group.submit, group.query, inputs, outcome)

    return run


class _Materials:
    """Inputs a group's body needs, uploaded or looked up through the session on demand."""

    def __init__(self, session: Session) -> None:
        self.session = session

    async def image(self) -> str:
        """A 64x64 PNG upload."""
        return await self.session.upload("png", sample("png"), "image/png")

    async def audio(self) -> str:
        """A 2-second WAV upload."""
        return await self.session.upload("wav", silence(2.0), "audio/wav")

    async def video(self) -> str:
        """A one-second MP4 upload."""
        return await self.session.upload("mp4", sample("mp4"), "video/mp4")

    async def lookup(self, path: str, key: str, **params: Any) -> str:
        """The first id of a catalogue."""
        return first(await self.session.ok("GET", path, params=params or None), key)

    async def voice(self) -> str:
        """A voice that speaks English (Thai voices refuse English text)."""
        voices = await self.session.ok("GET", "/v1/voice/query", params={"pageSize": 20})
        return first(voices, "voiceId", lambda v: v.get("bestSupportLanguage") != "th")


def flows(fake: bool) -> dict[str, Callable[[Session], Awaitable[None]]]:
    """Every flow by cassette name; group flows reach success and, against a fake, fail too."""
    outcomes = ("success", "fail") if fake else ("success",)
    found: dict[str, Callable[[Session], Awaitable[None]]] = {
        "upload": upload_flow,
        "credits": credits_flow,
        "boards": boards_flow,
    }
    found.update({group.name: group_flow(group, outcomes) for group in GROUPS})
    return found


async def run_flows(
    client: httpx.AsyncClient,
    steering: Steering,
    auth: Mapping[str, str],
    names: Iterable[str] | None = None,
    *,
    fake: bool = True,
) -> list[str]:
    """Run flows (all by default) in order; the names run."""
    table = flows(fake)
    chosen = list(names) if names is not None else list(table)
    unknown = [name for name in chosen if name not in table]
    if unknown:
        raise ValueError(f"unknown flow(s) {', '.join(unknown)}; known: {', '.join(table)}")
    for name in chosen:
        await table[name](Session(client, name, steering, auth))
    return chosen


async def record_from_fake(
    out: Path, names: Iterable[str] | None = None, contract: Contract | None = None
) -> list[str]:
    """Record flows through the recorder into ``out``, each from a fresh in-process fake: the project's fixtures.

    A fresh fake (seed 0) per flow makes each cassette stand alone: the ids it holds are the ones a new
    fake hands out for the same requests, which is what ``drift`` and replay start from.
    """
    contract = contract or Contract.load()
    chosen = list(names) if names is not None else list(flows(fake=True))
    auth = {"Topview-Uid": "fixture-user", "Authorization": "Bearer sk-fixture-key"}
    for name in chosen:
        fake = create_app(mock=TopviewMock(MockConfig(seed=0), contract=contract))
        recorder = Recorder(
            RecordOptions(out=out, upstream=API), contract=contract, transport=httpx.ASGITransport(fake)
        )
        try:
            async with (
                httpx.AsyncClient(transport=httpx.ASGITransport(recorder.app()), base_url=LOCAL) as client,
                httpx.AsyncClient(transport=httpx.ASGITransport(fake), base_url=f"{API}/_mock/") as control,
            ):
                await run_flows(client, FakeSteering(control), auth, [name])
        finally:
            await recorder.aclose()
        if recorder.leaks:
            raise RuntimeError("; ".join(str(leak) for leak in recorder.leaks))
    return chosen


def parser() -> argparse.ArgumentParser:
    """The command line of ``python -m mock_server.recording.flows``."""
    parser = argparse.ArgumentParser(prog="python -m mock_server.recording.flows", description=__doc__)
    parser.add_argument("--base-url", required=True, help="where to send the flows (the recorder)")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--fake-control", metavar="URL", help="the control URL of the fake behind the recorder")
    target.add_argument("--real", action="store_true", help="the real API: only " + ", ".join(REAL_FLOWS))
    parser.add_argument("--flows", help="comma-separated flow names (default: every flow the target allows)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the flows against a recorder (or any base URL)."""
    args = parser().parse_args(argv)
    names = args.flows.split(",") if args.flows else (list(REAL_FLOWS) if args.real else None)
    auth = {
        "Topview-Uid": os.environ.get("TOPVIEW_UID", "fixture-user"),
        "Authorization": f"Bearer {os.environ.get('TOPVIEW_API_KEY', 'sk-fixture-key')}",
    }

    async def go() -> list[str]:
        async with httpx.AsyncClient(base_url=args.base_url, timeout=120) as client:
            if args.real:
                return await run_flows(client, PollingSteering(), auth, names, fake=False)
            async with httpx.AsyncClient(base_url=args.fake_control.rstrip("/") + "/") as control:
                return await run_flows(client, FakeSteering(control), auth, names)

    print("ran flows: " + ", ".join(asyncio.run(go())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
