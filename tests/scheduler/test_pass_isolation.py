"""One plan's trouble never stops the reminder pass for the others (issue 16), on both stores.

Before: the pass handled every open deadline in one loop, so one plan whose stored policy
made it loop (max_chases=10**30: 110 s, then a crash) or fail stopped reminders for every
union; and the issuer kept each plan's policy for the life of the service.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from planlog.config import Settings
from planlog.domain.model import Plan
from planlog.projections.outbox import reminder_outbox
from planlog.projections.runner import ReadModelRunner
from planlog.scheduler import dispatch as outbox
from planlog.scheduler.dispatch import deliver_pending, set_channels
from planlog.scheduler.reminders import ReminderIssuer
from planlog.scheduler.service import reminder_pass
from planlog.scheduler.workdays import ChinaWorkdays
from planlog.service.app import NewItem, PlanlogApp

CHINA = ZoneInfo("Asia/Shanghai")
BROKEN_ORG, HEALTHY_ORG = "甲医院工会", "乙学校工会"


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour, 0), CHINA).astimezone(UTC)


@pytest.fixture
def settings(store_url: str) -> Settings:
    return Settings(database_url=store_url, base_url="https://planlog.example.org")


@pytest.fixture
def runner(app: PlanlogApp) -> Iterator[ReadModelRunner]:
    projection_runner = ReadModelRunner(app)
    yield projection_runner
    projection_runner.close()


def plan_with_item(app: PlanlogApp, org: str, title: str, due: date) -> UUID:
    app.register_organisation(org, actor="admin", chair=f"{org}主席")
    plan = app.create_plan(org=org, year=2026, title=f"{org}2026年计划", actor="chair")
    app.add_item(plan.id, NewItem(title=title, responsible="责任人", dues=[due]), actor="chair")
    return plan.id


@pytest.fixture
def two_unions(app: PlanlogApp, runner: ReadModelRunner, http_receiver: Any) -> dict[str, UUID]:
    # The broken plan's deadline comes first, so the old single loop died before the other.
    plans = {
        BROKEN_ORG: plan_with_item(app, BROKEN_ORG, "甲的半年报告", date(2026, 6, 29)),
        HEALTHY_ORG: plan_with_item(app, HEALTHY_ORG, "乙的半年报告", date(2026, 6, 30)),
    }
    set_channels(runner.engine, BROKEN_ORG, None, [http_receiver.url("json", "/broken")])
    set_channels(runner.engine, HEALTHY_ORG, None, [http_receiver.url("json", "/healthy")])
    return plans


def test_one_failing_plan_does_not_stop_reminders_for_other_organisations(
    app: PlanlogApp,
    runner: ReadModelRunner,
    settings: Settings,
    two_unions: dict[str, UUID],
    http_receiver: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = str(two_unions[BROKEN_ORG])
    original = ReminderIssuer.stored_policy

    def failing(self: ReminderIssuer, plan_id: str, stored: object) -> Any:
        if plan_id == broken:
            raise RuntimeError("this plan cannot be read")
        return original(self, plan_id, stored)

    monkeypatch.setattr(ReminderIssuer, "stored_policy", failing)
    with caplog.at_level("ERROR", logger="planlog.reminders"):
        result = reminder_pass(app, runner, at(date(2026, 6, 23)), settings=settings)

    assert [r.title for r in result.issued] == ["乙的半年报告"]
    assert [(f.plan_id, f.org) for f in result.failed] == [(broken, BROKEN_ORG)]
    assert "RuntimeError: this plan cannot be read" in result.failed[0].error
    assert result.to_dict()["failed"][0]["plan_id"] == broken
    assert [r.path for r in http_receiver.requests] == ["/healthy"]
    assert "乙的半年报告" in http_receiver.requests[0].json()["title"]
    assert any(broken in r.getMessage() and BROKEN_ORG in r.getMessage() for r in caplog.records)

    # Nothing of the broken plan is lost: once it can be read, its reminder goes out.
    monkeypatch.undo()
    again = reminder_pass(app, runner, at(date(2026, 6, 23), 10), settings=settings)
    assert [r.title for r in again.issued] == ["甲的半年报告"] and again.failed == []
    assert [r.path for r in http_receiver.requests] == ["/healthy", "/broken"]


@pytest.mark.parametrize(
    "stored", [10**30, 1e30, float("nan"), "lots"], ids=["10**30", "1e30", "nan", "text"]
)
def test_a_policy_stored_out_of_bounds_no_longer_stalls_every_union(
    app: PlanlogApp,
    runner: ReadModelRunner,
    settings: Settings,
    two_unions: dict[str, UUID],
    http_receiver: Any,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    stored: object,
) -> None:
    # Recorded as versions before the bounds allowed (the API took max_chases=10**30):
    # the event check of today is switched off to write what they wrote.
    plan = app.get_plan(two_unions[BROKEN_ORG])
    with monkeypatch.context() as patch:
        patch.setattr("planlog.domain.model.check_payload", lambda *_, **__: None)
        plan.trigger_event(
            Plan.ReminderPolicySet,
            policy={"max_chases": stored, "overdue_every_days": 1, "lead_days": [0]},
            actor="old version",
            reason=None,
        )
        app.save(plan)

    with caplog.at_level("WARNING", logger="planlog.reminders"):
        result = reminder_pass(app, runner, at(date(2026, 7, 20)), settings=settings)

    assert sorted(r.title for r in result.issued) == ["乙的半年报告", "甲的半年报告"]
    assert result.failed == []
    # both unions' channels hear of it (the broken one twice: the responsible person's
    # digest and, escalated, the chair's)
    assert sorted(set(r.path for r in http_receiver.requests)) == ["/broken", "/healthy"]
    warned = [r.getMessage() for r in caplog.records]
    # Clamped with a warning; a NaN the read models cannot even decode is quarantined
    # (the plan is chased under the default policy meanwhile), also with a warning.
    assert any(str(plan.id) in m and ("max_chases" in m or "quarantined" in m) for m in warned), (
        warned
    )


def test_a_policy_change_applies_from_the_next_pass_of_a_running_issuer(
    app: PlanlogApp, runner: ReadModelRunner, settings: Settings, two_unions: dict[str, UUID]
) -> None:
    # The service keeps one issuer; it used to keep each plan's policy for ever too.
    issuer = ReminderIssuer(app, runner.engine, ChinaWorkdays())
    first = reminder_pass(
        app, runner, at(date(2026, 6, 16)), settings=settings, issuer=issuer, dry_run=True
    )
    assert first.issued == []  # 14 days ahead: nothing under the default 7 and 1 days
    app.set_reminder_policy(two_unions[HEALTHY_ORG], {"lead_days": [14]}, actor="chair")
    second = reminder_pass(
        app, runner, at(date(2026, 6, 16)), settings=settings, issuer=issuer, dry_run=True
    )
    assert [(r.title, r.kind) for r in second.issued] == [("乙的半年报告", "14d")]


def test_one_reminder_that_cannot_be_delivered_does_not_hold_up_the_others(
    app: PlanlogApp,
    runner: ReadModelRunner,
    settings: Settings,
    two_unions: dict[str, UUID],
    http_receiver: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = outbox.render_digest

    def render(digest: Any, lang: str) -> tuple[str, str]:
        if digest.org == BROKEN_ORG:
            raise RuntimeError("cannot render this one")
        return original(digest, lang)

    monkeypatch.setattr(outbox, "render_digest", render)
    result = reminder_pass(app, runner, at(date(2026, 6, 23)), settings=settings)
    assert len(result.issued) == 2
    assert sorted(d.status for d in result.delivered) == ["retrying", "sent"]
    assert [r.path for r in http_receiver.requests] == ["/healthy"]
    with runner.engine.connect() as conn:
        rows = list(conn.execute(select(reminder_outbox).order_by(reminder_outbox.c.position)))
    failed = [row for row in rows if row.status == "retrying"]
    assert len(failed) == 1 and failed[0].attempts == 1
    assert "RuntimeError: cannot render this one" in failed[0].last_error

    # Retried with backoff like any failed attempt, and sent once it can be.
    monkeypatch.undo()
    later = deliver_pending(runner.engine, at(date(2026, 6, 24)))
    assert [d.status for d in later] == ["sent"]
    assert [r.path for r in http_receiver.requests] == ["/healthy", "/broken"]
