"""No single event can stop the read side (issue 16).

Events the domain refuses today (a NaN target value, a NUL in a title) may already be
in a log, recorded before the refusal. They are written here straight through the
recorder, as an older planlog did, and every read must go on: the projection that
cannot apply such an event quarantines it, every other event and organisation is
projected and served, and an administrator repairs it without editing the log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date
from functools import partial
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from tests.concurrency import catch_up_together
from tests.signin import sign_in
from typer.testing import CliRunner

from planlog.auth.tokens import create_token
from planlog.cli import app as cli
from planlog.config import Settings
from planlog.domain.errors import PlanlogError
from planlog.domain.model import Target
from planlog.domain.values import bad_character
from planlog.http.app import create_app
from planlog.projections import changes, quarantine
from planlog.projections.board import BoardProjection, board_items
from planlog.projections.board_read import read_board
from planlog.projections.chain import ChainProjection, verify
from planlog.projections.changes import Change, UnreadablePayload, _Decoder
from planlog.projections.runner import NotQuarantinable, QuarantineLimit, ReadModelRunner
from planlog.projections.timeline import (
    TimelineProjection,
    audit_timeline,
    timeline,
    timeline_plans,
)
from planlog.service.app import NewItem, PlanlogApp

OURS, THEIRS = "某医院工会", "外市总工会"


def write_raw(app: PlanlogApp, aggregate_id: UUID, event_type: str, fields: str) -> int:
    """Record an event as an older planlog could: straight into the log, no checks.

    `fields` is the payload's JSON after its timestamp, as eventsourcing lays it out."""
    version = len(list(app.recorder.select_events(aggregate_id))) + 1
    stamp = app.now().isoformat()
    state = f'{{"timestamp":{{"_type_":"datetime_iso","_data_":"{stamp}"}},{fields}}}'
    stored = StoredEvent(
        originator_id=aggregate_id,
        originator_version=version,
        topic=f"planlog.domain.model:{event_type}",
        state=state.encode(),
    )
    ids = app.recorder.insert_events([stored])
    assert ids
    return int(ids[-1])


def nan_progress(app: PlanlogApp, item_id: UUID) -> int:
    """A progress report whose target value is NaN: eventsourcing stored the bare token."""
    return write_raw(
        app,
        item_id,
        "PlanItem.ProgressReported",
        '"actor":"老版本","reason":null,"occurrence":null,"percent":null,'
        '"target_index":0,"target_value":NaN,"note":null,"evidence":null',
    )


#: an upcaster an administrator could register: a non-finite number reads as no value
def no_value(_: str) -> None:
    return None


READS_NAN_AS_NO_VALUE = partial(json.loads, parse_constant=no_value)


class Log:
    """Two organisations' plans; ours gets the poison event, theirs must not notice."""

    def __init__(self, app: PlanlogApp) -> None:
        ours = app.create_plan(org=OURS, year=2026, title="本院计划", actor="王主席")
        self.item = app.add_item(
            ours.id,
            NewItem(
                title="发展会员",
                dues=[date(2026, 6, 30)],
                targets=[Target(text="新增会员40名", value=40, unit="名")],
            ),
            actor="王主席",
        ).id
        self.ours = ours.id
        theirs = app.create_plan(org=THEIRS, year=2026, title="外市计划", actor="外市主席")
        self.their_item = app.add_item(
            theirs.id, NewItem(title="外市事项", dues=[date(2026, 5, 1)]), actor="外市主席"
        ).id
        self.theirs = theirs.id
        self.poison = nan_progress(app, self.item)
        # recorded after the poison: the domain reads NaN (stdlib json), so work goes on
        app.report_progress(self.item, actor="李明", percent=60, note="已发展24名")
        app.complete(self.their_item, actor="外市主席", occurrence="2026-05-01")
        self.after = app.last_position


@pytest.fixture
def poisoned(app: PlanlogApp) -> Log:
    return Log(app)


@pytest.fixture
def runner(app: PlanlogApp) -> Iterator[ReadModelRunner]:
    projection_runner = ReadModelRunner(app, batch_size=4)
    yield projection_runner
    projection_runner.close()


def open_entries(runner: ReadModelRunner) -> list[tuple[str, int, str]]:
    return [(e.projection, e.position, e.status) for e in runner.quarantined(open_only=True)]


def board_of(runner: ReadModelRunner, plan_id: UUID) -> dict[str, Any] | None:
    with runner.engine.connect() as conn:
        return read_board(conn, str(plan_id), date(2026, 3, 1))


def percents(board: dict[str, Any] | None) -> list[int]:
    assert board is not None
    return [o["percent"] for i in board["items"] for o in i["occurrences"]]


# ------------------------------------------------------------------------ projecting


def test_a_nan_payload_is_quarantined_and_every_other_event_is_projected(
    app: PlanlogApp,
    poisoned: Log,
    runner: ReadModelRunner,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="planlog.projections"):
        processed = runner.catch_up()

    assert processed == runner.head()
    assert all(s.lag == 0 for s in runner.status())
    # Only the board reads a progress report's payload; the later report on the same
    # item waits behind the poison so that a retry can apply both in order.
    later = poisoned.poison + 1
    assert open_entries(runner) == [
        ("board", poisoned.poison, "quarantined"),
        ("board", later, "held"),
    ]
    [entry, held] = runner.quarantined()
    assert entry.aggregate_id == str(poisoned.item)
    assert entry.type == "PlanItem.ProgressReported" and entry.version == 2
    assert "unreadable" in entry.error and entry.first_seen == app.now().isoformat()
    assert held.held_behind == poisoned.poison
    assert {s.name: s.quarantined for s in runner.status()} == {
        "board": 2,
        "timeline": 0,
        "rollup": 0,
        "tasks": 0,
        "digests": 0,
        "outbox": 0,
        "reminder_due": 0,
        "audit_chain": 0,
        "people": 0,
        "evidence": 0,
    }
    named = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        f"#{poisoned.poison} (PlanItem.ProgressReported, {poisoned.item} version 2)" in m
        and "quarantined" in m
        for m in named
    ), named

    # Every other event is projected: the other organisation's board is whole, and the
    # poisoned item keeps what it had before the poison.
    their_board = board_of(runner, poisoned.theirs)
    assert their_board is not None and their_board["totals"]["done"] == 1
    assert percents(board_of(runner, poisoned.ours)) == [0]
    with runner.engine.connect() as conn:
        positions = set(conn.execute(select(audit_timeline.c.position)).scalars())
    assert positions == set(range(1, runner.head() + 1))  # the timeline has every event


def test_the_timeline_shows_a_nan_event_as_recorded_instead_of_failing(
    app: PlanlogApp, poisoned: Log, runner: ReadModelRunner
) -> None:
    runner.catch_up()
    with runner.engine.connect() as conn:
        entries = timeline(conn, plan_id=str(poisoned.ours))
    [shown] = [e for e in entries if e["position"] == poisoned.poison]
    assert shown["actor"] == "老版本" and "NaN" in shown["summary"]


def test_an_unreadable_payload_fails_only_where_a_projection_reads_it() -> None:
    stamp = '{"timestamp":{"_type_":"datetime_iso","_data_":"2026-03-01T00:00:00+00:00"}'
    rows = [
        (1, "0" * 32, 1, "m:PlanItem.ProgressReported", (stamp + ',"target_value":NaN}').encode()),
        (2, "0" * 32, 2, "m:PlanItem.Cancelled", b"not json at all"),
        (3, "0" * 32, 3, "m:PlanItem.Cancelled", (stamp + ',"actor":"li"}').encode()),
    ]
    nan, garbage, fine = _Decoder()(rows)
    assert isinstance(nan.data, UnreadablePayload) and nan.recorded_at.startswith("2026-03-01")
    assert isinstance(garbage.data, UnreadablePayload) and garbage.recorded_at == ""
    assert fine.data == {"actor": "li"}
    with pytest.raises(ValueError, match="stored payload is unreadable"):
        nan.data.get("target_value")
    assert nan.raw == rows[0][4]  # the chain hashes the payload as stored


def test_two_runners_quarantine_a_poison_event_once(
    store_url: str, clock: Any, read_model_rows: Any
) -> None:
    writer = PlanlogApp(store_url, clock=clock)
    poisoned = Log(writer)
    apps = [PlanlogApp(store_url, clock=clock) for _ in range(2)]
    runners = [ReadModelRunner(a, batch_size=3) for a in apps]
    assert catch_up_together(runners) == []
    assert open_entries(runners[0]) == [
        ("board", poisoned.poison, "quarantined"),
        ("board", poisoned.poison + 1, "held"),
    ]
    assert all(e.attempts == 1 for e in runners[0].quarantined())
    together = read_model_rows(runners[0].engine)
    runners[0].rebuild()
    rebuilt = read_model_rows(runners[0].engine)
    for rows in (together, rebuilt):  # when each was first seen differs; nothing else does
        rows.pop("projection_quarantine")
    assert rebuilt == together
    for r, a in zip(runners, apps, strict=True):
        r.close()
        a.close()
    writer.close()


class Crash(Exception):
    pass


def test_a_crash_while_looking_for_the_poison_resumes_to_the_rows_of_a_clean_rebuild(
    app: PlanlogApp, poisoned: Log, runner: ReadModelRunner, read_model_rows: Any
) -> None:
    writes = {"board": 0}

    def crash_on_the_boards_third_write(projection: str, end: int) -> None:
        if projection == "board":
            writes["board"] += 1
            if writes["board"] == 3:
                raise Crash(f"killed while the board was writing up to {end}")

    with pytest.raises(Crash):
        runner.catch_up(fault=crash_on_the_boards_third_write)
    runner.catch_up()
    resumed = read_model_rows(runner.engine)
    assert open_entries(runner) == [
        ("board", poisoned.poison, "quarantined"),
        ("board", poisoned.poison + 1, "held"),
    ]
    runner.rebuild()
    assert read_model_rows(runner.engine) == resumed


def test_an_environment_error_stops_the_batch_instead_of_quarantining(
    app: PlanlogApp, poisoned: Log
) -> None:
    from planlog.projections.board import BoardProjection

    class LockedBoard(BoardProjection):
        def prepare(self, snapshot: Any, changes: list[Any]) -> Any:
            raise OperationalError("UPDATE …", {}, Exception("database is locked"))

    runner = ReadModelRunner(app, [LockedBoard()])
    with pytest.raises(OperationalError):
        runner.catch_up()
    assert runner.quarantined() == [] and runner.status()[0].position == 0
    runner.close()


@pytest.mark.postgres
def test_a_nul_in_a_title_is_quarantined_on_postgres_and_the_rest_is_served(
    pg_url: str, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = PlanlogApp(pg_url, clock=clock)
    poisoned = Log(app)
    clean = app.add_item(poisoned.ours, NewItem(title="职工之家"), actor="王主席").id
    nul = write_raw(
        app,
        clean,
        "PlanItem.Revised",
        '"actor":"老版本","reason":null,"changes":{"title":"职工\\u0000之家"}',
    )
    runner = ReadModelRunner(app)
    runner.catch_up()
    # Board and timeline both store an item's title: PostgreSQL refuses the NUL in each.
    refused = [e for e in runner.quarantined() if e.position == nul]
    assert [(e.projection, e.status) for e in refused] == [
        ("board", "quarantined"),
        ("timeline", "quarantined"),
    ]
    assert all("NUL" in e.error and "\x00" not in e.error for e in refused)
    their_board = board_of(runner, poisoned.theirs)
    assert their_board is not None and their_board["totals"]["done"] == 1

    # An upcaster that drops the NUL: a retry applies the revision in both.
    def without_nul(raw: bytes) -> dict[str, Any]:
        return dict(json.loads(raw.decode().replace("\\u0000", "")))

    monkeypatch.setitem(changes.UPCASTERS, "PlanItem.Revised", without_nul)
    applied = runner.retry([nul])
    assert sorted(e.projection for e in applied.applied) == ["board", "timeline"]
    with runner.engine.connect() as conn:
        title = conn.execute(
            select(board_items.c.title).where(board_items.c.item_id == str(clean))
        ).scalar_one()
    assert title == "职工之家"
    runner.close()
    app.close()


# ------------------------------------------------------------------------ repairing


def test_retry_applies_quarantined_events_in_order_once_an_upcaster_reads_them(
    app: PlanlogApp,
    poisoned: Log,
    runner: ReadModelRunner,
    read_model_rows: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runner.catch_up()
    still = runner.retry()
    assert [e.position for e in still.failed] == [poisoned.poison] and still.applied == []
    [entry, _] = runner.quarantined()
    assert entry.attempts == 2 and entry.status == "quarantined"

    monkeypatch.setitem(changes.UPCASTERS, "PlanItem.ProgressReported", READS_NAN_AS_NO_VALUE)
    result = runner.retry([poisoned.poison + 1])  # a held event retries what it waits for
    assert [e.position for e in result.applied] == [poisoned.poison, poisoned.poison + 1]
    assert result.failed == [] and runner.quarantined() == []
    assert percents(board_of(runner, poisoned.ours)) == [60]  # the later report, in order
    retried = read_model_rows(runner.engine)
    runner.rebuild()  # in order from the start, with the upcaster: the same rows
    assert read_model_rows(runner.engine) == retried
    with runner.engine.connect() as conn:
        targets = conn.execute(
            select(board_items.c.targets).where(board_items.c.item_id == str(poisoned.item))
        ).scalar_one()
    assert json.loads(targets)[0]["current"] is None  # NaN read as no value


def test_an_event_held_back_while_a_retry_frees_its_aggregate_is_applied_not_orphaned(
    app: PlanlogApp,
    poisoned: Log,
    runner: ReadModelRunner,
    read_model_rows: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from planlog.projections.board import BoardProjection

    runner.catch_up()
    app.report_progress(poisoned.item, actor="李明", percent=80)  # held back: behind the NaN
    app.add_item(poisoned.ours, NewItem(title="职工之家"), actor="王主席")
    monkeypatch.setitem(changes.UPCASTERS, "PlanItem.ProgressReported", READS_NAN_AS_NO_VALUE)
    retried: list[Any] = []

    class RacedBoard(BoardProjection):
        def prepare(self, snapshot: Any, batch: list[Any]) -> Any:
            # While this runner computes the batch on its snapshot, an administrator's
            # retry frees the item: holding its new event back would strand it.
            if not retried:
                retried.append(runner.retry())
            return super().prepare(snapshot, batch)

    raced = ReadModelRunner(app, [RacedBoard()])
    with caplog.at_level(logging.INFO, logger="planlog.projections"):
        raced.catch_up()
    raced.close()
    # The retry bumped the board's tracking version: the batch computed before it is
    # refused by its compare-and-set and read again (before: caught only by the check
    # of what it held back, "left quarantine meanwhile").
    assert any("changed its quarantine meanwhile" in r.getMessage() for r in caplog.records)
    assert len(retried[0].applied) == 2
    assert {s.name: s.lag for s in runner.status()}["board"] == 0
    assert runner.quarantined() == []
    runner.catch_up()  # the other projections
    assert percents(board_of(runner, poisoned.ours)) == [80]
    applied = read_model_rows(runner.engine)
    runner.rebuild()
    assert read_model_rows(runner.engine) == applied


def test_release_records_who_and_why_and_lets_the_held_events_through(
    app: PlanlogApp, poisoned: Log, runner: ReadModelRunner
) -> None:
    runner.catch_up()
    [released] = runner.release(poisoned.poison, actor="管理员", reason="已补录正确数值")
    assert released.projection == "board"
    [entry] = runner.quarantined()
    assert entry.status == "released" and entry.position == poisoned.poison
    assert (entry.released_by, entry.release_reason) == ("管理员", "已补录正确数值")
    assert runner.quarantined(open_only=True) == []
    assert percents(board_of(runner, poisoned.ours)) == [60]
    assert {s.name: (s.quarantined, s.released) for s in runner.status()}["board"] == (0, 1)
    # A rebuild tries the event again from scratch; the decision is kept with it.
    runner.rebuild()
    [again] = runner.quarantined()
    assert again.status == "released" and again.release_reason == "已补录正确数值"
    assert percents(board_of(runner, poisoned.ours)) == [60]


def test_a_rebuild_completes_and_quarantines_the_poison_again(
    app: PlanlogApp, poisoned: Log, runner: ReadModelRunner
) -> None:
    runner.catch_up()
    assert runner.rebuild(lanes=2) == runner.head()
    assert all(s.lag == 0 for s in runner.status())
    assert open_entries(runner) == [
        ("board", poisoned.poison, "quarantined"),
        ("board", poisoned.poison + 1, "held"),
    ]


# ------------------------------------------------------------------------ the doors


@pytest.fixture
def cli_run(store_url: str) -> Any:
    invoke = CliRunner()

    def run(*args: str, expect_exit: int = 0) -> Any:
        result = invoke.invoke(cli, ["--db", store_url, "--actor", "管理员", *args])
        assert result.exit_code == expect_exit, result.output
        return json.loads(result.stdout) if "--json" in args else result.output

    return run


def test_the_cli_lists_retries_and_releases_quarantined_events(
    app: PlanlogApp, poisoned: Log, cli_run: Any
) -> None:
    verified = cli_run("audit", "verify", "--json")  # catches up first: no crash
    assert verified["ok"] is True and verified["checked"] == poisoned.after

    status = {s["name"]: s for s in cli_run("projections", "status", "--json")}
    assert status["board"]["lag"] == 0 and status["board"]["quarantined"] == 2
    assert [e["position"] for e in status["board"]["quarantined_events"]] == [
        poisoned.poison,
        poisoned.poison + 1,
    ]
    assert status["timeline"]["quarantined"] == 0
    assert f"│ {poisoned.poison} " in cli_run("projections", "status")  # listed by position

    listed = cli_run("projections", "quarantine", "--json")
    assert [(e["position"], e["status"]) for e in listed] == [
        (poisoned.poison, "quarantined"),
        (poisoned.poison + 1, "held"),
    ]
    failed = cli_run("projections", "retry", "--json", expect_exit=1)
    assert [e["position"] for e in failed["failed"]] == [poisoned.poison]

    cli_run("projections", "release", str(poisoned.poison), "--reason", "  ", expect_exit=1)
    released = cli_run(
        "projections", "release", str(poisoned.poison), "--reason", "已补录", "--json"
    )
    assert [e["projection"] for e in released["released"]] == ["board"]
    [entry] = cli_run("projections", "quarantine", "--json")
    assert (entry["status"], entry["released_by"], entry["release_reason"]) == (
        "released",
        "管理员",
        "已补录",
    )
    cli_run("projections", "release", str(poisoned.poison), "--reason", "again", expect_exit=1)
    rebuilt = cli_run("projections", "rebuild", "--json", "--lanes", "1")
    assert rebuilt["events"] == poisoned.after


@pytest.fixture
def served(store_url: str, poisoned: Log) -> Iterator[tuple[TestClient, dict[str, str]]]:
    api = create_app(Settings(database_url=store_url), background=False)
    with TestClient(api) as client:
        engine = api.state.services.engine
        tokens = {
            who: create_token(engine, org, "chair", who)[1]
            for who, org in [("ours", OURS), ("theirs", THEIRS)]
        }
        yield client, tokens


def _get(served: tuple[TestClient, dict[str, str]], who: str, path: str) -> Any:
    client, tokens = served
    return client.get(path, headers={"Authorization": f"Bearer {tokens[who]}"})


def test_a_poison_event_does_not_stop_another_organisations_requests(
    served: tuple[TestClient, dict[str, str]], poisoned: Log
) -> None:
    theirs = _get(served, "theirs", f"/api/v1/plans/{poisoned.theirs}/board")
    assert theirs.status_code == 200, theirs.text
    assert theirs.json()["totals"]["done"] == 1
    ours = _get(served, "ours", f"/api/v1/plans/{poisoned.ours}/board")
    assert ours.status_code == 200, ours.text
    verified = _get(served, "ours", "/api/v1/audit/verify")
    assert verified.status_code == 200 and verified.json()["ok"] is True


def test_requests_are_served_when_the_catch_up_fails(
    served: tuple[TestClient, dict[str, str]],
    poisoned: Log,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert _get(served, "theirs", f"/api/v1/plans/{poisoned.theirs}/board").status_code == 200
    runner = served[0].app.state.services.runner  # type: ignore[attr-defined]

    def unreachable(*_: Any, **__: Any) -> int:
        raise OperationalError("SELECT …", {}, Exception("could not connect to server"))

    monkeypatch.setattr(runner, "catch_up", unreachable)
    with caplog.at_level(logging.ERROR, logger="planlog.api"):
        theirs = _get(served, "theirs", f"/api/v1/plans/{poisoned.theirs}/board")
    assert theirs.status_code == 200 and theirs.json()["totals"]["done"] == 1
    assert any("serving them as they are" in r.getMessage() for r in caplog.records)


def test_the_audit_page_lists_the_plans_quarantined_events(
    served: tuple[TestClient, dict[str, str]], poisoned: Log
) -> None:
    client, tokens = served
    sign_in(client, tokens["ours"])
    page = client.get(f"/plans/{poisoned.ours}/audit")
    assert page.status_code == 200
    assert "暂未反映在看板" in page.text and f"#{poisoned.poison}" in page.text
    client.cookies.clear()
    sign_in(client, tokens["theirs"])
    theirs = client.get(f"/plans/{poisoned.theirs}/audit")
    assert theirs.status_code == 200 and "暂未反映在看板" not in theirs.text


def test_the_history_of_an_item_with_a_nan_event_is_strict_json(
    served: tuple[TestClient, dict[str, str]], poisoned: Log
) -> None:
    """Recorded before the domain refused NaN: shown as recorded, never a bare NaN token
    (which no strict JSON reader accepts) and never a 500."""

    def refuse(token: str) -> None:
        raise AssertionError(f"bare {token} in JSON")

    history = _get(served, "ours", f"/api/v1/items/{poisoned.item}/history")
    assert history.status_code == 200, history.text
    reported = [e for e in history.json() if e["type"] == "ProgressReported"]
    assert reported[0]["target_value"] == "nan"
    lines = _get(served, "ours", f"/api/v1/plans/{poisoned.ours}/history.jsonl")
    assert lines.status_code == 200
    parsed = [json.loads(line, parse_constant=refuse) for line in lines.text.splitlines()]
    assert any(entry.get("target_value") == "nan" for entry in parsed)


# ------------------------------------------------------------ races, the chain, bugs


def nan_orphan_item(app: PlanlogApp) -> tuple[int, UUID]:
    """An item planned by an older planlog with a NaN target, in a plan nothing else
    names: board, timeline and people (which read a Planned payload) quarantine it, and
    the timeline takes a new key for its plan when a retry applies it. Returns its
    position and its plan's id."""
    plan = uuid4()
    position = write_raw(
        app,
        uuid4(),
        "PlanItem.Planned",
        '"originator_topic":"planlog.domain.model:PlanItem","actor":"老版本","reason":null,'
        f'"plan_id":"{plan}","section_id":null,"number":null,"title":"旧事项","goal":null,'
        '"measures":null,"responsible":null,"targets":[{"text":"新增会员","value":NaN,'
        '"unit":"名"}],"deadline_text":null,"rrule":null,'
        '"occurrences":[{"opens":null,"due":"2026-06-30"}],"soft":false,"source":null',
    )
    return position, plan


def plan_keys(runner: ReadModelRunner) -> dict[str, int]:
    with runner.engine.connect() as conn:
        return {r.plan_id: r.key for r in conn.execute(select(timeline_plans))}


def test_a_retry_while_the_live_runner_commits_a_new_plan_applies_instead_of_failing(
    app: PlanlogApp, runner: ReadModelRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review D4: the retry computed the timeline's next plan key before it locked; the
    live runner took that key meanwhile, and the retry reported "still failing"."""
    ours = app.create_plan(org=OURS, year=2026, title="本院计划", actor="王主席").id
    orphan, orphan_plan = nan_orphan_item(app)
    runner.catch_up()
    assert open_entries(runner) == [
        ("board", orphan, "quarantined"),
        ("people", orphan, "quarantined"),
        ("reminder_due", orphan, "quarantined"),
        ("timeline", orphan, "quarantined"),
    ]
    monkeypatch.setitem(changes.UPCASTERS, "PlanItem.Planned", READS_NAN_AS_NO_VALUE)
    live = ReadModelRunner(app)
    theirs: list[UUID] = []
    lock = ReadModelRunner._lock

    def the_live_runner_commits_a_plan_first(conn: Any, name: str) -> None:
        # Between what the retry read before and its lock: the worker projects a new plan.
        if name == "timeline" and not theirs:
            theirs.append(app.create_plan(org=THEIRS, year=2026, title="外市", actor="外").id)
            live.catch_up()
            assert str(theirs[0]) in plan_keys(live)
        lock(conn, name)

    monkeypatch.setattr(
        ReadModelRunner, "_lock", staticmethod(the_live_runner_commits_a_plan_first)
    )
    result = runner.retry()
    live.close()

    assert result.failed == []
    assert [(e.projection, e.position) for e in result.applied] == [
        ("board", orphan),
        ("people", orphan),
        ("reminder_due", orphan),
        ("timeline", orphan),
    ]
    assert runner.quarantined() == []
    keys = plan_keys(runner)
    assert set(keys) == {str(ours), str(theirs[0]), str(orphan_plan)}
    assert len(set(keys.values())) == 3  # one key each, none taken twice
    with runner.engine.connect() as conn:
        [entry] = timeline(conn, plan_id=str(orphan_plan))
    assert entry["position"] == orphan and entry["type"] == "Planned"


def test_a_batch_computed_before_a_retry_committed_is_read_again_not_refused(
    app: PlanlogApp,
    runner: ReadModelRunner,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The other side of D4: the live runner computed a batch (a new plan's key) before a
    retry took that key. The retry's version bump makes its compare-and-set refuse the
    batch, which is read again: no duplicate key, nothing blamed on an event."""
    app.create_plan(org=OURS, year=2026, title="本院计划", actor="王主席")
    _, orphan_plan = nan_orphan_item(app)
    runner.catch_up()
    monkeypatch.setitem(changes.UPCASTERS, "PlanItem.Planned", READS_NAN_AS_NO_VALUE)
    theirs = app.create_plan(org=THEIRS, year=2026, title="外市计划", actor="外市主席").id
    retried: list[Any] = []

    class RacedTimeline(TimelineProjection):
        def prepare(self, snapshot: Any, batch: list[Change]) -> Any:
            if not retried:  # on its snapshot, an administrator's retry commits
                retried.append(runner.retry())
            return super().prepare(snapshot, batch)

    raced = ReadModelRunner(app, [RacedTimeline()])
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="planlog.projections"):
        raced.catch_up()
    raced.close()

    # the orphan's plan item, for the board, the timeline, the reminder index and people
    assert retried[0].failed == [] and len(retried[0].applied) == 4
    messages = [r.getMessage() for r in caplog.records]
    assert any("changed its quarantine meanwhile" in m for m in messages), messages
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert not any("cannot apply" in m for m in warnings), warnings
    assert runner.quarantined() == []
    keys = plan_keys(runner)
    assert str(theirs) in keys and str(orphan_plan) in keys and len(set(keys.values())) == 3


class BrokenChain(ChainProjection):
    """The audit chain, failing on one event the way a quarantinable projection's data
    error would (a value the database refuses)."""

    def __init__(self, at: int) -> None:
        self.at: int | None = at

    def prepare(self, snapshot: Any, batch: list[Change]) -> Any:
        if self.at is not None and any(c.position == self.at for c in batch):
            raise IntegrityError("INSERT INTO audit_chain …", {}, Exception("duplicate key"))
        return super().prepare(snapshot, batch)


def test_a_chain_failure_stops_the_batch_and_is_never_quarantined(
    app: PlanlogApp, poisoned: Log
) -> None:
    """Review D5: a quarantined event is a gap in the chain, and every later link then
    mismatches for ever. The chain's errors stop the batch instead, to be tried again."""
    broken = BrokenChain(at=6)
    runner = ReadModelRunner(app, [TimelineProjection(), broken], batch_size=4)
    with pytest.raises(IntegrityError):
        runner.catch_up()
    assert runner.quarantined() == []
    # The whole batch (5..8) stopped: every projection waits at the end of the one before.
    assert {s.name: s.position for s in runner.status()} == {"timeline": 4, "audit_chain": 4}
    with pytest.raises(IntegrityError):
        runner.catch_up()  # the next run tries it again, and fails as loudly
    assert runner.quarantined() == []

    broken.at = None  # the cause is fixed
    runner.catch_up()
    assert all(s.lag == 0 for s in runner.status())
    report = verify(app, runner.engine)
    assert report.ok and report.checked == runner.head()
    runner.close()


def test_retry_and_release_refuse_an_audit_chain_entry(
    app: PlanlogApp, poisoned: Log, runner: ReadModelRunner, cli_run: Any
) -> None:
    """An entry of the chain (entered by a planlog that still quarantined it) can be
    neither retried nor released: retrying applied it as a no-op and deleted it."""
    [poison] = [c for c in runner.reader.read(poisoned.poison - 1, poisoned.poison, 1)]
    with runner.engine.begin() as conn:
        quarantine.record(conn, "audit_chain", poison, "IntegrityError: …", "2026-01-05")
    runner.catch_up()
    # The chain holds nothing back behind it: the item's later event is chained.
    assert ("audit_chain", poisoned.poison + 1, "held") not in open_entries(runner)
    assert {s.name: s.lag for s in runner.status()}["audit_chain"] == 0

    with pytest.raises(NotQuarantinable, match=r"^audit_chain 从不隔离事件.* / audit_chain never"):
        runner.retry([poisoned.poison])
    with pytest.raises(NotQuarantinable, match="retry without positions retries board"):
        runner.retry([poisoned.poison])
    with pytest.raises(NotQuarantinable, match="--projection board"):
        runner.release(poisoned.poison, actor="管理员", reason="已补录")
    with pytest.raises(NotQuarantinable):
        runner.release(poisoned.poison, actor="管理员", reason="已补录", projection="audit_chain")
    chain_entry = ("audit_chain", poisoned.poison, "quarantined")
    assert chain_entry in open_entries(runner)

    everything = runner.retry()  # every open entry: the chain's is left as it is
    assert [e.projection for e in everything.failed] == ["board"]
    assert chain_entry in open_entries(runner)
    refused = cli_run("projections", "retry", str(poisoned.poison), expect_exit=1)
    assert "从不隔离事件" in refused and "never quarantines events" in refused
    cli_run("projections", "release", str(poisoned.poison), "--reason", "已补录", expect_exit=1)
    assert chain_entry in open_entries(runner)
    # The board's entry at the same position is still the administrator's to release.
    [released] = runner.release(
        poisoned.poison, actor="管理员", reason="已补录", projection="board"
    )
    assert released.projection == "board"


@pytest.mark.parametrize(
    ("bug", "raised"),
    [
        (lambda change: change.data["occurrence"].due_date, AttributeError),
        (lambda change: len(change.version), TypeError),  # type: ignore[arg-type]
        (lambda change: {}[change.type], KeyError),
    ],
    ids=["AttributeError", "TypeError", "KeyError"],
)
def test_a_projection_bug_stops_the_batch_instead_of_quarantining_its_events(
    app: PlanlogApp, bug: Any, raised: type[Exception]
) -> None:
    """An error in the projection's code on events whose payloads are as it reads them
    is the code's fault: it fails loudly, and no event type is quietly set aside."""
    plan = app.create_plan(org=OURS, year=2026, title="本院计划", actor="王主席").id
    item = app.add_item(plan, NewItem(title="发展会员", dues=[date(2026, 6, 30)]), actor="王").id
    app.report_progress(item, actor="李明", percent=60, note="已发展24名")

    class BuggyBoard(BoardProjection):
        def prepare(self, snapshot: Any, batch: list[Change]) -> Any:
            for change in batch:
                if change.type == "PlanItem.ProgressReported":
                    bug(change)
            return super().prepare(snapshot, batch)

    runner = ReadModelRunner(app, [BuggyBoard()], batch_size=2)
    with pytest.raises(raised):
        runner.catch_up()
    assert runner.quarantined() == []
    assert runner.status()[0].position < app.last_position
    runner.close()


@pytest.mark.parametrize(
    ("event_type", "fields", "problem"),
    [
        (
            "PlanItem.ProgressReported",
            '"occurrence":"2026-06-30","percent":"40","target_index":null,'
            '"target_value":null,"note":null',
            "字段 percent 的类型或取值不对",
        ),
        ("PlanItem.OccurrenceCompleted", '"occurrence":"2026-06-30"', "缺少字段 done_on"),
    ],
    ids=["percent as text", "completion without its day"],
)
def test_a_payload_the_board_cannot_read_is_quarantined_naming_the_field(
    app: PlanlogApp, runner: ReadModelRunner, event_type: str, fields: str, problem: str
) -> None:
    """Recorded by an older planlog: a field of another type or missing. The board fails
    on it (a TypeError, a KeyError) and, as the payload is not what it reads, the event
    is at fault: quarantined, with the field named."""
    plan = app.create_plan(org=OURS, year=2026, title="本院计划", actor="王主席").id
    item = app.add_item(plan, NewItem(title="发展会员", dues=[date(2026, 6, 30)]), actor="王").id
    wrong = write_raw(app, item, event_type, '"actor":"老版本","reason":null,' + fields)
    other = app.add_item(plan, NewItem(title="职工之家", dues=[date(2026, 6, 30)]), actor="王").id
    app.report_progress(other, actor="李明", percent=50)
    runner.catch_up()
    [entry] = runner.quarantined()
    assert (entry.projection, entry.position, entry.status) == ("board", wrong, "quarantined")
    assert problem in entry.error and entry.error.startswith("PayloadError: 事件 #")
    assert all(s.lag == 0 for s in runner.status())
    assert sorted(percents(board_of(runner, plan))) == [0, 50]


def test_a_payload_missing_a_field_is_quarantined_where_it_is_read(
    app: PlanlogApp, runner: ReadModelRunner
) -> None:
    plan = app.create_plan(org=OURS, year=2026, title="本院计划", actor="王主席").id
    missing = write_raw(
        app,
        uuid4(),
        "PlanItem.Planned",
        '"originator_topic":"planlog.domain.model:PlanItem","actor":"老版本","reason":null,'
        '"title":"无计划的事项","occurrences":[{"opens":null,"due":"2026-06-30"}]',
    )
    after = app.add_item(plan, NewItem(title="职工之家"), actor="王主席").id
    runner.catch_up()
    refused = [e for e in runner.quarantined() if e.position == missing]
    assert [e.projection for e in refused] == ["board", "timeline"]
    assert all("缺少字段 plan_id" in e.error and "plan_id" in e.error for e in refused)
    assert all(s.lag == 0 for s in runner.status())
    board = board_of(runner, plan)
    assert board is not None and [i["id"] for i in board["items"]] == [str(after)]


def test_a_projection_failing_on_every_event_of_a_type_stops_instead_of_quarantining_them(
    app: PlanlogApp,
) -> None:
    """A value the database refuses is taken as the event's fault; a bug that makes every
    event of a type write one (a duplicate key) would quarantine them all. Past the limit,
    the projection stops, loudly, instead."""
    plan = app.create_plan(org=OURS, year=2026, title="本院计划", actor="王主席").id
    for n in range(4):
        item = app.add_item(plan, NewItem(title=f"事项{n}", dues=[date(2026, 6, 30)]), actor="王")
        app.report_progress(item.id, actor="李明", percent=10 + n)

    class DuplicatingBoard(BoardProjection):
        def prepare(self, snapshot: Any, batch: list[Change]) -> Any:
            write = super().prepare(snapshot, batch)
            reports = any(c.type == "PlanItem.ProgressReported" for c in batch)

            def duplicate(conn: Any) -> None:
                if reports:
                    raise IntegrityError("INSERT …", {}, Exception("duplicate key"))
                write(conn)

            return duplicate

    runner = ReadModelRunner(app, [DuplicatingBoard()])
    runner.quarantine_limit = 2
    for _ in range(2):  # and stays stopped, run after run
        with pytest.raises(
            QuarantineLimit, match=r"^投影 board 已有 2 个 PlanItem\.ProgressReported"
        ):
            runner.catch_up()
        assert [e.type for e in runner.quarantined()] == ["PlanItem.ProgressReported"] * 2
    assert runner.status()[0].lag > 0
    runner.close()


def test_quarantine_text_escapes_every_character_the_domain_refuses(
    runner: ReadModelRunner,
) -> None:
    """C1 controls, lone surrogates and noncharacters were stored as they were: PostgreSQL
    cannot store a lone surrogate, and no .docx/.xlsx export can carry a noncharacter."""
    refused = "a\x00b\x85c\ud800d\ufdd0e\U0010ffff\x7f"
    cleaned = quarantine.clean(refused)
    assert cleaned == "a\\x00b\\x85c\\ud800d\\ufdd0e\\U0010ffff\\x7f"
    assert bad_character(cleaned) is None
    assert quarantine.clean("第一行\n\t第二行") == "第一行\n\t第二行"  # what text may hold
    assert quarantine.clean("好" * 50, 10) == "好" * 9 + "…"
    change = Change(1, str(uuid4()), 1, "PlanItem.Revised\ud800", "", {}, b"")
    with runner.engine.begin() as conn:
        quarantine.record(conn, "board", change, quarantine.clean(f"ValueError: {refused}"), "t")
    [entry] = runner.quarantined()
    assert entry.error == f"ValueError: {cleaned}" and entry.type == "PlanItem.Revised\\ud800"


def test_an_unknown_projection_is_named_in_chinese_first(runner: ReadModelRunner) -> None:
    with pytest.raises(PlanlogError, match=r"^没有名为 nope 的投影 / no projection named nope$"):
        runner.release(1, actor="管理员", reason="已补录", projection="nope")
    with pytest.raises(PlanlogError, match=r"^没有名为 nope 的投影 / no projection named nope$"):
        runner.rebuild(["nope"])


def test_a_tracking_table_of_an_older_planlog_gains_its_version(
    app: PlanlogApp, poisoned: Log
) -> None:
    """Retries and releases bump a version on the tracking row; a table made before has
    none, and gets one without losing where each read model stands."""
    first = ReadModelRunner(app)
    first.catch_up()
    positions = first.positions()
    with first.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE projection_tracking DROP COLUMN version")
    first.close()
    app.report_progress(poisoned.item, actor="李明", percent=80)  # held behind the NaN
    again = ReadModelRunner(app)
    assert again.positions() == positions
    again.catch_up()
    assert all(s.lag == 0 for s in again.status())
    again.release(poisoned.poison, actor="管理员", reason="已补录")  # bumps the version
    assert percents(board_of(again, poisoned.ours)) == [80]
    again.close()
