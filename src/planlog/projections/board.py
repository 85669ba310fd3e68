"""Board read model: every plan, section, item and occurrence with its stored status.

Lights (due soon, overdue) depend on the day someone looks, so they are
evaluated at query time by `planlog.domain.board.build_board`, not stored.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

import orjson
from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text, select
from sqlalchemy.engine import Connection

from planlog.domain.board import BoardItem, request_document
from planlog.domain.events import event_name
from planlog.domain.model import Plan
from planlog.domain.schedule import Occurrence
from planlog.domain.status import CANCELLED, DONE
from planlog.projections import plan_counts
from planlog.projections.base import (
    CLUSTERED,
    ReadModel,
    Window,
    Writer,
    metadata,
)
from planlog.projections.bulk import chunks, insert_rows
from planlog.projections.changes import Change
from planlog.projections.item_state import (
    ITEM_PAYLOADS,
    ITEM_TYPES,
    PLANNED,
    ItemRow,
    OccurrenceRow,
    fold,
)
from planlog.projections.payloads import Shape, Shapes

board_plans = Table(
    "board_plans",
    metadata,
    Column("plan_id", String(36), primary_key=True),
    Column("org", Text, nullable=False, index=True),
    Column("year", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
)

board_sections = Table(
    "board_sections",
    metadata,
    Column("plan_id", String(36), primary_key=True),
    Column("section_id", String(16), primary_key=True),
    Column("title", Text, nullable=False),
    Column("position", Integer, nullable=False),
)

#: Items are keyed by the position of the event that planned them, and their occurrences
#: by that position too: a rebuild then appends rows in key order. Keyed by the items'
#: random UUIDs, every batch of a rebuild dirtied pages all over the tables, and
#: committing them cost a rebuild as much as deciding their contents
#: (bench/rebuild_rate.py).
board_items = Table(
    "board_items",
    metadata,
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("item_id", String(36), nullable=False, unique=True),
    Column("plan_id", String(36), nullable=False, index=True),
    Column("section_id", String(16)),
    Column("number", Text),
    Column("title", Text, nullable=False),
    Column("responsible", Text),
    Column("targets", Text, nullable=False),  # JSON text, written as is in bulk
    Column("deadline_text", Text),
    Column("cancelled", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", String(40), nullable=False),
)

board_occurrences = Table(
    "board_occurrences",
    metadata,
    Column("item_position", Integer, primary_key=True, autoincrement=False),
    Column("due", String(10), primary_key=True),
    Column("opens", String(10)),
    Column("status", String(16), nullable=False),
    Column("percent", Integer, nullable=False),
    Column("done_on", String(10)),
    Column("note", Text),
    # the latest extension request about this deadline (item_state.OccurrenceRow)
    Column("request_id", String(48)),
    Column("request_to", String(10)),
    Column("request_status", String(16)),
    Column("request_reason", Text),
    # The deadline calendar (planlog.projections.calendar) reads occurrences by due date.
    Index("ix_board_occurrences_due", "due"),
    **CLUSTERED,
)

PLAN_CREATED = event_name(Plan.Created)
SECTION_ADDED = event_name(Plan.SectionAdded)
SECTION_RENAMED = event_name(Plan.SectionRenamed)
PLAN_RENAMED = event_name(Plan.Renamed)
SECTIONS_REORDERED = event_name(Plan.SectionsReordered)
PLAN_TYPES = frozenset(
    {PLAN_CREATED, SECTION_ADDED, SECTION_RENAMED, PLAN_RENAMED, SECTIONS_REORDERED}
)


class _PlanCreated(Shape):
    org: str
    year: int
    title: str


class _Section(Shape):
    section_id: str
    title: str


class _Renamed(Shape):
    title: str


class _Reordered(Shape):
    order: list[str]


class BoardProjection(ReadModel):
    name = "board"
    cost = 3.8  # see ReadModel.cost
    tables = (
        board_plans,
        board_sections,
        board_items,
        board_occurrences,
        plan_counts.plan_counts,
        plan_counts.org_open_dues,
        plan_counts.org_moves,
    )
    types = PLAN_TYPES | ITEM_TYPES
    payloads: ClassVar[Shapes] = {
        PLAN_CREATED: _PlanCreated,
        SECTION_ADDED: _Section,
        SECTION_RENAMED: _Section,
        PLAN_RENAMED: _Renamed,
        SECTIONS_REORDERED: _Reordered,
        **ITEM_PAYLOADS,
    }

    def window(self) -> Window:
        return _BoardWindow()

    @staticmethod
    def _apply_plan_event(conn: Connection, change: Change) -> None:
        d = change.data
        if change.type == PLAN_CREATED:
            conn.execute(
                board_plans.insert().values(
                    plan_id=change.aggregate_id,
                    org=d["org"],
                    year=d["year"],
                    title=d["title"],
                    created_at=change.recorded_at,
                )
            )
        elif change.type == SECTION_ADDED:
            conn.execute(
                board_sections.insert().values(
                    plan_id=change.aggregate_id,
                    section_id=d["section_id"],
                    title=d["title"],
                    position=change.position,
                )
            )
        elif change.type == PLAN_RENAMED:
            conn.execute(
                board_plans.update()
                .where(board_plans.c.plan_id == change.aggregate_id)
                .values(title=d["title"])
            )
        elif change.type == SECTIONS_REORDERED:
            # Positions only order a plan's sections: renumber them in the new order.
            for position, section_id in enumerate(d["order"]):
                conn.execute(
                    board_sections.update()
                    .where(board_sections.c.plan_id == change.aggregate_id)
                    .where(board_sections.c.section_id == section_id)
                    .values(position=position)
                )
        else:
            conn.execute(
                board_sections.update()
                .where(board_sections.c.plan_id == change.aggregate_id)
                .where(board_sections.c.section_id == d["section_id"])
                .values(title=d["title"])
            )


class _BoardWindow(Window):
    """The items met in one or many batches, folded in memory and written once each."""

    #: bytes an item held with its occurrences, measured with tracemalloc over a
    #: federation's log (50-item plans, a simulated year)
    ITEM_BYTES = 2_200

    def __init__(self) -> None:
        self.items: dict[str, ItemRow] = {}
        #: items loaded from the read model: their rows are replaced when written
        self.stored: set[str] = set()
        #: item ids neither stored nor planned so far: their events change nothing here
        self.unknown: set[str] = set()
        self.touched: set[str] = set()
        #: plan events in log order: a new plan's or section's row, or the change itself
        self.plan_events: list[tuple[str, Any]] = []
        #: the rollup's figures of the stored items as loaded, before any fold
        self.before = plan_counts.Tally()
        #: the position of the last event folded (`plan_counts.save` records it in org_moves)
        self.last = 0

    def add(self, snapshot: Connection, changes: list[Change]) -> None:
        if changes:
            self.last = max(self.last, changes[-1].position)
        items = self.items
        known = {c.aggregate_id for c in changes if c.type == PLANNED}
        met = {c.aggregate_id for c in changes if c.type in ITEM_TYPES}
        # Tested one by one: `set - items.keys()` walks every item folded so far.
        unknown = self.unknown
        earlier = sorted(i for i in met if i not in known and i not in items and i not in unknown)
        found = load_items(snapshot, earlier)
        plan_counts.tally(found.values(), into=self.before)  # before the fold changes them
        items.update(found)
        self.stored.update(found)
        self.unknown.update(i for i in earlier if i not in found)
        touched, plan_events = self.touched, self.plan_events
        for change in changes:
            if change.type in PLAN_TYPES:
                d = change.data
                # New plans and sections go in as one bulk insert per run of them (a
                # federation's rebuild has tens of thousands); a rename or reorder, which
                # may concern them, is applied after the run before it is written.
                row: tuple[Any, ...]
                if change.type == PLAN_CREATED:
                    row = (change.aggregate_id, d["org"], d["year"], d["title"], change.recorded_at)
                    plan_events.append((PLAN_CREATED, row))
                elif change.type == SECTION_ADDED:
                    row = (change.aggregate_id, d["section_id"], d["title"], change.position)
                    plan_events.append((SECTION_ADDED, row))
                else:
                    plan_events.append((change.type, change))
            elif fold(items, change) is not None:
                touched.add(change.aggregate_id)

    def weight(self) -> int:
        return len(self.items) * self.ITEM_BYTES + len(self.plan_events) * 200

    def writer(self, snapshot: Connection) -> Writer:
        rows = sorted((self.items[i] for i in self.touched), key=_position)
        plan_events, stored, last = self.plan_events, self.stored, self.last
        counted = plan_counts.change(self.before, plan_counts.tally(self.items.values()))

        def write(conn: Connection) -> None:
            plans: list[tuple[Any, ...]] = []
            sections: list[tuple[Any, ...]] = []
            for kind, event in plan_events:
                if kind == PLAN_CREATED:
                    plans.append(event)
                elif kind == SECTION_ADDED:
                    sections.append(event)
                else:
                    _flush(conn, plans, sections)
                    BoardProjection._apply_plan_event(conn, event)
            _flush(conn, plans, sections)
            save_items(conn, rows, stored)
            plan_counts.save(conn, counted, _orgs(conn, counted), last)

        return write


def _flush(conn: Connection, plans: list[tuple[Any, ...]], sections: list[tuple[Any, ...]]) -> None:
    insert_rows(conn, board_plans, plans)
    insert_rows(conn, board_sections, sections)
    plans.clear()
    sections.clear()


def _orgs(conn: Connection, counted: plan_counts.Tally) -> dict[str, str]:
    """The organisations of the plans whose figures moved (their rows written by now,
    the batch's new plans included)."""
    plans = sorted(counted.plans.keys() | {plan for plan, _ in counted.dues})
    p = board_plans.c
    found: dict[str, str] = {}
    for chunk in chunks(plans):
        query = select(p.plan_id, p.org).where(p.plan_id.in_(chunk))
        found.update((plan, org) for plan, org in conn.execute(query))
    return found


def _position(row: ItemRow) -> int:
    return row.position


def item_row(r: Any) -> ItemRow:
    """A board_items row as an ItemRow, its occurrences still to be added."""
    return ItemRow(
        item_id=r.item_id,
        plan_id=r.plan_id,
        position=r.position,
        title=r.title,
        section_id=r.section_id,
        number=r.number,
        responsible=r.responsible,
        targets=orjson.loads(r.targets),
        deadline_text=r.deadline_text,
        cancelled=r.cancelled,
        version=r.version,
        updated_at=r.updated_at,
    )


def _add_occurrences(conn: Connection, at: dict[int, ItemRow]) -> None:
    """Each item's occurrence rows, read by the items' positions (the clustered key).

    Fetched at once and unpacked by position, in `OccurrenceRow`'s field order: a board
    reads hundreds of these per request and a rebuild's window millions, and fetching
    row by row and reading each column by name cost more than the query."""
    o = board_occurrences.c
    columns = [o.item_position, o.due, o.opens, o.status, o.percent, o.done_on, o.note]
    columns += [o.request_id, o.request_to, o.request_status, o.request_reason]
    for batch in chunks(list(at), 500):
        rows = conn.execute(select(*columns).where(o.item_position.in_(batch))).all()
        for position, due, *rest in rows:
            at[position].occurrences[due] = OccurrenceRow(due, *rest)


def load_items(conn: Connection, item_ids: list[str]) -> dict[str, ItemRow]:
    rows: dict[str, ItemRow] = {}
    for chunk in chunks(item_ids):
        at: dict[int, ItemRow] = {}
        for r in conn.execute(select(board_items).where(board_items.c.item_id.in_(chunk))):
            rows[r.item_id] = at[r.position] = item_row(r)
        _add_occurrences(conn, at)
    return rows


def save_items(conn: Connection, rows: list[ItemRow], existing: set[str]) -> None:
    """Write these items' rows (in key order): replace the ones already stored, insert
    the new ones."""
    stale = [r.position for r in rows if r.item_id in existing]
    for chunk in chunks(stale):
        conn.execute(board_occurrences.delete().where(board_occurrences.c.item_position.in_(chunk)))
        conn.execute(board_items.delete().where(board_items.c.position.in_(chunk)))
    insert_rows(
        conn,
        board_items,
        [
            (
                r.position,
                r.item_id,
                r.plan_id,
                r.section_id,
                r.number,
                r.title,
                r.responsible,
                orjson.dumps(r.targets).decode(),
                r.deadline_text,
                r.cancelled,
                r.version,
                r.updated_at,
            )
            for r in rows
        ],
    )
    insert_rows(
        conn,
        board_occurrences,
        [
            (
                r.position,
                o.due,
                o.opens,
                o.status,
                o.percent,
                o.done_on,
                o.note,
                o.request_id,
                o.request_to,
                o.request_status,
                o.request_reason,
            )
            for r in rows
            for o in r.occurrences.values()
        ],
    )


# ------------------------------------------------------------------ queries


def board_item(r: ItemRow) -> BoardItem:
    """An item's row as the board shows it: an open occurrence of a cancelled item reads
    cancelled; the occurrences in due order."""
    return BoardItem(
        id=r.item_id,
        title=r.title,
        section_id=r.section_id,
        number=r.number,
        responsible=r.responsible,
        cancelled=r.cancelled,
        occurrences=[
            Occurrence(
                due=date.fromisoformat(o.due),
                opens=date.fromisoformat(o.opens) if o.opens else None,
                status=CANCELLED if r.cancelled and o.status != DONE else o.status,
                percent=o.percent,
                done_on=date.fromisoformat(o.done_on) if o.done_on else None,
                note=o.note,
            )
            for o in sorted(r.occurrences.values(), key=lambda o: o.due)
        ],
        targets=r.targets,
        version=r.version,
        requests={
            o.due: document
            for o in r.occurrences.values()
            if (
                document := request_document(
                    o.request_id, o.request_to, o.request_status, o.request_reason
                )
            )
        },
    )
