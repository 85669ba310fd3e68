"""Copy the event log row for row: out of a store (a consistent snapshot) and into an
empty one, keeping each event's position, originator id, version, topic and stored bytes.

`planlog backup`, `restore` and `migrate` all go through here. The rows are read inside
one read transaction (SQLite) or one REPEATABLE READ snapshot (PostgreSQL), so a server
writing meanwhile cannot give a copy with a hole; they are written in one transaction
with their positions given explicitly, so the copy's audit chain links the same
positions as the original's (eventsourcing's recorders would number them afresh, and a
PostgreSQL log has gaps where a refused write took a number). The recorded time is part
of the stored bytes, so it travels unchanged.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from hashlib import sha256
from typing import Any
from uuid import UUID

from psycopg import IsolationLevel

from planlog.domain.errors import PlanlogError
from planlog.projections.changes import EVENTS_TABLES
from planlog.service.store import StoreSettings, pg_connect

BATCH = 5_000

#: position, originator id (a UUID), version, topic, stored bytes
Row = tuple[int, UUID, int, str, bytes]


class TargetNotEmpty(PlanlogError):
    code = "target_not_empty"


class CopyMismatch(PlanlogError):
    code = "copy_mismatch"


def _uuid(stored: Any) -> UUID:
    return stored if isinstance(stored, UUID) else UUID(str(stored))


def _pg_table(store: StoreSettings) -> str:
    return f'"{store.pg_schema or "public"}"."{EVENTS_TABLES["postgresql"]}"'


@contextmanager
def snapshot(store: StoreSettings, batch: int = BATCH) -> Iterator[Iterator[list[Row]]]:
    """The whole log as batches of rows in position order, read from one snapshot."""
    if store.kind == "sqlite":
        conn = sqlite3.connect(str(store.sqlite_path), isolation_level=None)
        try:
            conn.execute("BEGIN")  # a read transaction: later commits stay unseen
            yield _sqlite_batches(conn, batch)
        finally:
            conn.rollback() if conn.in_transaction else None
            conn.close()
        return
    with pg_connect(store) as pg:
        pg.autocommit = False
        pg.isolation_level = IsolationLevel.REPEATABLE_READ
        pg.read_only = True
        try:
            yield _pg_batches(pg, store, batch)
        finally:
            pg.rollback()


def _sqlite_batches(conn: sqlite3.Connection, size: int) -> Iterator[list[Row]]:
    table = EVENTS_TABLES["sqlite"]
    query = (
        f"SELECT rowid, originator_id, originator_version, topic, state FROM {table} "
        "WHERE rowid > ? ORDER BY rowid LIMIT ?"
    )
    after = 0
    while True:
        rows = conn.execute(query, (after, size)).fetchall()
        if not rows:
            return
        yield [(int(p), _uuid(i), int(v), str(t), bytes(s)) for p, i, v, t, s in rows]
        after = int(rows[-1][0])


def _pg_batches(pg: Any, store: StoreSettings, size: int) -> Iterator[list[Row]]:
    query = (
        "SELECT notification_id, originator_id, originator_version, topic, state "
        f"FROM {_pg_table(store)} ORDER BY notification_id"
    )
    with pg.cursor(name="planlog_copy") as cursor:  # server-side: bounded memory
        cursor.itersize = size
        cursor.execute(query)
        while rows := cursor.fetchmany(size):
            yield [(int(p), _uuid(i), int(v), str(t), bytes(s)) for p, i, v, t, s in rows]


class Digest:
    """What two copies of a log must agree on, whichever store holds them: every row's
    position, id (as a UUID), version, topic and bytes, in order."""

    def __init__(self) -> None:
        self._hash = sha256()
        self.events = 0
        self.last_position = 0

    def add(self, rows: Sequence[Row]) -> None:
        update = self._hash.update
        for position, originator_id, version, topic, state in rows:
            topic_bytes = topic.encode()
            update(
                b"%d|%b|%d|%d:%b|%d:"
                % (
                    position,
                    originator_id.bytes,
                    version,
                    len(topic_bytes),
                    topic_bytes,
                    len(state),
                )
            )
            update(state)
        self.events += len(rows)
        if rows:
            self.last_position = rows[-1][0]

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def write(store: StoreSettings, batches: Iterable[Sequence[Row]]) -> Digest:
    """Write every row into the store's (existing, empty) log in one transaction; refuse a
    store that holds any event. Returns the digest of what was written."""
    if store.kind == "sqlite":
        return _write_sqlite(store, batches)
    return _write_pg(store, batches)


def _refuse_not_empty(store: StoreSettings, count: int) -> TargetNotEmpty:
    return TargetNotEmpty(
        f"目标库 {store.display} 已有 {count} 个事件，只能写入空库"
        f"（the target store {store.display} already holds {count} events: "
        "restore and migrate write only into an empty store）",
        events=count,
    )


def _write_sqlite(store: StoreSettings, batches: Iterable[Sequence[Row]]) -> Digest:
    table = EVENTS_TABLES["sqlite"]
    digest = Digest()
    conn = sqlite3.connect(str(store.sqlite_path), isolation_level=None, timeout=30)
    try:
        conn.execute("BEGIN IMMEDIATE")  # the write lock first: no writer slips in between
        (count,) = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
        if count:
            raise _refuse_not_empty(store, int(count))
        insert = (
            f"INSERT INTO {table} (rowid, originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?, ?)"
        )
        for rows in batches:
            # the SQLite recorder keeps ids as 32 hex digits
            conn.executemany(insert, [(p, i.hex, v, t, s) for p, i, v, t, s in rows])
            digest.add(rows)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()
    return digest


def _write_pg(store: StoreSettings, batches: Iterable[Sequence[Row]]) -> Digest:
    table = _pg_table(store)
    digest = Digest()
    with pg_connect(store) as pg, pg.transaction():
        pg.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        row = pg.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
        count = int(row[0]) if row else 0
        if count:
            raise _refuse_not_empty(store, count)
        columns = "notification_id, originator_id, originator_version, topic, state"
        with pg.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for rows in batches:
                for r in rows:
                    copy.write_row(r)
                digest.add(rows)
        # the next write after the copy continues after its last position
        pg.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'notification_id'), %s, %s)",
            (table, max(digest.last_position, 1), digest.last_position > 0),
        )
        pg.execute(f'NOTIFY "{EVENTS_TABLES["postgresql"]}"')
    return digest


def read_digest(store: StoreSettings) -> Digest:
    digest = Digest()
    with snapshot(store) as batches:
        for rows in batches:
            digest.add(rows)
    return digest


@dataclass(frozen=True)
class Copied:
    events: int
    last_position: int
    digest: str


def copy_log(source: StoreSettings, target: StoreSettings) -> Copied:
    """Copy one store's log into another, then read the target back and compare."""
    with snapshot(source) as batches:
        written = write(target, batches)
    again = read_digest(target)
    if again.hexdigest() != written.hexdigest() or again.events != written.events:
        raise CopyMismatch(
            f"复制后的日志与原日志不一致（the copied log differs from the original: "
            f"{again.events} events read back, {written.events} written）"
        )
    return Copied(written.events, written.last_position, written.hexdigest())
