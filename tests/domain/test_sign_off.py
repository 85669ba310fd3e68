"""Sign-off (办结审核): with the plan's switch on, a completion waits for the chair."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from planlog.domain.board import BoardItem
from planlog.domain.errors import RuleViolation
from planlog.domain.model import ItemDetails, Plan, PlanItem
from planlog.domain.policy import ReminderPolicy, validate_policy
from planlog.domain.schedule import Occurrence
from planlog.domain.status import DONE, IN_PROGRESS, OPEN, SUBMITTED, light
from planlog.domain.values import InvalidValue

JUNE, DECEMBER = date(2026, 6, 30), date(2026, 12, 31)


def _item() -> PlanItem:
    return PlanItem.plan(
        plan_id=uuid4(),
        details=ItemDetails(title="半年报告"),
        occurrences=[Occurrence(JUNE), Occurrence(DECEMBER)],
        actor="chair",
    )


def _submitted() -> PlanItem:
    item = _item()
    item.complete(actor="李", done_on=date(2026, 6, 28), occurrence="2026-06-30", sign_off=True)
    return item


def test_sign_off_is_off_by_default_and_set_in_the_plans_policy() -> None:
    plan = Plan.create(org="某工会", year=2026, title="计划", actor="chair")
    assert plan.sign_off is False
    plan.set_reminder_policy({"sign_off": True}, actor="chair")
    assert plan.sign_off is True
    assert ReminderPolicy().sign_off is False


def test_sign_off_must_be_true_or_false() -> None:
    with pytest.raises(InvalidValue, match="sign_off"):
        validate_policy({"sign_off": "yes"})
    assert validate_policy({"sign_off": True}) == {"sign_off": True}


def test_a_completion_with_sign_off_is_submitted_not_done() -> None:
    item = _submitted()
    june = item.occurrences["2026-06-30"]
    assert (june.status, june.done_on) == (SUBMITTED, date(2026, 6, 28))
    assert type(item.collect_events()[-1]).__name__ == "OccurrenceSubmitted"


def test_a_completion_without_sign_off_is_done_at_once() -> None:
    item = _item()
    item.complete(actor="李", done_on=JUNE, occurrence="2026-06-30", sign_off=False)
    assert item.occurrences["2026-06-30"].status == DONE


def test_a_submitted_occurrence_cannot_be_completed_or_reported_on_again() -> None:
    item = _submitted()
    with pytest.raises(RuleViolation, match="occurrence_open"):
        item.complete(actor="李", done_on=JUNE, occurrence="2026-06-30", sign_off=True)
    with pytest.raises(RuleViolation, match="occurrence_open"):
        item.report_progress(actor="李", occurrence="2026-06-30", percent=50)


def test_the_next_completion_skips_a_submitted_occurrence() -> None:
    item = _submitted()
    assert item.earliest_open().key == "2026-12-31"


def test_confirming_makes_it_done_on_the_day_it_was_submitted() -> None:
    item = _submitted()
    item.confirm("2026-06-30", actor="王主席")
    june = item.occurrences["2026-06-30"]
    assert (june.status, june.done_on) == (DONE, date(2026, 6, 28))


def test_returning_needs_a_reason_and_opens_it_again() -> None:
    item = _submitted()
    with pytest.raises(RuleViolation, match="reason_required"):
        item.return_submission("2026-06-30", actor="王主席", reason="")
    item.return_submission("2026-06-30", actor="王主席", reason="缺少材料")
    june = item.occurrences["2026-06-30"]
    assert (june.status, june.done_on) == (OPEN, None)


def test_a_returned_occurrence_with_progress_is_in_progress() -> None:
    item = _item()
    item.report_progress(actor="李", occurrence="2026-06-30", percent=60)
    item.complete(actor="李", done_on=JUNE, occurrence="2026-06-30", sign_off=True)
    item.return_submission("2026-06-30", actor="王主席", reason="缺少材料")
    assert item.occurrences["2026-06-30"].status == IN_PROGRESS


def test_only_a_submitted_occurrence_is_confirmed_or_returned() -> None:
    item = _item()
    with pytest.raises(RuleViolation, match="occurrence_submitted"):
        item.confirm("2026-06-30", actor="王主席")
    with pytest.raises(RuleViolation, match="occurrence_submitted"):
        item.return_submission("2026-06-30", actor="王主席", reason="x")


def test_a_submitted_deadline_is_neither_overdue_nor_lost_by_a_reschedule() -> None:
    assert light(SUBMITTED, JUNE, date(2026, 8, 1)) == SUBMITTED
    item = _submitted()
    item.reschedule([Occurrence(date(2026, 11, 30))], actor="王主席", reason="调整", plan_year=2026)
    assert item.occurrences["2026-06-30"].status == SUBMITTED


def test_the_board_tells_submitted_from_done() -> None:
    item = _item()
    item.complete(actor="李", done_on=JUNE, occurrence="2026-06-30", sign_off=True)
    item.complete(actor="李", done_on=DECEMBER, occurrence="2026-12-31", sign_off=True)
    row = BoardItem.from_item(item)
    assert row.status(date(2027, 1, 10)) == SUBMITTED
    assert row.days_overdue(date(2027, 1, 10)) == 0
    item.confirm("2026-06-30", actor="王主席")
    item.confirm("2026-12-31", actor="王主席")
    assert BoardItem.from_item(item).status(date(2027, 1, 10)) == DONE


def test_the_submitter_cannot_sign_off_their_own_work() -> None:
    item = _submitted()
    with pytest.raises(RuleViolation) as refused:
        item.confirm("2026-06-30", actor="李")
    assert refused.value.details["rule"] == "sign_off_by_another"
    assert "他人" in str(refused.value)
    assert item.occurrences["2026-06-30"].status == SUBMITTED
