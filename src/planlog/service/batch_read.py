"""The stored events of many aggregates in one query, for commands over thousands of them.

A federation task sent to 9,000 unions loads 9,000 plans. eventsourcing reads one
aggregate per query (a pool checkout, a transaction, a round trip each), which was half
the time of such a command on PostgreSQL (bench/send_task.py). This reads a batch of
aggregates' events with one `IN`/`ANY` query on the recorder's own table and connection,
in version order, and leaves decoding to the application's mapper, so the events are the
same objects `repository.get` would fold.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

#: ids per query: well below SQLite's and PostgreSQL's limits on bound parameters
CHUNK = 500


def stored_events(recorder: Any, ids: Sequence[UUID]) -> dict[UUID, list[StoredEvent]]:
    """Each id's stored events, oldest first; an id with none is missing from the result.
    Recorders other than eventsourcing's SQLite and PostgreSQL ones are read one id at a
    time through their own `select_events`."""
    found: dict[UUID, list[StoredEvent]] = defaultdict(list)
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        name = type(recorder).__module__
        if name == "eventsourcing.postgres":
            rows = _postgres(recorder, chunk)
        elif name == "eventsourcing.sqlite":
            rows = _sqlite(recorder, chunk)
        else:
            rows = [e for i in chunk for e in recorder.select_events(i)]
        for event in rows:
            key = event.originator_id
            found[key if isinstance(key, UUID) else UUID(str(key))].append(event)
    for events in found.values():
        events.sort(key=lambda e: e.originator_version)
    return found


def _postgres(recorder: Any, ids: list[UUID]) -> list[StoredEvent]:
    from psycopg.rows import tuple_row
    from psycopg.sql import SQL, Identifier

    datastore = recorder.datastore
    statement = SQL(
        "SELECT originator_id, originator_version, topic, state FROM {schema}.{table} "
        "WHERE originator_id = ANY(%s)"
    ).format(schema=Identifier(datastore.schema), table=Identifier(recorder.events_table_name))
    keys: list[Any] = ids if datastore.originator_id_type == "uuid" else [str(i) for i in ids]
    # Rows as tuples: the recorder's connections make a dict of each row, which cost a
    # busy reminder pass a tenth of its time on the tens of thousands of events it reads.
    with (
        datastore.get_connection() as conn,
        conn.transaction(),
        conn.cursor(row_factory=tuple_row) as curs,
    ):
        # Each id is a probe of the primary key; only the planner can get that wrong.
        # Without statistics (a log just loaded, a restored copy, autovacuum off) it
        # takes 0.5 % of the log per id, so a batch of 200 ids "matches" the whole log
        # and it scans every event of every union instead (150 ms at 200 unions, one
        # full scan per batch of a 9,000-union send; 16 ms probed). Within this read's
        # own transaction only, a scan is ruled out.
        curs.execute("SET LOCAL enable_seqscan = off")
        curs.execute(statement, [keys])
        return [
            StoredEvent(
                originator_id=originator_id,
                originator_version=version,
                topic=topic,
                state=bytes(state),
            )
            for originator_id, version, topic, state in curs.fetchall()
        ]


def _sqlite(recorder: Any, ids: list[UUID]) -> list[StoredEvent]:
    marks = ",".join("?" * len(ids))
    statement = (
        f"SELECT originator_id, originator_version, topic, state FROM "
        f"{recorder.events_table_name} WHERE originator_id IN ({marks})"
    )
    with recorder.datastore.transaction(commit=False) as c:
        c.execute(statement, [i.hex for i in ids])
        return [
            StoredEvent(
                originator_id=recorder.convert_originator_id(row["originator_id"]),
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=row["state"],
            )
            for row in c.fetchall()
        ]
