"""The dashboard's page and assets: served from the package, offline, and built only on the control API."""

from __future__ import annotations

import re
import subprocess
import sys

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

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


def test_an_app_that_never_serves_the_page_never_imports_jinja2() -> None:
    probe = "import sys, mock_server; mock_server.create_app(); print('jinja2' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
