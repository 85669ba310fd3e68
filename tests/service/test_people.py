"""People through the service: register, change, retire (the established command path)."""

from __future__ import annotations

from typing import Any

import pytest

from planlog.domain.errors import NotFound, RuleViolation
from planlog.domain.person import Person
from planlog.domain.values import InvalidValue
from planlog.service.app import PlanlogApp
from planlog.service.commands import ChangePerson, RegisterPerson, RetirePerson


@pytest.fixture
def union(app: PlanlogApp) -> PlanlogApp:
    app.register_organisation("市总工会", actor="admin", chair="张主席")
    return app


def register(app: PlanlogApp, **extra: Any) -> Person:
    return app.handle(RegisterPerson(org="市总工会", name="张三", actor="admin", **extra))


def test_a_registered_person_is_stored_with_their_details(union: PlanlogApp) -> None:
    made = register(union, department="组织部", mobile="13800138000")
    stored = union.get_person(made.id)
    assert (stored.name, stored.department, stored.mobile, stored.role) == (
        "张三",
        "组织部",
        "13800138000",
        "editor",
    )
    assert union.history(made.id)[0]["actor"] == "admin"


def test_a_person_of_an_unknown_organisation_is_refused(union: PlanlogApp) -> None:
    with pytest.raises(NotFound):
        union.handle(RegisterPerson(org="别的工会", name="张三", actor="admin"))


def test_changing_a_person_records_who_and_why(union: PlanlogApp) -> None:
    made = register(union)
    union.handle(
        ChangePerson(person_id=made.id, changes={"role": "chair"}, actor="张主席", reason="换届")
    )
    assert union.get_person(made.id).role == "chair"
    last = union.history(made.id)[-1]
    assert (last["actor"], last["reason"]) == ("张主席", "换届")


def test_a_bad_change_is_refused_before_anything_is_recorded(union: PlanlogApp) -> None:
    made = register(union)
    with pytest.raises(InvalidValue):
        ChangePerson(person_id=made.id, changes={"mobile": "x"}, actor="admin")
    assert union.get_person(made.id).version == 1


def test_a_retired_person_stays_in_the_log_and_cannot_be_changed(union: PlanlogApp) -> None:
    made = register(union)
    union.handle(RetirePerson(person_id=made.id, actor="张主席", reason="调离"))
    assert union.get_person(made.id).retired
    with pytest.raises(RuleViolation):
        union.handle(ChangePerson(person_id=made.id, changes={"name": "李四"}, actor="admin"))


def test_a_progress_note_alone_is_a_report(union: PlanlogApp) -> None:
    from datetime import date

    from planlog.service.app import NewItem

    plan = union.create_plan(org="市总工会", year=2026, title="计划", actor="admin")
    item = union.add_item(plan.id, NewItem(title="报告", dues=[date(2026, 6, 30)]), actor="admin")
    union.report_progress(item.id, actor="张三", note="已起草，待审")
    occurrence = union.get_item(item.id).occurrences["2026-06-30"]
    assert (occurrence.note, occurrence.percent) == ("已起草，待审", 0)


def test_an_empty_progress_report_is_still_refused(union: PlanlogApp) -> None:
    from datetime import date

    from planlog.service.app import NewItem

    plan = union.create_plan(org="市总工会", year=2026, title="计划", actor="admin")
    item = union.add_item(plan.id, NewItem(title="报告", dues=[date(2026, 6, 30)]), actor="admin")
    with pytest.raises(RuleViolation) as refused:
        union.report_progress(item.id, actor="张三", note="  ")
    assert refused.value.details["rule"] == "progress_value"
