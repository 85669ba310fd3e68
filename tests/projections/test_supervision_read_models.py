"""Read models fold submissions, sign-offs and extension requests like the aggregate does."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest

from planlog.domain.board import board_from_aggregates
from planlog.projections.board_read import read_board
from planlog.projections.calendar import open_deadlines
from planlog.projections.rollup import rollup
from planlog.projections.runner import ReadModelRunner
from planlog.projections.timeline import diff
from planlog.service.app import NewItem, PlanlogApp
from planlog.service.commands import (
    DecideExtension,
    RequestExtension,
    SetReminderPolicy,
    SignOff,
)


def supervised_plan(app: PlanlogApp, clock: Any) -> str:
    """A plan with sign-off on: requests open, approved and rejected; deadlines submitted,
    returned and confirmed."""
    app.register_organisation("某工会", actor="admin", chair="王主席")
    plan = app.create_plan(org="某工会", year=2026, title="计划", actor="王主席")
    app.handle(SetReminderPolicy(plan_id=plan.id, policy={"sign_off": True}, actor="王主席"))
    dues = [date(2026, 6, 30), date(2026, 12, 31)]
    first, second, third = (
        app.add_item(plan.id, NewItem(title=t, dues=dues), actor="王主席")
        for t in ("半年报告", "职工之家", "困难帮扶")
    )

    def ask(item: Any, occurrence: str, to: date) -> str:
        changed = app.handle(
            RequestExtension(
                item_id=item.id, occurrence=occurrence, to=to, reason="等批复", actor="李干事"
            )
        )
        return str(changed.open_extension_request(occurrence))

    clock.advance(days=30)
    approved = ask(first, "2026-06-30", date(2026, 7, 31))
    app.handle(DecideExtension.of(approved, approve=True, actor="王主席"))
    rejected = ask(second, "2026-06-30", date(2026, 7, 15))
    app.handle(DecideExtension.of(rejected, approve=False, actor="王主席", reason="够了"))
    ask(third, "2026-12-31", date(2027, 1, 20))
    app.complete(first.id, actor="李干事", occurrence="2026-07-31")
    app.complete(second.id, actor="李干事", occurrence="2026-06-30")
    app.handle(
        SignOff(
            item_id=second.id,
            occurrence="2026-06-30",
            confirm=False,
            reason="缺材料",
            actor="王主席",
        )
    )
    app.complete(second.id, actor="李干事", occurrence="2026-06-30")
    app.handle(SignOff(item_id=second.id, occurrence="2026-06-30", confirm=True, actor="王主席"))
    app.complete(third.id, actor="李干事", occurrence="2026-06-30")
    return str(plan.id)


@pytest.mark.parametrize("today", [date(2026, 7, 1), date(2026, 9, 1), date(2027, 1, 31)])
def test_the_board_read_model_equals_the_board_replayed_from_the_log(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, today: date
) -> None:
    plan_id = supervised_plan(app, clock)
    runner.catch_up()
    with runner.engine.connect() as conn:
        projected = read_board(conn, plan_id, today)
    pid = UUID(plan_id)
    replayed = board_from_aggregates(app.get_plan(pid), app.plan_items(pid), today)
    assert projected == replayed


def test_the_board_shows_requests_and_counts_submitted_apart(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner
) -> None:
    plan_id = supervised_plan(app, clock)
    runner.catch_up()
    with runner.engine.connect() as conn:
        board = read_board(conn, plan_id, date(2026, 9, 1))
    assert board is not None
    totals = board["totals"]
    assert (totals["done"], totals["submitted"], totals["requests_open"]) == (1, 2, 1)
    first, second, third = board["items"]
    assert first["occurrences"][0]["request"]["status"] == "approved"
    assert first["occurrences"][0]["due"] == "2026-07-31"
    assert second["occurrences"][0]["request"]["status"] == "rejected"
    assert third["occurrences"][1]["request"]["status"] == "open"
    assert third["requests_open"] == 1


def test_a_rebuild_gives_the_same_rows(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, read_model_rows: Any
) -> None:
    supervised_plan(app, clock)
    runner.catch_up()
    before = read_model_rows(runner.engine)
    runner.rebuild()
    assert read_model_rows(runner.engine) == before


def test_the_rollup_counts_only_confirmed_deadlines_as_done(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner
) -> None:
    supervised_plan(app, clock)
    runner.catch_up()
    with runner.engine.connect() as conn:
        (union,) = rollup(conn, "某工会", date(2026, 9, 1))
    assert union["own"]["done"] == 1 and union["own"]["occurrences"] == 6


def test_submitted_deadlines_are_not_open_deadlines(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner
) -> None:
    plan_id = supervised_plan(app, clock)
    runner.catch_up()
    with runner.engine.connect() as conn:
        open_ones = {(d.title, d.due) for d in open_deadlines(conn, plan_id=plan_id)}
    assert ("半年报告", date(2026, 7, 31)) not in open_ones
    assert ("困难帮扶", date(2026, 12, 31)) in open_ones


def test_the_diff_names_requests_and_sign_offs(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner
) -> None:
    plan_id = supervised_plan(app, clock)
    runner.catch_up()
    with runner.engine.connect() as conn:
        span = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
        kinds = {c["type"] for c in diff(conn, plan_id, *span)}
    assert {
        "extension_requested",
        "extension_approved",
        "extension_rejected",
        "submitted",
        "returned",
        "confirmed",
    } <= kinds


def test_a_request_whose_deadline_went_away_is_closed_on_the_board(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner
) -> None:
    app.register_organisation("某工会", actor="admin", chair="王主席")
    plan = app.create_plan(org="某工会", year=2026, title="计划", actor="王主席")
    item = app.add_item(
        plan.id, NewItem(title="半年报告", dues=[date(2026, 6, 30)]), actor="王主席"
    )
    app.handle(
        RequestExtension(
            item_id=item.id,
            occurrence="2026-06-30",
            to=date(2026, 7, 31),
            reason="等批复",
            actor="李干事",
        )
    )
    for due, why in ((date(2026, 7, 10), "调整"), (date(2026, 6, 30), "恢复")):
        app.reschedule(item.id, NewItem(title="半年报告", dues=[due]), actor="王主席", reason=why)
    runner.catch_up()
    with runner.engine.connect() as conn:
        board = read_board(conn, str(plan.id), date(2026, 6, 1))
    assert board is not None
    assert board["totals"]["requests_open"] == 0
    assert board["items"][0]["occurrences"][0]["request"] is None
    replayed = board_from_aggregates(
        app.get_plan(plan.id), app.plan_items(plan.id), date(2026, 6, 1)
    )
    assert board == replayed


def test_the_rollup_counts_a_past_due_submitted_deadline_as_submitted_not_overdue(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner
) -> None:
    supervised_plan(app, clock)
    runner.catch_up()
    with runner.engine.connect() as conn:
        (union,) = rollup(conn, "某工会", date(2026, 9, 1))
    own = union["own"]
    assert (own["overdue"], own["submitted"], own["done"], own["open"]) == (0, 2, 1, 5)
