"""Account state: the board shelves a board's task list reads a page at a time."""

from __future__ import annotations

from mock_server.engine.credits import ZERO
from mock_server.engine.state import Ledger, Tenant
from mock_server.engine.tasks import Outcome, Progression, Task


def _task(n: int, kind: str, at: float, board: str = "b1") -> Task:
    task = Task(f"{n:032x}", "u1", kind, f"{kind}Submit", {}, at, Progression(), Outcome(), ZERO, kind)
    task.board_id = board
    return task


def test_a_shelf_walks_its_kinds_in_creation_order_and_counts_what_is_left() -> None:
    """Lanes merge by creation time (submit order within an instant); deleted tasks leave walk and count."""
    tenant = Tenant("u1", Ledger(ZERO, ZERO))
    tasks = [_task(1, "text2image", 10), _task(2, "text2video", 10), _task(3, "text2image", 20)]
    restored_late = _task(4, "text2video", 5)  # older than what is filed already (a restored task)
    for task in [*tasks, restored_late, _task(5, "text2image", 30, board="b2")]:
        tenant.add_task(task)
    shelf = tenant.shelf("b1")
    every = list(shelf.lanes)
    assert list(shelf.walk(every, newest_first=False)) == [restored_late, *tasks]
    assert list(shelf.walk(every, newest_first=True)) == [tasks[2], tasks[1], tasks[0], restored_late]
    assert list(shelf.walk(["text2video"], newest_first=True)) == [tasks[1], restored_late]
    tenant.delete_task(tasks[0])
    assert shelf.count(every) == 3 and shelf.count(["text2image"]) == 1
    assert list(shelf.walk(every, newest_first=False)) == [restored_late, tasks[1], tasks[2]]
    assert tenant.shelf("none").count(every) == 0
