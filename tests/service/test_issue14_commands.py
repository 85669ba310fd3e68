"""Issue 14's commands through the service: rename a plan, reorder its sections, backfill."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from planlog.domain.errors import RuleViolation
from planlog.domain.events import event_name
from planlog.domain.model import PlanItem
from planlog.service.app import PlanlogApp
from planlog.service.commands import Backfill, NewItem, RenamePlan, ReorderSections
from planlog.service.summaries import summarise


def _plan(app: PlanlogApp) -> Any:
    return app.create_plan(org="某工会", year=2026, title="导入的文件", actor="chair")


def test_rename_plan_is_recorded_and_listed(app: PlanlogApp) -> None:
    plan = _plan(app)
    renamed = app.handle(
        RenamePlan(plan_id=plan.id, title="2026年工作要点", actor="chair", reason="更正")
    )
    assert renamed.title == "2026年工作要点"
    assert app.get_plan(plan.id).title == "2026年工作要点"
    assert [e.title for e in app.list_plans()] == ["2026年工作要点"]
    last = app.history(plan.id)[-1]
    assert last["actor"] == "chair" and last["reason"] == "更正"
    with pytest.raises(RuleViolation, match="rename_changes"):
        app.handle(RenamePlan(plan_id=plan.id, title="2026年工作要点", actor="chair"))


def test_reorder_sections_names_each_once(app: PlanlogApp) -> None:
    plan = app.create_plan(
        org="某工会", year=2026, title="计划", actor="chair", sections=["一", "二", "三"]
    )
    plan = app.handle(ReorderSections(plan_id=plan.id, order=["s3", "s1", "s2"], actor="chair"))
    assert [s.title for s in plan.sections] == ["三", "一", "二"]
    assert [s.title for s in app.get_plan(plan.id).sections] == ["三", "一", "二"]
    with pytest.raises(RuleViolation, match="sections_complete"):
        app.handle(ReorderSections(plan_id=plan.id, order=["s1", "s2"], actor="chair"))


def test_backfill_marks_the_occurrence_done_and_says_so(app: PlanlogApp, clock: Any) -> None:
    plan = _plan(app)
    item = app.add_item(
        plan.id,
        NewItem(title="季度报告", dues=[date(2026, 3, 31), date(2026, 6, 30)]),
        actor="chair",
    )
    clock.advance(days=200)  # onboarding in the summer, after both deadlines
    done = app.handle(
        Backfill(
            item_id=item.id,
            actor="chair",
            occurrence="2026-03-31",
            done_on=date(2026, 3, 28),
            note="已于三月报送",
        )
    )
    occ = done.occurrences["2026-03-31"]
    assert (occ.status, occ.done_on, occ.note) == ("done", date(2026, 3, 28), "已于三月报送")
    last = app.history(item.id)[-1]
    assert last["type"] == "OccurrenceBackfilled" and last["actor"] == "chair"
    kind = event_name(PlanItem.OccurrenceBackfilled)
    sentence = summarise(kind, last)
    assert sentence.startswith("补录") and "2026-03-28" in sentence
    assert summarise(kind, last, "en").startswith("Backfilled")
    with pytest.raises(RuleViolation, match="occurrence_open"):
        app.handle(
            Backfill(
                item_id=item.id, actor="chair", occurrence="2026-03-31", done_on=date(2026, 3, 1)
            )
        )
    with pytest.raises(RuleViolation, match="backfill_in_past"):
        app.handle(
            Backfill(
                item_id=item.id, actor="chair", occurrence="2026-06-30", done_on=date(2027, 1, 1)
            )
        )
