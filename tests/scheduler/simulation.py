"""A year of reminders on a recorded clock: issued by the daily pass, delivered as digests
to a real webhook receiver whose channel is set only mid-year and fails for some days.

`simulate_year` is the reusable part (the tests in test_digests.py call it on both
stores); it returns the figures the closing note quotes.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import select

from planlog.config import Settings
from planlog.demo import demo_plan_text
from planlog.importer import parse_text
from planlog.projections.outbox import OBSOLETE, SENT, reminder_digests, reminder_outbox
from planlog.projections.runner import ReadModelRunner
from planlog.scheduler.dispatch import deliver_pending, set_channels
from planlog.scheduler.reminders import ReminderIssuer
from planlog.scheduler.service import reminder_pass
from planlog.scheduler.workdays import ChinaWorkdays
from planlog.service.app import PlanlogApp
from planlog.service.importing import import_document

CHINA = ZoneInfo("Asia/Shanghai")
ORG = "某医院工会"
#: units that finish two days early; every other unit finishes nine days late
DILIGENT = frozenset({"工会办公室", "经审委员会"})


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), CHINA).astimezone(UTC)


@dataclass(frozen=True)
class YearFigures:
    issued: int  # ReminderIssued events recorded
    delivered: int  # of those, delivered as part of a digest (outbox row sent)
    lost: int  # issued but neither delivered nor obsolete
    obsolete: int  # done before a channel could take them: kept, not sent
    in_a_digest: int  # issued reminders found in a digest a channel took
    messages: int  # messages the receiver accepted
    digests: int  # digests recorded as taken by a channel
    people: int  # distinct recipients
    max_per_person_per_day: int
    refused_while_failing: int  # requests the failing channel answered with 500
    undelivered_before_channel: int  # reminders waiting when the channel was set

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def recipient_of(body: dict[str, Any]) -> str:
    """Whom a digest says it is for: its first line greets them ("工会女工，您好！…")."""
    return str(body["message"]).split("，您好！", 1)[0]


def simulate_year(
    store_url: str,
    receiver: Any,
    *,
    year: int = 2026,
    channel_from: date | None = None,
    failing_from: date | None = None,
    failing_days: int = 3,
) -> YearFigures:
    """Run `year` (and January after it) a day at a time: units complete their tasks
    early or late, the reminder pass runs every morning and delivery three times a day;
    the organisation's webhook is set on `channel_from` (default 1 July) and answers 500
    for `failing_days` from `failing_from` (default 29 September, a quarter's end)."""
    channel_from = channel_from or date(year, 7, 1)
    failing_from = failing_from or date(year, 9, 29)
    failing = {failing_from + timedelta(days=n) for n in range(failing_days)}
    clock_moment = [at(date(year, 1, 2), 9)]

    def clock() -> datetime:
        return clock_moment[0]

    app = PlanlogApp(store_url, clock=clock)
    app.register_organisation(ORG, actor="admin", chair="王主席")
    imported = parse_text(demo_plan_text(), year)
    plan_id = UUID(import_document(app, imported, org=ORG, year=year, actor="chair")["plan_id"])
    runner = ReadModelRunner(app)
    issuer = ReminderIssuer(app, runner.engine, ChinaWorkdays())
    settings = Settings(database_url=store_url, base_url="https://planlog.example.org")
    messages = 0
    refused = 0
    waiting_when_set = 0
    try:
        day = date(year, 1, 2)
        while day <= date(year + 1, 1, 31):
            clock_moment[0] = at(day, 8, 10)
            if day.year == year:
                _complete_due(app, plan_id, day)
            if day == channel_from:
                with runner.engine.connect() as conn:
                    waiting_when_set = len(
                        conn.execute(
                            select(reminder_outbox.c.position).where(
                                reminder_outbox.c.status != SENT
                            )
                        ).all()
                    )
                set_channels(runner.engine, ORG, None, [receiver.url("json", "/hook")])
            receiver.status = 500 if day in failing else 200
            seen = len(receiver.requests)
            clock_moment[0] = at(day, 8, 40)
            reminder_pass(app, runner, clock_moment[0], settings=settings, issuer=issuer)
            for hour in (12, 17):  # the delivery job runs all day long
                clock_moment[0] = at(day, hour)
                deliver_pending(runner.engine, clock_moment[0], link_base=settings.base_url)
            new = receiver.requests[seen:]
            if receiver.status >= 400:
                refused += len(new)
            else:
                messages += len(new)
            day += timedelta(days=1)
        return _figures(app, runner, messages, refused, waiting_when_set)
    finally:
        runner.close()
        app.close()


def _complete_due(app: PlanlogApp, plan_id: UUID, day: date) -> None:
    for item in app.plan_items(plan_id):
        if item.cancelled:
            continue
        for occ in item.ordered_occurrences():
            finish = 2 if item.responsible in DILIGENT else -9
            if occ.status != "done" and (occ.due - day).days == finish:
                app.complete(item.id, actor="li", occurrence=occ.key, done_on=day)


def _figures(
    app: PlanlogApp,
    runner: ReadModelRunner,
    messages: int,
    refused: int,
    waiting_when_set: int,
) -> YearFigures:
    runner.catch_up()
    issued = [
        n.id
        for n in app.recorder.select_notifications(start=1, limit=10**7)
        if n.topic.endswith("PlanItem.ReminderIssued")
    ]
    with runner.engine.connect() as conn:
        rows = conn.execute(select(reminder_outbox.c.position, reminder_outbox.c.status)).all()
        digests = conn.execute(
            select(
                reminder_digests.c.positions,
                reminder_digests.c.org,
                reminder_digests.c.recipient,
                reminder_digests.c.day,
            ).where(reminder_digests.c.ok.is_(True))
        ).all()
    in_digests = {p for d in digests for p in orjson.loads(d.positions)}
    # messages per recipient (the digest's key: organisation and recipient) and day
    per_person_day = Counter((d.org, d.recipient, d.day) for d in digests)
    sent = {p for p, status in rows if status == SENT}
    obsolete = {p for p, status in rows if status == OBSOLETE}
    return YearFigures(
        issued=len(issued),
        delivered=len(sent & set(issued)),
        lost=len(set(issued) - sent - obsolete),
        obsolete=len(obsolete & set(issued)),
        in_a_digest=len(set(issued) & in_digests),
        messages=messages,
        digests=len(digests),
        people=len({d.recipient for d in digests}),
        max_per_person_per_day=max(per_person_day.values(), default=0),
        refused_while_failing=refused,
        undelivered_before_channel=waiting_when_set,
    )


def print_figures(store: str, figures: YearFigures) -> None:
    print(f"\nsimulated year ({store}):", json.dumps(figures.to_dict(), ensure_ascii=False))
