"""What a reminder pass and a delivery run cost follows what is due, not the store (issue 17),
on both stores: the index is read a page at a time and only where its moment has come, the
reminders due are issued in one batch (one read of their items, one save), and a delivery
run reads its recipients' channels and people once per batch, not once per recipient."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from planlog.config import Settings
from planlog.projections.runner import ReadModelRunner
from planlog.scheduler import reminders
from planlog.scheduler.dispatch import deliver_pending, set_channels
from planlog.scheduler.reminders import ReminderIssuer
from planlog.scheduler.service import reminder_pass
from planlog.scheduler.workdays import ChinaWorkdays
from planlog.service.app import NewItem, PlanlogApp
from planlog.service.commands import RegisterPerson

CHINA = ZoneInfo("Asia/Shanghai")
SOON, LATER = date(2026, 6, 30), date(2026, 12, 30)
#: a week before SOON: each union's SOON item has its "7d" reminder due, LATER nothing
PASS_AT = datetime.combine(date(2026, 6, 23), time(9, 0), CHINA).astimezone(UTC)


@pytest.fixture
def runner(app: PlanlogApp) -> Iterator[ReadModelRunner]:
    projection_runner = ReadModelRunner(app)
    yield projection_runner
    projection_runner.close()


def unions(app: PlanlogApp, count: int) -> list[str]:
    """`count` unions under one federation, each with an item due SOON and one LATER."""
    app.register_organisation("某市总工会", actor="admin", chair="市总主席")
    names = []
    for n in range(count):
        org = f"第{n}基层工会"
        app.register_organisation(org, actor="admin", parent="某市总工会", chair=f"主席{n}")
        plan = app.create_plan(org=org, year=2026, title=f"{org}2026年计划", actor="chair")
        for title, due in (("半年总结", SOON), ("年终总结", LATER)):
            app.add_item(
                plan.id, NewItem(title=title, responsible="办公室", dues=[due]), actor="chair"
            )
        names.append(org)
    return names


def statements(runner: ReadModelRunner) -> list[str]:
    seen: list[str] = []
    event.listen(
        runner.engine,
        "before_cursor_execute",
        lambda conn, cursor, sql, params, context, many: seen.append(sql),
    )
    return seen


def test_a_pass_reads_the_index_a_page_at_a_time_and_only_the_rows_due(
    app: PlanlogApp, runner: ReadModelRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    unions(app, 5)
    runner.catch_up()
    monkeypatch.setattr(reminders, "_PAGE_ROWS", 2)
    pages: list[int] = []
    page_groups = ReminderIssuer._page_groups

    def counted(self: ReminderIssuer, conn: Any, page: Any) -> Any:
        pages.append(len(page))
        return page_groups(self, conn, page)

    monkeypatch.setattr(ReminderIssuer, "_page_groups", counted)
    result = ReminderIssuer(app, runner.engine, ChinaWorkdays()).run(PASS_AT)

    assert sorted(r.org for r in result.issued) == [f"第{n}基层工会" for n in range(5)]
    assert {(r.title, r.key) for r in result.issued} == {("半年总结", "7d")}
    # 5 of the 10 occurrences are due: read in pages of 2, the LATER ones never
    assert pages == [2, 2, 1]


def test_a_pass_issues_its_reminders_in_one_read_and_one_save_whatever_their_number(
    app: PlanlogApp, runner: ReadModelRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    unions(app, 6)
    runner.catch_up()
    calls: dict[str, int] = {"load_each": 0, "save_all": 0, "get_item": 0}
    for name in calls:
        original = getattr(app, name)

        def counting(*args: Any, _name: str = name, _original: Any = original, **kw: Any) -> Any:
            calls[_name] += 1
            return _original(*args, **kw)

        monkeypatch.setattr(app, name, counting)
    seen = statements(runner)
    result = ReminderIssuer(app, runner.engine, ChinaWorkdays()).run(PASS_AT)

    assert len(result.issued) == 6 and result.failed == []
    assert calls == {"load_each": 1, "save_all": 1, "get_item": 0}
    # the read side: a page of the index, its items, its plans, the chairs (none per reminder)
    assert len(seen) <= 5, "\n".join(s[:90] for s in seen)


def test_a_second_pass_at_the_same_moment_issues_nothing_and_reads_no_item(
    app: PlanlogApp, runner: ReadModelRunner, store_url: str
) -> None:
    unions(app, 3)
    settings = Settings(database_url=store_url)
    first = reminder_pass(app, runner, PASS_AT, settings=settings)
    assert len(first.issued) == 3
    seen = statements(runner)
    again = reminder_pass(app, runner, PASS_AT, settings=settings)
    assert again.issued == [] and again.failed == []
    assert not [sql for sql in seen if "board_items" in sql and "reminder_outbox" not in sql]


def test_a_delivery_run_reads_channels_and_people_once_for_all_its_recipients(
    app: PlanlogApp, runner: ReadModelRunner, http_receiver: Any
) -> None:
    names = unions(app, 4)
    for n, org in enumerate(names):
        set_channels(runner.engine, org, None, [http_receiver.url("json", f"/{n}")])
        app.handle(RegisterPerson(org=org, name=f"李{n}", actor="admin", department="办公室"))
    runner.catch_up()
    ReminderIssuer(app, runner.engine, ChinaWorkdays()).run(PASS_AT)
    runner.catch_up()
    seen = statements(runner)

    delivered = deliver_pending(runner.engine, PASS_AT)

    assert [d.status for d in delivered] == ["sent"] * 4
    assert sorted(r.path for r in http_receiver.requests) == ["/0", "/1", "/2", "/3"]
    assert len([sql for sql in seen if "FROM notify_channels" in sql]) == 1
    assert len([sql for sql in seen if "FROM people" in sql]) == 1
