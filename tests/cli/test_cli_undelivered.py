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
    passed = planlog("remind", "--now", "2026-06-23T09:00+08:00", "--json")
    assert passed["delivery"] == {"no_channel": 1}  # handled, not sent

    (row,) = planlog("reminders", "--undelivered", "--json")
    assert row["status"] == "no_channel" and row["undelivered"] is True
    assert "未送达 undelivered: 1" in planlog("reminders")


def test_a_reminder_waiting_for_a_channel_says_so_in_words(planlog: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("PLANLOG_NOTIFY_URLS", raising=False)
    plan = planlog("plan", "create", "--org", "某工会", "--year", "2026", "--title", "计", "--json")
    planlog("item", "add", plan["id"], "--title", "报送信息", "--due", "2026-06-30", "--json")
    passed = planlog("remind", "--now", "2026-06-23T09:00+08:00")
    # the pass and the list name what to do, the stored word kept beside it
    assert "未设渠道 (no_channel)" in passed
    assert "未设渠道" in planlog("reminders")


def test_notify_set_says_what_it_did(planlog: Any) -> None:
    said = planlog("notify", "set", "json://127.0.0.1:9/hook", "--org", "某工会")
    assert "已设置提醒渠道 channels set: 某工会" in said
    (channel,) = planlog("notify", "list", "--json")
    assert channel["org"] == "某工会" and len(channel["channels"]) == 1
    assert "已删除提醒渠道 channels removed: 某工会" in planlog("notify", "set", "--org", "某工会")
    assert planlog("notify", "list", "--json") == []
