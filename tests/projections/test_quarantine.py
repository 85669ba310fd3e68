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
import threading
from collections.abc import Iterator
from datetime import date
from functools import partial
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from tests.signin import sign_in
from typer.testing import CliRunner

from planlog.api.app import create_app
from planlog.api.tokens import create_token
from planlog.application import NewItem, PlanlogApp
from planlog.cli import app as cli
from planlog.config import Settings
from planlog.domain.model import Target
from planlog.projections import changes
from planlog.projections.board import board_items, read_board
from planlog.projections.changes import UnreadablePayload, _Decoder
from planlog.projections.runner import ProjectionRunner
from planlog.projections.timeline import audit_timeline, timeline

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
def runner(app: PlanlogApp) -> Iterator[ProjectionRunner]:
    projection_runner = ProjectionRunner(app, batch_size=4)
    yield projection_runner
    projection_runner.close()


def open_entries(runner: ProjectionRunner) -> list[tuple[str, int, str]]:
    return [(e.projection, e.position, e.status) for e in runner.quarantined(open_only=True)]


def board_of(runner: ProjectionRunner, plan_id: UUID) -> dict[str, Any] | None:
    with runner.engine.connect() as conn:
        return read_board(conn, str(plan_id), date(2026, 3, 1))


def percents(board: dict[str, Any] | None) -> list[int]:
    assert board is not None
    return [o["percent"] for i in board["items"] for o in i["occurrences"]]


# ------------------------------------------------------------------------ projecting


def test_a_nan_payload_is_quarantined_and_every_other_event_is_projected(
    app: PlanlogApp,
    poisoned: Log,
    runner: ProjectionRunner,
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
        "outbox": 0,
        "audit_chain": 0,
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
    app: PlanlogApp, poisoned: Log, runner: ProjectionRunner
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
    runners = [ProjectionRunner(a, batch_size=3) for a in apps]
    errors: list[BaseException] = []

    def run(r: ProjectionRunner) -> None:
        try:
            r.catch_up()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(r,)) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
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
    app: PlanlogApp, poisoned: Log, runner: ProjectionRunner, read_model_rows: Any
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

    runner = ProjectionRunner(app, [LockedBoard()])
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
    runner = ProjectionRunner(app)
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
    runner: ProjectionRunner,
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
    runner: ProjectionRunner,
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

    raced = ProjectionRunner(app, [RacedBoard()])
    with caplog.at_level(logging.INFO, logger="planlog.projections"):
        raced.catch_up()
    raced.close()
    assert any("left quarantine meanwhile" in r.getMessage() for r in caplog.records)
    assert len(retried[0].applied) == 2
    assert {s.name: s.lag for s in runner.status()}["board"] == 0
    assert runner.quarantined() == []
    runner.catch_up()  # the other projections
    assert percents(board_of(runner, poisoned.ours)) == [80]
    applied = read_model_rows(runner.engine)
    runner.rebuild()
    assert read_model_rows(runner.engine) == applied


def test_release_records_who_and_why_and_lets_the_held_events_through(
    app: PlanlogApp, poisoned: Log, runner: ProjectionRunner
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
    app: PlanlogApp, poisoned: Log, runner: ProjectionRunner
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
