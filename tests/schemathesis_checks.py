"""An independent judge of the fake's answers: which requests are invalid, and which codes they may get.

Topview answers every request with HTTP 200 and an envelope, so "rejected" is read from the envelope's
``code``, not from the HTTP status, and schemathesis' own negative-data checks (which expect 4xx) do not
apply. Whether a request is invalid is decided here without the fake's validators: the request *as it
went over the wire* (headers, query string, body bytes) is read back, normalised the way the reference
README says the Java backend reads input, and checked with ``jsonschema`` against the contract:

- scalars are coerced: a numeric string for an integer or number, ``"true"``/``"false"`` in any case or
  ``"1"``/``"0"`` for a boolean, a number for a string; anything else of the wrong type stays wrong;
- a field that is empty (``null``, ``""`` or ``[]``; in a query string ``?name=``) counts as absent
  ("Empty" in contracts/README.md): an optional one is left out, a required one is missing;
- header values lose surrounding whitespace, as HTTP servers strip it; a query parameter given twice is
  read by its last value, as Starlette's query dict does.

What is wrong decides the code (reference README): missing → 4003, wrong type, bad JSON, wrong content
type → 4001, outside an enum or range → 4000, bad ``Topview-Uid``/``Authorization`` → 401 before anything
else. Query parameters are read before the body.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jsonschema
from schemathesis import Case, CheckContext, Response

UNAUTHORIZED = "401"
BAD_VALUE = "4000"
WRONG_TYPE = "4001"
MISSING = "4003"

# Codes a request that is valid after coercion may still get, and why. 401 is not among them: the
# fake under test accepts any non-empty uid and key, so generated-valid headers must authenticate.
# 4001 and 4003 are not either: they only ever describe the request's shape, which is valid here.
BUSINESS_CODES: dict[str, str] = {
    "4000": "cross-field rules (x-topview-rules), catalogue tables, file kinds, notice URL and time checks",
    "4004": "ids (tasks, files, boards, voices, avatars, ...) that do not exist for the account",
    "4005": "a duplicate name (boards, custom avatars, cloned voices)",
    "4006": "a refused delete (a public voice, the default board)",
    "4100": "not enough credits left for a task",
}

AUTH_HEADERS = frozenset({"topview-uid", "authorization"})

# jsonschema keyword of a failure → the Topview code it earns.
_KEYWORD_CODES = {"required": MISSING, "type": WRONG_TYPE}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a request: the code it earns and the field it is about ("" for the whole)."""

    code: str
    field: str
    detail: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """The problems of one request, by the part of the request they are in, in the order Topview reads them."""

    auth: tuple[Problem, ...] = ()
    query: tuple[Problem, ...] = ()
    body: tuple[Problem, ...] = ()

    @property
    def valid(self) -> bool:
        """Nothing is wrong: the request must be served (or get a business code)."""
        return not (self.auth or self.query or self.body)

    @property
    def first(self) -> tuple[Problem, ...]:
        """The problems of the first faulty part; the answer must be about one of them."""
        return self.auth or self.query or self.body

    @property
    def codes(self) -> set[str]:
        """The codes an invalid request may be answered with."""
        return {problem.code for problem in self.first}


# -- the contract, with local $refs inlined ----------------------------------------------------------------


def inline_refs(document: Mapping[str, Any], node: Any) -> Any:
    """``node`` with every local ``$ref`` of ``document`` replaced by (a copy of) its target."""
    if isinstance(node, list):
        return [inline_refs(document, item) for item in node]
    if not isinstance(node, Mapping):
        return node
    if "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        return inline_refs(document, {**copy.deepcopy(target), **siblings})
    return {key: inline_refs(document, value) for key, value in node.items()}


@dataclass(frozen=True)
class OperationContract:
    """What the contract says a request to one operation looks like."""

    operation_id: str
    method: str
    path: str
    headers: dict[str, Any]  # an object schema of the header parameters, names lower-cased
    query: dict[str, Any]  # an object schema of the query parameters
    body: dict[str, Any] | None  # the JSON body schema, None without a request body
    body_required: bool
    codes: frozenset[str] = field(default=frozenset())  # ErrorEnvelope's documented codes

    @classmethod
    def read(cls, document: Mapping[str, Any], method: str, path: str) -> OperationContract:
        """The request side of ``method path`` in the contract ``document``."""
        raw = document["paths"][path][method.lower()]
        parameters = [inline_refs(document, p) for p in raw.get("parameters", ())]
        body = inline_refs(document, raw["requestBody"]) if "requestBody" in raw else None
        error = inline_refs(document, document["components"]["schemas"]["ErrorEnvelope"])
        return cls(
            operation_id=raw["operationId"],
            method=method.upper(),
            path=path,
            headers=parameter_schema([p for p in parameters if p["in"] == "header"], lower=True),
            query=parameter_schema([p for p in parameters if p["in"] == "query"], lower=False),
            body=body["content"]["application/json"]["schema"] if body else None,
            body_required=bool(body and body.get("required")),
            codes=frozenset(error["properties"]["code"]["enum"]),
        )

    def judge(
        self, headers: Mapping[str, str], query: Mapping[str, str], content_type: str | None, body: bytes | None
    ) -> Verdict:
        """Everything wrong with a request as sent: header values, query values (strings), raw body."""
        lowered = {name.lower(): value.strip(" \t") for name, value in headers.items()}
        return Verdict(
            auth=tuple(self._parameters(self.headers, lowered, auth=True)),
            query=tuple(self._parameters(self.query, query, auth=False)),
            body=tuple(self._body(content_type, body)) if self.body is not None else (),
        )

    def _parameters(self, schema: Mapping[str, Any], sent: Mapping[str, str], *, auth: bool) -> Iterator[Problem]:
        declared = {name: sent[name] for name in schema["properties"] if name in sent}
        for problem in schema_problems(schema, declared):
            yield Problem(UNAUTHORIZED, problem.field, problem.detail) if auth else problem

    def _body(self, content_type: str | None, body: bytes | None) -> Iterator[Problem]:
        if content_type is not None and "json" not in content_type.lower():
            yield Problem(WRONG_TYPE, "", f"content type {content_type} is not JSON")
            return
        if not body or not body.strip():
            if self.body_required:
                yield Problem(WRONG_TYPE, "", "no request body")
            return
        try:
            value = json.loads(body)
        except ValueError:
            yield Problem(WRONG_TYPE, "", "the body is not JSON")
            return
        if not isinstance(value, dict):
            yield Problem(WRONG_TYPE, "", "the body is not a JSON object")
            return
        assert self.body is not None
        yield from schema_problems(self.body, value)


def parameter_schema(parameters: list[dict[str, Any]], *, lower: bool) -> dict[str, Any]:
    """One object schema for a list of header or query parameters (headers are matched case-blind)."""

    def name(parameter: dict[str, Any]) -> str:
        return str(parameter["name"]).lower() if lower else str(parameter["name"])

    return {
        "type": "object",
        "properties": {name(p): p["schema"] for p in parameters},
        "required": [name(p) for p in parameters if p.get("required")],
    }


# -- coercion and schema problems ----------------------------------------------------------------------------

_INTEGER = re.compile(r"\s*[-+]?\d{1,18}\s*")  # what a Java long always holds; Jackson trims whitespace
_NUMBER = re.compile(r"\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*")


def coerce_scalar(value: Any, wanted: str) -> tuple[bool, Any]:
    """``value`` read as JSON type ``wanted`` under the documented coercions: (possible, coerced value)."""
    if isinstance(value, (dict, list)) or value is None:
        return False, value
    if wanted == "string":
        if isinstance(value, str):
            return True, value
        if isinstance(value, bool):
            return False, value
        if isinstance(value, int):
            return True, str(value)
        return (True, repr(value)) if isinstance(value, float) and math.isfinite(value) else (False, value)
    if wanted == "boolean":
        if isinstance(value, bool):
            return True, value
        word = value.strip().lower() if isinstance(value, str) else None
        return (True, word in ("true", "1")) if word in ("true", "false", "1", "0") else (False, value)
    if isinstance(value, bool):
        return False, value
    if wanted == "integer":
        if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
            return True, value
        return (True, int(value)) if isinstance(value, str) and _INTEGER.fullmatch(value) else (False, value)
    if wanted == "number":
        if isinstance(value, (int, float)):
            return math.isfinite(value), value
        if isinstance(value, str) and _NUMBER.fullmatch(value):
            number = float(value)
            return math.isfinite(number), number
    return False, value


def _types(schema: Mapping[str, Any]) -> list[str]:
    types = schema.get("type")
    return [types] if isinstance(types, str) else list(types or [])


def flatten(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``allOf`` parts merged into one schema (the contract only uses it to extend objects)."""
    if "allOf" not in schema:
        return dict(schema)
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema["allOf"]:
        for key, value in flatten(part).items():
            if key == "properties":
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required":
                merged["required"] = [*merged.get("required", []), *value]
            else:
                merged.setdefault(key, value)
    return merged


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


_VALIDATORS: dict[int, tuple[Mapping[str, Any], jsonschema.protocols.Validator]] = {}


def validator_for(schema: Mapping[str, Any]) -> jsonschema.protocols.Validator:
    """A Draft 2020-12 validator of ``schema``, built once per schema object."""
    cached = _VALIDATORS.get(id(schema))
    if cached is None or cached[0] is not schema:
        cached = _VALIDATORS[id(schema)] = (schema, jsonschema.Draft202012Validator(schema))
    return cached[1]


def _has_type(value: Any, types: list[str]) -> bool:
    checker = jsonschema.Draft202012Validator.TYPE_CHECKER
    return any(checker.is_type(value, wanted) for wanted in types)


def normalise(schema: Mapping[str, Any], value: Any) -> Any:
    """``value`` as the backend reads it: scalars coerced, empty fields dropped (absent)."""
    if "allOf" in schema:
        schema = flatten(schema)
    if "anyOf" in schema or "oneOf" in schema:
        read = []
        for alternative in schema.get("anyOf", schema.get("oneOf")):
            candidate = normalise(alternative, value)
            if validator_for(alternative).is_valid(candidate):
                return candidate
            read.append((alternative, candidate))
        # none holds: the value is read as the alternative of its own JSON type (an object as the object)
        for alternative, candidate in read:
            if _has_type(value, _types(flatten(alternative))) or (
                isinstance(value, dict) and "properties" in alternative
            ):
                return candidate
        return value
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        return {
            name: normalise(properties[name], item) if name in properties else item
            for name, item in value.items()
            if not (name in properties and _empty(item))
        }
    if isinstance(value, list):
        items = schema.get("items")
        return [normalise(items, item) for item in value] if isinstance(items, Mapping) else value
    types = _types(schema)
    if value is None or not types or _has_type(value, types):
        return value
    for wanted in types:
        possible, coerced = coerce_scalar(value, wanted)
        if possible:
            return coerced
    return value


def field_name(path: Iterator[Any] | Any) -> str:
    """A JSON path as the fake's messages write it: ``a.b[0].c``."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def schema_problems(schema: Mapping[str, Any], value: Any) -> list[Problem]:
    """Everything ``jsonschema`` finds wrong with ``value`` once normalised, with the code each earns."""
    problems = []
    for error in validator_for(schema).iter_errors(normalise(schema, value)):
        path = list(error.absolute_path)
        if error.validator == "required":
            missing = next(name for name in error.validator_value if name not in error.instance)
            path.append(missing)
        for code in _codes(error):
            problems.append(Problem(code, field_name(path), error.message))
    return problems


def _codes(error: jsonschema.ValidationError) -> set[str]:
    if error.validator in ("anyOf", "oneOf", "allOf") and error.context:
        return {code for sub in error.context for code in _codes(sub)}
    return {_KEYWORD_CODES.get(str(error.validator), BAD_VALUE)}


# -- reading the request back from the wire ------------------------------------------------------------------


def sent_query(url: str) -> dict[str, str]:
    """The query string as a dict; a repeated name keeps its last value."""
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def sent_body(response: Response) -> bytes | None:
    """The request body bytes as sent."""
    body = response.request.body
    if body is None:
        return None
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def judge_sent(contract: OperationContract, response: Response) -> Verdict:
    """The verdict on the request that produced ``response``."""
    request = response.request
    headers = {name: value for name, value in request.headers.items() if isinstance(value, str)}
    return contract.judge(
        headers, sent_query(str(request.url)), request.headers.get("content-type"), sent_body(response)
    )


# -- the schemathesis check ------------------------------------------------------------------------------------


def envelope_of(response: Response) -> dict[str, Any]:
    """The JSON envelope of a response (failing the check when there is none)."""
    try:
        payload = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"the response is not JSON: {response.content[:200]!r}") from None
    assert isinstance(payload, dict) and {"code", "message", "result"} <= set(payload), payload
    return payload


class EnvelopeJudge:
    """The custom check: every answer is HTTP 200 with an envelope whose code fits the request.

    - an invalid request (after coercion) gets ``result: null`` and one of the codes its problems earn,
      with a message naming the faulty field;
    - a valid request gets ``200`` or one of :data:`BUSINESS_CODES`.
    """

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self._contracts: dict[tuple[str, str], OperationContract] = {}

    def contract(self, method: str, path: str) -> OperationContract:
        """The request contract of one operation (read once)."""
        key = (method.upper(), path)
        if key not in self._contracts:
            self._contracts[key] = OperationContract.read(self.document, method, path)
        return self._contracts[key]

    def __call__(self, ctx: CheckContext, response: Response, case: Case) -> None:
        """Check one response of a generated case."""
        contract = self.contract(case.operation.method, case.operation.path)
        if case.method.upper() != contract.method:
            self._wrong_method(case, response, contract)
            return
        assert response.status_code == 200, f"HTTP {response.status_code} for a contract operation"
        payload = envelope_of(response)
        code, message = payload["code"], payload["message"]
        verdict = judge_sent(contract, response)
        if verdict.valid:
            assert code == "200" or code in BUSINESS_CODES, (
                f"a request valid under the contract (after coercion) got {code}: {message}"
            )
            return
        problems = "; ".join(f"{p.code} {p.field or '(request)'}: {p.detail}" for p in verdict.first)
        assert code in verdict.codes, f"an invalid request got {code} ({message}); expected one of: {problems}"
        assert code in contract.codes, f"{code} is not a documented error code"
        assert payload["result"] is None, "an error envelope must carry result null"
        named = {leaf(p.field) for p in verdict.first if p.code == code and p.field}
        if named and code != UNAUTHORIZED:
            assert any(name in message for name in named), f"the message {message!r} names none of {named}"

    @staticmethod
    def _wrong_method(case: Case, response: Response, contract: OperationContract) -> None:
        """A method the path does not have (coverage probes): HTTP 405 with a 4004 envelope, no route served.

        HEAD on a GET path is the GET without its body, as Starlette serves it.
        """
        if case.method.upper() == "HEAD" and contract.method == "GET":
            assert response.status_code == 200 and not response.content, response.status_code
            return
        assert response.status_code == 405, f"{case.method} on a {contract.method} path got HTTP {response.status_code}"
        payload = envelope_of(response)
        assert payload["code"] == "4004" and payload["result"] is None, payload

    # schemathesis reports a check by its function name
    @property
    def __name__(self) -> str:
        return "topview_envelope"


def leaf(field: str) -> str:
    """The last property name of a field path (``a.b[0].c`` → ``c``, ``a[1]`` → ``a``)."""
    return re.sub(r"\[\d+\]$", "", field).rsplit(".", 1)[-1].split("[")[0]
