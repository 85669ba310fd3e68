"""Federation tasks (任务下达): who receives a copy, and the rules of a copy."""

from __future__ import annotations

from datetime import date

import pytest

from planlog.domain.errors import RuleViolation
from planlog.domain.model import ItemDetails, Plan, PlanItem
from planlog.domain.schedule import Occurrence
from planlog.domain.task import FederationTask, copy_id_for, unions_below

PARENTS: dict[str, str | None] = {
    "市总": None,
    "甲区": "市总",
    "乙区": "市总",
    "甲一": "甲区",
    "甲二": "甲区",
    "乙一": "乙区",
    "外市": None,
}


def _federation_item() -> tuple[PlanItem, Plan]:
    plan = Plan.create(org="市总", year=2026, title="市总计划", actor="chair")
    item = PlanItem.plan(
        plan_id=plan.id,
        details=ItemDetails(title="安全生产月活动"),
        occurrences=[Occurrence(due=date(2026, 6, 30))],
        actor="chair",
    )
    plan.attach_item(item, actor="chair")
    return item, plan


def _union_plan(org: str) -> Plan:
    return Plan.create(org=org, year=2026, title=f"{org}计划", actor="chair")


def test_unions_below_a_district_are_its_leaves_not_the_district() -> None:
    assert unions_below(PARENTS, "甲区") == ["甲一", "甲二"]
    assert unions_below(PARENTS, "市总") == ["乙一", "甲一", "甲二"]
    assert unions_below(PARENTS, "甲一") == ["甲一"]


def test_a_target_outside_the_federation_is_refused() -> None:
    item, plan = _federation_item()
    task = FederationTask.send(item, plan, actor="chair")
    with pytest.raises(RuleViolation) as refused:
        task.unions_to_copy(["外市"], PARENTS)
    assert refused.value.details["rule"] == "task_target_below"


def test_a_union_already_holding_a_copy_is_not_copied_again() -> None:
    item, plan = _federation_item()
    task = FederationTask.send(item, plan, actor="chair")
    first = [_union_plan(u) for u in task.unions_to_copy(["甲区"], PARENTS)]
    copies = [task.copy_to(p, item, actor="chair") for p in first]
    task.record_copies(["甲区"], copies, first, actor="chair")
    assert task.unions_to_copy(["甲区"], PARENTS) == []
    assert task.unions_to_copy(["市总"], PARENTS) == ["乙一"]


def test_a_copy_carries_the_task_and_the_deadlines_of_its_source() -> None:
    item, plan = _federation_item()
    task = FederationTask.send(item, plan, actor="chair")
    union = _union_plan("甲一")
    copy = task.copy_to(union, item, actor="chair")
    assert copy.id == copy_id_for(task.id, "甲一")
    assert (copy.task_id, copy.source_item_id) == (task.id, item.id)
    assert [o.due for o in copy.ordered_occurrences()] == [date(2026, 6, 30)]
    assert copy.id in union.item_ids


def test_a_union_cannot_reschedule_its_copy() -> None:
    item, plan = _federation_item()
    task = FederationTask.send(item, plan, actor="chair")
    copy = task.copy_to(_union_plan("甲一"), item, actor="chair")
    with pytest.raises(RuleViolation) as refused:
        copy.reschedule(
            [Occurrence(due=date(2026, 9, 30))], actor="union", reason="晚点", plan_year=2026
        )
    assert refused.value.details["rule"] == "task_schedule_locked"
    with pytest.raises(RuleViolation):
        copy.move_occurrence("2026-06-30", date(2026, 9, 30), actor="u", reason="r", plan_year=2026)


def test_the_federation_adjustment_moves_a_copy_once_and_keeps_done_work() -> None:
    item, plan = _federation_item()
    task = FederationTask.send(item, plan, actor="chair")
    copy = task.copy_to(_union_plan("甲一"), item, actor="chair")
    moved = [Occurrence(due=date(2026, 7, 31))]
    assert copy.follow_task_schedule(moved, actor="chair", reason="顺延", plan_year=2026)
    assert not copy.follow_task_schedule(moved, actor="chair", reason="顺延", plan_year=2026)
    assert [o.key for o in copy.ordered_occurrences()] == ["2026-07-31"]


def test_a_copy_cannot_be_sent_down_again() -> None:
    item, plan = _federation_item()
    task = FederationTask.send(item, plan, actor="chair")
    union = _union_plan("甲区")
    copy = task.copy_to(union, item, actor="chair")
    with pytest.raises(RuleViolation) as refused:
        FederationTask.send(copy, union, actor="chair")
    assert refused.value.details["rule"] == "task_not_copy"


def test_a_union_cannot_request_an_extension_on_its_copy() -> None:
    item, plan = _federation_item()
    task = FederationTask.send(item, plan, actor="chair")
    copy = task.copy_to(_union_plan("甲一"), item, actor="chair")
    with pytest.raises(RuleViolation) as refused:
        copy.request_extension(
            "2026-06-30", date(2026, 7, 31), actor="union", reason="晚点", plan_year=2026
        )
    assert refused.value.details["rule"] == "task_extension_by_federation"
    assert "上级" in str(refused.value)
    assert copy.extension_requests == {}


def test_the_federation_adjustment_leaves_a_submitted_copy_as_it_is() -> None:
    item, plan = _federation_item()
    task = FederationTask.send(item, plan, actor="chair")
    copy = task.copy_to(_union_plan("甲一"), item, actor="chair")
    copy.complete(actor="甲一", done_on=date(2026, 6, 1), occurrence="2026-06-30", sign_off=True)
    moved = [Occurrence(due=date(2026, 7, 31))]
    assert not copy.follow_task_schedule(moved, actor="chair", reason="顺延", plan_year=2026)
    assert [o.key for o in copy.ordered_occurrences()] == ["2026-06-30"]
