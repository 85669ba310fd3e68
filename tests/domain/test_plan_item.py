from datetime import date
from uuid import uuid4

import pytest

from planlog.domain.errors import RuleViolation
from planlog.domain.model import DONE, IN_PROGRESS, OPEN, ItemDetails, Plan, PlanItem, Target
from planlog.domain.schedule import Occurrence

JUNE, DECEMBER = date(2026, 6, 30), date(2026, 12, 31)


def half_yearly(**details: object) -> PlanItem:
    return PlanItem.plan(
        plan_id=uuid4(),
        details=ItemDetails(title="向上级女工委报告工作", **details),  # type: ignore[arg-type]
        occurrences=[Occurrence(JUNE), Occurrence(DECEMBER)],
        actor="chair",
    )


def test_completing_june_leaves_december_open() -> None:
    item = half_yearly()
    item.complete(actor="li", done_on=date(2026, 6, 28), occurrence="2026-06-30")
    assert item.occurrences["2026-06-30"].status == DONE
    assert item.occurrences["2026-06-30"].done_on == date(2026, 6, 28)
    assert item.occurrences["2026-12-31"].status == OPEN
    assert item.percent == 50


def test_complete_without_occurrence_takes_the_earliest_open_one() -> None:
    item = half_yearly()
    assert item.complete(actor="li", done_on=date(2026, 6, 1)) == "2026-06-30"
    assert item.complete(actor="li", done_on=date(2026, 12, 1)) == "2026-12-31"


def test_completing_an_occurrence_that_does_not_exist_names_item_and_rule() -> None:
    item = half_yearly()
    with pytest.raises(RuleViolation) as refused:
        item.complete(actor="li", done_on=date(2026, 3, 1), occurrence="2026-03-31")
    assert refused.value.details == {"id": str(item.id), "rule": "occurrence_exists"}
    assert "2026-03-31" in refused.value.message and "向上级女工委报告工作" in refused.value.message


def test_completing_twice_is_refused() -> None:
    item = half_yearly()
    item.complete(actor="li", done_on=JUNE, occurrence="2026-06-30")
    with pytest.raises(RuleViolation, match="occurrence_open"):
        item.complete(actor="li", done_on=JUNE, occurrence="2026-06-30")


def test_a_cancelled_item_cannot_be_completed() -> None:
    item = half_yearly()
    item.cancel(actor="chair", reason="上级取消该项工作")
    with pytest.raises(RuleViolation, match="not_cancelled"):
        item.complete(actor="li", done_on=JUNE)


@pytest.mark.parametrize("percent", [-1, 101])
def test_percent_outside_0_to_100_is_refused(percent: int) -> None:
    with pytest.raises(RuleViolation, match="percent_range"):
        half_yearly().report_progress(actor="li", percent=percent)


def test_progress_marks_the_occurrence_in_progress() -> None:
    item = half_yearly()
    item.report_progress(actor="li", percent=40, note="已起草")
    occ = item.occurrences["2026-06-30"]
    assert (occ.status, occ.percent, occ.note) == (IN_PROGRESS, 40, "已起草")


def test_progress_records_a_targets_current_value() -> None:
    item = half_yearly(targets=[Target(text="800家", value=800, unit="家")])
    item.report_progress(actor="li", target_index=0, target_value=312)
    assert item.details.targets[0].current == 312


def test_progress_on_a_missing_target_is_refused() -> None:
    with pytest.raises(RuleViolation, match="target_exists"):
        half_yearly().report_progress(actor="li", target_index=0, target_value=1)


def test_reschedule_keeps_completed_occurrences_and_their_history() -> None:
    item = half_yearly()
    item.complete(actor="li", done_on=date(2026, 6, 20), occurrence="2026-06-30")
    item.reschedule(
        [Occurrence(date(2026, 11, 30))], plan_year=2026, actor="chair", reason="提前到11月"
    )
    assert sorted(item.occurrences) == ["2026-06-30", "2026-11-30"]
    assert item.occurrences["2026-06-30"].done_on == date(2026, 6, 20)


def test_reschedule_onto_a_completed_date_is_refused() -> None:
    item = half_yearly()
    item.complete(actor="li", done_on=JUNE, occurrence="2026-06-30")
    with pytest.raises(RuleViolation, match="keep_completed"):
        item.reschedule([Occurrence(JUNE)], plan_year=2026, actor="chair", reason="x")


def test_reschedule_needs_a_reason() -> None:
    with pytest.raises(RuleViolation, match="reason_required"):
        half_yearly().reschedule([Occurrence(JUNE)], plan_year=2026, actor="chair", reason=" ")


def test_reopen_returns_a_done_occurrence_to_open_work() -> None:
    item = half_yearly()
    item.complete(actor="li", done_on=JUNE, occurrence="2026-06-30")
    item.reopen("2026-06-30", actor="auditor", reason="材料不全")
    assert item.occurrences["2026-06-30"].status == OPEN
    assert item.occurrences["2026-06-30"].done_on is None


def test_reopen_of_an_open_occurrence_is_refused() -> None:
    with pytest.raises(RuleViolation, match="occurrence_done"):
        half_yearly().reopen("2026-06-30", actor="auditor", reason="x")


def test_reassign_to_the_same_person_is_refused() -> None:
    item = half_yearly(responsible="工会女工")
    with pytest.raises(RuleViolation, match="reassign_changes"):
        item.reassign("工会女工", actor="chair")


def test_revision_that_changes_nothing_is_refused() -> None:
    item = half_yearly()
    with pytest.raises(RuleViolation, match="revision_changes"):
        item.revise(actor="chair", title="向上级女工委报告工作")


def test_every_event_carries_actor_and_reason() -> None:
    item = half_yearly()
    item.cancel(actor="chair", reason="并入其他事项")
    events = item.collect_events()
    assert [(e.actor, e.reason) for e in events] == [  # type: ignore[attr-defined]
        ("chair", None),
        ("chair", "并入其他事项"),
    ]


def test_plan_keeps_sections_in_order_and_refuses_duplicates() -> None:
    plan = Plan.create(org="某医院工会", year=2026, title="2026年女工工作计划", actor="chair")
    plan.add_section("健全女工组织", actor="chair")
    plan.add_section("依法维权", actor="chair")
    assert [s.title for s in plan.sections] == ["健全女工组织", "依法维权"]
    with pytest.raises(RuleViolation, match="section_unique"):
        plan.add_section("依法维权", actor="chair")


def test_renaming_a_section_to_its_own_title_records_nothing() -> None:
    plan = Plan.create(org="某医院工会", year=2026, title="2026年女工工作计划", actor="chair")
    plan.add_section("健全女工组织", actor="chair")
    with pytest.raises(RuleViolation, match="rename_changes"):
        plan.rename_section("s1", " 健全女工组织 ", actor="chair")


def test_plan_year_must_be_plausible() -> None:
    with pytest.raises(RuleViolation, match="year_range"):
        Plan.create(org="x", year=26, title="t", actor="chair")


def test_moving_one_occurrence_keeps_the_others_and_records_the_reason() -> None:
    item = half_yearly()
    item.move_occurrence(
        "2026-06-30", date(2026, 7, 15), plan_year=2026, actor="chair", reason="上级通知延期"
    )
    assert sorted(item.occurrences) == ["2026-07-15", "2026-12-31"]
    assert item.pending_events[-1].reason == "上级通知延期"  # type: ignore[attr-defined]
    with pytest.raises(RuleViolation, match="occurrence_exists"):
        item.move_occurrence(
            "2026-03-31", date(2026, 4, 1), plan_year=2026, actor="chair", reason="x"
        )
    with pytest.raises(RuleViolation, match="reason_required"):
        item.move_occurrence(
            "2026-07-15", date(2026, 8, 1), plan_year=2026, actor="chair", reason=" "
        )


def test_a_done_occurrence_cannot_be_moved() -> None:
    item = half_yearly()
    item.complete(actor="li", occurrence="2026-06-30", done_on=date(2026, 6, 20))
    with pytest.raises(RuleViolation, match="occurrence_open"):
        item.move_occurrence(
            "2026-06-30", date(2026, 7, 15), plan_year=2026, actor="chair", reason="延期"
        )


def test_an_occurrence_cannot_move_out_of_the_plan_year() -> None:
    with pytest.raises(RuleViolation, match="due_in_plan_year"):
        half_yearly().move_occurrence(
            "2026-12-31", date(2027, 4, 1), plan_year=2026, actor="chair", reason="延期"
        )


def test_a_year_end_report_may_fall_due_in_the_next_years_first_quarter() -> None:
    item = half_yearly()
    item.move_occurrence(
        "2026-12-31", date(2027, 3, 31), plan_year=2026, actor="chair", reason="次年一季度报送"
    )
    assert sorted(item.occurrences) == ["2026-06-30", "2027-03-31"]


def test_a_new_schedule_stays_in_the_plan_year() -> None:
    with pytest.raises(RuleViolation, match="due_in_plan_year"):
        half_yearly().reschedule(
            [Occurrence(date(2025, 12, 31))], plan_year=2026, actor="chair", reason="提前"
        )


def test_a_backfill_is_dated_within_the_plan_year_so_far() -> None:
    item = half_yearly()
    with pytest.raises(RuleViolation, match="backfill_in_plan_year"):
        item.backfill(
            actor="chair",
            occurrence="2026-06-30",
            done_on=date(1900, 1, 1),
            today=date(2026, 11, 25),
            plan_year=2026,
        )
    item.backfill(
        actor="chair",
        occurrence="2026-06-30",
        done_on=date(2026, 6, 20),
        today=date(2026, 11, 25),
        plan_year=2026,
    )
    assert item.occurrences["2026-06-30"].done_on == date(2026, 6, 20)
