"""The Starlette app: routes built from the contract, one request pipeline, one error handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ..callbacks.policy import check_notice_url
from ..contract import json_text
from ..contract.media_rules import NAMED_CHECKS
from ..contract.openapi import Operation
from ..contract.results import render
from ..contract.rules import check_annotations, check_rules
from ..contract.validation import ContractError
from ..control.faults import FaultReply
from ..control.index import PREFIX, canonical
from ..control.journal import raw_headers
from ..engine.errors import TopviewError, bad_value, envelope
from . import account, boards, handlers
from .backend import Backend, Rendered
from .call import Call
from .routing import ContractRouter

Handler = Callable[[Backend, Call], Awaitable[Any]]

# Endpoints whose behaviour is their own; every other operation is served through the group table.
SPECIAL: dict[str, Handler] = {
    "m2vScriptList": handlers.m2v_script_list,
    "m2vScriptUpdate": handlers.m2v_script_update,
    "m2vExport": handlers.m2v_export,
    "uploadCredential": account.upload_credential,
    "uploadCheck": account.upload_check,
    "noticeUrlCheck": account.notice_url_check,
    "userCreditDetail": account.credit_detail,
    "userCreditLogs": account.credit_logs,
    "userSpace": account.user_space,
    "m2vTaskList": account.m2v_task_list,
    "m2vTaskDelete": account.m2v_task_delete,
    "photoAvatarCreate": account.photo_avatar_create,
    "photoAvatarDelete": account.photo_avatar_delete,
    "voiceCloneDelete": account.voice_clone_delete,
    "boardList": boards.board_list,
    "boardCreate": boards.board_create,
    "boardDetail": boards.board_detail,
    "boardUpdate": boards.board_update,
    "boardDelete": boards.board_delete,
    "boardTaskList": boards.board_task_list,
    "boardTaskDetail": boards.board_task_detail,
    "boardTaskBatchDelete": boards.board_task_batch_delete,
    "boardBatchDownloadSubmit": boards.batch_download_submit,
    "boardBatchDownloadStatus": boards.batch_download_status,
}


# What a request reads decides what it first brings up to date, so that no request waits for work it does
# not read (20,000 tasks finishing at one clock advance, other accounts' results): a task query or a plain
# submit reads one task, which its handler settles; these read the account's tasks and credits, so the
# account's due transitions are taken first; every other operation may read what results add to an
# account (output files, replace keys, cloned voices, custom avatars), so its pending results are made too.
TASK_ONLY: frozenset[Handler] = frozenset(
    {handlers.query, account.upload_credential, account.upload_check, account.notice_url_check, account.m2v_task_list}
)
ACCOUNT_WIDE: frozenset[Handler] = frozenset(
    {
        account.credit_detail,
        account.credit_logs,
        account.m2v_task_delete,
        account.photo_avatar_create,
        handlers.m2v_script_list,
        handlers.m2v_script_update,
        handlers.m2v_export,
        boards.board_list,
        boards.board_create,
        boards.board_detail,
        boards.board_update,
        boards.board_delete,
        boards.board_task_list,
        boards.board_task_detail,
        boards.board_task_batch_delete,
        boards.batch_download_submit,
        boards.batch_download_status,
    }
)


def reads_of(op: Operation, handler: Handler) -> str:
    """What a request of ``op`` reads: ``task``, ``account`` (tasks and credits) or ``results`` (all of it)."""
    if handler in TASK_ONLY or (handler is handlers.submit and not op.annotations):
        return "task"
    return "account" if handler in ACCOUNT_WIDE else "results"


def handler_for(mock: Backend, operation_id: str) -> Handler:
    """The handler serving ``operation_id``; an operation nobody serves is refused at start-up."""
    if operation_id in SPECIAL:
        return SPECIAL[operation_id]
    if operation_id in mock.table.by_submit:
        return handlers.submit
    if operation_id in mock.table.by_query:
        return handlers.query
    if operation_id in mock.table.by_list:
        return handlers.catalogue
    raise ContractError(f"no handler serves contract operation {operation_id}")


class EnvelopeResponse(JSONResponse):
    """A JSON response encoded by orjson: the same bytes as Starlette's (compact, UTF-8), several times faster."""

    def render(self, content: Any) -> bytes:
        """The body; what orjson refuses (an integer beyond 64 bits, a lone surrogate) the standard encoder tries."""
        try:
            return orjson.dumps(content)
        except TypeError:
            return super().render(content)

    def init_headers(self, headers: Mapping[str, str] | None = None) -> None:
        """Content-Length and Content-Type, as Starlette sets them, without its general header handling."""
        if headers:
            super().init_headers(headers)
            return
        self.raw_headers = [(b"content-length", str(len(self.body)).encode()), (b"content-type", b"application/json")]


def build_app(mock: Backend, extra_routes: Sequence[BaseRoute] = ()) -> Starlette:
    """The Starlette app serving ``mock``: the contract's operations, the object store, then ``extra_routes``.

    The app keeps its fake as ``app.state.mock``.
    """
    operations = [
        Route(
            op.path, endpoint(mock, op, handler_for(mock, op.operation_id)), methods=[op.method], name=op.operation_id
        )
        for op in mock.contract
    ]
    routes: list[BaseRoute] = [*operations, *mock.store.routes(), *extra_routes]
    app = TopviewApp(operations, exception_handlers={404: not_found_route, 405: wrong_method})
    app.router = ContractRouter(routes)  # exact-path lookup for the contract's operations
    if mock.data_dir is not None:  # a persistent fake writes every change down before answering
        from ..persistence.data_dir import WriteBeforeAnswer  # SQLite: only for a data directory

        app.add_middleware(WriteBeforeAnswer, data_dir=mock.data_dir)
    app.state.mock = mock
    return app


async def not_found_route(request: Request, exc: Exception) -> Response:
    """A path the API does not have: envelope 4004 with HTTP 404 (not a business error)."""
    if canonical(request.url.path).startswith(PREFIX):  # the control API answers plain JSON, never the envelope
        return JSONResponse({"error": f"no control route {request.url.path}; GET {PREFIX}/ lists them"}, 404)
    return JSONResponse(envelope(None, "4004", f"no such endpoint: {request.url.path}"), status_code=404)


async def wrong_method(request: Request, exc: Exception) -> Response:
    """A known path called with the wrong method."""
    if canonical(request.url.path).startswith(PREFIX):
        return JSONResponse({"error": f"{request.method} is not supported on {request.url.path}"}, 405)
    return JSONResponse(
        envelope(None, "4004", f"{request.method} is not supported on {request.url.path}"), status_code=405
    )


class Endpoint:
    """An operation's pipeline as the route's ASGI app.

    Starlette would wrap a request function in its request/response adapter and exception-handler lookup;
    the pipeline turns every error into an envelope itself and lets only bugs (answered 500 by the
    app's error middleware) and dropped connections through, so the wrapping adds only cost.
    """

    def __init__(self, pipeline: Callable[[Request], Awaitable[Response]]) -> None:
        self.pipeline = pipeline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one request."""
        response = await self.pipeline(Request(scope, receive, send))
        await response(scope, receive, send)


class TopviewApp(Starlette):
    """Starlette, sending a request for a contract operation at its exact path straight to its pipeline.

    Starlette's error and exception middlewares wrap every request, and every message it sends, for what
    a pipeline already does itself (every answer an envelope); what is left of them is done here: a bug
    is answered 500 and re-raised (ASGITransport raises it, servers log it). An app with middleware of
    its own (a data directory's), a debug page or a 500 handler takes Starlette's way for everything.
    """

    def __init__(self, operations: Sequence[Route], **options: Any) -> None:
        super().__init__(**options)
        self._operations: dict[tuple[str, str], tuple[Route, Endpoint]] = {
            (method, route.path): (route, route.app)
            for route in operations
            if isinstance(route.app, Endpoint)
            for method in route.methods or ()
        }
        self._direct = False

    def build_middleware_stack(self) -> ASGIApp:
        """Starlette's stack, deciding meanwhile whether contract operations may skip it."""
        handlers = self.exception_handlers
        self._direct = not (self.user_middleware or self.debug or 500 in handlers or Exception in handlers)
        return super().build_middleware_stack()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection."""
        if self.middleware_stack is None:
            self.middleware_stack = self.build_middleware_stack()
        found = self._operations.get((scope.get("method", ""), scope["path"])) if self._direct else None
        if found is None or scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        route, operation = found
        scope["app"] = self
        scope.setdefault("router", self.router)
        scope["route"], scope["endpoint"], scope["path_params"] = route, operation, {}
        try:
            response = await operation.pipeline(Request(scope, receive, send))
        except Exception:  # a bug: answered as ServerErrorMiddleware answers it, then raised
            await PlainTextResponse("Internal Server Error", status_code=500)(scope, receive, send)
            raise
        await response(scope, receive, send)  # a dropped connection raises after its status line: no 500


def endpoint(mock: Backend, op: Operation, handler: Handler) -> Endpoint:
    """The request pipeline of one operation: auth, parse, validate, rules, handle, envelope."""
    reads = reads_of(op, handler)

    async def serve(request: Request) -> Response:
        started = mock.journal.wall()
        headers = header_map(request)  # read once: every step below looks headers up in it
        try:
            await mock.faults.before(op, request, headers)  # forced codes, statuses, latency, dropped connections
            call = await prepare(mock, op, request, reads, headers)
            result = await handler(mock, call)
            if isinstance(result, Rendered):  # already rendered (a finished task's result) or holding no media
                payload = envelope(result.value)
            else:
                cdn = call.query.get("needCloudFrontUrl") is True
                payload = envelope(render(result, mock.url_for(call.base_url, cdn=cdn)))
            status = 200
        except TopviewError as error:  # the one place errors become envelopes
            payload, status = envelope(None, error.code, error.message), error.http_status
        except FaultReply as fault:  # a gateway page or a dropped connection: no envelope at all
            mock.journal.record(op, request, None, fault.status, fault.response, started, headers)
            return fault.response
        sent = payload
        if mock.variants:  # a scenario's response variants: the answer reshaped as a client must survive it
            sent, request.state.variants = mock.variants.apply(op.operation_id, payload)
        response = EnvelopeResponse(sent, status_code=status)
        mock.journal.record(op, request, payload, status, response, started, headers)
        return response

    async def journalled(request: Request) -> Response:
        try:
            return await serve(request)
        except Exception:  # a bug: Starlette answers 500, and the journal shows that answer too
            mock.journal.record(op, request, None, 500)
            raise

    return Endpoint(journalled)


async def prepare(
    mock: Backend, op: Operation, request: Request, reads: str = "results", headers: Mapping[str, str] | None = None
) -> Call:
    """Authenticate and validate a request into a :class:`Call` (raising TopviewError otherwise)."""
    headers = header_map(request) if headers is None else headers
    uid, api_key = authenticate(mock, headers)
    query = op.query_check(query_of(request), "")
    body: dict[str, Any] = {}
    if op.body_check is not None:
        body = op.body_check(await read_json(mock, request, headers), "")
    tenant = mock.state.tenant(uid, mock.clock.now())
    if reads != "task":
        mock.engine.settle_tenant(uid)
        if reads == "results":
            mock.make_all(tenant)
    call = Call(op, uid, api_key, tenant, query, body, headers, base_url(request, headers))
    if body:
        # One order of checks everywhere: auth, the request's shape (types, required, enums, ranges, then
        # cross-field, model and noticeUrl rules), then the ids it references (4004), then state (4007,
        # 4100, in the handlers). A request breaking a rule and naming an unknown id answers the rule's code.
        check_rules(op, body, tenant, NAMED_CHECKS)
        if op.catalog is not None:
            mock.models.check(op.catalog, body, tenant)
        check_notice(mock, body)
        check_annotations(op, body, tenant, mock.resources)
    return call


def header_map(request: Request) -> dict[str, str]:
    """The request's headers by lower-case name, the first of repeated names winning (as Starlette's ``get``)."""
    # Read from the scope: Starlette's Headers object (a copy of the list) costs more than this dict.
    raw = raw_headers(request.scope)
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in reversed(raw)}


def query_of(request: Request) -> dict[str, str]:
    """The query string as a dict (the last of repeated names wins), parsed once: the journal reuses it."""
    text = request.scope["query_string"].decode("latin-1")
    query: dict[str, str] = {}
    if "%" in text or "+" in text:  # something to decode
        query = dict(parse_qsl(text, keep_blank_values=True))
    elif text:  # parse_qsl's answer without its decoding: empty fields dropped, a name alone has ""
        for field in text.split("&"):
            if field:
                name, _, value = field.partition("=")
                query[name] = value
    request.scope.setdefault("state", {})["query"] = query  # request.state.query, for the journal
    return query


def base_url(request: Request, headers: Mapping[str, str] | None = None) -> str:
    """``scheme://host[:port]`` the client called, as ``request.base_url`` without its trailing slash.

    Built from the scope directly: Starlette's URL objects cost more than the rest of a task query.
    """
    scope = request.scope
    host = (request.headers if headers is None else headers).get("host")
    if host is None:
        server = scope.get("server")
        default_port = {"http": 80, "https": 443}.get(scope.get("scheme", "http"))
        host = "localhost" if not server else server[0] if server[1] == default_port else f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}{scope.get('root_path', '')}"


def check_notice(mock: Backend, body: dict[str, Any]) -> None:
    """A noticeUrl in the body must be one callbacks may target (4000 naming noticeUrl)."""
    url = body.get("noticeUrl")
    if url is not None:
        problem = check_notice_url(url, mock.notices.policy)
        if problem is not None:
            raise bad_value("noticeUrl", problem.removeprefix("noticeUrl ")) from None


def authenticate(mock: Backend, headers: Mapping[str, str]) -> tuple[str, str]:
    """The account and API key of a request's headers; a missing or malformed header answers code 401."""
    # Only HTTP's optional whitespace (space, tab) around a value is dropped; the contract's pattern
    # allows exactly one space after the scheme and no whitespace in the key. The scheme is read in any
    # case ("bearer"), as HTTP auth schemes are case-insensitive (RFC 9110 §11.1).
    uid = headers.get("topview-uid", "").strip(" \t")
    if not uid or len(uid) > 128:
        raise TopviewError("401", "Topview-Uid header is missing or invalid")
    scheme, _, key = headers.get("authorization", "").strip(" \t").partition(" ")
    if scheme.lower() != "bearer" or key.split() != [key]:  # empty, or holding whitespace
        raise TopviewError("401", "Authorization header must be 'Bearer <API key>'")
    accounts = mock.config.accounts
    if accounts is not None and accounts.get(uid) != key:
        raise TopviewError("401", "the API key does not belong to this Topview-Uid")
    return uid, key


async def read_json(mock: Backend, request: Request, headers: Mapping[str, str]) -> Any:
    """The JSON body, refusing wrong content types (4001), unreadable JSON (4001) and huge bodies (4000)."""
    content_type = headers.get("content-type", "application/json").lower()
    if "json" not in content_type:
        raise TopviewError("4001", f"Content-Type must be application/json, not {content_type[:100]}")
    limit = mock.config.max_body_bytes
    chunks: list[bytes] = []
    size = 0
    receive = request.receive  # read as Request.stream reads it, without its async generator
    request._stream_consumed = True  # the body cannot be read again: the pipeline keeps it (below)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":  # the server closed a connection whose body never came
            raise TopviewError("4001", "request body never arrived whole: the client fell silent or left")
        if message["type"] != "http.request":
            continue
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TopviewError("4000", f"request body is larger than {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    raw = b"".join(chunks)
    state = request.scope.setdefault("state", {})  # request.state's, for the journal
    state["raw_body"] = raw  # the stream cannot be read twice
    if not raw.strip():
        raise TopviewError("4001", "request body must be a JSON object")
    try:
        data = json_text.parse(raw)
    except json_text.UnreadableJson as error:
        raise TopviewError("4001", f"request body {error}") from None
    state["json_body"] = data  # the journal shows it as parsed here (validation copies, never changes it)
    if not isinstance(data, dict):
        raise TopviewError("4001", "request body must be a JSON object")
    return data
