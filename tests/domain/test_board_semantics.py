"""Issue 14: a board that answers the chair's questions (pure rules of planlog.domain.board)."""

from datetime import date

from planlog.domain.board import BoardItem, build_board, completion_shown
from planlog.domain.schedule import Occurrence
from planlog.domain.status import DUE_SOON_DAYS, days_overdue, due_soon_days, light

PLAN = {"id": "p", "org": "某工会", "year": 2026, "title": "计划"}


def quarters(done: int) -> BoardItem:
    dues = [date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30), date(2026, 12, 31)]
    occurrences = [
        Occurrence(due=d, status="done", done_on=d) if i < done else Occurrence(due=d)
        for i, d in enumerate(dues)
    ]
    return BoardItem(
        id="i",
        title="季度报告",
        section_id=None,
        number=None,
        responsible=None,
        cancelled=False,
        occurrences=occurrences,
    )


def test_three_quarters_done_and_the_fourth_not_due_is_in_progress() -> None:
    item = quarters(done=3)
    assert item.status(date(2026, 11, 1)) == "in_progress"
    assert item.next_deadline(date(2026, 11, 1)) == item.occurrences[3]


def test_the_in_progress_tile_counts_the_next_deadline_of_an_item_in_progress() -> None:
    today = date(2026, 11, 1)
    untouched_item = quarters(done=0)
    untouched_item.occurrences = untouched_item.occurrences[3:]  # December alone
    board = build_board(PLAN, [], [quarters(done=3), untouched_item], today)
    started, untouched = board["items"]
    assert (started["status"], untouched["status"]) == ("in_progress", "open")
    # one item listed under 进行中, its next deadline lit and counted so
    assert [o["status"] for o in started["occurrences"]] == ["done"] * 3 + ["in_progress"]
    assert board["totals"]["in_progress"] == 1
    assert board["totals"]["open"] == 1 + 1  # open counts started and unstarted alike


def test_a_missed_deadline_is_overdue_not_next() -> None:
    item = quarters(done=1)
    today = date(2026, 7, 10)
    assert item.status(today) == "overdue"
    assert item.next_deadline(today) == item.occurrences[2]  # September, not June
    assert item.days_overdue(today) == 10
    board = build_board(PLAN, [], [item], today)
    (row,) = board["items"]
    assert row["next_due"] == "2026-09-30"
    assert row["days_overdue"] == 10 and row["overdue"] == 1
    assert [o["days_overdue"] for o in row["occurrences"]] == [0, 10, 0, 0]


def test_days_overdue_counts_until_done_for_late_work() -> None:
    due = date(2026, 6, 30)
    assert days_overdue("done", due, date(2026, 12, 1), done_on=date(2026, 7, 3)) == 3
    assert days_overdue("open", due, date(2026, 6, 30)) == 0
    assert days_overdue("cancelled", due, date(2026, 12, 1)) == 0


def test_the_yellow_light_starts_at_the_first_reminder_lead() -> None:
    assert DUE_SOON_DAYS == 7 == due_soon_days(None)
    assert due_soon_days({"lead_days": [14, 3]}) == 14
    assert due_soon_days({"lead_days": "nonsense"}) == 7  # a stale policy still shows
    due = date(2026, 6, 30)
    assert light("open", due, date(2026, 6, 23)) == "due_soon"
    assert light("open", due, date(2026, 6, 22)) == "open"
    assert light("open", due, date(2026, 6, 15), soon_days=15) == "due_soon"


def test_the_board_says_when_yellow_starts() -> None:
    board = build_board(PLAN, [], [quarters(done=0)], date(2026, 3, 20), soon_days=14)
    assert board["due_soon_days"] == 14
    assert board["items"][0]["status"] == "due_soon"


def test_an_item_sent_down_is_sent_not_overdue_and_its_done_work_still_counts() -> None:
    item = quarters(done=1)
    item.sent = {"task_id": "t", "copies": 2, "done": 0, "submitted": 0, "overdue": 2, "open": 0}
    today = date(2026, 7, 10)
    assert item.status(today) == "sent"
    board = build_board(PLAN, [], [item], today)
    (row,) = board["items"]
    assert (row["days_overdue"], row["overdue"], row["task_id"]) == (0, 0, "t")
    assert [o["status"] for o in row["occurrences"]] == ["done", "sent", "sent", "sent"]
    assert (board["totals"]["overdue"], board["totals"]["sent"], board["totals"]["done"]) == (
        0,
        3,
        1,
    )


def test_deadlines_sent_down_leave_the_plans_completion_to_its_own() -> None:
    """An item sent down is done through its unions' copies (the rollup leaves all its
    deadlines out too): a plan that sent its tasks down does not read 0 % however far
    its unions are, nor 100 % for a quarter it did before sending the rest."""
    sent, own = quarters(done=1), quarters(done=2)
    sent.sent = {"task_id": "t", "copies": 2, "done": 2, "submitted": 0, "overdue": 0, "open": 0}
    board = build_board(PLAN, [], [sent, own], date(2026, 7, 10))
    totals = board["totals"]
    assert (totals["occurrences"], totals["done"], totals["counted"]) == (8, 3, 4)
    assert totals["percent_done"] == 50  # 2 of its own 4, neither 3 of 8 nor 3 of 5


def test_a_plan_sent_down_whole_counts_no_deadline_of_its_own() -> None:
    sent = quarters(done=1)
    sent.sent = {"task_id": "t", "copies": 2, "done": 0, "submitted": 0, "overdue": 0, "open": 2}
    totals = build_board(PLAN, [], [sent], date(2026, 7, 10))["totals"]
    assert (totals["counted"], totals["percent_done"]) == (0, 0)
    assert completion_shown(totals) == "—"  # not "0%": nothing of its own was due
    own = build_board(PLAN, [], [quarters(done=2)], date(2026, 7, 10))["totals"]
    assert completion_shown(own) == "50%"
