"""The runner on real stores: exactly once, resumable, rebuildable, two runners at once."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, inspect, select
from tests.concurrency import catch_up_together

from planlog.domain.errors import PlanlogError
from planlog.projections.runner import ReadModelRunner
from planlog.projections.timeline import audit_timeline
from planlog.service.app import NewItem, PlanlogApp


class Crash(Exception):
    pass


def test_catch_up_projects_every_event_once(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, busy_year: Any
) -> None:
    busy_year(app, clock)
    processed = runner.catch_up()
    head = runner.head()
    assert processed == head
    with runner.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(audit_timeline)).scalar() == head
    assert all(s.lag == 0 for s in runner.status())
    assert runner.catch_up() == 0


def test_a_crash_mid_batch_resumes_to_the_same_rows_as_a_clean_rebuild(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, busy_year: Any, read_model_rows: Any
) -> None:
    busy_year(app, clock)
    batches = {"n": 0}

    def crash_in_third_batch(projection: str, end: int) -> None:
        if projection == "timeline":
            batches["n"] += 1
            if batches["n"] == 3:
                raise Crash(f"killed while {projection} was writing up to {end}")

    with pytest.raises(Crash):
        runner.catch_up(fault=crash_in_third_batch)
    stopped_at = runner.status()[0].position
    assert 0 < stopped_at < runner.head()
    runner.catch_up()
    resumed = read_model_rows(runner.engine)
    runner.rebuild()
    assert read_model_rows(runner.engine) == resumed


def test_rebuild_gives_back_the_same_read_models(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, busy_year: Any, read_model_rows: Any
) -> None:
    busy_year(app, clock)
    runner.catch_up()
    before = read_model_rows(runner.engine)
    seen: list[int] = []
    runner.rebuild(progress=lambda position, head: seen.append(position))
    assert read_model_rows(runner.engine) == before
    assert seen == sorted(seen) and seen[-1] == runner.head()


def test_a_rebuild_in_two_lanes_gives_the_same_rows_as_one_process(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, busy_year: Any, read_model_rows: Any
) -> None:
    busy_year(app, clock)
    runner.rebuild(lanes=1)
    alone = read_model_rows(runner.engine)
    runner.rebuild(lanes=2)
    assert read_model_rows(runner.engine) == alone
    assert all(s.lag == 0 for s in runner.status())


def test_a_failing_lane_is_named_and_the_other_lanes_work_is_kept(
    app: PlanlogApp, clock: Any, busy_year: Any
) -> None:
    from planlog.projections.board import BoardProjection
    from planlog.projections.timeline import TimelineProjection

    class BrokenTimeline(TimelineProjection):
        def prepare(self, snapshot: Any, changes: list[Any]) -> Any:
            raise RuntimeError("disk full")

    busy_year(app, clock)
    runner = ReadModelRunner(app, [BoardProjection(), BrokenTimeline()])
    with pytest.raises(PlanlogError, match="timeline: RuntimeError: disk full"):
        runner.rebuild(lanes=2)
    positions = {s.name: s.position for s in runner.status()}
    assert positions == {"board": runner.head(), "timeline": 0}
    runner.close()


def test_lanes_share_projections_by_cost() -> None:
    from planlog.projections.runner import default_projections, split_into_lanes

    lanes = split_into_lanes(default_projections(), 2)
    assert [sorted(p.name for p in lane) for lane in lanes] == [
        ["audit_chain", "digests", "evidence", "outbox", "people", "reminder_due"],
        ["board", "rollup", "tasks", "timeline"],
    ]
    # the three heavy read models are not all in one lane: neither lane waits on the other
    totals = [sum(p.cost for p in lane) for lane in lanes]
    assert max(totals) - min(totals) < 0.5


def test_rebuilding_one_projection_leaves_the_others(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, busy_year: Any, read_model_rows: Any
) -> None:
    busy_year(app, clock)
    runner.catch_up()
    before = read_model_rows(runner.engine)
    runner.rebuild(["timeline"])
    assert read_model_rows(runner.engine) == before


_OLDER_LAYOUTS = {
    "other_columns": (
        "timeline",
        [
            "DROP TABLE audit_timeline",
            "CREATE TABLE audit_timeline (position INTEGER, summary TEXT)",
        ],
    ),
    # the same columns, keyed as before planlog keyed items by position
    "other_key": (
        "board",
        [
            "ALTER TABLE board_items RENAME TO old_items",
            "CREATE TABLE board_items (item_id VARCHAR(36) PRIMARY KEY, position INTEGER, "
            "plan_id VARCHAR(36), section_id VARCHAR(16), number TEXT, title TEXT, "
            "responsible TEXT, targets TEXT, deadline_text TEXT, cancelled BOOLEAN, "
            "version INTEGER, updated_at VARCHAR(40))",
            "DROP TABLE old_items",
        ],
    ),
}


@pytest.mark.parametrize("layout", sorted(_OLDER_LAYOUTS))
def test_a_read_model_stored_with_an_older_layout_is_projected_again(
    layout: str,
    app: PlanlogApp,
    clock: Any,
    runner: ReadModelRunner,
    busy_year: Any,
    read_model_rows: Any,
) -> None:
    projection, statements = _OLDER_LAYOUTS[layout]
    busy_year(app, clock)
    runner.catch_up()
    current = read_model_rows(runner.engine)
    with runner.engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    upgraded = ReadModelRunner(app)
    assert {s.name: s.position for s in upgraded.status()}[projection] == 0
    upgraded.catch_up()
    assert read_model_rows(upgraded.engine) == current
    upgraded.close()


def test_a_read_model_projected_again_for_its_layout_starts_a_new_version(
    app: PlanlogApp, runner: ReadModelRunner
) -> None:
    from planlog.projections.answers import read_model_marks

    with runner.engine.connect() as conn:
        before = {name: version for name, _, version in read_model_marks(conn)}
    projection, statements = _OLDER_LAYOUTS["other_columns"]
    with runner.engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    upgraded = ReadModelRunner(app)
    with upgraded.engine.connect() as conn:
        after = {name: version for name, _, version in read_model_marks(conn)}
    upgraded.close()
    assert after[projection] == before[projection] + 1
    assert {n: v for n, v in after.items() if n != projection} == {
        n: v for n, v in before.items() if n != projection
    }


def test_a_read_model_of_an_older_layout_is_projected_again_under_an_older_tracking_table(
    app: PlanlogApp, runner: ReadModelRunner
) -> None:
    from planlog.projections.answers import read_model_marks

    projection, statements = _OLDER_LAYOUTS["other_columns"]
    with runner.engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
        conn.exec_driver_sql("ALTER TABLE projection_tracking DROP COLUMN version")
    upgraded = ReadModelRunner(app)
    with upgraded.engine.connect() as conn:
        marks = {name: (position, version) for name, position, version in read_model_marks(conn)}
    upgraded.close()
    assert marks[projection] == (0, 1)  # projected again, from a version of its own
    assert marks["board"][1] == 0


def test_a_kept_record_stored_with_an_older_layout_is_refused_not_dropped(
    app: PlanlogApp, runner: ReadModelRunner
) -> None:
    with runner.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE audit_chain ADD COLUMN signed_by TEXT")
    with pytest.raises(PlanlogError, match="audit_chain of audit_chain have an older layout"):
        ReadModelRunner(app)
    with runner.engine.connect() as conn:
        assert "signed_by" in {c["name"] for c in inspect(conn).get_columns("audit_chain")}


def test_two_runners_at_once_apply_each_event_once(
    store_url: str, clock: Any, busy_year: Any, read_model_rows: Any
) -> None:
    writer = PlanlogApp(store_url, clock=clock)
    busy_year(writer, clock, plans=3)
    runners = [ReadModelRunner(PlanlogApp(store_url, clock=clock), batch_size=5) for _ in range(2)]
    assert catch_up_together(runners) == []
    together = read_model_rows(runners[0].engine)
    with runners[0].engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(audit_timeline)).scalar()
    assert count == runners[0].head()
    runners[0].rebuild()
    assert read_model_rows(runners[0].engine) == together
    for r in runners:
        r.close()
        r.app.close()
    writer.close()


def test_a_batch_moves_every_projection_or_none_when_one_moved_meanwhile(
    app: PlanlogApp, runner: ReadModelRunner
) -> None:
    from planlog.projections.base import tracking
    from planlog.projections.runner import TrackingMoved

    app.create_plan(org="某工会", year=2026, title="计划", actor="张三")
    before = runner.positions()
    first, second, *_ = sorted(before)
    with runner.engine.begin() as conn:  # another runner moved the second one on
        conn.execute(
            tracking.update().where(tracking.c.name == second).values(position=before[second] + 1)
        )
    moves = [(name, before[name], 0) for name in (first, second)]
    named = f"{second} #{before[second]}"  # the one that moved
    with pytest.raises(TrackingMoved, match=named), runner.engine.begin() as conn:
        runner._move_all(conn, moves, runner.head())
    # the batch's transaction is rolled back: the first did not move either
    assert runner.positions() == dict(before, **{second: before[second] + 1})
    # where every one is still where the batch found it, every one moves
    at = runner.positions()
    with runner.engine.begin() as conn:
        runner._move_all(conn, [(name, at[name], 0) for name in (first, second)], 99)
    assert (runner.positions()[first], runner.positions()[second]) == (99, 99)


def test_waiting_for_a_position_reached_by_another_runner(
    app: PlanlogApp, runner: ReadModelRunner
) -> None:
    plan = app.create_plan(org="某工会", year=2026, title="计划", actor="chair")
    app.add_item(
        plan.id, NewItem(title="x", rrule="FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31"), actor="chair"
    )
    assert not runner.wait_until(app.last_position, timeout=0.05)
    other = threading.Thread(target=runner.catch_up)
    other.start()
    assert runner.wait_until(app.last_position, timeout=10)
    other.join()


def test_the_runner_wakes_for_new_events_while_running(
    app: PlanlogApp, runner: ReadModelRunner
) -> None:
    stop = threading.Event()
    worker = threading.Thread(
        target=runner.run_forever, args=(stop,), kwargs={"poll_interval": 0.05}
    )
    worker.start()
    try:
        app.create_plan(org="某工会", year=2026, title="计划", actor="chair")
        assert runner.wait_until(app.last_position, timeout=10)
    finally:
        stop.set()
        worker.join(10)
    assert not worker.is_alive()


@pytest.mark.postgres
def test_postgres_runner_is_woken_by_notify_not_by_polling(pg_url: str, clock: Any) -> None:
    app = PlanlogApp(pg_url, clock=clock)
    runner = ReadModelRunner(app)
    stop = threading.Event()
    # A poll interval of ten minutes: only LISTEN/NOTIFY can wake it within the wait below.
    worker = threading.Thread(
        target=runner.run_forever, args=(stop,), kwargs={"poll_interval": 600}
    )
    worker.start()
    try:
        threading.Event().wait(0.5)  # let it reach its wait
        app.create_plan(org="某工会", year=2026, title="计划", actor="chair")
        assert runner.wait_until(app.last_position, timeout=20)
    finally:
        stop.set()
        worker.join(10)
    assert not worker.is_alive()
    runner.close()
    app.close()


KILL_MID_BATCH = """
import os, signal, sys
from planlog.service.app import PlanlogApp
from planlog.projections.runner import ReadModelRunner

runner = ReadModelRunner(PlanlogApp(sys.argv[1]), batch_size=7)
batches = []

def die(projection, end):
    if projection == "timeline":
        batches.append(end)
        if len(batches) == 4:
            os.kill(os.getpid(), signal.SIGKILL)  # no rollback handler, no cleanup: a real crash

runner.catch_up(fault=die)
"""


def test_a_killed_runner_process_resumes_exactly_once(
    app: PlanlogApp, clock: Any, busy_year: Any, read_model_rows: Any, tmp_path: Any
) -> None:
    import subprocess
    import sys

    busy_year(app, clock)
    killed = subprocess.run(
        [sys.executable, "-c", KILL_MID_BATCH, app.store.url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert killed.returncode == -9, killed.stderr
    runner = ReadModelRunner(app, batch_size=7)
    position = runner.status()[0].position
    assert 0 < position < runner.head()  # three batches committed, the fourth rolled back
    runner.catch_up()
    resumed = read_model_rows(runner.engine)
    runner.rebuild()
    assert read_model_rows(runner.engine) == resumed
    runner.close()


def test_a_runner_restores_indexes_a_killed_rebuild_had_dropped(
    app: PlanlogApp, clock: Any, busy_year: Any
) -> None:
    from sqlalchemy import inspect

    from planlog.projections.board import board_occurrences

    busy_year(app, clock)
    runner = ReadModelRunner(app)
    runner.catch_up()
    (due_index,) = [i for i in board_occurrences.indexes if i.name == "ix_board_occurrences_due"]
    with runner.engine.begin() as conn:  # what a rebuild killed while loading leaves behind
        due_index.drop(conn)
    runner.close()
    restarted = ReadModelRunner(app)
    names = {i["name"] for i in inspect(restarted.engine).get_indexes("board_occurrences")}
    assert "ix_board_occurrences_due" in names
    restarted.close()


def test_a_runner_drops_an_index_this_version_replaced(app: PlanlogApp) -> None:
    from sqlalchemy import inspect, text

    older = ReadModelRunner(app)
    with older.engine.begin() as conn:  # the whole-column index earlier versions made
        conn.execute(text("CREATE INDEX ix_reminder_outbox_status ON reminder_outbox (status)"))
    older.close()
    restarted = ReadModelRunner(app)
    names = {i["name"] for i in inspect(restarted.engine).get_indexes("reminder_outbox")}
    assert "ix_reminder_outbox_status" not in names
    assert "ix_reminder_outbox_unsent" in names
    restarted.close()


def test_a_fresh_store_has_no_read_model_of_an_older_layout(runner: ReadModelRunner) -> None:
    from planlog.projections.base import metadata, outdated_tables

    with runner.engine.connect() as conn:
        assert outdated_tables(conn, tuple(metadata.sorted_tables)) == []


def test_a_column_whose_type_changed_counts_as_an_older_layout(runner: ReadModelRunner) -> None:
    from planlog.projections.base import outdated_tables
    from planlog.projections.timeline import timeline_plans

    with runner.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE timeline_plans")
        conn.exec_driver_sql(
            "CREATE TABLE timeline_plans (key VARCHAR(36) PRIMARY KEY, plan_id VARCHAR(36))"
        )
        assert outdated_tables(conn, (timeline_plans,)) == ["timeline_plans"]
