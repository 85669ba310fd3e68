"""Sending a federation task down (SendTask) and moving its deadlines (AdjustTask), on
both real stores."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from planlog.domain.errors import ConcurrencyConflict, RuleViolation
from planlog.domain.model import ItemDetails, Plan, PlanItem
from planlog.domain.schedule import Occurrence
from planlog.domain.task import copy_id_for, task_id_for
from planlog.service.app import NewItem, PlanlogApp

CITY = "市总工会"
UNIONS = ["甲一工会", "甲二工会", "甲三工会", "甲四工会"]
PARENTS: dict[str, str | None] = {
    CITY: None,
    "甲区总工会": CITY,
    **dict.fromkeys(UNIONS, "甲区总工会"),
}


def _federation(app: PlanlogApp, *, plans_for: list[str]) -> PlanItem:
    app.register_organisation(CITY, actor="admin")
    app.register_organisation("甲区总工会", actor="admin", parent=CITY)
    for union in UNIONS:
        app.register_organisation(union, actor="admin", parent="甲区总工会")
    for union in plans_for:
        app.create_plan(org=union, year=2026, title=f"{union}2026年计划", actor="chair")
    plan = app.create_plan(org=CITY, year=2026, title="市总2026年计划", actor="chair")
    return app.add_item(
        plan.id, NewItem(title="安全生产月", dues=[date(2026, 6, 30)]), actor="chair"
    )


def _copies(app: PlanlogApp, task_id: UUID) -> dict[str, UUID]:
    return dict(app.get_task(task_id).copies)


def test_every_union_below_the_target_gets_one_copy_in_its_plan(app: PlanlogApp) -> None:
    source = _federation(app, plans_for=UNIONS[:3])
    sent = app.send_task(source.id, ["甲区总工会"], parents=PARENTS, actor="张主席", batch_size=2)
    assert (sent.copies, sent.plans_created) == (4, 1)
    copies = _copies(app, sent.task_id)
    assert sorted(copies) == sorted(UNIONS)
    for union, item_id in copies.items():
        copy = app.get_item(item_id)
        plan = app.get_plan(copy.plan_id)
        assert plan.org == union and copy.id in plan.item_ids
        assert copy.task_id == sent.task_id and copy.source_item_id == source.id
        assert [o.key for o in copy.ordered_occurrences()] == ["2026-06-30"]
    made = app.get_plan(app.get_item(copies["甲四工会"]).plan_id)
    assert made.title == "2026年度工作计划（上级下达任务）"


def test_sending_again_copies_nothing_twice(app: PlanlogApp) -> None:
    source = _federation(app, plans_for=UNIONS)
    first = app.send_task(source.id, ["甲区总工会"], parents=PARENTS, actor="chair")
    again = app.send_task(source.id, ["甲区总工会", CITY], parents=PARENTS, actor="chair")
    assert (first.copies, again.copies, again.task_id) == (4, 0, first.task_id)
    for union in UNIONS:
        plan_id = next(e.plan_id for e in app.list_plans() if e.org == union)
        assert len(app.get_plan(plan_id).item_ids) == 1


def test_a_failed_batch_leaves_none_of_its_copies(app: PlanlogApp) -> None:
    source = _federation(app, plans_for=UNIONS)
    # A copy id already taken in the second batch (甲三, 甲四): its save fails as a whole.
    task_id = task_id_for(source.id)
    blocker_plan = next(e.plan_id for e in app.list_plans() if e.org == "甲四工会")
    plan = app.get_plan(blocker_plan)
    taken = PlanItem.plan(
        plan_id=plan.id,
        details=ItemDetails(title="占位"),
        occurrences=[Occurrence(due=date(2026, 5, 1))],
        actor="x",
        item_id=copy_id_for(task_id, "甲四工会"),
    )
    app.save(taken)
    ordered = sorted(UNIONS)
    with pytest.raises(ConcurrencyConflict):
        app.send_task(source.id, ["甲区总工会"], parents=PARENTS, actor="chair", batch_size=2)
    copies = _copies(app, task_id)
    assert sorted(copies) == ordered[:2]  # the first batch, whole
    unsaved = next(u for u in ordered[2:] if u != "甲四工会")
    with pytest.raises(Exception):  # noqa: B017 - its copy was never saved
        app.get_item(copy_id_for(task_id, unsaved))
    plan_id = next(e.plan_id for e in app.list_plans() if e.org == unsaved)
    assert app.get_plan(plan_id).item_ids == []


def test_a_target_outside_the_federation_is_refused_before_anything_is_copied(
    app: PlanlogApp,
) -> None:
    source = _federation(app, plans_for=UNIONS)
    parents = {**PARENTS, "外市总工会": None}
    with pytest.raises(RuleViolation):
        app.send_task(source.id, ["外市总工会"], parents=parents, actor="chair")
    assert app.find_task(task_id_for(source.id)) is None


def test_the_federation_moves_every_copy_in_one_command(app: PlanlogApp) -> None:
    source = _federation(app, plans_for=UNIONS)
    sent = app.send_task(source.id, ["甲区总工会"], parents=PARENTS, actor="chair")
    done = _copies(app, sent.task_id)["甲一工会"]
    app.complete(done, actor="甲一", done_on=date(2026, 6, 1))
    moved = app.adjust_task(sent.task_id, dues=[date(2026, 7, 31)], actor="chair", reason="顺延")
    assert moved.copies == 3  # the done copy keeps its done occurrence
    for union, item_id in _copies(app, sent.task_id).items():
        keys = [o.key for o in app.get_item(item_id).ordered_occurrences()]
        assert keys == (["2026-06-30"] if union == "甲一工会" else ["2026-07-31"])
    assert [o.key for o in app.get_item(source.id).ordered_occurrences()] == ["2026-07-31"]
    again = app.adjust_task(sent.task_id, dues=[date(2026, 7, 31)], actor="chair", reason="顺延")
    assert again.copies == 0


def test_a_union_cannot_move_its_copy(app: PlanlogApp) -> None:
    source = _federation(app, plans_for=UNIONS)
    sent = app.send_task(source.id, ["甲一工会"], parents=PARENTS, actor="chair")
    copy = _copies(app, sent.task_id)["甲一工会"]
    with pytest.raises(RuleViolation) as refused:
        app.move_occurrence(copy, "2026-06-30", date(2026, 9, 1), actor="甲一", reason="晚")
    assert refused.value.details["rule"] == "task_schedule_locked"
    assert isinstance(app.get_plan(app.get_item(copy).plan_id), Plan)


def test_adjusting_keeps_the_federations_submitted_deadline_without_a_duplicate(
    app: PlanlogApp,
) -> None:
    source = _federation(app, plans_for=UNIONS)
    app.set_reminder_policy(source.plan_id, {"sign_off": True}, actor="chair")
    sent = app.send_task(source.id, ["甲区总工会"], parents=PARENTS, actor="chair")
    app.complete(source.id, actor="市总", done_on=date(2026, 6, 1))
    app.adjust_task(sent.task_id, dues=[date(2026, 7, 31)], actor="chair", reason="顺延")
    occurrences = app.get_item(source.id).ordered_occurrences()
    assert [(o.key, o.status) for o in occurrences] == [("2026-06-30", "submitted")]
