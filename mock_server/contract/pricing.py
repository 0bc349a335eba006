"""What each kind of task costs, from the billing rules and the catalogue's price estimates."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from ..engine.state import Tenant
from .models import ModelCatalogue

Params = Mapping[str, Any]
Cost = Callable[[Params, Tenant], float]


def fixed(amount: float) -> Cost:
    """A cost that does not depend on the request."""
    return lambda params, tenant: amount


def per_count(unit: float) -> Cost:
    """``unit`` credits per generated output."""
    return lambda params, tenant: unit * _count(params)


def _count(params: Params) -> int:
    return int(params.get("generatingCount") or params.get("generateCount") or 1)


def video_rate(models: ModelCatalogue, table: str) -> Cost:
    """Catalogue rate per second × duration × count (the official client's estimate)."""

    def cost(params: Params, tenant: Tenant) -> float:
        model = models.find(table, params.get("model"))
        if model is None:
            return 0.0
        duration = params.get("duration")
        seconds = duration if isinstance(duration, int) and duration > 0 else models.default_duration(model)
        return round(models.video_rate(model, params) * seconds * _count(params), 3)

    return cost


def image_unit(models: ModelCatalogue, table: str) -> Cost:
    """Catalogue price per image × count."""

    def cost(params: Params, tenant: Tenant) -> float:
        model = models.find(table, params.get("model"))
        return 0.0 if model is None else round(models.image_price(table, model, params) * _count(params), 3)

    return cost


def file_seconds(tenant: Tenant, file_id: Any, default: float = 10.0) -> float:
    """The duration of an uploaded file, or ``default`` when unknown."""
    record = tenant.files.get(file_id) if isinstance(file_id, str) else None
    return record.duration if record is not None and record.duration else default


def photo_avatar(params: Params, tenant: Tenant) -> float:
    """Billing rule photo_avatar4: output seconds rounded up × rate; offPeak halves avatar4 modes."""
    rate = {"avatar4": 0.1, "avatar4Fast": 0.06, "avatar2": 0.4}.get(str(params.get("mode")), 0.1)
    if params.get("scriptMode") == "audio":
        seconds = file_seconds(tenant, params.get("audioFileId"))
    else:  # about 15 characters of speech a second
        seconds = max(1.0, len(str(params.get("ttsText") or "")) / 15)
    if params.get("offPeak") and params.get("mode") in ("avatar4", "avatar4Fast"):
        rate /= 2
    return round(math.ceil(seconds) * rate, 3)


def video_seconds_rate(rate: float, field: str, cap: float | None = None) -> Cost:
    """``rate`` credits per second of the video uploaded in ``field`` (capped at ``cap`` seconds)."""

    def cost(params: Params, tenant: Tenant) -> float:
        seconds = math.ceil(file_seconds(tenant, params.get(field)))
        return round(rate * (min(seconds, cap) if cap else seconds), 3)

    return cost


def video_character_swap(params: Params, tenant: Tenant) -> float:
    """0.3 credits a second of the processed video, at most 60 s (billing rules)."""
    tracking = tenant.tasks.get(str(params.get("videoMaskDrawingTaskId")))
    process = tenant.tasks.get(str(tracking.params.get("videoProcessTaskId"))) if tracking else None
    seconds = file_seconds(tenant, process.params.get("inputVideoFileId")) if process else 10.0
    return round(0.3 * min(math.ceil(seconds), 60), 3)


def image_translate(params: Params, tenant: Tenant) -> float:
    """Images × target languages × 2 in all, half at translate time, half when generating."""
    return float(len(params.get("languages") or []))


def image_generate(params: Params, tenant: Tenant) -> float:
    """The generating half of a single translate: one credit per target language."""
    source = tenant.tasks.get(str(params.get("taskId")))
    return float(len(source.params.get("languages") or [])) if source else 0.0


def image_translate_batch(params: Params, tenant: Tenant) -> float:
    """Images × target languages × 2 (billing rules)."""
    return float(len(params.get("fileIds") or []) * len(params.get("languages") or []) * 2)
