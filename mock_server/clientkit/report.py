"""How findings are shown: a text report for people, JSON for tools, JUnit XML for CI, and each run's timeline."""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from typing import Any
from xml.etree import ElementTree

from ..control.journal import Exchange
from .explore import Finding, Report
from .invariants import INVARIANTS
from .records import ClientRun, result_of, task_status

TAIL_LINES = 20


def timeline(run: ClientRun) -> list[str]:
    """One line per exchange: seconds since the first, the request, and what it was answered."""
    if not run.exchanges:
        return []
    start = min(e.wall for e in run.exchanges if e.wall is not None) if any(e.wall for e in run.exchanges) else 0.0
    return [_line(exchange, start) for exchange in run.exchanges]


def _line(e: Exchange, start: float) -> str:
    offset = (e.wall or start) - start
    task = e.query.get("taskId") or e.query.get("fileId")
    request = f"{e.method} {e.operation_id}" + (f" {task[:8]}…" if task else "")
    if e.dropped:
        answer = "dropped"
    elif e.code is not None:
        answer = f"{e.status} code {e.code}"
        status = task_status(e)
        if status:
            answer += f" {status}"
        elif e.operation_id == "uploadCheck":
            answer += f" {json.dumps(result_of(e))}"
    else:
        answer = str(e.status)
    marks = ([f"fault {e.fault}"] if e.fault else []) + [f"variant {v}" for v in e.variants]
    return f"+{offset:7.3f}s  #{e.seq:<3} {request:<48} → {answer}" + (f"  [{'; '.join(marks)}]" if marks else "")


def replay_command(finding: Finding, command: Sequence[str]) -> str:
    """The command line that runs the finding's scenario again."""
    where = finding.scenario_file or "scenario.json"
    return shlex.join(["topview-mock", "check-client", "--replay", where, "--", *command])


def text(report: Report, command: Sequence[str]) -> str:
    """The report a person reads at the end of ``topview-mock check-client``."""
    lines = []
    if report.baseline_failed and report.baseline is not None:
        lines.append("The client fails the happy path (a clean run, no fault, no variant):")
        lines.append(
            f"  exit status {report.baseline.exit_code}" + (" (timed out)" if report.baseline.timed_out else "")
        )
    for number, finding in enumerate(report.findings, 1):
        lines += [
            "",
            f"FINDING {number}: {finding.invariant}",
            f"  {finding.message}",
            "  scenario (shrunk):",
            *(
                "    " + line
                for line in json.dumps(finding.scenario.to_json(), ensure_ascii=False, indent=2).splitlines()
            ),
            "  timeline:",
            *("    " + line for line in timeline(finding.run)),
            f"  output (last {TAIL_LINES} lines, exit status {finding.run.exit_code}):",
            *("    | " + line for line in finding.run.output_tail(TAIL_LINES).splitlines()),
            f"  replay: {replay_command(finding, command)}",
        ]
    if report.baseline_failed and report.baseline is not None and not report.findings:
        lines += ["  output:", *("    | " + line for line in report.baseline.output_tail(TAIL_LINES).splitlines())]
    operations = ", ".join(report.operations) or "no operation"
    verdict = "no finding" if report.ok else f"{len(report.findings)} finding(s)"
    lines += [
        "",
        f"{report.examples} examples (seed {report.seed}) over {operations}: {verdict}",
    ]
    return "\n".join(lines).lstrip("\n") + "\n"


def to_json(report: Report, command: Sequence[str]) -> dict[str, Any]:
    """The JSON report: ``examples``, ``seed``, ``operations`` and ``findings``."""
    return {
        "examples": report.examples,
        "seed": report.seed,
        "operations": report.operations,
        "baselineFailed": report.baseline_failed,
        "findings": [
            {
                "invariant": f.invariant,
                "message": f.message,
                "scenario": f.scenario.to_json(),
                "scenario_file": f.scenario_file,
                "timeline": timeline(f.run),
                "output_tail": f.run.output_tail(TAIL_LINES),
                "exit_status": f.run.exit_code,
                "replay": replay_command(f, command),
            }
            for f in report.findings
        ],
    }


def junit(report: Report, command: Sequence[str], invariants: Sequence[str] = INVARIANTS) -> str:
    """JUnit XML: a test case for the baseline and one per invariant judged, failed where a finding is."""
    suite = ElementTree.Element(
        "testsuite",
        name="topview-mock check-client",
        tests=str(len(invariants) + 1),
        failures=str(len(report.findings) + (1 if report.baseline_failed and not report.findings else 0)),
    )
    baseline = ElementTree.SubElement(suite, "testcase", classname="check-client", name="baseline")
    if report.baseline_failed and not report.findings and report.baseline is not None:
        failure = ElementTree.SubElement(baseline, "failure", message="the client fails the happy path")
        failure.text = report.baseline.output_tail(TAIL_LINES)
    by_name = {f.invariant: f for f in report.findings}
    for name in invariants:
        case = ElementTree.SubElement(suite, "testcase", classname="check-client", name=name)
        finding = by_name.get(name)
        if finding is not None:
            failure = ElementTree.SubElement(case, "failure", message=finding.message)
            failure.text = "\n".join(
                [
                    json.dumps(finding.scenario.to_json(), ensure_ascii=False),
                    *timeline(finding.run),
                    finding.run.output_tail(TAIL_LINES),
                    replay_command(finding, command),
                ]
            )
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
