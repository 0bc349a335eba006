"""Model rules from ``contracts/catalogs.yaml``: which models, sizes, durations and inputs each accepts.

Operations with ``x-topview-catalog: <table>`` are checked here. Models are found by display name
("Seedance 1.5 Pro") or code ("seedance-1.5-pro"), case-insensitively, as the reference README decides,
and by the other names published clients use (``aliases``: "Standard(SD 2.0)" in the official MCP table);
messages copy the real style: "seedance-2.5 supports resolutions: 480, 720."
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..engine.errors import TopviewError, bad_value
from ..engine.state import Tenant
from .resources import data_dir, read_yaml
from .validation import ContractError, is_empty

Model = Mapping[str, Any]
TABLES = ("text2video", "image2video_v2", "omni_reference", "text2image", "image_edit")


def model_code(name: str) -> str:
    """The model code of a display name: "Seedance 1.5 Pro" -> "seedance-1.5-pro"."""
    return re.sub(r"\s+", "-", name.strip().lower())


class ModelCatalogue:
    """The model tables, indexed by display name and code."""

    def __init__(self, path: Path | None = None) -> None:
        document = read_yaml(path or data_dir("contracts") / "catalogs.yaml")  # start-up time: cached
        self.tables: dict[str, Any] = document["catalogs"]
        self._index: dict[str, dict[str, Model]] = {}
        for table in TABLES:
            models = self.tables[table]
            self._index[table] = {}
            for model in models:
                # the display name, its code, and the names published clients use for the same model
                for name in (model["model"], *model.get("aliases", ())):
                    self._index[table][name.lower()] = model
                    self._index[table][model_code(name)] = model

    def require_table(self, table: str, where: str) -> None:
        """Refuse an ``x-topview-catalog`` naming a table that does not exist (at start-up)."""
        if table not in self._index:
            raise ContractError(f"{where}: unknown x-topview-catalog {table!r}")

    def find(self, table: str, name: Any) -> Model | None:
        """The model called ``name`` (display name or code) in ``table``."""
        return self._index[table].get(str(name).strip().lower()) if isinstance(name, str) else None

    # -- prices ------------------------------------------------------------------------------------

    def video_rate(self, model: Model, params: Mapping[str, Any]) -> float:
        """Credits per second for the request's resolution and sound."""
        rates = self.tables["video_price_per_second"]["rates"].get(model["model"], {})
        resolution = params.get("resolution") or self.default_resolution(model) or "any"
        sound = params.get("sound") or "off"
        for key in (
            f"res={resolution},sound={sound}",
            f"res={resolution},sound=any",
            f"res=any,sound={sound}",
            "res=any,sound=any",
        ):
            if key in rates:
                return float(rates[key])
        return min((float(v) for v in rates.values()), default=0.1)

    def image_price(self, table: str, model: Model, params: Mapping[str, Any]) -> float:
        """Credits per image at the request's resolution."""
        prices = self.tables["image_price_per_image"]["rates"][table].get(model["model"], {})
        return float(prices.get(params.get("resolution") or "default", min(prices.values(), default=0.2)))

    @staticmethod
    def default_resolution(model: Model) -> Any:
        """The first resolution a model lists, or None if it takes none."""
        values = model.get("resolution")
        return values[0] if isinstance(values, list) and values else None

    @staticmethod
    def default_duration(model: Model) -> int:
        """The shortest duration a model accepts (5 s when unknown)."""
        allowed = _durations(model.get("duration"))
        return min(allowed) if allowed else 5

    # -- checks ------------------------------------------------------------------------------------

    def check(self, table: str, body: Mapping[str, Any], tenant: Tenant) -> None:
        """Every catalogue rule of ``table`` for this request body (4000 naming the field)."""
        model = self.find(table, body.get("model"))
        if model is None:
            names = ", ".join(m["model"] for m in self.tables[table])
            raise bad_value("model", f"{body.get('model')} is not supported here; supported models: {names}")
        code = model_code(model["model"])
        _allowed(code, "aspectRatio", "aspect ratios", model.get("aspectRatio"), body.get("aspectRatio"))
        _allowed(code, "resolution", "resolutions", model.get("resolution"), body.get("resolution"))
        durations = _durations(model.get("duration"))
        duration = body.get("duration")
        if (
            durations
            and isinstance(duration, int)
            and duration not in durations
            and not (
                duration == -1 and table == "omni_reference"  # -1 keeps the source length in edit mode
            )
        ):
            raise bad_value("duration", f"{duration} is not allowed: {code} supports durations: {model['duration']}.")
        if body.get("sound") == "on" and not model.get("nativeAudio", False):
            raise bad_value("sound", f"must be off: {code} has no native audio.")
        if body.get("internetSearch") and not model.get("internetSearch", False):
            raise bad_value("internetSearch", f"is not supported by {code}.")
        if table in ("text2image", "image_edit"):
            _image_rules(code, model, body)
        if table == "image_edit" and len(body.get("inputImageFileIds") or []) > model.get("maxImages", 1):
            raise bad_value("inputImageFileIds", f"{code} accepts at most {model['maxImages']} images.")
        if table == "image2video_v2":
            _input_mode(code, model.get("inputMode", "single"), body)


def _durations(spec: Any) -> set[int]:
    if spec is None:
        return set()
    text = str(spec)
    if re.fullmatch(r"\d+-\d+", text):
        low, high = (int(x) for x in text.split("-"))
        return set(range(low, high + 1))
    return {int(x) for x in text.split(",") if x.strip().isdigit()}


def _allowed(code: str, field: str, plural: str, allowed: Any, value: Any) -> None:
    if is_empty(value):
        return
    if not isinstance(allowed, list):  # "not supported (omit)", or unknown
        if isinstance(allowed, str) and "not supported" in allowed:
            raise bad_value(field, f"must be omitted: {code} does not support {plural}.")
        return
    if value not in allowed and str(value) not in [str(a) for a in allowed]:
        raise TopviewError("4000", f"{code} supports {plural}: {', '.join(str(a) for a in allowed)}.")


def _image_rules(code: str, model: Model, body: Mapping[str, Any]) -> None:
    if is_empty(body.get("aspectRatio")):
        raise TopviewError("4003", "aspectRatio cannot be null")
    takes_resolution = isinstance(model.get("resolution"), list)
    if takes_resolution and is_empty(body.get("resolution")):
        raise bad_value("resolution", f"is required: {code} supports resolutions: {', '.join(model['resolution'])}.")


def _input_mode(code: str, mode: str, body: Mapping[str, Any]) -> None:
    first, end, refs = body.get("firstFrameFileId"), body.get("endFrameFileId"), body.get("referenceImageFileIds")
    if mode == "multi_ref":
        if not isinstance(refs, list) or len(refs) < 2:
            raise bad_value("referenceImageFileIds", f"needs at least 2 images for {code}.")
        if not is_empty(first) or not is_empty(end):
            raise bad_value("firstFrameFileId", f"must be omitted: {code} takes reference images only.")
        return
    if is_empty(first):
        raise bad_value("firstFrameFileId", f"is required for {code}.")
    if not is_empty(refs):
        raise bad_value("referenceImageFileIds", f"must be omitted: {code} does not take reference images.")
    if mode == "single" and not is_empty(end):
        raise bad_value("endFrameFileId", f"must be omitted: {code} takes a first frame only.")
