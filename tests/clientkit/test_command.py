"""``topview-mock check-client``: exit statuses, the shrunk finding, saved failures, replay, JSON and JUnit."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from mock_server.cli import main

CLIENTS = Path(__file__).resolve().parent / "clients"
FAST = ["--min-poll-interval", "0.01", "--timeout", "10", "--seed", "7"]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Saved failures go under the working directory: a fresh one per test."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        ([], "give the client to run after --"),
        (["--invariants", "slow", "--", "true"], "unknown invariant slow"),
        (["--replay", "missing.json", "--", "true"], "missing.json"),
        (["--examples", "0", "--", "true"], "--examples must be at least 1"),
    ],
)
def test_usage_errors_exit_2(arguments: list[str], complaint: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-client", *arguments]) == 2
    assert complaint in capsys.readouterr().err


def test_a_client_failing_the_happy_path_is_reported_with_its_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-client", *FAST, "--", "sh", "-c", "echo cannot reach Topview >&2; exit 3"]) == 1
    out = capsys.readouterr().out
    assert "fails the happy path" in out and "exit status 3" in out and "cannot reach Topview" in out


def test_a_finding_is_shrunk_saved_reported_and_replayed(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    client = str(CLIENTS / "bug_swallowed_error.sh")
    status = main(["check-client", *FAST, "--examples", "30", "--report", "r.json", "--junit", "r.xml", "--", client])
    assert status == 1
    out, err = capsys.readouterr()
    assert "baseline run: exit 0" in err and "swallowed-error" in err  # progress
    report = json.loads((in_tmp / "r.json").read_text())
    assert set(report) >= {"examples", "seed", "operations", "findings"} and report["seed"] == 7
    (finding,) = report["findings"]
    assert finding["invariant"] == "swallowed-error" and "exited 0" in finding["message"]
    scenario = finding["scenario"]
    causes = len(scenario.get("faults", [])) + len(scenario.get("outcomes", {})) + len(scenario.get("account", {}))
    assert causes == 1, scenario  # shrunk to a single cause
    assert finding["timeline"] and finding["output_tail"].strip() == "done"
    saved = Path(finding["scenario_file"])
    assert (in_tmp / saved).is_file() and saved.parts[:2] == (".topview-mock", "failures")
    assert "FINDING 1: swallowed-error" in out and "replay: topview-mock check-client --replay" in out
    cases = {case.get("name"): case for case in ElementTree.parse(in_tmp / "r.xml").getroot()}
    assert cases["swallowed-error"].find("failure") is not None and cases["key-leak"].find("failure") is None

    assert main(["check-client", *FAST, "--replay", str(saved), "--", client]) == 1  # the replay command
    assert "FINDING 1: swallowed-error" in capsys.readouterr().out
    assert main(["check-client", *FAST, "--examples", "1", "--no-shrink", "--", client]) == 1
    assert "saved failure tried first: swallowed-error" in capsys.readouterr().err


def test_a_correct_client_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-client", *FAST, "--examples", "5", "--", str(CLIENTS / "kit_client.sh")]) == 0
    assert capsys.readouterr().out.rstrip().endswith(": no finding")
