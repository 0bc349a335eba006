"""Drift findings: what differs between recorded answers and the contract or the fake, classed by harm.

``breaking``: a client written against the contract or tested against the fake may fail on the real API
(a field missing or renamed, a type or nullness changed, an enum value nobody knew, a schema rule broken,
a different status or code). ``additive``: the real API says more than we know (a field the contract does
not declare or the fake does not serve), which a tolerant client ignores.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BREAKING = "breaking"
ADDITIVE = "additive"


@dataclass(frozen=True, slots=True)
class Finding:
    """One difference, located: which check, which cassette exchange, which operation and JSON path."""

    severity: str  # breaking | additive
    check: str  # contract | fake
    kind: str  # missing-field, new-field, undeclared-field, type, nullness, enum, schema, status, ...
    path: str  # $.result.videos[].status ([] for any array item)
    detail: str
    cassette: str = ""
    interaction: int = -1
    operation: str | None = None

    def describe(self) -> str:
        """One line for a terminal."""
        where = f"{self.cassette} #{self.interaction}" if self.cassette else ""
        operation = f" {self.operation}" if self.operation else ""
        return f"[{self.severity}] {self.check}{operation} {where} {self.path}: {self.detail}".replace("  ", " ")


@dataclass
class Report:
    """Every finding of a drift run, with what was checked."""

    cassettes: int = 0
    interactions: int = 0
    findings: list[Finding] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # exchanges a check could not follow, and why

    @property
    def breaking(self) -> list[Finding]:
        """Findings that may break a client."""
        return [f for f in self.findings if f.severity == BREAKING]

    @property
    def additive(self) -> list[Finding]:
        """Findings a tolerant client ignores."""
        return [f for f in self.findings if f.severity == ADDITIVE]

    def to_dict(self) -> dict[str, Any]:
        """The JSON report."""
        return {
            "cassettes": self.cassettes,
            "interactions": self.interactions,
            "breaking": len(self.breaking),
            "additive": len(self.additive),
            "findings": [asdict(f) for f in self.findings],
            "skipped": self.skipped,
        }


@dataclass(frozen=True)
class SkipPaths:
    """Paths the fake comparison ignores: ``[operationId] $.json.path`` per line, ``*`` and ``[]`` allowed."""

    rules: tuple[tuple[str, str], ...] = ()

    @classmethod
    def read(cls, path: Path | None) -> SkipPaths:
        """The rules of a skip-paths file (``#`` starts a comment); no file, no rules."""
        if path is None:
            return cls()
        return cls.parse(path.read_text(encoding="utf-8").splitlines())

    @classmethod
    def parse(cls, lines: Iterable[str]) -> SkipPaths:
        """Rules from lines such as ``$.result.costCredit`` or ``m2vQuery $.result.previewVideos[].videoDuration``."""
        rules = []
        for line in lines:
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            operation, _, pattern = text.rpartition(" ")
            # "[]" means any array item in a path, and must not read as an fnmatch character set.
            rules.append((operation.strip() or "*", pattern.replace("[]", "[[]]")))
        return cls(tuple(rules))

    def skips(self, operation: str | None, path: str) -> bool:
        """True when ``path`` (or a parent of it) is skipped for ``operation``."""
        for op, pattern in self.rules:
            if not fnmatch.fnmatchcase(operation or "", op):
                continue
            if any(fnmatch.fnmatchcase(candidate, pattern) for candidate in (path, *_parents(path))):
                return True
        return False


def _parents(path: str) -> Iterable[str]:
    """Every proper prefix of a JSON path that ends a segment (``$.a`` and ``$.a.b`` for ``$.a.b[]``)."""
    for index, char in enumerate(path):
        if char in ".[" and index:
            yield path[:index]
