"""No input makes the fake answer 5xx: arbitrary bytes, hostile JSON and absurd headers and parameters.

Hypothesis sends every operation of the contract, the object store and every control route bodies of
arbitrary bytes and JSON-ish text built to hurt: nesting thousands deep, lone UTF-16 surrogates (escaped
and as raw invalid UTF-8), ``NaN``/``Infinity``, numbers of 5,000 digits, numbers beyond a double; query
and signed-URL parameters of 5,000 digits; header values of 10,000 characters or Latin-1 noise. Each
answer must be below 500 and in its surface's format (the envelope, S3's XML, the control API's JSON),
and afterwards the journal, the callback journal and the listing routes must still answer.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis_checks import OperationContract, flatten
from test_hypothesis_requests import put, sites, valid_request, wire

from mock_server import MockConfig, create_app
from mock_server.control.routes import PREFIX, ROUTES
from mock_server.control.scenario import FIELDS as SCENARIO_FIELDS
from mock_server.control.schema import FAULT_FIELDS, POLICY_FIELDS
from mock_server.testing.fake import ErrorTrap

UID = "uid-hostile"
AUTH = {"Topview-Uid": UID, "Authorization": "Bearer hostile-key"}
HOSTILE = settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)

# -- what is sent ---------------------------------------------------------------------------------------------

# JSON tokens Python's json module reads but Jackson (or JSON itself) would not hold.
HOSTILE_NUMBERS = ("NaN", "Infinity", "-Infinity", "1e400", "-1e400", "9" * 5000, "9" * 1001, str(2**64), "-0.0")
HOSTILE_STRINGS = ('"\\ud800"', '"a\\udfffb"', '"\\udc00\\ud800"', '"\\ud83d\\ude00"', json.dumps("9" * 5000))
# Raw bytes that are not UTF-8: a CESU-8 surrogate, a stray continuation byte, an overlong slash.
BAD_UTF8 = (b"\xed\xa0\x80", b"\xff", b"\x80", b"\xc0\xaf")
# Query and header values: 5,000 digits, non-ASCII digits int() refuses, surrogate escapes, noise.
HOSTILE_PARAMS = ("9" * 5000, "-" + "9" * 40, "1e400", "NaN", "²³", "٣", "%ED%A0%80", "\u00ff" * 300, "", " ")


SCALARS = st.one_of(
    st.sampled_from(HOSTILE_NUMBERS + HOSTILE_STRINGS + ("null", "true", "false", "0", '""', str(2**63))),
    st.sampled_from(["1e300", "1.7976931348623157e308", "-1e300", "1e-320", "86400", str(2**53 + 1), "0.1"]),
    st.integers().map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(json.dumps),
    st.text(max_size=20).map(json.dumps),
)

# Numbers a JSON parser reads fine but that overflow whatever they end up in: dates, Decimals, timeouts.
HUGE = st.one_of(
    st.sampled_from(["1e300", "1.7976931348623157e308", str(2**63), str(2**63 - 1), "1e18", "1e13", "3.2e10"]),
    st.floats(min_value=1e9, allow_infinity=False).map(json.dumps),
    st.integers(min_value=10**9).map(str),
)

# The same as Python values, for a field of an otherwise valid request (json.dumps writes NaN, Infinity and
# "\ud800" escapes; query values are written as text).
HOSTILE_VALUES = (
    float("nan"),
    float("inf"),
    -float("inf"),
    10**500,
    2**63,
    -(2**63) - 1,
    1e300,
    -0.0,
    5e-324,
    "\ud800",
    "a\udfffb",
    "9" * 5000,
    "x" * 20_000,
    "\x00",
    "..",
    "%ff",
)


def json_text(keys: list[str]) -> st.SearchStrategy[str]:
    """JSON-ish text: valid JSON with hostile tokens, the operation's own field names among the keys."""
    scalars = SCALARS
    names = st.sampled_from(keys) if keys else st.text(max_size=8)
    key = st.one_of(names, st.text(max_size=8), st.sampled_from(['"\\ud800"'])).map(
        lambda k: k if k.startswith('"') else json.dumps(k)
    )

    def containers(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        arrays = st.lists(inner, max_size=4).map(lambda items: "[" + ",".join(items) + "]")
        objects = st.lists(st.tuples(key, inner), max_size=5).map(
            lambda pairs: "{" + ",".join(f"{k}:{v}" for k, v in pairs) + "}"
        )
        return arrays | objects

    deep = st.tuples(st.integers(90, 3000), st.sampled_from(["[", '{"a":['])).map(
        lambda nd: nd[1] * nd[0] + ("]" if nd[1] == "[" else "]}") * nd[0]
    )
    return st.one_of(st.recursive(scalars, containers, max_leaves=12), deep, *([fields(keys)] if keys else []))


def fields(keys: list[str]) -> st.SearchStrategy[str]:
    """Objects of known field names with hostile values, so they get past the parser into the handlers."""
    value = st.one_of(HUGE, SCALARS, st.lists(SCALARS, max_size=3).map(lambda items: "[" + ",".join(items) + "]"))
    return st.dictionaries(st.sampled_from(keys), value, min_size=1, max_size=4).map(
        lambda d: "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in d.items()) + "}"
    )


def bodies(keys: list[str]) -> st.SearchStrategy[bytes]:
    """Arbitrary bytes, hostile JSON text, or hostile JSON text with invalid UTF-8 spliced in."""
    text = json_text(keys).map(str.encode)
    spliced = st.tuples(text, st.sampled_from(BAD_UTF8), st.integers(0, 50)).map(
        lambda t: t[0][: t[2]] + t[1] + t[0][t[2] :]
    )
    return st.one_of(st.binary(max_size=64), text, spliced)


latin1 = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"), max_size=40)
header_values = st.one_of(latin1, st.sampled_from(["x" * 10_000, "Bearer " + "k" * 10_000, *HOSTILE_PARAMS]))


@st.composite
def headers(draw: st.DrawFn) -> list[tuple[bytes, bytes]]:
    """Valid credentials mostly; sometimes each header replaced, or a control header added, with junk."""
    chosen = {"topview-uid": UID, "authorization": AUTH["Authorization"], "content-type": "application/json"}
    for name in ("topview-uid", "authorization", "content-type", "x-topview-mock-code", "x-topview-mock-outcome"):
        if draw(st.integers(0, 5)) == 0:
            chosen[name] = draw(header_values)
    return [(name.encode(), _header_bytes(value)) for name, value in chosen.items()]


def _header_bytes(value: str) -> bytes:
    """Latin-1 bytes as servers read headers, or UTF-8 for what Latin-1 cannot hold."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def query_for(names: list[str]) -> st.SearchStrategy[dict[str, str]]:
    """Query parameters: the operation's own names and some others, with hostile values."""
    value = st.one_of(st.sampled_from(HOSTILE_PARAMS), st.text(max_size=12))
    return st.dictionaries(st.sampled_from(names) if names else st.text(max_size=6), value, max_size=4)


# -- how answers are judged ------------------------------------------------------------------------------------


def served_operations() -> list[OperationContract]:
    """Every operation of the served contract."""
    document = create_app(MockConfig(seed=0)).state.mock.contract.document
    return [
        OperationContract.read(document, method, path)
        for path, item in document["paths"].items()
        for method in ("get", "post", "put", "patch", "delete")
        if method in item
    ]


OPERATIONS = served_operations()


@pytest.fixture(scope="module")
def trapped() -> ErrorTrap:
    """One fake for a module: state left by earlier examples (stored junk, if any) is what is tested."""
    return ErrorTrap(create_app(MockConfig(seed=0)))


def as_query(params: Mapping[str, str]) -> str:
    """A query string of ``params``, lone surrogates written as the bytes a sloppy encoder would send."""
    return urlencode({name: value.encode("utf-8", "surrogatepass") for name, value in params.items()})


def exchange(app: ErrorTrap, requests: list[dict[str, Any]]) -> list[httpx.Response]:
    """Send ``requests`` in order to the in-process app; 500s are answers here, not exceptions."""

    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="https://api.topview.ai") as client:
            return [await client.request(**request) for request in requests]

    return asyncio.run(go())


def assert_envelope(response: httpx.Response) -> None:
    """A Topview answer: below 500, the envelope with a string code."""
    assert response.status_code < 500, response.text
    envelope = response.json()
    assert set(envelope) == {"code", "message", "result"} and isinstance(envelope["code"], str), envelope


def assert_still_answering(app: ErrorTrap) -> None:
    """The journal, the callback journal and listings of stored state still render (nothing unwritable kept)."""
    checks = [
        {"method": "GET", "url": f"{PREFIX}/journal", "params": {"limit": "3"}},  # older ones were checked before
        {"method": "GET", "url": f"{PREFIX}/callbacks"},
        {"method": "GET", "url": f"{PREFIX}/tasks"},
        {"method": "GET", "url": f"{PREFIX}/clock"},
        {"method": "GET", "url": "/boards/list", "headers": AUTH},
        {"method": "GET", "url": "/user/credit/detail", "headers": AUTH},
        {"method": "GET", "url": "/user/credit/logs", "headers": AUTH},
        {"method": "GET", "url": "/v1/upload/credential", "params": {"format": "png"}, "headers": AUTH},
    ]
    for response in exchange(app, checks):
        assert response.status_code == 200, (response.request.url, response.text)
        response.json()
    errors = list(app.errors)
    app.errors.clear()  # one example's failure must not fail the next ones
    assert errors == [], errors


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.operation_id for op in OPERATIONS])
@HOSTILE
@given(data=st.data())
def test_no_operation_answers_5xx(trapped: ErrorTrap, operation: OperationContract, data: st.DataObject) -> None:
    """Hostile bodies, query parameters and headers get an envelope, never a 5xx; the journal keeps it."""
    body_keys = sorted(flatten(operation.body or {}).get("properties", {}))
    request = {
        "method": operation.method,
        "url": operation.path,
        "params": data.draw(query_for(sorted(operation.query.get("properties", {})))),
        "headers": data.draw(headers()),
        "content": data.draw(bodies(body_keys)) if operation.method != "GET" else None,
    }
    fields_of = sites(operation)
    if fields_of and data.draw(st.booleans()):  # a valid request but for one hostile value, to reach the handler
        site = data.draw(st.sampled_from(fields_of))
        valid = data.draw(valid_request(operation, site))
        put(valid, site, data.draw(st.sampled_from(HOSTILE_VALUES)))
        request["params"] = {name: wire(value) for name, value in valid["query"].items()}
        request["url"] += "?" + as_query(request.pop("params"))  # "\ud800" goes out as its (invalid) UTF-8 bytes
        request["content"] = None if valid["body"] is None else json.dumps(valid["body"]).encode()
        request["headers"] = AUTH | {"Content-Type": "application/json"}
    [response] = exchange(trapped, [request])
    assert_envelope(response)
    [last] = trapped.app.state.mock.journal.entries(limit=1)  # type: ignore[attr-defined]
    assert (last.path, last.status) == (operation.path, response.status_code)
    assert_still_answering(trapped)


# -- the object store --------------------------------------------------------------------------------------------

SIGNED = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders")
CDN = ("Expires", "Signature", "Key-Pair-Id")


def upload_url(app: ErrorTrap) -> str:
    """A fresh presigned PUT URL, path and query, from the credential endpoint."""
    [response] = exchange(
        app, [{"method": "GET", "url": "/v1/upload/credential", "params": {"format": "png"}, "headers": AUTH}]
    )
    return str(response.json()["result"]["uploadUrl"]).removeprefix("https://api.topview.ai")


@HOSTILE
@given(
    method=st.sampled_from(["GET", "HEAD", "PUT", "POST", "DELETE"]),
    prefix=st.sampled_from(["/_objects/", "/_cdn/"]),
    replaced=st.dictionaries(st.sampled_from(SIGNED + CDN + ("X-Amz-Signature",)), st.sampled_from(HOSTILE_PARAMS)),
    key=st.one_of(st.none(), st.text(min_size=1, max_size=30)),
    length=st.one_of(st.none(), st.sampled_from(["9" * 5000, "²", "-1", "1" + "0" * 20])),
    body=st.binary(max_size=32),
)
def test_the_object_store_answers_s3_errors(
    trapped: ErrorTrap,
    method: str,
    prefix: str,
    replaced: dict[str, str],
    key: str | None,
    length: str | None,
    body: bytes,
) -> None:
    """Tampered presigned URLs (5,000-digit expiries, foreign digits), odd keys and lengths: S3's XML, never 5xx."""
    path, _, query = upload_url(trapped).partition("?")
    params = dict(pair.split("=", 1) for pair in query.split("&"))
    params.update({name: quote(value, safe="") for name, value in replaced.items()})
    path = prefix + quote(key, safe="/") if key is not None else path.replace("/_objects/", prefix)
    headers = [(b"content-length", length.encode())] if length is not None and method == "PUT" else []
    request = {"method": method, "url": f"{path}?{'&'.join(f'{k}={v}' for k, v in params.items())}"}
    if method in ("PUT", "POST"):
        request["content"] = body
    if headers:
        request["headers"] = headers
        request["content"] = body
    try:
        [response] = exchange(trapped, [request])
    except httpx.HTTPError:  # httpx itself refuses some absurd Content-Length combinations: nothing was sent
        return
    assert response.status_code < 500, response.text
    if response.status_code >= 400 and method != "HEAD":
        assert response.text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>'), response.text
    assert_still_answering(trapped)


# -- the control routes -----------------------------------------------------------------------------------------

# The fields each control route reads, so drawn bodies reach its checks; the rest get all of them.
ROUTE_FIELDS: dict[str, list[str]] = {
    "/reset": ["uid"],
    "/clock/advance": ["seconds"],
    "/tasks/{task_id}/complete": ["status", "errorMsg"],
    "/tasks/{task_id}/outcome": ["status", "errorMsg"],
    "/outcomes": ["operationId", "outcomes"],
    "/progression": ["mode", "init", "running", "uid", "kind", "taskId"],
    "/concurrency": ["maxUnfinished"],
    "/credits": ["uid", "credit"],
    "/faults": sorted(FAULT_FIELDS),
    "/callbacks/policy": sorted(POLICY_FIELDS),
    "/scenario": sorted(SCENARIO_FIELDS),
}
ALL_FIELDS = sorted({name for names in ROUTE_FIELDS.values() for name in names})


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p, _ in ROUTES], ids=[f"{m} {p}" for m, p, _ in ROUTES])
@settings(HOSTILE, max_examples=25)  # control calls are cheap, and their fields are few
@given(
    data=st.data(),
    segment=st.sampled_from([p for p in HOSTILE_PARAMS if p.strip()] + ["\ud800", "dlv-000001", "fault-1"]),
    query=st.dictionaries(
        st.sampled_from(["uid", "status", "state", "taskId", "limit", "code", "operationId"]),
        st.sampled_from(HOSTILE_PARAMS),
    ),
)
def test_no_control_route_answers_5xx(
    trapped: ErrorTrap, method: str, path: str, data: st.DataObject, segment: str, query: dict[str, str]
) -> None:
    """Hostile control bodies, path segments and query values answer plain JSON below 500."""
    known = ROUTE_FIELDS.get(path, ALL_FIELDS)
    body = data.draw(st.one_of(fields(known).map(str.encode), bodies(known)))
    url = PREFIX + re.sub(r"\{\w+\}", quote(segment.encode("utf-8", "surrogatepass"), safe=""), path)
    [response] = exchange(trapped, [{"method": method, "url": url, "content": body, "params": query}])
    assert response.status_code in (200, 400, 404, 409), response.text
    if "json" in response.headers["content-type"]:  # all but the contract itself (/_mock/openapi.yaml)
        assert isinstance(response.json(), dict)
    mock: Any = trapped.app.state.mock  # type: ignore[attr-defined]
    mock.faults.reset()  # a rule drawn here (latency, 503s) is no business of the next example
    mock.variants.reset()  # nor a scenario's reshaped answers
    assert_still_answering(trapped)
