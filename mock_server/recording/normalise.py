"""Normalisation: what makes a recording stable — signed-URL parameters redacted, times fixed, ids renumbered.

Every transform here works on one string at a time; :func:`map_json` applies one to every string (keys
included) of a JSON document, and :func:`map_body` to a body whether it is JSON, text or bytes. A
recorder and a replayer normalise the same way, so a request made now matches one recorded last year.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

REDACTED = "REDACTED"
# Query parameters that sign a URL: AWS SigV4 presigned S3 URLs and CloudFront signed URLs.
SIGNED_PARAMS = ("X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token", "Signature", "Key-Pair-Id", "Policy")
_SIGNED = re.compile(r"(?i)([?&](?:" + "|".join(re.escape(p) for p in SIGNED_PARAMS) + r")=)[^&#\s\"'<>]*")

# Times are fixed to one instant, keeping each value's own shape (separator, fraction, zone).
FIXED_DATE = "2025-01-01"
FIXED_CLOCK = "00:00:00"
FIXED_EPOCH = 1_735_689_600  # 2025-01-01T00:00:00Z
FIXED_HTTP_DATE = "Wed, 01 Jan 2025 00:00:00 GMT"
_DATE_TIME = re.compile(r"(?<![\d-])\d{4}-\d{2}-\d{2}([T ])\d{2}:\d{2}:\d{2}(\.\d+)?")
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_AMZ_DATE = re.compile(r"(?i)([?&]X-Amz-Date=)\d{8}T\d{6}Z")
_CDN_EXPIRES = re.compile(r"([?&]Expires=)\d{10}(?!\d)")
_TIME_KEY = re.compile(r"(?i)(time|date|timestamp)$|At$|^gmt")
TIME_HEADERS = frozenset({"date", "last-modified", "expires"})

# Topview ids: 32 lowercase hex characters. PA v1 replace keys are such an id cut to 29 (a Topview quirk).
_HEX32 = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")
_HEX29 = re.compile(r"(?<![0-9a-f])[0-9a-f]{29}(?![0-9a-f])")

StringMap = Callable[[str], str]


def redact_signed_params(text: str) -> str:
    """Every URL signing parameter in ``text`` set to ``REDACTED``."""
    return _SIGNED.sub(lambda m: m.group(1) + REDACTED, text)


def fix_times(text: str) -> str:
    """Every date-time (ISO-8601 or ``yyyy-MM-dd HH:mm:ss``), X-Amz-Date and CloudFront Expires fixed."""
    text = _DATE_TIME.sub(_fixed_date_time, text)
    text = _AMZ_DATE.sub(lambda m: m.group(1) + FIXED_DATE.replace("-", "") + "T000000Z", text)
    text = _CDN_EXPIRES.sub(lambda m: m.group(1) + str(FIXED_EPOCH), text)
    return FIXED_DATE if _DATE_ONLY.fullmatch(text) else text


def _fixed_date_time(match: re.Match[str]) -> str:
    fraction = match.group(2) or ""
    return f"{FIXED_DATE}{match.group(1)}{FIXED_CLOCK}{'.' + '0' * (len(fraction) - 1) if fraction else ''}"


def fix_time_number(key: str, value: Any) -> Any:
    """A Unix time (seconds or milliseconds) under a time-like key, fixed; anything else unchanged."""
    if isinstance(value, bool) or not isinstance(value, int) or not _TIME_KEY.search(key):
        return value
    digits = len(str(abs(value)))
    if digits == 10:
        return FIXED_EPOCH
    if digits == 13:
        return FIXED_EPOCH * 1000
    return value


def normalise_text(text: str) -> str:
    """What matching needs of any string: signing parameters redacted and times fixed."""
    return fix_times(redact_signed_params(text))


class Renumbering:
    """32-hex ids replaced by ``00…01``, ``00…02``, ... in order of first sight; the same id always the same."""

    def __init__(self) -> None:
        self.placeholders: dict[str, str] = {}

    def placeholder(self, raw: str) -> str:
        """The placeholder of one id (a new one on first sight)."""
        found = self.placeholders.get(raw)
        if found is None:
            found = self.placeholders[raw] = f"{len(self.placeholders) + 1:032x}"
        return found

    def __call__(self, text: str) -> str:
        text = _HEX32.sub(lambda m: self.placeholder(m.group(0)), text)
        # A PA v1 replace key is a known id cut to 29 characters: it becomes its placeholder cut alike.
        return _HEX29.sub(lambda m: self._prefix(m.group(0)), text)

    def _prefix(self, short: str) -> str:
        for raw, placeholder in self.placeholders.items():
            if raw.startswith(short):
                return placeholder[: len(short)]
        return short


# -- applying a string transform to bodies -----------------------------------------------------------


def map_json(value: Any, transform: StringMap, key: str = "") -> Any:
    """``value`` with ``transform`` applied to every string and object key, and Unix times fixed."""
    if isinstance(value, str):
        return transform(value)
    if isinstance(value, list):
        return [map_json(item, transform, key) for item in value]
    if isinstance(value, dict):
        return {transform(k): map_json(v, transform, k) for k, v in value.items()}
    return fix_time_number(key, value)


def parse_json(body: str | bytes | None) -> tuple[bool, Any]:
    """``(True, document)`` for a JSON body, ``(False, None)`` for anything else."""
    if body is None or body == "" or body == b"":
        return False, None
    try:
        return True, json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False, None


def dump_json(document: Any) -> str:
    """JSON as Topview writes it: compact, UTF-8 kept as is."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def map_body(body: str | bytes | None, transform: StringMap) -> str | bytes | None:
    """A body with ``transform`` applied: structurally to JSON, as text to text, not at all to binary."""
    is_json, document = parse_json(body)
    if is_json and isinstance(document, dict | list):
        return dump_json(map_json(document, transform))
    if isinstance(body, bytes):
        try:
            return transform(body.decode("utf-8"))
        except UnicodeDecodeError:
            return body
    return transform(body) if body else body
