"""The bare baselines: Starlette apps answering the same shapes as the fake with nothing behind them."""

from __future__ import annotations

import itertools
import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

UID, KEY = "uid-bench", "bench-key"
HEADERS = {"Topview-Uid": UID, "Authorization": f"Bearer {KEY}"}
SUBMIT, QUERY, CREDENTIAL = "/v1/scraper/task/submit", "/v1/scraper/task/query", "/v1/upload/credential"
M2V_LIST = "/v1/m2v/task/list"
SCRAPE = {"productLink": "https://shop.example.com/p/1"}


def bare_app(query_result: dict[str, Any] | None = None) -> Starlette:
    """A Starlette app with a query, a submit and an upload credential answering comparable envelopes.

    ``query_result`` is what the fake answers for a finished task, so both send the same bytes.
    """
    ids = itertools.count()
    result = query_result or {"taskId": "0" * 32, "status": "success"}

    def envelope(value: Any) -> JSONResponse:
        return JSONResponse({"code": "200", "message": "Success", "result": value})

    async def query(request: Request) -> JSONResponse:
        return envelope({**result, "taskId": request.query_params.get("taskId")})

    async def submit(request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        task_id = f"{next(ids):032x}"
        return envelope({"taskId": task_id, "status": "success", "errorMsg": None, "noticeUuid": body.get("x")})

    async def credential(request: Request) -> JSONResponse:
        file_id = f"{next(ids):032x}"
        fmt = request.query_params.get("format", "png")
        url = f"http://{request.headers.get('host')}/_objects/uploads/{file_id}.{fmt}?X-Amz-Expires=3600"
        return envelope({"fileId": file_id, "uploadUrl": url, "fileName": f"{file_id}.{fmt}", "format": fmt})

    return Starlette(
        routes=[
            Route(QUERY, query),
            Route(SUBMIT, submit, methods=["POST"]),
            Route(CREDENTIAL, credential),
        ]
    )
