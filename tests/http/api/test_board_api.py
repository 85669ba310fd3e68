"""The board's answers over the API (issue 14): days overdue, the next deadline."""

from __future__ import annotations

from typing import Any


def test_board_rows_carry_days_overdue_and_the_next_open_deadline(api: Any) -> None:
    plan = api.new_plan()
    api.new_item(plan)  # due 2026-06-30 and 2026-12-31
    board = api.get(f"/api/v1/plans/{plan}/board?now=2026-07-10", "hospital_chair").json()
    (row,) = board["items"]
    assert [o["days_overdue"] for o in row["occurrences"]] == [10, 0]
    assert row["status"] == "overdue" and row["days_overdue"] == 10
    # the missed June deadline is overdue, not "next"
    assert row["next_due"] == "2026-12-31"
    assert board["due_soon_days"] == 7
    soon = api.get(f"/api/v1/plans/{plan}/board?now=2026-06-24", "hospital_chair").json()
    assert soon["items"][0]["occurrences"][0]["status"] == "due_soon"


def test_item_view_carries_days_overdue(api: Any) -> None:
    item = api.new_item(api.new_plan(), dues=["2026-01-31"])
    body = api.get(f"/api/v1/items/{item}", "hospital_chair").json()
    assert body["occurrences"][0]["days_overdue"] > 0 and body["days_overdue"] > 0
