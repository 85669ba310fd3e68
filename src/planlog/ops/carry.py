"""What a backup, a restore and a migration carry besides the event log.

The log rebuilds every read model, but not what lives only in the read-model database:

- settings and credentials, which the log never holds (a secret cannot be forgotten
  there): notification channels, API and feed tokens, which token made each feed,
  people's tokens and password hashes;
- delivery state: which issued reminders and weekly digests were sent. A rebuild would
  mark every outbox row `replayed` (never sent), so reminders still undelivered at the
  source would be lost; carried rows keep their status, and a row the source had not yet
  projected is projected on the target as `pending`, as it would have been at the source.

Browser sessions and one-time sign-in links are NOT carried: they are short-lived, and a
moved store should sign everyone in afresh.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Engine, Integer, Table, func, inspect, select, text

from planlog.auth.passwords import person_passwords
from planlog.auth.tokens import api_tokens, feed_issuers, feed_tokens, person_tokens
from planlog.projections.digests import digest_outbox
from planlog.projections.outbox import (
    notify_channels,
    reminder_attempts,
    reminder_digests,
    reminder_outbox,
)

#: settings and credentials
SETTINGS: tuple[Table, ...] = (
    notify_channels,
    api_tokens,
    feed_tokens,
    feed_issuers,
    person_tokens,
    person_passwords,
)
#: delivery state of the outboxes (rows keyed by the position of the issuing event)
DELIVERY: tuple[Table, ...] = (reminder_outbox, reminder_attempts, reminder_digests, digest_outbox)
CARRIED: dict[str, Table] = {t.name: t for t in SETTINGS + DELIVERY}
#: the projections whose rows are carried: settle projects them without `replaying`
DELIVERY_PROJECTIONS = ("outbox", "digests")
_BATCH = 1_000


def read_rows(
    engine: Engine, last_position: int | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every carried row as (table name, row), streamed table by table. Outbox rows of
    events after `last_position` (issued after the log was read) are left out."""
    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        for table in CARRIED.values():
            if table.name not in present:
                continue  # a store that never had it (nothing projected yet)
            query = select(table).order_by(*table.primary_key.columns)
            if last_position is not None and table in (reminder_outbox, digest_outbox):
                query = query.where(table.c.position <= last_position)
            result = conn.execution_options(stream_results=True, yield_per=_BATCH).execute(query)
            for row in result:
                yield table.name, dict(row._mapping)


def write_rows(engine: Engine, rows: Iterable[tuple[str, dict[str, Any]]]) -> int:
    """Insert carried rows into the target's (empty) tables in one transaction; how many.
    An unknown table name is refused (a backup names only these tables)."""
    count = 0
    with engine.begin() as conn:
        for table in CARRIED.values():
            table.create(conn, checkfirst=True)
        batch: list[dict[str, Any]] = []
        current: Table | None = None
        for name, row in rows:
            found = CARRIED.get(name)
            if found is None:
                raise ValueError(f"not a carried table: {name!r}")
            if found is not current and batch and current is not None:
                conn.execute(current.insert(), batch)
                batch = []
            current = found
            batch.append({c.name: row.get(c.name) for c in found.columns})
            count += 1
            if len(batch) == _BATCH:
                conn.execute(found.insert(), batch)
                batch = []
        if batch and current is not None:
            conn.execute(current.insert(), batch)
        if engine.dialect.name == "postgresql":
            # ids were given explicitly: the next generated id continues after them
            for table in CARRIED.values():
                keys = list(table.primary_key.columns)
                if len(keys) != 1 or not isinstance(keys[0].type, Integer):
                    continue
                key = keys[0]  # a key without a sequence gives NULL: setval does nothing
                highest = conn.execute(select(func.max(key))).scalar()
                if highest is not None:
                    conn.execute(
                        text("SELECT setval(pg_get_serial_sequence(:t, :c), :v)"),
                        {"t": table.name, "c": key.name, "v": int(highest)},
                    )
    return count


def copy_rows(source: Engine, target: Engine, last_position: int | None = None) -> int:
    return write_rows(target, read_rows(source, last_position))
