"""Stored events as projections read them: decoded once, straight from the notification rows.

Projections do not rebuild domain objects: they read each event's JSON payload
with orjson. That is what lets a full rebuild keep up with a raw read of the
table (see bench/rebuild_rate.py). Payloads of older event versions are read
with `.get()` defaults rather than upcast, so a projection must treat fields added
later (such as `PlanItem.Planned.source`) as optional.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, NamedTuple
from uuid import UUID

import orjson
from eventsourcing.persistence import ApplicationRecorder
from sqlalchemy import Integer, TextualSelect, text
from sqlalchemy import column as sql_column
from sqlalchemy.engine import Connection

from planlog.store import StoreSettings


class Change(NamedTuple):
    """One recorded event. Immutable as a tuple: a frozen dataclass cost more to build
    than decoding the event's JSON did."""

    position: int  # the notification id: the event's place in the whole log
    aggregate_id: str
    version: int
    type: str  # "PlanItem.OccurrenceCompleted", "Plan.Created", …
    recorded_at: str  # ISO 8601, UTC
    data: dict[str, Any]
    raw: bytes  # the stored payload exactly as recorded (a reference, not a copy)

    @property
    def actor(self) -> str | None:
        actor = self.data.get("actor")
        return str(actor) if actor is not None else None


def aggregate_id_text(value: UUID | str) -> str:
    """An aggregate id as dashed text, whichever form the recorder stored it in."""
    if isinstance(value, UUID):
        return str(value)
    if len(value) == 32:  # the SQLite recorder stores UUIDs as 32 hex digits
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return value


_TYPES: dict[str, str] = {}

#: where eventsourcing keeps planlog's log: its SQLite factory always names the table
#: `stored_events`, its PostgreSQL factory after the application (`PlanlogApp.name`)
EVENTS_TABLES = {"sqlite": "stored_events", "postgresql": "planlog_events"}


class _Decoder:
    """Turns stored rows into Changes.

    Remembers each aggregate's dashed id: a log holds many events per aggregate,
    and re-formatting the id of every event cost a fifth of a rebuild's read.
    """

    _LIMIT = 200_000  # ids remembered before the cache starts afresh (bounded memory)

    def __init__(self) -> None:
        self._ids: dict[object, str] = {}

    def __call__(
        self, position: int, originator_id: UUID | str, version: int, topic: str, state: bytes
    ) -> Change:
        data = orjson.loads(state)
        stamp = data.pop("timestamp")
        kind = _TYPES.get(topic)
        if kind is None:
            kind = _TYPES[topic] = topic.rpartition(":")[2]
        aggregate_id = self._ids.get(originator_id)
        if aggregate_id is None:
            if len(self._ids) >= self._LIMIT:
                self._ids.clear()
            aggregate_id = self._ids[originator_id] = aggregate_id_text(originator_id)
        return Change(
            position,
            aggregate_id,
            version,
            kind,
            stamp["_data_"] if type(stamp) is dict else str(stamp),
            data,
            state,
        )


#: position, originator id (as the recorder stores it), version, topic, payload
StoredRow = tuple[int, UUID | str, int, str, bytes]


class ChangeReader:
    """Reads batches of the log after a position, as Changes.

    On SQLite it reads the recorder's table with its own sqlite3 connection:
    eventsourcing's `select_notifications` builds a Notification and a UUID per
    row, which cost more than reading and decoding the row itself.
    """

    def __init__(self, recorder: ApplicationRecorder, store: StoreSettings) -> None:
        self.recorder = recorder
        self._decode = _Decoder()
        self._sqlite: sqlite3.Connection | None = None
        if store.kind == "sqlite":
            self._sqlite = sqlite3.connect(str(store.sqlite_path), check_same_thread=False)
            table = getattr(recorder, "events_table_name", EVENTS_TABLES["sqlite"])
            self._select = (
                f"SELECT rowid, originator_id, originator_version, topic, state FROM {table} "
                "WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?"
            )

    def read(self, after: int, stop: int, limit: int) -> list[Change]:
        decode = self._decode
        return [decode(*row) for row in self.rows(after, stop, limit)]

    def rows(self, after: int, stop: int, limit: int) -> list[StoredRow]:
        """The stored rows with `after` < position <= `stop`, undecoded, in order."""
        if self._sqlite is not None:
            return self._sqlite.execute(self._select, (after, stop, limit)).fetchall()
        notifications = self.recorder.select_notifications(
            start=after, limit=limit, stop=stop, inclusive_of_start=False
        )
        return [
            (n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in notifications
        ]

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None


def changes_at(conn: Connection, positions: Sequence[int]) -> dict[int, Change]:
    """The recorded events at these positions, read through a read-model connection.

    Read models live in the same SQLite file or PostgreSQL schema as the log, so a
    query can fetch the few events it shows instead of copying every payload into
    its own table.
    """
    table, column = _log_table(conn)
    decode = _Decoder()
    found: dict[int, Change] = {}
    for start in range(0, len(positions), _CHUNK):
        chunk = [int(p) for p in positions[start : start + _CHUNK]]
        marks = ", ".join(str(p) for p in chunk)  # ints only: safe to inline
        rows = conn.exec_driver_sql(
            f"SELECT {column}, originator_id, originator_version, topic, state "
            f"FROM {table} WHERE {column} IN ({marks})"
        )
        for row in rows:
            change = decode(int(row[0]), row[1], int(row[2]), str(row[3]), bytes(row[4]))
            found[change.position] = change
    return found


_CHUNK = 500


def positions_of(conn: Connection, aggregate_id: str) -> TextualSelect:
    """The positions of one aggregate's events, found by the log's own index."""
    table, column = _log_table(conn)
    if conn.dialect.name == "sqlite":  # the SQLite recorder stores ids as 32 hex digits
        match, key = ":id", UUID(aggregate_id).hex
    else:
        match, key = "CAST(:id AS uuid)", aggregate_id
    query = text(f"SELECT {column} FROM {table} WHERE originator_id = {match}")
    return query.bindparams(id=key).columns(sql_column(column, Integer))


def _log_table(conn: Connection) -> tuple[str, str]:
    """The log's table and its position column, as a read-model connection sees them."""
    dialect = conn.dialect.name
    return EVENTS_TABLES[dialect], "rowid" if dialect == "sqlite" else "notification_id"
