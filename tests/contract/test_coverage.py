"""Coverage of the reference index: every Topview endpoint with a known path is in the contract and served.

``INDEX`` is the reference's ``index:`` (part B, both scopes) copied as (method, path) pairs. It leaves
out the outbound ``PUT {uploadUrl}`` (it goes to the presigned object-store URL, not to api.topview.ai)
and the five endpoints without a known path, which contracts/README.md must list as not faked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import Route
from topview_calls import load_contract

README = Path(__file__).resolve().parents[2] / "contracts" / "README.md"

INDEX: tuple[tuple[str, str], ...] = (
    # user
    ("GET", "/user/credit/detail"),
    ("GET", "/user/credit/logs"),
    ("GET", "/user/space"),
    # boards
    ("GET", "/boards/list"),
    ("POST", "/boards/create"),
    ("GET", "/boards/detail"),
    ("PUT", "/boards/update"),
    ("DELETE", "/boards/delete"),
    ("GET", "/boards/tasks/list"),
    ("GET", "/boards/tasks/detail"),
    ("POST", "/boards/tasks/batch-delete"),
    ("POST", "/boards/tasks/batch-download/submit"),
    ("GET", "/boards/tasks/batch-download"),
    # avatar marketing video (m2v)
    ("GET", "/v1/m2v/script/list"),
    ("POST", "/v1/m2v/script/update"),
    ("POST", "/v1/m2v/task/submit"),
    ("GET", "/v1/m2v/task/query"),
    ("POST", "/v1/m2v/export"),
    ("GET", "/v1/m2v/task/list"),
    ("DELETE", "/v1/m2v/task/delete"),
    # video avatar
    ("POST", "/v1/video_avatar/task/submit"),
    ("GET", "/v1/video_avatar/task/query"),
    # photo avatar / avatar 4
    ("POST", "/v1/photo_avatar/task/submit"),
    ("GET", "/v1/photo_avatar/task/query"),
    ("GET", "/v1/photo_avatar/template/list"),
    ("GET", "/v1/photo_avatar/template/category"),
    ("POST", "/v1/photo_avatar/template/create"),
    ("DELETE", "/v1/photo_avatar/template/delete"),
    # product avatar v1
    ("POST", "/v1/product_avatar/task/image_replace/submit"),
    ("GET", "/v1/product_avatar/task/image_replace/result"),
    ("POST", "/v1/product_avatar/task/image2Video/submit"),
    ("GET", "/v1/product_avatar/task/image2Video/result"),
    # product avatar catalogues
    ("GET", "/v1/product_avatar/category/list"),
    ("GET", "/v1/product_avatar/public_avatar/query"),
    # product avatar v2
    ("POST", "/v2/product_avatar/task/image_replace/submit"),
    ("GET", "/v2/product_avatar/task/image_replace/query"),
    ("POST", "/v2/product_avatar/task/image2Video/submit"),
    ("GET", "/v2/product_avatar/task/image2Video/query"),
    # product avatar v3
    ("POST", "/v3/product_avatar/task/image_replace/submit"),
    ("GET", "/v3/product_avatar/task/image_replace/query"),
    # product anyshoot v1
    ("POST", "/v1/product_anyShoot/task/submit"),
    ("GET", "/v1/product_anyShoot/task/result"),
    ("GET", "/v1/product_anyShoot/template/category/list"),
    ("GET", "/v1/product_anyShoot/template/list"),
    # product anyshoot v3
    ("POST", "/v3/product_anyShoot/product_model/task/submit"),
    ("GET", "/v3/product_anyShoot/product_model/task/result"),
    # common tasks
    ("POST", "/v1/common_task/image2video/submit"),
    ("GET", "/v1/common_task/image2video/result"),
    ("POST", "/v2/common_task/image2video/task/submit"),
    ("GET", "/v2/common_task/image2video/task/query"),
    ("POST", "/v1/common_task/text2video/task/submit"),
    ("GET", "/v1/common_task/text2video/task/query"),
    ("POST", "/v1/common_task/omni_reference/task/submit"),
    ("GET", "/v1/common_task/omni_reference/task/query"),
    ("POST", "/v1/common_task/text2image/task/submit"),
    ("GET", "/v1/common_task/text2image/task/query"),
    ("POST", "/v1/common_task/image_edit/task/submit"),
    ("GET", "/v1/common_task/image_edit/task/query"),
    ("POST", "/v1/common_task/storyboard/task/submit"),
    ("GET", "/v1/common_task/storyboard/task/query"),
    ("POST", "/v1/common_task/ai_music/task/submit"),
    ("GET", "/v1/common_task/ai_music/task/query"),
    ("POST", "/v1/common_task/video2aiAvatar/submit"),
    ("GET", "/v1/common_task/video2aiAvatar/query"),
    ("POST", "/v1/common_task/remove_background/submit"),
    ("GET", "/v1/common_task/remove_background/query"),
    ("POST", "/v1/common-task/video-object-remove/submit"),
    ("GET", "/v1/common-task/video-object-remove/query"),
    # voice
    ("GET", "/v1/voice/query"),
    ("POST", "/v1/voice/clone/task/submit"),
    ("GET", "/v1/voice/clone/task/query"),
    ("DELETE", "/v1/voice/clone/delete"),
    ("POST", "/v1/voice/text2voice/task/submit"),
    ("GET", "/v1/voice/text2voice/task/query"),
    ("POST", "/v1/instant_voice_clone/task/submit"),
    ("GET", "/v1/instant_voice_clone/task/query"),
    # image tools
    ("POST", "/v1/character_swap/task/submit"),
    ("GET", "/v1/character_swap/task/query"),
    ("POST", "/v1/segment_anything/task/submit"),
    ("GET", "/v1/segment_anything/task/query"),
    # image translate
    ("POST", "/v1/image_translate/single/task/submit"),
    ("GET", "/v1/image_translate/single/task/query"),
    ("POST", "/v1/image_generate/single/task/submit"),
    ("POST", "/v1/image_translate/batch/task/submit"),
    ("GET", "/v1/image_generate/task/query"),
    # video character swap chain
    ("POST", "/v1/video_process/task/submit"),
    ("GET", "/v1/video_process/task/query"),
    ("POST", "/v1/video_tracking/task/submit"),
    ("GET", "/v1/video_tracking/task/query"),
    ("POST", "/v1/video_character_swap/task/submit"),
    ("GET", "/v1/video_character_swap/task/query"),
    # scraper, upload, notice, lists
    ("POST", "/v1/scraper/task/submit"),
    ("GET", "/v1/scraper/task/query"),
    ("GET", "/v1/upload/credential"),
    ("GET", "/v1/upload/check"),
    ("POST", "/notice/notice_url/check"),
    ("GET", "/v1/ethnicity/list"),
    ("GET", "/v1/aiavatar/query"),
    ("GET", "/v1/caption/list"),
)

# The index entries without a known path, each with words its "Not faked" row must contain.
WITHOUT_PATH: dict[str, tuple[str, ...]] = {
    "Motion Control submit": ("motion control", "submit"),
    "Motion Control query": ("motion control", "query"),
    "PA v1 download without watermark": ("download without watermark",),
    "AnyShoot v2 Product Model (v2 path)": ("anyshoot v2 product model",),
    "AnyShoot v2 Product Background": ("anyshoot v2 product background",),
}


def served_routes(app: Starlette) -> set[tuple[str, str]]:
    """(method, path) of every route of the app."""
    return {
        (method, route.path)
        for route in app.routes
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"
    }


def test_index_has_every_endpoint_with_a_path_once() -> None:
    """The embedded index: 105 entries less the five without a path and the outbound PUT."""
    assert len(INDEX) == 105 - 5 - 1
    assert len(set(INDEX)) == len(INDEX)


@pytest.mark.parametrize(("method", "path"), INDEX, ids=[f"{m} {p}" for m, p in INDEX])
def test_contract_describes_index_endpoint(method: str, path: str) -> None:
    """Every index endpoint with a path is a contract operation at that method and path."""
    described = {(op.method, op.path) for op in load_contract()}
    assert (method, path) in described, f"the contract lacks {method} {path}"


def test_fake_serves_every_index_endpoint(app: Starlette) -> None:
    """Every index endpoint with a path is a route of the fake."""
    missing = sorted(set(INDEX) - served_routes(app))
    assert not missing, f"the fake serves no route for {missing}"


def test_contract_has_nothing_beyond_the_index() -> None:
    """The contract invents no endpoint the reference does not list."""
    extra = sorted({(op.method, op.path) for op in load_contract()} - set(INDEX))
    assert not extra, f"contract operations not in the reference index: {extra}"


def _not_faked_section() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## Not faked\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, "contracts/README.md has no '## Not faked' section"
    return match.group(1)


@pytest.mark.parametrize("endpoint", sorted(WITHOUT_PATH))
def test_readme_lists_endpoints_without_a_path_as_not_faked(endpoint: str) -> None:
    """contracts/README.md names each endpoint without a known path in '## Not faked', with a reason."""
    rows = [line.lower() for line in _not_faked_section().splitlines() if line.startswith("|")]
    wanted = WITHOUT_PATH[endpoint]
    hits = [row for row in rows if all(word in row.replace("product anyshoot", "anyshoot") for word in wanted)]
    assert hits, f"'## Not faked' has no row for {endpoint}"
    reason = hits[0].strip("|").split("|")[-1].strip()
    assert len(reason) > 20, f"{endpoint}: the row does not say why ({reason!r})"


def test_endpoints_without_a_path_are_not_in_the_contract() -> None:
    """Nothing in the contract pretends to be one of the unknown endpoints."""
    text = " ".join(f"{op.operation_id} {op.path} {op.summary}".lower() for op in load_contract())
    for word in ("motion", "watermark", "product_background", "productbackground", "/v2/product_anyshoot"):
        assert word not in text, word
