"""The README stays true: its two commands, its endpoint table, and the control surface it documents."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.routing import Route

from mock_server import create_app
from mock_server.cli import parser as cli_parser
from mock_server.testing.fake import DEFAULT_API_KEY, DEFAULT_UID

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def code_blocks(text: str) -> list[str]:
    """The fenced code blocks, in order."""
    return [block.strip() for block in re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S)]


def test_readme_opens_with_the_serve_and_the_test_command() -> None:
    before_prose = README.split("\n\n", 1)[1]  # right after the title
    serve, test = code_blocks(README)[:2]
    assert before_prose.startswith("```sh\n" + serve)
    assert "\n" not in serve and "\n" not in test, "each is one command"
    assert serve.endswith("topview-mock serve") and "pip install ." in serve
    assert test == "./scripts/test"
    assert "./scripts/test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pytest" in (ROOT / "scripts" / "test").read_text(encoding="utf-8")


def test_endpoint_table_is_the_contract() -> None:
    rows = re.findall(r"^\| ([^|]+) \| (GET|POST|PUT|DELETE|PATCH) \| `([^`]+)` \| `([^`]+)` \|$", README, re.M)
    documented = {(method, path, op_id, group.strip()) for group, method, path, op_id in rows}
    mock = create_app().state.mock
    served = {(op.method, op.path, op.operation_id, op.tag) for op in mock.contract}
    assert documented == served
    assert len(rows) == len(documented), "no operation is listed twice"


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_every_control_route_is_documented() -> None:
    app = create_app()
    control = {
        (method, _shape(route.path))
        for route in app.routes
        if isinstance(route, Route) and route.path.startswith("/_mock/")
        for method in (route.methods or ())
        if method != "HEAD"
    }
    assert control, "the control plane has routes"
    documented = {(m, _shape(p)) for m, p in re.findall(r"`(GET|POST|PUT|DELETE) (/_mock/[^ `?]*)", README)}
    missing = control - documented
    assert not missing, f"control routes missing from the README: {sorted(missing)}"


def test_every_testing_header_and_cli_option_is_documented() -> None:
    sources = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "mock_server").rglob("*.py"))
    headers = set(re.findall(r"x-topview-mock-[a-z-]+", sources, flags=re.I))
    assert headers
    for header in headers:
        assert header.lower() in README.lower(), header
    parser = cli_parser()
    serve = next(a for a in parser._subparsers._group_actions[0].choices.values())  # type: ignore[union-attr]
    options = {opt for action in serve._actions for opt in action.option_strings if opt.startswith("--")}
    options.discard("--help")
    missing = sorted(o for o in options if o not in README)
    assert not missing, f"serve options missing from the README: {missing}"


def test_the_python_requirement_is_the_package_s() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'requires-python = ">=3.11"' in pyproject
    assert "**Python 3.11 or later**" in README


def test_the_fixtures_default_account_is_documented() -> None:
    assert f"`{DEFAULT_UID}`" in README and f"`{DEFAULT_API_KEY}`" in README


def test_troubleshooting_explains_the_errors_users_meet() -> None:
    section = README[README.index("### Troubleshooting") : README.index("## How it behaves")]
    for error in (
        "requires a different Python",
        "async def functions are not natively supported",
        "TypeError",
        "adrain_notices",
        "cannot run inside an event loop",
        '"code": "4100"',
        "is not a known field",
        "no control route",
        "does not belong to this Topview-Uid",
    ):
        assert error in section, error
