"""The pytest plugin, used the way a downstream project uses it: test files in a fresh directory, run by
pytest in a subprocess that finds the plugin through its entry point (no conftest, no ``-p``)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]

FIXTURES_AND_MARKER = """
import os
import subprocess
import sys

import httpx
import pytest
import requests

from mock_server import Outcome, Progression
from mock_server.control.faults import FaultSpec

SUBMIT, QUERY = "/v1/scraper/task/submit", "/v1/scraper/task/query"
PRODUCT = {"productLink": "https://shop.example.com/p/1"}


async def test_async_client(topview_mock):  # no marker: the plugin runs it
    response = await topview_mock.client.post(SUBMIT, json=PRODUCT)
    task_id = response.json()["result"]["taskId"]
    topview_mock.advance(5)
    queried = await topview_mock.client.get(QUERY, params={"taskId": task_id})
    assert queried.json()["result"]["status"] == "success"


def test_sync_client(topview_mock):
    task_id = topview_mock.sync_client.post(SUBMIT, json=PRODUCT).json()["result"]["taskId"]
    assert topview_mock.task(task_id)["status"] == "init"
    topview_mock.advance(5)
    assert topview_mock.sync_client.get(QUERY, params={"taskId": task_id}).json()["result"]["status"] == "success"


def test_plain_sync_httpx_is_routed_to_the_fake(topview_mock):
    with httpx.Client(base_url="https://api.topview.ai", headers=topview_mock.headers) as client:
        assert client.post(SUBMIT, json=PRODUCT).json()["code"] == "200"
    assert len(topview_mock.tasks()) == 1


@pytest.mark.anyio  # anyio's own runner, on asyncio only (it would try trio too where trio is installed)
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_plain_async_httpx_is_routed_to_the_fake(topview_mock):
    async with httpx.AsyncClient(headers=topview_mock.headers) as client:
        response = await client.post("https://api.topview.ai" + SUBMIT, json=PRODUCT)
    assert response.json()["code"] == "200"
    assert len(topview_mock.tasks()) == 1


async def test_async_live_server(topview_server):
    async with httpx.AsyncClient(base_url=topview_server.url, headers=topview_server.headers) as client:
        response = await client.post(SUBMIT, json={**PRODUCT, "noticeUrl": "http://127.0.0.1:9/hook"})
    assert topview_server.complete(response.json()["result"]["taskId"])["status"] == "success"
    [delivery] = await topview_server.adrain_callbacks()  # refused at once: its retry waits on the clock
    assert delivery.attempts[0].error


def test_state_is_fresh_in_every_test(topview_mock):
    assert topview_mock.tasks() == []  # the tests above each left a task behind in their own fake


def test_control_api(topview_mock):
    client = topview_mock.sync_client
    topview_mock.script_outcomes("*", ["fail; message=out of stock"])
    failed = client.post(SUBMIT, json=PRODUCT).json()["result"]["taskId"]
    done = client.post(SUBMIT, json=PRODUCT).json()["result"]["taskId"]
    assert topview_mock.complete(done)["status"] == "success"
    topview_mock.advance(5)
    assert topview_mock.task(failed)["errorMsg"] == "out of stock"
    topview_mock.set_credits(topview_mock.uid, 7)
    assert client.get("/user/credit/detail").json()["result"]["remainCredit"] == 7
    assert len(topview_mock.journal.entries()) == 3  # the mock's own attributes are reachable too


def test_scenario_on_both_fixtures(topview_mock, topview_server):
    live = httpx.Client(base_url=topview_server.url, headers=topview_server.headers)
    for fake, client in ((topview_mock, topview_mock.sync_client), (topview_server, live)):
        applied = fake.apply_scenario({"faults": [{"operationId": "scraperSubmit", "code": "5003", "times": 1}]})
        assert applied.to_json() == {"faults": [{"operationId": "scraperSubmit", "code": "5003", "times": 1}]}
        assert [client.post(SUBMIT, json=PRODUCT).json()["code"] for _ in range(2)] == ["5003", "200"]
    live.close()


@pytest.mark.topview(seed=3, credits=10, progression=Progression("polls", 1, 2), uid="uid-carol")
def test_marker(topview_mock):
    assert topview_mock.mock.config.seed == 3
    client = topview_mock.sync_client
    assert client.get("/user/credit/detail").json()["result"]["remainCredit"] == 10
    task_id = client.post(SUBMIT, json=PRODUCT).json()["result"]["taskId"]
    statuses = [client.get(QUERY, params={"taskId": task_id}).json()["result"]["status"] for _ in range(3)]
    assert statuses == ["running", "running", "success"]
    assert topview_mock.tasks("uid-carol")


@pytest.mark.topview(
    outcomes={"scraperSubmit": [Outcome("fail", "blocked")]},
    faults=[FaultSpec(operation="uploadCredential", code="5000", times=1)],
)
def test_marker_outcomes_and_faults(topview_mock):
    client = topview_mock.sync_client
    assert client.get("/v1/upload/credential", params={"format": "png"}).json()["code"] == "5000"
    assert client.get("/v1/upload/credential", params={"format": "png"}).json()["code"] == "200"
    task_id = client.post(SUBMIT, json=PRODUCT).json()["result"]["taskId"]
    topview_mock.advance(5)
    assert topview_mock.task(task_id)["errorMsg"] == "blocked"


@pytest.mark.topview(
    outcomes={"scraperSubmit": "fail; message=blocked", "*": [{"status": "fail", "errorMsg": "later"}, "success"]},
    faults=[{"operationId": "uploadCredential", "code": "5000", "times": 1}],
    notice_policy={"maxAttempts": 1},
)
def test_marker_takes_the_control_api_json_shapes(topview_mock):
    client = topview_mock.sync_client
    assert client.get("/v1/upload/credential", params={"format": "png"}).json()["code"] == "5000"
    assert topview_mock.notices.policy.max_attempts == 1
    first = client.post(SUBMIT, json=PRODUCT).json()["result"]["taskId"]
    second = client.post(SUBMIT, json=PRODUCT).json()["result"]["taskId"]
    topview_mock.advance(5)
    assert [topview_mock.task(t)["errorMsg"] for t in (first, second)] == ["blocked", "later"]  # then "*"


@pytest.mark.topview(credits=5)
class TestClassMarker:
    @pytest.mark.topview(seed=9)
    def test_markers_merge(self, topview_mock):
        assert (topview_mock.mock.config.credits, topview_mock.mock.config.seed) == (5, 9)


@pytest.mark.topview(credits=3)
def test_live_server_with_requests(topview_server):
    session = requests.Session()
    session.headers.update(topview_server.headers)
    task_id = session.post(topview_server.url + SUBMIT, json=PRODUCT, timeout=10).json()["result"]["taskId"]
    topview_server.advance(5)
    queried = session.get(topview_server.url + QUERY, params={"taskId": task_id}, timeout=10)
    assert queried.json()["result"]["status"] == "success"
    assert session.get(topview_server.url + "/user/credit/detail", timeout=10).json()["result"]["remainCredit"] == 3
    assert topview_server.control_url.endswith("/_mock/")
    control = topview_server.control_url
    for url in (control, control.rstrip("/"), control + "/journal", control + "journal"):
        assert session.get(url, timeout=10).status_code == 200, url


def test_live_server_env_for_subprocesses(topview_server):
    code = "import os; print(os.environ['TOPVIEW_BASE_URL'], os.environ['TOPVIEW_UID'], os.environ['TOPVIEW_API_KEY'])"
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, **topview_server.env},
                         capture_output=True, text=True, check=True, timeout=30).stdout.split()
    assert out == [topview_server.url, topview_server.uid, topview_server.api_key]
    assert out[0].startswith("http://127.0.0.1:")
"""

ERRORS = """
import pytest
import requests


def boom(*args):
    raise RuntimeError("boom inside the fake")


def test_error_reaches_the_test(topview_mock):
    topview_mock.mock.engine.settle_tenant = boom
    topview_mock.sync_client.get("/user/credit/detail")


@pytest.mark.anyio
async def test_error_reaches_the_async_test(topview_mock):
    topview_mock.mock.engine.settle_tenant = boom
    await topview_mock.client.get("/user/credit/detail")


def test_swallowed_error_fails_at_teardown(topview_mock):
    topview_mock.mock.engine.settle_tenant = boom
    with pytest.raises(RuntimeError):
        topview_mock.sync_client.get("/user/credit/detail")


def test_server_error_fails_at_teardown(topview_server):
    topview_server.mock.engine.settle_tenant = boom
    response = requests.get(topview_server.url + "/user/credit/detail", headers=topview_server.headers, timeout=10)
    assert response.status_code == 500


def test_provoked_error_can_be_cleared(topview_mock):
    topview_mock.mock.engine.settle_tenant = boom
    with pytest.raises(RuntimeError):
        topview_mock.sync_client.get("/user/credit/detail")
    topview_mock.errors.clear()


@pytest.mark.topview(colour="blue")
def test_unknown_marker_option(topview_mock):
    pass


@pytest.mark.topview(faults=[{"operation": "scraperSubmit", "code": "5000"}])
def test_fault_in_python_field_names(topview_mock):
    pass


@pytest.mark.topview(outcomes={"scraperSubmit": ["fail", "maybe"]})
def test_outcome_of_no_known_shape(topview_mock):
    pass


@pytest.mark.topview(outcomes={"scraperSubmitt": "fail"})
def test_outcome_for_an_unknown_operation(topview_server):
    pass


@pytest.mark.topview(notice_policy={"maxAttempts": 0})
def test_notice_policy_out_of_range(topview_mock):
    pass
"""

WRONG_SHAPES = {
    "test_unknown_marker_option": "unknown option 'colour'",
    "test_fault_in_python_field_names": "faults[0]: operation is not a known field (known: code, drop,",
    "test_outcome_of_no_known_shape": "outcomes['scraperSubmit'][1]: outcome must be 'success' or 'fail'",
    "test_outcome_for_an_unknown_operation": "outcomes: scraperSubmitt is not an operationId of the contract",
    "test_notice_policy_out_of_range": "notice_policy: maxAttempts must be at least 1",
}

XDIST = """
import pytest

@pytest.mark.parametrize("n", range(4))
def test_in_process(topview_mock, n):
    topview_mock.sync_client.post("/v1/scraper/task/submit", json={"productLink": f"https://shop.example.com/p/{n}"})
    assert len(topview_mock.tasks()) == 1

@pytest.mark.parametrize("n", range(3))
def test_live(topview_server, n):
    import httpx
    response = httpx.get(topview_server.url + "/user/credit/detail", headers=topview_server.headers)
    assert response.json()["code"] == "200"
"""


def test_fixtures_and_marker(pytester: pytest.Pytester) -> None:
    """Every fixture and the marker work in a project that only installed the package."""
    pytester.makepyfile(test_downstream=FIXTURES_AND_MARKER)
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "error", "--strict-markers")
    result.assert_outcomes(passed=14)


def test_errors_inside_the_fake_surface(pytester: pytest.Pytester) -> None:
    """An exception inside the fake fails the test that caused it, never as a silent 500."""
    pytester.makepyfile(test_errors=ERRORS)
    recorder = pytester.inline_run("-p", "no:cacheprovider")
    failures = {
        (report.nodeid.split("::")[-1].split("[")[0], report.when): report.longreprtext
        for report in recorder.getreports("pytest_runtest_logreport")
        if report.failed
    }
    assert set(failures) == {
        ("test_error_reaches_the_test", "call"),
        ("test_error_reaches_the_async_test", "call"),
        ("test_swallowed_error_fails_at_teardown", "teardown"),
        ("test_server_error_fails_at_teardown", "teardown"),
        *((name, "setup") for name in WRONG_SHAPES),
    }
    assert "RuntimeError: boom inside the fake" in failures["test_error_reaches_the_test", "call"]
    assert "RuntimeError: boom inside the fake" in failures["test_error_reaches_the_async_test", "call"]
    for fixture, test in (
        ("topview_mock", "test_swallowed_error_fails_at_teardown"),
        ("topview_server", "test_server_error_fails_at_teardown"),
    ):
        text = failures[test, "teardown"]
        assert f"{fixture}: the fake raised 1 unexpected exception(s)" in text
        assert "RuntimeError: boom inside the fake" in text
    for name, message in WRONG_SHAPES.items():  # a usage error naming the field, never a TypeError from inside
        assert f"UsageError: @pytest.mark.topview: {message}" in failures[name, "setup"], failures[name, "setup"]


def test_parallel_under_xdist(pytester: pytest.Pytester) -> None:
    """Two workers, each with its own fakes: no fixed port, no shared file."""
    pytester.makepyfile(test_parallel=XDIST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=7)
    result.stdout.fnmatch_lines(["*2 workers*"])


def test_loading_the_plugin_imports_nothing_of_the_fake() -> None:
    """Every session of a project that installed topview-mock loads the plugin: the fake is imported by its fixtures."""
    heavy = ("starlette", "httpx", "faker", "yaml", "PIL", "mock_server.mock", "mock_server.contract")
    code = f"import sys, mock_server.testing.pytest_plugin; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.strip() == "[]"
