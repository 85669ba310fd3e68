"""The board's answers over the API (issue 14): days overdue, the next deadline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo


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


def test_diff_of_one_day_returns_that_days_changes(api: Any) -> None:
    plan = api.new_plan()
    item = api.new_item(plan)
    api.post(f"/api/v1/items/{item}/complete", "hospital_chair", json={})
    recorded = api.get(f"/api/v1/items/{item}/history", "hospital_chair").json()[-1]
    day = (
        datetime.fromisoformat(recorded["recorded_at"]).astimezone(ZoneInfo("Asia/Shanghai")).date()
    )
    url = f"/api/v1/plans/{plan}/diff?from={day}&to={day}"
    changes = api.get(url, "hospital_chair").json()["changes"]
    assert [c["type"] for c in changes] == ["added", "completed"]
    backwards = api.get(
        f"/api/v1/plans/{plan}/diff?from={day}&to={day - timedelta(days=1)}", "hospital_chair"
    )
    assert backwards.status_code == 422 and "--" not in backwards.json()["detail"]


def test_the_boards_yellow_light_follows_the_plans_policy_as_set(api: Any) -> None:
    plan = api.new_plan()
    api.new_item(plan)  # due 2026-06-30
    put = api.client.put(
        f"/api/v1/plans/{plan}/policy",
        headers=api.headers("hospital_chair"),
        json={"lead_days": [14, 3]},
    )
    assert put.status_code == 200, put.text
    board = api.get(f"/api/v1/plans/{plan}/board?now=2026-06-17", "hospital_chair").json()
    # read from the policy the read models keep, the plan not replayed
    assert board["due_soon_days"] == 14
    assert board["items"][0]["occurrences"][0]["status"] == "due_soon"
