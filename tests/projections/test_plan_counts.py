"""The rollup's figures kept by organisation (`planlog.projections.plan_counts`) equal a grouping of
the board's rows from scratch, after every kind of change, on both stores, kept batch by
batch and rebuilt."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Connection
from tests.projections.grouped_rollup import own_counts

from planlog.domain.status import DONE, FINISHED, SUBMITTED
from planlog.projections import rollup as rollup_module
from planlog.projections.board import board_items, board_occurrences, board_plans
from planlog.projections.plan_counts import org_open_dues, plan_counts
from planlog.projections.runner import ReadModelRunner
from planlog.service.app import NewItem, PlanlogApp
from planlog.service.commands import SetReminderPolicy, SignOff

CITY, EAST = "市总工会", "东区总工会"
UNIONS = ("东一工会", "东二工会")
DAYS = (date(2026, 1, 1), date(2026, 4, 15), date(2026, 7, 15), date(2027, 1, 1))
DUES = [date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30)]


@pytest.fixture
def runner(app: PlanlogApp) -> Iterator[ReadModelRunner]:
    # small batches: an item's events fall into several, and a batch holds several items
    found = ReadModelRunner(app, batch_size=4)
    yield found
    found.close()


def _grouped(conn: Connection) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Each plan's figures and each organisation's unfinished due dates grouped from the
    board's rows, as the kept tables hold them."""
    i, o, p = board_items.c, board_occurrences.c, board_plans.c
    counted = (
        select(
            i.plan_id,
            p.org,
            func.count(func.distinct(i.item_id)),
            func.count(),
            func.sum(case((o.status == DONE, 1), else_=0)),
            func.sum(case((o.status == SUBMITTED, 1), else_=0)),
        )
        .join_from(board_items, board_occurrences, o.item_position == i.position)
        .join(board_plans, p.plan_id == i.plan_id)
        .where(i.cancelled.is_(False))
        .group_by(i.plan_id, p.org)
    )
    unfinished = (
        select(p.org, o.due, func.count())
        .join_from(board_items, board_occurrences, o.item_position == i.position)
        .join(board_plans, p.plan_id == i.plan_id)
        .where(and_(i.cancelled.is_(False), o.status.not_in(sorted(FINISHED))))
        .group_by(p.org, o.due)
    )
    return (
        sorted(tuple(r) for r in conn.execute(counted)),
        sorted(tuple(r) for r in conn.execute(unfinished)),
    )


def _kept(conn: Connection) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    return (
        sorted(tuple(r) for r in conn.execute(select(plan_counts))),
        sorted(tuple(r) for r in conn.execute(select(org_open_dues))),
    )


def _grouped_by_org(conn: Connection, day: date, root: str | None) -> dict[str, tuple[int, ...]]:
    """The rollup's own figures per organisation, grouped from every board row."""
    grouped = own_counts(conn, day, root)
    return {org: tuple(c[k] for k in rollup_module._COUNTS) for org, c in grouped.items()}


def _assert_kept_equal_grouped(runner: ReadModelRunner) -> None:
    runner.catch_up()
    with runner.engine.connect() as conn:
        assert _kept(conn) == _grouped(conn)
        for day in DAYS:
            for root in (None, CITY, EAST, UNIONS[0]):
                kept = rollup_module._kept_counts(conn, day, root)
                assert kept == _grouped_by_org(conn, day, root), (day, root)


def _federation(app: PlanlogApp) -> dict[str, Any]:
    app.register_organisation(CITY, actor="admin")
    app.register_organisation(EAST, actor="admin", parent=CITY)
    for union in UNIONS:
        app.register_organisation(union, actor="admin", parent=EAST)
    city = app.create_plan(org=CITY, year=2026, title="市总计划", actor="c")
    source = app.add_item(city.id, NewItem(title="调研", dues=DUES[:2]), actor="c")
    plans = {u: app.create_plan(org=u, year=2026, title="计划", actor="c") for u in UNIONS}
    items = {
        u: [app.add_item(p.id, NewItem(title=f"任务{k}", dues=DUES), actor="c") for k in range(3)]
        for u, p in plans.items()
    }
    return {"source": source, "plans": plans, "items": items}


def test_kept_counts_equal_the_board_rows_grouped_after_each_kind_of_change(
    app: PlanlogApp, runner: ReadModelRunner
) -> None:
    fed = _federation(app)
    _assert_kept_equal_grouped(runner)
    first, second, third = fed["items"][UNIONS[0]]

    app.complete(first.id, actor="li", occurrence="2026-03-31")
    app.complete(second.id, actor="li", occurrence="2026-03-31")
    _assert_kept_equal_grouped(runner)

    app.reopen(first.id, "2026-03-31", actor="auditor", reason="材料不全")
    _assert_kept_equal_grouped(runner)

    app.move_occurrence(second.id, "2026-06-30", date(2026, 8, 10), actor="c", reason="延期")
    _assert_kept_equal_grouped(runner)

    app.cancel_item(third.id, actor="c", reason="取消")
    _assert_kept_equal_grouped(runner)

    plan = fed["plans"][UNIONS[1]]
    app.handle(SetReminderPolicy(plan_id=plan.id, policy={"sign_off": True}, actor="c"))
    late, other, _ = fed["items"][UNIONS[1]]
    app.complete(late.id, actor="li", occurrence="2026-03-31")  # submitted, past due
    app.complete(other.id, actor="li", occurrence="2026-06-30")
    _assert_kept_equal_grouped(runner)
    app.handle(SignOff(item_id=other.id, occurrence="2026-06-30", confirm=True, actor="c"))
    _assert_kept_equal_grouped(runner)

    parents = {CITY: None, EAST: CITY, **dict.fromkeys(UNIONS, EAST)}
    sent = app.send_task(fed["source"].id, [CITY], parents=parents, actor="c")
    _assert_kept_equal_grouped(runner)
    copies = app.get_task(sent.task_id).copies
    app.complete(copies[UNIONS[0]], actor="li", occurrence="2026-03-31")
    _assert_kept_equal_grouped(runner)

    with runner.engine.connect() as conn:
        (city,) = rollup_module.rollup(conn, CITY, date(2026, 7, 15))
    # the source's two deadlines are carried by the copies: the city counts none of them
    own = city["own"]
    assert (own["occurrences"], own["open"], own["overdue"]) == (0, 0, 0)


def test_rebuilt_kept_counts_equal_the_counts_kept_batch_by_batch(
    app: PlanlogApp, runner: ReadModelRunner
) -> None:
    fed = _federation(app)
    first, second, third = fed["items"][UNIONS[0]]
    app.complete(first.id, actor="li", occurrence="2026-03-31")
    app.move_occurrence(second.id, "2026-06-30", date(2026, 8, 10), actor="c", reason="延期")
    app.cancel_item(third.id, actor="c", reason="取消")
    parents = {CITY: None, EAST: CITY, **dict.fromkeys(UNIONS, EAST)}
    app.send_task(fed["source"].id, [EAST], parents=parents, actor="c")
    runner.catch_up()
    with runner.engine.connect() as conn:
        kept = _kept(conn)
    assert kept[0] and kept[1]
    for lanes in (1, 2):
        runner.rebuild(lanes=lanes)
        with runner.engine.connect() as conn:
            assert _kept(conn) == kept
    _assert_kept_equal_grouped(runner)


def test_a_board_stored_before_the_kept_counts_is_projected_again(
    app: PlanlogApp, runner: ReadModelRunner
) -> None:
    fed = _federation(app)
    app.complete(fed["items"][UNIONS[0]][0].id, actor="li", occurrence="2026-03-31")
    runner.catch_up()
    with runner.engine.begin() as conn:
        kept = _kept(conn)
        org_open_dues.drop(conn)
        plan_counts.drop(conn)
    upgraded = ReadModelRunner(app)
    try:
        upgraded.catch_up()
        with upgraded.engine.connect() as conn:
            assert _kept(conn) == kept
    finally:
        upgraded.close()


def test_an_organisations_plans_share_its_open_due_rows(
    app: PlanlogApp, runner: ReadModelRunner
) -> None:
    app.register_organisation(CITY, actor="admin")
    app.register_organisation(UNIONS[0], actor="admin", parent=CITY)
    for title in ("计划", "专项计划"):
        plan = app.create_plan(org=UNIONS[0], year=2026, title=title, actor="c")
        app.add_item(plan.id, NewItem(title="任务", dues=DUES[:2]), actor="c")
    _assert_kept_equal_grouped(runner)
    with runner.engine.connect() as conn:
        dues = sorted(tuple(r) for r in conn.execute(select(org_open_dues)))
        (city,) = rollup_module.rollup(conn, CITY, date(2026, 7, 15))
    assert dues == [(UNIONS[0], DUES[0].isoformat(), 2), (UNIONS[0], DUES[1].isoformat(), 2)]
    (union,) = city["children"]
    assert (union["own"]["plans"], union["own"]["overdue"]) == (2, 4)


def test_a_top_organisations_rollup_leaves_out_other_federations(
    app: PlanlogApp, runner: ReadModelRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    _federation(app)
    app.register_organisation("另一市总", actor="admin")
    app.register_organisation("另一工会", actor="admin", parent="另一市总")
    other = app.create_plan(org="另一工会", year=2026, title="计划", actor="c")
    app.add_item(other.id, NewItem(title="任务", dues=DUES), actor="c")
    runner.catch_up()
    day = date(2026, 7, 15)
    with runner.engine.connect() as conn:
        (city,) = rollup_module.rollup(conn, CITY, day)
        # the same subtree followed down in the database, as for any other organisation
        monkeypatch.setattr(rollup_module, "_is_top", lambda conn, name: False)
        (followed,) = rollup_module.rollup(conn, CITY, day)
    assert city == followed
    assert city["total"]["plans"] == 3  # the city's and its two unions'
