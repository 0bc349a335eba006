"""Links that pass through a local server: what lets a recorder see, and a replayer answer, uploads and downloads.

Answers carry absolute URLs (presigned upload URLs, result links). A link on the upstream's own origin
is moved onto the local server; a link to another host (an S3 bucket, a CDN) becomes
``<local>/_ext/<scheme>/<host>/<path>?<query>``, and only hosts handed out that way are reachable
through ``/_ext/`` (the local server is no open proxy).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from .normalise import dump_json, parse_json

EXTERNAL = "/_ext/"
_URL = re.compile(r"https?://[^\s\"'<>]+")


def origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class Passage:
    """Rewrites links between an upstream (its base URL) and the local server clients talk to."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.hosts: set[str] = set()  # "scheme/host[:port]" of the foreign links handed out

    def outward(self, url: str, local: str) -> str:
        """A link of an answer, rewritten to pass through ``local``."""
        local = local.rstrip("/")
        if url == self.upstream or url.startswith(self.upstream + "/") or url.startswith(self.upstream + "?"):
            return local + url[len(self.upstream) :]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return url
        self.hosts.add(f"{parts.scheme}/{parts.netloc}")
        query = f"?{parts.query}" if parts.query else ""
        return f"{local}{EXTERNAL}{parts.scheme}/{parts.netloc}{parts.path}{query}"

    def inward(self, path: str, query: str) -> str | None:
        """The URL a local request stands for; None for ``/_ext/`` to a host never handed out."""
        suffix = f"?{query}" if query else ""
        if not path.startswith(EXTERNAL):
            return f"{self.upstream}{path}{suffix}"
        scheme, _, rest = path[len(EXTERNAL) :].partition("/")
        host, _, tail = rest.partition("/")
        if f"{scheme}/{host}" not in self.hosts:
            return None
        return f"{scheme}://{host}/{tail}{suffix}"

    def allow(self, url: str) -> None:
        """Let ``/_ext/`` reach the host of ``url`` (a replayer allows every host its cassettes name)."""
        parts = urlsplit(url)
        self.hosts.add(f"{parts.scheme}/{parts.netloc}")

    def rewrite(self, body: bytes, local: str) -> bytes:
        """A JSON answer with every link in it rewritten to pass through ``local``; other bodies unchanged."""
        is_json, document = parse_json(body)
        if not is_json or not isinstance(document, dict | list):
            return body
        return dump_json(self._links(document, local)).encode("utf-8")

    def _links(self, value: Any, local: str) -> Any:
        if isinstance(value, str):
            return self.outward(value, local) if _URL.fullmatch(value) else value
        if isinstance(value, list):
            return [self._links(item, local) for item in value]
        if isinstance(value, dict):
            return {key: self._links(item, local) for key, item in value.items()}
        return value
