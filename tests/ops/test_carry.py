"""Backup/restore and migrate carry settings, credentials and delivery state: a channel
and a person's token work on the target, a reminder undelivered at the source is
delivered by the target's next run, one already delivered is not sent again."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from tests.scheduler.conftest import http_receiver  # noqa: F401 (a fixture)

from planlog.auth.tokens import authenticate, create_person_token
from planlog.config import Settings
from planlog.ops.backup import backup, restore
from planlog.ops.migrate import migrate
from planlog.projections.base import make_engine
from planlog.projections.outbox import reminder_outbox
from planlog.projections.people import person_row
from planlog.projections.runner import ReadModelRunner
from planlog.scheduler.dispatch import deliver_pending, set_channels
from planlog.scheduler.service import reminder_pass
from planlog.service.app import NewItem, PlanlogApp
from planlog.service.commands import RegisterPerson
from planlog.service.store import parse_database_url

CHINA = ZoneInfo("Asia/Shanghai")
ORG = "某医院工会"


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), CHINA).astimezone(UTC)


@pytest.fixture
def source(tmp_path: Path, clock: Any, http_receiver: Any) -> dict[str, Any]:  # noqa: F811
    """A SQLite store with a webhook channel, a person's token, one reminder delivered
    (7 days ahead) and one not (the receiver failed on the due day)."""
    url = f"sqlite:///{tmp_path / 'source.db'}"
    app = PlanlogApp(url, clock=clock)
    app.register_organisation(ORG, actor="admin", chair="王主席")
    person = app.handle(RegisterPerson(org=ORG, name="李四", department="女工部", actor="a"))
    plan = app.create_plan(org=ORG, year=2026, title="2026年工作计划", actor="chair")
    app.add_item(
        plan.id,
        NewItem(title="报送女职工工作情况", responsible="工会女工", dues=[date(2026, 6, 30)]),
        actor="chair",
    )
    runner = ReadModelRunner(app)
    runner.catch_up()
    set_channels(runner.engine, ORG, None, [http_receiver.url("json", "/hook")])
    with runner.engine.connect() as conn:
        row = person_row(conn, str(person.id))
    assert row is not None
    _, token = create_person_token(runner.engine, row)
    settings = Settings(database_url=url, base_url="https://planlog.example.org")
    reminder_pass(app, runner, at(date(2026, 6, 23)), settings=settings)
    http_receiver.status = 500
    reminder_pass(app, runner, at(date(2026, 6, 30)), settings=settings)
    http_receiver.status = 200
    statuses = _statuses(url)
    assert sorted(statuses.values()) == ["retrying", "sent"]
    sent_before = len(http_receiver.requests)
    runner.close()
    app.close()
    return {"url": url, "token": token, "statuses": statuses, "sent": sent_before}


def _statuses(url: str) -> dict[int, str]:
    engine = make_engine(parse_database_url(url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(reminder_outbox.c.position, reminder_outbox.c.status))
            return {int(p): str(s) for p, s in rows}
    finally:
        engine.dispose()


def _check_target(url: str, source: dict[str, Any], receiver: Any) -> None:
    engine = make_engine(parse_database_url(url))
    try:
        principal = authenticate(engine, source["token"])
        assert principal is not None and principal.org == ORG and principal.person_id
        assert _statuses(url) == source["statuses"]  # carried, not `replayed`
        later = at(date(2026, 7, 1))
        delivered = deliver_pending(engine, later + timedelta(hours=2))
    finally:
        engine.dispose()
    assert [d.status for d in delivered] == ["sent"]
    undelivered = next(p for p, s in source["statuses"].items() if s == "retrying")
    assert [d.position for d in delivered] == [undelivered]
    assert len(receiver.requests) == source["sent"] + 1  # through the carried channel
    assert set(_statuses(url).values()) == {"sent"}


def test_restore_carries_channels_tokens_and_undelivered_reminders(
    source: dict[str, Any],
    tmp_path: Path,
    store_url: str,
    http_receiver: Any,  # noqa: F811
) -> None:
    file = tmp_path / "b.tar.gz"
    backup(source["url"], file)
    restore(file, store_url)
    _check_target(store_url, source, http_receiver)


def test_migrate_carries_channels_tokens_and_undelivered_reminders(
    source: dict[str, Any],
    store_url: str,
    http_receiver: Any,  # noqa: F811
) -> None:
    migrate(source["url"], store_url)
    _check_target(store_url, source, http_receiver)
