"""The dashboard's page and assets: served from the package, offline, and built only on the control API."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from mock_server.dashboard import routes
from mock_server.dashboard.routes import ASSETS

pytestmark = pytest.mark.anyio


async def test_the_page_links_its_assets_and_the_control_api(app: Starlette) -> None:
    transport = httpx.ASGITransport(app, root_path="/behind/proxy")  # as mounted below a prefix
    async with httpx.AsyncClient(transport=transport, base_url="http://fake") as client:
        page = await client.get("/_mock/ui")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'data-control="/behind/proxy/_mock"' in page.text
    assert 'src="/behind/proxy/_mock/ui/static/dashboard.js"' in page.text
    assert 'href="/behind/proxy/_mock/ui/static/dashboard.css"' in page.text


@pytest.mark.parametrize(("name", "kind"), [("dashboard.js", "javascript"), ("dashboard.css", "text/css")])
async def test_the_assets_ship_in_the_package(client: httpx.AsyncClient, name: str, kind: str) -> None:
    response = await client.get(f"/_mock/ui/static/{name}")
    assert response.status_code == 200 and kind in response.headers["content-type"]
    assert response.text == ASSETS[name].read_text(encoding="utf-8")


async def test_nothing_else_is_served_from_the_package(client: httpx.AsyncClient) -> None:
    for name in ("routes.py", "..%2F__init__.py", "nope.js"):
        response = await client.get(f"/_mock/ui/static/{name}")
        assert response.status_code == 404 and "error" in response.json(), name


async def test_the_page_works_offline(client: httpx.AsyncClient) -> None:
    page = (await client.get("/_mock/ui")).text
    for text in (page, *(path.read_text(encoding="utf-8") for path in ASSETS.values())):
        assert not re.search(r"(https?:)?//[\w.-]+\.[a-z]{2,}", text), "no CDN, font or any other remote resource"
        assert "@import" not in text


def test_the_script_only_calls_the_control_api(app: Starlette) -> None:
    script = ASSETS["dashboard.js"].read_text(encoding="utf-8")
    assert script.count("fetch(") == 1 and "fetch(CONTROL + path" in script
    found = re.findall(r'"(GET|POST|PUT|DELETE)",\s*"(/[^"]*)"', script)
    calls = {(method, path.split("?")[0]) for method, path in found if not path.endswith("/")}
    assert len(calls) >= 8 and '"POST", "/tasks/" + task.taskId + "/complete"' in script
    routes = {
        (method, route.path) for route in app.routes if isinstance(route, Route) for method in route.methods or ()
    }
    used = {(method, "/_mock" + path) for method, path in calls} | {("POST", "/_mock/tasks/{task_id}/complete")}
    assert used <= routes, used - routes


async def test_the_index_points_at_the_dashboard(client: httpx.AsyncClient) -> None:
    index = (await client.get("/_mock/")).json()
    assert index["dashboard"] == "/_mock/ui"
    assert {"method": "GET", "path": "/_mock/ui"} in [
        {"method": r["method"], "path": r["path"]} for r in index["routes"]
    ]


def test_jinja2_is_imported_only_when_the_page_is_served() -> None:
    tree = ast.parse(Path(routes.__file__).read_text(encoding="utf-8"))
    at_import = {alias.name for node in tree.body if isinstance(node, ast.Import) for alias in node.names}
    at_import |= {node.module or "" for node in tree.body if isinstance(node, ast.ImportFrom)}
    assert not {name for name in at_import if name.startswith(("jinja2", "starlette.templating"))}
    inside = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert "jinja2" in inside  # imported by the function that builds the template environment
