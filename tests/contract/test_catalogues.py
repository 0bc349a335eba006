"""Catalogues: pagination, filters, seeded data, and the documented ids (the four Thai voices)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from topview_calls import BASE_URL, assert_valid, load_contract, ok, op

from mock_server import MockConfig, TopviewMock, create_app
from mock_server.contract.catalogues import THAI_VOICE_IDS
from mock_server.contract.openapi import Contract

# paged list -> (id field, required parameters)
PAGED: dict[str, tuple[str, dict[str, Any]]] = {
    "voiceQuery": ("voiceId", {}),
    "ethnicityList": ("ethnicityId", {"scene": "video_avatar"}),
    "aiAvatarQuery": ("aiavatarId", {}),
    "paPublicAvatarQuery": ("avatarId", {}),
    "anyshootTemplateList": ("templateId", {}),
}
UNPAGED: dict[str, str] = {
    "captionList": "captionId",
    "paCategoryList": "categoryId",
    "anyshootTemplateCategoryList": "categoryId",
}


async def page(client: httpx.AsyncClient, operation_id: str, **params: Any) -> dict[str, Any]:
    """One page of a paged list, validated against the contract."""
    envelope = await op(client, operation_id, params=params)
    assert_valid(operation_id, envelope)
    result: dict[str, Any] = ok(envelope)
    return result


async def everything(
    client: httpx.AsyncClient, operation_id: str, page_size: int = 100, **params: Any
) -> list[dict[str, Any]]:
    """Every item of a paged list, walking the pages until one comes back short."""
    items: list[dict[str, Any]] = []
    page_no = 1
    while True:
        result = await page(client, operation_id, pageNo=page_no, pageSize=page_size, **params)
        items += result["data"]
        if len(result["data"]) < page_size:
            return items
        page_no += 1


def item_properties(operation_id: str) -> set[str]:
    """The fields the contract declares for an item of a list."""
    schema = load_contract()[operation_id].result_schema
    items = schema["items"] if "items" in schema else schema["properties"]["data"]["items"]
    return set(items["properties"])


@pytest.mark.anyio
@pytest.mark.parametrize("operation_id", list(PAGED))
@pytest.mark.parametrize("page_size", [1, 7, 20])
async def test_pages_add_up_to_the_total(client: httpx.AsyncClient, operation_id: str, page_size: int) -> None:
    """Every page reports the same total, echoes pageNo/pageSize, and the pages partition the items."""
    id_field, required = PAGED[operation_id]
    first = await page(client, operation_id, pageSize=page_size, **required)
    total = first["total"]
    assert total > 0 and first["pageNo"] == 1 and first["pageSize"] == page_size
    pages = -(-total // page_size)
    seen: list[str] = []
    for page_no in range(1, min(pages, 25) + 1):
        result = await page(client, operation_id, pageNo=page_no, pageSize=page_size, **required)
        assert result["total"] == total and result["pageNo"] == page_no and result["pageSize"] == page_size
        expected = page_size if page_no < pages else total - page_size * (pages - 1)
        assert len(result["data"]) == expected
        seen += [item[id_field] for item in result["data"]]
    assert len(seen) == len(set(seen))
    if pages <= 25:
        assert len(seen) == total
        assert seen == [item[id_field] for item in await everything(client, operation_id, **required)]
    beyond = await page(client, operation_id, pageNo=pages + 1, pageSize=page_size, **required)
    assert beyond["data"] == [] and beyond["total"] == total


@pytest.mark.anyio
@pytest.mark.parametrize("operation_id", list(PAGED))
async def test_default_paging_is_page_1_of_20(client: httpx.AsyncClient, operation_id: str) -> None:
    """Without pageNo/pageSize the first 20 items come back."""
    _, required = PAGED[operation_id]
    result = await page(client, operation_id, **required)
    assert result["pageNo"] == 1 and result["pageSize"] == 20
    assert len(result["data"]) == min(20, result["total"])


@pytest.mark.anyio
@pytest.mark.parametrize("operation_id", [*PAGED, *UNPAGED])
async def test_items_show_only_contract_fields(client: httpx.AsyncClient, operation_id: str) -> None:
    """Items carry the contract's fields only (internal ones such as popularity or scene stay inside)."""
    if operation_id in PAGED:
        items = await everything(client, operation_id, **PAGED[operation_id][1])
    else:
        envelope = await op(client, operation_id)
        assert_valid(operation_id, envelope)
        items = ok(envelope)
    assert items
    allowed = item_properties(operation_id)
    for item in items:
        assert set(item) <= allowed, set(item) - allowed


@pytest.mark.anyio
@pytest.mark.parametrize("operation_id", list(UNPAGED))
async def test_unpaged_lists_are_arrays_of_unique_ids(client: httpx.AsyncClient, operation_id: str) -> None:
    """Caption and category lists are plain arrays."""
    items = ok(await op(client, operation_id))
    ids = [item[UNPAGED[operation_id]] for item in items]
    assert ids and len(ids) == len(set(ids))


# -- filters ---------------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("operation_id", "field", "values"),
    [
        ("voiceQuery", "gender", ("male", "female")),
        ("aiAvatarQuery", "gender", ("male", "female")),
        ("paPublicAvatarQuery", "gender", ("male", "female")),
        ("anyshootTemplateList", "style", ("UGC", "Pro")),
    ],
)
async def test_equality_filters_split_the_catalogue(
    client: httpx.AsyncClient, operation_id: str, field: str, values: tuple[str, ...]
) -> None:
    """Each value keeps only matching items; the values' totals add up to the unfiltered total."""
    total = (await page(client, operation_id))["total"]
    totals = 0
    for value in values:
        items = await everything(client, operation_id, **{field: value})
        assert items and all(item[field] == value for item in items)
        assert (await page(client, operation_id, **{field: value}))["total"] == len(items)
        totals += len(items)
    assert totals == total


@pytest.mark.anyio
async def test_voice_language_filter_finds_the_four_thai_voices(client: httpx.AsyncClient) -> None:
    """language=th gives exactly the four documented Thai voices; another language only its own voices."""
    thai = await everything(client, "voiceQuery", language="th")
    assert sorted(v["voiceId"] for v in thai) == sorted(THAI_VOICE_IDS)
    assert all(v["bestSupportLanguage"] == "th" for v in thai)
    english = await everything(client, "voiceQuery", language="en")
    assert english and all(v["bestSupportLanguage"] == "en" for v in english)
    female_thai = await everything(client, "voiceQuery", language="th", gender="female")
    assert {v["voiceId"] for v in female_thai} == {v["voiceId"] for v in thai if v["gender"] == "female"}


@pytest.mark.anyio
async def test_thai_voices_work_with_m2v_in_thai(client: httpx.AsyncClient) -> None:
    """Every voice the Thai filter lists is accepted by m2v with language th."""
    for voice in await everything(client, "voiceQuery", language="th"):
        body = {"productLink": "https://shop.example.com/cup", "language": "th", "voiceId": voice["voiceId"]}
        assert (await op(client, "m2vSubmit", body=body))["code"] == "200"


@pytest.mark.anyio
async def test_unknown_filter_values_give_an_empty_page(client: httpx.AsyncClient) -> None:
    """Unknown language, category or ethnicity ids: an empty page, not an error (contract decision)."""
    for operation_id, params in (
        ("voiceQuery", {"language": "xx"}),
        ("aiAvatarQuery", {"ethnicityIdList": "nope"}),
        ("paPublicAvatarQuery", {"categoryIds": "nope"}),
        ("anyshootTemplateList", {"categoryIds": "nope"}),
    ):
        result = await page(client, operation_id, **params)
        assert result["total"] == 0 and result["data"] == []


@pytest.mark.anyio
async def test_ethnicity_scenes_are_separate_lists(client: httpx.AsyncClient) -> None:
    """scene video_avatar and product_avatar list different ethnicity ids."""
    video = await everything(client, "ethnicityList", scene="video_avatar")
    product = await everything(client, "ethnicityList", scene="product_avatar")
    assert video and product
    assert not {e["ethnicityId"] for e in video} & {e["ethnicityId"] for e in product}


@pytest.mark.anyio
async def test_ai_avatar_ethnicity_filter(client: httpx.AsyncClient) -> None:
    """ethnicityIdList keeps avatars having one of the (comma-separated) video_avatar ethnicities."""
    ethnicities = [e["ethnicityId"] for e in await everything(client, "ethnicityList", scene="video_avatar")]
    every = await everything(client, "aiAvatarQuery")
    matched: dict[str, set[str]] = {}
    for ethnicity in ethnicities[:3]:
        avatars = await everything(client, "aiAvatarQuery", ethnicityIdList=ethnicity)
        assert all(ethnicity in {e["ethnicityId"] for e in a["ethnicities"]} for a in avatars)
        expected = {a["aiavatarId"] for a in every if ethnicity in {e["ethnicityId"] for e in a["ethnicities"] or []}}
        matched[ethnicity] = {a["aiavatarId"] for a in avatars}
        assert matched[ethnicity] == expected
    assert any(matched.values())
    both = await everything(client, "aiAvatarQuery", ethnicityIdList=",".join(ethnicities[:2]))
    assert {a["aiavatarId"] for a in both} == matched[ethnicities[0]] | matched[ethnicities[1]]
    female = await everything(client, "aiAvatarQuery", ethnicityIdList=ethnicities[0], gender="female")
    assert {a["aiavatarId"] for a in female} == {
        a for a in matched[ethnicities[0]] if next(x for x in every if x["aiavatarId"] == a)["gender"] == "female"
    }


@pytest.mark.anyio
async def test_public_product_avatar_category_filter(client: httpx.AsyncClient) -> None:
    """categoryIds keeps avatars in one of the listed categories; the categories come from the category list."""
    categories = [c["categoryId"] for c in ok(await op(client, "paCategoryList"))]
    every = await everything(client, "paPublicAvatarQuery")
    for category in categories[:4]:
        avatars = await everything(client, "paPublicAvatarQuery", categoryIds=category)
        expected = [a["avatarId"] for a in every if category in {c["categoryId"] for c in a["avatarCategoryList"]}]
        assert sorted(a["avatarId"] for a in avatars) == sorted(expected)
    two = ",".join(categories[:2])
    union = {a["avatarId"] for a in every if {c["categoryId"] for c in a["avatarCategoryList"]} & set(categories[:2])}
    assert {a["avatarId"] for a in await everything(client, "paPublicAvatarQuery", categoryIds=two)} == union


@pytest.mark.anyio
async def test_public_product_avatar_ethnicity_filter_uses_product_scene(client: httpx.AsyncClient) -> None:
    """ethnicityIds of scene product_avatar filter public product avatars."""
    ethnicity = (await everything(client, "ethnicityList", scene="product_avatar"))[0]["ethnicityId"]
    avatars = await everything(client, "paPublicAvatarQuery", ethnicityIds=ethnicity)
    assert all(ethnicity in {e["ethnicityId"] for e in a["avatarEthnicityList"]} for a in avatars)


@pytest.mark.anyio
async def test_anyshoot_template_category_and_style_filters(client: httpx.AsyncClient) -> None:
    """Template categories come from the category list; categoryIds and style combine."""
    categories = [c["categoryId"] for c in ok(await op(client, "anyshootTemplateCategoryList"))]
    every = await everything(client, "anyshootTemplateList")
    counted = 0
    for category in categories:
        templates = await everything(client, "anyshootTemplateList", categoryIds=category)
        assert all(category in {c["categoryId"] for c in t["templateCategoryList"]} for t in templates)
        counted += len(templates)
        ugc = await everything(client, "anyshootTemplateList", categoryIds=category, style="UGC")
        assert {t["templateId"] for t in ugc} == {t["templateId"] for t in templates if t["style"] == "UGC"}
    assert counted >= len(every)  # every template is in at least one category


@pytest.mark.anyio
async def test_catalogue_ids_are_accepted_as_references(client: httpx.AsyncClient) -> None:
    """Ids read from the catalogues are the ones submits accept (a public avatar, a template, a voice)."""
    avatar = (await page(client, "aiAvatarQuery", pageSize=1))["data"][0]["aiavatarId"]
    voice = (await page(client, "voiceQuery", pageSize=1, language="en"))["data"][0]["voiceId"]
    caption = ok(await op(client, "captionList"))[0]["captionId"]
    body = {"productLink": "https://shop.example.com/cup", "aiavatarId": avatar, "voiceId": voice, "captionId": caption}
    assert (await op(client, "m2vSubmit", body=body))["code"] == "200"


# -- seeds -----------------------------------------------------------------------------------------------


async def snapshot(contract: Contract, seed: int) -> dict[str, Any]:
    """Every catalogue of a fresh fake with ``seed``, media URLs aside (they are signed per request)."""
    app = create_app(mock=TopviewMock(MockConfig(seed=seed), contract=contract))
    out: dict[str, Any] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL) as client:
        for operation_id, (_, required) in PAGED.items():
            out[operation_id] = _unsigned(await everything(client, operation_id, **required))
        for operation_id in UNPAGED:
            out[operation_id] = _unsigned(ok(await op(client, operation_id)))
    return out


def _unsigned(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _unsigned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unsigned(v) for v in value]
    return value.split("?", 1)[0] if isinstance(value, str) else value


@pytest.mark.anyio
async def test_same_seed_same_catalogues_other_seed_different(contract: Contract) -> None:
    """Two fakes with one seed list identical data; another seed gives other data but the same documented ids."""
    first, again, other = await snapshot(contract, 7), await snapshot(contract, 7), await snapshot(contract, 8)
    assert first == again
    for operation_id in ("voiceQuery", "aiAvatarQuery", "paPublicAvatarQuery", "anyshootTemplateList"):
        assert first[operation_id] != other[operation_id], operation_id
    for catalogues in (first, other):
        voices = {v["voiceId"]: v for v in catalogues["voiceQuery"]}
        assert all(voices[voice]["bestSupportLanguage"] == "th" for voice in THAI_VOICE_IDS)
        assert "3327" in {a["aiavatarId"] for a in catalogues["aiAvatarQuery"]}  # the documented default avatar
