"""Hypothesis strategies of scenarios: what the kit generates, and shrinks, to test a client.

Every part of a scenario shrinks towards "nothing happens": no fault, no variant, tasks succeed, the
account is as configured. A failure Hypothesis shrinks is therefore the smallest scenario that still
breaks the client — usually one fault, one outcome or one variant.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import cache
from typing import Final

from hypothesis import strategies as st

from ..contract.openapi import Contract
from ..control.faults import FaultSpec
from ..control.scenario import AccountState, CallbackAids, Scenario
from ..control.variants import Tier, Variant, sites
from ..engine.errors import ERROR_CODES
from ..engine.tasks import Outcome, Progression

# Transient codes first: Hypothesis shrinks towards the start of a sampled list.
FAULT_CODES: Final = ("5003", "5000", "5001", "5004", "5005", *(c for c in ERROR_CODES if not c.startswith("5")))
GATEWAY_STATUSES: Final = (503, 502, 500, 504)
FAIL_MESSAGES: Final = ("Face not detected", "Product page unreachable", "视频生成失败：素材不合规", "Task failed")
_CREATES_TASKS = re.compile(r"(Submit|Export)$")


@cache
def default_contract() -> Contract:
    """The packaged contract, loaded once per process."""
    return Contract.load()


@cache
def _sites(contract: Contract, operation: str, tier: Tier) -> tuple[Variant, ...]:
    return tuple(sites(operation, contract[operation].result_schema, tier))


def progressions(*, polls: bool = True) -> st.SearchStrategy[Progression]:
    """Tasks that succeed after a few polls (``polls``), or after a few virtual seconds (callback clients)."""
    if polls:
        return st.builds(Progression, st.just("polls"), st.integers(0, 2).map(float), st.integers(0, 3).map(float))
    return st.builds(Progression, st.just("time"), st.sampled_from([0.2, 0.5, 1.0]), st.sampled_from([0.3, 1.0, 2.0]))


def outcomes() -> st.SearchStrategy[Outcome]:
    """How a task ends: success, or fail with a realistic errorMsg."""
    return st.one_of(st.just(Outcome()), st.sampled_from(FAIL_MESSAGES).map(lambda m: Outcome("fail", m)))


def faults(operations: Collection[str]) -> st.SearchStrategy[FaultSpec]:
    """A fault on one operation: a business code, a gateway status, a dropped connection or latency."""
    where = st.sampled_from(sorted(operations))
    times = st.one_of(st.integers(1, 3), st.none())  # the first N calls, or every call
    return st.one_of(
        st.builds(FaultSpec, operation=where, code=st.sampled_from(FAULT_CODES), times=times),
        st.builds(FaultSpec, operation=where, status=st.sampled_from(GATEWAY_STATUSES), times=times),
        st.builds(FaultSpec, operation=where, drop=st.just(True), times=times),
        st.builds(FaultSpec, operation=where, latency=st.sampled_from([(0.05, 0.05), (0.2, 0.2)]), times=times),
    )


def accounts() -> st.SearchStrategy[AccountState]:
    """The account as configured, out of credits (4100), or with its unfinished-task limit full (4007)."""
    return st.one_of(
        st.just(AccountState()),
        st.just(AccountState(credits=0)),
        st.just(AccountState(max_unfinished=0)),
    )


def callback_aids() -> st.SearchStrategy[CallbackAids]:
    """Callbacks as usual, or delivered twice, late, or out of order."""
    return st.one_of(
        st.just(CallbackAids()),
        st.builds(
            CallbackAids,
            deliver_twice=st.booleans(),
            extra_delay=st.sampled_from([0.0, 2.0, 5.0]),
            shuffle_window=st.sampled_from([0.0, 3.0]),
        ),
    )


def scenarios(
    operations: Collection[str] | None = None,
    *,
    tier: Tier = "valid",
    callbacks: bool = False,
    polls: bool = True,
    contract: Contract | None = None,
) -> st.SearchStrategy[Scenario]:
    """Scenarios over ``operations`` (default: every operation of the contract).

    ``tier`` ``drift`` adds variants outside the contract; ``callbacks`` adds duplicate, late and
    out-of-order notices (for clients that pass a ``noticeUrl``); ``polls=False`` moves tasks on with
    time instead of polls (for clients that wait for the callback instead of polling).
    """
    contract = contract or default_contract()
    known = [op.operation_id for op in contract]
    chosen = sorted(operations) if operations is not None else known
    unknown = sorted(set(chosen) - set(known))
    if unknown or not chosen:
        raise ValueError(f"operations must name operations of the contract (not {unknown or 'none'})")
    creating = [op for op in chosen if _CREATES_TASKS.search(op)]
    variants = [v for op in chosen for v in _sites(contract, op, tier)]
    scripted = (
        st.lists(
            st.tuples(st.sampled_from(creating), st.lists(outcomes(), min_size=1, max_size=2).map(tuple)), max_size=2
        ).map(lambda pairs: tuple(dict(pairs).items()))
        if creating
        else st.just(())
    )
    return st.builds(
        Scenario,
        progression=progressions(polls=polls),
        outcomes=scripted,
        faults=st.lists(faults(chosen), max_size=3).map(tuple),
        variants=(st.lists(st.sampled_from(variants), max_size=3, unique=True).map(tuple) if variants else st.just(())),
        account=accounts(),
        callbacks=callback_aids() if callbacks else st.just(CallbackAids()),
    )
