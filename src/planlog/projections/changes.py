"""Stored events as projections read them: decoded once, straight from the notification rows.

Projections do not rebuild domain objects: they read each event's JSON payload
with orjson. That is what lets a full rebuild keep up with a raw read of the
table (see bench/rebuild_rate.py). Payloads of older event versions are read
with `.get()` defaults rather than upcast, so a projection must treat fields added
later (such as `PlanItem.Planned.source`) as optional.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Notification


@dataclass(frozen=True, slots=True)
class Change:
    position: int  # the notification id: the event's place in the whole log
    aggregate_id: str
    version: int
    type: str  # "PlanItem.OccurrenceCompleted", "Plan.Created", …
    recorded_at: str  # ISO 8601, UTC
    data: dict[str, Any]
    raw: bytes  # the stored JSON payload, kept for the audit timeline as is

    @property
    def actor(self) -> str | None:
        actor = self.data.get("actor")
        return str(actor) if actor is not None else None


def _aggregate_id(value: UUID | str) -> str:
    return str(value) if isinstance(value, UUID) else str(UUID(value))


def decode(notifications: Sequence[Notification]) -> list[Change]:
    changes = []
    for n in notifications:
        data = orjson.loads(n.state)
        stamp = data.pop("timestamp")
        changes.append(
            Change(
                position=n.id,
                aggregate_id=_aggregate_id(n.originator_id),
                version=n.originator_version,
                type=n.topic.rpartition(":")[2],
                recorded_at=stamp["_data_"] if isinstance(stamp, dict) else str(stamp),
                data=data,
                raw=n.state if isinstance(n.state, bytes) else bytes(n.state),
            )
        )
    return changes


def of_types(changes: Iterable[Change], types: frozenset[str]) -> list[Change]:
    return [c for c in changes if c.type in types]
