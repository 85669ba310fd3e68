"""Chasing that never gives up: after the deadline until the occurrence is closed, with a
widening interval and escalation up the organisation tree (issue 15, part 5)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from tests.scheduler.simulation import recipient_of

from planlog.config import Settings
from planlog.domain.chasing import chase_offsets
from planlog.domain.policy import ReminderPolicy
from planlog.domain.values import InvalidValue
from planlog.projections.runner import ReadModelRunner
from planlog.scheduler.dispatch import set_channels
from planlog.scheduler.reminders import ReminderIssuer
from planlog.scheduler.service import reminder_pass
from planlog.scheduler.workdays import EveryDay
from planlog.service.app import NewItem, PlanlogApp
from planlog.service.commands import (
    DecideExtension,
    RequestExtension,
    SetReminderPolicy,
    SignOff,
)

CHINA = ZoneInfo("Asia/Shanghai")
CITY, UNION = "某市总工会", "某医院工会"


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), CHINA).astimezone(UTC)


@pytest.fixture
def settings(store_url: str) -> Settings:
    # Every day a workday: the reminders fall on their nominal days, so the test can
    # count them exactly (moving them onto workdays is tested in test_policy.py).
    return Settings(database_url=store_url, workdays="all")


@pytest.fixture
def runner(app: PlanlogApp) -> Iterator[ReadModelRunner]:
    projection_runner = ReadModelRunner(app)
    yield projection_runner
    projection_runner.close()


def one_item(app: PlanlogApp, due: date) -> UUID:
    app.register_organisation(CITY, actor="admin", chair="李主席")
    app.register_organisation(UNION, actor="admin", parent=CITY, chair="王主席")
    plan = app.create_plan(org=UNION, year=2026, title="2026年工作计划", actor="chair")
    item = app.add_item(
        plan.id,
        NewItem(title="报送女职工工作情况", responsible="工会女工", dues=[due]),
        actor="chair",
    )
    return item.id


def daily_passes(
    app: PlanlogApp, runner: ReadModelRunner, settings: Settings, first: date, last: date
) -> list[Any]:
    issued = []
    issuer = ReminderIssuer(app, runner.engine, EveryDay())
    day = first
    while day <= last:
        issued += reminder_pass(app, runner, at(day), settings=settings, issuer=issuer).issued
        day += timedelta(days=1)
    return issued


def test_chasing_goes_on_past_ten_reminders_and_widens_over_nine_months(
    app: PlanlogApp, runner: ReadModelRunner, settings: Settings
) -> None:
    due = date(2026, 3, 31)
    one_item(app, due)
    issued = daily_passes(app, runner, settings, date(2026, 3, 20), due + timedelta(days=275))
    chases = [r for r in issued if r.kind in ("overdue", "escalation")]
    offsets = [int(r.key.split("+")[1]) for r in chases]
    # Every 3 days for two weeks (plus the day the chair is told), then weekly, to the end.
    assert offsets[:7] == [3, 6, 7, 10, 13, 16, 23]
    assert all(b - a == 7 for a, b in itertools.pairwise(offsets[5:]))
    assert offsets[-1] > 268
    assert len(chases) == 43  # the old policy stopped at 10
    assert [r.key for r in issued[:3]] == ["7d", "1d", "due"]


def test_escalation_reaches_the_chair_then_the_chair_of_the_union_above(
    app: PlanlogApp, runner: ReadModelRunner, settings: Settings
) -> None:
    due = date(2026, 6, 30)
    one_item(app, due)
    issued = daily_passes(app, runner, settings, due, due + timedelta(days=30))
    who = {r.key: (r.recipients, r.escalate) for r in issued}
    assert who["overdue+6"] == (["工会女工"], False)
    assert who["escalation+7"] == (["工会女工", "王主席"], True)
    assert who["escalation+23"] == (["工会女工", "王主席"], True)
    assert who["escalation+30"] == (["工会女工", "王主席", f"李主席@{CITY}"], True)


def test_the_chair_above_is_told_through_the_channels_of_the_organisation_above(
    app: PlanlogApp, runner: ReadModelRunner, settings: Settings, http_receiver: Any
) -> None:
    due = date(2026, 6, 30)
    one_item(app, due)
    set_channels(runner.engine, CITY, None, [http_receiver.url("json", "/city")])
    set_channels(runner.engine, UNION, None, [http_receiver.url("json", "/union")])
    daily_passes(app, runner, settings, due + timedelta(days=30), due + timedelta(days=30))
    sent = [(r.path, recipient_of(r.json())) for r in http_receiver.requests]
    assert ("/city", "李主席") in sent
    assert ("/union", "李主席") not in sent  # the lagging union's group never sees it
    assert ("/union", "王主席") in sent and ("/union", "工会女工") in sent


def test_a_completed_occurrence_is_not_chased_and_chasing_resumes_when_reopened(
    app: PlanlogApp, runner: ReadModelRunner, settings: Settings
) -> None:
    due = date(2026, 6, 30)
    item_id = one_item(app, due)
    app.complete(item_id, actor="li", occurrence=due.isoformat(), done_on=date(2026, 7, 2))
    assert daily_passes(app, runner, settings, due + timedelta(days=1), date(2026, 7, 20)) == []
    app.reopen(item_id, due.isoformat(), actor="chair", reason="材料不全")
    resumed = daily_passes(app, runner, settings, date(2026, 7, 21), date(2026, 7, 27))
    # The chases missed while it was done fold into the latest one (+16, on the 21st),
    # then the weekly rhythm goes on.
    assert [r.key for r in resumed] == ["escalation+16", "escalation+23"]


def test_no_chasing_while_an_extension_request_is_open_and_it_resumes_after_a_rejection(
    app: PlanlogApp, runner: ReadModelRunner, settings: Settings
) -> None:
    due = date(2026, 6, 30)
    item_id = one_item(app, due)
    item = app.handle(
        RequestExtension(
            item_id=item_id,
            occurrence=due.isoformat(),
            to=date(2026, 8, 31),
            reason="等上级批复",
            actor="工会女工",
        )
    )
    request_id = item.open_extension_request(due.isoformat())
    assert request_id is not None
    assert daily_passes(app, runner, settings, due + timedelta(days=1), date(2026, 7, 20)) == []
    app.handle(DecideExtension.of(request_id, approve=False, reason="时间不能再拖", actor="王主席"))
    resumed = daily_passes(app, runner, settings, date(2026, 7, 21), date(2026, 7, 27))
    assert resumed and all(r.occurrence == due.isoformat() for r in resumed)


def test_a_deadline_submitted_for_sign_off_is_not_chased_until_the_chair_returns_it(
    app: PlanlogApp, runner: ReadModelRunner, settings: Settings
) -> None:
    due = date(2026, 6, 30)
    item_id = one_item(app, due)
    plan_id = app.get_item(item_id).plan_id
    app.handle(SetReminderPolicy(plan_id=plan_id, policy={"sign_off": True}, actor="王主席"))
    app.complete(item_id, actor="工会女工", occurrence=due.isoformat(), done_on=date(2026, 7, 2))
    assert app.get_item(item_id).occurrences[due.isoformat()].status == "submitted"
    assert daily_passes(app, runner, settings, due + timedelta(days=1), date(2026, 7, 20)) == []
    app.handle(
        SignOff(
            item_id=item_id,
            occurrence=due.isoformat(),
            confirm=False,
            reason="缺少照片",
            actor="王主席",
        )
    )
    resumed = daily_passes(app, runner, settings, date(2026, 7, 21), date(2026, 7, 27))
    assert resumed and all(r.occurrence == due.isoformat() for r in resumed)


def test_chasing_stops_at_the_cap_a_plan_sets(
    app: PlanlogApp, runner: ReadModelRunner, settings: Settings
) -> None:
    due = date(2026, 6, 30)
    item_id = one_item(app, due)
    plan_id = app.get_item(item_id).plan_id
    app.set_reminder_policy(plan_id, {"max_chases": 2}, actor="chair")
    issued = daily_passes(app, runner, settings, due, due + timedelta(days=60))
    assert [r.key for r in issued] == ["due", "overdue+3", "overdue+6"]


def test_chase_offsets_widen_and_keep_the_escalation_days() -> None:
    policy = ReminderPolicy(
        overdue_every_days=2,
        widen_after_days=6,
        overdue_later_every_days=10,
        escalate_after_days=5,
        escalate_parent_after_days=21,
    )
    offsets = chase_offsets(policy)
    assert [next(offsets) for _ in range(7)] == [2, 4, 5, 7, 17, 21, 31]


def test_the_later_interval_never_narrows_the_first() -> None:
    policy = ReminderPolicy(overdue_every_days=10, overdue_later_every_days=3)
    offsets = chase_offsets(policy)
    assert [next(offsets) for _ in range(4)] == [7, 17, 27, 30]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("widen_after_days", 0),
        ("overdue_later_every_days", 91),
        ("escalate_parent_after_days", 10**6),
        ("max_chases", -1),
    ],
)
def test_chase_fields_out_of_bounds_are_refused_by_name(field: str, value: object) -> None:
    with pytest.raises(InvalidValue) as refused:
        ReminderPolicy.from_dict({field: value})
    assert refused.value.field == field


def test_no_cap_is_the_default_and_survives_a_round_trip() -> None:
    policy = ReminderPolicy()
    assert policy.max_chases is None
    assert ReminderPolicy.from_dict(policy.to_dict()) == policy
