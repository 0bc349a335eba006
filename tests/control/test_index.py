"""The control URL itself: an index of the control routes, slash-tolerant paths, and the contract served."""

from __future__ import annotations

import json

import httpx
import pytest
import yaml
from starlette.applications import Starlette
from starlette.routing import Route

from mock_server.contract.resources import YAML_LOADER, data_dir
from mock_server.control.index import canonical

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("path", ["/_mock", "/_mock/", "/_mock//"])
async def test_the_control_url_answers_an_index_of_every_control_route(
    client: httpx.AsyncClient, app: Starlette, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    index = response.json()
    served = {
        (method, route.path)
        for route in app.routes
        if isinstance(route, Route) and route.path.startswith("/_mock/") and route.path != "/_mock/"
        for method in route.methods or ()
        if method != "HEAD"
    }
    listed = {(r["method"], r["path"]) for r in index["routes"]}
    assert listed == served
    assert ("POST", "/_mock/clock/advance") in listed
    assert all(r["doc"].startswith(r["method"] + " /_mock/") and ": " in r["doc"] for r in index["routes"])
    assert index["openapi"] == ["/_mock/openapi.yaml", "/_mock/openapi.json"]


@pytest.mark.parametrize("path", ["/_mock/clock", "/_mock//clock", "/_mock/clock/", "/_mock///clock//"])
async def test_a_control_route_is_found_whatever_the_slashes_around_it(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.json()["mode"] == "manual"


async def test_posting_through_a_doubled_slash_reaches_the_route(client: httpx.AsyncClient) -> None:
    control_url = "/_mock/"  # as printed; a caller appends "/clock/advance"
    response = await client.post(control_url + "/clock/advance", json={"seconds": 3})
    assert response.status_code == 200
    assert (await client.get("/_mock/clock")).json()["now"] == response.json()["now"]


def test_only_control_paths_are_made_canonical() -> None:
    assert canonical("/_mock") == canonical("/_mock/") == "/_mock/"
    assert canonical("/_mock//tasks/abc/") == "/_mock/tasks/abc"
    assert canonical("/v1/scraper/task/query/") == "/v1/scraper/task/query/"
    assert canonical("/_mockery//x") == "/_mockery//x"


async def test_an_unknown_control_route_answers_plain_json_pointing_at_the_index(client: httpx.AsyncClient) -> None:
    response = await client.get("/_mock/nothing")
    assert response.status_code == 404
    assert "code" not in response.json()
    assert "GET /_mock/ lists them" in response.json()["error"]
    wrong = await client.delete("/_mock/clock")
    assert wrong.status_code == 405 and "DELETE is not supported" in wrong.json()["error"]


async def test_the_contract_is_served_as_yaml_and_json(client: httpx.AsyncClient) -> None:
    source = yaml.load((data_dir("contracts") / "topview.openapi.yaml").read_text(encoding="utf-8"), YAML_LOADER)
    as_yaml = await client.get("/_mock/openapi.yaml")
    as_json = await client.get("/_mock/openapi.json")
    assert as_yaml.headers["content-type"].startswith("application/yaml")
    assert as_json.headers["content-type"].startswith("application/json")
    assert yaml.load(as_yaml.text, YAML_LOADER) == source
    assert json.loads(as_json.text) == source
