"""Deadline calendar: every occurrence indexed by due date, with who is responsible.

Reminders and calendar feeds read the open ones. Done occurrences stay (with
their status) so that a reopened occurrence comes back with its opening date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text, select
from sqlalchemy.engine import Connection

from planlog.projections.base import Projection, metadata
from planlog.projections.board import chunks
from planlog.projections.changes import Change
from planlog.projections.item_state import ITEM_TYPES, ItemRow, OccurrenceRow, fold

calendar_plans = Table(
    "calendar_plans",
    metadata,
    Column("plan_id", String(36), primary_key=True),
    Column("org", Text, nullable=False),
    Column("year", Integer, nullable=False),
    Column("title", Text, nullable=False),
)

calendar_entries = Table(
    "calendar_entries",
    metadata,
    Column("item_id", String(36), primary_key=True),
    Column("due", String(10), primary_key=True),
    Column("opens", String(10)),
    Column("status", String(16), nullable=False),
    Column("plan_id", String(36), nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("responsible", Text),
    Column("cancelled", Boolean, nullable=False),
    Column("position", Integer, nullable=False),
    Index("ix_calendar_entries_due", "due"),
)


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


class CalendarProjection(Projection):
    name = "calendar"
    tables = (calendar_plans, calendar_entries)
    types = frozenset({"Plan.Created"}) | ITEM_TYPES

    def apply(self, conn: Connection, changes: list[Change]) -> None:
        new = {c.aggregate_id for c in changes if c.type == "PlanItem.Planned"}
        earlier = sorted({c.aggregate_id for c in changes if c.type in ITEM_TYPES} - new)
        items = _load(conn, earlier)
        touched: set[str] = set()
        for change in changes:
            if change.type == "Plan.Created":
                d = change.data
                conn.execute(
                    calendar_plans.insert().values(
                        plan_id=change.aggregate_id, org=d["org"], year=d["year"], title=d["title"]
                    )
                )
            elif fold(items, change) is not None:
                touched.add(change.aggregate_id)
        _save(conn, [items[i] for i in sorted(touched)])


def _load(conn: Connection, item_ids: list[str]) -> dict[str, ItemRow]:
    items: dict[str, ItemRow] = {}
    for chunk in chunks(item_ids):
        query = select(calendar_entries).where(calendar_entries.c.item_id.in_(chunk))
        for r in conn.execute(query):
            row = items.get(r.item_id)
            if row is None:
                row = items[r.item_id] = ItemRow(
                    item_id=r.item_id,
                    plan_id=r.plan_id,
                    position=r.position,
                    title=r.title,
                    responsible=r.responsible,
                    cancelled=r.cancelled,
                )
            row.occurrences[r.due] = OccurrenceRow(due=r.due, opens=r.opens, status=r.status)
    return items


def _save(conn: Connection, rows: list[ItemRow]) -> None:
    for chunk in chunks([r.item_id for r in rows]):
        conn.execute(calendar_entries.delete().where(calendar_entries.c.item_id.in_(chunk)))
    entries = [
        {
            "item_id": r.item_id,
            "due": o.due,
            "opens": o.opens,
            "status": o.status,
            "plan_id": r.plan_id,
            "title": r.title,
            "responsible": r.responsible,
            "cancelled": r.cancelled,
            "position": r.position,
        }
        for r in rows
        for o in r.occurrences.values()
    ]
    if entries:
        conn.execute(calendar_entries.insert(), entries)


def open_deadlines(
    conn: Connection,
    *,
    start: date | None = None,
    end: date | None = None,
    plan_id: str | None = None,
    org: str | None = None,
    responsible: str | None = None,
) -> list[Deadline]:
    """Open occurrences of live items, earliest due first, optionally within [start, end]."""
    e, p = calendar_entries.c, calendar_plans.c
    query = (
        select(
            e.item_id,
            e.plan_id,
            p.org,
            p.title.label("plan_title"),
            e.title,
            e.responsible,
            e.opens,
            e.due,
            e.status,
        )
        .join_from(calendar_entries, calendar_plans, e.plan_id == p.plan_id)
        .where(e.status != "done", e.cancelled.is_(False))
        .order_by(e.due, e.position)
    )
    if start is not None:
        query = query.where(e.due >= start.isoformat())
    if end is not None:
        query = query.where(e.due <= end.isoformat())
    if plan_id is not None:
        query = query.where(e.plan_id == plan_id)
    if org is not None:
        query = query.where(p.org == org)
    if responsible is not None:
        query = query.where(e.responsible == responsible)
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
