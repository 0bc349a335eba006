"""Stateful schemathesis: call sequences built from the contract's OpenAPI links, against the in-process app.

The contract links every task submit to its query (``taskId: $response.body#/result/taskId``) and chains
the operations that take an earlier result's id (m2v script list/update and export, image translate →
generate, video process → segment anything / tracking → character swap, upload credential → check,
board create → the board operations, batch download submit → status, photo avatar create → delete).
Following them, a sequence queries the tasks it created instead of random ids that only get 4004.

Each chain — a group of operations joined by links — gets a state machine of its own
(``schema.include(operation_id=...).as_state_machine()``, links from the contract only, no inferred
ones): schemathesis starts scenarios only from operations its dependency analysis expects to succeed
with generated data, and over the whole contract that leaves out most submits, whose bodies name ids
nothing in the contract produces.

Every response must pass the checks of ``test_schemathesis.py`` (no 5xx, the operation's ``200`` schema,
the envelope code :class:`schemathesis_checks.EnvelopeJudge` expects). Data is valid (positive) only; every
scenario starts from a reset fake and sends fixed credentials; runs are derandomised. Tasks move one step
per poll (``Progression("polls", 1, 1)``: a task's first query answers running, the second success).
Beyond the checks, the chains whose first task generated data can start (no uploaded file needed) must
show finished, successful tasks in at least ``MIN_SUCCEEDED_QUERIES`` distinct query operations, so the
success branch of the query results is exercised, not only 4004. The remaining chains run for the checks.
"""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case, GenerationMode, Response
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis_checks import EnvelopeJudge

from mock_server import MockConfig, Progression, TopviewMock, create_app

# Every poll moves a task one step, so a task polled twice within a scenario has finished.
CONFIG = MockConfig(seed=0, progression=Progression("polls", init=1, running=1))
SERVED_MOCK = create_app(CONFIG).state.mock
SERVED = SERVED_MOCK.contract.document
QUERY_OPERATIONS = frozenset(kind.query for kind in SERVED_MOCK.table.by_name.values())
CREDENTIALS = {"Topview-Uid": "uid-stateful", "Authorization": "Bearer stateful-key"}
HTTP_METHODS = {"get", "put", "post", "delete", "patch"}


def scenarios(max_examples: int) -> settings:
    """Hypothesis settings of one chain's run: bounded, reproducible, no example database."""
    return settings(
        max_examples=max_examples,
        stateful_step_count=8,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


# The chains whose first task generated data can start: no uploaded file is needed (a fileId's bytes
# arrive by a PUT to its upload URL, which the contract does not describe). The others only ever see
# tasks that were not created, so they are run for the checks alone.
STARTABLE = (
    "aiMusicSubmit",
    "boardCreate",
    "m2vSubmit",
    "scraperSubmit",
    "storyboardSubmit",
    "text2ImageSubmit",
    "text2VideoSubmit",
    "text2VoiceSubmit",
    "videoAvatarSubmit",
)
# Generated bodies often break a rule or name an unknown id, so not every startable chain creates a task
# in a short run; most must, and their tasks must be seen finished.
MIN_SUCCEEDED_QUERIES = 5


def operations() -> dict[str, dict[str, Any]]:
    """operationId -> operation object of the served contract."""
    return {
        op["operationId"]: op
        for item in SERVED["paths"].values()
        for method, op in item.items()
        if method in HTTP_METHODS
    }


def chains() -> dict[str, list[str]]:
    """The operations joined by links, named by the operations that start them (no link leads there)."""
    links = {
        op_id: [link["operationId"] for link in op["responses"]["200"].get("links", {}).values()]
        for op_id, op in operations().items()
    }
    group = {op_id: op_id for op_id in links}

    def root(op_id: str) -> str:
        while group[op_id] != op_id:
            op_id = group[op_id]
        return op_id

    for source, targets in links.items():
        for target in targets:
            group[root(target)] = root(source)
    members: dict[str, list[str]] = {}
    for op_id in sorted(links):
        members.setdefault(root(op_id), []).append(op_id)
    linked = {target for targets in links.values() for target in targets}
    return {"+".join(op_id for op_id in ops if op_id not in linked): ops for ops in members.values() if len(ops) > 1}


CHAINS = chains()
UNSTARTABLE = {name: ops for name, ops in CHAINS.items() if name not in STARTABLE}


def load_schema() -> schemathesis.BaseSchema:
    """The served contract for schemathesis: valid data only, links from the contract only (no inference)."""
    config = schemathesis.Config.from_dict({"phases": {"stateful": {"inference": {"algorithms": []}}}})
    loaded = schemathesis.openapi.from_dict(copy.deepcopy(SERVED), config=config)
    loaded.config.generation.update(modes=[GenerationMode.POSITIVE], deterministic=True, database="none")
    return loaded


schema = load_schema()
judge = EnvelopeJudge(copy.deepcopy(SERVED))
CHECKS = [not_a_server_error, response_schema_conformance, judge]
Answers = Counter[tuple[str, str, str | None]]  # (operationId, envelope code, result status) -> count


def run_chain(operation_ids: list[str], max_examples: int) -> Answers:
    """Run the chain's state machine against a fresh fake (reset before every scenario); count the answers."""
    app = create_app(mock=TopviewMock(CONFIG, contract=SERVED_MOCK.contract))  # the contract is read-only
    answers: Answers = Counter()
    machine = schema.include(operation_id=operation_ids).as_state_machine()

    class Chain(machine):  # type: ignore[valid-type, misc]
        def setup(self) -> None:
            app.state.mock.reset()

        def before_call(self, case: Case) -> None:
            # Config ``parameters`` only fix values in parametrised tests; scenarios would send generated
            # credentials, and a task is visible only to the account that created it.
            case.headers = {**(case.headers or {}), **CREDENTIALS}

        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {"app": app}

        def after_call(self, response: Response, case: Case) -> None:
            super().after_call(response, case)
            envelope = response.json()
            result = envelope.get("result")
            status = result.get("status") if isinstance(result, dict) else None
            answers[case.operation.definition.raw["operationId"], envelope["code"], status] += 1

        def validate_response(
            self, response: Response, case: Case, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None, recorder=self.recorder)

    Chain.run(settings=scenarios(max_examples))
    return answers


def succeeded_queries(answers: Answers) -> set[str]:
    """The query operations that answered a finished, successful task."""
    return {
        op_id for op_id, code, status in answers if op_id in QUERY_OPERATIONS and (code, status) == ("200", "success")
    }


def test_generated_tasks_succeed_along_the_links() -> None:
    """Submits whose bodies need no upload create tasks, and their linked queries see them succeed."""
    reached: dict[str, set[str]] = {}
    for name in STARTABLE:
        reached[name] = succeeded_queries(run_chain(CHAINS[name], max_examples=15))
    succeeded = set().union(*reached.values())
    assert len(succeeded) >= MIN_SUCCEEDED_QUERIES, reached


@pytest.mark.parametrize("operation_ids", UNSTARTABLE.values(), ids=UNSTARTABLE.keys())
def test_linked_sequences_follow_the_contract(operation_ids: list[str]) -> None:
    """Sequences along the other chains' links pass the checks (their tasks need uploaded files)."""
    run_chain(operation_ids, max_examples=10)


def test_chains_cover_every_task_query() -> None:
    """Every task query is reached by a link, and the startable chains are chains of the contract."""
    linked = {op_id for ops in CHAINS.values() for op_id in ops}
    unlinked = QUERY_OPERATIONS - linked
    assert not unlinked, sorted(unlinked)
    unknown = set(STARTABLE) - set(CHAINS)
    assert not unknown, sorted(unknown)
