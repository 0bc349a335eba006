"""Which recorded exchange answers a request: method, path, normalised query and body; in recorded order.

A request matches an exchange when its method, its route (the path on the cassette's own origin, or the
full origin and path of another host's link), its query and its body are the same once normalised
(signing parameters redacted, times fixed, JSON compared as data). Identical requests take their
recorded answers in order — a poll sees ``running``, then ``success`` — and the last one again after
that. A request nothing matches is a :class:`Miss`, described against the nearest recorded request.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .cassettes import Cassette, Interaction, file_name
from .normalise import map_json, normalise_text, parse_json
from .passage import origin

QueryItems = tuple[tuple[str, str], ...]
OMITTED = "<recorded as metadata>"  # a body left out of the cassette matches any body
_TEXT_TYPES = ("json", "text/", "xml", "x-www-form-urlencoded", "javascript")


@dataclass(frozen=True, slots=True)
class Key:
    """A request reduced to what matching compares."""

    method: str
    route: str
    query: QueryItems
    body: Any  # the normalised JSON document or text; None for no body or a media body

    def describe(self) -> str:
        """``METHOD route?query``."""
        query = "&".join(f"{k}={v}" for k, v in self.query)
        return f"{self.method} {self.route}{'?' + query if query else ''}"


@dataclass(frozen=True, slots=True)
class Miss:
    """A request no recorded exchange answers, with the nearest one and how they differ."""

    request: Key
    nearest: str | None  # "cassette #index: METHOD route?query"
    differences: tuple[str, ...]

    def describe(self) -> str:
        """One line for the log and the error message."""
        if self.nearest is None:
            return f"no recorded answer for {self.request.describe()} (no cassette holds any request)"
        return (
            f"no recorded answer for {self.request.describe()}; nearest recorded request: {self.nearest}; "
            f"differs in {'; '.join(self.differences)}"
        )


@dataclass(eq=False)
class _Shelf:
    cassette: Cassette
    base: str
    keys: list[Key] = field(default_factory=list)


class ReplayBook:
    """The cassettes being replayed, and how far each repeated request has got."""

    def __init__(self, cassettes: Iterable[Cassette]) -> None:
        self.shelves: list[_Shelf] = []
        for cassette in cassettes:
            shelf = _Shelf(cassette, base_of(cassette))
            shelf.keys = [recorded_key(i, shelf.base) for i in cassette]
            self.shelves.append(shelf)
        self.bases = {shelf.base for shelf in self.shelves}
        self.played: Counter[tuple[int, Key]] = Counter()
        self.misses: list[Miss] = []

    def hosts(self) -> set[str]:
        """Every origin the cassettes name (their bases and the hosts of their links)."""
        return {origin(i.request.uri) for shelf in self.shelves for i in shelf.cassette} | self.bases

    def rewind(self) -> None:
        """Start every sequence of repeated requests from its first answer again."""
        self.played.clear()
        self.misses.clear()

    def answer(
        self, method: str, url: str, body: bytes, content_type: str | None, cassette: str | None = None
    ) -> Interaction | Miss:
        """The recorded exchange answering this request (``url`` as recorded), or the miss."""
        shelves = self._shelves(cassette)
        parts = urlsplit(url)
        route = parts.path if origin(url) in self.bases else origin(url) + parts.path
        key = Key(method.upper(), route, _query(parts.query), _body(body, content_type))
        for shelf in shelves:
            index = self.shelves.index(shelf)
            found = [i for i, recorded in enumerate(shelf.keys) if matches(recorded, key)]
            if found:
                turn = self.played[(index, key)]
                self.played[(index, key)] += 1
                return shelf.cassette.interactions[found[min(turn, len(found) - 1)]]
        miss = nearest(key, shelves)
        self.misses.append(miss)
        return miss

    def _shelves(self, cassette: str | None) -> list[_Shelf]:
        if cassette is None:
            return self.shelves
        wanted = {cassette, file_name(cassette).removesuffix(".yaml")}
        return [shelf for shelf in self.shelves if shelf.cassette.name in wanted]


def matches(recorded: Key, key: Key) -> bool:
    """True when a request is the recorded one (any body stands for one recorded as metadata)."""
    if recorded.body == OMITTED:
        return recorded == Key(key.method, key.route, key.query, OMITTED)
    return recorded == key


def base_of(cassette: Cassette) -> str:
    """The origin a cassette's API calls went to: the commonest origin of its JSON answers."""
    origins = Counter(
        origin(i.request.uri) for i in cassette if "json" in (i.response.header("Content-Type") or "").lower()
    )
    if origins:
        return origins.most_common(1)[0][0]
    return origin(cassette.interactions[0].request.uri) if cassette.interactions else ""


def recorded_key(interaction: Interaction, base: str) -> Key:
    """The matching key of a recorded request."""
    request = interaction.request
    parts = urlsplit(request.uri)
    route = parts.path if origin(request.uri) == base else origin(request.uri) + parts.path
    if interaction.request_body is not None or isinstance(request.body, bytes):
        return Key(request.method.upper(), route, _query(parts.query), OMITTED)
    encoded = request.body.encode("utf-8") if isinstance(request.body, str) else b""
    return Key(request.method.upper(), route, _query(parts.query), _body(encoded, request.header("Content-Type")))


def _query(query: str) -> QueryItems:
    return tuple(sorted(parse_qsl(normalise_text(query), keep_blank_values=True)))


def _body(body: bytes, content_type: str | None) -> Any:
    """JSON as normalised data, text as normalised text, media and empty bodies as None."""
    if not body or (content_type and not any(t in content_type.lower() for t in _TEXT_TYPES)):
        return None
    is_json, document = parse_json(body)
    if is_json:
        return json.dumps(map_json(document, normalise_text), sort_keys=True)
    try:
        return normalise_text(body.decode("utf-8"))
    except UnicodeDecodeError:
        return None


# -- the near-miss report ------------------------------------------------------------------------------


def nearest(key: Key, shelves: list[_Shelf]) -> Miss:
    """The miss of ``key``, described against the recorded request that differs from it least."""
    best: tuple[int, str, tuple[str, ...]] | None = None
    for shelf in shelves:
        for index, recorded in enumerate(shelf.keys):
            found = tuple(differences(recorded, key))
            score = _weight(found)
            if best is None or score < best[0]:
                best = (score, f"{shelf.cassette.name} #{index}: {recorded.describe()}", found)
    if best is None:
        return Miss(key, None, ())
    return Miss(key, best[1], best[2])


def _weight(found: tuple[str, ...]) -> int:
    return sum(8 if d.startswith(("method", "path")) else 1 for d in found)


def differences(recorded: Key, got: Key) -> Iterator[str]:
    """How a request differs from a recorded one, one finding per line."""
    if recorded.method != got.method:
        yield f"method: recorded {recorded.method}, got {got.method}"
    if recorded.route != got.route:
        yield f"path: recorded {recorded.route}, got {got.route}"
    yield from _dict_differences("query", dict(recorded.query), dict(got.query))
    if recorded.body != got.body and recorded.body != OMITTED:
        yield from _dict_differences("body", _flat(recorded.body), _flat(got.body))


def _dict_differences(what: str, recorded: dict[str, Any], got: dict[str, Any]) -> Iterator[str]:
    for name in sorted(set(recorded) | set(got)):
        if name not in got:
            yield f"{what} {name}: recorded {recorded[name]!r}, missing now"
        elif name not in recorded:
            yield f"{what} {name}: not recorded, got {got[name]!r}"
        elif recorded[name] != got[name]:
            yield f"{what} {name}: recorded {recorded[name]!r}, got {got[name]!r}"


def _flat(body: Any) -> dict[str, Any]:
    """A body as ``{path: leaf}`` (``$`` for a whole text body)."""
    if body is None:
        return {}
    try:
        document = json.loads(body)
    except ValueError:
        return {"$": body}
    leaves: dict[str, Any] = {}

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict) and value:
            for k, v in value.items():
                walk(v, f"{path}.{k}")
        elif isinstance(value, list) and value:
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]")
        else:
            leaves[path] = value

    walk(document, "$")
    return leaves
