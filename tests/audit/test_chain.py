"""The audit hash chain on real stores: intact logs verify; altered, deleted and inserted
events are named; a rebuild never re-blesses tampering; kept heads prove old history."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import date
from typing import Any
from uuid import UUID

import orjson
import psycopg
import pytest
from psycopg import sql

from planlog.application import NewItem, PlanlogApp
from planlog.audit.chain import (
    GENESIS,
    ChainProjection,
    head,
    links,
    still_contains,
    verify,
)
from planlog.projections.runner import ProjectionRunner, default_projections

Row = tuple[Any, int, str, bytes]  # originator_id, version, topic, state


class RawStore:
    """The event table reached directly, as someone with database access would tamper."""

    def __init__(self, app: PlanlogApp) -> None:
        self.app = app

    def _sqlite(self) -> sqlite3.Connection:
        return sqlite3.connect(str(self.app.store.sqlite_path))

    def _pg(self) -> psycopg.Connection[tuple[Any, ...]]:
        e = self.app.store.env
        return psycopg.connect(
            dbname=e["POSTGRES_DBNAME"],
            host=e["POSTGRES_HOST"],
            port=int(e["POSTGRES_PORT"]),
            user=e["POSTGRES_USER"],
            password=e["POSTGRES_PASSWORD"] or None,
            autocommit=True,
        )

    def _table(self) -> sql.Composed:
        return sql.SQL("{}.{}").format(
            sql.Identifier(str(self.app.store.pg_schema)), sql.Identifier("planlog_events")
        )

    def row(self, position: int) -> Row:
        if self.app.store.kind == "sqlite":
            with closing(self._sqlite()) as db:
                found = db.execute(
                    "SELECT originator_id, originator_version, topic, state FROM stored_events "
                    "WHERE rowid=?",
                    (position,),
                ).fetchone()
        else:
            with self._pg() as db:
                found = db.execute(
                    sql.SQL(
                        "SELECT originator_id, originator_version, topic, state FROM {} "
                        "WHERE notification_id=%s"
                    ).format(self._table()),
                    (position,),
                ).fetchone()
        assert found is not None
        return found[0], int(found[1]), str(found[2]), bytes(found[3])

    def set_state(self, position: int, state: bytes) -> None:
        if self.app.store.kind == "sqlite":
            with closing(self._sqlite()) as db:
                db.execute("UPDATE stored_events SET state=? WHERE rowid=?", (state, position))
                db.commit()
            return
        with self._pg() as db:
            db.execute(
                sql.SQL("UPDATE {} SET state=%s WHERE notification_id=%s").format(self._table()),
                (state, position),
            )

    def delete(self, position: int) -> Row:
        gone = self.row(position)
        if self.app.store.kind == "sqlite":
            with closing(self._sqlite()) as db:
                db.execute("DELETE FROM stored_events WHERE rowid=?", (position,))
                db.commit()
        else:
            with self._pg() as db:
                db.execute(
                    sql.SQL("DELETE FROM {} WHERE notification_id=%s").format(self._table()),
                    (position,),
                )
        return gone

    def insert(self, position: int, row: Row) -> None:
        if self.app.store.kind == "sqlite":
            with closing(self._sqlite()) as db:
                db.execute(
                    "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, "
                    "state) VALUES (?, ?, ?, ?, ?)",
                    (position, *row),
                )
                db.commit()
            return
        with self._pg() as db:
            db.execute(
                sql.SQL(
                    "INSERT INTO {} (notification_id, originator_id, originator_version, topic, "
                    "state) VALUES (%s, %s, %s, %s, %s)"
                ).format(self._table()),
                (position, *row),
            )

    def positions(self) -> dict[str, int]:
        """The position of the first event of each type."""
        found: dict[str, int] = {}
        for n in self.app.recorder.select_notifications(start=1, limit=10_000):
            found.setdefault(n.topic.rpartition(":")[2], n.id)
        return found


def reworded(state: bytes, **changes: Any) -> bytes:
    data = orjson.loads(state)
    data.update(changes)
    return orjson.dumps(data)


def record(app: PlanlogApp, clock: Any, items: int = 3) -> tuple[UUID, list[UUID]]:
    """A plan with a few items, some completed: every event carries a payload worth forging."""
    plan = app.create_plan(org="市总工会", year=2026, title="2026年工作计划", actor="chair")
    ids = []
    for n in range(items):
        item = app.add_item(
            plan.id,
            NewItem(title=f"事项{n}", responsible="李四", dues=[date(2026, 3 + n, 28)]),
            actor="chair",
        )
        ids.append(item.id)
    clock.advance(days=30)
    for item_id in ids[:2]:
        app.complete(item_id, actor="李四", note="已完成")
    return plan.id, ids


def chain_rows(runner: ProjectionRunner) -> list[tuple[int, str]]:
    return links(runner.engine)


def recomputed(app: PlanlogApp) -> list[tuple[int, str]]:
    """The chain as the specification defines it, straight from eventsourcing's notifications."""
    links, prev = [], "0" * 64
    for n in app.recorder.select_notifications(start=1, limit=100_000):
        message = (
            f"{prev}|{n.id}|{n.originator_id}|{n.originator_version}|{n.topic.rpartition(':')[2]}|"
        ).encode() + n.state
        prev = hashlib.sha256(message).hexdigest()
        links.append((n.id, prev))
    return links


@pytest.fixture
def runner(app: PlanlogApp) -> Iterator[ProjectionRunner]:
    # small batches: the link across every batch boundary is exercised
    projection_runner = ProjectionRunner(app, batch_size=4)
    yield projection_runner
    projection_runner.close()


@pytest.fixture
def raw(app: PlanlogApp) -> RawStore:
    return RawStore(app)


def test_the_chain_is_one_of_the_default_projections() -> None:
    assert any(isinstance(p, ChainProjection) for p in default_projections())


def test_an_intact_log_verifies(app: PlanlogApp, clock: Any, runner: ProjectionRunner) -> None:
    record(app, clock)
    runner.catch_up()
    last = runner.head()
    report = verify(app, runner.engine)
    assert report.ok and report.first_bad is None
    assert report.checked == last and report.unchained == 0
    assert report.head == {"position": last, "hash": chain_rows(runner)[-1][1]}
    assert report.to_dict() == {
        "ok": True,
        "checked": last,
        "head": {"position": last, "hash": report.head["hash"]},
        "unchained": 0,
        "first_bad": None,
    }


def test_the_links_follow_the_specified_formula_across_batches(
    app: PlanlogApp, clock: Any, runner: ProjectionRunner
) -> None:
    record(app, clock, items=5)
    runner.catch_up()
    assert chain_rows(runner) == recomputed(app)
    assert recomputed(app)[0][1] != GENESIS


def test_events_after_the_head_are_unchained_not_a_failure(
    app: PlanlogApp, clock: Any, runner: ProjectionRunner
) -> None:
    assert verify(app, runner.engine).to_dict()["head"] is None
    _, ids = record(app, clock)
    runner.catch_up()
    chained = runner.head()
    app.complete(ids[2], actor="李四")
    report = verify(app, runner.engine)
    assert report.ok and report.checked == chained
    assert report.unchained == runner.head() - chained > 0


def test_an_altered_payload_is_named_by_position(
    app: PlanlogApp, clock: Any, runner: ProjectionRunner, raw: RawStore
) -> None:
    record(app, clock)
    runner.catch_up()
    target = raw.positions()["PlanItem.OccurrenceCompleted"]
    originator_id, version, _, state = raw.row(target)
    raw.set_state(target, reworded(state, actor="冒名者"))
    report = verify(app, runner.engine)
    assert not report.ok
    assert report.checked == target - 1
    assert report.first_bad == {
        "position": target,
        "aggregate_id": str(UUID(str(originator_id))),
        "version": version,
        "type": "PlanItem.OccurrenceCompleted",
        "code": "altered",
        "problem": "payload or identity altered",
    }


def test_a_payload_that_is_no_longer_json_is_still_named(
    app: PlanlogApp, clock: Any, runner: ProjectionRunner, raw: RawStore
) -> None:
    record(app, clock)
    runner.catch_up()
    raw.set_state(2, b"\x00 not json")
    first_bad = verify(app, runner.engine).first_bad
    assert first_bad is not None and (first_bad["position"], first_bad["code"]) == (2, "altered")


def test_a_one_byte_change_late_in_the_log_is_caught(
    app: PlanlogApp, clock: Any, runner: ProjectionRunner, raw: RawStore
) -> None:
    record(app, clock)
    runner.catch_up()
    last = runner.head()
    state = raw.row(last)[3]
    raw.set_state(last, state.replace(b"\xe6\x9d\x8e", b"\xe7\x8e\x8b", 1))  # 李 → 王
    assert raw.row(last)[3] != state
    first_bad = verify(app, runner.engine).first_bad
    assert first_bad is not None and first_bad["position"] == last


def test_a_deleted_event_is_caught(
    app: PlanlogApp, clock: Any, runner: ProjectionRunner, raw: RawStore
) -> None:
    record(app, clock)
    runner.catch_up()
    raw.delete(3)
    report = verify(app, runner.engine)
    assert not report.ok and report.checked == 2
    assert report.first_bad == {
        "position": 3,
        "aggregate_id": None,
        "version": None,
        "type": None,
        "code": "missing",
        "problem": "event missing from the log",
    }


def test_deleting_the_last_chained_event_is_caught(
    app: PlanlogApp, clock: Any, runner: ProjectionRunner, raw: RawStore
) -> None:
    record(app, clock)
    runner.catch_up()
    last = runner.head()
    raw.delete(last)
    first_bad = verify(app, runner.engine).first_bad
    assert first_bad is not None and (first_bad["position"], first_bad["code"]) == (last, "missing")


def test_an_event_slipped_into_the_chained_range_is_caught_and_never_chained(
    app: PlanlogApp, clock: Any, runner: ProjectionRunner, raw: RawStore
) -> None:
    record(app, clock)
    hidden = raw.delete(4)  # gone before the chain saw it: a gap the chain skips
    runner.catch_up()
    assert verify(app, runner.engine).ok
    raw.insert(4, hidden)  # …and later slipped back into the history
    report = verify(app, runner.engine)
    assert report.first_bad is not None
    assert (report.first_bad["position"], report.first_bad["code"]) == (4, "inserted")
    before = chain_rows(runner)
    runner.rebuild()
    assert chain_rows(runner) == before
    assert verify(app, runner.engine).first_bad == report.first_bad


def test_a_rebuild_after_tampering_does_not_bless_it(
    app: PlanlogApp, clock: Any, runner: ProjectionRunner, raw: RawStore
) -> None:
    record(app, clock)
    runner.catch_up()
    before = chain_rows(runner)
    target = raw.positions()["PlanItem.Planned"]
    raw.set_state(target, reworded(raw.row(target)[3], title="从未计划的事项"))
    runner.rebuild()
    runner.rebuild(["audit_chain"])
    assert chain_rows(runner) == before
    first_bad = verify(app, runner.engine).first_bad
    assert first_bad is not None and first_bad["position"] == target


def test_a_rebuild_of_an_intact_log_keeps_the_same_chain(
    app: PlanlogApp, clock: Any, runner: ProjectionRunner
) -> None:
    record(app, clock)
    runner.catch_up()
    before = chain_rows(runner)
    runner.rebuild()
    assert chain_rows(runner) == before
    assert verify(app, runner.engine).ok


def test_a_chain_stored_a_link_per_row_is_repacked_unchanged(
    app: PlanlogApp, clock: Any, runner: ProjectionRunner
) -> None:
    record(app, clock)
    runner.catch_up()
    before = chain_rows(runner)
    with runner.engine.begin() as conn:  # the layout planlog wrote before blocks
        conn.exec_driver_sql("DROP TABLE audit_chain")
        conn.exec_driver_sql("CREATE TABLE audit_chain (position INTEGER PRIMARY KEY, hash TEXT)")
        for position, digest in before:
            conn.exec_driver_sql(f"INSERT INTO audit_chain VALUES ({position}, '{digest}')")
    upgraded = ProjectionRunner(app)
    assert chain_rows(upgraded) == before
    assert verify(app, upgraded.engine).ok
    upgraded.close()


def test_a_kept_head_proves_the_history_only_grew(
    app: PlanlogApp, clock: Any, runner: ProjectionRunner, raw: RawStore
) -> None:
    plan_id, ids = record(app, clock)
    runner.catch_up()
    kept = head(runner.engine)
    assert kept is not None
    app.complete(ids[2], actor="李四")
    app.add_item(plan_id, NewItem(title="新增事项", dues=[date(2026, 11, 30)]), actor="chair")
    runner.catch_up()
    newer = head(runner.engine)
    assert newer is not None and newer["position"] > kept["position"]
    assert still_contains(app, runner.engine, kept["position"], kept["hash"])
    assert still_contains(app, runner.engine, kept["position"], kept["hash"].upper())
    assert not still_contains(app, runner.engine, kept["position"], newer["hash"])
    assert not still_contains(app, runner.engine, kept["position"] - 1, kept["hash"])
    assert not still_contains(app, runner.engine, newer["position"] + 5, newer["hash"])

    # tampering after the kept head leaves the history up to it intact …
    last = newer["position"]
    raw.set_state(last, reworded(raw.row(last)[3], actor="冒名者"))
    assert still_contains(app, runner.engine, kept["position"], kept["hash"])
    assert not still_contains(app, runner.engine, last, newer["hash"])
    # … tampering before it does not
    raw.set_state(2, reworded(raw.row(2)[3], actor="冒名者"))
    assert not still_contains(app, runner.engine, kept["position"], kept["hash"])


def test_a_kept_head_is_not_proved_by_a_deleted_event(
    app: PlanlogApp, clock: Any, runner: ProjectionRunner, raw: RawStore
) -> None:
    record(app, clock)
    runner.catch_up()
    kept = head(runner.engine)
    assert kept is not None
    raw.delete(1)
    assert not still_contains(app, runner.engine, kept["position"], kept["hash"])


def test_links_appended_while_verifying_are_not_taken_for_missing_events(
    app: PlanlogApp, clock: Any, runner: ProjectionRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    import planlog.audit.chain as chain

    record(app, clock)
    runner.catch_up()
    links = chain_rows(runner)
    # verify() saw the head at #3; another runner chained the rest before the walk read them
    monkeypatch.setattr(chain, "head", lambda engine: {"position": 3, "hash": links[2][1]})
    report = verify(app, runner.engine)
    assert report.ok and report.checked == 3 and report.unchained == len(links) - 3
