"""Property tests of request validation, parametrised over the operations of the served contract.

For every operation, starting from a request that is valid under its contract schemas (values drawn
from those schemas by the strategies below), one thing is broken and the answer must name it:

(a) a body that is not a JSON object, or is not JSON at all → 4001;
(b) a required field dropped (or sent empty: ``null``, ``""``, ``[]``) → 4003 naming the field;
(c) an enum field set outside its enum → 4000 naming the field;
(d) an object or array where a scalar belongs (in the body), or a string that is no number or boolean
    (in the query) → 4001 naming the field;
(e) an optional field sent empty (``null``, ``""`` or ``[]`` in the body, ``?name=`` in the query) is
    absent: never a 4001, and never a complaint about that field.

Fields are addressed by paths of property names, ``[]`` standing for the first item of an array; the
fake's messages write them ``a.b[0].c``. Nested fields are reached through objects and arrays.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from schemathesis_checks import OperationContract, coerce_scalar, flatten
from starlette.applications import Starlette

from mock_server import MockConfig, create_app

CREDENTIALS = {"Topview-Uid": "uid-hypothesis", "Authorization": "Bearer hypothesis-key"}
SCALARS = frozenset({"string", "integer", "number", "boolean", "null"})
Path = tuple[str, ...]

PROPERTY_SETTINGS = settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


# -- the operations of the served contract ---------------------------------------------------------------------


def served_operations() -> list[OperationContract]:
    """Every operation of the contract a fresh app serves, in document order."""
    document = create_app(MockConfig(seed=0)).state.mock.contract.document
    return [
        OperationContract.read(document, method, path)
        for path, item in document["paths"].items()
        for method in ("get", "post", "put", "patch", "delete")
        if method in item
    ]


OPERATIONS = served_operations()


@dataclass(frozen=True, slots=True)
class Site:
    """One field of a request: where it is (``query`` or ``body``), its path and its schema."""

    where: str
    path: Path
    schema: Mapping[str, Any]
    required: bool

    @property
    def name(self) -> str:
        """The field as the fake's messages name it."""
        out = ""
        for step in self.path:
            out += "[0]" if step == "[]" else (f".{step}" if out else step)
        return out


def body_sites(schema: Mapping[str, Any], path: Path = ()) -> Iterator[Site]:
    """Every field of a body schema reachable through object properties and array items."""
    schema = flatten(schema)
    required = set(schema.get("required", ()))
    for name, sub in (schema.get("properties") or {}).items():
        yield Site("body", (*path, name), sub, name in required)
        yield from body_sites(sub, (*path, name))
    items = schema.get("items")
    if isinstance(items, Mapping) and path:
        yield from body_sites(items, (*path, "[]"))


def sites(operation: OperationContract) -> list[Site]:
    """The query parameters and body fields of an operation."""
    query = operation.query
    found = [Site("query", (name,), sub, name in query["required"]) for name, sub in query["properties"].items()]
    if operation.body is not None:
        found += body_sites(operation.body)
    return found


def types_of(schema: Mapping[str, Any]) -> set[str]:
    """The JSON types a schema allows (empty when it does not say)."""
    types = schema.get("type")
    return {types} if isinstance(types, str) else set(types or ())


def operations_with(kind: str) -> list[Any]:
    """pytest params: the operations having at least one site of ``kind``, id'd by operationId."""
    picked = [op for op in OPERATIONS if any(pick(kind, site) for site in sites(op))]
    return [pytest.param(op, id=op.operation_id) for op in picked]


def pick(kind: str, site: Site) -> bool:
    """Whether ``site`` can be broken the way ``kind`` says."""
    types = types_of(site.schema)
    if kind == "required":
        return site.required
    if kind == "optional":
        return not site.required
    if kind == "enum":
        return "enum" in site.schema and types <= {"string", "integer", "null"} and bool(types)
    if kind == "type" and site.where == "body":
        return bool(types) and types <= SCALARS
    if kind == "type":  # a query value is a string on the wire: only numbers and booleans can be wrong
        return bool(types) and types <= {"integer", "number", "boolean"}
    return False


# -- valid values from the contract's schemas -------------------------------------------------------------------


def values(schema: Mapping[str, Any], forced: Path = ()) -> st.SearchStrategy[Any]:
    """Values valid under ``schema`` and never empty; ``forced`` is a path that must be present."""
    schema = flatten(schema)
    if "anyOf" in schema:  # a null alternative (an optional field's) is no value: absence is drawn elsewhere
        alternatives = [alternative for alternative in schema["anyOf"] if types_of(alternative) != {"null"}]
        return st.one_of([values(alternative) for alternative in alternatives])
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from([v for v in schema["enum"] if v not in (None, "", [])])
    types = sorted(types_of(schema) - {"null"}) or ["string"]
    return st.one_of([_typed(kind, schema, forced) for kind in types])


def _typed(kind: str, schema: Mapping[str, Any], forced: Path) -> st.SearchStrategy[Any]:
    if kind == "object":
        return _object(schema, forced)
    if kind == "array":
        return _array(schema, forced)
    if kind == "boolean":
        return st.booleans()
    if kind in ("integer", "number"):
        return _number(kind, schema)
    return _string(schema)


def _object(schema: Mapping[str, Any], forced: Path) -> st.SearchStrategy[dict[str, Any]]:
    properties = schema.get("properties") or {}
    must = set(schema.get("required", ())) | ({forced[0]} if forced else set())
    return st.fixed_dictionaries(
        {name: values(properties[name], forced[1:] if forced and name == forced[0] else ()) for name in must},
        optional={name: values(sub) for name, sub in properties.items() if name not in must},
    )


def _array(schema: Mapping[str, Any], forced: Path) -> st.SearchStrategy[list[Any]]:
    items = schema.get("items", {})
    fewest = max(schema.get("minItems", 0), 1)
    most = min(schema.get("maxItems", fewest + 2), fewest + 2)
    unique = {"unique_by": lambda v: json.dumps(v, sort_keys=True)} if schema.get("uniqueItems") else {}
    rest = st.lists(values(items), min_size=fewest - 1, max_size=most - 1, **unique)
    first = values(items, forced[1:] if forced else ())
    lists = st.tuples(first, rest).map(lambda pair: [pair[0], *pair[1]])
    if unique:
        lists = lists.filter(lambda v: len({json.dumps(x, sort_keys=True) for x in v}) == len(v))
    return lists


def _number(kind: str, schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    low = schema.get("minimum", -10_000)
    high = schema.get("maximum", 10_000)
    if kind == "integer":
        if "exclusiveMinimum" in schema:
            low = int(schema["exclusiveMinimum"]) + 1
        if "exclusiveMaximum" in schema:
            high = int(schema["exclusiveMaximum"]) - 1
        return st.integers(min_value=int(low), max_value=int(high))
    return st.floats(
        min_value=schema.get("exclusiveMinimum", low),
        max_value=schema.get("exclusiveMaximum", high),
        exclude_min="exclusiveMinimum" in schema,
        exclude_max="exclusiveMaximum" in schema,
        allow_nan=False,
        allow_infinity=False,
    )


def _string(schema: Mapping[str, Any]) -> st.SearchStrategy[str]:
    shortest = max(schema.get("minLength", 0), 1)
    longest = min(schema.get("maxLength", shortest + 24), shortest + 24)
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True).filter(
            lambda s: shortest <= len(s) <= schema.get("maxLength", len(s))
        )
    return st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=shortest, max_size=longest)


@st.composite
def valid_request(draw: st.DrawFn, operation: OperationContract, forced: Site | None = None) -> dict[str, Any]:
    """A query (values as strings, as on the wire) and a body that are valid under the contract."""
    query_forced = forced.path if forced is not None and forced.where == "query" else ()
    query = draw(values(operation.query, query_forced))
    body = None
    if operation.body is not None:
        body = draw(values(operation.body, forced.path if forced is not None and forced.where == "body" else ()))
    return {"query": {name: wire(value) for name, value in query.items()}, "body": body}


def wire(value: Any) -> str:
    """A query value as a client writes it: booleans lower-case, numbers in JSON notation."""
    return value if isinstance(value, str) else json.dumps(value)


def replace(container: Any, path: Path, change: Any) -> None:
    """Apply ``change(parent, key)`` at ``path`` inside ``container`` (``[]`` = the first item)."""
    *parents, last = path
    for step in parents:
        container = container[0] if step == "[]" else container[step]
    change(container, 0 if last == "[]" else last)


def put(request: dict[str, Any], site: Site, value: Any) -> None:
    """Set the field at ``site`` of a drawn request to ``value``."""
    replace(request[site.where], site.path, lambda parent, key: parent.__setitem__(key, value))


# -- calling the app -------------------------------------------------------------------------------------------


def property_of(rule: str) -> Callable[[Callable[..., None]], Any]:
    """A property test run for every operation with a ``rule`` field, under the shared settings."""

    def wrap(test: Callable[..., None]) -> Any:
        return pytest.mark.parametrize("operation", operations_with(rule))(
            PROPERTY_SETTINGS(given(data=st.data())(test))
        )

    return wrap


def draw_site(data: st.DataObject, operation: OperationContract, rule: str) -> tuple[Site, dict[str, Any]]:
    """A field of ``operation`` that ``rule`` applies to, and a valid request around it."""
    site = data.draw(st.sampled_from([s for s in sites(operation) if pick(rule, s)]))
    return site, data.draw(valid_request(operation, site))


@pytest.fixture(scope="module")
def app() -> Starlette:
    """One fake for the module; validation does not depend on its state."""
    return create_app(MockConfig(seed=0))


def send(
    app: Starlette,
    operation: OperationContract,
    query: Mapping[str, str],
    content: bytes | None,
) -> dict[str, Any]:
    """One request to the in-process app; its envelope, after checking it is HTTP 200 with result null."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="https://api.topview.ai") as client:
            headers = dict(CREDENTIALS)
            if content is not None:
                headers["Content-Type"] = "application/json"
            return await client.request(
                operation.method, operation.path, params=query, content=content, headers=headers
            )

    response = asyncio.run(go())
    assert response.status_code == 200, response.text
    envelope: dict[str, Any] = response.json()
    return envelope


def send_request(app: Starlette, operation: OperationContract, request: Mapping[str, Any]) -> dict[str, Any]:
    """Send a drawn request (query dict and JSON body)."""
    body = request["body"]
    content = None if body is None else json.dumps(body).encode()
    return send(app, operation, request["query"], content)


def assert_rejected(envelope: Mapping[str, Any], code: str, field: str | None) -> None:
    """The envelope is error ``code`` with ``result: null``, its message naming ``field``."""
    assert envelope["code"] == code, envelope
    assert envelope["result"] is None, envelope
    if field is not None:
        assert field in envelope["message"], f"the message does not name {field}: {envelope['message']}"


# -- (a) bodies that are not JSON objects -----------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner))
not_objects = st.one_of(json_scalars, st.lists(json_values)).map(lambda v: json.dumps(v).encode())


def not_a_json_object(raw: bytes) -> bool:
    """Whether ``raw`` is unreadable as JSON, or JSON that is not an object."""
    try:
        return not isinstance(json.loads(raw), dict)
    except ValueError:
        return True


malformed = st.one_of(
    st.binary(max_size=64),
    st.text(max_size=64).map(str.encode),
    json_values.map(lambda v: json.dumps(v).encode()[:-1]),  # truncated JSON
).filter(not_a_json_object)

BODY_OPERATIONS = [pytest.param(op, id=op.operation_id) for op in OPERATIONS if op.body is not None]


@pytest.mark.parametrize("operation", BODY_OPERATIONS)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_a_body_that_is_not_a_json_object_is_a_format_error(
    app: Starlette, operation: OperationContract, data: st.DataObject
) -> None:
    """(a) Any non-object JSON, or bytes that are not JSON, get 4001 on every operation with a body."""
    request = data.draw(valid_request(operation))
    raw = data.draw(st.one_of(not_objects, malformed))
    assume(not_a_json_object(raw))
    assert_rejected(send(app, operation, request["query"], raw), "4001", None)


# -- (b) required fields ----------------------------------------------------------------------------------------


@property_of("required")
def test_a_missing_required_field_is_named(app: Starlette, operation: OperationContract, data: st.DataObject) -> None:
    """(b) Dropping a required field, or sending it empty (null, "", []), gives 4003 naming it."""
    site, request = draw_site(data, operation, "required")
    # a query value can only be left out or sent blank; a body field can also be null or []
    empty = data.draw(st.sampled_from(["drop", ""] if site.where == "query" else ["drop", None, "", []]))

    def change(parent: Any, key: Any) -> None:
        if empty == "drop":
            parent.pop(key)
        else:
            parent[key] = empty

    replace(request[site.where], site.path, change)
    assert_rejected(send_request(app, operation, request), "4003", site.name)


# -- (c) values outside an enum ---------------------------------------------------------------------------------


def outside(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """Values of the enum's own type that are not in the enum (and not empty)."""
    allowed = schema["enum"]
    if "integer" in types_of(schema):
        return st.integers(-1_000_000, 1_000_000).filter(lambda v: v not in allowed)
    longest = schema.get("maxLength", 64)
    return st.text(min_size=1, max_size=min(longest, 64)).filter(lambda v: v not in allowed and v.strip() == v)


@property_of("enum")
def test_a_value_outside_its_enum_is_named(app: Starlette, operation: OperationContract, data: st.DataObject) -> None:
    """(c) An enum field set to another value of its type gives 4000 naming the field."""
    site, request = draw_site(data, operation, "enum")
    value = data.draw(outside(site.schema))
    put(request, site, wire(value) if site.where == "query" else value)
    assert_rejected(send_request(app, operation, request), "4000", site.name)


# -- (d) values of the wrong type -------------------------------------------------------------------------------

containers = st.one_of(
    st.dictionaries(st.text(max_size=8), json_scalars, max_size=3),
    st.lists(json_scalars, min_size=1, max_size=3),
)


def not_readable_as(types: set[str]) -> st.SearchStrategy[str]:
    """Query strings that no documented coercion turns into any of ``types``."""
    return st.text(max_size=12).filter(lambda v: not any(coerce_scalar(v, kind)[0] for kind in types))


@property_of("type")
def test_a_value_of_the_wrong_type_is_named(app: Starlette, operation: OperationContract, data: st.DataObject) -> None:
    """(d) An object or array where a scalar belongs, or a non-numeric string for a number, gives 4001."""
    site, request = draw_site(data, operation, "type")
    if site.where == "query":
        value = data.draw(not_readable_as(types_of(site.schema)))
        assume(value != "")  # an empty value is absent: a 4003 when required (b), else its default
    else:
        value = data.draw(containers)
    put(request, site, value)
    assert_rejected(send_request(app, operation, request), "4001", site.name)


# -- (e) optional fields sent empty -------------------------------------------------------------------------------


@property_of("optional")
def test_an_optional_field_sent_empty_is_absent(
    app: Starlette, operation: OperationContract, data: st.DataObject
) -> None:
    """(e) null, "" or [] for any optional field never gives 4001, nor a 4003 naming that field.

    Absent, the field may still be needed by a cross-field rule (``productLink or fileIds is required``):
    that 4000 is what leaving it out gets too.
    """
    site, request = draw_site(data, operation, "optional")
    empty = data.draw(st.sampled_from([""] if site.where == "query" else [None, "", []]))
    put(request, site, empty)
    envelope = send_request(app, operation, request)
    assert envelope["code"] != "4001", envelope
    assert not (envelope["code"] == "4003" and envelope["message"].startswith(site.name + " ")), envelope
