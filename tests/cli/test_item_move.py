"""`planlog item move`: one occurrence to a new due date, with a reason."""

from __future__ import annotations

from typing import Any


def _item(planlog: Any) -> dict[str, Any]:
    plan = planlog(
        "plan", "create", "--org", "某医院工会", "--year", "2026", "--title", "计划", "--json"
    )
    return dict(
        planlog(
            "item",
            "add",
            plan["id"],
            "--title",
            "半年报告",
            "--due",
            "2026-06-30",
            "--due",
            "2026-12-31",
            "--json",
        )
    )


def test_item_move_moves_one_occurrence_and_shows_the_item(planlog: Any) -> None:
    item = _item(planlog)
    moved = planlog(
        "item",
        "move",
        item["id"],
        "--occurrence",
        "2026-06-30",
        "--to",
        "2026-07-15",
        "--reason",
        "上级通知延期",
        "--if-version",
        str(item["version"]),
        "--json",
    )
    assert [o["due"] for o in moved["occurrences"]] == ["2026-07-15", "2026-12-31"]
    assert moved["version"] == item["version"] + 1


def test_item_move_of_a_stale_version_or_unknown_occurrence_is_refused(planlog: Any) -> None:
    item = _item(planlog)
    args = ("item", "move", item["id"], "--to", "2026-07-15", "--reason", "延期", "--json")
    stale = planlog(*args, "--occurrence", "2026-06-30", "--if-version", "99", expect_exit=1)
    assert stale["error"]["code"] == "conflict"
    unknown = planlog(*args, "--occurrence", "2026-03-31", expect_exit=1)
    assert unknown["error"]["rule"] == "occurrence_exists"
