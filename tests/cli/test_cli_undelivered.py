"""`planlog reminders` shows the reminders that could not be delivered yet."""

from __future__ import annotations

from typing import Any


def test_reminders_count_and_list_the_undelivered(planlog: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("PLANLOG_NOTIFY_URLS", raising=False)
    plan = planlog(
        "plan", "create", "--org", "某医院工会", "--year", "2026", "--title", "计划", "--json"
    )
    planlog(
        "item", "add", plan["id"], "--title", "报送信息", "--responsible", "工会女工",
        "--due", "2026-06-30", "--json",
    )  # fmt: skip
    planlog("remind", "--now", "2026-06-23T09:00+08:00", "--json")

    (row,) = planlog("reminders", "--undelivered", "--json")
    assert row["status"] == "no_channel" and row["undelivered"] is True
    assert "未送达 undelivered: 1" in planlog("reminders")
