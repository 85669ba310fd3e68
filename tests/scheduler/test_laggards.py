"""The weekly laggard digest (督办周报): once per district and ISO week, sent through the
district's channel to a real webhook receiver, at least once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote
from uuid import UUID

import orjson
import pytest
from eventsourcing.persistence import StoredEvent
from sqlalchemy import select, update
from tests.scheduler.conftest import HttpReceiver, ReceivedMail, SmtpServer

from planlog.auth.links import peek
from planlog.domain.errors import RuleViolation
from planlog.domain.organisation import organisation_id
from planlog.projections.digests import digest_outbox
from planlog.projections.runner import ReadModelRunner
from planlog.scheduler import laggards
from planlog.scheduler.delivery import Mention
from planlog.scheduler.dispatch import set_channels
from planlog.scheduler.laggards import weekly_digest
from planlog.service.app import NewItem, PlanlogApp
from planlog.service.commands import ChangePerson, RegisterPerson, RetirePerson

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


# ------------------------------------------------------------------ one digest per chair

WEST = "西区总工会"
SITE = "https://planlog.example.org"


def mailto(server: SmtpServer, to: str) -> str:
    """Plain SMTP to the local aiosmtpd server (mailto://, not mailtos://: no TLS)."""
    return f"mailto://{server.host}:{server.port}?from=planlog@example.org&to={to}"


def _chair(app: PlanlogApp, org: str, name: str, **contact: str) -> str:
    person = app.handle(RegisterPerson(org=org, name=name, role="chair", actor="admin", **contact))
    return str(person.id)


def _two_chairs(
    app: PlanlogApp, runner: ReadModelRunner, http_receiver: HttpReceiver, smtp_server: SmtpServer
) -> tuple[str, str]:
    """The federation, with 刘主席 (e-mail) and 张副主席 (a webhook) chairing 东区; their ids."""
    _federation(app)
    liu = _chair(app, EAST, "刘主席")
    zhang = _chair(app, EAST, "张副主席")
    runner.catch_up()
    set_channels(runner.engine, EAST, "刘主席", [mailto(smtp_server, "liu@example.org")])
    set_channels(runner.engine, EAST, "张副主席", [http_receiver.url("json", "/zhang")])
    return liu, zhang


def _sign_in_code(text: str) -> str:
    (code,) = re.findall(re.escape(SITE) + r"/login/link\?code=(\S+)", text)
    return unquote(code)


def _digest_event(app: PlanlogApp, org: str) -> dict[str, object]:
    (entry,) = [e for e in app.history(organisation_id(org)) if e["type"] == "DigestIssued"]
    return entry


def _mail_text(mail: ReceivedMail) -> str:
    body = mail.message.get_body(preferencelist=("plain", "html"))
    assert body is not None
    return str(body.get_content())


def test_each_registered_chair_of_a_district_gets_their_own_digest_with_their_sign_in_link(
    app: PlanlogApp,
    runner: ReadModelRunner,
    http_receiver: HttpReceiver,
    smtp_server: SmtpServer,
) -> None:
    liu, zhang = _two_chairs(app, runner, http_receiver, smtp_server)
    set_channels(runner.engine, EAST, None, [http_receiver.url("json", "/group")])

    run = weekly_digest(app, runner, MONDAY, link_base=SITE)

    assert (run.issued, run.sent) == ([EAST], 1)
    (mail,) = smtp_server.received
    assert mail.rcpt_tos == ["liu@example.org"]
    assert [r.path for r in http_receiver.requests] == ["/zhang"]  # never the group
    ranking_page = f"/orgs/{quote(EAST, safe='')}/rollup"
    for text, person in (
        (_mail_text(mail), liu),
        (http_receiver.requests[0].json()["message"], zhang),
    ):
        assert "东一工会：逾期 2 项" in text
        found = peek(runner.engine, _sign_in_code(text))
        assert found is not None
        assert (found.person.id, found.next_path) == (person, ranking_page)
    record = _digest_event(app, EAST)
    assert record["addressed_to"] == "chairs"
    assert record["chairs"] == [  # by name: 刘 (U+5218) before 张 (U+5F20)
        {"person_id": liu, "name": "刘主席"},
        {"person_id": zhang, "name": "张副主席"},
    ]


def test_chairs_without_channels_of_their_own_are_mentioned_in_one_group_message_without_a_link(
    app: PlanlogApp, runner: ReadModelRunner, http_receiver: HttpReceiver
) -> None:
    _federation(app)
    _chair(app, EAST, "刘主席", mobile="13800000001")
    _chair(app, EAST, "张副主席", im_id="zhangfu")
    runner.catch_up()
    set_channels(runner.engine, EAST, None, [http_receiver.url("json", "/group")])

    assert weekly_digest(app, runner, MONDAY, link_base=SITE).sent == 1

    (request,) = http_receiver.requests  # one message for both, not one each
    text = request.json()["message"]
    assert "@13800000001" in text and "@zhangfu" in text
    assert "/login/link" not in text  # anyone in the group could use it
    assert f"{SITE}/orgs/{quote(EAST, safe='')}/rollup" in text


def test_a_person_chairing_two_districts_gets_one_digest_per_district(
    app: PlanlogApp, runner: ReadModelRunner, smtp_server: SmtpServer
) -> None:
    _federation(app)
    app.register_organisation(WEST, actor="admin", parent=CITY)
    app.register_organisation("西一工会", actor="admin", parent=WEST)
    plan = app.create_plan(org="西一工会", year=2026, title="计划", actor="admin")
    app.add_item(plan.id, NewItem(title="报告", dues=[date(2026, 5, 31)]), actor="admin")
    # A person belongs to one organisation: chairing two is being registered in each.
    east = _chair(app, EAST, "刘主席", email="liu@example.org")
    west = _chair(app, WEST, "刘主席", email="liu@example.org")
    runner.catch_up()
    for district in (EAST, WEST):
        set_channels(runner.engine, district, "刘主席", [mailto(smtp_server, "liu@example.org")])

    run = weekly_digest(app, runner, MONDAY, link_base=SITE)

    assert (sorted(run.issued), run.sent) == (sorted([EAST, WEST]), 2)
    by_title = {str(m.message["Subject"]): _mail_text(m) for m in smtp_server.received}
    assert sorted(by_title) == [
        f"【督办周报】{EAST} 2026-W29：2 个基层工会有逾期事项",
        f"【督办周报】{WEST} 2026-W29：1 个基层工会有逾期事项",
    ]
    east_text = by_title[f"【督办周报】{EAST} 2026-W29：2 个基层工会有逾期事项"]
    west_text = by_title[f"【督办周报】{WEST} 2026-W29：1 个基层工会有逾期事项"]
    assert "西一工会" not in east_text and "东一工会" not in west_text
    for text, person in ((east_text, east), (west_text, west)):  # each as that district's chair
        found = peek(runner.engine, _sign_in_code(text))
        assert found is not None and found.person.id == person


def test_a_district_without_a_registered_chair_gets_it_on_its_channel_and_the_record_says_so(
    app: PlanlogApp, runner: ReadModelRunner, http_receiver: HttpReceiver
) -> None:
    _federation(app)  # 刘主席 is the chair in name only: nobody of that name is registered
    runner.catch_up()
    set_channels(runner.engine, EAST, None, [http_receiver.url("json", "/group")])

    assert weekly_digest(app, runner, MONDAY, link_base=SITE).sent == 1

    (request,) = http_receiver.requests
    text = request.json()["message"]
    assert text.startswith("致 刘主席：") and "/login/link" not in text
    record = _digest_event(app, EAST)
    assert (record["addressed_to"], record["chairs"], record["recipients"]) == (
        "unit",
        [],
        ["刘主席"],
    )


def test_a_rerun_in_the_same_week_sends_no_chair_anything_new(
    app: PlanlogApp,
    runner: ReadModelRunner,
    http_receiver: HttpReceiver,
    smtp_server: SmtpServer,
) -> None:
    _two_chairs(app, runner, http_receiver, smtp_server)
    weekly_digest(app, runner, MONDAY)

    for hours in (1, 5, 30, 100):  # the hourly job, later the same ISO week
        again = weekly_digest(app, runner, MONDAY + timedelta(hours=hours))
        assert (again.issued, again.sent) == ([], 0)
    assert (len(smtp_server.received), len(http_receiver.requests)) == (1, 1)


def test_a_failing_chair_channel_is_retried_alone(
    app: PlanlogApp,
    runner: ReadModelRunner,
    http_receiver: HttpReceiver,
    smtp_server: SmtpServer,
) -> None:
    _two_chairs(app, runner, http_receiver, smtp_server)
    http_receiver.status = 500
    assert weekly_digest(app, runner, MONDAY).sent == 0  # 刘主席 had it, 张副主席 did not
    assert [r.status for r in _outbox(runner)] == ["retrying"]
    http_receiver.status = 200

    retried = weekly_digest(app, runner, MONDAY + timedelta(hours=1))

    assert (retried.issued, retried.sent) == ([], 1)
    assert len(smtp_server.received) == 1  # not sent to 刘主席 a second time
    assert len(http_receiver.requests) == 2
    assert _outbox(runner)[0].status == "sent"


def test_a_chair_who_left_is_not_sent_it_and_with_no_chair_left_the_district_is(
    app: PlanlogApp, runner: ReadModelRunner, http_receiver: HttpReceiver
) -> None:
    _federation(app)
    liu = _chair(app, EAST, "刘主席")
    runner.catch_up()
    set_channels(runner.engine, EAST, None, [http_receiver.url("json", "/group")])
    set_channels(runner.engine, EAST, "刘主席", [http_receiver.url("json", "/liu")])
    http_receiver.status = 500
    weekly_digest(app, runner, MONDAY)  # issued to 刘主席, whose channel fails
    app.handle(RetirePerson(person_id=UUID(liu), actor="admin", reason="换届"))
    runner.catch_up()
    http_receiver.requests.clear()
    http_receiver.status = 200

    assert weekly_digest(app, runner, MONDAY + timedelta(hours=1)).sent == 1

    assert [r.path for r in http_receiver.requests] == ["/group"]


def _outbox(runner: ReadModelRunner) -> list[Any]:
    with runner.engine.connect() as conn:
        return list(conn.execute(select(digest_outbox).order_by(digest_outbox.c.position)))


def test_a_digest_is_worded_in_chinese_then_english_with_one_sign_in_link() -> None:
    rows: list[dict[str, object]] = [
        {"org": "东一工会", "overdue": 2, "percent_done": 40},
        {"org": "东二工会", "overdue": 1, "percent_done": 75},
    ]
    title, body = laggards.digest_text(
        EAST, "2026-W29", rows, 3, to=["刘主席"], link=f"{SITE}/login/link?code=c", sign_in=True
    )
    assert title == "【督办周报】东区总工会 2026-W29：5 个基层工会有逾期事项"
    assert body.splitlines() == [
        "致 刘主席：",
        "1. 东一工会：逾期 2 项，完成率 40%",
        "2. 东二工会：逾期 1 项，完成率 75%",
        "……另有 3 个工会有逾期事项",
        "",
        "Weekly digest 2026-W29 for 刘主席: 5 unions of 东区总工会 with overdue work.",
        "查看督办排名（一次性登录链接） / The ranking (one-time sign-in link):",
        f"{SITE}/login/link?code=c",
    ]


def test_a_group_digest_mentions_its_chairs_and_links_the_plain_ranking_page() -> None:
    rows: list[dict[str, object]] = [{"org": "东一工会", "overdue": 2, "percent_done": 0}]
    page = f"{SITE}{laggards.ranking_path(EAST)}"
    _, body = laggards.digest_text(
        EAST,
        "2026-W29",
        rows,
        0,
        to=["刘主席", "张副主席"],
        mention=Mention(mobiles=("13800000001",), user_ids=("zhangfu",)),
        link=page,
    )
    assert body.splitlines() == [
        "致 刘主席、张副主席：",
        "@13800000001 @zhangfu",
        "1. 东一工会：逾期 2 项，完成率 0%",
        "",
        "Weekly digest 2026-W29 for 刘主席, 张副主席: 1 union of 东区总工会 with overdue work.",
        "查看督办排名 / The ranking:",
        f"{SITE}/orgs/%E4%B8%9C%E5%8C%BA%E6%80%BB%E5%B7%A5%E4%BC%9A/rollup",
    ]


def test_a_digest_recorded_before_per_person_digests_is_read_and_goes_to_the_district(
    app: PlanlogApp, runner: ReadModelRunner, http_receiver: HttpReceiver
) -> None:
    _federation(app)
    org = app.get_organisation(EAST)
    org.issue_digest("2026-W29", [{"org": "东一工会", "overdue": 2, "percent_done": 0}], actor="x")
    (event,) = org.collect_events()
    stored = app.mapper.to_stored_event(event)
    state = app.mapper.transcoder.decode(stored.state)
    for added in ("chairs", "addressed_to", "class_version"):  # as version 1 stored it
        del state[added]
    old = app.mapper.transcoder.encode(state)
    app.recorder.insert_events(
        [StoredEvent(stored.originator_id, stored.originator_version, stored.topic, old)]
    )

    assert "2026-W29" in app.get_organisation(EAST).digest_weeks
    record = _digest_event(app, EAST)
    assert (record["chairs"], record["addressed_to"]) == ([], "unit")
    set_channels(runner.engine, EAST, None, [http_receiver.url("json", "/group")])
    run = weekly_digest(app, runner, MONDAY)
    assert (run.issued, run.sent) == ([], 1)
    assert [r.path for r in http_receiver.requests] == ["/group"]


# ------------------------------------------------------------------ review fixes

# Two DingTalk robots whose tokens begin and end alike: both mask to dingtalk://a...z/
DING_A = "a" + "1" * 62 + "z"
DING_B = "a" + "2" * 62 + "z"


def _robots(monkeypatch: pytest.MonkeyPatch, receiver: HttpReceiver) -> list[str]:
    monkeypatch.setenv("PLANLOG_DINGTALK_ROBOT_API", receiver.url("http", "/robot/send"))
    return [f"dingtalk://{DING_A}/", f"dingtalk://{DING_B}/"]


def _district(app: PlanlogApp, name: str, union: str, *, chair: str | None = None) -> None:
    """A district below the city with one union a deadline behind."""
    if app.find_organisation(CITY) is None:
        app.register_organisation(CITY, actor="admin")
    app.register_organisation(name, actor="admin", parent=CITY, chair=chair)
    app.register_organisation(union, actor="admin", parent=name)
    plan = app.create_plan(org=union, year=2026, title="计划", actor="admin")
    app.add_item(plan.id, NewItem(title="报告", dues=[date(2026, 5, 31)]), actor="admin")


def test_a_digest_is_not_sent_while_one_of_two_robots_that_mask_alike_fails(
    app: PlanlogApp,
    runner: ReadModelRunner,
    http_receiver: HttpReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _federation(app)
    _chair(app, EAST, "张副主席", mobile="13800000002")  # mentioned: posted to the robots
    runner.catch_up()
    robots = _robots(monkeypatch, http_receiver)
    assert laggards.mask(robots[0]) == laggards.mask(robots[1])
    set_channels(runner.engine, EAST, None, robots)
    http_receiver.refused = {DING_B}

    assert weekly_digest(app, runner, MONDAY).sent == 0

    assert [r.status for r in _outbox(runner)] == ["retrying"]
    http_receiver.refused = set()
    http_receiver.requests.clear()
    assert weekly_digest(app, runner, MONDAY + timedelta(hours=1)).sent == 1
    (retry,) = http_receiver.requests  # the robot that failed, not the one that had it
    assert f"access_token={DING_B}" in retry.path


def test_a_chair_named_like_a_department_does_not_make_its_members_chairs(
    app: PlanlogApp, runner: ReadModelRunner, http_receiver: HttpReceiver
) -> None:
    _district(app, EAST, "东一工会", chair="办公室")
    clerk = app.handle(RegisterPerson(org=EAST, name="王干事", department="办公室", actor="admin"))
    runner.catch_up()
    set_channels(runner.engine, EAST, None, [http_receiver.url("json", "/group")])
    set_channels(runner.engine, EAST, "王干事", [http_receiver.url("json", "/wang")])

    assert weekly_digest(app, runner, MONDAY, link_base=SITE).sent == 1

    assert _digest_event(app, EAST)["chairs"] == []
    assert str(clerk.id) not in str(_digest_event(app, EAST))
    (request,) = http_receiver.requests
    assert request.path == "/group" and "/login/link" not in request.json()["message"]


def test_a_district_with_more_chairs_than_a_digest_takes_gets_it_with_the_first_by_name(
    app: PlanlogApp, runner: ReadModelRunner, http_receiver: HttpReceiver
) -> None:
    _district(app, EAST, "东一工会")
    _district(app, WEST, "西一工会")
    names = [f"委员{n:02d}" for n in range(21)]
    for name in reversed(names):
        _chair(app, EAST, name)
    runner.catch_up()
    for district in (EAST, WEST):
        set_channels(runner.engine, district, None, [http_receiver.url("json", "/group")])

    run = weekly_digest(app, runner, MONDAY)

    assert (sorted(run.issued), run.sent) == (sorted([EAST, WEST]), 2)
    chairs = _digest_event(app, EAST)["chairs"]
    assert isinstance(chairs, list) and [c["name"] for c in chairs] == names[:20]


def test_a_district_whose_digest_cannot_be_issued_does_not_stop_the_others(
    app: PlanlogApp,
    runner: ReadModelRunner,
    http_receiver: HttpReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _district(app, EAST, "东一工会")
    _district(app, WEST, "西一工会")
    runner.catch_up()
    for district in (EAST, WEST):
        set_channels(runner.engine, district, None, [http_receiver.url("json", f"/{district}")])
    found = laggards.chairs_of

    def broken_for_east(conn: Any, org: str, named: str | None) -> list[dict[str, str]]:
        if org == EAST:  # refused by the organisation (InvalidValue, a PlanlogError)
            return [{"person_id": "not-an-id", "name": "某人"}]
        return found(conn, org, named)

    monkeypatch.setattr(laggards, "chairs_of", broken_for_east)

    run = weekly_digest(app, runner, MONDAY)

    assert (run.issued, run.sent) == ([WEST], 1)
    assert [unquote(r.path) for r in http_receiver.requests] == [f"/{WEST}"]


def test_a_chair_whose_role_changed_is_not_sent_the_digest_on_a_retry(
    app: PlanlogApp, runner: ReadModelRunner, http_receiver: HttpReceiver
) -> None:
    _federation(app)  # the free-text chair is 刘主席, nobody registered of that name
    zhang = _chair(app, EAST, "张副主席")
    runner.catch_up()
    set_channels(runner.engine, EAST, None, [http_receiver.url("json", "/group")])
    set_channels(runner.engine, EAST, "张副主席", [http_receiver.url("json", "/zhang")])
    http_receiver.status = 500
    weekly_digest(app, runner, MONDAY, link_base=SITE)  # issued to 张副主席, whose channel fails
    app.handle(ChangePerson(person_id=UUID(zhang), changes={"role": "editor"}, actor="admin"))
    runner.catch_up()
    http_receiver.requests.clear()
    http_receiver.status = 200

    assert weekly_digest(app, runner, MONDAY + timedelta(hours=1), link_base=SITE).sent == 1

    (request,) = http_receiver.requests
    assert request.path == "/group" and "/login/link" not in request.json()["message"]


def test_a_digest_row_that_fails_keeps_what_it_sent_and_the_others_still_go(
    app: PlanlogApp,
    runner: ReadModelRunner,
    http_receiver: HttpReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _district(app, EAST, "东一工会")
    _district(app, WEST, "西一工会")
    _chair(app, EAST, "刘主席")
    zhang = _chair(app, EAST, "张副主席")
    runner.catch_up()
    set_channels(runner.engine, EAST, "刘主席", [http_receiver.url("json", "/liu")])
    set_channels(runner.engine, EAST, "张副主席", [http_receiver.url("json", "/zhang")])
    set_channels(runner.engine, WEST, None, [http_receiver.url("json", "/west")])
    real_link = laggards.sign_in_url

    def failing_for_zhang(engine: Any, person_id: str, base: str, path: str) -> str:
        if person_id == zhang:
            raise RuntimeError("the sign-in store is unavailable")
        return real_link(engine, person_id, base, path)

    monkeypatch.setattr(laggards, "sign_in_url", failing_for_zhang)

    run = weekly_digest(app, runner, MONDAY, link_base=SITE)  # 刘 first, then 张 fails

    assert run.sent == 1  # 西区's digest went all the same
    assert sorted(r.path for r in http_receiver.requests) == ["/liu", "/west"]
    east = next(r for r in _outbox(runner) if r.org == EAST)
    assert east.status == "retrying" and "RuntimeError" in east.last_error
    monkeypatch.setattr(laggards, "sign_in_url", real_link)
    http_receiver.requests.clear()

    assert weekly_digest(app, runner, MONDAY + timedelta(hours=1), link_base=SITE).sent == 1
    assert [r.path for r in http_receiver.requests] == ["/zhang"]  # 刘主席 not a second time


def test_a_channel_recorded_by_its_mask_by_an_older_version_is_sent_to_again(
    app: PlanlogApp, runner: ReadModelRunner, http_receiver: HttpReceiver
) -> None:
    _federation(app)
    liu = _chair(app, EAST, "刘主席")
    runner.catch_up()
    set_channels(runner.engine, EAST, "刘主席", [http_receiver.url("json", "/liu")])
    http_receiver.status = 500
    weekly_digest(app, runner, MONDAY)
    # As an older version recorded a success: by the masked URL, which two channels may
    # share, so it cannot tell which one had it.
    masked = laggards.mask(http_receiver.url("json", "/liu"))
    with runner.engine.begin() as conn:
        conn.execute(
            update(digest_outbox).values(delivered_to=orjson.dumps([[liu, masked]]).decode())
        )
    http_receiver.status = 200
    http_receiver.requests.clear()

    assert weekly_digest(app, runner, MONDAY + timedelta(hours=1)).sent == 1
    assert [r.path for r in http_receiver.requests] == ["/liu"]  # at least once: never lost
