"""The reminder pass reads only the rows whose reminder can be due (the `reminder_due`
index) and gives the same reminders as walking every open occurrence (issue 17)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from sqlalchemy import select

from planlog.config import Settings
from planlog.demo import demo_plan_text
from planlog.domain.chasing import earliest_send, next_nominal
from planlog.domain.policy import ReminderPolicy
from planlog.domain.workdays import official_workday
from planlog.importer import parse_text
from planlog.projections.reminder_due import reminder_due
from planlog.projections.runner import ReadModelRunner
from planlog.scheduler.policy import due_reminder, reminder_slots
from planlog.scheduler.reminders import IssuedReminder, ReminderIssuer
from planlog.scheduler.service import reminder_pass
from planlog.scheduler.workdays import ChinaWorkdays, EveryDay, WeekdaysOnly
from planlog.service.app import PlanlogApp
from planlog.service.importing import import_document

CHINA = ZoneInfo("Asia/Shanghai")
ORG = "某医院工会"


def at(day: date, hour: int = 8, minute: int = 40) -> datetime:
    return datetime.combine(day, time(hour, minute), CHINA).astimezone(UTC)


def reminders(run: list[IssuedReminder]) -> list[tuple[Any, ...]]:
    return sorted(
        (r.item_id, r.occurrence, r.key, tuple(r.recipients), r.escalate, r.scheduled_for)
        for r in run
    )


def index_rows(runner: ReadModelRunner) -> list[tuple[Any, ...]]:
    with runner.engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(select(reminder_due).order_by("item_id", "occurrence"))
        ]


@pytest.fixture
def runner(app: PlanlogApp) -> Iterator[ReadModelRunner]:
    projection_runner = ReadModelRunner(app)
    yield projection_runner
    projection_runner.close()


def test_the_indexed_pass_issues_what_a_full_scan_would_over_a_simulated_year(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, store_url: str
) -> None:
    clock.moment = at(date(2026, 1, 2), 9)
    app.register_organisation("某市总工会", actor="admin", chair="李主席")
    app.register_organisation(ORG, actor="admin", parent="某市总工会", chair="王主席")
    imported = parse_text(demo_plan_text(), 2026)
    plan_id = UUID(import_document(app, imported, org=ORG, year=2026, actor="chair")["plan_id"])
    settings = Settings(database_url=store_url)
    issuer = ReminderIssuer(app, runner.engine, ChinaWorkdays())
    # Some finish early, most late, a few never (chased until the end of the year).
    late = random.Random(15)
    finishing: dict[date, list[tuple[UUID, str]]] = {}
    for item in app.plan_items(plan_id):
        for occ in item.ordered_occurrences():
            day = occ.due - timedelta(days=late.choice((2, -5, -40, -200)))
            finishing.setdefault(day, []).append((item.id, occ.key))
    total = 0
    day = date(2026, 1, 2)
    while day <= date(2026, 12, 31):
        clock.moment = at(day, 8, 10)
        for item_id, occurrence in finishing.get(day, []):
            app.complete(item_id, actor="li", occurrence=occurrence, done_on=day)
        clock.moment = at(day)
        scanned = None
        if day.toordinal() % 2:  # every other day: the full scan is the slow one
            runner.catch_up()
            scanned = issuer.run(clock.moment, dry_run=True, full_scan=True)
            assert scanned.failed == []
        issued = reminder_pass(app, runner, clock.moment, settings=settings, issuer=issuer)
        assert issued.failed == []
        if scanned is not None:
            assert reminders(issued.issued) == reminders(scanned.issued), day
        total += len(issued.issued)
        if day == date(2026, 9, 1):  # a rebuild gives the same index
            before = index_rows(runner)
            runner.rebuild()
            assert index_rows(runner) == before
        day += timedelta(days=1)
    assert total > 100


def test_a_pass_reads_only_the_rows_whose_moment_has_come(
    app: PlanlogApp, runner: ReadModelRunner, store_url: str
) -> None:
    app.register_organisation(ORG, actor="admin", chair="王主席")
    imported = parse_text(demo_plan_text(), 2026)
    import_document(app, imported, org=ORG, year=2026, actor="chair")
    runner.catch_up()
    now = at(date(2026, 3, 2))
    with runner.engine.connect() as conn:
        rows = conn.execute(select(reminder_due.c.wake_at)).scalars().all()
    awake = [w for w in rows if w is not None and w <= now.timestamp()]
    assert 0 < len(awake) < len(rows) / 2


@pytest.mark.parametrize("calendar", [ChinaWorkdays(), WeekdaysOnly(), EveryDay()])
def test_the_index_moment_is_never_after_the_next_reminder_is_due(calendar: Any) -> None:
    policy = ReminderPolicy(lead_days=(30, 7, 1))
    pick = random.Random(17)
    for _ in range(300):
        due = date(2026, 1, 1) + timedelta(days=pick.randrange(0, 365))
        opens = due - timedelta(days=pick.randrange(0, 60)) if pick.random() < 0.5 else None
        now = at(due + timedelta(days=pick.randrange(-40, 200)))
        slots = reminder_slots(due, opens, policy, calendar, until=now + timedelta(days=60))
        issued = {s.key for s in slots if s.send_at <= now and pick.random() < 0.3}
        nominal = next_nominal(policy, due, opens, issued)
        wake = earliest_send(policy, nominal) if nominal else None
        # The first moment after `now` at which the pass would issue something:
        moment = now
        while moment < now + timedelta(days=60):
            if due_reminder(slots, issued, moment) is not None:
                assert wake is not None and wake <= moment, (due, opens, issued, moment)
                break
            moment += timedelta(hours=12)


def test_the_cached_workday_table_answers_as_chinesecalendar() -> None:
    for year in (2024, 2025, 2026):
        day = date(year, 1, 1)
        while day.year == year:
            assert official_workday(day) is chinese_calendar.is_workday(day), day
            day += timedelta(days=1)
    assert official_workday(datetime(2026, 10, 1, 23, 59)) is False
    assert official_workday(date(2099, 6, 1)) is None


def test_the_index_caught_up_change_by_change_equals_a_rebuild(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, store_url: str
) -> None:
    """Catching up keeps each untouched occurrence's stored moment and works out again
    only what changed; a rebuild works out every one: after reminders, an extension
    asked and refused, a completion, a cancellation and a new policy, both agree."""
    from planlog.service.commands import DecideExtension, RequestExtension

    clock.moment = at(date(2026, 1, 2), 9)
    app.register_organisation(ORG, actor="admin", chair="王主席")
    imported = parse_text(demo_plan_text(), 2026)
    plan_id = UUID(import_document(app, imported, org=ORG, year=2026, actor="chair")["plan_id"])
    settings = Settings(database_url=store_url)
    items = [i for i in app.plan_items(plan_id) if len(i.ordered_occurrences()) > 1]
    asked, done, cancelled = items[0], items[1], items[2]
    seen = []

    def pass_on(day: date) -> None:
        clock.moment = at(day)
        reminder_pass(app, runner, clock.moment, settings=settings)
        runner.catch_up()
        caught_up = index_rows(runner)
        runner.rebuild()
        assert index_rows(runner) == caught_up, day
        seen.append(caught_up)

    for day in (date(2026, 3, 20), date(2026, 3, 31), date(2026, 4, 8)):
        pass_on(day)
    first = asked.ordered_occurrences()[0].key
    app.handle(
        RequestExtension(
            item_id=asked.id, actor="li", occurrence=first, to=date(2026, 12, 1), reason="人手"
        )
    )
    pass_on(date(2026, 4, 9))
    request = app.get_item(asked.id).open_extension_request(first)
    assert request is not None
    app.handle(DecideExtension.of(request, approve=False, actor="chair", reason="按期"))
    app.complete(done.id, actor="li", occurrence=done.ordered_occurrences()[0].key)
    app.cancel_item(cancelled.id, actor="chair", reason="不再开展")
    pass_on(date(2026, 4, 10))
    app.set_reminder_policy(plan_id, {"lead_days": [10, 2]}, actor="chair")
    pass_on(date(2026, 6, 20))
    assert len({tuple(rows) for rows in seen}) == len(seen)  # each step moved the index
