"""Stored events as projections read them: decoded once, straight from the notification rows.

Projections do not rebuild domain objects: they read each event's JSON payload
with orjson. That is what lets a full rebuild keep up with a raw read of the
table (see bench/rebuild_rate.py). Payloads of older event versions are read
with `.get()` defaults rather than upcast, so a projection must treat fields added
later (such as `PlanItem.Planned.source`) as optional.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import ApplicationRecorder


@dataclass(frozen=True, slots=True)
class Change:
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


def _change(
    position: int, originator_id: UUID | str, version: int, topic: str, state: bytes
) -> Change:
    data = orjson.loads(state)
    stamp = data.pop("timestamp")
    kind = _TYPES.get(topic)
    if kind is None:
        kind = _TYPES[topic] = topic.rpartition(":")[2]
    return Change(
        position,
        aggregate_id_text(originator_id),
        version,
        kind,
        stamp["_data_"] if type(stamp) is dict else str(stamp),
        data,
        state,
    )


class ChangeReader:
    """Reads batches of the log after a position, as Changes.

    On SQLite it reads the recorder's table with its own sqlite3 connection:
    eventsourcing's `select_notifications` builds a Notification and a UUID per
    row, which cost more than reading and decoding the row itself.
    """

    def __init__(self, recorder: ApplicationRecorder, sqlite_path: str | None) -> None:
        self.recorder = recorder
        self._sqlite: sqlite3.Connection | None = None
        if sqlite_path is not None:
            self._sqlite = sqlite3.connect(sqlite_path, check_same_thread=False)
            table = getattr(recorder, "events_table_name", "stored_events")
            self._select = (
                f"SELECT rowid, originator_id, originator_version, topic, state FROM {table} "
                "WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?"
            )

    def read(self, after: int, stop: int, limit: int) -> list[Change]:
        if self._sqlite is not None:
            rows = self._sqlite.execute(self._select, (after, stop, limit)).fetchall()
            return [_change(*row) for row in rows]
        notifications = self.recorder.select_notifications(
            start=after, limit=limit, stop=stop, inclusive_of_start=False
        )
        return [
            _change(n.id, n.originator_id, n.originator_version, n.topic, n.state)
            for n in notifications
        ]

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None


def of_types(changes: Iterable[Change], types: frozenset[str]) -> list[Change]:
    return [c for c in changes if c.type in types]
