"""The control API's own small schema: JSON bodies read into fault specs, outcomes and progressions.

Bad control input is the caller's bug in their test set-up, not a Topview error: it answers HTTP 400
with ``{"error": "<field> ..."}`` naming the field, never a Topview envelope.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from starlette.requests import ClientDisconnect, Request

from ..callbacks.policy import DeliveryPolicy
from ..contract import json_text
from ..engine.tasks import Outcome, Progression
from .faults import FaultSpec

Body = Mapping[str, Any]


class ControlError(Exception):
    """Bad control input (400), an unknown thing (404) or a request the state forbids (409)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


async def read_body(request: Request, allowed: frozenset[str]) -> dict[str, Any]:
    """The JSON object of a control request (an empty body reads as {}); unknown fields are refused."""
    try:
        raw = await request.body()
    except ClientDisconnect:
        raise ControlError("body never arrived whole: the client fell silent or left") from None
    if not raw.strip():
        return {}
    try:
        data = json_text.parse(raw)
    except json_text.UnreadableJson as error:
        raise ControlError(f"body {error}") from None
    if not isinstance(data, dict):
        raise ControlError("body must be a JSON object")
    return known_fields(data, allowed)


def known_fields(data: dict[str, Any], allowed: frozenset[str], where: str = "") -> dict[str, Any]:
    """``data`` itself, once it holds only ``allowed`` fields (``where`` prefixes the message)."""
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ControlError(f"{where}{unknown[0]} is not a known field (known: {', '.join(sorted(allowed))})")
    return data


def number(
    body: Body, name: str, *, required: bool = False, minimum: float | None = None, maximum: float | None = None
) -> float | None:
    """A JSON number field (booleans are not numbers here)."""
    value = body.get(name)
    if value is None:
        if required:
            raise ControlError(f"{name} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ControlError(f"{name} must be a number")
    if minimum is not None and value < minimum:
        raise ControlError(f"{name} must be at least {minimum:g}")
    if maximum is not None and value > maximum:
        raise ControlError(f"{name} must be at most {maximum:g}")
    return float(value)


def integer(body: Body, name: str, *, minimum: int | None = None) -> int | None:
    """An optional JSON integer field."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ControlError(f"{name} must be an integer")
    if minimum is not None and value < minimum:
        raise ControlError(f"{name} must be at least {minimum}")
    return value


def text(body: Body, name: str, *, required: bool = False, choices: tuple[str, ...] = ()) -> str | None:
    """A JSON string field, optionally one of ``choices``."""
    value = body.get(name)
    if value is None:
        if required:
            raise ControlError(f"{name} is required")
        return None
    if not isinstance(value, str) or not value:
        raise ControlError(f"{name} must be a non-empty string")
    if choices and value not in choices:
        raise ControlError(f"{name} must be one of {', '.join(choices)}")
    return value


def outcome(value: Any, where: str) -> Outcome:
    """An outcome: ``"success"``, ``"fail"``, ``"fail; message=..."`` or ``{"status", "errorMsg"}``."""
    if isinstance(value, str):
        try:
            return Outcome.parse(value)
        except ValueError as error:
            raise ControlError(f"{where}: {error}") from None
    if isinstance(value, dict):
        status = text(value, "status", required=True, choices=("success", "fail"))
        message = text(value, "errorMsg")
        return Outcome("fail", message or "Task failed") if status == "fail" else Outcome()
    raise ControlError(f"{where} must be 'success', 'fail', 'fail; message=...' or {{status, errorMsg}}")


def outcomes(body: Body) -> list[Outcome]:
    """The ``outcomes`` list of a scripted sequence."""
    values = body.get("outcomes")
    if not isinstance(values, list) or not values:
        raise ControlError("outcomes must be a non-empty list")
    return [outcome(value, f"outcomes[{i}]") for i, value in enumerate(values)]


def outcome_scripts(value: Any, where: str = "outcomes") -> dict[str, list[Outcome]]:
    """Scripted outcomes per operationId (or ``"*"``): each an outcome as above, or a list of them.

    ``{"m2vSubmit": "fail; message=Face not detected", "*": ["fail", {"status": "success"}]}``; an
    :class:`Outcome` is taken as it is.
    """
    if not isinstance(value, Mapping):
        raise ControlError(f'{where} must map an operationId (or "*") to outcomes')
    scripts: dict[str, list[Outcome]] = {}
    for operation_id, items in value.items():
        if not isinstance(operation_id, str) or not operation_id:
            raise ControlError(f"{where}: {operation_id!r} is not an operationId")
        listed = items if isinstance(items, list | tuple) else [items]
        if not listed:
            raise ControlError(f"{where}[{operation_id!r}] must not be empty")
        scripts[operation_id] = [
            item if isinstance(item, Outcome) else outcome(item, f"{where}[{operation_id!r}][{i}]")
            for i, item in enumerate(listed)
        ]
    return scripts


def progression(body: Body, base: Progression) -> Progression:
    """A progression from ``mode``, ``init`` and ``running``; omitted fields keep ``base``'s."""
    mode = text(body, "mode", choices=("time", "polls", "manual")) or base.mode
    init = number(body, "init", minimum=0)
    running = number(body, "running", minimum=0)
    return Progression(
        mode,  # type: ignore[arg-type]  # checked against the choices above
        base.init if init is None else init,
        base.running if running is None else running,
    )


FAULT_FIELDS = frozenset({"operationId", "uid", "code", "status", "latency", "drop", "times", "probability", "seed"})


def fault_spec(body: Body) -> FaultSpec:
    """A fault rule from its JSON form."""
    code = body.get("code")
    if code is not None and not isinstance(code, str):
        raise ControlError('code must be a string, such as "5003"')
    drop = body.get("drop", False)
    if not isinstance(drop, bool):
        raise ControlError("drop must be true or false")
    try:
        return FaultSpec(
            operation=text(body, "operationId") or "*",
            uid=text(body, "uid"),
            code=code,
            status=integer(body, "status"),
            latency=_latency(body.get("latency")),
            drop=drop,
            times=integer(body, "times"),
            probability=number(body, "probability"),
            seed=integer(body, "seed"),
        )
    except ValueError as error:
        raise ControlError(str(error)) from None


def fault_specs(value: Any, where: str = "faults") -> list[FaultSpec]:
    """A list of fault rules in their JSON form (as ``POST /_mock/faults`` takes them); a FaultSpec as it is."""
    if not isinstance(value, list | tuple):
        raise ControlError(f"{where} must be a list of fault rules")
    specs = []
    for i, item in enumerate(value):
        if isinstance(item, FaultSpec):
            specs.append(item)
        elif isinstance(item, dict):
            try:
                specs.append(fault_spec(known_fields(item, FAULT_FIELDS)))
            except ControlError as error:
                raise ControlError(f"{where}[{i}]: {error.message}") from None
        else:
            raise ControlError(f'{where}[{i}] must be a fault rule object, such as {{"code": "5003"}}')
    return specs


def _latency(value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value), float(value)
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        return float(value[0]), float(value[1])
    raise ControlError("latency must be seconds, or [min, max] seconds drawn under the rule's seed")


# JSON name -> DeliveryPolicy field, for the numbers of PUT /_mock/callbacks/policy (and their minimum).
POLICY_NUMBERS: dict[str, tuple[str, float]] = {
    "firstDelay": ("first_delay", 0),
    "backoff": ("backoff", 1),
    "maxDelay": ("max_delay", 0),
    "attemptTimeout": ("attempt_timeout", 0),
    "extraDelay": ("extra_delay", 0),
    "shuffleWindow": ("shuffle_window", 0),
}
POLICY_FIELDS = frozenset({*POLICY_NUMBERS, "maxAttempts", "allowedHosts", "deliverTwice"})


def notice_policy(body: Body, base: DeliveryPolicy) -> DeliveryPolicy:
    """A callback delivery policy from its JSON form; omitted fields keep ``base``'s."""
    changes: dict[str, Any] = {}
    for name, (attribute, minimum) in POLICY_NUMBERS.items():
        value = number(body, name, minimum=minimum)
        if value is None:
            continue
        if not math.isfinite(value) or (name == "attemptTimeout" and value <= 0):
            raise ControlError(f"{name} must be a finite number" + (" above 0" if name == "attemptTimeout" else ""))
        changes[attribute] = value
    attempts = integer(body, "maxAttempts", minimum=1)
    if attempts is not None:
        changes["max_attempts"] = attempts
    if "deliverTwice" in body:
        if not isinstance(body["deliverTwice"], bool):
            raise ControlError("deliverTwice must be true or false")
        changes["deliver_twice"] = body["deliverTwice"]
    if "allowedHosts" in body:
        hosts = body["allowedHosts"]
        if not isinstance(hosts, list) or not all(isinstance(h, str) and h.strip() for h in hosts):
            raise ControlError("allowedHosts must be a list of host names, IP addresses, networks or '*'")
        changes["allowed_hosts"] = tuple(hosts)
    try:
        return dataclasses.replace(base, **changes)
    except ValueError as error:  # the policy's own cross-checks
        raise ControlError(str(error)) from None


def policy_json(policy: DeliveryPolicy) -> dict[str, Any]:
    """A delivery policy as the control API shows it."""
    return {
        "maxAttempts": policy.max_attempts,
        **{name: getattr(policy, attribute) for name, (attribute, _) in POLICY_NUMBERS.items()},
        "allowedHosts": list(policy.allowed_hosts),
        "deliverTwice": policy.deliver_twice,
    }
