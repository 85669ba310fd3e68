"""Events a projection could not apply: recorded, shown, retried or released — never edited.

An event is immutable, so one a projection cannot apply (a payload that is not JSON,
a text PostgreSQL refuses, a field the code did not expect) would otherwise stop that
read model — and every request that catches the read models up — for ever. The
runner instead records the event here, moves past it and goes on with every other
event; an administrator repairs it afterwards with a compensating event, an upcaster
(`planlog.projections.changes.UPCASTERS`) or a code fix, then `retry`, or accepts that
it stays unapplied with `release`.

Later events of the same aggregate are held back behind a quarantined one (recorded
here with `held_behind`), so that a retry applies them in their recorded order: an
item's row is never folded from its events out of order.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Index, Integer, String, Table, Text, and_, func, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from planlog.domain.values import BAD_CHARACTERS
from planlog.projections.base import metadata
from planlog.projections.bulk import chunks
from planlog.projections.changes import Change, PayloadError

projection_quarantine = Table(
    "projection_quarantine",
    metadata,
    Column("projection", String(64), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("aggregate_id", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("error", Text, nullable=False),
    #: the earlier quarantined event of the same aggregate this one waits for (None:
    #: this event itself could not be applied)
    Column("held_behind", Integer),
    Column("first_seen", String(40), nullable=False),
    Column("last_tried", String(40), nullable=False),
    Column("attempts", Integer, nullable=False),
    #: set when an administrator accepts that the event stays unapplied
    Column("released_at", String(40)),
    Column("released_by", Text),
    Column("release_reason", Text),
    Index("ix_projection_quarantine_aggregate", "projection", "aggregate_id"),
)

QUARANTINED, HELD, RELEASED = "quarantined", "held", "released"
ERROR_MAX = 1_000  # characters of an error kept: enough to name the problem


@dataclass(frozen=True)
class QuarantinedEvent:
    projection: str
    position: int
    aggregate_id: str
    version: int
    type: str
    error: str
    held_behind: int | None
    first_seen: str
    last_tried: str
    attempts: int
    released_at: str | None
    released_by: str | None
    release_reason: str | None

    @property
    def status(self) -> str:
        if self.released_at is not None:
            return RELEASED
        return HELD if self.held_behind is not None else QUARANTINED

    @property
    def open(self) -> bool:
        return self.released_at is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "projection": self.projection,
            "position": self.position,
            "aggregate_id": self.aggregate_id,
            "version": self.version,
            "type": self.type,
            "status": self.status,
            "error": self.error,
            "held_behind": self.held_behind,
            "first_seen": self.first_seen,
            "last_tried": self.last_tried,
            "attempts": self.attempts,
            "released_at": self.released_at,
            "released_by": self.released_by,
            "release_reason": self.release_reason,
        }


# ------------------------------------------------------------------ what is the event's fault

#: Database errors about the values written (a NUL byte in text, a duplicate key, a value
#: the driver cannot bind): the next event would not fail the same way.
_DATA_DB_ERRORS = (sa_exc.DataError, sa_exc.IntegrityError)

#: Open entries of one event type a projection may hold before it stops instead of
#: quarantining one more (`QuarantineLimit`). Events refused for what they hold are few
#: (an older planlog's NaN, a NUL PostgreSQL refuses); a projection that cannot apply
#: this many of one type more likely has a bug that a value the database refuses
#: (a duplicate key the code wrote) made look like the events' fault.
LIMIT = 50


def is_data_error(error: BaseException) -> bool:
    """Whether applying an event failed because of what the event holds, judged by the
    error alone: its payload could not be read (`PayloadError`), or the database refused
    a value written from it.

    Only these quarantine the event at once; the runner then asks the projection whether
    an event of the batch lacks what it reads (`ReadModel.payload_fault`). Any other
    error — a lost connection, a lock or statement timeout, a full disk, memory, an
    AttributeError or TypeError in the projection's code — stops the batch as before, to
    be retried whole: quarantining would set aside events that are not at fault.
    """
    if isinstance(error, PayloadError):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if isinstance(error, _DATA_DB_ERRORS):
            return True
        if isinstance(error, sa_exc.ProgrammingError):
            return error.orig is not None and _unbindable(error.orig)
        return False
    if isinstance(error, sa_exc.StatementError):  # SQLAlchemy could not process a value
        return error.orig is not None and is_data_error(error.orig)
    return False


def _unbindable(orig: BaseException) -> bool:
    """A value the driver could not bind (a list where text belongs). A server's
    ProgrammingError (a missing table, a syntax error) concerns every event instead."""
    if getattr(orig, "sqlstate", "") is None:  # psycopg, raised on the client side
        return True
    return isinstance(orig, sqlite3.ProgrammingError) and "binding" in str(orig).lower()


def describe(error: BaseException) -> str:
    """The error as one storable line: the driver's own message rather than SQLAlchemy's
    (which repeats the statement and every parameter), what no stored text may hold
    escaped (a NUL cannot be stored in PostgreSQL text), at most `ERROR_MAX` characters."""
    shown: BaseException = error
    if isinstance(error, sa_exc.StatementError) and error.orig is not None:
        shown = error.orig
    message = str(shown).strip().splitlines()[0] if str(shown).strip() else ""
    return clean(f"{type(shown).__name__}: {message}" if message else type(shown).__name__)


def clean(text: str, limit: int = ERROR_MAX) -> str:
    """`text` as it can be stored and shown: every character the domain refuses in stored
    text (`values.BAD_CHARACTERS`: controls, lone surrogates, noncharacters) written as an
    escape, at most `limit` characters."""
    # Escapes only lengthen the text: what lies past `limit` would be cut anyway.
    escaped = BAD_CHARACTERS.sub(lambda bad: _escape(bad.group()), text[: limit + 1])
    return escaped if len(escaped) <= limit else escaped[: limit - 1] + "…"


def _escape(character: str) -> str:
    code = ord(character)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def held_back(position: int) -> str:
    """The error of an entry held back behind an earlier quarantined event."""
    return (
        f"排在同一对象的隔离事件 #{position} 之后 / "
        f"held back behind event #{position} of the same aggregate"
    )


# ----------------------------------------------------------------------- writing


def held_aggregates(conn: Connection, projections: Iterable[str]) -> dict[str, set[str]]:
    """Read model → the aggregates whose later events it holds back (open entries)."""
    q = projection_quarantine.c
    rows = conn.execute(
        select(q.projection, q.aggregate_id)
        .where(q.projection.in_(list(projections)), q.released_at.is_(None))
        .distinct()
    )
    held: dict[str, set[str]] = {}
    for projection, aggregate_id in rows:
        held.setdefault(projection, set()).add(aggregate_id)
    return held


def first_open(conn: Connection, projection: str, aggregate_ids: Sequence[str]) -> dict[str, int]:
    """Aggregate → position of its earliest open entry, for those that have one."""
    q = projection_quarantine.c
    found: dict[str, int] = {}
    for chunk in chunks(list(aggregate_ids)):
        rows = conn.execute(
            select(q.aggregate_id, func.min(q.position))
            .where(
                q.projection == projection,
                q.released_at.is_(None),
                q.aggregate_id.in_(chunk),
            )
            .group_by(q.aggregate_id)
        )
        found.update((aggregate_id, int(position)) for aggregate_id, position in rows)
    return found


def record(
    conn: Connection,
    projection: str,
    change: Change,
    error: str,
    now: str,
    *,
    held_behind: int | None = None,
) -> None:
    """Enter an event (again): a rebuild meets events already entered, and a released one
    keeps its release."""
    q = projection_quarantine.c
    key = and_(q.projection == projection, q.position == change.position)
    tried = conn.execute(
        update(projection_quarantine)
        .where(key)
        .values(
            error=error,
            held_behind=held_behind,
            last_tried=now,
            attempts=q.attempts + 1,
        )
    )
    if tried.rowcount:
        return
    conn.execute(
        projection_quarantine.insert().values(
            projection=projection,
            position=change.position,
            aggregate_id=clean(change.aggregate_id, 200),
            version=change.version,
            event_type=clean(change.type, 200),
            error=error,
            held_behind=held_behind,
            first_seen=now,
            last_tried=now,
            attempts=1,
        )
    )


def clear_open(conn: Connection, projection: str) -> None:
    """Forget a projection's open entries: a rebuild tries every event again. Released
    ones stay, as the record of who decided what."""
    q = projection_quarantine.c
    conn.execute(
        projection_quarantine.delete().where(q.projection == projection, q.released_at.is_(None))
    )


# ----------------------------------------------------------------------- reading


def _event(row: Any) -> QuarantinedEvent:
    return QuarantinedEvent(
        projection=row.projection,
        position=int(row.position),
        aggregate_id=row.aggregate_id,
        version=int(row.version),
        type=row.event_type,
        error=row.error,
        held_behind=row.held_behind,
        first_seen=row.first_seen,
        last_tried=row.last_tried,
        attempts=int(row.attempts),
        released_at=row.released_at,
        released_by=row.released_by,
        release_reason=row.release_reason,
    )


def entries(
    conn: Connection,
    *,
    projections: Iterable[str] | None = None,
    positions: Iterable[int] | None = None,
    aggregate_ids: Iterable[str] | None = None,
    open_only: bool = False,
) -> list[QuarantinedEvent]:
    """Entries in log order (then by projection), filtered as asked."""
    q = projection_quarantine.c
    query = select(projection_quarantine).order_by(q.position, q.projection)
    if projections is not None:
        query = query.where(q.projection.in_(list(projections)))
    if positions is not None:
        query = query.where(q.position.in_([int(p) for p in positions]))
    if open_only:
        query = query.where(q.released_at.is_(None))
    if aggregate_ids is None:
        return [_event(r) for r in conn.execute(query)]
    found: list[QuarantinedEvent] = []
    for chunk in chunks(list(aggregate_ids)):
        found.extend(_event(r) for r in conn.execute(query.where(q.aggregate_id.in_(chunk))))
    return sorted(found, key=lambda e: (e.position, e.projection))


def open_failures(conn: Connection, projection: str, event_type: str) -> int:
    """How many events of `event_type` the projection holds because it could not apply
    them (not those held back behind them, nor released ones)."""
    q = projection_quarantine.c
    return int(
        conn.scalar(
            select(func.count()).where(
                q.projection == projection,
                q.event_type == clean(event_type, 200),
                q.released_at.is_(None),
                q.held_behind.is_(None),
            )
        )
        or 0
    )


def counts(conn: Connection) -> dict[str, tuple[int, int]]:
    """Read model → (open entries, released entries)."""
    q = projection_quarantine.c
    rows = conn.execute(
        select(q.projection, func.count(), func.count(q.released_at)).group_by(q.projection)
    )
    return {name: (int(total) - int(released), int(released)) for name, total, released in rows}
