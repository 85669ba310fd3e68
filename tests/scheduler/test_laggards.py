"""The weekly laggard digest (督办周报): once per district and ISO week, sent through the
district's channel to a real webhook receiver, at least once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from tests.scheduler.conftest import HttpReceiver

from planlog.domain.errors import RuleViolation
from planlog.projections.runner import ReadModelRunner
from planlog.scheduler import laggards
from planlog.scheduler.dispatch import set_channels
from planlog.scheduler.laggards import weekly_digest
from planlog.service.app import NewItem, PlanlogApp
from planlog.service.commands import RegisterPerson

CITY, EAST = "市总工会", "东区总工会"
MONDAY = datetime(2026, 7, 13, 1, 0, tzinfo=UTC)  # 09:00 in China, ISO week 2026-W29


@pytest.fixture
def runner(app: PlanlogApp) -> Iterator[ReadModelRunner]:
    found = ReadModelRunner(app)
    yield found
    found.close()


def _federation(app: PlanlogApp) -> None:
    """东一 is two deadlines behind, 东二 one, 东三 none."""
    app.register_organisation(CITY, actor="admin")
    app.register_organisation(EAST, actor="admin", parent=CITY, chair="刘主席")
    for union, late in (("东一工会", 2), ("东二工会", 1), ("东三工会", 0)):
        app.register_organisation(union, actor="admin", parent=EAST)
        plan = app.create_plan(org=union, year=2026, title="计划", actor="admin")
        dues = [date(2026, 3, 31), date(2026, 6, 30)][:late] or [date(2026, 12, 31)]
        app.add_item(plan.id, NewItem(title="报告", dues=dues), actor="admin")


def test_a_district_chair_gets_its_lagging_unions_once_a_week(
    app: PlanlogApp, runner: ReadModelRunner, http_receiver: HttpReceiver
) -> None:
    _federation(app)
    runner.catch_up()
    set_channels(runner.engine, EAST, None, [http_receiver.url("json", "/digest")])
    first = weekly_digest(app, runner, MONDAY)
    assert (first.week, first.issued, first.sent) == ("2026-W29", [EAST], 1)
    body = http_receiver.requests[0].json()
    assert "东一工会：逾期 2 项" in body["message"] and "东二工会：逾期 1 项" in body["message"]
    assert "东三工会" not in body["message"]
    assert body["message"].index("东一工会") < body["message"].index("东二工会")
    again = weekly_digest(app, runner, MONDAY + timedelta(hours=5))
    assert (again.issued, again.sent, len(http_receiver.requests)) == ([], 0, 1)
    next_week = weekly_digest(app, runner, MONDAY + timedelta(days=7))
    assert next_week.issued == [EAST] and len(http_receiver.requests) == 2


def test_a_digest_that_failed_to_send_is_sent_again_later(
    app: PlanlogApp, runner: ReadModelRunner, http_receiver: HttpReceiver
) -> None:
    _federation(app)
    runner.catch_up()
    set_channels(runner.engine, EAST, None, [http_receiver.url("json", "/digest")])
    http_receiver.status = 500
    assert weekly_digest(app, runner, MONDAY).sent == 0
    http_receiver.status = 200
    retried = weekly_digest(app, runner, MONDAY + timedelta(hours=1))
    assert (retried.issued, retried.sent) == ([], 1)


def test_a_digest_issued_without_a_channel_is_sent_once_one_is_set(
    app: PlanlogApp,
    runner: ReadModelRunner,
    http_receiver: HttpReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PLANLOG_NOTIFY_URLS", raising=False)
    _federation(app)
    assert weekly_digest(app, runner, MONDAY).sent == 0
    set_channels(runner.engine, EAST, None, [http_receiver.url("json", "/digest")])
    assert weekly_digest(app, runner, MONDAY + timedelta(minutes=5)).sent == 1
    assert len(http_receiver.requests) == 1


def test_a_digest_is_never_given_up_on_while_its_channel_fails(
    app: PlanlogApp, runner: ReadModelRunner, http_receiver: HttpReceiver
) -> None:
    _federation(app)
    runner.catch_up()
    set_channels(runner.engine, EAST, None, [http_receiver.url("json", "/digest")])
    http_receiver.status = 500
    moment = MONDAY
    for _ in range(12):  # more than the eight attempts it used to be given up after
        weekly_digest(app, runner, moment)
        moment += timedelta(hours=7)
    assert len(http_receiver.requests) == 12
    http_receiver.status = 200
    assert weekly_digest(app, runner, moment).sent == 1


def test_a_digest_goes_to_the_district_chair_s_own_channel_when_known(
    app: PlanlogApp, runner: ReadModelRunner, http_receiver: HttpReceiver
) -> None:
    _federation(app)
    app.handle(RegisterPerson(org=EAST, name="刘主席", actor="admin"))
    runner.catch_up()
    set_channels(runner.engine, EAST, None, [http_receiver.url("json", "/group")])
    set_channels(runner.engine, EAST, "刘主席", [http_receiver.url("json", "/chair")])
    assert weekly_digest(app, runner, MONDAY).sent == 1
    assert [r.path for r in http_receiver.requests] == ["/chair"]


def test_an_issued_week_is_not_ranked_again_by_the_hourly_run(
    app: PlanlogApp,
    runner: ReadModelRunner,
    http_receiver: HttpReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _federation(app)
    runner.catch_up()
    set_channels(runner.engine, EAST, None, [http_receiver.url("json", "/digest")])
    weekly_digest(app, runner, MONDAY)

    def ranked(*args: object) -> object:
        raise AssertionError("ranked again")

    monkeypatch.setattr(laggards, "ranking", ranked)
    assert weekly_digest(app, runner, MONDAY + timedelta(hours=1)).issued == []


def test_the_same_week_s_digest_is_refused_by_the_organisation(app: PlanlogApp) -> None:
    _federation(app)
    org = app.get_organisation(EAST)
    org.issue_digest("2026-W29", [{"org": "东一工会", "overdue": 2, "percent_done": 0}], actor="x")
    with pytest.raises(RuleViolation) as refused:
        org.issue_digest("2026-W29", [], actor="x")
    assert refused.value.details["rule"] == "digest_once"
