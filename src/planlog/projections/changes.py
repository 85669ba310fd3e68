"""Stored events as projections read them: decoded once, straight from the notification rows.

Projections do not rebuild domain objects: they read each event's JSON payload
with orjson. That is what lets a full rebuild keep up with a raw read of the
table (see bench/rebuild_rate.py). Payloads of older event versions are read
with `.get()` defaults rather than upcast, so a projection must treat fields added
later (such as `PlanItem.Planned.source`) as optional.

A payload that is not strict JSON (eventsourcing wrote a NaN as the bare token `NaN`
before planlog refused such values) does not stop the read: its Change carries an
`UnreadablePayload` that fails on use, so each projection that reads it quarantines
that one event (`planlog.projections.quarantine`) and the others go on. An upcaster
registered in `UPCASTERS` reads such payloads instead, without editing the log.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple
from uuid import UUID

import orjson
from eventsourcing.persistence import ApplicationRecorder
from sqlalchemy import Integer, TextualSelect, text
from sqlalchemy import column as sql_column
from sqlalchemy.engine import Connection

from planlog.projections.bulk import chunks
from planlog.service.store import StoreSettings, pg_connect


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
    #: the originator id and topic exactly as stored, for the audit chain: `aggregate_id`
    #: and `type` are normalised, and a rewritten stored form must not hash the same
    stored_id: UUID | str = ""
    topic: str = ""

    @property
    def actor(self) -> str | None:
        actor = self.data.get("actor")
        return str(actor) if actor is not None else None


def aggregate_id_text(value: UUID | str) -> str:
    """An aggregate id as dashed text, whichever form the recorder stored it in."""
    if isinstance(value, UUID):
        return str(value)
    if not isinstance(value, str):  # only a tampered SQLite row holds anything else
        return str(value)
    if len(value) == 32:  # the SQLite recorder stores UUIDs as 32 hex digits
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return value


#: where eventsourcing keeps planlog's log: its SQLite factory always names the table
#: `stored_events`, its PostgreSQL factory after the application (`PlanlogApp.name`)
EVENTS_TABLES = {"sqlite": "stored_events", "postgresql": "planlog_events"}

#: position, originator id (as the recorder stores it), version, topic, payload
StoredRow = tuple[int, UUID | str, int, str, bytes]

PayloadFilter = Callable[[str], bool]  # event type → is its payload read?


def every_payload(event_type: str) -> bool:
    return True


class PayloadNotDecoded(LookupError):
    """A projection read a payload it did not declare: a bug, never an event's fault."""


class UnreadPayload(dict[str, Any]):
    """The payload of an event whose type no projection of the reader reads: not decoded.

    Every use of it fails loudly, so a projection that reads a payload it did not
    declare (`ReadModel.reads_payload`) breaks its tests instead of seeing an empty
    event; and nothing can be stored in it, as one instance stands for all of them.
    """

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        field = f" field {args[0]!r}" if args and isinstance(args[0], str) else ""
        raise PayloadNotDecoded(
            f"payload{field} was not decoded: declare the event type in reads_payload"
        )

    __missing__ = __contains__ = __iter__ = __len__ = __setitem__ = __delitem__ = _refuse
    get = pop = popitem = setdefault = update = clear = copy = keys = items = values = _refuse


UNREAD = UnreadPayload()


class PayloadError(ValueError):
    """An event's payload is not what a projection reads: unreadable, a field missing or
    of another type. The event's fault, never the code's: only this (and a value the
    database refuses) quarantines an event (`planlog.projections.quarantine`)."""


class PayloadUnreadable(PayloadError):
    """The stored payload of an event could not be read as JSON (or lacks its time)."""


class UnreadablePayload(dict[str, Any]):
    """The payload of an event that could not be decoded: every use raises
    `PayloadUnreadable` naming why, so only the projections that read it fail, on
    this one event, and quarantine it."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise PayloadUnreadable(f"stored payload is unreadable: {self.reason}")

    __missing__ = __contains__ = __iter__ = __len__ = __setitem__ = __delitem__ = _refuse
    get = pop = popitem = setdefault = update = clear = copy = keys = items = values = _refuse


#: Event type → how to read its stored payload (the raw bytes) instead of strict JSON,
#: including its "timestamp" field. An administrator's repair for events recorded before
#: planlog refused what they hold: register one, then `planlog projections retry`; the
#: log itself is never edited. For example, a NaN target value read as no value:
#: ``UPCASTERS["PlanItem.ProgressReported"] = lambda raw: json.loads(``
#: ``    raw, parse_constant=lambda _: None)``
Upcaster = Callable[[bytes], dict[str, Any]]
UPCASTERS: dict[str, Upcaster] = {}

#: eventsourcing's mapper writes an event's fields in declaration order, the first left
#: after the originator's id and version being the timestamp, and its JSON transcoder
#: writes a datetime thus (no spaces); a payload written otherwise is decoded in full
_STAMP_PREFIX = b'{"timestamp":{"_type_":"datetime_iso","_data_":"'
_STAMP_AT = len(_STAMP_PREFIX)


class _Decoder:
    """Turns stored rows into Changes.

    Remembers each aggregate's dashed id (a log holds many events per aggregate, and
    re-formatting the id of every event cost a fifth of a rebuild's read) and each
    topic's type. Payloads no projection reads are not decoded: the recorded time is
    then sliced from where eventsourcing writes it (`_STAMP_PREFIX`), which costs a
    tenth of decoding the payload (bench/rebuild_rate.py).
    """

    _LIMIT = 200_000  # ids remembered before the cache starts afresh (bounded memory)

    def __init__(
        self, reads_payload: PayloadFilter = every_payload, *, shown: bool = False
    ) -> None:
        self._ids: dict[object, str] = {}
        self._topics: dict[str, tuple[str, bool]] = {}
        self._reads_payload = reads_payload
        #: for showing events (not projecting them): read what can be read of a payload
        #: strict JSON refuses, rather than fail the page that shows it
        self._shown = shown

    def __call__(self, rows: Iterable[StoredRow]) -> list[Change]:
        ids, topics, loads, new = self._ids, self._topics, orjson.loads, tuple.__new__
        upcasters = UPCASTERS
        changes = []
        for position, originator_id, version, topic, state in rows:
            # A UUID hashes and compares in Python code, its int in C: keyed by the int,
            # a rebuild's lane read the log a tenth faster. A store's ids are all UUIDs
            # (PostgreSQL) or all text (SQLite), so an int key never meets a text one.
            key = originator_id.int if type(originator_id) is UUID else originator_id
            aggregate_id = ids.get(key)
            if aggregate_id is None:
                if len(ids) >= self._LIMIT:
                    ids.clear()
                aggregate_id = ids[key] = aggregate_id_text(originator_id)
            known = topics.get(topic)
            if known is None:
                kind = topic.rpartition(":")[2]
                known = topics[topic] = (kind, self._reads_payload(kind))
            kind, decode = known
            try:
                if not decode and type(state) is bytes and state.startswith(_STAMP_PREFIX):
                    stamp: Any = state[_STAMP_AT : state.index(b'"', _STAMP_AT)].decode()
                    data: dict[str, Any] = UNREAD
                else:
                    data = (upcasters[kind] if upcasters and kind in upcasters else loads)(state)
                    stamp = data.pop("timestamp")
                    stamp = stamp["_data_"] if type(stamp) is dict else str(stamp)
            except Exception as error:  # no payload may stop the read of the others
                data, stamp = self._unreadable(state, error)
            # tuple.__new__ skips the NamedTuple's Python-level constructor
            row = (position, aggregate_id, version, kind, stamp, data, state, originator_id, topic)
            changes.append(new(Change, row))
        return changes

    def _unreadable(self, state: Any, error: Exception) -> tuple[dict[str, Any], str]:
        stamp = _sliced_stamp(state)
        if self._shown:
            try:
                # The stdlib reader takes NaN and Infinity; shown as the words recorded.
                data = json.loads(state, parse_constant=str)
                if type(data) is dict:
                    data.pop("timestamp", None)
                    return data, stamp
            except Exception:  # not JSON at all: shown without its details
                pass
            return {}, stamp
        return UnreadablePayload(f"{type(error).__name__}: {error}"), stamp


def _sliced_stamp(state: Any) -> str:
    """The recorded time where eventsourcing writes it, or "" if the payload does not
    have it there (the projections that need it then quarantine the event)."""
    if type(state) is bytes and state.startswith(_STAMP_PREFIX):
        end = state.find(b'"', _STAMP_AT)
        if end > 0:
            return state[_STAMP_AT:end].decode(errors="replace")
    return ""


class ChangeReader:
    """Reads batches of the log after a position, as Changes.

    On SQLite it reads the recorder's table with its own sqlite3 connection:
    eventsourcing's `select_notifications` builds a Notification and a UUID per
    row, which cost more than reading and decoding the row itself.
    """

    def __init__(
        self,
        recorder: ApplicationRecorder,
        store: StoreSettings,
        reads_payload: PayloadFilter = every_payload,
    ) -> None:
        self.recorder = recorder
        self._decode = _Decoder(reads_payload)
        self._sqlite: sqlite3.Connection | None = None
        self._postgres: _PostgresLog | None = None
        if store.kind == "postgresql":
            self._postgres = _PostgresLog(recorder, store)
        if store.kind == "sqlite":
            self._sqlite = sqlite3.connect(str(store.sqlite_path), check_same_thread=False)
            table = getattr(recorder, "events_table_name", EVENTS_TABLES["sqlite"])
            self._select = (
                f"SELECT rowid, originator_id, originator_version, topic, state FROM {table} "
                "WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?"
            )

    def read(self, after: int, stop: int, limit: int) -> list[Change]:
        return self._decode(self.rows(after, stop, limit))

    def rows(self, after: int, stop: int, limit: int) -> list[StoredRow]:
        """The first stored rows with `after` < position <= `stop` (at most `limit`),
        undecoded, in order.

        Read as a range of `limit` positions of the primary key, never as "all after
        `after`, the first `limit`": with stale planner statistics PostgreSQL planned
        the open-ended form as a scan of the rest of the log, and a rebuild slowed down
        more than twofold. A range of positions with no rows (positions a rolled-back
        write used up) moves on to the next range.
        """
        while after < stop:
            upper = min(stop, after + limit)
            if self._sqlite is not None:
                found = self._sqlite.execute(self._select, (after, upper, limit)).fetchall()
            elif self._postgres is not None:
                found = self._postgres.rows(after, upper)
            else:
                notifications = self.recorder.select_notifications(
                    start=after, limit=limit, stop=upper, inclusive_of_start=False
                )
                found = [
                    (n.id, n.originator_id, n.originator_version, n.topic, n.state)
                    for n in notifications
                ]
            if found:
                return found
            if upper < stop:  # a gap, or the end of the log: look no further than its end
                stop = min(stop, int(self.recorder.max_notification_id() or 0))
            after = upper
        return []

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
        if self._postgres is not None:
            self._postgres.close()


class _PostgresLog:
    """Reads ranges of PostgreSQL's log on a connection of its own.

    eventsourcing's `select_notifications` builds a Notification per row from rows read
    in text form (bytea as hex): five times slower than these binary reads
    (bench/rebuild_rate.py). And its "ORDER BY … LIMIT" is planned from the table's
    statistics: stale ones made a rebuild read the log by bitmap scans and sorts on
    disk, and took twice as long (issue 17). Here the read is a range of positions with
    no LIMIT, on a session that may not scan the table or sort it, so the plan is the
    position index's range scan whatever the statistics say.
    """

    #: session settings that leave the planner the position index only
    PLAN = ("SET enable_seqscan = off", "SET enable_bitmapscan = off", "SET enable_sort = off")

    def __init__(self, recorder: ApplicationRecorder, store: StoreSettings) -> None:
        from psycopg import sql

        self._store = store
        self._conn: Any = None
        self._pid = 0
        schema = getattr(getattr(recorder, "datastore", None), "schema", None) or "public"
        table = getattr(recorder, "events_table_name", EVENTS_TABLES["postgresql"])
        self._select = sql.SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {}.{} WHERE notification_id > %s AND notification_id <= %s "
            "ORDER BY notification_id"
        ).format(sql.Identifier(schema), sql.Identifier(table))

    def rows(self, after: int, upper: int) -> list[StoredRow]:
        import psycopg

        try:
            return self._read(after, upper)
        except psycopg.OperationalError:
            self.close()  # a dropped connection: once more, on a new one
            return self._read(after, upper)

    def _read(self, after: int, upper: int) -> list[StoredRow]:
        with self._connection().cursor(binary=True) as cursor:
            cursor.execute(self._select, (after, upper))
            return cursor.fetchall()  # type: ignore[no-any-return]

    def _connection(self) -> Any:
        # A forked rebuild lane must not share its parent's socket: it opens its own.
        if self._conn is None or self._conn.closed or self._pid != os.getpid():
            self._conn = pg_connect(self._store)
            self._pid = os.getpid()
            for setting in self.PLAN:
                self._conn.execute(setting)
        return self._conn

    def close(self) -> None:
        if self._conn is not None and self._pid == os.getpid():
            self._conn.close()
        self._conn = None


def changes_at(conn: Connection, positions: Sequence[int]) -> dict[int, Change]:
    """The recorded events at these positions, read through a read-model connection.

    Read models live in the same SQLite file or PostgreSQL schema as the log, so a
    query can fetch the few events it shows instead of copying every payload into
    its own table.
    """
    table, column = _log_table(conn)
    decode = _Decoder(shown=True)
    found: dict[int, Change] = {}
    for chunk in chunks([int(p) for p in positions]):
        marks = ", ".join(str(p) for p in chunk)  # ints only: safe to inline
        rows = conn.exec_driver_sql(
            f"SELECT {column}, originator_id, originator_version, topic, state "
            f"FROM {table} WHERE {column} IN ({marks})"
        )
        stored = [(int(r[0]), r[1], int(r[2]), str(r[3]), bytes(r[4])) for r in rows]
        found.update((change.position, change) for change in decode(stored))
    return found


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
