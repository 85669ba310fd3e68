"""The audit summary and paging are pure functions over change rows."""

from __future__ import annotations

from typing import Any

from planlog.projections.audit_view import AuditFilter, page_of, summarise_changes


def _change(kind: str, actor: str | None, reason: str | None = None, **data: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "actor": actor,
        "reason": reason,
        "item_id": "i1",
        "title": "事项",
        "data": data,
    }


def test_late_completions_are_those_done_after_their_due_day() -> None:
    rows = [
        _change("completed", "甲", occurrence="2026-03-31", done_on="2026-03-31"),
        _change("backfilled", "乙", occurrence="2026-03-31", done_on="2026-04-02"),
        _change("rescheduled", None, reason="延期"),
    ]
    summary = summarise_changes(rows)
    assert [(x["type"], x["days_late"]) for x in summary.late] == [("backfilled", 2)]
    assert summary.by_person == [("—", 1), ("乙", 1), ("甲", 1)]
    assert [p["reason"] for p in summary.postponements] == ["延期"]


def test_pages_are_newest_first_and_clamped() -> None:
    rows = [_change("progress_reported", "甲", n=n) for n in range(7)]
    page = page_of(rows, AuditFilter(actor="甲"), page=5, size=3)
    assert (page.page, page.pages, page.total, page.first, page.last) == (3, 3, 7, 7, 7)
    assert page.rows[0]["data"]["n"] == 0
    assert page_of(rows, AuditFilter(actor="乙"), page=1).total == 0
