"""Cassettes in the VCR format (version 1): what vcrpy's YAML serializer writes and pytest-recording reads.

A cassette is ``{"interactions": [{"request": ..., "response": ...}], "version": 1}``. Requests are
``{method, uri, body, headers: {name: [value]}}`` and responses ``{status: {code, message}, headers,
body: {string}}``, exactly as ``vcr.request.Request._to_dict`` and vcrpy's stubs make them. Media bytes
are not recorded by default: such an interaction carries ``body_metadata`` (size and content type of the
bodies left out), a key vcrpy ignores.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

FORMAT_VERSION = 1
SUFFIXES = (".yaml", ".yml")
Headers = dict[str, list[str]]
Body = str | bytes | None
# libyaml when PyYAML has it (as vcrpy does): the same text, many times faster.
SAFE_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class BodyMetadata:
    """What stands in a cassette for bytes that were not recorded."""

    size: int
    content_type: str | None

    def to_dict(self) -> dict[str, Any]:
        """The YAML form."""
        return {"content_type": self.content_type, "size": self.size}


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """A request as vcrpy records it."""

    method: str
    uri: str
    body: Body = None
    headers: Headers = field(default_factory=dict)

    @property
    def path(self) -> str:
        """The path of the URI."""
        return urlsplit(self.uri).path

    def header(self, name: str) -> str | None:
        """The first value of a header (any case), or None."""
        return first_header(self.headers, name)


@dataclass(frozen=True, slots=True)
class RecordedResponse:
    """A response as vcrpy records it."""

    status: int
    message: str = "OK"
    body: Body = ""
    headers: Headers = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        """The first value of a header (any case), or None."""
        return first_header(self.headers, name)


@dataclass(frozen=True, slots=True)
class Interaction:
    """One exchange: a request, its response, and the bodies recorded only as metadata."""

    request: RecordedRequest
    response: RecordedResponse
    request_body: BodyMetadata | None = None
    response_body: BodyMetadata | None = None

    def with_response(self, response: RecordedResponse) -> Interaction:
        """The same exchange with another response."""
        return replace(self, response=response)


@dataclass(frozen=True, slots=True)
class Cassette:
    """A named sequence of interactions, in the order they happened."""

    name: str
    interactions: tuple[Interaction, ...] = ()

    def __iter__(self) -> Iterator[Interaction]:
        return iter(self.interactions)

    def __len__(self) -> int:
        return len(self.interactions)


def first_header(headers: Mapping[str, list[str]], name: str) -> str | None:
    """The first value of header ``name`` (case-insensitive) in a VCR header map."""
    wanted = name.lower()
    for key, values in headers.items():
        if key.lower() == wanted and values:
            return values[0]
    return None


# -- the VCR dict --------------------------------------------------------------------------------


def to_vcr(cassette: Cassette) -> dict[str, Any]:
    """The cassette as vcrpy's serializer lays it out (before YAML)."""
    return {"interactions": [_interaction_dict(i) for i in cassette], "version": FORMAT_VERSION}


def _interaction_dict(interaction: Interaction) -> dict[str, Any]:
    request, response = interaction.request, interaction.response
    data: dict[str, Any] = {
        "request": {
            "body": request.body,
            "headers": {k: list(v) for k, v in request.headers.items()},
            "method": request.method,
            "uri": request.uri,
        },
        "response": {
            "body": {"string": response.body},
            "headers": {k: list(v) for k, v in response.headers.items()},
            "status": {"code": response.status, "message": response.message},
        },
    }
    omitted = {
        side: meta.to_dict()
        for side, meta in (("request", interaction.request_body), ("response", interaction.response_body))
        if meta is not None
    }
    if omitted:
        data["body_metadata"] = omitted
    return data


def from_vcr(name: str, data: Mapping[str, Any]) -> Cassette:
    """A cassette from vcrpy's dict (any cassette vcrpy wrote, or ours); ValueError if it is not one."""
    if not isinstance(data, Mapping) or data.get("version") != FORMAT_VERSION:
        raise ValueError(f"{name}: not a VCR cassette of format version {FORMAT_VERSION}")
    return Cassette(name, tuple(_interaction(item) for item in data.get("interactions") or ()))


def _interaction(item: Mapping[str, Any]) -> Interaction:
    request, response = item["request"], item["response"]
    status = response.get("status") or {}
    metadata = item.get("body_metadata") or {}
    return Interaction(
        RecordedRequest(
            str(request["method"]).upper(),
            str(request["uri"]),
            request.get("body"),
            _headers(request.get("headers")),
        ),
        RecordedResponse(
            int(status.get("code", 200)),
            str(status.get("message") or ""),
            (response.get("body") or {}).get("string", ""),
            _headers(response.get("headers")),
        ),
        _metadata(metadata.get("request")),
        _metadata(metadata.get("response")),
    )


def _headers(raw: Any) -> Headers:
    if not raw:
        return {}
    return {str(k): [str(x) for x in v] if isinstance(v, list) else [str(v)] for k, v in raw.items()}


def _metadata(raw: Any) -> BodyMetadata | None:
    if not raw:
        return None
    return BodyMetadata(int(raw.get("size", 0)), raw.get("content_type"))


# -- YAML ----------------------------------------------------------------------------------------


def dumps(cassette: Cassette) -> str:
    """The cassette as YAML text, laid out as vcrpy's ``yaml.dump`` does (sorted keys, block style)."""
    return join_items(dump_item(interaction) for interaction in cassette)


def dump_item(interaction: Interaction) -> str:
    """One interaction as the YAML item it is in a cassette's text (``- request: ...``)."""
    return str(yaml.dump([_interaction_dict(interaction)], Dumper=SAFE_DUMPER))


def join_items(items: Iterable[str]) -> str:
    """A cassette's text from its interactions' items: a recorder appends to it instead of dumping it all again."""
    body = "".join(items)
    interactions = f"interactions:\n{body}" if body else "interactions: []\n"
    return f"{interactions}version: {FORMAT_VERSION}\n"


def loads(name: str, text: str) -> Cassette:
    """A cassette from YAML text."""
    return from_vcr(name, yaml.load(text, Loader=SAFE_LOADER))


def load(path: Path) -> Cassette:
    """The cassette stored at ``path`` (named after the file)."""
    return loads(path.stem, path.read_text(encoding="utf-8"))


def load_dir(directory: Path) -> list[Cassette]:
    """Every cassette of a directory (or the one file given), sorted by name."""
    if directory.is_file():
        return [load(directory)]
    if not directory.is_dir():
        raise FileNotFoundError(f"no cassette directory {directory}")
    return [load(path) for path in sorted(directory.iterdir()) if path.suffix in SUFFIXES]


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a reader sees the old cassette or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def file_name(name: str) -> str:
    """A cassette's file name for a session or test name (``tests/test_a.py::test_b[x]`` is fine)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "session"
    return f"{safe}.yaml"
