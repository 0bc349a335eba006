"""Drift against the fake: the recorded sequence driven through an in-process fake, answers compared by shape.

Each cassette gets a fresh fake (manual clock and progression). Its exchanges are sent in order, with
the recorded (renumbered) ids swapped for the ones the fake handed out at the same places of earlier
answers, and the links likewise: an upload's PUT carries a small valid file of the recorded type to the
fake's own presigned URL. Before a task query, the fake's task is steered to the status the recording
shows (running, success, or fail with the recorded message), so both answers describe the same moment.
The answers are then compared structurally — keys, types, nullness, and the values of enum fields —
never the other values; paths in a skip list are left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from ..config import MockConfig
from ..contract.openapi import Contract, Operation
from ..engine.tasks import Progression
from ..mock import TopviewMock, create_app
from .cassettes import Cassette, Interaction
from .contract_pass import ContractCheck, Schema, flatten, json_path, type_name
from .findings import ADDITIVE, BREAKING, Finding, SkipPaths
from .normalise import map_json, parse_json
from .passage import origin
from .replay import sample_for

_HEX32 = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")
_HEX29 = re.compile(r"(?<![0-9a-f])[0-9a-f]{29}(?![0-9a-f])")
_URL = re.compile(r"https?://\S+")
_RUNNING = Progression("time", 0.0, 1e9)  # into running now, and no further on its own


def _bare(url: str) -> str:
    """A link without its query (signatures and expiry differ between any two links to one object)."""
    return url.split("?", 1)[0]


class FakeComparison:
    """Recorded answers against the answers of an in-process fake driven with the same requests."""

    def __init__(self, contract: Contract, skip: SkipPaths | None = None) -> None:
        self.contract = contract
        self.checker = ContractCheck(contract)
        self.skip = skip or SkipPaths()

    async def check_cassette(self, cassette: Cassette) -> tuple[list[Finding], list[str]]:
        """Findings of one cassette, and the exchanges that could not be followed (with why)."""
        drive = _Drive(self, cassette)
        try:
            for index, interaction in enumerate(cassette):
                await drive.step(index, interaction)
        finally:
            await drive.close()
        return drive.findings, drive.skipped


class _Drive:
    """One cassette driven through one fake."""

    def __init__(self, owner: FakeComparison, cassette: Cassette) -> None:
        self.owner = owner
        self.cassette = cassette
        self.mock = TopviewMock(MockConfig(progression=Progression("manual")), contract=owner.contract)
        base = origin(cassette.interactions[0].request.uri) if cassette.interactions else "https://api.topview.ai"
        transport = httpx.ASGITransport(create_app(mock=self.mock))
        self.client = httpx.AsyncClient(transport=transport, base_url=base)
        self.ids: dict[str, str] = {}  # recorded id -> the fake's
        self.short_ids: dict[str, str] = {}  # PA v1 keys: ids cut to 29 characters
        self.links: dict[str, str] = {}  # recorded link without query -> the fake's link
        self.findings: list[Finding] = []
        self.skipped: list[str] = []

    async def close(self) -> None:
        await self.client.aclose()
        self.mock.notices.reset()

    async def step(self, index: int, interaction: Interaction) -> None:
        request = interaction.request
        operation = self.owner.checker.operation_for(request.method, request.uri)
        if operation is None:
            await self._media(index, interaction)
            return
        is_json, recorded = parse_json(interaction.response.body)
        if not is_json:
            self.skipped.append(f"{self.cassette.name} #{index}: the recorded answer is not JSON")
            return
        params: list[tuple[str, str | int | float | bool | None]] = [
            (k, self.swap(v)) for k, v in parse_qsl(urlsplit(request.uri).query, keep_blank_values=True)
        ]
        _, body = parse_json(request.body)
        headers = {
            "Topview-Uid": request.header("Topview-Uid") or "drift-uid",
            "Authorization": "Bearer drift-key",
        }
        self._steer({k: str(v) for k, v in params}, recorded)
        try:
            answer = await self.client.request(
                request.method,
                operation.path,
                params=params,
                json=map_json(body, self.swap) if body is not None else None,
                headers=headers,
            )
            fake = answer.json()
        except Exception as error:  # a bug in the fake shows as a finding, the run goes on
            self._add(index, operation, Finding(BREAKING, "fake", "fake-error", "$", f"the fake failed: {error!r}"))
            return
        self._learn(recorded, fake)
        schema = self.owner.checker.schema_for(operation, recorded)
        for finding in dict.fromkeys(self._compare(operation, recorded, fake, schema)):
            self._add(index, operation, finding)

    def _add(self, index: int, operation: Operation | None, f: Finding) -> None:
        op_id = operation.operation_id if operation else None
        self.findings.append(Finding(f.severity, f.check, f.kind, f.path, f.detail, self.cassette.name, index, op_id))

    # -- ids and links ------------------------------------------------------------------------------

    def swap(self, text: str) -> str:
        """A recorded string with every id the fake knows by another name renamed."""
        text = _HEX32.sub(lambda m: self.ids.get(m.group(0), m.group(0)), text)
        return _HEX29.sub(lambda m: self.short_ids.get(m.group(0), m.group(0)), text)

    def _learn(self, recorded: Any, fake: Any) -> None:
        """Pair the recorded ids and links with the fake's found at the same places."""
        if isinstance(recorded, str) and isinstance(fake, str):
            if _HEX32.fullmatch(recorded) and _HEX32.fullmatch(fake):
                self.ids.setdefault(recorded, fake)
            elif _HEX29.fullmatch(recorded) and _HEX29.fullmatch(fake):
                self.short_ids.setdefault(recorded, fake)
            elif _URL.fullmatch(recorded) and _URL.fullmatch(fake):
                self.links[_bare(recorded)] = fake
        elif isinstance(recorded, dict) and isinstance(fake, dict):
            for key in [k for k in recorded if k in fake]:
                self._learn(recorded[key], fake[key])
        elif isinstance(recorded, list) and isinstance(fake, list):
            for pair in zip(recorded, fake, strict=False):
                self._learn(*pair)

    def _steer(self, params: Mapping[str, str], recorded: Any) -> None:
        """Bring the fake's task to the status the recorded query answer shows."""
        result = recorded.get("result") if isinstance(recorded, Mapping) else None
        task = self.mock.state.find_task(params.get("taskId", "")) if isinstance(result, Mapping) else None
        if task is None or task.finished or not isinstance(result, Mapping):
            return
        status = result.get("status") or result.get("taskStatus")
        if status == "running" and task.status == "init":
            self.mock.set_progression(_RUNNING, task_id=task.task_id)
        elif status in ("success", "fail"):
            self.mock.complete(task.task_id, str(status), result.get("errorMsg") or None)

    # -- uploads and downloads -----------------------------------------------------------------------

    async def _media(self, index: int, interaction: Interaction) -> None:
        request = interaction.request
        link = self.links.get(_bare(request.uri))
        if link is None:
            self.skipped.append(f"{self.cassette.name} #{index}: no answer of the fake led to {_bare(request.uri)}")
            return
        content: bytes | None = None
        if request.method in ("PUT", "POST"):
            meta = interaction.request_body
            content_type = meta.content_type if meta else request.header("Content-Type")
            content = sample_for(content_type) or bytes(meta.size if meta else 0)
        answer = await self.client.request(request.method, link, content=content)
        recorded = interaction.response
        if answer.status_code != recorded.status:
            detail = f"HTTP {recorded.status} upstream, {answer.status_code} from the fake"
            self._add(index, None, Finding(BREAKING, "fake", "status", "$", detail))
        kinds = [(t or "").split("/")[0] for t in (self._media_type(interaction), answer.headers.get("content-type"))]
        if request.method == "GET" and recorded.status == 200 and kinds[0] != kinds[1]:
            detail = f"a {kinds[0] or 'untyped'} download upstream, {kinds[1] or 'untyped'} from the fake"
            self._add(index, None, Finding(BREAKING, "fake", "content-type", "$", detail))

    @staticmethod
    def _media_type(interaction: Interaction) -> str | None:
        meta = interaction.response_body
        return meta.content_type if meta else interaction.response.header("Content-Type")

    # -- the comparison ------------------------------------------------------------------------------

    def _compare(self, operation: Operation, recorded: Any, fake: Any, schema: Schema) -> Iterator[Finding]:
        if isinstance(recorded, Mapping) and isinstance(fake, Mapping) and recorded.get("code") != fake.get("code"):
            detail = (
                f"upstream answered code {recorded.get('code')} ({recorded.get('message')}), "
                f"the fake {fake.get('code')} ({fake.get('message')})"
            )
            yield Finding(BREAKING, "fake", "code", "$.code", detail)
            return
        yield from self._shape(operation.operation_id, recorded, fake, schema, [])

    def _shape(self, op_id: str, recorded: Any, fake: Any, schema: Schema, parts: list[Any]) -> Iterator[Finding]:
        path = json_path(parts)
        if self.owner.skip.skips(op_id, path):
            return
        schema = flatten(schema, recorded) if schema else {}
        if ("enum" in schema or "const" in schema) and not isinstance(recorded, dict | list):
            if recorded != fake:
                yield Finding(BREAKING, "fake", "enum", path, f"{recorded!r} upstream, {fake!r} from the fake")
            return
        if recorded is None or fake is None:
            if recorded is None and fake is not None:
                yield Finding(BREAKING, "fake", "nullness", path, f"null upstream, {type_name(fake)} from the fake")
            elif fake is None and recorded is not None:
                yield Finding(ADDITIVE, "fake", "nullness", path, f"{type_name(recorded)} upstream, null from the fake")
            return
        if type_name(recorded) != type_name(fake):
            detail = f"{type_name(recorded)} upstream, {type_name(fake)} from the fake"
            yield Finding(BREAKING, "fake", "type", path, detail)
        elif isinstance(recorded, dict):
            yield from self._fields(op_id, recorded, fake, schema, parts)
        elif isinstance(recorded, list) and fake:
            # Items are compared with the fake's item at the same place (its last one past its end).
            for place, item in enumerate(recorded):
                counterpart = fake[min(place, len(fake) - 1)]
                yield from self._shape(op_id, item, counterpart, _items(schema), [*parts, 0])

    def _fields(
        self, op_id: str, recorded: dict[str, Any], fake: dict[str, Any], schema: Schema, parts: list[Any]
    ) -> Iterator[Finding]:
        properties = schema.get("properties") or {}
        for key in sorted(fake.keys() - recorded.keys()):
            path = json_path([*parts, key])
            if not self.owner.skip.skips(op_id, path):
                yield Finding(
                    BREAKING, "fake", "missing-field", path, f"the fake serves {key}, the upstream answer lacks it"
                )
        for key in sorted(recorded.keys() - fake.keys()):
            path = json_path([*parts, key])
            if not self.owner.skip.skips(op_id, path):
                yield Finding(
                    ADDITIVE, "fake", "new-field", path, f"upstream answers {key}, the fake does not serve it"
                )
        for key in [k for k in recorded if k in fake]:
            yield from self._shape(op_id, recorded[key], fake[key], properties.get(key) or {}, [*parts, key])


def _items(schema: Schema) -> Schema:
    items = schema.get("items")
    return items if isinstance(items, Mapping) else {}
