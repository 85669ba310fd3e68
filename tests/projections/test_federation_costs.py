"""Costs that follow the union, not the federation (issue 17): the same answers as
before, read from smaller places."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.application import AggregateNotFoundError
from sqlalchemy import select
from tests.projections.grouped_rollup import figures, own_counts

from planlog.auth.caller import org_scope
from planlog.domain.model import Plan
from planlog.domain.registry import REGISTRY_ID, AlreadyImported, PlanRegistry
from planlog.projections import rollup as rollup_module
from planlog.projections.board import board_items, board_occurrences, board_plans, board_sections
from planlog.projections.chain import head, verify
from planlog.projections.queries import plan_entries
from planlog.projections.rollup import _COUNTS, descendants, org_tree, rollup
from planlog.projections.runner import ReadModelRunner
from planlog.service.app import NewItem, PlanlogApp
from planlog.service.commands import RenamePlan

DOCUMENT = {"fingerprint": "sha256:" + "ab" * 32, "document": "plan.docx"}


def _legacy_plan(app: PlanlogApp, org: str, fingerprint: str | None) -> UUID:
    """A plan as stores recorded it before documents had their own record: in the one
    register of every plan."""
    try:
        registry = app.repository.get(REGISTRY_ID)
    except AggregateNotFoundError:
        registry = PlanRegistry.start("planlog")
    assert isinstance(registry, PlanRegistry)
    plan = Plan.create(org=org, year=2026, title="旧计划", actor="chair", reason=None, source=None)
    registry.register(
        plan_id=plan.id, org=org, year=2026, title=plan.title, fingerprint=fingerprint, actor="c"
    )
    app.save(registry, plan)
    return plan.id


def test_importing_the_same_document_again_is_refused_naming_its_plan(app: PlanlogApp) -> None:
    first = app.create_plan(org="某工会", year=2026, title="计划", actor="chair", source=DOCUMENT)
    head = app.recorder.max_notification_id()
    with pytest.raises(AlreadyImported) as refused:
        app.create_plan(org="某工会", year=2026, title="又一份", actor="chair", source=DOCUMENT)
    assert refused.value.plan_id == first.id and str(first.id) in str(refused.value)
    assert app.recorder.max_notification_id() == head
    found = app.find_imported("某工会", 2026, DOCUMENT["fingerprint"])
    assert found is not None and found.plan_id == first.id


def test_the_same_document_for_another_union_or_year_makes_its_own_plan(
    app: PlanlogApp,
) -> None:
    first = app.create_plan(org="甲工会", year=2026, title="计划", actor="c", source=DOCUMENT)
    other = app.create_plan(org="乙工会", year=2026, title="计划", actor="c", source=DOCUMENT)
    later = app.create_plan(org="甲工会", year=2027, title="计划", actor="c", source=DOCUMENT)
    assert len({first.id, other.id, later.id}) == 3


def test_a_document_recorded_in_the_old_register_is_still_refused(app: PlanlogApp) -> None:
    old = _legacy_plan(app, "某工会", DOCUMENT["fingerprint"])
    with pytest.raises(AlreadyImported) as refused:
        app.create_plan(org="某工会", year=2026, title="计划", actor="chair", source=DOCUMENT)
    assert refused.value.plan_id == old


def test_an_organisation_named_only_in_the_old_register_still_counts_as_existing(
    app: PlanlogApp,
) -> None:
    _legacy_plan(app, "老工会", None)
    plan = app.create_plan(
        org="老工会", year=2026, title="新计划", actor="chair", register_org=False
    )
    assert plan.org == "老工会"


def test_plan_listing_from_the_read_model_equals_the_listing_from_the_log(
    app: PlanlogApp,
) -> None:
    _legacy_plan(app, "老工会", None)
    app.register_organisation("市总工会", actor="admin")
    a = app.create_plan(org="甲工会", year=2026, title="甲计划", actor="c", parent="市总工会")
    app.create_plan(org="乙工会", year=2025, title="乙计划", actor="c", parent="市总工会")
    app.handle(RenamePlan(plan_id=a.id, title="甲计划（修订）", actor="c"))
    runner = ReadModelRunner(app)
    try:
        runner.catch_up()
        listed = plan_entries(runner.engine)
        shown = [(e.plan_id, e.org, e.year, e.title) for e in listed]
        assert shown == [(e.plan_id, e.org, e.year, e.title) for e in app.list_plans()]
        assert len(shown) == 3
        scoped = plan_entries(runner.engine, frozenset({"乙工会", "别处"}))
        assert [e.org for e in scoped] == ["乙工会"]
    finally:
        runner.close()


def test_a_scope_follows_organisations_registered_and_moved(app: PlanlogApp) -> None:
    runner = ReadModelRunner(app)
    try:
        app.register_organisation("市总工会", actor="admin")
        app.register_organisation("一区工会", actor="admin", parent="市总工会")
        app.register_organisation("二区工会", actor="admin", parent="市总工会")
        runner.catch_up()
        assert org_scope(runner.engine, "一区工会") == {"一区工会"}
        app.register_organisation("某厂工会", actor="admin", parent="一区工会")
        runner.catch_up()
        assert org_scope(runner.engine, "一区工会") == {"一区工会", "某厂工会"}
        assert org_scope(runner.engine, "市总工会") == {
            "市总工会",
            "一区工会",
            "二区工会",
            "某厂工会",
        }
        app.move_organisation("某厂工会", "二区工会", actor="admin")
        runner.catch_up()
        assert org_scope(runner.engine, "一区工会") == {"一区工会"}
        assert org_scope(runner.engine, "二区工会") == {"二区工会", "某厂工会"}
        assert org_scope(runner.engine, "无名工会") == {"无名工会"}
    finally:
        runner.close()


def _full_rollup(conn: Any, root: str, today: date) -> dict[str, Any]:
    """The rollup as it was computed before: the whole tree, every organisation's rows."""
    tree = org_tree(conn)
    own = own_counts(conn, today)

    def node(name: str) -> dict[str, Any]:
        kids = sorted(k for k, v in tree.items() if v["parent"] == name)
        children = [node(k) for k in kids]
        total = Counter(own.get(name, Counter()))
        for child in children:
            total.update({k: child["total"][k] for k in _COUNTS})
        return {
            **tree[name],
            "own": figures(own.get(name, Counter())),
            "total": figures(total),
            "children": children,
        }

    return node(root)


def test_a_subtree_rollup_equals_the_whole_tree_computation(app: PlanlogApp) -> None:
    app.register_organisation("市总工会", actor="admin")
    app.register_organisation("别市工会", actor="admin")
    for d in range(3):
        app.register_organisation(f"{d}区工会", actor="admin", parent="市总工会")
    app.create_plan(org="别市工会", year=2026, title="计划", actor="c", items=_items(3))
    plans = []
    for n in range(6):
        plan = app.create_plan(
            org=f"{n}号基层工会",
            year=2026,
            title="计划",
            actor="c",
            parent=f"{n % 3}区工会",
            items=_items(4),
        )
        plans.append(plan)
    app.create_plan(org="1区工会", year=2026, title="区计划", actor="c", items=_items(2))
    for plan in plans[:4]:
        first = app.plan_items(plan.id)[0]
        app.complete(first.id, actor="li", occurrence=sorted(first.occurrences)[0])
    _legacy_plan(app, "老工会", None)
    runner = ReadModelRunner(app)
    try:
        runner.catch_up()
        today = date(2026, 7, 15)
        with runner.engine.connect() as conn:
            for root in ("市总工会", "1区工会", "4号基层工会", "老工会", "别市工会"):
                (node,) = rollup(conn, root, today)
                assert node == _full_rollup(conn, root, today), root
                assert sorted(descendants(org_tree(conn), root)) == sorted(
                    rollup_module.subtree(conn, root)
                )
            with pytest.raises(LookupError):
                rollup(conn, "无名工会", today)
            whole = rollup(conn, None, today)
            assert [n["org"] for n in whole] == ["别市工会", "市总工会", "老工会"]
            assert whole[1] == _full_rollup(conn, "市总工会", today)
    finally:
        runner.close()


def _items(count: int) -> list[NewItem]:
    return [
        NewItem(
            title=f"任务{k}",
            section="一、工作",
            rrule="FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1" if k % 2 else None,
            dues=[] if k % 2 else [date(2026, 5, 10 + k)],
        )
        for k in range(count)
    ]


def _simulated_year(app: PlanlogApp, clock: Any, runner: ReadModelRunner) -> None:
    """Two unions' plans worked on month by month, the read models caught up as it goes."""
    app.register_organisation("市总工会", actor="admin")
    plans = [
        app.create_plan(
            org=f"{n}号工会", year=2026, title="计划", actor="c", parent="市总工会", items=_items(6)
        )
        for n in range(2)
    ]
    for month in range(1, 13):
        clock.moment = clock.moment.replace(month=month, day=1)
        for plan in plans:
            for k, item in enumerate(app.plan_items(plan.id)):
                if item.cancelled:
                    continue
                for occ in item.ordered_occurrences():
                    if occ.status == "done" or occ.due.month != month:
                        continue
                    app.report_progress(item.id, actor="li", occurrence=occ.key, percent=40)
                    if k == 3 and month < 12:
                        moved = occ.due.replace(day=min(occ.due.day + 3, 28))
                        app.move_occurrence(item.id, occ.key, moved, actor="c", reason="调整")
                    elif (k + month) % 5:
                        app.complete(item.id, actor="li", occurrence=occ.key)
                if month == 8 and k == 5:
                    app.cancel_item(item.id, actor="c", reason="取消")
        runner.catch_up()


def _board_rows(runner: ReadModelRunner) -> dict[str, list[tuple[Any, ...]]]:
    with runner.engine.connect() as conn:
        return {
            table.name: sorted(tuple(r) for r in conn.execute(select(table)))
            for table in (board_plans, board_sections, board_items, board_occurrences)
        }


def test_a_rebuilt_board_equals_the_board_kept_event_by_event(app: PlanlogApp, clock: Any) -> None:
    runner = ReadModelRunner(app, batch_size=5)
    try:
        _simulated_year(app, clock, runner)
        kept = _board_rows(runner)
        assert len(kept["board_occurrences"]) > 20
        runner.rebuild(lanes=1)
        assert _board_rows(runner) == kept
    finally:
        runner.close()
    bulk = ReadModelRunner(app, batch_size=100_000)
    try:
        bulk.rebuild(lanes=1)
        assert _board_rows(bulk) == kept
    finally:
        bulk.close()


def test_verifying_the_chain_in_small_pages_gives_the_same_report(
    app: PlanlogApp, clock: Any
) -> None:
    runner = ReadModelRunner(app, batch_size=7)
    try:
        _simulated_year(app, clock, runner)
        whole = verify(app, runner.engine)
        paged = verify(app, runner.engine, batch_size=3)
        assert whole.ok and paged.to_dict() == whole.to_dict()
        assert whole.head == head(runner.engine) and whole.checked == runner.head()
    finally:
        runner.close()
