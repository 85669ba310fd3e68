"""Finding a union's plan for a year through its plan index (PlanIndex), recorded with
each new plan; stores holding plans made before the index read the log instead. Both
real stores."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from planlog.domain.model import Plan
from planlog.domain.registry import PlanIndex, plan_index_id
from planlog.service.app import NewItem, PlanlogApp
from planlog.service.commands import IndexPlans, PlansIndexed

CITY = "市总工会"
DISTRICT = "甲区总工会"
UNIONS = [f"甲区第{n}工会" for n in range(1, 7)]
PARENTS: dict[str, str | None] = {CITY: None, DISTRICT: CITY, **dict.fromkeys(UNIONS, DISTRICT)}


def _tree(app: PlanlogApp) -> None:
    app.register_organisation(CITY, actor="admin")
    app.register_organisation(DISTRICT, actor="admin", parent=CITY)
    for union in UNIONS:
        app.register_organisation(union, actor="admin", parent=DISTRICT)


def _task(app: PlanlogApp) -> Any:
    plan = app.create_plan(org=CITY, year=2026, title="市总2026年计划", actor="chair")
    return app.add_item(plan.id, NewItem(title="安全生产月", dues=[date(2026, 6, 30)]), actor="x")


def _without_the_log(app: PlanlogApp, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise AssertionError("the send read every plan in the log")

    monkeypatch.setattr(app, "list_plans", refuse)


def _plan_of_copy(app: PlanlogApp, task_id: Any, union: str) -> Plan:
    return app.get_plan(app.get_item(app.get_task(task_id).copies[union]).plan_id)


def test_a_new_plan_is_recorded_in_its_organisations_index_for_the_year(
    app: PlanlogApp,
) -> None:
    _tree(app)
    first = app.create_plan(org=UNIONS[0], year=2026, title="计划甲", actor="chair")
    second = app.create_plan(org=UNIONS[0], year=2026, title="计划乙", actor="chair")
    other_year = app.create_plan(org=UNIONS[0], year=2027, title="计划丙", actor="chair")
    index = app.repository.get(plan_index_id(UNIONS[0], 2026))
    assert isinstance(index, PlanIndex)
    assert index.plan_ids == [first.id, second.id]
    assert app.plan_indexes([UNIONS[0], UNIONS[1]], 2027)[UNIONS[0]].plan_ids == [other_year.id]
    assert app.plans_indexed()


def test_a_send_to_many_unions_finds_each_plan_through_the_index(
    app: PlanlogApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(app)
    plans = {u: app.create_plan(org=u, year=2026, title=f"{u}计划", actor="c") for u in UNIONS[:5]}
    source = _task(app)
    _without_the_log(app, monkeypatch)
    sent = app.send_task(source.id, [DISTRICT], parents=PARENTS, actor="张主席", batch_size=2)
    assert (sent.copies, sent.plans_created) == (6, 1)
    for union, plan in plans.items():
        assert _plan_of_copy(app, sent.task_id, union).id == plan.id
    made = _plan_of_copy(app, sent.task_id, UNIONS[5])
    assert app.plan_indexes([UNIONS[5]], 2026)[UNIONS[5]].plan_ids == [made.id]


def test_a_union_with_several_plans_of_the_year_gets_the_copy_in_the_first_listed(
    app: PlanlogApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Several plans per organisation and year are allowed; the copy goes where it always
    # went: the plan listed first (by title, then as made).
    _tree(app)
    app.create_plan(org=UNIONS[0], year=2026, title="B 计划", actor="c")
    first = app.create_plan(org=UNIONS[0], year=2026, title="A 计划", actor="c")
    app.create_plan(org=UNIONS[0], year=2026, title="A 计划", actor="c")
    listed = next(e.plan_id for e in app.list_plans() if e.org == UNIONS[0])
    source = _task(app)
    _without_the_log(app, monkeypatch)
    sent = app.send_task(source.id, [UNIONS[0]], parents=PARENTS, actor="张主席")
    assert _plan_of_copy(app, sent.task_id, UNIONS[0]).id == first.id == listed


def test_a_store_with_plans_made_before_the_index_still_finds_them(
    app: PlanlogApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(app)
    with monkeypatch.context() as before:  # the code of before: no index is recorded
        before.setattr(app, "index_plan", lambda plan, actor: ())
        older = app.create_plan(org=UNIONS[0], year=2026, title="旧计划", actor="c")
    newer = app.create_plan(org=UNIONS[1], year=2026, title="新计划", actor="c")
    assert not app.plans_indexed()
    source = _task(app)
    sent = app.send_task(source.id, UNIONS[:3], parents=PARENTS, actor="张主席")
    assert (sent.copies, sent.plans_created) == (3, 1)
    assert _plan_of_copy(app, sent.task_id, UNIONS[0]).id == older.id
    assert _plan_of_copy(app, sent.task_id, UNIONS[1]).id == newer.id


def test_an_older_store_reopened_is_still_not_taken_as_fully_indexed(
    store_url: str, clock: Any
) -> None:
    old = PlanlogApp(store_url, clock=clock)
    _tree(old)
    old.index_plan = lambda plan, actor: ()  # type: ignore[method-assign]
    old.create_plan(org=UNIONS[0], year=2026, title="旧计划", actor="c")
    old.close()
    app = PlanlogApp(store_url, clock=clock)
    try:
        app.create_plan(org=UNIONS[1], year=2026, title="新计划", actor="c")
        assert not app.plans_indexed()
    finally:
        app.close()


def _older_store(
    app: PlanlogApp, monkeypatch: pytest.MonkeyPatch, *plans: tuple[str, str]
) -> list[Any]:
    """Plans (union, title) made by the code of before, which recorded no index."""
    with monkeypatch.context() as before:
        before.setattr(app, "index_plan", lambda plan, actor: ())
        return [app.create_plan(org=o, year=2026, title=t, actor="c") for o, t in plans]


def test_indexing_an_older_store_lets_a_send_find_its_plans_through_the_index(
    app: PlanlogApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(app)
    older = _older_store(app, monkeypatch, (UNIONS[0], "旧计划"), (UNIONS[1], "旧计划"))
    newer = app.create_plan(org=UNIONS[2], year=2026, title="新计划", actor="c")
    assert not app.plans_indexed()
    done = app.handle(IndexPlans(actor="admin", batch_size=1))
    assert (done.added, done.complete) == (2, True)
    assert app.plans_indexed()
    source = _task(app)
    _without_the_log(app, monkeypatch)
    sent = app.send_task(source.id, UNIONS[:4], parents=PARENTS, actor="张主席")
    assert (sent.copies, sent.plans_created) == (4, 1)
    for union, plan in zip(UNIONS, [*older, newer], strict=False):
        assert _plan_of_copy(app, sent.task_id, union).id == plan.id


def test_indexing_plans_again_adds_nothing(
    app: PlanlogApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(app)
    _older_store(app, monkeypatch, (UNIONS[0], "旧计划"))
    app.handle(IndexPlans(actor="admin"))
    head = app.recorder.max_notification_id()
    assert app.handle(IndexPlans(actor="admin")) == PlansIndexed(added=0, complete=True)
    assert app.recorder.max_notification_id() == head


def test_an_indexed_older_plan_is_still_the_first_listed_among_plans_of_one_title(
    app: PlanlogApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Indexed after the plans made since, the older plan is still the one made first.
    _tree(app)
    [older] = _older_store(app, monkeypatch, (UNIONS[0], "A 计划"))
    app.create_plan(org=UNIONS[0], year=2026, title="A 计划", actor="c")
    app.handle(IndexPlans(actor="admin"))
    listed = next(e.plan_id for e in app.list_plans() if e.org == UNIONS[0])
    source = _task(app)
    _without_the_log(app, monkeypatch)
    sent = app.send_task(source.id, [UNIONS[0]], parents=PARENTS, actor="张主席")
    assert _plan_of_copy(app, sent.task_id, UNIONS[0]).id == older.id == listed


def test_a_store_reopened_after_indexing_is_taken_as_fully_indexed(
    store_url: str, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = PlanlogApp(store_url, clock=clock)
    _tree(old)
    _older_store(old, monkeypatch, (UNIONS[0], "旧计划"))
    old.create_plan(org=UNIONS[1], year=2026, title="新计划", actor="c")
    running = PlanlogApp(store_url, clock=clock)  # a server that saw the index incomplete
    try:
        assert not running.plans_indexed()
        old.handle(IndexPlans(actor="admin"))
        assert running.plans_indexed()
    finally:
        running.close()
        old.close()
