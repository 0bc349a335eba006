"""pytest plugin of topview-mock, loaded through its ``pytest11`` entry point.

Fixtures:

* ``topview_mock``: a fresh in-process fake per test (:class:`~mock_server.testing.FakeTopview`): the
  Python control API, ``client`` (async httpx) and ``sync_client`` (sync httpx) bound to the app with no
  socket, and httpx calls to ``https://api.topview.ai`` anywhere in the process routed to it (respx).
* ``topview_server``: a fresh fake served on a free loopback port from a background thread
  (:class:`~mock_server.server.LiveServer`): ``url``, ``env`` for subprocesses, the same control API.

``@pytest.mark.topview(...)`` configures both (see :class:`TopviewOptions`). Each test gets its own fake,
so state never leaks between tests, and nothing is shared on disk or on a fixed port (pytest-xdist safe).
An exception inside the fake fails the test that caused it: in-process clients re-raise it, and any the
test did not already fail on are listed at teardown. An ``async def`` test using either fixture runs on
asyncio with no marker needed (an ``anyio`` or ``asyncio`` marker hands it to that plugin instead).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import pytest

from .defaults import BASE_URL, DEFAULT_API_KEY, DEFAULT_UID

# Every pytest session of a project that installed topview-mock loads this module, most of them never
# using a fixture: the fake (Starlette, httpx, Faker, the contract) is imported inside the functions.
if TYPE_CHECKING:
    from ..callbacks.policy import DeliveryPolicy
    from ..config import MockConfig
    from ..contract.openapi import Contract
    from ..control.faults import FaultSpec
    from ..engine.tasks import Outcome
    from ..mock import TopviewMock
    from .controls import TopviewControls
    from .fake import FakeTopview
    from .server import LiveServer

MARKER = "topview"
CALL_FAILED = pytest.StashKey[bool]()
ALIASES = {"clock": "clock_mode", "speed": "clock_speed"}  # the serve command's names
FIXTURES = frozenset({"topview_mock", "topview_server"})
ASYNC_MARKERS = ("anyio", "asyncio", "trio")  # markers of plugins that run async tests themselves


def _default_config() -> MockConfig:
    from ..config import MockConfig

    return MockConfig()


@dataclass(frozen=True)
class TopviewOptions:
    """What ``@pytest.mark.topview(...)`` sets: any :class:`MockConfig` field, plus the keys below.

    ``config`` (a whole MockConfig to start from), ``clock``/``speed`` (aliases of clock_mode and
    clock_speed), and in the control API's JSON shapes: ``outcomes`` (operationId or ``*`` -> an outcome
    or a list of them, taken by the next tasks in order, as ``POST /_mock/outcomes``), ``faults`` (a list
    of rules as ``POST /_mock/faults`` takes them), ``notice_policy`` (fields of ``PUT
    /_mock/callbacks/policy``); Outcome, FaultSpec and DeliveryPolicy objects are taken as they are.
    ``uid`` and ``api_key`` (the test account), ``intercept`` (route httpx calls for api.topview.ai to the
    in-process fake; default True). A wrong shape is a usage error naming the field.
    """

    config: MockConfig = field(default_factory=_default_config)
    outcomes: Mapping[str, list[Outcome]] = field(default_factory=dict)
    faults: tuple[FaultSpec, ...] = ()
    notice_policy: DeliveryPolicy | None = None
    uid: str = DEFAULT_UID
    api_key: str = DEFAULT_API_KEY
    intercept: bool = True

    @classmethod
    def from_marks(cls, marks: Iterable[pytest.Mark]) -> TopviewOptions:
        """Merge markers, the closest (the test's own) winning over class and module ones."""
        merged: dict[str, Any] = {}
        for mark in reversed(list(marks)):
            if mark.args:
                raise pytest.UsageError("@pytest.mark.topview takes keyword arguments only")
            merged.update(mark.kwargs)
        return cls.from_kwargs(merged)

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> TopviewOptions:
        """Options from marker keywords; an unknown keyword is a usage error naming the known ones."""
        from ..config import MockConfig
        from ..control import schema

        config_fields = frozenset(f.name for f in dataclasses.fields(MockConfig))
        own = {f.name for f in dataclasses.fields(cls)} - {"config"}
        options: dict[str, Any] = {}
        changes: dict[str, Any] = {}
        for key, value in kwargs.items():
            if key == "config":
                continue
            name = ALIASES.get(key, key)
            if name in own:
                options[name] = value
            elif name in config_fields:
                changes[name] = value
            else:
                known = sorted(own | config_fields | set(ALIASES) | {"config"})
                raise pytest.UsageError(f"@pytest.mark.topview: unknown option {key!r}; known: {', '.join(known)}")
        base = kwargs.get("config", MockConfig())
        if not isinstance(base, MockConfig):
            raise pytest.UsageError("@pytest.mark.topview(config=...) must be a MockConfig")
        try:
            config = dataclasses.replace(base, **changes)
        except (TypeError, ValueError) as error:
            raise pytest.UsageError(f"@pytest.mark.topview: {error}") from error
        try:
            return cls(config=config, **_shaped(options, config))
        except schema.ControlError as error:
            raise pytest.UsageError(f"@pytest.mark.topview: {error.message}") from None

    def build(self, contract: Contract) -> TopviewMock:
        """A fresh fake with these options applied."""
        from ..mock import TopviewMock

        known = {op.operation_id for op in contract} | {"*"}
        for where, operation_id in [
            *(("outcomes", o) for o in self.outcomes),
            *(("faults", f.operation) for f in self.faults),
        ]:
            if operation_id not in known:
                raise pytest.UsageError(
                    f"@pytest.mark.topview: {where}: {operation_id} is not an operationId of the contract (or '*')"
                )
        mock = TopviewMock(self.config, contract=contract)
        for operation_id, outcomes in self.outcomes.items():
            mock.script_outcomes(operation_id, outcomes)
        for spec in self.faults:
            mock.add_fault(spec)
        if self.notice_policy is not None:
            mock.set_notice_policy(self.notice_policy)
        return mock


def _shaped(options: dict[str, Any], config: MockConfig) -> dict[str, Any]:
    """The marker's outcomes, faults and notice_policy read from the control API's JSON shapes."""
    from ..callbacks.policy import DeliveryPolicy
    from ..control import schema

    shaped = dict(options)
    if "outcomes" in options:
        shaped["outcomes"] = schema.outcome_scripts(options["outcomes"])
    if "faults" in options:
        shaped["faults"] = tuple(schema.fault_specs(options["faults"]))
    policy = options.get("notice_policy")
    if policy is not None and not isinstance(policy, DeliveryPolicy):
        if not isinstance(policy, dict):
            raise schema.ControlError(
                'notice_policy must be a DeliveryPolicy or its JSON fields, such as {"maxAttempts": 2}'
            )
        try:
            fields = schema.known_fields(policy, schema.POLICY_FIELDS)
            shaped["notice_policy"] = schema.notice_policy(fields, config.notice_policy)
        except schema.ControlError as error:
            raise schema.ControlError(f"notice_policy: {error.message}") from None
    return shaped


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker (the plugin works under ``--strict-markers``)."""
    config.addinivalue_line(
        "markers",
        "topview(**options): configure the topview_mock / topview_server fake of this test "
        "(seed, credits, progression, clock, speed, outcomes, faults, uid, api_key, ...)",
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember whether the test body failed, so teardown does not report the same fault twice."""
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


@pytest.hookimpl
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run an ``async def`` test that uses a topview fixture on asyncio, unless an async plugin's marker claims it."""
    test = pyfuncitem.obj
    if not inspect.iscoroutinefunction(test) or not FIXTURES & set(pyfuncitem.fixturenames):
        return None
    if any(pyfuncitem.get_closest_marker(name) for name in ASYNC_MARKERS):
        return None  # anyio's or pytest-asyncio's own runner takes it, with its own event loop and fixtures
    import anyio  # only for the tests that need it: the plugin stays cheap to load

    arguments = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    anyio.run(partial(test, **arguments))
    return True


@pytest.fixture(scope="session")
def topview_contract() -> Contract:
    """The Topview contract, loaded once per session and shared by every fake (it is read-only)."""
    from ..contract.openapi import Contract

    return Contract.load()


@pytest.fixture
def topview_options(request: pytest.FixtureRequest) -> TopviewOptions:
    """This test's options from its ``@pytest.mark.topview`` markers."""
    return TopviewOptions.from_marks(request.node.iter_markers(MARKER))


@pytest.fixture
def topview_mock(
    request: pytest.FixtureRequest, topview_options: TopviewOptions, topview_contract: Contract
) -> Iterator[FakeTopview]:
    """An in-process fake Topview with its control API and httpx clients (see ``FakeTopview``)."""
    from .fake import FakeTopview

    options = topview_options
    fake = FakeTopview(
        options.build(topview_contract),
        uid=options.uid,
        api_key=options.api_key,
        base_url=BASE_URL,
        intercept=options.intercept,
    )
    try:
        yield fake
    finally:
        fake.close()
    _fail_on_errors(request, fake, "topview_mock")


@pytest.fixture
def topview_server(
    request: pytest.FixtureRequest, topview_options: TopviewOptions, topview_contract: Contract
) -> Iterator[LiveServer]:
    """A fake Topview served on a free 127.0.0.1 port from a background thread (``url``, ``env``)."""
    from .server import LiveServer

    options = topview_options
    server = LiveServer(options.build(topview_contract), uid=options.uid, api_key=options.api_key)
    server.start()
    try:
        yield server
    finally:
        server.stop()
    _fail_on_errors(request, server, "topview_server")


def _fail_on_errors(request: pytest.FixtureRequest, controls: TopviewControls, fixture: str) -> None:
    """Fail at teardown with the fake's unexpected exceptions, unless the test already failed."""
    errors = list(controls.errors)
    if not errors or request.node.stash.get(CALL_FAILED, False):
        return
    listed = "\n".join(f"  {type(error).__name__}: {error}" for error in errors)
    message = f"{fixture}: the fake raised {len(errors)} unexpected exception(s) (a bug in topview-mock):\n{listed}"
    raise AssertionError(message) from errors[0]
