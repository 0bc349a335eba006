"""Boards hold the tasks of their account: the default board, board CRUD, board tasks (list, filters,
paging, detail, batch delete, batch download) and isolation between accounts."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import anyio
import httpx
import pytest
from topview_calls import OTHER_UID, UID, materials, ok, submit, valid_op

from mock_server import TopviewMock
from mock_server.api.boards import ZIP_SLICE

DEFAULT_NAME = "My First Board"


async def boards(client: httpx.AsyncClient, uid: str = UID) -> list[dict[str, Any]]:
    """Every board of the account."""
    return list(ok(await valid_op(client, "boardList", uid=uid, params={"pageSize": 100}))["list"])


async def default_board(client: httpx.AsyncClient, uid: str = UID) -> str:
    """The id of the account's system default board."""
    return next(b["boardId"] for b in await boards(client, uid) if b["isSystemDefault"])


async def create_board(client: httpx.AsyncClient, name: str, uid: str = UID) -> str:
    """A new board's id."""
    return str(ok(await valid_op(client, "boardCreate", uid=uid, body={"name": name}))["boardId"])


async def board_tasks(client: httpx.AsyncClient, board_id: str, uid: str = UID, **params: Any) -> dict[str, Any]:
    """One page of a board's tasks."""
    page: dict[str, Any] = ok(await valid_op(client, "boardTaskList", uid=uid, params={"boardId": board_id, **params}))
    return page


def code_of(envelope: dict[str, Any]) -> str:
    """The envelope's code (the result must be null when it is an error)."""
    if envelope["code"] != "200":
        assert envelope["result"] is None, envelope
    return str(envelope["code"])


async def image_task(client: httpx.AsyncClient, board_id: str | None = None, uid: str = UID) -> str:
    """A text2image task, on ``board_id`` or (None) on the default board."""
    body = {"model": "Nano Banana", "prompt": "A cup.", "aspectRatio": "1:1"}
    return await submit(client, "text2ImageSubmit", {**body, **({"boardId": board_id} if board_id else {})}, uid=uid)


async def mixed_board(client: httpx.AsyncClient, mock: TopviewMock, board_id: str) -> dict[str, str]:
    """Five finished tasks of different media and tool categories on one board, one clock second apart."""
    m = await materials(client, mock)
    bodies = {
        "image": ("text2ImageSubmit", {"model": "Nano Banana", "prompt": "A cup.", "aspectRatio": "1:1"}),
        "video": ("text2VideoSubmit", {"model": "Topview Lite", "prompt": "A cup.", "duration": 5}),
        "voice": ("text2VoiceSubmit", {"voiceText": "Hello there.", "voiceId": m.voice}),
        "music": ("aiMusicSubmit", {"model": "Topview Music", "styles": "lo-fi"}),
        "avatar": (
            "photoAvatarSubmit",
            {
                "avatarId": mock.catalogues.items["photoAvatars"][0]["avatarId"],
                "mode": "avatar4Fast",
                "scriptMode": "audio",
                "audioFileId": m.audio,
            },
        ),
    }
    ids = {}
    for name, (operation_id, body) in bodies.items():
        ids[name] = await submit(client, operation_id, {**body, "boardId": board_id})
        mock.advance(1)
    mock.advance(10)
    return ids


# -- the default board ---------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_every_account_has_its_own_default_board(client: httpx.AsyncClient) -> None:
    """ "My First Board" exists for each account from its first call, and each account sees only its own."""
    mine, theirs = await boards(client, UID), await boards(client, OTHER_UID)
    assert [(b["name"], b["isSystemDefault"], b["uid"]) for b in mine] == [(DEFAULT_NAME, True, UID)]
    assert [(b["name"], b["isSystemDefault"], b["uid"]) for b in theirs] == [(DEFAULT_NAME, True, OTHER_UID)]
    assert mine[0]["boardId"] != theirs[0]["boardId"]
    assert mine[0]["taskCount"] == 0 and mine[0]["isOwner"] is True


@pytest.mark.anyio
async def test_tasks_go_to_the_named_board_or_the_default_one(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """A boardId files the task there; without one it lands on the default board; both show boardTaskId."""
    default, campaign = await default_board(client), await create_board(client, "Campaign")
    on_default, on_campaign = await image_task(client), await image_task(client, campaign)
    mock.advance(10)
    for board_id, task_id, other in ((default, on_default, on_campaign), (campaign, on_campaign, on_default)):
        page = await board_tasks(client, board_id)
        assert [t["taskId"] for t in page["list"]] == [task_id] and page["total"] == 1
        entry = page["list"][0]
        assert entry["boardId"] == board_id and entry["boardTaskId"] and entry["status"] == "success"
        result = ok(await valid_op(client, "text2ImageQuery", params={"taskId": task_id}))
        assert result["boardId"] == board_id and result["boardTaskId"] == entry["boardTaskId"]
        assert other not in [t["taskId"] for t in page["list"]]
    counts = {b["boardId"]: b["taskCount"] for b in await boards(client)}
    assert counts == {default: 1, campaign: 1}


@pytest.mark.anyio
async def test_default_board_cannot_be_deleted(client: httpx.AsyncClient) -> None:
    """Deleting the system default board is refused with 4006; it stays."""
    default = await default_board(client)
    assert code_of(await valid_op(client, "boardDelete", params={"boardId": default})) == "4006"
    assert await default_board(client) == default


# -- board CRUD ----------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_board_create_detail_update_delete(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """A board is created, read, renamed and deleted; after deletion it is unknown (4004)."""
    created = ok(await valid_op(client, "boardCreate", body={"name": "Spring launch"}))
    board_id = created["boardId"]
    assert created["name"] == "Spring launch" and created["isSystemDefault"] is False and created["taskCount"] == 0
    assert created["members"] == [{"uid": UID, "nickname": UID, "role": "owner"}]

    detail = ok(await valid_op(client, "boardDetail", params={"boardId": board_id}))
    assert detail == created

    mock.advance(60)
    renamed = ok(await valid_op(client, "boardUpdate", body={"boardId": board_id, "name": "Summer launch"}))
    assert renamed["name"] == "Summer launch" and renamed["gmtModify"] > created["gmtModify"]
    assert ok(await valid_op(client, "boardDetail", params={"boardId": board_id}))["name"] == "Summer launch"
    assert {b["name"] for b in await boards(client)} == {DEFAULT_NAME, "Summer launch"}
    same = await valid_op(client, "boardUpdate", body={"boardId": board_id, "name": "Summer launch"})
    assert code_of(same) == "200"  # keeping its own name is no duplicate

    assert ok(await valid_op(client, "boardDelete", params={"boardId": board_id})) is None
    assert code_of(await valid_op(client, "boardDetail", params={"boardId": board_id})) == "4004"
    assert code_of(await valid_op(client, "boardDelete", params={"boardId": board_id})) == "4004"
    assert [b["name"] for b in await boards(client)] == [DEFAULT_NAME]


@pytest.mark.anyio
async def test_duplicate_board_names_answer_4005(client: httpx.AsyncClient) -> None:
    """Names are unique per account, on create and on rename (the default board's name too)."""
    await create_board(client, "Shoes")
    other = await create_board(client, "Bags")
    assert code_of(await valid_op(client, "boardCreate", body={"name": "Shoes"})) == "4005"
    assert code_of(await valid_op(client, "boardCreate", body={"name": DEFAULT_NAME})) == "4005"
    assert code_of(await valid_op(client, "boardUpdate", body={"boardId": other, "name": "Shoes"})) == "4005"
    assert sorted(b["name"] for b in await boards(client)) == sorted([DEFAULT_NAME, "Shoes", "Bags"])
    # another account may use the same name
    assert code_of(await valid_op(client, "boardCreate", uid=OTHER_UID, body={"name": "Shoes"})) == "200"


@pytest.mark.anyio
async def test_board_names_are_kept_as_sent(client: httpx.AsyncClient) -> None:
    """A blank name is a name (only "" is empty): kept as sent, and distinct from the trimmed one."""
    blank = await create_board(client, "\r")
    assert ok(await valid_op(client, "boardUpdate", body={"boardId": blank, "name": " Shoes "}))["name"] == " Shoes "
    assert code_of(await valid_op(client, "boardCreate", body={"name": "Shoes"})) == "200"
    assert code_of(await valid_op(client, "boardCreate", body={"name": ""})) == "4003"


@pytest.mark.anyio
async def test_deleting_a_board_removes_its_tasks(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """The tasks filed on a deleted board are gone: query, board task detail and downloads answer 4004."""
    board_id = await create_board(client, "Temporary")
    doomed = [await image_task(client, board_id) for _ in range(2)]
    kept = await image_task(client)
    mock.advance(10)
    assert ok(await valid_op(client, "boardDelete", params={"boardId": board_id})) is None
    for task_id in doomed:
        assert code_of(await valid_op(client, "text2ImageQuery", params={"taskId": task_id})) == "4004"
        assert code_of(await valid_op(client, "boardTaskDetail", params={"taskId": task_id})) == "4004"
    assert code_of(await valid_op(client, "text2ImageQuery", params={"taskId": kept})) == "200"
    assert [t["taskId"] for t in (await board_tasks(client, await default_board(client)))["list"]] == [kept]


# -- board tasks ---------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"image", "video", "voice", "music", "avatar"}),
        ({"mediaType": "all"}, {"image", "video", "voice", "music", "avatar"}),
        ({"mediaType": "image"}, {"image"}),
        ({"mediaType": "video"}, {"video", "avatar"}),
        ({"mediaType": "audio"}, {"voice", "music"}),
        ({"toolCategory": "voice"}, {"voice"}),
        ({"toolCategory": "music"}, {"music"}),
        ({"toolCategory": "avatar"}, {"avatar"}),
        ({"toolCategory": "video", "mediaType": "video"}, {"video"}),
        ({"toolCategory": "image", "mediaType": "audio"}, set()),
    ],
)
async def test_board_task_list_filters(
    client: httpx.AsyncClient, mock: TopviewMock, params: dict[str, str], expected: set[str]
) -> None:
    """mediaType and toolCategory select tasks (and combine with AND)."""
    board_id = await create_board(client, "Mixed")
    ids = await mixed_board(client, mock, board_id)
    page = await board_tasks(client, board_id, pageSize=100, **params)
    assert {t["taskId"] for t in page["list"]} == {ids[name] for name in expected}
    assert page["total"] == len(expected)


@pytest.mark.anyio
async def test_board_task_list_pages_newest_first(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """pageNo/pageSize page the list; default order is newest first, sortOrder=asc reverses it."""
    board_id = await create_board(client, "Paged")
    ids = await mixed_board(client, mock, board_id)
    newest_first = [ids[n] for n in ("avatar", "music", "voice", "video", "image")]
    pages = [await board_tasks(client, board_id, pageSize=2, pageNo=n) for n in (1, 2, 3, 4)]
    assert [p["total"] for p in pages] == [5, 5, 5, 5]
    assert [(p["pageNo"], p["pageSize"]) for p in pages] == [(1, 2), (2, 2), (3, 2), (4, 2)]
    assert [t["taskId"] for p in pages for t in p["list"]] == newest_first
    assert pages[3]["list"] == []
    ascending = await board_tasks(client, board_id, sortOrder="asc", pageSize=100)
    assert [t["taskId"] for t in ascending["list"]] == newest_first[::-1]


@pytest.mark.anyio
async def test_a_board_page_reads_only_its_page(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """A page of a board's tasks makes the results of its own tasks only, whatever the board holds.

    Tasks created in the same instant (the clock did not move between submits) keep their submit order:
    newest first puts the later one first, oldest first the earlier one.
    """
    board_id = await create_board(client, "Busy")
    ids = [await image_task(client, board_id) for _ in range(40)]
    await image_task(client)  # on another board
    mock.advance(10)
    page = await board_tasks(client, board_id, pageSize=10, pageNo=2)
    assert [t["taskId"] for t in page["list"]] == ids[::-1][10:20]
    assert page["total"] == 40
    made = set(ids) - set(mock.state.tenants[UID].unmade)
    assert made == {t["taskId"] for t in page["list"]}
    oldest = await board_tasks(client, board_id, sortOrder="asc", pageSize=5, mediaType="image")
    assert [t["taskId"] for t in oldest["list"]] == ids[:5] and oldest["total"] == 40
    assert (await board_tasks(client, board_id, mediaType="video"))["total"] == 0


@pytest.mark.anyio
async def test_board_task_detail(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """A board task shows its board, kind, media, cost, parameters and its query result."""
    board_id = await create_board(client, "Detail")
    task_id = await submit(
        client, "text2VideoSubmit", {"model": "Topview Pro", "prompt": "A cup.", "duration": 5, "boardId": board_id}
    )
    running = ok(await valid_op(client, "boardTaskDetail", params={"taskId": task_id}))
    assert running["status"] == "init" and running["estimateInfo"] is not None and running["completedAt"] is None
    mock.advance(10)
    detail = ok(await valid_op(client, "boardTaskDetail", params={"taskId": task_id}))
    query = ok(await valid_op(client, "text2VideoQuery", params={"taskId": task_id}))
    assert detail["taskId"] == task_id and detail["boardId"] == board_id
    assert detail["boardTaskId"] == query["boardTaskId"]
    assert (detail["mediaType"], detail["toolCategory"], detail["status"]) == ("video", "video", "success")
    assert detail["creditsCost"] == pytest.approx(1.0)  # Topview Pro: 0.2/s × 5 s
    assert detail["parameters"]["prompt"] == "A cup." and detail["completedAt"] is not None
    assert detail["result"]["videos"][0]["fileId"] == query["videos"][0]["fileId"]
    assert code_of(await valid_op(client, "boardTaskDetail", params={"taskId": "f" * 32})) == "4004"


@pytest.mark.anyio
async def test_batch_delete_by_task_ids(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """selectAll=false deletes exactly taskIds; a task of another board in taskIds answers 4004."""
    board_id = await create_board(client, "Batch")
    first, second, third = [await image_task(client, board_id) for _ in range(3)]
    elsewhere = await image_task(client)
    mock.advance(10)
    body = {"boardId": board_id, "selectAll": False, "taskIds": [first, third]}
    assert ok(await valid_op(client, "boardTaskBatchDelete", body=body)) == {}
    assert [t["taskId"] for t in (await board_tasks(client, board_id))["list"]] == [second]
    assert code_of(await valid_op(client, "text2ImageQuery", params={"taskId": first})) == "4004"
    wrong = {"boardId": board_id, "taskIds": [second, elsewhere]}
    assert code_of(await valid_op(client, "boardTaskBatchDelete", body=wrong)) == "4004"
    assert [t["taskId"] for t in (await board_tasks(client, board_id))["list"]] == [second]
    bad = {"boardId": board_id, "selectAll": False, "taskIds": [second], "excludeTaskIds": [second]}
    assert code_of(await valid_op(client, "boardTaskBatchDelete", body=bad)) == "4000"


@pytest.mark.anyio
async def test_batch_delete_select_all_with_filter_and_exclusions(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """selectAll=true deletes every task matching filter except excludeTaskIds."""
    board_id = await create_board(client, "Select all")
    ids = await mixed_board(client, mock, board_id)
    body = {"boardId": board_id, "selectAll": True, "filter": {"mediaType": "audio"}, "excludeTaskIds": [ids["music"]]}
    assert ok(await valid_op(client, "boardTaskBatchDelete", body=body)) == {}
    left = {t["taskId"] for t in (await board_tasks(client, board_id, pageSize=100))["list"]}
    assert left == {ids[n] for n in ("image", "video", "music", "avatar")}
    everything = {"boardId": board_id, "selectAll": True, "filter": {}}
    assert code_of(await valid_op(client, "boardTaskBatchDelete", body=everything)) == "200"
    assert (await board_tasks(client, board_id))["total"] == 0
    assert (
        code_of(await valid_op(client, "boardTaskBatchDelete", body={"boardId": board_id, "selectAll": True})) == "4000"
    )  # selectAll needs a filter


@pytest.mark.anyio
async def test_batch_download_runs_on_the_clock_and_serves_a_zip(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Submit → init → running → success with a downloadUrl; the URL serves a ZIP of the chosen tasks."""
    board_id = await create_board(client, "Download")
    ids = await mixed_board(client, mock, board_id)
    chosen = [ids["image"], ids["video"]]
    started = ok(
        await valid_op(
            client, "boardBatchDownloadSubmit", body={"boardId": board_id, "selectAll": False, "taskIds": chosen}
        )
    )
    download_id = started["downloadTaskId"]
    assert started["status"] == "init" and started["downloadUrl"] is None and started["totalCount"] == 2

    def status(uid: str = UID) -> Any:
        return valid_op(client, "boardBatchDownloadStatus", uid=uid, params={"downloadTaskId": download_id})

    assert ok(await status())["status"] == "init"
    mock.advance(1)
    running = ok(await status())
    assert running["status"] == "running" and running["downloadUrl"] is None
    mock.advance(3)
    done = ok(await status())
    assert done["status"] == "success" and done["progress"] == 100 and done["fileCount"] == 2
    assert done["processedCount"] == done["totalCount"] == 2
    assert code_of(await status(OTHER_UID)) == "4004"

    response = await client.get(done["downloadUrl"])
    assert response.status_code == 200, response.text
    assert len(response.content) == done["totalSize"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = archive.namelist()
    assert sorted(names) == sorted(f"{task_id}/result.json" for task_id in chosen)


@pytest.mark.anyio
async def test_batch_download_select_all_uses_the_filter(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """selectAll=true downloads the filtered tasks minus the excluded ones."""
    board_id = await create_board(client, "Download all")
    ids = await mixed_board(client, mock, board_id)
    started = ok(
        await valid_op(
            client,
            "boardBatchDownloadSubmit",
            body={
                "boardId": board_id,
                "selectAll": True,
                "filter": {"mediaType": "video"},
                "excludeTaskIds": [ids["video"]],
            },
        )
    )
    assert started["totalCount"] == 1
    mock.advance(10)
    done = ok(await valid_op(client, "boardBatchDownloadStatus", params={"downloadTaskId": started["downloadTaskId"]}))
    response = await client.get(done["downloadUrl"])
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.namelist() == [f"{ids['avatar']}/result.json"]


# -- isolation -----------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_boards_and_board_tasks_are_isolated_per_account(client: httpx.AsyncClient, mock: TopviewMock) -> None:
    """Another uid cannot see, use, rename, delete or empty a board, nor see its tasks (4004 throughout)."""
    board_id = await create_board(client, "Private")
    task_id = await image_task(client, board_id)
    mock.advance(10)
    them = OTHER_UID
    assert board_id not in {b["boardId"] for b in await boards(client, them)}
    assert code_of(await valid_op(client, "boardDetail", uid=them, params={"boardId": board_id})) == "4004"
    assert code_of(await valid_op(client, "boardTaskList", uid=them, params={"boardId": board_id})) == "4004"
    assert (
        code_of(await valid_op(client, "boardUpdate", uid=them, body={"boardId": board_id, "name": "Mine"})) == "4004"
    )
    assert code_of(await valid_op(client, "boardDelete", uid=them, params={"boardId": board_id})) == "4004"
    assert code_of(await valid_op(client, "boardTaskDetail", uid=them, params={"taskId": task_id})) == "4004"
    assert code_of(await valid_op(client, "text2ImageQuery", uid=them, params={"taskId": task_id})) == "4004"
    for operation_id in ("boardTaskBatchDelete", "boardBatchDownloadSubmit"):
        body = {"boardId": board_id, "taskIds": [task_id]}
        assert code_of(await valid_op(client, operation_id, uid=them, body=body)) == "4004", operation_id
    submitted = await valid_op(
        client,
        "text2ImageSubmit",
        uid=them,
        body={"model": "Nano Banana", "prompt": "A cup.", "aspectRatio": "1:1", "boardId": board_id},
    )
    assert code_of(submitted) == "4004"
    # the owner still has everything
    assert [t["taskId"] for t in (await board_tasks(client, board_id))["list"]] == [task_id]
    assert ok(await valid_op(client, "boardDetail", params={"boardId": board_id}))["name"] == "Private"


@pytest.mark.anyio
async def test_a_large_batch_download_lets_other_requests_through_while_it_zips(
    client: httpx.AsyncClient, mock: TopviewMock
) -> None:
    """selectAll may pick a whole board: its ZIP is made in slices, and a request sent meanwhile is answered first."""
    board_id = await create_board(client, "Large")
    for _ in range(5 * ZIP_SLICE):
        await image_task(client, board_id)
    body = {"boardId": board_id, "selectAll": True, "filter": {"mediaType": "image"}}
    download_id = ok(await valid_op(client, "boardBatchDownloadSubmit", body=body))["downloadTaskId"]
    mock.advance(10)
    answered: list[str] = []

    async def status() -> None:
        done = ok(await valid_op(client, "boardBatchDownloadStatus", params={"downloadTaskId": download_id}))
        answered.append(done["status"])
        zipped = await client.get(done["downloadUrl"])
        with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
            assert len(archive.namelist()) == 5 * ZIP_SLICE

    async def credits() -> None:
        ok(await valid_op(client, "userCreditDetail"))
        answered.append("credits")

    async with anyio.create_task_group() as group:
        group.start_soon(status)  # first: it reaches the zipping before the other request starts
        group.start_soon(credits)
    assert answered == ["credits", "success"]
