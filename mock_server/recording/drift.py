"""``topview-mock drift``: recorded answers checked against the contract and against the fake.

Findings of both checks go into one report, classed breaking or additive (``findings``); the command
prints them, writes the report as JSON when asked, and exits 1 when any finding is breaking.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..contract.openapi import Contract
from .arguments import CHECKS
from .cassettes import Cassette
from .contract_pass import ContractCheck
from .fake_pass import FakeComparison
from .findings import Report, SkipPaths


async def drift(
    cassettes: Iterable[Cassette],
    contract: Contract,
    against: Iterable[str] = CHECKS,
    skip: SkipPaths | None = None,
) -> Report:
    """Run the chosen checks over every cassette."""
    checks = set(against)
    unknown = checks - set(CHECKS)
    if unknown:
        raise ValueError(f"--against takes {', '.join(CHECKS)}, not {', '.join(sorted(unknown))}")
    report = Report()
    by_contract = ContractCheck(contract)
    by_fake = FakeComparison(contract, skip)
    for cassette in cassettes:
        report.cassettes += 1
        report.interactions += len(cassette)
        if "contract" in checks:
            report.findings += by_contract.check_cassette(cassette)
        if "fake" in checks:
            findings, skipped = await by_fake.check_cassette(cassette)
            report.findings += findings
            report.skipped += skipped
    return report


def summary(report: Report) -> list[str]:
    """The lines the command prints: every finding, what was skipped, then the counts."""
    lines = [finding.describe() for finding in report.findings]
    lines += [f"[skipped] {note}" for note in report.skipped]
    lines.append(
        f"drift: {report.interactions} exchange(s) in {report.cassettes} cassette(s): "
        f"{len(report.breaking)} breaking, {len(report.additive)} additive finding(s)"
    )
    return lines
