"""Audit timeline: every event with its recorded time, actor, type, item and a readable summary.

A row holds what the log cannot answer by itself: when an event was recorded and
which plan it concerns, indexed so that an auditor's "what happened to this plan
between two dates" is a range scan. Everything a reader sees besides (actor, type,
reason, version and a one-line summary) comes from the event itself when the
timeline is read, through the log's own indexes: the log sits in the same
database, a query shows a page of events rather than the whole log, and a rebuild
then writes a narrow row per event instead of a copy of it (bench/rebuild_rate.py).
Rewording a summary needs no rebuild either.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    func,
    select,
    true,
    update,
)
from sqlalchemy.engine import Connection

from planlog.domain.errors import PlanlogError
from planlog.domain.events import event_name
from planlog.domain.model import Plan, PlanItem
from planlog.projections.base import CLUSTERED, ReadModel, Window, Writer, metadata
from planlog.projections.bulk import chunks, insert_rows
from planlog.projections.changes import Change, changes_at, positions_of
from planlog.projections.payloads import Shape, Shapes
from planlog.service.summaries import MISSING, summarise

# Rows are all integers: a rebuild writes one per event, and text times and plan UUIDs
# made the table and its index twice the size and the rebuild's writes twice as long
# (bench/rebuild_rate.py). Readers get the plan's UUID back through timeline_plans.
audit_timeline = Table(
    "audit_timeline",
    metadata,
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("recorded_at", BigInteger, nullable=False),  # µs since 1970-01-01 UTC
    Column("plan", Integer),  # timeline_plans.key
    # Auditors ask "what happened to this plan between two dates".
    Index("ix_audit_timeline_plan_time", "plan", "recorded_at"),
)

#: the small numbers the timeline stores for plans, in the order it first met them
timeline_plans = Table(
    "timeline_plans",
    metadata,
    Column("key", Integer, primary_key=True, autoincrement=False),
    Column("plan_id", String(36), nullable=False, unique=True),
)

timeline_item_plans = Table(
    "timeline_item_plans",
    metadata,
    Column("item_id", String(36), primary_key=True),
    Column("plan", Integer, nullable=False, index=True),
    Column("title", Text, nullable=False),
    **CLUSTERED,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _micros(moment: datetime) -> int:
    if moment.tzinfo is None:  # planlog's clock records UTC
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MICROSECOND


def _bound(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise PlanlogError(f"{moment.isoformat()} has no time zone: the timeline cannot place it")
    return _micros(moment)


def _iso(micros: int) -> str:
    return (_EPOCH + micros * _MICROSECOND).isoformat()


class _PlanKeys(dict[str, int]):
    """plan_id → the timeline's key for it, read from the snapshot; plans it has not
    met yet get the next free keys, in the order the log names them, which `new` lists
    for writing (so that the keys do not depend on where batches begin)."""

    def __init__(self, snapshot: Connection) -> None:
        self._snapshot = snapshot
        self._next = int(snapshot.scalar(select(func.max(timeline_plans.c.key))) or 0) + 1
        self._looked: set[str] = set()
        self.new: list[tuple[int, str]] = []

    def fetch(self, snapshot: Connection, plan_ids: set[str]) -> None:
        """Read the stored keys of these plans at once (one query per chunk, not per plan)."""
        wanted = sorted(plan_ids - self._looked - self.keys())
        self._looked.update(wanted)
        p = timeline_plans.c
        for chunk in chunks(wanted):
            query = select(p.key, p.plan_id).where(p.plan_id.in_(chunk))
            self.update({r.plan_id: r.key for r in snapshot.execute(query)})

    def __missing__(self, plan_id: str) -> int:
        key = None
        if plan_id not in self._looked:
            query = select(timeline_plans.c.key).where(timeline_plans.c.plan_id == plan_id)
            key = self._snapshot.scalar(query)
        if key is None:
            key, self._next = self._next, self._next + 1
            self.new.append((key, plan_id))
        self[plan_id] = key
        return int(key)


PLANNED = event_name(PlanItem.Planned)
REVISED = event_name(PlanItem.Revised)

#: event type → the word a diff uses for it
DIFF_TYPES = {
    event_name(PlanItem.Planned): "added",
    event_name(PlanItem.Cancelled): "cancelled",
    event_name(PlanItem.Rescheduled): "rescheduled",
    event_name(PlanItem.Reassigned): "reassigned",
    event_name(PlanItem.OccurrenceCompleted): "completed",
    event_name(PlanItem.OccurrenceBackfilled): "backfilled",
    event_name(PlanItem.OccurrenceReopened): "reopened",
    event_name(PlanItem.Revised): "revised",
    event_name(PlanItem.ProgressReported): "progress_reported",
    event_name(PlanItem.OccurrenceSubmitted): "submitted",
    event_name(PlanItem.OccurrenceConfirmed): "confirmed",
    event_name(PlanItem.OccurrenceReturned): "returned",
    event_name(PlanItem.ExtensionRequested): "extension_requested",
    event_name(PlanItem.ExtensionApproved): "extension_approved",
    event_name(PlanItem.ExtensionRejected): "extension_rejected",
}
#: Changes to the plan itself: the auditor's page shows them beside the items' (the
#: diff of the API and the CLI stays about items, as it always was).
PLAN_DIFF_TYPES = {
    event_name(Plan.Renamed): "plan_renamed",
    event_name(Plan.SectionAdded): "section_added",
    event_name(Plan.SectionRenamed): "section_renamed",
    event_name(Plan.SectionsReordered): "sections_reordered",
    event_name(Plan.ReminderPolicySet): "policy_set",
}


class _Planned(Shape):
    plan_id: str
    title: str


class _Retitled(Shape):
    title: str = ""  # may be absent (not retitled); if there, the new title


class _Revised(Shape):
    changes: _Retitled


class TimelineProjection(ReadModel):
    name = "timeline"
    cost = 2.9  # see ReadModel.cost
    tables = (audit_timeline, timeline_plans, timeline_item_plans)
    types = None  # every event belongs on the timeline
    # Another aggregate's plan_id is read with .get() and str(): any payload will do.
    payloads: ClassVar[Shapes] = {PLANNED: _Planned, REVISED: _Revised}

    def reads_payload(self, event_type: str) -> bool:
        # a new item's plan and title, a revised title, another aggregate's plan_id
        return event_type in _ITEM_PAYLOADS or _OWNER[event_type] is _OTHER

    def window(self) -> Window:
        return _TimelineWindow()


class _TimelineWindow(Window):
    """One row per event (kept as three arrays of integers: a million events are 24 MB)
    and the items and plans met, written at once."""

    def __init__(self) -> None:
        self.keys: _PlanKeys | None = None
        #: item → its plan's key (None: an item the timeline has no plan for)
        self.plans: dict[str, int | None] = {}
        #: items planned in this window: [plan key, title], titles revised in place
        self.new_items: dict[str, list[Any]] = {}
        #: stored items whose title a revision changed: the last title
        self.retitled: dict[str, str] = {}
        self.positions = array("q")
        self.micros = array("q")
        self.rows_plan = array("q")  # NO_PLAN for none

    def add(self, snapshot: Connection, changes: list[Change]) -> None:
        if self.keys is None:
            self.keys = _PlanKeys(snapshot)
        keys, plans = self.keys, self.plans
        named: set[str] = set()
        unknown: set[str] = set()
        for c in changes:
            owner = _OWNER[c.type]
            if c.type == PLANNED:
                named.add(c.data["plan_id"])
            elif owner is _ITEM:
                if c.aggregate_id not in plans:
                    unknown.add(c.aggregate_id)
            elif owner is _PLAN:
                named.add(c.aggregate_id)
            elif plan_id := c.data.get("plan_id"):
                named.add(str(plan_id))
        keys.fetch(snapshot, named)
        unknown -= {c.aggregate_id for c in changes if c.type == PLANNED}
        for chunk in chunks(sorted(unknown)):
            t = timeline_item_plans.c
            query = select(t.item_id, t.plan).where(t.item_id.in_(chunk))
            plans.update({r.item_id: r.plan for r in snapshot.execute(query)})
        plans.update(dict.fromkeys(unknown - plans.keys()))
        positions, micros, rows_plan = self.positions, self.micros, self.rows_plan
        for c in changes:
            owner = _OWNER[c.type]
            if c.type == PLANNED:
                plan: int | None = keys[c.data["plan_id"]]
                plans[c.aggregate_id] = plan
                self.new_items[c.aggregate_id] = [plan, c.data["title"]]
            elif owner is _ITEM:
                plan = plans[c.aggregate_id]
                if c.type == REVISED and "title" in c.data["changes"]:
                    title = c.data["changes"]["title"]
                    new = self.new_items.get(c.aggregate_id)
                    if new is not None:
                        new[1] = title
                    else:
                        self.retitled[c.aggregate_id] = title
            elif owner is _PLAN:
                plan = keys[c.aggregate_id]
            else:
                plan_id = c.data.get("plan_id")
                plan = keys[str(plan_id)] if plan_id else None
            positions.append(c.position)
            micros.append(_micros(datetime.fromisoformat(c.recorded_at)))
            rows_plan.append(NO_PLAN if plan is None else plan)

    def weight(self) -> int:
        return 24 * len(self.positions) + 150 * len(self.plans) + 100 * len(self.new_items)

    def writer(self, snapshot: Connection) -> Writer:
        new_keys = self.keys.new if self.keys is not None else []
        items = [(item_id, plan, title) for item_id, (plan, title) in self.new_items.items()]
        retitled = sorted(self.retitled.items())
        positions, micros, rows_plan = self.positions, self.micros, self.rows_plan

        def write(conn: Connection) -> None:
            insert_rows(conn, timeline_plans, new_keys)
            insert_rows(conn, timeline_item_plans, items)
            for item_id, title in retitled:
                conn.execute(
                    update(timeline_item_plans)
                    .where(timeline_item_plans.c.item_id == item_id)
                    .values(title=title)
                )
            # The rows as tuples a slice at a time: a tuple of three ints is ~150 bytes,
            # six times the 24 the window counts for an event in its arrays, so a whole
            # window's list of them would go far over `window_bytes`.
            for start in range(0, len(positions), ROWS_PER_INSERT):
                end = start + ROWS_PER_INSERT
                rows = [
                    (position, moment, None if plan == NO_PLAN else plan)
                    for position, moment, plan in zip(
                        positions[start:end], micros[start:end], rows_plan[start:end], strict=True
                    )
                ]
                insert_rows(conn, audit_timeline, rows)

        return write


#: a row without a plan, in the window's integer arrays
NO_PLAN = -1
#: timeline rows built and inserted at once when a window is written (~7 MB of tuples)
ROWS_PER_INSERT = 50_000


_ITEM, _PLAN, _OTHER = "item", "plan", "other"
#: an event type's name starts with its aggregate's ("PlanItem.Planned")
_ITEM_AGGREGATE, _PLAN_AGGREGATE = PlanItem.__name__, Plan.__name__
_ITEM_PAYLOADS = frozenset({PLANNED, REVISED})


class _Owners(dict[str, str]):
    """Event type → whose event it is: an item's, a plan's, or another aggregate's."""

    def __missing__(self, event_type: str) -> str:
        aggregate = event_type.partition(".")[0]
        owner = {_ITEM_AGGREGATE: _ITEM, _PLAN_AGGREGATE: _PLAN}.get(aggregate, _OTHER)
        self[event_type] = owner
        return owner


_OWNER = _Owners()


def _entry(row: Any, change: Change | None, language: str) -> dict[str, Any]:
    if change is None:  # gone from the log, which only tampering does: keep the row, say so
        return {
            "position": row.position,
            "recorded_at": _iso(row.recorded_at),
            "plan_id": row.plan_id,
            **dict.fromkeys(("actor", "type", "event", "aggregate_id", "version", "item_id")),
            "reason": None,
            "summary": MISSING.get(language, MISSING["zh"]),
        }
    data = change.data
    return {
        "position": row.position,
        "recorded_at": _iso(row.recorded_at),  # the time the filters compared
        "actor": change.actor,
        "type": change.type.rpartition(".")[2],
        "event": change.type,
        "aggregate_id": change.aggregate_id,
        "version": change.version,
        "plan_id": row.plan_id,
        "item_id": change.aggregate_id if _OWNER[change.type] is _ITEM else None,
        "reason": data.get("reason"),
        "summary": summarise(change.type, data, language),
    }


def timeline(
    conn: Connection,
    *,
    plan_id: str | None = None,
    aggregate_id: str | None = None,
    after: datetime | None = None,
    until: datetime | None = None,
    types: Iterable[str] | None = None,
    limit: int | None = None,
    language: str = "zh",
    data: bool = False,
) -> list[dict[str, Any]]:
    """Timeline entries oldest first, by plan, aggregate, event type and recorded time in
    (after, until], summarised in `language`; with `data`, each entry also carries its
    event's payload (the audit summary reads due and done dates from it)."""
    t, p = audit_timeline.c, timeline_plans.c
    conditions = []
    if plan_id is not None:
        conditions.append(t.plan == _plan_key(plan_id))
    if aggregate_id is not None:
        conditions.append(t.position.in_(positions_of(conn, aggregate_id)))
    if after is not None:
        conditions.append(t.recorded_at > _bound(after))
    if until is not None:
        conditions.append(t.recorded_at <= _bound(until))
    query = (
        select(t.position, t.recorded_at, p.plan_id)
        .select_from(audit_timeline.outerjoin(timeline_plans, p.key == t.plan))
        .where(and_(true(), *conditions))  # no filter at all: the whole timeline
        .order_by(t.position)
    )
    wanted = frozenset(types) if types is not None else None
    if limit is not None and wanted is None:
        query = query.limit(limit)
    rows = list(conn.execute(query))
    events = changes_at(conn, [r.position for r in rows])
    entries = [_entry(r, events.get(r.position), language) for r in rows]
    if data:
        for entry in entries:
            change = events.get(entry["position"])
            entry["data"] = change.data if change is not None else {}
    if wanted is not None:
        entries = [e for e in entries if e["event"] in wanted][:limit]
    return entries


def _plan_key(plan_id: str) -> Any:
    return select(timeline_plans.c.key).where(timeline_plans.c.plan_id == plan_id).scalar_subquery()


def diff(
    conn: Connection,
    plan_id: str,
    start: datetime,
    end: datetime,
    language: str = "zh",
    *,
    data: bool = False,
    plan_changes: bool = False,
) -> list[dict[str, Any]]:
    """What happened to a plan's items between two recorded times, in order. With
    `data`, each change also carries its log position and event payload (the audit
    page's summary); the diff documents of the doors leave them out. With
    `plan_changes`, changes to the plan itself (its title, sections, reminder policy)
    are listed too."""
    kinds = {**DIFF_TYPES, **PLAN_DIFF_TYPES} if plan_changes else DIFF_TYPES
    titles = {
        r.item_id: r.title
        for r in conn.execute(
            select(timeline_item_plans).where(timeline_item_plans.c.plan == _plan_key(plan_id))
        )
    }
    changes = []
    entries = timeline(
        conn,
        plan_id=plan_id,
        after=start,
        until=end,
        types=kinds,
        language=language,
        data=data,
    )
    for entry in entries:
        extra = {"position": entry["position"], "data": entry["data"]} if data else {}
        changes.append(
            {
                **extra,
                "item_id": entry["item_id"],
                "type": kinds[entry["event"]],
                "recorded_at": entry["recorded_at"],
                "actor": entry["actor"],
                "reason": entry["reason"],
                "title": titles.get(entry["item_id"]),
                "summary": entry["summary"],
                "version": entry["version"],
            }
        )
    return changes
