"""Deadline calendar: every open occurrence indexed by due date, with who is responsible.

The calendar is the board's occurrences seen by due date, through the index on
`board_occurrences.due`: reminders and calendar feeds read it, and it can never
disagree with the board because it is the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.engine import Connection

from planlog.domain.status import FINISHED
from planlog.projections.board import board_items, board_occurrences, board_plans
from planlog.projections.rollup import subtree_query
from planlog.projections.tasks import tasks


@dataclass(frozen=True)
class Deadline:
    """One open occurrence on the calendar."""

    item_id: str
    plan_id: str
    org: str
    plan_title: str
    title: str
    responsible: str | None
    opens: date | None
    due: date
    status: str


def open_deadlines(
    conn: Connection,
    *,
    start: date | None = None,
    end: date | None = None,
    plan_id: str | None = None,
    org: str | None = None,
    responsible: str | None = None,
    below: bool = False,
) -> list[Deadline]:
    """Open occurrences of live items, earliest due first, optionally within [start, end];
    with `below`, those of `org` and of every organisation under it (a district's unions)."""
    o, i, p = board_occurrences.c, board_items.c, board_plans.c
    query = (
        select(
            i.item_id,
            i.plan_id,
            p.org,
            p.title.label("plan_title"),
            i.title,
            i.responsible,
            o.opens,
            o.due,
            o.status,
        )
        .join_from(board_occurrences, board_items, o.item_position == i.position)
        .join(board_plans, p.plan_id == i.plan_id)
        # a submitted deadline waits for the chair, not for the responsible person
        .where(o.status.not_in(sorted(FINISHED)), i.cancelled.is_(False))
        # an item sent down as a task is its unions' to meet, on their copies: the
        # board, the rollup and the reminders count the federation's own item nowhere
        .where(i.item_id.not_in(select(tasks.c.source_item_id)))
        .order_by(o.due, i.position)
    )
    if start is not None:
        query = query.where(o.due >= start.isoformat())
    if end is not None:
        query = query.where(o.due <= end.isoformat())
    if plan_id is not None:
        query = query.where(i.plan_id == plan_id)
    if org is not None and below:
        query = query.where(p.org.in_(select(subtree_query(org).c.name)))
    elif org is not None:
        query = query.where(p.org == org)
    if responsible is not None:
        query = query.where(i.responsible == responsible)
    return [
        Deadline(
            item_id=r.item_id,
            plan_id=r.plan_id,
            org=r.org,
            plan_title=r.plan_title,
            title=r.title,
            responsible=r.responsible,
            opens=date.fromisoformat(r.opens) if r.opens else None,
            due=date.fromisoformat(r.due),
            status=r.status,
        )
        for r in conn.execute(query)
    ]
