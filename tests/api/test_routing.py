"""Routing: every contract operation is served, and every route comes from the contract."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import httpx
import pytest
import requests
from starlette.applications import Starlette
from starlette.routing import Route
from topview_calls import BASE_URL, assert_valid, headers, load_contract

from mock_server import MockConfig, TopviewMock
from mock_server.testing.server import LiveServer

# The only routes that are not Topview operations: the control plane and the object store.
NON_CONTRACT_PREFIXES = ("/_mock/", "/_objects/", "/_cdn/")


def contract_operations(mock: TopviewMock) -> set[tuple[str, str, str]]:
    """(method, path, operationId) of every contract operation."""
    return {(op.method, op.path, op.operation_id) for op in mock.contract}


def app_routes(app: Starlette) -> list[Route]:
    """The app's plain routes (no mounts are expected)."""
    routes = list(app.routes)
    assert all(isinstance(route, Route) for route in routes), routes
    return [route for route in routes if isinstance(route, Route)]


def test_every_contract_operation_has_a_route(app: Starlette, mock: TopviewMock) -> None:
    """Contract → app: each operation is routed at its path and method, named by its operationId."""
    served = {
        (method, route.path, route.name)
        for route in app_routes(app)
        for method in (route.methods or ())
        if method != "HEAD"
    }
    missing = contract_operations(mock) - served
    assert not missing, f"contract operations without a route: {sorted(missing)}"


def test_every_route_comes_from_the_contract(app: Starlette, mock: TopviewMock) -> None:
    """App → contract: a route is a contract operation or lives under a control/store prefix."""
    by_path = {(op.method, op.path): op.operation_id for op in mock.contract}
    strays = []
    for route in app_routes(app):
        if route.path.startswith(NON_CONTRACT_PREFIXES):
            continue
        methods = {m for m in route.methods or () if m != "HEAD"}
        for method in methods:
            if by_path.get((method, route.path)) != route.name:
                strays.append((method, route.path, route.name))
        if not methods:
            strays.append(("?", route.path, route.name))
    assert not strays, f"routes the contract does not declare: {strays}"


def test_one_route_per_contract_path_and_method(app: Starlette, mock: TopviewMock) -> None:
    """No operation is served twice (two routes for one path and method)."""
    seen: dict[tuple[str, str], int] = {}
    for route in app_routes(app):
        for method in route.methods or ():
            if method != "HEAD":
                seen[(method, route.path)] = seen.get((method, route.path), 0) + 1
    doubles = {key: n for key, n in seen.items() if n > 1}
    assert not doubles


@pytest.mark.anyio
async def test_every_operation_answers_through_the_pipeline(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Each operation answers HTTP 200 with an envelope its contract allows (here: an error for an empty call)."""
    for op in mock.contract:
        if op.method == "GET":
            response = await client.get(op.path, headers=headers())
        else:
            response = await client.request(op.method, op.path, headers=headers(), json={})
        assert response.status_code == 200, (op.operation_id, response.text)
        body = response.json()
        assert "no such endpoint" not in body["message"], op.operation_id
        assert_valid(op.operation_id, body)


@pytest.mark.anyio
async def test_calls_without_auth_answer_401_on_every_operation(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Every operation refuses a call without the Topview headers with envelope code 401."""
    for op in mock.contract:
        response = await client.request(op.method, op.path, json={} if op.method != "GET" else None)
        assert response.status_code == 200, op.operation_id
        body = response.json()
        assert body["code"] == "401", (op.operation_id, body)
        assert body["result"] is None


@pytest.mark.anyio
async def test_unknown_path_answers_4004_with_http_404(client: httpx.AsyncClient) -> None:
    """A path the API does not have is not a business error: HTTP 404 with envelope 4004."""
    response = await client.get("/v1/no/such/endpoint", headers=headers())
    assert response.status_code == 404
    assert response.json()["code"] == "4004"
    assert response.json()["result"] is None


@pytest.mark.anyio
async def test_wrong_method_on_a_contract_path(client: httpx.AsyncClient) -> None:
    """A contract path called with another method is refused with an envelope, not served."""
    response = await client.get("/v1/m2v/task/submit", headers=headers())
    assert response.status_code == 405
    assert response.json()["code"] == "4004"


# -- paths as real clients write them ------------------------------------------------------------------------

SCRAPE = {"productLink": "https://shop.example.com/p/1"}


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["//v1/scraper/task/submit", "/v1//scraper/task/submit", "/v1/scraper/task/submit/"])
async def test_doubled_and_trailing_slashes_reach_the_operation(client: httpx.AsyncClient, path: str) -> None:
    """A base URL joined with a slash too many, or a trailing slash, is served as the path itself (no 307)."""
    response = await client.post(BASE_URL + path, headers=headers(), json=SCRAPE)
    assert response.status_code == 200, response.status_code
    assert response.json()["code"] == "200" and len(response.json()["result"]["taskId"]) == 32


@pytest.mark.anyio
async def test_a_doubled_slash_on_a_get_with_a_query(client: httpx.AsyncClient) -> None:
    """``/v1//upload/credential?format=png`` is an upload credential."""
    response = await client.get(BASE_URL + "/v1//upload/credential", params={"format": "png"}, headers=headers())
    assert response.json()["code"] == "200", response.text


@pytest.mark.anyio
async def test_a_slashed_path_with_the_wrong_method_is_405(client: httpx.AsyncClient) -> None:
    """Normalising the path does not serve another method: GET on ``//v1/scraper/task/submit/`` is 405."""
    response = await client.get(BASE_URL + "//v1/scraper/task/submit/", headers=headers())
    assert response.status_code == 405 and response.json()["code"] == "4004"


@pytest.fixture(scope="module")
def live() -> Iterator[LiveServer]:
    """The fake on a loopback port, for clients that speak real HTTP."""
    server = LiveServer(TopviewMock(MockConfig(), contract=load_contract())).start()
    try:
        yield server
    finally:
        server.stop()


def test_urllib_posts_to_a_trailing_slash(live: LiveServer) -> None:
    """urllib raises on a 307 for POST; the fake answers the operation instead."""
    request = urllib.request.Request(
        live.url + "/v1/scraper/task/submit/",
        data=json.dumps(SCRAPE).encode(),
        headers={**live.headers, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert json.load(response)["code"] == "200"


def test_requests_with_a_hard_coded_doubled_slash(live: LiveServer) -> None:
    """A client hard-coding ``https://api.topview.ai//v1/...`` works once its base URL points at the fake."""
    response = requests.get(
        live.url + "//v1/upload/credential", params={"format": "mp4"}, headers=live.headers, timeout=10
    )
    assert response.status_code == 200 and response.json()["code"] == "200", response.text
