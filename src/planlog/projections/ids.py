"""Whole ids from their first characters, as a person types them from a listing.

Ids are UUIDs: 36 characters nobody retypes. Like git's short hashes, a prefix that
names exactly one plan, item, task or person is as good as the id; the read models
hold every id there is, so the lookup is a range over each one's primary key.
"""

from __future__ import annotations

import re

from sqlalchemy import Column, and_, select
from sqlalchemy.engine import Connection

from planlog.projections.board import board_items, board_plans
from planlog.projections.people import people
from planlog.projections.tasks import tasks

#: the shortest prefix looked up: shorter ones name too many ids to be meant
SHORTEST = 4

#: kind of id → the read-model column holding every id of that kind
_COLUMNS: dict[str, Column[str]] = {
    "plan": board_plans.c.plan_id,
    "item": board_items.c.item_id,
    "task": tasks.c.task_id,
    "person": people.c.id,
}

#: every kind of id a prefix may name
KINDS = tuple(_COLUMNS)

_PREFIX = re.compile(r"[0-9a-f][0-9a-f-]*")


def is_id_prefix(text: str) -> bool:
    """Whether `text` could be the start of an id (lower-case hex digits and dashes)."""
    return len(text) >= SHORTEST and _PREFIX.fullmatch(text) is not None


def ids_starting_with(
    conn: Connection, prefix: str, kinds: tuple[str, ...], limit: int = 5
) -> list[str]:
    """The ids of these kinds starting with `prefix` (at most `limit`, in order).

    `LIKE` decides; the range `prefix ≤ id < prefix + "g"` lets the key's index find the
    candidates. Every id starting with the prefix lies in it in the byte order of
    SQLite and PostgreSQL's C collations, and in a linguistic collation too, which may
    ignore the dashes but sorts every hex digit below "g". A prefix is typed as the
    listing shows the id, dashes included."""
    found: list[str] = []
    for kind in kinds:
        column = _COLUMNS[kind]
        query = (
            select(column)
            .where(and_(column >= prefix, column < prefix + "g", column.startswith(prefix)))
            .order_by(column)
            .limit(limit)
        )
        found += conn.execute(query).scalars()
    return sorted(found)[:limit]
