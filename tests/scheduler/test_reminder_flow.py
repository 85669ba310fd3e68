"""Reminders end to end on real stores: issued once, delivered once, over a simulated year."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from time import sleep
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from planlog.config import Settings
from planlog.demo import demo_plan_text
from planlog.importer import parse_text
from planlog.projections.outbox import reminder_outbox, reminders_report
from planlog.projections.runner import ReadModelRunner
from planlog.scheduler.dispatch import deliver_pending, set_channels
from planlog.scheduler.reminders import ReminderIssuer
from planlog.scheduler.service import Service, reminder_pass
from planlog.scheduler.workdays import ChinaWorkdays
from planlog.service.app import NewItem, PlanlogApp
from planlog.service.importing import import_document

CHINA = ZoneInfo("Asia/Shanghai")
ORG = "某医院工会"


def at(day: date, hour: int = 8, minute: int = 40) -> datetime:
    return datetime.combine(day, time(hour, minute), CHINA).astimezone(UTC)


def reminder_events(app: PlanlogApp) -> list[Any]:
    events = []
    for notification in app.recorder.select_notifications(start=1, limit=10**6):
        if notification.topic.endswith("PlanItem.ReminderIssued"):
            events.append(app.mapper.to_domain_event(notification))
    return events


@pytest.fixture
def settings(store_url: str) -> Settings:
    return Settings(database_url=store_url, base_url="https://planlog.example.org")


@pytest.fixture
def runner(app: PlanlogApp) -> Any:
    projection_runner = ReadModelRunner(app)
    yield projection_runner
    projection_runner.close()


def one_item(app: PlanlogApp, clock: Any, **schedule: Any) -> UUID:
    app.register_organisation(ORG, actor="admin", chair="王主席")
    plan = app.create_plan(org=ORG, year=2026, title="2026年工作计划", actor="chair")
    item = app.add_item(
        plan.id,
        NewItem(title="报送女职工工作情况", responsible="工会女工", **schedule),
        actor="chair",
    )
    return item.id


def test_simulated_year_issues_and_delivers_each_reminder_once(
    store_url: str, clock: Any, settings: Settings, http_receiver: Any
) -> None:
    clock.moment = at(date(2026, 1, 2), 9)
    app = PlanlogApp(store_url, clock=clock)
    app.register_organisation(ORG, actor="admin", chair="王主席")
    imported = parse_text(demo_plan_text(), 2026)
    plan_id = UUID(import_document(app, imported, org=ORG, year=2026, actor="chair")["plan_id"])
    runner = ReadModelRunner(app)
    set_channels(runner.engine, ORG, None, [http_receiver.url("json", "/hook")])
    issuer = ReminderIssuer(app, runner.engine, ChinaWorkdays())
    second = PlanlogApp(store_url, clock=clock)  # another scheduler on the same store
    second_runner = ReadModelRunner(second)
    second_issuer = ReminderIssuer(second, second_runner.engine, ChinaWorkdays())
    diligent = {"工会办公室", "经审委员会"}  # they finish two days early; others run late

    day = date(2026, 1, 2)
    while day <= date(2027, 2, 10):
        clock.moment = at(day, 8, 10)
        if day.year == 2026:
            for item in app.plan_items(plan_id):
                for occ in item.ordered_occurrences():
                    due_in = (occ.due - day).days
                    finish = 2 if item.responsible in diligent else -9
                    if occ.status != "done" and due_in == finish and not item.cancelled:
                        app.complete(item.id, actor="li", occurrence=occ.key, done_on=day)
        clock.moment = at(day)
        reminder_pass(app, runner, clock.moment, settings=settings, issuer=issuer)
        if day.day in (1, 15):  # a second scheduler racing the first
            reminder_pass(
                second, second_runner, clock.moment, settings=settings, issuer=second_issuer
            )
        if day == date(2026, 6, 15):  # a restart
            runner.close()
            app.close()
            app = PlanlogApp(store_url, clock=clock)
            runner = ReadModelRunner(app)
            issuer = ReminderIssuer(app, runner.engine, ChinaWorkdays())
        if day == date(2026, 9, 1):  # a rebuild of every projection
            runner.rebuild()
        day += timedelta(days=1)

    events = reminder_events(app)
    keys = Counter((str(e.originator_id), e.occurrence, e.key) for e in events)
    rows = reminders_report(runner.engine)
    sent = [r for r in rows if r["status"] == "sent"]
    figures = {
        "issued": len(events),
        "messages": len(http_receiver.requests),
        "duplicates_issued": sum(n - 1 for n in keys.values()),
        "kinds": dict(Counter(e.kind for e in events)),
    }
    print("\nsimulated year:", json.dumps(figures, ensure_ascii=False))
    assert figures["issued"] > 100
    assert figures["duplicates_issued"] == 0
    assert len(sent) == len(rows) == figures["issued"]
    # digests: fewer messages than reminders, each reminder in one that went out first time
    assert figures["messages"] < figures["issued"]
    assert all(r["attempts"] == 1 for r in rows)
    assert {"7d", "1d", "due", "overdue", "escalation", "opens"} <= set(figures["kinds"])
    bodies = [r.json() for r in http_receiver.requests]
    assert all("某市人民医院工会年度工作计划" in b["message"] for b in bodies)
    assert any(b["title"].startswith("【督办】") for b in bodies)
    # A completed occurrence is never reminded about after it was completed.
    for item in app.plan_items(plan_id):
        for occ in item.ordered_occurrences():
            if occ.done_on is None:
                continue
            late = [
                e
                for e in events
                if str(e.originator_id) == str(item.id)
                and e.occurrence == occ.key
                and e.timestamp.date() > occ.done_on
            ]
            assert late == []
    for closing in (runner, second_runner):
        closing.close()
    app.close()
    second.close()


def test_missed_lead_times_coalesce_into_one_reminder(
    app: PlanlogApp, clock: Any, runner: Any, settings: Settings
) -> None:
    item_id = one_item(app, clock, dues=[date(2026, 6, 30)])
    # Down since May: the 7d and 1d reminders were missed; only "due" goes out.
    result = reminder_pass(app, runner, at(date(2026, 6, 30), 9), settings=settings)
    assert [(r.kind, r.key) for r in result.issued] == [("due", "due")]
    again = reminder_pass(app, runner, at(date(2026, 6, 30), 10), settings=settings)
    assert again.issued == []
    assert [e.key for e in reminder_events(app)] == ["due"]
    assert app.get_item(item_id).reminders == {"2026-06-30": {"due"}}


def test_dry_run_records_and_sends_nothing(
    app: PlanlogApp, clock: Any, runner: Any, settings: Settings
) -> None:
    one_item(app, clock, dues=[date(2026, 6, 30)])
    result = reminder_pass(app, runner, at(date(2026, 6, 23), 9), settings=settings, dry_run=True)
    assert [r.kind for r in result.issued] == ["7d"] and result.delivered == []
    assert reminder_events(app) == []


def test_a_pass_reports_where_its_time_went(
    app: PlanlogApp, clock: Any, runner: Any, settings: Settings
) -> None:
    one_item(app, clock, dues=[date(2026, 6, 30)])
    result = reminder_pass(app, runner, at(date(2026, 6, 23), 9), settings=settings)
    stages = result.to_dict()["stages"]
    assert sorted(stages) == ["catch_up", "deliver", "issue"]
    assert all(took >= 0 for took in stages.values())
    dry = reminder_pass(app, runner, at(date(2026, 6, 29), 9), settings=settings, dry_run=True)
    assert sorted(dry.stages) == ["catch_up", "issue"]  # nothing was delivered


def test_completed_and_cancelled_occurrences_get_no_reminder(
    app: PlanlogApp, clock: Any, runner: Any, settings: Settings
) -> None:
    done = one_item(app, clock, dues=[date(2026, 6, 30), date(2026, 12, 31)])
    app.complete(done, actor="li", occurrence="2026-06-30")
    result = reminder_pass(app, runner, at(date(2026, 7, 20), 9), settings=settings)
    assert result.issued == []
    app.cancel_item(done, actor="chair", reason="合并")
    result = reminder_pass(app, runner, at(date(2026, 12, 31), 9), settings=settings)
    assert result.issued == []


def test_escalation_goes_to_the_chair_too(
    app: PlanlogApp, clock: Any, runner: Any, settings: Settings
) -> None:
    one_item(app, clock, dues=[date(2026, 6, 30)])
    result = reminder_pass(app, runner, at(date(2026, 7, 8), 9), settings=settings)
    (reminder,) = result.issued
    assert reminder.kind == "escalation" and reminder.recipients == ["工会女工", "王主席"]


def test_window_gets_an_opens_notice(
    app: PlanlogApp, clock: Any, runner: Any, settings: Settings
) -> None:
    one_item(app, clock, windows=[(date(2026, 6, 1), date(2026, 8, 31))])
    result = reminder_pass(app, runner, at(date(2026, 6, 1), 9), settings=settings)
    assert [r.kind for r in result.issued] == ["opens"]


def test_delivery_by_email_to_a_real_smtp_server(
    app: PlanlogApp, clock: Any, runner: Any, settings: Settings, smtp_server: Any
) -> None:
    one_item(app, clock, dues=[date(2026, 6, 30)])
    url = (
        f"mailto://{smtp_server.host}:{smtp_server.port}"
        "?from=planlog@example.org&to=nvgong@example.org"
    )
    set_channels(runner.engine, ORG, "工会女工", [url])
    result = reminder_pass(app, runner, at(date(2026, 6, 23), 9), settings=settings)
    assert [d.status for d in result.delivered] == ["sent"]
    (mail,) = smtp_server.received
    assert mail.rcpt_tos == ["nvgong@example.org"]
    assert "报送女职工工作情况" in mail.message["Subject"]
    assert "还有7天" in mail.message.get_content()


def test_a_failing_channel_is_retried_reported_and_only_it_is_retried(
    app: PlanlogApp,
    clock: Any,
    runner: Any,
    settings: Settings,
    http_receiver: Any,
    closed_port: int,
) -> None:
    one_item(app, clock, dues=[date(2026, 6, 30)])
    good = http_receiver.url("json", "/ok")
    bad = f"json://127.0.0.1:{closed_port}/down"
    set_channels(runner.engine, ORG, None, [good, bad])
    now = at(date(2026, 6, 23), 9)
    first = reminder_pass(app, runner, now, settings=settings)
    assert [d.status for d in first.delivered] == ["retrying"]
    (row,) = reminders_report(runner.engine)
    assert row["status"] == "retrying" and row["attempts"] == 1
    assert str(closed_port) in row["last_error"] and row["next_attempt_at"] > now.isoformat()
    assert deliver_pending(runner.engine, now + timedelta(seconds=30)) == []  # backing off
    set_channels(runner.engine, ORG, None, [good, f"json://127.0.0.1:{http_receiver.port}/up"])
    retried = deliver_pending(runner.engine, now + timedelta(minutes=2))
    assert [d.status for d in retried] == ["sent"]
    assert [r.path for r in http_receiver.requests] == ["/ok", "/up"]  # /ok got it once


def test_a_channel_that_keeps_failing_is_never_given_up_on(
    app: PlanlogApp, clock: Any, runner: Any, settings: Settings, closed_port: int
) -> None:
    one_item(app, clock, dues=[date(2026, 6, 30)])
    set_channels(runner.engine, ORG, None, [f"json://127.0.0.1:{closed_port}/down"])
    now = at(date(2026, 6, 23), 9)
    reminder_pass(app, runner, now, settings=settings)
    for hours in range(1, 30):
        deliver_pending(runner.engine, now + timedelta(hours=hours))
    (row,) = reminders_report(runner.engine)
    assert row["status"] == "retrying" and row["attempts"] > 8 and row["undelivered"]
    last_try = now + timedelta(hours=29)
    assert row["next_attempt_at"] <= (last_try + timedelta(hours=6)).isoformat()


def test_no_channel_is_recorded_not_lost(
    app: PlanlogApp, clock: Any, runner: Any, settings: Settings, monkeypatch: Any
) -> None:
    monkeypatch.delenv("PLANLOG_NOTIFY_URLS", raising=False)
    one_item(app, clock, dues=[date(2026, 6, 30)])
    reminder_pass(app, runner, at(date(2026, 6, 23), 9), settings=settings)
    (row,) = reminders_report(runner.engine)
    assert row["status"] == "no_channel" and ORG in row["last_error"]


def test_a_reminder_without_a_channel_waits_an_hour_unless_its_organisation_gets_one(
    app: PlanlogApp,
    clock: Any,
    runner: Any,
    settings: Settings,
    http_receiver: Any,
    monkeypatch: Any,
) -> None:
    monkeypatch.delenv("PLANLOG_NOTIFY_URLS", raising=False)
    one_item(app, clock, dues=[date(2026, 6, 30)])
    now = at(date(2026, 6, 23), 9)
    reminder_pass(app, runner, now, settings=settings)
    assert deliver_pending(runner.engine, now + timedelta(minutes=15)) == []
    (row,) = reminders_report(runner.engine)
    assert datetime.fromisoformat(row["next_attempt_at"]) == now + timedelta(hours=1)
    set_channels(runner.engine, ORG, None, [http_receiver.url("json", "/hook")])
    delivered = deliver_pending(runner.engine, now + timedelta(minutes=16))
    assert [d.status for d in delivered] == ["sent"]


def test_default_channel_from_the_environment(
    app: PlanlogApp,
    clock: Any,
    runner: Any,
    settings: Settings,
    http_receiver: Any,
    monkeypatch: Any,
) -> None:
    monkeypatch.setenv("PLANLOG_NOTIFY_URLS", http_receiver.url("json", "/default"))
    one_item(app, clock, dues=[date(2026, 6, 30)])
    reminder_pass(app, runner, at(date(2026, 6, 23), 9), settings=settings)
    assert [r.path for r in http_receiver.requests] == ["/default"]


def test_rebuilds_and_wiped_outboxes_never_send(
    app: PlanlogApp, clock: Any, runner: Any, settings: Settings, http_receiver: Any
) -> None:
    one_item(app, clock, dues=[date(2026, 6, 30)])
    set_channels(runner.engine, ORG, None, [http_receiver.url("json", "/hook")])
    reminder_pass(app, runner, at(date(2026, 6, 23), 9), settings=settings)
    runner.rebuild()
    with runner.engine.begin() as conn:  # as if the read-model tables were lost
        conn.execute(reminder_outbox.delete())
    runner.rebuild()
    assert deliver_pending(runner.engine, at(date(2026, 6, 24), 9)) == []
    assert [r["status"] for r in reminders_report(runner.engine)] == ["replayed"]
    assert len(http_receiver.requests) == 1


def test_a_crash_between_send_and_record_resends_after_the_lease(
    app: PlanlogApp, clock: Any, runner: Any, settings: Settings, http_receiver: Any
) -> None:
    """At-least-once: the only window for a second delivery, and it is bounded."""
    one_item(app, clock, dues=[date(2026, 6, 30)])
    set_channels(runner.engine, ORG, None, [http_receiver.url("json", "/hook")])
    now = at(date(2026, 6, 23), 9)
    reminder_pass(app, runner, now, settings=settings, dry_run=False)
    with runner.engine.begin() as conn:  # the sender died after sending, before recording
        conn.execute(
            update(reminder_outbox).values(
                status="sending", claimed_at=now.isoformat(), attempts=0, delivered_to="[]"
            )
        )
    assert deliver_pending(runner.engine, now + timedelta(minutes=5)) == []
    assert [d.status for d in deliver_pending(runner.engine, now + timedelta(minutes=11))] == [
        "sent"
    ]
    assert len(http_receiver.requests) == 2


TWO_SCHEDULERS = """
import sys
from datetime import datetime
from planlog.service.app import PlanlogApp
from planlog.config import Settings
from planlog.projections.runner import ReadModelRunner
from planlog.scheduler.service import reminder_pass

url, moment = sys.argv[1], datetime.fromisoformat(sys.argv[2])
app = PlanlogApp(url)
runner = ReadModelRunner(app)
issued = 0
for _ in range(5):
    issued += len(reminder_pass(app, runner, moment, settings=Settings(database_url=url)).issued)
print(issued)
"""


@pytest.mark.postgres
def test_two_scheduler_processes_on_postgres_issue_no_duplicate(pg_url: str, clock: Any) -> None:
    app = PlanlogApp(pg_url, clock=clock)
    app.register_organisation(ORG, actor="admin", chair="王主席")
    plan = app.create_plan(org=ORG, year=2026, title="计划", actor="chair")
    for n in range(40):
        app.add_item(
            plan.id,
            NewItem(
                title=f"事项{n}",
                responsible=f"责任人{n % 5}",
                dues=[date(2026, 6, 1) + timedelta(days=n)],
            ),
            actor="chair",
        )
    moment = at(date(2026, 6, 25), 9).isoformat()
    runner = ReadModelRunner(app)
    expected = reminder_pass(
        app,
        runner,
        datetime.fromisoformat(moment),
        settings=Settings(database_url=pg_url),
        dry_run=True,
    ).issued
    runner.close()
    assert len(expected) == 32  # due by 2 July: their 7-day (or later) reminder has come
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", TWO_SCHEDULERS, pg_url, moment],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    issued_by_each = [int(out.strip().splitlines()[-1]) for out, _ in outputs]
    events = reminder_events(app)
    keys = Counter((str(e.originator_id), e.occurrence, e.key) for e in events)
    assert len(events) == len(expected) and max(keys.values()) == 1
    assert sum(issued_by_each) == len(expected)
    app.close()


def test_one_active_scheduler_per_database(store_url: str) -> None:
    # A lock file beside SQLite, an advisory lock on PostgreSQL; jobs now in memory.
    first = Service(Settings(database_url=store_url, reminder_interval=3600), lock_retry_seconds=1)
    second = Service(Settings(database_url=store_url, reminder_interval=3600), lock_retry_seconds=1)
    first.start()
    second.start()
    try:
        assert first.active and not second.active
        first.stop()
        deadline = datetime.now() + timedelta(seconds=10)
        while not second.active and datetime.now() < deadline:
            sleep(0.1)
        assert second.active
        assert {j.id for j in second.scheduler.get_jobs()} == {  # type: ignore[union-attr]
            "planlog-reminders",
            "planlog-delivery",
            "planlog-anchor",
            "planlog-laggard-digest",
        }
    finally:
        second.stop()
        if first.scheduler is not None:
            first.stop()


def test_the_running_service_issues_reminders_on_its_own(
    sqlite_url: str, http_receiver: Any
) -> None:
    app = PlanlogApp(sqlite_url)
    app.register_organisation(ORG, actor="admin", chair="王主席")
    plan = app.create_plan(org=ORG, year=app.today().year, title="计划", actor="chair")
    app.add_item(
        plan.id, NewItem(title="逾期事项", dues=[app.today() - timedelta(days=4)]), actor="chair"
    )
    service = Service(
        Settings(database_url=sqlite_url, reminder_interval=1, delivery_interval=1, workdays="all")
    )
    set_channels(service.runner.engine, ORG, None, [http_receiver.url("json", "/hook")])
    service.start()
    try:
        deadline = datetime.now() + timedelta(seconds=20)
        while not http_receiver.requests and datetime.now() < deadline:
            sleep(0.1)
    finally:
        service.stop()
        app.close()
    assert len(http_receiver.requests) == 1
    assert "逾期事项" in http_receiver.requests[0].json()["title"]


def _unassigned_item(app: PlanlogApp, org: str, chair: str | None) -> UUID:
    app.register_organisation(org, actor="admin", chair=chair)
    plan = app.create_plan(org=org, year=2026, title="2026年工作计划", actor="chair")
    item = app.add_item(  # nobody named: as a task sent down arrives in a union's plan
        plan.id, NewItem(title="报送会员实名制数据", dues=[date(2026, 6, 30)]), actor="chair"
    )
    return item.id


@pytest.mark.parametrize(("chair", "told"), [("王主席", "王主席"), (None, "（未指定责任人）")])
def test_an_item_nobody_is_named_for_is_chased_through_the_unions_chair(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, settings: Settings,
    chair: str | None, told: str,
) -> None:  # fmt: skip
    _unassigned_item(app, ORG, chair)
    result = reminder_pass(app, runner, at(date(2026, 6, 23), 9), settings=settings)
    (reminder,) = result.issued
    assert reminder.recipients == [told]


@pytest.mark.parametrize("chair", ["王主席", None])
def test_an_escalation_says_it_reached_the_chair_only_when_one_was_told(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, settings: Settings, chair: str | None
) -> None:
    item_id = _unassigned_item(app, ORG, chair)
    app.reassign(item_id, actor="chair", responsible="工会办公室")
    # a week overdue: the default policy escalates to the union's chair
    result = reminder_pass(app, runner, at(date(2026, 7, 8), 9), settings=settings)
    (escalation,) = [r for r in result.issued if r.kind == "escalation"]
    assert escalation.escalate is (chair is not None)
    assert escalation.recipients == ["工会办公室", *([chair] if chair else [])]
