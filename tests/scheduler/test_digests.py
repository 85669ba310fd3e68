"""Reminders that never give up and never spam (issue 15, part 5), on both stores, against a
real webhook receiver: one digest per person per day, nothing lost without a channel or
while it fails, and each rows of a digest marked delivered together."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta
from typing import Any
from urllib.parse import unquote
from uuid import UUID

import orjson
import pytest
from sqlalchemy import select, update
from tests.scheduler.simulation import at, print_figures, recipient_of, simulate_year

from planlog.auth.links import peek
from planlog.config import Settings
from planlog.projections.outbox import reminder_digests, reminder_outbox, reminders_report
from planlog.projections.runner import ReadModelRunner
from planlog.scheduler import dispatch
from planlog.scheduler.delivery import mask
from planlog.scheduler.dispatch import deliver, deliver_pending, set_channels
from planlog.scheduler.service import reminder_pass
from planlog.service.app import NewItem, PlanlogApp
from planlog.service.commands import RegisterPerson, SetReminderPolicy

ORG = "某医院工会"


@pytest.fixture
def settings(store_url: str) -> Settings:
    return Settings(database_url=store_url, base_url="https://planlog.example.org")


@pytest.fixture
def runner(app: PlanlogApp) -> Any:
    projection_runner = ReadModelRunner(app)
    yield projection_runner
    projection_runner.close()


def plan_of(app: PlanlogApp, *items: tuple[str, str, date]) -> list[UUID]:
    """A plan with (title, responsible, due) items; their ids."""
    app.register_organisation(ORG, actor="admin", chair="王主席")
    plan = app.create_plan(org=ORG, year=2026, title="2026年工作计划", actor="chair")
    return [
        app.add_item(plan.id, NewItem(title=t, responsible=r, dues=[d]), actor="chair").id
        for t, r, d in items
    ]


def statuses(runner: ReadModelRunner) -> list[str]:
    return [r["status"] for r in reversed(reminders_report(runner.engine))]


def test_reminders_issued_without_a_channel_are_delivered_when_one_is_set(
    app: PlanlogApp, runner: Any, settings: Settings, http_receiver: Any, monkeypatch: Any
) -> None:
    monkeypatch.delenv("PLANLOG_NOTIFY_URLS", raising=False)
    plan_of(app, ("报送女职工工作情况", "工会女工", date(2026, 6, 30)))
    reminder_pass(app, runner, at(date(2026, 6, 23), 9), settings=settings)
    reminder_pass(app, runner, at(date(2026, 6, 29), 9), settings=settings)
    assert statuses(runner) == ["no_channel", "no_channel"]
    assert all(r["undelivered"] for r in reminders_report(runner.engine))

    set_channels(runner.engine, ORG, None, [http_receiver.url("json", "/hook")])
    delivered = deliver_pending(runner.engine, at(date(2026, 6, 29), 9, 5))

    assert sorted(d.status for d in delivered) == ["sent", "sent"]
    (message,) = http_receiver.requests  # both reminders, one digest
    assert "报送女职工工作情况" in message.json()["message"]
    assert statuses(runner) == ["sent", "sent"]


def test_a_channel_that_fails_for_days_delivers_everything_once_it_recovers(
    app: PlanlogApp, runner: Any, settings: Settings, http_receiver: Any
) -> None:
    plan_of(app, ("报送女职工工作情况", "工会女工", date(2026, 6, 30)))
    set_channels(runner.engine, ORG, None, [http_receiver.url("json", "/hook")])
    http_receiver.status = 500
    day = date(2026, 6, 22)
    for _ in range(3):  # three days of a failing channel, tried all day long
        for hour in (9, 12, 15, 18):
            reminder_pass(app, runner, at(day, hour), settings=settings)
        day += timedelta(days=1)
    assert statuses(runner) == ["retrying"] and len(http_receiver.requests) >= 3

    http_receiver.status = 200
    tried = len(http_receiver.requests)
    reminder_pass(app, runner, at(day, 9), settings=settings)
    deliver_pending(runner.engine, at(day, 15))
    assert statuses(runner) == ["sent"]
    assert len(http_receiver.requests) == tried + 1


def test_one_person_gets_one_digest_a_day_with_every_item_overdue_first(
    app: PlanlogApp, runner: Any, settings: Settings, http_receiver: Any
) -> None:
    plan_of(
        app,
        ("下月的事", "工会女工", date(2026, 7, 2)),
        ("逾期的事", "工会女工", date(2026, 6, 19)),
        ("今天的事", "工会女工", date(2026, 6, 25)),
        ("别人的事", "工会办公室", date(2026, 7, 2)),
    )
    set_channels(runner.engine, ORG, None, [http_receiver.url("json", "/hook")])
    result = reminder_pass(app, runner, at(date(2026, 6, 25), 9), settings=settings)

    assert len(result.issued) == 4 and {d.status for d in result.delivered} == {"sent"}
    bodies = {recipient_of(r.json()): r.json() for r in http_receiver.requests}
    assert sorted(bodies) == ["工会办公室", "工会女工"] and len(http_receiver.requests) == 2
    mine = bodies["工会女工"]
    assert mine["title"].startswith("【逾期提醒】工会女工：已逾期1项")
    text = mine["message"]
    assert text.index("逾期的事") < text.index("今天的事") < text.index("下月的事")
    assert "已逾期6天" in text and "今天到期" in text and "还有7天" in text


def test_rows_of_one_digest_are_marked_delivered_together(
    app: PlanlogApp, runner: Any, settings: Settings, http_receiver: Any
) -> None:
    plan_of(
        app,
        ("甲", "工会女工", date(2026, 6, 26)),
        ("乙", "工会女工", date(2026, 6, 27)),
    )
    set_channels(runner.engine, ORG, None, [http_receiver.url("json", "/hook")])
    run_at = at(date(2026, 6, 26), 9)
    reminder_pass(app, runner, run_at, settings=settings, dry_run=False)
    with runner.engine.connect() as conn:
        rows = conn.execute(select(reminder_outbox.c.position, reminder_outbox.c.sent_at)).all()
        (digest,) = conn.execute(select(reminder_digests)).all()
    assert {sent_at for _, sent_at in rows} == {run_at.isoformat()}
    assert sorted(p for p, _ in rows) == sorted(orjson.loads(digest.positions))


def test_what_comes_after_todays_digest_waits_for_tomorrows(
    app: PlanlogApp, runner: Any, settings: Settings, http_receiver: Any
) -> None:
    (first,) = plan_of(app, ("早上的事", "工会女工", date(2026, 6, 26)))
    set_channels(runner.engine, ORG, None, [http_receiver.url("json", "/hook")])
    reminder_pass(app, runner, at(date(2026, 6, 26), 9), settings=settings)
    assert len(http_receiver.requests) == 1

    # A reminder issued in the afternoon, after the person's digest went out that morning.
    app.add_item(
        app.get_item(first).plan_id,
        NewItem(title="下午才加的事", responsible="工会女工", dues=[date(2026, 6, 26)]),
        actor="chair",
    )
    reminder_pass(app, runner, at(date(2026, 6, 26), 15), settings=settings)
    deliver_pending(runner.engine, at(date(2026, 6, 26), 20))
    assert len(http_receiver.requests) == 1  # still one message today
    assert "pending" in statuses(runner)

    reminder_pass(app, runner, at(date(2026, 6, 27), 9), settings=settings)
    assert len(http_receiver.requests) == 2
    assert "下午才加的事" in http_receiver.requests[1].json()["message"]
    assert set(statuses(runner)) == {"sent"}


def test_a_digest_says_progress_days_and_links_to_each_task(
    app: PlanlogApp, runner: Any, settings: Settings, http_receiver: Any
) -> None:
    (item,) = plan_of(app, ("组织健全", "工会女工", date(2026, 6, 20)))
    app.report_progress(item, actor="li", occurrence="2026-06-20", percent=40, note="已完成初稿")
    set_channels(runner.engine, ORG, None, [http_receiver.url("json", "/hook")])
    reminder_pass(app, runner, at(date(2026, 6, 23), 9), settings=settings)
    text = http_receiver.requests[0].json()["message"]
    assert "进度：40%「已完成初稿」" in text
    assert "已逾期3天" in text
    assert f"https://planlog.example.org/items/{item}" in text


def test_a_crash_between_send_and_mark_resends_the_whole_digest(
    app: PlanlogApp, runner: Any, settings: Settings, http_receiver: Any
) -> None:
    plan_of(app, ("甲", "工会女工", date(2026, 6, 26)), ("乙", "工会女工", date(2026, 6, 27)))
    set_channels(runner.engine, ORG, None, [http_receiver.url("json", "/hook")])
    now = at(date(2026, 6, 26), 9)
    reminder_pass(app, runner, now, settings=settings)
    with runner.engine.begin() as conn:  # sent, then died before recording
        conn.execute(reminder_digests.delete())
        conn.execute(
            update(reminder_outbox).values(
                status="sending", claimed_at=now.isoformat(), sent_at=None, delivered_to="[]"
            )
        )
    assert deliver(runner.engine, now + timedelta(minutes=5)).digests == []  # leased
    again = deliver(runner.engine, now + timedelta(minutes=11))
    assert [len(d.positions) for d in again.digests] == [2]
    assert len(http_receiver.requests) == 2 and set(statuses(runner)) == {"sent"}


def test_the_simulated_year_loses_nothing_and_sends_at_most_one_message_per_person_a_day(
    store_url: str, http_receiver: Any, request: pytest.FixtureRequest
) -> None:
    figures = simulate_year(store_url, http_receiver)
    print_figures(request.node.callspec.id, figures)
    assert figures.issued > 100
    assert figures.undelivered_before_channel > 0  # there was a backlog to deliver
    assert figures.refused_while_failing > 0  # and a channel that failed
    assert figures.lost == 0
    assert figures.obsolete > 0  # the backlog done before the channel was set is not sent
    assert figures.delivered == figures.in_a_digest == figures.issued - figures.obsolete
    assert figures.max_per_person_per_day == 1
    assert figures.messages == figures.digests < figures.issued


def test_a_known_person_is_mentioned_in_a_group_chat_without_a_sign_in_link(
    app: PlanlogApp, runner: Any, settings: Settings, http_receiver: Any, monkeypatch: Any
) -> None:
    (item,) = plan_of(app, ("组织健全", "李四", date(2026, 6, 30)))
    app.handle(
        RegisterPerson(org=ORG, name="李四", actor="admin", mobile="13800000000", im_id="lisi")
    )
    monkeypatch.setenv("PLANLOG_WECOM_ROBOT_API", http_receiver.url("http", "/wecom"))
    set_channels(runner.engine, ORG, None, ["wecombot://0123456789abcdef0123456789abcdef"])
    reminder_pass(app, runner, at(date(2026, 6, 23), 9), settings=settings)

    (request,) = http_receiver.requests
    text = request.json()["text"]
    assert text["mentioned_mobile_list"] == ["13800000000"]
    assert text["mentioned_list"] == ["lisi"]
    assert "@13800000000" in text["content"]
    # the organisation's robot is a group: anyone there could redeem a sign-in link
    assert "/login/link" not in text["content"]
    assert f"https://planlog.example.org/items/{item}" in text["content"]


def test_a_persons_own_channel_gets_one_sign_in_link_to_their_tasks(
    app: PlanlogApp, runner: Any, settings: Settings, http_receiver: Any, monkeypatch: Any
) -> None:
    monkeypatch.delenv("PLANLOG_NOTIFY_URLS", raising=False)
    first, second = plan_of(
        app, ("组织健全", "李四", date(2026, 6, 30)), ("换届选举", "李四", date(2026, 6, 30))
    )
    person = app.handle(RegisterPerson(org=ORG, name="李四", actor="admin"))
    set_channels(runner.engine, ORG, None, [http_receiver.url("json", "/group")])
    set_channels(runner.engine, ORG, "李四", [http_receiver.url("json", "/mine")])
    reminder_pass(app, runner, at(date(2026, 6, 23), 9), settings=settings)

    by_path = {r.path: r.json()["message"] for r in http_receiver.requests}
    assert sorted(by_path) == ["/group", "/mine"]
    assert "/login/link" not in by_path["/group"]
    mine = by_path["/mine"]
    (code,) = re.findall(r"https://planlog\.example\.org/login/link\?code=(\S+)", mine)
    found = peek(runner.engine, unquote(code))
    assert found is not None
    assert found.person.id == str(person.id) and found.next_path == "/me"
    for item in (first, second):  # each task line links to its plain page
        assert f"https://planlog.example.org/items/{item}" in mine


def test_a_reminder_an_earlier_version_gave_up_on_is_delivered(
    app: PlanlogApp, runner: Any, settings: Settings, http_receiver: Any, monkeypatch: Any
) -> None:
    monkeypatch.delenv("PLANLOG_NOTIFY_URLS", raising=False)
    plan_of(app, ("报送女职工工作情况", "工会女工", date(2026, 6, 30)))
    reminder_pass(app, runner, at(date(2026, 6, 23), 9), settings=settings)
    with runner.engine.begin() as conn:  # as versions before digests left it: given up
        conn.execute(update(reminder_outbox).values(status="failed", attempts=8))

    set_channels(runner.engine, ORG, None, [http_receiver.url("json", "/hook")])
    deliver_pending(runner.engine, at(date(2026, 6, 23), 10))
    assert statuses(runner) == ["sent"] and len(http_receiver.requests) == 1


def test_each_unit_named_responsible_gets_its_own_digest(
    app: PlanlogApp, runner: Any, settings: Settings, http_receiver: Any
) -> None:
    plan_of(app, ("联合宣传", "组织部、宣传部", date(2026, 6, 25)))
    set_channels(runner.engine, ORG, None, [http_receiver.url("json", "/hook")])
    reminder_pass(app, runner, at(date(2026, 6, 25), 9), settings=settings)

    assert [r["recipients"] for r in reminders_report(runner.engine)] == [["组织部", "宣传部"]]
    greeted = sorted(recipient_of(r.json()) for r in http_receiver.requests)
    assert greeted == ["宣传部", "组织部"]


def test_a_backlog_closed_before_a_channel_was_set_is_kept_as_obsolete_and_not_sent(
    app: PlanlogApp, runner: Any, settings: Settings, http_receiver: Any, monkeypatch: Any
) -> None:
    monkeypatch.delenv("PLANLOG_NOTIFY_URLS", raising=False)
    done, _ = plan_of(
        app,
        ("早已办完的事", "工会女工", date(2026, 6, 30)),
        ("还没办的事", "工会女工", date(2026, 6, 30)),
    )
    reminder_pass(app, runner, at(date(2026, 6, 23), 9), settings=settings)
    app.complete(done, actor="li", occurrence="2026-06-30", done_on=date(2026, 6, 24))

    runner.catch_up()
    set_channels(runner.engine, ORG, None, [http_receiver.url("json", "/hook")])
    deliver_pending(runner.engine, at(date(2026, 6, 25), 9))
    (message,) = http_receiver.requests
    assert "还没办的事" in message.json()["message"]
    assert "早已办完的事" not in message.json()["message"]
    by_title = {r["title"]: r for r in reminders_report(runner.engine)}
    assert by_title["早已办完的事"]["status"] == "obsolete"
    assert not by_title["早已办完的事"]["undelivered"]
    assert by_title["还没办的事"]["status"] == "sent"


def test_a_deadline_handed_in_for_sign_off_is_labelled_awaiting_confirmation(
    app: PlanlogApp, runner: Any, settings: Settings, http_receiver: Any, monkeypatch: Any
) -> None:
    monkeypatch.delenv("PLANLOG_NOTIFY_URLS", raising=False)
    (item,) = plan_of(app, ("交了待确认的事", "工会女工", date(2026, 6, 30)))
    plan_id = app.get_item(item).plan_id
    app.handle(SetReminderPolicy(plan_id=plan_id, policy={"sign_off": True}, actor="王主席"))
    reminder_pass(app, runner, at(date(2026, 6, 23), 9), settings=settings)
    app.complete(item, actor="工会女工", occurrence="2026-06-30", done_on=date(2026, 6, 24))

    runner.catch_up()
    set_channels(runner.engine, ORG, None, [http_receiver.url("json", "/hook")])
    deliver_pending(runner.engine, at(date(2026, 6, 25), 9))
    (message,) = http_receiver.requests
    assert "待确认办结" in message.json()["message"]
    assert "已办结 ·" not in message.json()["message"]


def test_a_reminder_is_not_sent_while_one_of_two_robots_that_mask_alike_fails(
    app: PlanlogApp, runner: Any, settings: Settings, http_receiver: Any, monkeypatch: Any
) -> None:
    plan_of(app, ("组织健全", "李四", date(2026, 6, 30)))
    app.handle(RegisterPerson(org=ORG, name="李四", actor="admin", mobile="13800000000"))
    monkeypatch.setenv("PLANLOG_DINGTALK_ROBOT_API", http_receiver.url("http", "/robot/send"))
    first, second = "a" + "1" * 62 + "z", "a" + "2" * 62 + "z"  # alike at both ends
    robots = [f"dingtalk://{first}/", f"dingtalk://{second}/"]
    assert mask(robots[0]) == mask(robots[1])  # both dingtalk://a...z/
    set_channels(runner.engine, ORG, None, robots)
    http_receiver.refused = {second}
    reminder_pass(app, runner, at(date(2026, 6, 23), 9), settings=settings)

    assert statuses(runner) == ["retrying"]
    http_receiver.refused = set()
    http_receiver.requests.clear()
    deliver_pending(runner.engine, at(date(2026, 6, 23), 12))

    assert statuses(runner) == ["sent"]
    (retry,) = http_receiver.requests  # the robot that failed, not the one that had it
    assert f"access_token={second}" in retry.path


def test_a_batch_still_sending_when_its_lease_runs_out_is_recorded_as_not_sent(
    app: PlanlogApp, runner: Any, settings: Settings, http_receiver: Any, monkeypatch: Any
) -> None:
    # Another pass may claim the batch once its lease is over: by then this one must have
    # recorded what it did, and a message still on its way must be retried, not "sent".
    monkeypatch.setattr(dispatch, "SENDING_WINDOW", timedelta(seconds=1))
    plan_of(app, ("甲", "工会女工", date(2026, 6, 26)))
    set_channels(runner.engine, ORG, None, [http_receiver.url("json", "/hook")])
    http_receiver.delay = 4.0
    started = time.monotonic()
    reminder_pass(app, runner, at(date(2026, 6, 26), 9), settings=settings)
    assert time.monotonic() - started < 3.5
    assert statuses(runner) == ["retrying"]
    with runner.engine.connect() as conn:
        assert conn.execute(select(reminder_outbox.c.sent_at)).scalars().all() == [None]
