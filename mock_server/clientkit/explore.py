"""The kit's run: a clean baseline, saved failures first, then Hypothesis-generated scenarios, shrunk when they fail."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.database import DirectoryBasedExampleDatabase

from ..control.journal import Exchange
from ..control.scenario import Scenario
from ..control.schema import ControlError
from ..control.variants import Tier
from ..engine.tasks import Progression
from .invariants import TERMINAL, InvariantViolation, Thresholds, judge
from .records import ClientRun, task_status
from .strategies import scenarios
from .targets import Accounts, Target

# How tasks move in the baseline: polling clients see init and running, callback clients get their notice.
BASELINE_BY_TIME = Progression("time", 0.3, 0.5)
BASELINE_BY_POLLS = Progression("polls", 1, 1)
Progress = Callable[[str, int, str], None]  # (event, examples run, detail)


@dataclass(frozen=True)
class Finding:
    """A broken invariant with the smallest scenario found that breaks it, and that run."""

    invariant: str
    message: str
    scenario: Scenario
    run: ClientRun
    scenario_file: str | None = None


@dataclass
class Report:
    """What a kit run found."""

    seed: int
    examples: int = 0
    operations: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    baseline: ClientRun | None = None
    baseline_failed: bool = False

    @property
    def ok(self) -> bool:
        """Nothing found, baseline included."""
        return not self.findings and not self.baseline_failed


@dataclass(frozen=True)
class Options:
    """How many examples, under which seed, which tier, what to judge, and where failures are kept."""

    examples: int = 100
    seed: int = 0
    tier: Tier = "valid"
    thresholds: Thresholds = field(default_factory=Thresholds)
    polls: bool | None = None  # None: tasks move by time in the baseline, then by polls if the client polls
    failures_dir: Path | None = None  # where shrunk failures are saved (and tried first next time)
    key: str = ""  # what the saved failures belong to (the command), so other clients' are not replayed
    shrink: bool = True  # False: report the first failure as found (faster), not its smallest form


def explore(target: Target, options: Options, progress: Progress | None = None) -> Report:
    """Baseline, saved failures, then generated scenarios over the operations the baseline touched."""
    tell = progress or (lambda event, count, detail: None)
    accounts = Accounts(target.fake.base_url)
    report = Report(seed=options.seed)
    by_polls = options.polls if options.polls is not None else False
    baseline_scenario = Scenario(progression=BASELINE_BY_POLLS if by_polls else BASELINE_BY_TIME)
    baseline = target.run(baseline_scenario, accounts.next())
    callbacks = any(isinstance(e.body, dict) and e.body.get("noticeUrl") for e in baseline.topview)
    queried = any("taskId" in e.query for e in baseline.topview)
    if options.polls is None and queried and not callbacks:
        # A client that queries tasks without asking for callbacks polls. How many of its polls a task
        # outlived under a clock that moves with real time is a race; the baseline judged is a second
        # run whose tasks move on its polls, the same on a quiet machine and a busy one.
        by_polls = True
        baseline_scenario = Scenario(progression=BASELINE_BY_POLLS)
        baseline = target.run(baseline_scenario, accounts.next())
    report.baseline = baseline
    report.operations = sorted(baseline.operations)
    broken = judge(baseline, options.thresholds)
    tell("baseline", 0, ", ".join(v.invariant for v in broken) or f"exit {baseline.exit_code}")
    if baseline.exit_code != 0 or broken:
        report.baseline_failed = True
        report.findings = [Finding(v.invariant, v.message, baseline_scenario, baseline) for v in broken]
        return report
    if not report.operations:
        return report
    # A client polls when it queries tasks without asking for callbacks, or queried one before it ended.
    polls = options.polls if options.polls is not None else by_polls or any(_unfinished(e) for e in baseline.topview)
    found: dict[str, Finding] = {}
    saved = _Saved(options.failures_dir, options.key)
    for scenario in saved.load():
        run = target.run(scenario, accounts.next())
        report.examples += 1
        for violation in judge(run, options.thresholds):
            found.setdefault(violation.invariant, Finding(violation.invariant, violation.message, scenario, run))
        tell("saved", report.examples, ", ".join(sorted(found)))
    strategy = scenarios(report.operations, tier=options.tier, callbacks=callbacks, polls=polls)

    def example(scenario: Scenario) -> None:
        if latest and not options.shrink:
            return  # the first finding is the answer: the rest pass untried, and Hypothesis replays nothing
        run = target.run(scenario, accounts.next())
        report.examples += 1
        broken = judge(run, options.thresholds)
        tell("example", report.examples, ", ".join(v.invariant for v in broken))
        if broken:
            first = broken[0]
            latest[first.invariant] = Finding(first.invariant, first.message, scenario, run)
            if options.shrink:
                raise first

    latest: dict[str, Finding] = {}
    test = _hypothesis_test(example, strategy, options)
    # Hypothesis re-runs each shrunk failure last, so ``latest`` ends holding the minimal one of each kind.
    try:
        test()
    except InvariantViolation:
        pass
    except BaseExceptionGroup as group:  # several kinds of finding, or a finding that did not repeat (flaky)
        _, rest = group.split(InvariantViolation)
        if rest is not None:  # the kit itself failed: that is no finding about the client
            raise rest from None
    for invariant, finding in latest.items():
        found[invariant] = finding
    report.findings = [saved.save(finding) for _, finding in sorted(found.items())]
    saved.forget_fixed(found)
    return report


def _unfinished(exchange: Exchange) -> bool:
    """A query of a task that answered it still going."""
    return "taskId" in exchange.query and task_status(exchange) not in (None, *TERMINAL)


def _hypothesis_test(example: Callable[[Scenario], None], strategy: Any, options: Options) -> Callable[[], None]:
    database = None
    if options.failures_dir is not None:
        database = DirectoryBasedExampleDatabase(str(options.failures_dir / "hypothesis"))
    phases = [Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if options.shrink else [])
    wrapped: Any = settings(
        max_examples=options.examples,
        deadline=None,
        database=database,
        phases=phases,
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        report_multiple_bugs=options.shrink,  # without shrinking, stop at the first failure
        print_blob=False,
        derandomize=False,
    )(hypothesis_seed(options.seed)(given(strategy)(example)))  # type: ignore[no-untyped-call]
    # One database key per client: a saved shrink of one command is not replayed against another.
    wrapped.hypothesis.inner_test._hypothesis_internal_add_digest = options.key.encode()
    test: Callable[[], None] = wrapped
    return test


class _Saved:
    """Shrunk failures on disk (one JSON file per invariant and client), tried first next time."""

    def __init__(self, root: Path | None, key: str) -> None:
        digest = hashlib.sha256(key.encode()).hexdigest()[:12]
        self.folder = root / digest if root is not None else None

    def load(self) -> list[Scenario]:
        """The saved failing scenarios of this client."""
        if self.folder is None or not self.folder.is_dir():
            return []
        found = []
        for path in sorted(self.folder.glob("*.json")):
            with contextlib.suppress(ValueError, OSError, KeyError):
                found.append(read_scenario(path))
        return found

    def save(self, finding: Finding) -> Finding:
        """Write the finding's scenario; the finding now names its file."""
        if self.folder is None:
            return finding
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{finding.invariant}.json"
        document = {"invariant": finding.invariant, "message": finding.message, "scenario": finding.scenario.to_json()}
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return Finding(finding.invariant, finding.message, finding.scenario, finding.run, str(path))

    def forget_fixed(self, found: dict[str, Finding]) -> None:
        """Drop saved failures that no longer fail."""
        if self.folder is None or not self.folder.is_dir():
            return
        for path in self.folder.glob("*.json"):
            if path.stem not in found:
                path.unlink()


def read_scenario(path: Path) -> Scenario:
    """A scenario from a file: a saved failure (``{"scenario": ...}``) or a bare scenario document."""
    document = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(document, dict) and isinstance(document.get("scenario"), dict):
        document = document["scenario"]
    try:
        return Scenario.from_json(document)
    except ControlError as error:
        raise ValueError(f"{path}: {error.message}") from None


def replay(target: Target, scenario: Scenario, thresholds: Thresholds, seed: int = 0) -> Report:
    """Run one scenario once (``--replay``) and judge it."""
    run = target.run(scenario, Accounts(target.fake.base_url).next())
    report = Report(seed=seed, examples=1, operations=sorted(run.operations), baseline=None)
    report.findings = [Finding(v.invariant, v.message, scenario, run) for v in judge(run, thresholds)]
    return report


def digest_of(command: Sequence[str]) -> str:
    """The key saved failures of a command are filed under."""
    return json.dumps(list(command))
