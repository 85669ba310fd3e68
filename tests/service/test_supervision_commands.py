"""Extension requests and sign-off through the service: commands, handlers, history."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from planlog.domain.errors import ConcurrencyConflict, PlanlogError
from planlog.service.app import NewItem, PlanlogApp
from planlog.service.commands import (
    Complete,
    DecideExtension,
    RequestExtension,
    SetReminderPolicy,
    SignOff,
)


def _item(app: PlanlogApp, *, sign_off: bool = False) -> Any:
    plan = app.create_plan(org="某工会", year=2026, title="计划", actor="王主席")
    if sign_off:
        app.handle(SetReminderPolicy(plan_id=plan.id, policy={"sign_off": True}, actor="王主席"))
    return app.add_item(
        plan.id, NewItem(title="半年报告", dues=[date(2026, 6, 30)]), actor="王主席"
    )


def _ask(app: PlanlogApp, item: Any, **extra: Any) -> RequestExtension:
    return RequestExtension(
        item_id=item.id,
        occurrence="2026-06-30",
        to=date(2026, 7, 31),
        reason="等批复",
        actor="李干事",
        **extra,
    )


def test_complete_reads_the_plans_sign_off_switch(app: PlanlogApp) -> None:
    on, off = _item(app, sign_off=True), _item(app)
    assert app.handle(Complete(item_id=on.id, actor="李")).occurrences["2026-06-30"].status == (
        "submitted"
    )
    assert app.handle(Complete(item_id=off.id, actor="李")).occurrences["2026-06-30"].status == (
        "done"
    )


def test_a_request_is_approved_by_its_id_and_history_keeps_both_dates(app: PlanlogApp) -> None:
    item = _item(app)
    request_id = app.handle(_ask(app, item)).open_extension_request("2026-06-30")
    assert request_id is not None
    moved = app.handle(DecideExtension.of(request_id, approve=True, actor="王主席"))
    assert list(moved.occurrences) == ["2026-07-31"]
    types = [entry["type"] for entry in app.history(item.id)]
    assert types[-3:] == ["ExtensionRequested", "Rescheduled", "ExtensionApproved"]
    requested = app.history(item.id)[-3]
    assert (requested["occurrence"], requested["to"]) == ("2026-06-30", "2026-07-31")


def test_a_stale_expected_version_is_a_conflict(app: PlanlogApp) -> None:
    item = _item(app)
    with pytest.raises(ConcurrencyConflict):
        app.handle(_ask(app, item, expected_version=99))


def test_a_decision_must_name_the_requests_own_item(app: PlanlogApp) -> None:
    item, other = _item(app), _item(app)
    request_id = app.handle(_ask(app, item)).open_extension_request("2026-06-30")
    with pytest.raises(PlanlogError):
        DecideExtension(item_id=other.id, request_id=str(request_id), approve=True, actor="王")


def test_a_request_command_refuses_a_bad_date_before_the_item_is_loaded(app: PlanlogApp) -> None:
    item = _item(app)
    with pytest.raises(PlanlogError):
        RequestExtension(
            item_id=item.id, occurrence="June", to=date(2026, 7, 1), reason="x", actor="李"
        )


def test_sign_off_confirms_a_submission(app: PlanlogApp) -> None:
    item = _item(app, sign_off=True)
    app.handle(Complete(item_id=item.id, actor="李"))
    confirmed = app.handle(
        SignOff(item_id=item.id, occurrence="2026-06-30", confirm=True, actor="王主席")
    )
    assert confirmed.occurrences["2026-06-30"].status == "done"
    assert app.get_item(item.id).occurrences["2026-06-30"].status == "done"


def test_a_chair_cannot_sign_off_what_they_submitted(app: PlanlogApp) -> None:
    item = _item(app, sign_off=True)
    app.handle(Complete(item_id=item.id, actor="王主席"))
    with pytest.raises(PlanlogError) as refused:
        app.handle(SignOff(item_id=item.id, occurrence="2026-06-30", confirm=True, actor="王主席"))
    assert refused.value.details["rule"] == "sign_off_by_another"
    assert app.get_item(item.id).occurrences["2026-06-30"].status == "submitted"
