"""The group table: every Topview operation the fake serves, described once as data.

A task group is a :class:`TaskKind` row (its submit and query operations, credit-log task type,
callback bizType and cost); a catalogue is a :class:`CatalogueList` row. One generic handler per *kind*
of endpoint serves every row, so adding an endpoint means a contract block and a row here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..engine.state import Tenant
from ..engine.tasks import Task
from . import pricing
from .models import ModelCatalogue
from .pricing import Cost, fixed, per_count

Params = Mapping[str, Any]


@dataclass(frozen=True)
class TaskKind:
    """A kind of asynchronous task: submitted by one operation, read back by another."""

    name: str
    submit: str
    query: str
    task_type: str  # as /user/credit/logs names it
    biz_type: str | Callable[[Task], str] | None
    cost: Cost
    tool: str = "video"  # the board's toolCategory: image | video | avatar | voice | music
    generated: bool = True  # its output is generated from the query operation's result schema

    def biz_type_for(self, task: Task) -> str | None:
        """The callback bizType of a finished task of this kind."""
        return self.biz_type(task) if callable(self.biz_type) else self.biz_type

    @property
    def media_type(self) -> str:
        """The board's mediaType of this kind's output."""
        return {"image": "image", "voice": "audio", "music": "audio"}.get(self.tool, "video")


@dataclass(frozen=True)
class Filter:
    """A catalogue filter: query ``param`` matched against item ``field``.

    ``eq``: equal; ``csv``: the item's id is one of a comma-separated list; ``csv_any``: the item's list
    of ``{<id_key>: ...}`` objects shares an id with the comma-separated list; ``csv_list``: the item's
    list of ids shares one with it.
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


def _m2v_biz_type(task: Task) -> str:
    # Documented: a preview task calls back with M2V_PREVIEW; the export stage has its own bizType.
    return "M2V_PREVIEW" if task.params.get("preview") and task.kind == "m2v" else "M2V_EXPORT"


# Topview v1 image2video modes map onto the Topview video models' per-second rates (catalogs.yaml).
_V1_MODE_RATES = {"lite": 0.1, "pro": 0.2, "plus": 0.54, "best": 1.55}
_PA_I2V_COST = {"lite": 1.0, "pro": 2.0, "avatar2": 4.0, "avatar4": 3.0, "avatar4Fast": 1.8}


def _common_i2v_v1_cost(params: Params, tenant: Tenant) -> float:
    rate = _V1_MODE_RATES.get(str(params.get("mode")), 0.1)
    return round(rate * int(params.get("duration") or 5) * int(params.get("generatingCount") or 1), 3)


def _pa_i2v_cost(params: Params, tenant: Tenant) -> float:
    return _PA_I2V_COST.get(str(params.get("mode")), 4.0)


def task_kinds(models: ModelCatalogue) -> tuple[TaskKind, ...]:
    """Every task kind. bizTypes beyond the documented fourteen follow the documented naming pattern
    (reference part B, callback_biz_type_map: "unknown"); contracts/README.md records them."""
    return (
        # m2v credits are spent on export ("5 points after export"); a preview costs nothing.
        TaskKind("m2v", "m2vSubmit", "m2vQuery", "m2v", _m2v_biz_type, lambda p, t: 0.0 if p.get("preview") else 5.0),
        TaskKind(
            "video_avatar",
            "videoAvatarSubmit",
            "videoAvatarQuery",
            "video_avatar",
            "ZERO_SHOT_AVATAR",
            fixed(2.0),
            "avatar",
        ),
        TaskKind(
            "pa_v1_replace",
            "paV1ReplaceSubmit",
            "paV1ReplaceQuery",
            "product_avatar_replace",
            "PRODUCT_AVATAR_REPLACE_PRODUCT_IMAGE",
            fixed(1.0),
            "image",
        ),
        TaskKind(
            "pa_v1_image2video",
            "paV1Image2VideoSubmit",
            "paV1Image2VideoQuery",
            "product_avatar_image2video",
            "PRODUCT_AVATAR_IMAGE2VIDEO",
            _pa_i2v_cost,
            "avatar",
        ),
        TaskKind(
            "pa_v2_replace",
            "paV2ReplaceSubmit",
            "paV2ReplaceQuery",
            "pa2_replace_product_image",
            "PRODUCT_AVATAR_REPLACE_PRODUCT_IMAGE",
            fixed(1.0),
            "image",
        ),
        TaskKind(
            "pa_v2_image2video",
            "paV2Image2VideoSubmit",
            "paV2Image2VideoQuery",
            "pa2_image2video",
            "PRODUCT_AVATAR_IMAGE2VIDEO",
            _pa_i2v_cost,
            "avatar",
        ),
        TaskKind(
            "pa_v3_replace",
            "paV3ReplaceSubmit",
            "paV3ReplaceQuery",
            "pa3_replace_product_image",
            "PRODUCT_AVATAR_REPLACE_PRODUCT_IMAGE",
            fixed(0.5),
            "image",
        ),
        TaskKind(
            "anyshoot",
            "anyshootSubmit",
            "anyshootQuery",
            "product_anyfit",
            "PRODUCT_ANY_SHOOT",
            per_count(1.0),
            "image",
        ),
        TaskKind(
            "anyshoot_v3",
            "anyshootV3ProductModelSubmit",
            "anyshootV3ProductModelQuery",
            "product_anyfit_v2_product_model",
            "PRODUCT_ANY_SHOOT",
            per_count(1.0),
            "image",
        ),
        TaskKind(
            "common_image2video",
            "commonImage2VideoSubmit",
            "commonImage2VideoQuery",
            "common_task_image2video",
            "COMMON_TASK_IMAGE2VIDEO",
            _common_i2v_v1_cost,
        ),
        TaskKind(
            "image2video_v2",
            "image2VideoV2Submit",
            "image2VideoV2Query",
            "common_task_image2video",
            "COMMON_TASK_IMAGE2VIDEO",
            pricing.video_rate(models, "image2video_v2"),
        ),
        TaskKind(
            "text2video",
            "text2VideoSubmit",
            "text2VideoQuery",
            "common_task_text2video",
            "COMMON_TASK_TEXT2VIDEO",
            pricing.video_rate(models, "text2video"),
        ),
        TaskKind(
            "omni_reference",
            "omniReferenceSubmit",
            "omniReferenceQuery",
            "common_task_omni_reference",
            "COMMON_TASK_OMNI_REFERENCE",
            pricing.video_rate(models, "omni_reference"),
        ),
        TaskKind(
            "text2image",
            "text2ImageSubmit",
            "text2ImageQuery",
            "common_task_text2image",
            "COMMON_TASK_TEXT2IMAGE",
            pricing.image_unit(models, "text2image"),
            "image",
        ),
        TaskKind(
            "image_edit",
            "imageEditSubmit",
            "imageEditQuery",
            "common_task_image_edit",
            "COMMON_TASK_IMAGE_EDIT",
            pricing.image_unit(models, "image_edit"),
            "image",
        ),
        TaskKind(
            "storyboard",
            "storyboardSubmit",
            "storyboardQuery",
            "common_task_storyboard",
            "COMMON_TASK_STORYBOARD",
            fixed(0.8),
            "image",
        ),
        TaskKind(
            "ai_music",
            "aiMusicSubmit",
            "aiMusicQuery",
            "common_task_ai_music",
            "COMMON_TASK_AI_MUSIC",
            fixed(1.0),
            "music",
        ),
        TaskKind(
            "video2aiavatar",
            "video2AiAvatarSubmit",
            "video2AiAvatarQuery",
            "video2aiavatar",
            "COMMON_TASK_VIDEO2AIAVATAR",
            fixed(2.0),
            "avatar",
        ),
        TaskKind(
            "remove_background",
            "removeBackgroundSubmit",
            "removeBackgroundQuery",
            "remove_background",
            "COMMON_TASK_REMOVE_BACKGROUND",
            fixed(0.2),
            "image",
        ),
        TaskKind(
            "video_object_remove",
            "videoObjectRemoveSubmit",
            "videoObjectRemoveQuery",
            "video_object_remove",
            "COMMON_TASK_VIDEO_OBJECT_REMOVE",
            pricing.video_seconds_rate(0.2, "videoFileId"),
        ),
        TaskKind(
            "photo_avatar",
            "photoAvatarSubmit",
            "photoAvatarQuery",
            "photo_avatar4",
            "PHOTO_AVATAR",
            pricing.photo_avatar,
            "avatar",
        ),
        TaskKind(
            "voice_clone", "voiceCloneSubmit", "voiceCloneQuery", "voice_clone", "VOICE_CLONE", fixed(1.0), "voice"
        ),
        TaskKind(
            "text2voice", "text2VoiceSubmit", "text2VoiceQuery", "text2voice", "VOICE_TEXT2VOICE", fixed(0.1), "voice"
        ),
        TaskKind(
            "instant_voice_clone",
            "instantVoiceCloneSubmit",
            "instantVoiceCloneQuery",
            "instant_voice_clone",
            "INSTANT_VOICE_CLONE",
            fixed(0.3),
            "voice",
        ),
        TaskKind(
            "character_swap",
            "characterSwapSubmit",
            "characterSwapQuery",
            "character_swap",
            "CHARACTER_SWAP",
            fixed(1.0),
            "image",
        ),
        TaskKind(
            "segment_anything",
            "segmentAnythingSubmit",
            "segmentAnythingQuery",
            "segment_anything",
            "SEGMENT_ANYTHING",
            fixed(0.1),
            "image",
        ),
        TaskKind(
            "image_translate",
            "imageTranslateSubmit",
            "imageTranslateQuery",
            "image_translate",
            "IMAGE_TRANSLATE",
            pricing.image_translate,
            "image",
        ),
        TaskKind(
            "image_generate",
            "imageGenerateSingleSubmit",
            "imageGenerateQuery",
            "image_translate",
            "IMAGE_GENERATE",
            pricing.image_generate,
            "image",
        ),
        TaskKind(
            "image_translate_batch",
            "imageTranslateBatchSubmit",
            "imageGenerateQuery",
            "image_translate",
            "IMAGE_GENERATE",
            pricing.image_translate_batch,
            "image",
        ),
        TaskKind(
            "video_process", "videoProcessSubmit", "videoProcessQuery", "video_process", "VIDEO_PROCESS", fixed(0.0)
        ),
        TaskKind(
            "video_tracking",
            "videoTrackingSubmit",
            "videoTrackingQuery",
            "video_tracking",
            "VIDEO_TRACKING",
            fixed(0.1),
        ),
        TaskKind(
            "video_character_swap",
            "videoCharacterSwapSubmit",
            "videoCharacterSwapQuery",
            "video_character_swap",
            "VIDEO_CHARACTER_SWAP",
            pricing.video_character_swap,
        ),
        TaskKind("scraper", "scraperSubmit", "scraperQuery", "scraper", "SCRAPER", fixed(0.0)),
    )


# The m2v export stage is a task of its own (credit, lifecycle, callback) read through m2vQuery.
M2V_EXPORT = TaskKind("m2v_export", "m2vExport", "m2vQuery", "m2v", "M2V_EXPORT", fixed(5.0))
# A board batch download runs on the clock like every task and costs nothing; its handler shapes it.
BOARD_DOWNLOAD = TaskKind(
    "board_download",
    "boardBatchDownloadSubmit",
    "boardBatchDownloadStatus",
    "board_download",
    None,
    fixed(0.0),
    generated=False,
)


def _popularity_sort(params: Params) -> tuple[str, bool] | None:
    key = params.get("sortingType") or params.get("sortField")
    if key in ("Newest", "gmtCreate", "newest"):
        return "gmtCreate", params.get("sortType") != "asc"
    if key in ("Popularity", "popularity"):
        return "popularity", params.get("sortType") != "asc"
    return None


CATALOGUES: tuple[CatalogueList, ...] = (
    CatalogueList(
        "voiceQuery",
        "voices",
        filters=(
            Filter("language", "bestSupportLanguage"),
            Filter("gender", "gender"),
            Filter("age", "age"),
            Filter("style", "style"),
        ),
        custom="voices",
    ),
    CatalogueList("ethnicityList", "ethnicities", filters=(Filter("scene", "scene"),)),
    CatalogueList(
        "aiAvatarQuery",
        "aiavatars",
        filters=(Filter("gender", "gender"), Filter("ethnicityIdList", "ethnicities", "csv_any", "ethnicityId")),
        custom="avatars",
        sort=_popularity_sort,
    ),
    CatalogueList("captionList", "captions", paged=False),
    CatalogueList("paCategoryList", "productAvatarCategories", paged=False),
    CatalogueList(
        "paPublicAvatarQuery",
        "productAvatars",
        filters=(
            Filter("categoryIds", "avatarCategoryList", "csv_any", "categoryId"),
            Filter("ethnicityIds", "avatarEthnicityList", "csv_any", "ethnicityId"),
            Filter("gender", "gender"),
        ),
        sort=_popularity_sort,
    ),
    CatalogueList("anyshootTemplateCategoryList", "anyshootTemplateCategories", paged=False),
    CatalogueList(
        "anyshootTemplateList",
        "anyshootTemplates",
        filters=(Filter("categoryIds", "templateCategoryList", "csv_any", "categoryId"), Filter("style", "style")),
    ),
    CatalogueList(
        "photoAvatarTemplateList",
        "photoAvatars",
        filters=(Filter("categories", "categoryIds", "csv_list"),),
        custom="photo_avatars",
    ),
    CatalogueList("photoAvatarCategoryList", "photoAvatarCategories", filters=(Filter("categoryId", "categoryId"),)),
)


class Table:
    """The rows by operationId, as the router and the generic handlers look them up."""

    def __init__(self, models: ModelCatalogue) -> None:
        self.kinds = task_kinds(models)
        self.catalogues = CATALOGUES
        self.by_submit = {k.submit: k for k in self.kinds}
        self.by_query: dict[str, tuple[TaskKind, ...]] = {}
        for kind in self.kinds:
            self.by_query[kind.query] = (*self.by_query.get(kind.query, ()), kind)
        self.by_list = {c.operation_id: c for c in self.catalogues}
        self.by_name = {k.name: k for k in (*self.kinds, M2V_EXPORT, BOARD_DOWNLOAD)}
