"""Redaction, failing closed: the API key and uid never reach a cassette, and a scan proves it before writing.

:class:`Scrubber` turns a raw exchange into what a cassette may hold (Authorization → ``Bearer
<REDACTED>``, each uid → ``redacted-uid-N``, the key → ``REDACTED`` wherever it appears, plus the
normalisation of ``normalise``). :func:`scan` then reads the cassette text back and looks for every
secret in every form it might take (raw, percent-encoded, base64) in every string, JSON bodies
included; :func:`refuse_leaks` raises :class:`SecretLeak` saying where, and nothing is written.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import unquote_plus

import yaml

from .cassettes import SAFE_LOADER, Headers, Interaction, RecordedRequest, RecordedResponse
from .normalise import FIXED_HTTP_DATE, REDACTED, TIME_HEADERS, Renumbering, fix_times, map_body, redact_signed_params

BEARER_REDACTED = "Bearer <REDACTED>"
LONG_SECRET = 8  # longer secrets are replaced wherever they appear, shorter ones only as whole tokens
ENCODED_MIN = 6  # encoded forms of shorter secrets would match by chance
# Not kept: hop-by-hop headers, and Content-Encoding (bodies are stored decoded; a replayer that saw
# "gzip" would try to unzip plain text).
DROPPED_HEADERS = frozenset(
    {
        "host",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "upgrade",
        "proxy-authorization",
        "content-encoding",
    }
)


@dataclass
class Secrets:
    """The API keys and uids seen so far (from request headers, or given up front)."""

    keys: list[str] = field(default_factory=list)
    uids: list[str] = field(default_factory=list)

    def learn(self, headers: Mapping[str, str]) -> None:
        """Remember the key and uid a request carries (``Authorization: Bearer <key>``, ``Topview-Uid``)."""
        lowered = {k.lower(): v for k, v in headers.items()}
        auth = lowered.get("authorization", "").strip()
        key = auth[7:].strip() if auth.lower().startswith("bearer ") else auth
        self.add(key=key, uid=lowered.get("topview-uid", "").strip())

    def add(self, *, key: str = "", uid: str = "") -> None:
        """Remember a key and/or a uid."""
        if key and key not in self.keys:
            self.keys.append(key)
        if uid and uid not in self.uids:
            self.uids.append(uid)

    def uid_placeholder(self, uid: str) -> str:
        """What a uid becomes: ``redacted-uid-1`` for the first one seen, and so on."""
        if uid not in self.uids:
            self.uids.append(uid)
        return f"redacted-uid-{self.uids.index(uid) + 1}"

    def known(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The secrets known now (a scan for these holds until another one is learnt)."""
        return tuple(self.keys), tuple(self.uids)

    def named(self) -> Iterator[tuple[str, str, str]]:
        """(what, secret, replacement) for every secret, longest first (a uid inside a key goes with it)."""
        pairs = [("API key", k, REDACTED) for k in self.keys]
        pairs += [("uid", u, self.uid_placeholder(u)) for u in self.uids]
        yield from sorted(pairs, key=lambda p: -len(p[1]))

    def redact(self, text: str) -> str:
        """``text`` with every secret (raw or percent-encoded) replaced."""
        for _, secret, replacement in self.named():
            text = _pattern(secret).sub(replacement, text)
        return text


@functools.lru_cache(maxsize=256)  # the scan asks for the same few secrets' patterns thousands of times
def _pattern(secret: str) -> re.Pattern[str]:
    """A secret as it may be written: each character raw or percent-encoded (any mix, any case)."""
    body = "".join(_character(c) for c in secret)
    if len(secret) >= LONG_SECRET:
        return re.compile(body)
    return re.compile(r"(?<![A-Za-z0-9])" + body + r"(?![A-Za-z0-9])")


def _character(char: str) -> str:
    encoded = "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))
    spellings = [re.escape(char), "(?i:" + re.escape(encoded) + ")"] + (["\\+"] if char == " " else [])
    return "(?:" + "|".join(spellings) + ")"


class Scrubber:
    """Normalises and redacts the exchanges of one cassette (ids are renumbered per cassette)."""

    def __init__(self, secrets: Secrets, origins: Mapping[str, str] | None = None) -> None:
        self.secrets = secrets
        self.origins = dict(origins or {})  # upstream origin -> the origin written in cassettes
        self.ids = Renumbering()

    def text(self, text: str) -> str:
        """One string as a cassette may hold it."""
        for upstream, recorded in self.origins.items():
            text = text.replace(upstream, recorded)
        return self.ids(fix_times(redact_signed_params(self.secrets.redact(text))))

    def interaction(self, raw: Interaction) -> Interaction:
        """A raw exchange made fit for a cassette."""
        request = RecordedRequest(
            raw.request.method,
            self.text(raw.request.uri),
            raw.request.body if raw.request_body else map_body(raw.request.body, self.text),
            self._headers(raw.request.headers),
        )
        body = raw.response.body if raw.response_body else map_body(raw.response.body, self.text)
        response = RecordedResponse(
            raw.response.status,
            raw.response.message,
            body,
            _with_length(self._headers(raw.response.headers), body),
        )
        return replace(raw, request=request, response=response)

    def _headers(self, headers: Headers) -> Headers:
        kept: Headers = {}
        for name, values in headers.items():
            lowered = name.lower()
            if lowered in DROPPED_HEADERS:
                continue
            if lowered == "authorization":
                kept[name] = [BEARER_REDACTED for _ in values]
            elif lowered == "topview-uid":
                kept[name] = [self.secrets.uid_placeholder(v.strip()) for v in values]
            elif lowered in ("cookie", "set-cookie"):
                kept[name] = [REDACTED for _ in values]
            elif lowered in TIME_HEADERS:
                kept[name] = [FIXED_HTTP_DATE for _ in values]
            else:
                kept[name] = [self.text(v) for v in values]
        return kept


def _with_length(headers: Headers, body: str | bytes | None) -> Headers:
    """Content-Length made true again: redaction changes lengths, and a client may hold a body to it."""
    size = len(body.encode("utf-8") if isinstance(body, str) else body or b"")
    return {k: ([str(size)] if k.lower() == "content-length" else v) for k, v in headers.items()}


# -- the fail-closed scan ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Leak:
    """A secret found in a cassette about to be written: which, in what form, and where."""

    what: str  # "API key" or "uid"
    form: str  # raw, percent-encoded, base64
    where: str  # interactions[2].response.body $.result.note

    def __str__(self) -> str:
        return f"the {self.what} ({self.form}) at {self.where}"


class SecretLeak(Exception):
    """A cassette was not written because a secret survived redaction."""

    def __init__(self, cassette: str, leaks: list[Leak]) -> None:
        self.cassette = cassette
        self.leaks = leaks
        listed = "; ".join(str(leak) for leak in leaks[:10])
        more = f" (and {len(leaks) - 10} more)" if len(leaks) > 10 else ""
        super().__init__(f"refusing to write cassette {cassette!r}: {listed}{more}")


def scan(text: str, secrets: Secrets) -> list[Leak]:
    """Every place a secret survives in cassette text (read back as YAML, JSON bodies opened)."""
    return _leaks(_strings(yaml.load(text, Loader=SAFE_LOADER), ""), secrets)


def scan_item(item: str, secrets: Secrets, index: int) -> list[Leak]:
    """Every place a secret survives in the YAML item of the cassette's interaction ``index``."""
    (data,) = yaml.load(item, Loader=SAFE_LOADER)
    return _leaks(_strings(data, f"interactions[{index}]"), secrets)


def _leaks(strings: Iterable[tuple[str, str]], secrets: Secrets) -> list[Leak]:
    named = [(what, secret) for what, secret, _ in secrets.named()]
    leaks: list[Leak] = []
    for where, value in strings:
        for form, candidate in _readings(value):
            for what, secret in named:
                leak = Leak(what, form, where)
                readable = form == "raw" or len(secret) >= ENCODED_MIN
                if readable and leak not in leaks and _pattern(secret).search(candidate):
                    leaks.append(leak)
    # A secret inside a JSON body is reported at its JSON path, not again at the body holding it.
    return [a for a in leaks if not any(b.where.startswith(a.where + " $") and b.what == a.what for b in leaks)]


def refuse_leaks(name: str, text: str, secrets: Secrets) -> None:
    """Raise :class:`SecretLeak` if a secret survives anywhere in the cassette text."""
    leaks = scan(text, secrets)
    if leaks:
        raise SecretLeak(name, leaks)


_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")


def _readings(value: str) -> Iterator[tuple[str, str]]:
    """The ways a string may hide a secret: as it is, percent-decoded, and each base64 run decoded."""
    yield "raw", value
    decoded = unquote_plus(value)
    if decoded != value:
        yield "percent-encoded", decoded
    for run in _BASE64_RUN.findall(value):
        padded = run.rstrip("=") + "=" * (-len(run.rstrip("=")) % 4)
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                yield "base64", decode(padded).decode("utf-8", errors="replace")
            except ValueError:
                continue


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """(location, string) for every string, key and number of a document; JSON strings are opened too."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield where, str(key)
            yield from _strings(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")
    elif isinstance(value, bytes):
        yield where, value.decode("latin-1")
    elif isinstance(value, str):
        yield where, value
        if value[:1] in ("{", "["):
            try:
                document = json.loads(value)
            except ValueError:
                return
            yield from _strings(document, f"{where} $")
    elif value is not None:
        yield where, str(value)
