"""The kit from Python: check a client function in process and fail the test with the shrunk finding.

``topview_mock.check_client(client, examples=50)`` (and ``topview_server.check_client``) lands here:
``client(credentials)`` is called once per example, the fake reset and set to a generated scenario
each time; the first finding is raised as its invariant's exception, its message holding the shrunk
scenario, the timeline of that run and what the client printed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from ..control.variants import Tier
from .explore import Finding, Options, Report, explore
from .invariants import BY_NAME, INVARIANTS, InvariantViolation, Thresholds
from .report import TAIL_LINES, timeline
from .targets import ClientFunction, Fake, FunctionTarget


def check_client(
    fake: Fake,
    client: ClientFunction,
    *,
    examples: int = 100,
    seed: int = 0,
    tier: Tier = "valid",
    errors: tuple[type[BaseException], ...] = (),
    min_poll_interval: float = 1.0,
    max_retries: int = 5,
    timeout: float = 30.0,
    invariants: Iterable[str] = INVARIANTS,
    shrink: bool = True,
) -> Report:
    """Run ``client`` against a clean baseline and ``examples`` generated scenarios; raise the first finding.

    ``errors`` are the client's own exception types: raising one is a clean failure (exit status 1),
    any other exception a crash. A client that polls gets tasks that move on by polls; one that waits for
    its ``noticeUrl`` callback gets tasks that move on with the fake's clock, which the kit moves faster
    than real time while the client runs, and duplicate, late and reordered callbacks.
    """
    thresholds = Thresholds(min_poll_interval, max_retries, timeout, frozenset(invariants))
    target = FunctionTarget(fake, client, timeout=timeout, errors=errors)
    options = Options(examples=examples, seed=seed, tier=tier, thresholds=thresholds, shrink=shrink)
    report = explore(target, options)
    if report.findings:
        raise explain(report.findings[0], baseline=report.baseline_failed)
    return report


def explain(finding: Finding, *, baseline: bool = False) -> InvariantViolation:
    """The finding as its invariant's exception, with the scenario, timeline and output in the message."""
    lines = [
        finding.message,
        "in the clean baseline run" if baseline else "shrunk scenario:",
        json.dumps(finding.scenario.to_json(), ensure_ascii=False),
        "timeline:",
        *timeline(finding.run),
        f"output (last {TAIL_LINES} lines):",
        finding.run.output_tail(TAIL_LINES),
    ]
    return BY_NAME[finding.invariant]("\n".join(lines), finding.run)
