"""The group table: every Topview operation the fake serves, described once as data.

A task group is a :class:`TaskKind` row (its submit and query operations, credit-log task type,
callback bizType and cost); a catalogue is a :class:`CatalogueList` row. One generic handler per *kind*
of endpoint serves every row, so adding an endpoint means a contract block and a row here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .tasks import Task

Params = Mapping[str, Any]


@dataclass(frozen=True)
class TaskKind:
    """A kind of asynchronous task: submitted by one operation, read back by another."""

    name: str
    submit: str
    query: str
    task_type: str  # as /user/credit/logs names it
    biz_type: str | Callable[[Task], str] | None
    cost: Callable[[Params], float]
    board: bool = False  # newer endpoints file their output on a board

    def biz_type_for(self, task: Task) -> str | None:
        """The callback bizType of a finished task of this kind."""
        return self.biz_type(task) if callable(self.biz_type) else self.biz_type


@dataclass(frozen=True)
class Filter:
    """A catalogue filter: query ``param`` matched against item ``field``.

    ``eq``: equal; ``csv``: the item's id is one of a comma-separated list; ``csv_any``: the item's list
    of ``{<id_key>: ...}`` objects shares an id with the comma-separated list.
    """

    param: str
    field: str
    mode: str = "eq"
    id_key: str = ""


@dataclass(frozen=True)
class CatalogueList:
    """A list endpoint over a seeded catalogue (plus the account's own items where it has ``custom``)."""

    operation_id: str
    catalogue: str
    paged: bool = True
    filters: tuple[Filter, ...] = ()
    custom: str | None = None  # Tenant attribute holding the account's own items, shown for isCustom=true
    sort: Callable[[Params], tuple[str, bool] | None] | None = None


def fixed(amount: float) -> Callable[[Params], float]:
    """A cost that does not depend on the request."""
    return lambda params: amount


def per_count(unit: float) -> Callable[[Params], float]:
    """``unit`` credits per generated output."""
    return lambda params: unit * int(params.get("generatingCount") or params.get("generateCount") or 1)


def _m2v_biz_type(task: Task) -> str:
    # Documented: a preview task calls back with M2V_PREVIEW; the export stage has its own bizType.
    return "M2V_PREVIEW" if task.params.get("preview") and task.kind == "m2v" else "M2V_EXPORT"


# Topview v1 image2video modes map onto the Topview video models' per-second rates (catalogs.yaml).
_V1_MODE_RATES = {"lite": 0.1, "pro": 0.2, "plus": 0.54, "best": 1.55}
_PA_I2V_COST = {"lite": 1.0, "pro": 2.0, "avatar2": 4.0, "avatar4": 3.0, "avatar4Fast": 1.8}


def _common_i2v_v1_cost(params: Params) -> float:
    rate = _V1_MODE_RATES.get(str(params.get("mode")), 0.1)
    return round(rate * int(params.get("duration") or 5) * int(params.get("generatingCount") or 1), 3)


TASK_KINDS: tuple[TaskKind, ...] = (
    # m2v credits are spent on export ("5 points after export"); a preview costs nothing.
    TaskKind("m2v", "m2vSubmit", "m2vQuery", "m2v", _m2v_biz_type,
             lambda p: 0.0 if p.get("preview") else 5.0),
    TaskKind("video_avatar", "videoAvatarSubmit", "videoAvatarQuery", "video_avatar", "ZERO_SHOT_AVATAR", fixed(2.0)),
    TaskKind("pa_v1_replace", "paV1ReplaceSubmit", "paV1ReplaceQuery", "product_avatar_replace",
             "PRODUCT_AVATAR_REPLACE_PRODUCT_IMAGE", fixed(1.0)),
    TaskKind("pa_v1_image2video", "paV1Image2VideoSubmit", "paV1Image2VideoQuery", "product_avatar_image2video",
             "PRODUCT_AVATAR_IMAGE2VIDEO", lambda p: _PA_I2V_COST.get(str(p.get("mode")), 1.0)),
    TaskKind("pa_v2_replace", "paV2ReplaceSubmit", "paV2ReplaceQuery", "pa2_replace_product_image",
             "PRODUCT_AVATAR_REPLACE_PRODUCT_IMAGE", fixed(1.0)),
    TaskKind("pa_v2_image2video", "paV2Image2VideoSubmit", "paV2Image2VideoQuery", "pa2_image2video",
             "PRODUCT_AVATAR_IMAGE2VIDEO", lambda p: _PA_I2V_COST.get(str(p.get("mode")), 4.0)),
    TaskKind("anyshoot", "anyshootSubmit", "anyshootQuery", "product_anyfit", "PRODUCT_ANY_SHOOT", per_count(1.0)),
    TaskKind("common_image2video", "commonImage2VideoSubmit", "commonImage2VideoQuery", "common_task_image2video",
             "COMMON_TASK_IMAGE2VIDEO", _common_i2v_v1_cost),
    TaskKind("scraper", "scraperSubmit", "scraperQuery", "scraper", "SCRAPER", fixed(0.0)),
)

# The m2v export stage is a task of its own (credit, lifecycle, callback) read through m2vQuery.
M2V_EXPORT = TaskKind("m2v_export", "m2vExport", "m2vQuery", "m2v", "M2V_EXPORT", fixed(5.0))


def _popularity_sort(params: Params) -> tuple[str, bool] | None:
    key = params.get("sortingType") or params.get("sortField")
    if key in ("Newest", "gmtCreate", "newest"):
        return "gmtCreate", params.get("sortType") != "asc"
    if key in ("Popularity", "popularity"):
        return "popularity", params.get("sortType") != "asc"
    return None


CATALOGUES: tuple[CatalogueList, ...] = (
    CatalogueList("voiceQuery", "voices", filters=(
        Filter("language", "bestSupportLanguage"), Filter("gender", "gender"), Filter("age", "age"),
        Filter("style", "style")), custom="voices"),
    CatalogueList("ethnicityList", "ethnicities", filters=(Filter("scene", "scene"),)),
    CatalogueList("aiAvatarQuery", "aiavatars", filters=(
        Filter("gender", "gender"), Filter("ethnicityIdList", "ethnicities", "csv_any", "ethnicityId")),
        custom="avatars", sort=_popularity_sort),
    CatalogueList("captionList", "captions", paged=False),
    CatalogueList("paCategoryList", "productAvatarCategories", paged=False),
    CatalogueList("paPublicAvatarQuery", "productAvatars", filters=(
        Filter("categoryIds", "avatarCategoryList", "csv_any", "categoryId"),
        Filter("ethnicityIds", "avatarEthnicityList", "csv_any", "ethnicityId"),
        Filter("gender", "gender")), sort=_popularity_sort),
    CatalogueList("anyshootTemplateCategoryList", "anyshootTemplateCategories", paged=False),
    CatalogueList("anyshootTemplateList", "anyshootTemplates", filters=(
        Filter("categoryIds", "templateCategoryList", "csv_any", "categoryId"), Filter("style", "style"))),
)


@dataclass(frozen=True)
class Table:
    """The rows by operationId, as the router and the generic handlers look them up."""

    kinds: tuple[TaskKind, ...] = TASK_KINDS
    catalogues: tuple[CatalogueList, ...] = CATALOGUES
    by_submit: dict[str, TaskKind] = field(init=False)
    by_query: dict[str, TaskKind] = field(init=False)
    by_list: dict[str, CatalogueList] = field(init=False)
    by_name: dict[str, TaskKind] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_submit", {k.submit: k for k in self.kinds})
        object.__setattr__(self, "by_query", {k.query: k for k in self.kinds})
        object.__setattr__(self, "by_list", {c.operation_id: c for c in self.catalogues})
        object.__setattr__(self, "by_name", {k.name: k for k in (*self.kinds, M2V_EXPORT)})
