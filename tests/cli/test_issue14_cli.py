"""`planlog item backfill`, `planlog plan rename`, `planlog plan section-order` (issue 14)."""

from __future__ import annotations

from typing import Any


def _plan(planlog: Any) -> str:
    plan = planlog(
        "plan", "create", "--org", "某医院工会", "--year", "2026", "--title", "计划", "--json"
    )
    return str(plan["id"])


def test_item_backfill_records_done_with_its_date_and_note(planlog: Any) -> None:
    plan = _plan(planlog)
    item = planlog("item", "add", plan, "--title", "半年报告", "--due", "2026-06-30", "--json")
    done = planlog(
        "item",
        "backfill",
        item["id"],
        "--occurrence",
        "2026-06-30",
        "--done-on",
        "2026-06-20",
        "--note",
        "六月已报",
        "--json",
    )
    occ = done["occurrences"][0]
    assert (occ["status"], occ["done_on"], occ["note"]) == ("done", "2026-06-20", "六月已报")
    assert planlog("history", item["id"], "--json")[-1]["type"] == "OccurrenceBackfilled"
    again = planlog(
        "item",
        "backfill",
        item["id"],
        "--occurrence",
        "2026-06-30",
        "--done-on",
        "2026-06-20",
        "--json",
        expect_exit=1,
    )
    assert again["error"]["code"] == "rule_violation"


def test_plan_rename_and_section_order(planlog: Any) -> None:
    plan = _plan(planlog)
    renamed = planlog("plan", "rename", plan, "--title", "2026年工作要点", "--json")
    assert renamed["title"] == "2026年工作要点"
    for title in ("一", "二"):
        planlog("plan", "section-add", plan, title, "--json")
    ordered = planlog("plan", "section-order", plan, "s2", "s1", "--json")
    assert [s["title"] for s in ordered["sections"]] == ["二", "一"]
