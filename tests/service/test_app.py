"""The application on real stores: a SQLite file and PostgreSQL, with a simulated clock."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest

from planlog.domain.errors import ConcurrencyConflict, NotFound, RuleViolation
from planlog.domain.model import PlanItem
from planlog.service.app import NewItem, PlanlogApp


def half_yearly_plan(app: PlanlogApp) -> tuple[Any, PlanItem]:
    plan = app.create_plan(org="某医院工会", year=2026, title="2026年女工工作计划", actor="chair")
    item = app.add_item(
        plan.id,
        NewItem(
            title="向上级女工委报告女职工组织工作情况",
            section="健全女工组织",
            responsible="工会女工",
            rrule="FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=-1",
        ),
        actor="chair",
    )
    return plan, item


def test_plan_and_items_survive_a_restart(store_url: str, clock: Any) -> None:
    first = PlanlogApp(store_url, clock=clock)
    plan, item = half_yearly_plan(first)
    first.complete(item.id, actor="li", occurrence="2026-06-30", note="已报送")
    first.close()

    second = PlanlogApp(store_url, clock=clock)
    reloaded = second.get_item(item.id)
    assert reloaded.occurrences["2026-06-30"].status == "done"
    assert reloaded.occurrences["2026-12-31"].status == "open"
    assert [i.id for i in second.plan_items(plan.id)] == [item.id]
    assert [e.to_dict() for e in second.list_plans()] == [
        {"id": str(plan.id), "org": "某医院工会", "year": 2026, "title": "2026年女工工作计划"}
    ]
    second.close()


def test_recorded_time_comes_from_the_clock_not_the_caller(app: PlanlogApp, clock: Any) -> None:
    _, item = half_yearly_plan(app)
    clock.moment = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    app.report_progress(item.id, actor="li", percent=30)
    assert app.history(item.id)[-1]["recorded_at"] == "2026-03-02T09:30:00+00:00"


def test_item_as_of_a_past_recorded_time(app: PlanlogApp, clock: Any) -> None:
    _, item = half_yearly_plan(app)
    clock.moment = datetime(2026, 6, 29, 8, tzinfo=UTC)
    app.complete(item.id, actor="li", occurrence="2026-06-30")
    clock.moment = datetime(2026, 7, 2, 8, tzinfo=UTC)
    app.cancel_item(item.id, actor="chair", reason="工作调整")

    before = app.get_item(item.id, as_of=datetime(2026, 6, 1, tzinfo=UTC))
    middle = app.get_item(item.id, as_of=datetime(2026, 7, 1, tzinfo=UTC))
    assert before.occurrences["2026-06-30"].status == "open" and not before.cancelled
    assert middle.occurrences["2026-06-30"].status == "done" and not middle.cancelled
    assert app.get_item(item.id).cancelled


def test_as_of_before_an_item_existed_is_not_found(app: PlanlogApp, clock: Any) -> None:
    clock.moment = datetime(2026, 2, 1, tzinfo=UTC)
    _, item = half_yearly_plan(app)
    with pytest.raises(NotFound, match="was recorded by"):
        app.get_item(item.id, as_of=datetime(2026, 1, 1, tzinfo=UTC))


def test_item_at_a_version(app: PlanlogApp) -> None:
    _, item = half_yearly_plan(app)
    app.report_progress(item.id, actor="li", percent=50)
    app.report_progress(item.id, actor="li", percent=80)
    assert app.get_item(item.id, version=2).occurrences["2026-06-30"].percent == 50


def test_history_lists_what_who_when_why(app: PlanlogApp, clock: Any) -> None:
    _, item = half_yearly_plan(app)
    clock.advance(days=30)
    app.move_occurrence(
        item.id, "2026-06-30", date(2026, 7, 15), actor="chair", reason="上级推迟报送时间"
    )
    history = app.history(item.id)
    assert [h["type"] for h in history] == ["Planned", "Rescheduled"]
    change = history[1]
    assert change["actor"] == "chair" and change["reason"] == "上级推迟报送时间"
    assert change["recorded_at"] == "2026-02-04T01:00:00+00:00"
    assert change["occurrences"] == [
        {"opens": None, "due": "2026-07-15"},
        {"opens": None, "due": "2026-12-31"},
    ]
    json.dumps(history)  # an auditor's export must be plain JSON


def test_two_writers_never_lose_an_update(store_url: str, clock: Any) -> None:
    writer_a = PlanlogApp(store_url, clock=clock)
    writer_b = PlanlogApp(store_url, clock=clock)
    _, item = half_yearly_plan(writer_a)

    seen_by_a = writer_a.get_item(item.id)
    seen_by_b = writer_b.get_item(item.id)
    seen_by_a.complete(actor="a", done_on=date(2026, 6, 1))
    seen_by_b.cancel(actor="b", reason="b did not see a's completion")
    writer_a._save(seen_by_a)
    with pytest.raises(ConcurrencyConflict) as conflict:
        writer_b._save(seen_by_b)
    assert conflict.value.current_version == 2
    assert conflict.value.expected_version == 1
    stored = writer_a.get_item(item.id)
    assert stored.occurrences["2026-06-30"].status == "done" and not stored.cancelled
    writer_a.close()
    writer_b.close()


def test_a_stale_expected_version_is_refused(app: PlanlogApp) -> None:
    _, item = half_yearly_plan(app)
    app.report_progress(item.id, actor="li", percent=10)
    with pytest.raises(ConcurrencyConflict, match="now at version 2"):
        app.complete(item.id, actor="li", expected_version=1)
    assert app.get_item(item.id).version == 2


def test_concurrent_item_additions_to_one_plan_are_both_kept(store_url: str, clock: Any) -> None:
    writer_a = PlanlogApp(store_url, clock=clock)
    writer_b = PlanlogApp(store_url, clock=clock)
    plan, _ = half_yearly_plan(writer_a)
    stale_plan = writer_b.get_plan(plan.id)
    writer_a.add_item(plan.id, NewItem(title="三八节活动", dues=[date(2026, 3, 7)]), actor="a")
    # b decided on the old plan; the application reloads and retries the append.
    stale_item = writer_b._plan_item(
        stale_plan, NewItem(title="五一登山", dues=[date(2026, 4, 30)]), "b"
    )
    with pytest.raises(ConcurrencyConflict):
        writer_b._save(stale_plan, stale_item)
    writer_b.add_item(plan.id, NewItem(title="五一登山", dues=[date(2026, 4, 30)]), actor="b")
    titles = [i.title for i in writer_a.plan_items(plan.id)]
    assert titles == ["向上级女工委报告女职工组织工作情况", "三八节活动", "五一登山"]
    writer_a.close()
    writer_b.close()


def test_plan_with_items_is_created_all_or_nothing(app: PlanlogApp) -> None:
    items = [
        NewItem(title="组织健全", dues=[date(2026, 3, 25)]),
        NewItem(title="跨年的事项", dues=[date(2027, 4, 15)]),
    ]
    with pytest.raises(RuleViolation, match="outside the plan year"):
        app.create_plan(org="某医院工会", year=2026, title="计划", actor="chair", items=items)
    assert app.list_plans() == []
    assert app.recorder.max_notification_id() in (None, 0)


def test_a_version_1_planned_event_is_upcast(app: PlanlogApp) -> None:
    """Events recorded before items kept their source document still load."""
    _, item = half_yearly_plan(app)
    stored = next(iter(app.recorder.select_events(item.id)))
    state = json.loads(stored.state)
    assert state.pop("class_version") == 3
    del state["source"], state["task_id"], state["source_item_id"]
    legacy_id = uuid4()
    app.recorder.insert_events(
        [
            type(stored)(
                originator_id=legacy_id,
                originator_version=1,
                topic=stored.topic,
                state=json.dumps(state).encode(),
            )
        ]
    )
    upcast = app.get_item(legacy_id)
    assert upcast.source is None and upcast.title == item.title
    assert upcast.task_id is None and upcast.source_item_id is None


def test_unknown_ids_are_not_found(app: PlanlogApp) -> None:
    _, item = half_yearly_plan(app)
    with pytest.raises(NotFound, match="is not a plan"):
        app.get_plan(item.id)
    with pytest.raises(NotFound, match="no item"):
        app.get_item(uuid4())
