"""What the read models answer, checked against the log itself."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, text

from planlog.domain.board import board_from_aggregates
from planlog.domain.errors import PlanlogError
from planlog.projections.board_read import probing_read, read_board
from planlog.projections.calendar import open_deadlines
from planlog.projections.queries import board_document
from planlog.projections.rollup import rollup
from planlog.projections.runner import ReadModelRunner
from planlog.projections.timeline import diff, timeline
from planlog.projections.workload import workload
from planlog.service.app import NewItem, PlanlogApp


@pytest.mark.parametrize("today", [date(2026, 3, 1), date(2026, 6, 28), date(2026, 12, 30)])
def test_board_read_model_equals_the_board_replayed_from_the_log(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, busy_year: Any, today: date
) -> None:
    for plan_id in busy_year(app, clock):
        runner.catch_up()
        with runner.engine.connect() as conn:
            projected = read_board(conn, plan_id, today)
        pid = UUID(plan_id)
        replayed = board_from_aggregates(app.get_plan(pid), app.plan_items(pid), today)
        assert projected == replayed


@pytest.mark.postgres
def test_a_probing_read_rules_out_scans_for_its_own_transaction_only(pg_url: str) -> None:
    app = PlanlogApp(pg_url)
    runner = ReadModelRunner(app)
    try:
        with probing_read(runner.engine) as conn:
            assert conn.execute(text("SHOW enable_seqscan")).scalar_one() == "off"
            used = conn.connection.dbapi_connection
        with runner.engine.connect() as conn:
            # the same database connection, handed on by the pool: the setting ended
            assert conn.connection.dbapi_connection is used
            assert conn.execute(text("SHOW enable_seqscan")).scalar_one() == "on"
    finally:
        runner.close()
        app.close()


def test_a_board_is_read_in_three_statements_however_many_items_it_has(
    app: PlanlogApp, runner: ReadModelRunner
) -> None:
    plan = app.create_plan(org="某厂工会", year=2026, title="工作计划", actor="chair")

    def statements() -> int:
        runner.catch_up()
        seen: list[str] = []

        def count(*args: Any) -> None:
            seen.append(args[2])

        event.listen(runner.engine, "before_cursor_execute", count)
        try:
            with runner.engine.connect() as conn:
                assert read_board(conn, str(plan.id), date(2026, 9, 1)) is not None
        finally:
            event.remove(runner.engine, "before_cursor_execute", count)
        return len(seen)

    app.add_item(plan.id, NewItem(title="职代会", dues=[date(2026, 3, 31)]), actor="chair")
    one = statements()
    for n in range(12):
        dues = [date(2026, m, 28) for m in range(1, 13)]
        app.add_item(
            plan.id, NewItem(title=f"工作{n}", section=f"第{n % 3}部分", dues=dues), actor="chair"
        )
    assert (one, statements()) == (3, 3)


def test_board_totals_count_occurrences_of_live_items(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, busy_year: Any
) -> None:
    plan_id = busy_year(app, clock, plans=1)[0]
    runner.catch_up()
    with runner.engine.connect() as conn:
        board = read_board(conn, plan_id, date(2026, 9, 1))
    assert board is not None
    assert board["totals"] == {
        "items": 3,
        "occurrences": 3,
        "counted": 3,
        "done": 1,
        "submitted": 0,
        "requests_open": 0,
        "overdue": 0,
        "due_soon": 0,
        "open": 2,
        "in_progress": 1,  # December's, the next deadline of the item in progress below
        "cancelled": 1,
        "sent": 0,  # deadlines of items sent down as tasks: none here
        "percent_done": 33,
    }
    statuses = {i["title"]: i["status"] for i in board["items"]}
    # issue 14: the June half done and December not yet due reads "in progress", not 未开始
    assert statuses == {
        "女职工工作情况报告": "in_progress",
        "职工之家申报": "open",
        "春游": "cancelled",
    }


def test_board_as_of_shows_what_was_recorded_then(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner
) -> None:
    plan = app.create_plan(org="某工会", year=2026, title="计划", actor="chair")
    item = app.add_item(plan.id, NewItem(title="换届", dues=[date(2026, 6, 30)]), actor="chair")
    recorded_before = clock.advance(days=1)
    clock.advance(days=1)
    app.complete(item.id, actor="li")
    app.add_item(plan.id, NewItem(title="后加的事项", dues=[date(2026, 9, 30)]), actor="chair")
    runner.catch_up()
    earlier = board_document(app, runner.engine, plan.id, as_of=recorded_before)
    now = board_document(app, runner.engine, plan.id)
    assert [(i["title"], i["status"]) for i in earlier["items"]] == [("换届", "open")]
    assert [i["title"] for i in now["items"]] == ["换届", "后加的事项"]
    assert earlier["today"] == "2026-01-06"


def test_diff_lists_changes_between_two_times_in_order(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, busy_year: Any
) -> None:
    plan_id = busy_year(app, clock, plans=1)[0]
    runner.catch_up()
    with runner.engine.connect() as conn:
        changes = diff(
            conn, plan_id, datetime(2026, 1, 20, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
        )
    assert [(c["type"], c["actor"]) for c in changes] == [
        ("progress_reported", "工会女工"),
        ("reassigned", "chair"),
        ("completed", "工会女工"),
        ("rescheduled", "chair"),
        ("cancelled", "chair"),
    ]
    assert changes[3]["reason"] == "上级通知延期" and changes[3]["title"] == "职工之家申报"


def test_timeline_has_every_event_with_a_chinese_summary(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, busy_year: Any
) -> None:
    plan_id = busy_year(app, clock, plans=1)[0]
    runner.catch_up()
    with runner.engine.connect() as conn:
        entries = timeline(conn, plan_id=plan_id)
    summaries = [e["summary"] for e in entries]
    assert "取消事项" in summaries
    assert "责任人改为 王五" in summaries
    assert any(s.startswith("完成 2026-06-30 时限") for s in summaries)
    assert all(e["recorded_at"] and e["actor"] for e in entries)


def test_calendar_lists_open_deadlines_by_due_date(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, busy_year: Any
) -> None:
    busy_year(app, clock, plans=1)
    runner.catch_up()
    with runner.engine.connect() as conn:
        deadlines = open_deadlines(conn)
    assert [(d.due.isoformat(), d.title, d.responsible) for d in deadlines] == [
        ("2026-09-15", "职工之家申报", "王五"),
        ("2026-12-31", "女职工工作情况报告", "工会女工"),
    ]
    assert deadlines[0].opens == date(2026, 6, 1) and deadlines[0].org == "市总工会"


def test_workload_counts_open_and_overdue_per_person(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, busy_year: Any
) -> None:
    busy_year(app, clock, plans=1)
    runner.catch_up()
    with runner.engine.connect() as conn:
        people = workload(conn, date(2026, 10, 1))
    assert people == [
        {
            "responsible": "王五",
            "org": "市总工会",
            "open": 1,
            "due_soon": 0,
            "overdue": 1,
            "next_due": None,
        },
        {
            "responsible": "工会女工",
            "org": "市总工会",
            "open": 1,
            "due_soon": 0,
            "overdue": 0,
            "next_due": "2026-12-31",
        },
    ]


def test_rollup_sums_completion_over_the_organisation_tree(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, busy_year: Any
) -> None:
    busy_year(app, clock, plans=2)  # plan 0 belongs to 市总工会, plan 1 to 区总工会 below it
    app.register_organisation("某医院工会", actor="admin", parent="区总工会")
    runner.catch_up()
    with runner.engine.connect() as conn:
        (city,) = rollup(conn, None, date(2026, 10, 1))
    assert city["org"] == "市总工会" and city["chair"] == "张主席"
    assert (city["own"]["occurrences"], city["own"]["done"]) == (3, 1)
    assert (city["total"]["occurrences"], city["total"]["done"], city["total"]["plans"]) == (
        6,
        2,
        2,
    )
    (district,) = city["children"]
    assert district["org"] == "区总工会" and district["total"]["overdue"] == 1
    assert [c["org"] for c in district["children"]] == ["某医院工会"]
    assert district["children"][0]["total"]["occurrences"] == 0


def test_timeline_takes_reason_and_version_from_the_event_in_the_log(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner
) -> None:
    plan = app.create_plan(org="市总工会", year=2026, title="计划", actor="chair")
    item = app.add_item(plan.id, NewItem(title="职工之家申报"), actor="chair")
    app.reassign(item.id, "王五", actor="chair", reason="人事调整")
    runner.catch_up()
    with runner.engine.connect() as conn:
        entries = timeline(conn, aggregate_id=str(item.id))
    assert [(e["type"], e["version"], e["reason"]) for e in entries] == [
        ("Planned", 1, None),
        ("Reassigned", 2, "人事调整"),
    ]
    assert entries[1]["summary"] == "责任人改为 王五"
    assert entries[1]["item_id"] == str(item.id) and entries[1]["plan_id"] == str(plan.id)


def test_read_models_find_the_log_under_the_table_name_the_recorder_uses(
    app: PlanlogApp, runner: ReadModelRunner
) -> None:
    from planlog.projections.changes import EVENTS_TABLES

    assert EVENTS_TABLES[runner.engine.dialect.name] == app.recorder.events_table_name  # type: ignore[attr-defined]


def test_timeline_window_excludes_its_start_and_includes_its_end_to_the_microsecond(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner
) -> None:
    plan = app.create_plan(org="市总工会", year=2026, title="计划", actor="chair")
    item = app.add_item(plan.id, NewItem(title="职工之家申报"), actor="chair")
    first = clock.advance(microseconds=1)
    app.reassign(item.id, "王五", actor="chair", reason="第一次")
    second = clock.advance(microseconds=1)
    app.reassign(item.id, "赵六", actor="chair", reason="第二次")
    runner.catch_up()
    china = ZoneInfo("Asia/Shanghai")
    with runner.engine.connect() as conn:
        window = timeline(conn, plan_id=str(plan.id), after=first.astimezone(china), until=second)
        assert [e["reason"] for e in window] == ["第二次"]
        assert window[0]["recorded_at"] == second.isoformat()
        with pytest.raises(PlanlogError, match="has no time zone"):
            timeline(conn, after=first.replace(tzinfo=None))
