"""Scenarios: one JSON document saying how the fake behaves for a whole client run.

A scenario gathers what the control API sets piece by piece — progression, per-operation outcomes and
faults, response variants, account state and callback aids — so a test kit can generate, shrink, save
and replay it as one value. Applying one resets the fake first (:meth:`TopviewMock.apply_scenario`,
``PUT /_mock/scenario``, ``topview-mock serve --scenario FILE``). Every field may be left out::

    {"progression": {"mode": "polls", "init": 1, "running": 2},
     "outcomes": {"scraperSubmit": ["fail; message=Product page unreachable"]},
     "faults": [{"operationId": "scraperQuery", "code": "5003", "times": 2}],
     "variants": [{"operationId": "scraperQuery", "kind": "null", "path": "result.productImages"}],
     "account": {"credits": 0, "maxUnfinished": 0},
     "callbacks": {"deliverTwice": true, "extraDelay": 5, "shuffleWindow": 2}}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..engine.credits import MAX_CREDITS
from ..engine.tasks import Outcome, Progression
from . import schema
from .faults import FaultSpec
from .schema import ControlError
from .variants import Variant, VariantError, parse_path

FIELDS = frozenset({"progression", "outcomes", "faults", "variants", "account", "callbacks"})
_VARIANT_FIELDS = frozenset({"operationId", "kind", "path", "value", "times"})
_ACCOUNT_FIELDS = frozenset({"credits", "maxUnfinished"})
_CALLBACK_FIELDS = frozenset({"deliverTwice", "extraDelay", "shuffleWindow"})


@dataclass(frozen=True, slots=True)
class AccountState:
    """Every account's starting balance (low: 4100) and the unfinished-task limit (0: every submit 4007)."""

    credits: float | None = None
    max_unfinished: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The fields that are set."""
        out: dict[str, Any] = {}
        if self.credits is not None:
            out["credits"] = self.credits
        if self.max_unfinished is not None:
            out["maxUnfinished"] = self.max_unfinished
        return out


@dataclass(frozen=True, slots=True)
class CallbackAids:
    """Callbacks delivered twice, late (virtual seconds), or out of order within a window."""

    deliver_twice: bool = False
    extra_delay: float = 0.0
    shuffle_window: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The aids that are on."""
        out: dict[str, Any] = {}
        if self.deliver_twice:
            out["deliverTwice"] = True
        if self.extra_delay:
            out["extraDelay"] = self.extra_delay
        if self.shuffle_window:
            out["shuffleWindow"] = self.shuffle_window
        return out


@dataclass(frozen=True, slots=True)
class Scenario:
    """How the fake behaves for one client run; the empty scenario is the fake as configured."""

    progression: Progression | None = None
    outcomes: tuple[tuple[str, tuple[Outcome, ...]], ...] = ()
    faults: tuple[FaultSpec, ...] = ()
    variants: tuple[Variant, ...] = ()
    account: AccountState = field(default_factory=AccountState)
    callbacks: CallbackAids = field(default_factory=CallbackAids)

    @property
    def fault_free(self) -> bool:
        """No fault rule and no drift variant: every request the client sends should be one the contract takes."""
        return not self.faults and all(v.tier == "valid" for v in self.variants)

    def operations(self) -> set[str]:
        """The operationIds the scenario names."""
        named = {op for op, _ in self.outcomes} | {f.operation for f in self.faults}
        return (named | {v.operation for v in self.variants}) - {"*"}

    def to_json(self) -> dict[str, Any]:
        """The scenario document, without the parts left at their defaults."""
        out: dict[str, Any] = {}
        if self.progression is not None:
            p = self.progression
            out["progression"] = {"mode": p.mode, "init": p.init, "running": p.running}
        if self.outcomes:
            out["outcomes"] = {op: [outcome_text(o) for o in items] for op, items in self.outcomes}
        if self.faults:
            out["faults"] = [fault_json(spec) for spec in self.faults]
        if self.variants:
            out["variants"] = [variant.to_json() for variant in self.variants]
        if self.account.to_json():
            out["account"] = self.account.to_json()
        if self.callbacks.to_json():
            out["callbacks"] = self.callbacks.to_json()
        return out

    @classmethod
    def from_json(cls, data: Any) -> Scenario:
        """Read a scenario document; :class:`ControlError` names the first field that is wrong."""
        body = _object(data, "scenario", FIELDS)
        return cls(
            progression=_progression(body.get("progression")),
            outcomes=_outcomes(body.get("outcomes")),
            faults=_faults(body.get("faults")),
            variants=_variants(body.get("variants")),
            account=_account(body.get("account")),
            callbacks=_callbacks(body.get("callbacks")),
        )


def unknown_operations(scenario: Scenario, known: set[str]) -> list[str]:
    """The fields of ``scenario`` naming an operationId that is not in ``known``, as ``faults[0].operationId``."""
    found = [f"outcomes.{op}" for op, _ in scenario.outcomes if op != "*" and op not in known]
    found += [f"faults[{i}].operationId" for i, f in enumerate(scenario.faults) if f.operation not in known | {"*"}]
    found += [f"variants[{i}].operationId" for i, v in enumerate(scenario.variants) if v.operation not in known]
    return found


def outcome_text(outcome: Outcome) -> str:
    """``success`` or ``fail; message=...``: the form :meth:`Outcome.parse` reads."""
    return "success" if outcome.status == "success" else f"fail; message={outcome.message or 'Task failed'}"


def fault_json(spec: FaultSpec) -> dict[str, Any]:
    """A fault spec as ``POST /_mock/faults`` takes it, without defaults."""
    out: dict[str, Any] = {"operationId": spec.operation}
    latency = spec.latency
    values = {
        "uid": spec.uid,
        "code": spec.code,
        "status": spec.status,
        "latency": (latency[0] if latency[0] == latency[1] else list(latency))
        if isinstance(latency, tuple)
        else latency,
        "drop": spec.drop or None,
        "times": spec.times,
        "probability": spec.probability,
        "seed": spec.seed,
    }
    out.update({name: value for name, value in values.items() if value is not None})
    return out


def _object(value: Any, where: str, allowed: frozenset[str]) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ControlError(f"{where} must be a JSON object")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ControlError(f"{where}.{unknown[0]} is not a known field (known: {', '.join(sorted(allowed))})")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ControlError(f"{where} must be a list")
    return value


def _progression(value: Any) -> Progression | None:
    if value is None:
        return None
    body = _object(value, "progression", frozenset({"mode", "init", "running"}))
    try:
        return schema.progression(body, Progression())
    except ControlError as error:
        raise ControlError(f"progression.{error.message}") from None


def _outcomes(value: Any) -> tuple[tuple[str, tuple[Outcome, ...]], ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise ControlError('outcomes must be an object: {"<operationId>": ["success" | "fail; message=..."]}')
    found = []
    for operation, items in value.items():
        listed = items if isinstance(items, list) else [items]
        if not listed:
            raise ControlError(f"outcomes.{operation} must not be empty")
        parsed = tuple(schema.outcome(o, f"outcomes.{operation}[{i}]") for i, o in enumerate(listed))
        found.append((str(operation), parsed))
    return tuple(found)


def _faults(value: Any) -> tuple[FaultSpec, ...]:
    specs = []
    for i, item in enumerate(_list(value, "faults")):
        body = _object(item, f"faults[{i}]", schema.FAULT_FIELDS)
        try:
            specs.append(schema.fault_spec(body))
        except ControlError as error:
            raise ControlError(f"faults[{i}].{error.message}") from None
    return tuple(specs)


def _variants(value: Any) -> tuple[Variant, ...]:
    found = []
    for i, item in enumerate(_list(value, "variants")):
        body = _object(item, f"variants[{i}]", _VARIANT_FIELDS)
        try:
            number = schema.number(body, "value")
            found.append(
                Variant(
                    operation=schema.text(body, "operationId", required=True) or "",
                    kind=schema.text(body, "kind", required=True) or "",
                    path=parse_path(body.get("path") or ""),
                    value=int(number) if number is not None and number.is_integer() else number,
                    times=schema.integer(body, "times"),
                )
            )
        except (ControlError, VariantError) as error:
            raise ControlError(f"variants[{i}].{getattr(error, 'message', error)}") from None
    return tuple(found)


def _account(value: Any) -> AccountState:
    body = _object(value, "account", _ACCOUNT_FIELDS)
    try:
        return AccountState(
            credits=schema.number(body, "credits", minimum=0, maximum=float(MAX_CREDITS)),
            max_unfinished=schema.integer(body, "maxUnfinished", minimum=0),
        )
    except ControlError as error:
        raise ControlError(f"account.{error.message}") from None


def _callbacks(value: Any) -> CallbackAids:
    body = _object(value, "callbacks", _CALLBACK_FIELDS)
    twice = body.get("deliverTwice", False)
    if not isinstance(twice, bool):
        raise ControlError("callbacks.deliverTwice must be true or false")
    try:
        return CallbackAids(
            deliver_twice=twice,
            extra_delay=schema.number(body, "extraDelay", minimum=0) or 0.0,
            shuffle_window=schema.number(body, "shuffleWindow", minimum=0) or 0.0,
        )
    except ControlError as error:
        raise ControlError(f"callbacks.{error.message}") from None
