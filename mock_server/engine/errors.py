"""Topview's error codes, their messages, and the one exception that carries them to the envelope."""

from __future__ import annotations

from typing import Any

# The documented table (docs.topview.ai/reference/error-response), plus "401", which the official
# client maps to "Unauthorized, need to login again" though the table does not list it.
MESSAGES: dict[str, str] = {
    "200": "Success",
    "401": "Unauthorized, need to login again",
    "4000": "Request parameter error",
    "4001": "Request data format does not match!",
    "4002": "Request digital signature does not match!",
    "4003": "Required parameter cannot be null",
    "4004": "Resource not found!",
    "4005": "Name duplicated",
    "4006": "Request refuse",
    "4007": "Exists unfinished task, please wait until the previous task is completed.",
    "4100": "Credit not enough",
    "5000": "Internal server error!",
    "5001": "Feign invoke error",
    "5003": "Server is busy, please try again later!",
    "5004": "I/O error occurred",
    "5005": "Unknown error occurred",
    "6001": "Security problem detect",
}

ERROR_CODES: tuple[str, ...] = tuple(code for code in MESSAGES if code != "200")


class TopviewError(Exception):
    """A business error: answered as HTTP 200 (unless ``http_status`` says otherwise) with the envelope."""

    def __init__(self, code: str, detail: str | None = None, *, http_status: int = 200) -> None:
        if code not in MESSAGES:
            raise ValueError(f"unknown Topview code {code!r}")
        self.code = code
        self.message = detail or MESSAGES[code]
        self.http_status = http_status
        super().__init__(f"{code}: {self.message}")


def missing(field: str) -> TopviewError:
    """4003: a required parameter is absent or empty."""
    return TopviewError("4003", f"{field} cannot be null")


def empty_list(field: str) -> TopviewError:
    """4003: a required array sent empty."""
    return TopviewError("4003", f"{field} must not be empty")


def bad_type(field: str, expected: str) -> TopviewError:
    """4001: a value of the wrong type, or an unreadable body."""
    return TopviewError("4001", f"{field} must be {expected}")


def bad_value(field: str, detail: str) -> TopviewError:
    """4000: a value outside its enum or range, or a broken cross-field rule."""
    return TopviewError("4000", f"{field} {detail}")


def not_found(what: str, value: object) -> TopviewError:
    """4004: an unknown id, or one owned by another account."""
    return TopviewError("4004", f"{what} {value} not found")


def envelope(result: Any = None, code: str = "200", message: str | None = None) -> dict[str, Any]:
    """The Topview envelope: ``code`` is always a string; errors carry ``result: null``."""
    return {"code": code, "message": message or MESSAGES[code], "result": result}
