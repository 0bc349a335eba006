"""Shared fixtures: a fake Topview app per test and an HTTP client on it (the call helpers are in ``topview_calls``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from built_wheel import InstalledWheel, installed_wheel
from hypothesis import settings
from starlette.applications import Starlette
from topview_calls import BASE_URL, load_contract

from mock_server import MockConfig, Progression, TopviewMock, create_app
from mock_server.contract.openapi import Contract

# Hypothesis fails an example that takes over 200 ms by default: a real-time margin, which a loaded machine
# breaks. No test here may depend on one, so no property test has a deadline.
settings.register_profile("topview-mock", deadline=None)
settings.load_profile("topview-mock")


@pytest.fixture
def anyio_backend() -> str:
    """Run the async tests on asyncio."""
    return "asyncio"


@pytest.fixture
def config() -> MockConfig:
    """The fake's settings: seed 0, time-driven tasks (init 1 s, running 3 s), a manual clock."""
    return MockConfig(seed=0, progression=Progression("time", init=1, running=3))


@pytest.fixture(scope="session")
def contract() -> Contract:
    """The contract, parsed once per session (it is read-only; every app gets its own state)."""
    return load_contract()


@pytest.fixture
def app(config: MockConfig, contract: Contract) -> Starlette:
    """A fresh fake Topview app built from the contract."""
    return create_app(mock=TopviewMock(config, contract=contract))


@pytest.fixture
def mock(app: Starlette) -> TopviewMock:
    """The app's fake: its clock, state and control API."""
    fake: TopviewMock = app.state.mock
    return fake


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app, as a client of api.topview.ai sees it."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL) as c:
        yield c


@pytest.fixture(scope="session")
def wheel_install(tmp_path_factory: pytest.TempPathFactory) -> InstalledWheel:
    """The checkout's wheel, built and installed outside the checkout once per session."""
    return installed_wheel(tmp_path_factory)
