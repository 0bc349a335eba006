"""The client contract-testing kit: generated scenarios, judged invariants, shrunk findings — for any client.

An entry point like ``testing/``: it sits above the facade and may import it and everything below
(engine, storage, callbacks, contract, control, api, config, mock). ``testing`` (the fixtures'
``check_client``), the CLI (``topview-mock check-client``) and the package's ``__init__`` import it.

Lives here: ``records`` (a client run and its credentials), ``invariants`` (the ten judges, one
exception class each), ``strategies`` (Hypothesis strategies of scenarios), ``targets`` (a command in a
subprocess, or a Python function in process), ``explore`` (baseline, saved failures, generation and
shrinking), ``report`` (text, JSON, JUnit) and ``command`` (the ``check-client`` command line).

The public names are imported on first use, so that the CLI builds its parser (and ``serve`` starts)
without loading Hypothesis.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .explore import Finding, Options, Report, explore
    from .invariants import (
        INVARIANTS,
        ClientCrashed,
        ContractViolation,
        InvariantViolation,
        KeyLeak,
        PolledAfterTerminal,
        PollTooFast,
        RetriedClientError,
        RetryStorm,
        SwallowedError,
        Thresholds,
        TimedOut,
        UncheckedUpload,
        check,
        judge,
    )
    from .records import ClientRun, Credentials
    from .strategies import scenarios

_WHERE = {
    "ClientCrashed": ".invariants",
    "ClientRun": ".records",
    "ContractViolation": ".invariants",
    "Credentials": ".records",
    "Finding": ".explore",
    "INVARIANTS": ".invariants",
    "InvariantViolation": ".invariants",
    "KeyLeak": ".invariants",
    "Options": ".explore",
    "PollTooFast": ".invariants",
    "PolledAfterTerminal": ".invariants",
    "Report": ".explore",
    "RetriedClientError": ".invariants",
    "RetryStorm": ".invariants",
    "SwallowedError": ".invariants",
    "Thresholds": ".invariants",
    "TimedOut": ".invariants",
    "UncheckedUpload": ".invariants",
    "check": ".invariants",
    "explore": ".explore",
    "judge": ".invariants",
    "scenarios": ".strategies",
}

__all__ = [
    "INVARIANTS",
    "ClientCrashed",
    "ClientRun",
    "ContractViolation",
    "Credentials",
    "Finding",
    "InvariantViolation",
    "KeyLeak",
    "Options",
    "PollTooFast",
    "PolledAfterTerminal",
    "Report",
    "RetriedClientError",
    "RetryStorm",
    "SwallowedError",
    "Thresholds",
    "TimedOut",
    "UncheckedUpload",
    "check",
    "explore",
    "judge",
    "scenarios",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_WHERE[name], __name__), name)
    globals()[name] = value
    return value
