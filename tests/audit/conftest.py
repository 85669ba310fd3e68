"""What the audit tests share: the stored rows reached directly, as someone with database
access would tamper with them, and a runner with small batches."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import psycopg
import pytest
from psycopg import sql

from planlog.projections.runner import ReadModelRunner
from planlog.service.app import PlanlogApp
from planlog.service.store import pg_connect

Row = tuple[Any, int, str, bytes]  # originator_id, version, topic, state
StoredRow = tuple[int, Any, int, str, bytes]  # position first


class RawStore:
    """The event table reached directly, as someone with database access would tamper."""

    def __init__(self, app: PlanlogApp) -> None:
        self.app = app
        self.sqlite = app.store.kind == "sqlite"

    def _sqlite(self) -> sqlite3.Connection:
        return sqlite3.connect(str(self.app.store.sqlite_path))

    def _pg(self) -> psycopg.Connection[tuple[Any, ...]]:
        return pg_connect(self.app.store)

    def _table(self) -> sql.Composed:
        return sql.SQL("{}.{}").format(
            sql.Identifier(str(self.app.store.pg_schema)), sql.Identifier("planlog_events")
        )

    def execute(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """A statement on the log's table, written `{events}` and `{pos}` (its position
        column) with %s placeholders, run on the store as it is."""
        if self.sqlite:
            text = statement.format(events="stored_events", pos="rowid").replace("%s", "?")
            with closing(self._sqlite()) as db:
                rows = db.execute(text, params).fetchall()
                db.commit()
            return rows
        query = sql.SQL(statement.replace("{events}", "{}").replace("{pos}", "notification_id"))
        with self._pg() as db:
            cursor = db.execute(query.format(self._table()), params)
            return cursor.fetchall() if cursor.description else []

    def rows(self) -> list[StoredRow]:
        found = self.execute(
            "SELECT {pos}, originator_id, originator_version, topic, state FROM {events} "
            "ORDER BY {pos}"
        )
        return [(int(p), o, int(v), str(t), bytes(s)) for p, o, v, t, s in found]

    def row(self, position: int) -> Row:
        found = self.execute(
            "SELECT originator_id, originator_version, topic, state FROM {events} WHERE {pos}=%s",
            (position,),
        )
        assert found, f"no event #{position}"
        o, v, t, s = found[0]
        return o, int(v), str(t), bytes(s)

    def set_state(self, position: int, state: bytes) -> None:
        self.execute("UPDATE {events} SET state=%s WHERE {pos}=%s", (state, position))

    def set_id(self, position: int, stored_id: Any) -> None:
        self.execute("UPDATE {events} SET originator_id=%s WHERE {pos}=%s", (stored_id, position))

    def set_topic(self, position: int, topic: str) -> None:
        self.execute("UPDATE {events} SET topic=%s WHERE {pos}=%s", (topic, position))

    def delete(self, position: int) -> Row:
        gone = self.row(position)
        self.execute("DELETE FROM {events} WHERE {pos}=%s", (position,))
        return gone

    def insert(self, position: int, row: Row) -> None:
        self.execute(
            "INSERT INTO {events} ({pos}, originator_id, originator_version, topic, state) "
            "VALUES (%s, %s, %s, %s, %s)",
            (position, *row),
        )

    def cut_chain(self, runner: ReadModelRunner, after: int, *, tracked: int | None = None) -> None:
        """Delete the chain's blocks past `after`; and, like a thorough forger, move the
        chain's tracking position to `tracked` too."""
        with runner.engine.begin() as conn:
            conn.exec_driver_sql(f"DELETE FROM audit_chain WHERE last_position > {int(after)}")
            if tracked is not None:
                conn.exec_driver_sql(
                    f"UPDATE projection_tracking SET position = {int(tracked)} "
                    "WHERE name = 'audit_chain'"
                )

    def positions(self) -> dict[str, int]:
        """The position of the first event of each type."""
        found: dict[str, int] = {}
        for n in self.app.recorder.select_notifications(start=1, limit=10_000):
            found.setdefault(n.topic.rpartition(":")[2], n.id)
        return found


@pytest.fixture
def runner(app: PlanlogApp) -> Iterator[ReadModelRunner]:
    # small batches: the link across every batch boundary is exercised
    projection_runner = ReadModelRunner(app, batch_size=4)
    yield projection_runner
    projection_runner.close()


@pytest.fixture
def raw(app: PlanlogApp) -> RawStore:
    return RawStore(app)


@pytest.fixture
def raw_store() -> type[RawStore]:
    """RawStore itself, for a test that opens its own application on one store."""
    return RawStore
