"""Extension requests (延期申请): asked by the responsible person, decided by the chair."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from planlog.domain.errors import RuleViolation
from planlog.domain.model import ItemDetails, PlanItem, item_of_request
from planlog.domain.schedule import Occurrence
from planlog.domain.values import InvalidValue

JUNE, DECEMBER = date(2026, 6, 30), date(2026, 12, 31)


def _item() -> PlanItem:
    return PlanItem.plan(
        plan_id=uuid4(),
        details=ItemDetails(title="半年报告"),
        occurrences=[Occurrence(JUNE), Occurrence(DECEMBER)],
        actor="chair",
    )


def _ask(item: PlanItem, to: date = date(2026, 7, 31), occurrence: str = "2026-06-30") -> str:
    return item.request_extension(
        occurrence, to, actor="李干事", reason="等待上级批复", plan_year=2026
    )


def test_a_request_is_open_on_its_occurrence_and_names_its_item() -> None:
    item = _item()
    request_id = _ask(item)
    assert item.open_extension_request("2026-06-30") == request_id
    assert item.open_extension_request("2026-12-31") is None
    assert item_of_request(request_id) == item.id
    assert item.occurrences["2026-06-30"].due == JUNE  # nothing moves before approval


def test_only_one_request_may_be_open_per_occurrence() -> None:
    item = _item()
    _ask(item)
    with pytest.raises(RuleViolation, match="one_open_request"):
        _ask(item, to=date(2026, 8, 31))


def test_the_proposed_date_must_be_later_than_the_current_due() -> None:
    with pytest.raises(RuleViolation, match="extension_later"):
        _ask(_item(), to=date(2026, 6, 30))


def test_the_proposed_date_must_stay_inside_the_plan_years_limits() -> None:
    with pytest.raises(RuleViolation, match="due_in_plan_year"):
        _ask(_item(), to=date(2027, 4, 1))
    assert _ask(_item(), to=date(2027, 3, 31))  # the first quarter after the year is in


def test_the_proposed_date_may_not_be_another_deadline_of_the_item() -> None:
    with pytest.raises(RuleViolation, match="extension_free_day"):
        _ask(_item(), to=DECEMBER)


def test_a_request_needs_a_reason() -> None:
    with pytest.raises(RuleViolation, match="reason_required"):
        _item().request_extension("2026-06-30", DECEMBER, actor="李", reason=" ", plan_year=2026)


def test_a_done_occurrence_cannot_be_extended() -> None:
    item = _item()
    item.complete(actor="李", done_on=JUNE, occurrence="2026-06-30")
    with pytest.raises(RuleViolation, match="occurrence_open"):
        _ask(item)


def test_approval_moves_the_deadline_through_the_move_rule_and_records_both_dates() -> None:
    item = _item()
    request_id = _ask(item)
    item.approve_extension(request_id, actor="王主席", plan_year=2026)
    assert sorted(item.occurrences) == ["2026-07-31", "2026-12-31"]
    assert item.open_extension_request("2026-06-30") is None
    events = [type(e).__name__ for e in item.collect_events()]
    assert events[-3:] == ["ExtensionRequested", "Rescheduled", "ExtensionApproved"]
    decided = item.extension_requests[request_id]
    assert (decided.status, decided.decided_by) == ("approved", "王主席")


def test_rejection_needs_a_reason_and_keeps_the_deadline() -> None:
    item = _item()
    request_id = _ask(item)
    with pytest.raises(RuleViolation, match="reason_required"):
        item.reject_extension(request_id, actor="王主席", reason="")
    item.reject_extension(request_id, actor="王主席", reason="时间足够")
    assert sorted(item.occurrences) == ["2026-06-30", "2026-12-31"]
    assert item.extension_requests[request_id].decision_reason == "时间足够"
    assert _ask(item, to=date(2026, 7, 15))  # a new request may follow a rejection


def test_a_decided_request_is_not_decided_again() -> None:
    item = _item()
    request_id = _ask(item)
    item.reject_extension(request_id, actor="王主席", reason="时间足够")
    with pytest.raises(RuleViolation, match="request_open"):
        item.approve_extension(request_id, actor="王主席", plan_year=2026)


def test_an_unknown_request_is_refused_by_name() -> None:
    item = _item()
    with pytest.raises(RuleViolation, match="request_exists"):
        item.approve_extension(f"{item.id}-r7", actor="王主席", plan_year=2026)


def test_a_malformed_request_id_is_an_invalid_value() -> None:
    for bad in ("r1", "not-a-uuid-r1", f"{uuid4()}-rx", "x" * 100, 7):
        with pytest.raises(InvalidValue):
            item_of_request(bad)


def test_approval_after_the_deadline_moved_elsewhere_is_refused() -> None:
    item = _item()
    request_id = _ask(item)
    item.move_occurrence(
        "2026-06-30", date(2026, 7, 10), actor="王主席", reason="调整", plan_year=2026
    )
    # moving the deadline closed the request (superseded): nothing is left to decide
    with pytest.raises(RuleViolation, match="request_open"):
        item.approve_extension(request_id, actor="王主席", plan_year=2026)


def test_replaying_the_events_gives_the_same_requests() -> None:
    item = _item()
    first = _ask(item)
    item.approve_extension(first, actor="王主席", plan_year=2026)
    second = _ask(item, occurrence="2026-12-31", to=date(2027, 1, 15))
    events = item.collect_events()
    replayed = None
    for event in events:
        replayed = event.mutate(replayed)
    assert replayed is not None
    assert replayed.extension_requests == item.extension_requests
    assert replayed.open_extension_request("2026-12-31") == second


def test_a_request_whose_deadline_is_rescheduled_away_is_superseded() -> None:
    item = _item()
    request_id = _ask(item)
    item.reschedule(
        [Occurrence(date(2026, 7, 10)), Occurrence(DECEMBER)],
        actor="王主席",
        reason="调整",
        plan_year=2026,
    )
    assert item.extension_requests[request_id].status == "superseded"
    assert type(item.collect_events()[-1]).__name__ == "ExtensionSuperseded"
    item.reschedule(
        [Occurrence(JUNE), Occurrence(DECEMBER)], actor="王主席", reason="恢复", plan_year=2026
    )
    assert item.open_extension_request("2026-06-30") is None


def test_approving_a_request_does_not_supersede_it() -> None:
    item = _item()
    request_id = _ask(item)
    item.approve_extension(request_id, actor="王主席", plan_year=2026)
    assert item.extension_requests[request_id].status == "approved"
    names = [type(e).__name__ for e in item.collect_events()]
    assert "ExtensionSuperseded" not in names
