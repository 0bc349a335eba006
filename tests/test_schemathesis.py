"""Schemathesis over every contract operation, against the in-process app, with valid and invalid data.

The operations come from the contract the app serves (``app.state.mock.contract.document``), so whatever
is merged into the contract is covered. Every generated request must get:

- no server error (``not_a_server_error``) and a body matching the operation's ``200`` schema
  (``response_schema_conformance``), and
- the envelope code :class:`schemathesis_checks.EnvelopeJudge` expects for it: a documented rejection
  naming the field when the request is invalid even after Topview's coercions, ``200`` or a business code
  when it is valid.

schemathesis' built-in negative/positive acceptance and status-code checks are not used: they expect
4xx statuses, and Topview answers HTTP 200 with a code in the envelope (a method the path lacks, probed
by the coverage phase, is the one HTTP 405). Two runs: the main one fixes the credentials so invalid
data lands in query strings and bodies (examples, coverage and fuzzing phases, ``MAX_EXAMPLES`` fuzzed
cases per operation split between valid and invalid data); the coverage phase alone then generates the
``Topview-Uid``/``Authorization`` headers too. Both are derandomised with no example database.
"""

from __future__ import annotations

import copy

import pytest
import schemathesis
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import HealthCheck
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis_checks import EnvelopeJudge
from starlette.applications import Starlette

from mock_server import MockConfig, create_app

MAX_EXAMPLES = 15


# The contract the app serves, whatever has been merged into it.
SERVED = create_app(MockConfig(seed=0)).state.mock.contract.document


# The credentials of the main run. They are fixed so that invalid data goes to query strings and bodies;
# generated (and broken) credentials get a run of their own.
CREDENTIALS = {"Topview-Uid": "uid-schemathesis", "Authorization": "Bearer schemathesis-key"}


def load_schema(*, phases: list[str], credentials: dict[str, str] | None) -> schemathesis.BaseSchema:
    """The schemathesis schema of the served contract, configured for a quick, reproducible run."""
    loaded = schemathesis.openapi.from_dict(copy.deepcopy(SERVED), config=schemathesis.Config())
    loaded.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=MAX_EXAMPLES,
        deterministic=True,
        database="none",
    )
    loaded.config.phases.update(phases=phases)
    loaded.config.update(
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        parameters=dict(credentials or {}),
    )
    return loaded


schema = load_schema(phases=["examples", "coverage", "fuzzing"], credentials=CREDENTIALS)
# The coverage phase alone walks the header parameters' boundaries: missing, empty, too long, off-pattern.
auth_schema = load_schema(phases=["coverage"], credentials=None)
judge = EnvelopeJudge(copy.deepcopy(SERVED))
CHECKS = [not_a_server_error, response_schema_conformance, judge]


@pytest.fixture(scope="module")
def app() -> Starlette:
    """One fake for the whole run: state built up by earlier cases is part of what is exercised."""
    return create_app(MockConfig(seed=0))


@schema.parametrize()
def test_every_answer_follows_the_contract(case: Case, app: Starlette) -> None:
    """No 5xx, a response the contract describes, and the envelope code the request deserves."""
    case.call_and_validate(app=app, checks=CHECKS)


@auth_schema.parametrize()
def test_generated_credentials_are_judged_first(case: Case, app: Starlette) -> None:
    """Valid generated credentials authenticate; broken ones get 401 whatever else the request holds."""
    case.call_and_validate(app=app, checks=CHECKS)
