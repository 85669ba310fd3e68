"""When each open occurrence's next reminder can be due: the reminder pass's index.

A reminder pass used to walk every open occurrence in the store, replay every plan for
its policy and read the whole outbox for the keys issued (issue 17: 140 s at 4,500
unions). This read model keeps, per occurrence, what the pass needs (due date, opening,
status, the keys issued so far) and `wake_at`, the earliest moment its next reminder can
be due, behind an index: a pass reads only the rows whose moment has come, so its cost
follows the reminders due, not the size of the federation. Each plan's policy is kept
here too (`reminder_policies`), so nobody replays a plan to read it.

`wake_at` is worked out without a calendar (planlog.domain.chasing: the next reminder in
nominal order, at the earliest day any calendar could move it to), so it is the same
whatever calendar the pass uses and a rebuild gives the same rows. It may be early (a
chase whose nominal day is a Sunday goes out on Monday): the pass then works out the
exact moment and skips the row until then. It is recomputed whenever the occurrence,
its item, the plan's policy or the reminders issued change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, ClassVar

import orjson
from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text, select
from sqlalchemy.engine import Connection

from planlog.domain.chasing import CLOSED, earliest_send, next_nominal
from planlog.domain.events import event_name
from planlog.domain.model import Plan, PlanItem
from planlog.domain.policy import ReminderPolicy
from planlog.domain.status import DONE, OPEN, SUBMITTED
from planlog.domain.task import FederationTask
from planlog.projections.base import CLUSTERED, ReadModel, Window, Writer, metadata
from planlog.projections.bulk import chunks, insert_rows
from planlog.projections.changes import Change
from planlog.projections.payloads import Shape, Shapes

reminder_due = Table(
    "reminder_due",
    metadata,
    Column("item_id", String(36), primary_key=True),
    Column("occurrence", String(10), primary_key=True),
    Column("plan_id", String(36), nullable=False, index=True),
    Column("opens", String(10)),
    Column(
        "status", String(16), nullable=False
    ),  # open, closed (done, submitted) or paused (requested)
    Column("cancelled", Boolean, nullable=False),
    #: the federation's own item sent down as a task (任务下达): its unions' copies are
    #: chased, the source never is (FederationTask.Sent names it; sending records nothing
    #: on the item itself)
    Column("task_source", Boolean, nullable=False, server_default="0"),
    Column("issued_keys", Text, nullable=False),  # JSON list of the reminder keys issued
    #: the item's version this row was computed at: the pass skips a row it looked at
    #: until it changes
    Column("version", Integer, nullable=False),
    #: epoch seconds (UTC) from which the next reminder can be due; NULL: none will be
    Column("wake_at", BigInteger),
    Index("ix_reminder_due_wake_at", "wake_at"),
    **CLUSTERED,
)

reminder_policies = Table(
    "reminder_policies",
    metadata,
    Column("plan_id", String(36), primary_key=True),
    Column("policy", Text, nullable=False),  # the plan's overrides as recorded (JSON)
    Column("version", Integer, nullable=False),  # the plan's version that recorded them
    **CLUSTERED,
)

POLICY_SET = event_name(Plan.ReminderPolicySet)
REMINDER_ISSUED = event_name(PlanItem.ReminderIssued)
PLANNED = event_name(PlanItem.Planned)
RESCHEDULED = event_name(PlanItem.Rescheduled)
COMPLETED = event_name(PlanItem.OccurrenceCompleted)
BACKFILLED = event_name(PlanItem.OccurrenceBackfilled)
REOPENED = event_name(PlanItem.OccurrenceReopened)
CANCELLED = event_name(PlanItem.Cancelled)
SUBMITTED_FOR_SIGN_OFF = event_name(PlanItem.OccurrenceSubmitted)
CONFIRMED = event_name(PlanItem.OccurrenceConfirmed)
RETURNED = event_name(PlanItem.OccurrenceReturned)
EXTENSION_REQUESTED = event_name(PlanItem.ExtensionRequested)
EXTENSION_REJECTED = event_name(PlanItem.ExtensionRejected)
TASK_SENT = event_name(FederationTask.Sent)
_ITEM = "PlanItem."
#: This index's own status of an occurrence whose extension request (延期申请) is open:
#: chasing pauses until the chair decides (an approval moves the deadline, a rejection
#: resumes the chase). Kept in the `status` column so a later batch still knows it.
AWAITING_EXTENSION = "requested"
#: What each sign-off or extension event makes of an occurrence here.
_STATUS_AFTER = {
    COMPLETED: DONE,
    BACKFILLED: DONE,
    CONFIRMED: DONE,
    REOPENED: OPEN,
    RETURNED: OPEN,
    EXTENSION_REJECTED: OPEN,
    SUBMITTED_FOR_SIGN_OFF: SUBMITTED,
    EXTENSION_REQUESTED: AWAITING_EXTENSION,
}


# Only what chasing depends on is read, so an old event that another read model cannot
# apply (a progress report with a NaN, a completion without its day) does not stop this
# one: progress, titles and who is responsible do not change when to remind.
class _Occurrence(Shape):
    due: str
    opens: str | None = None


class _Planned(Shape):
    plan_id: str | None = None  # an item without a plan is nobody's to chase
    occurrences: list[_Occurrence]


class _Rescheduled(Shape):
    occurrences: list[_Occurrence]


class _OfOccurrence(Shape):
    occurrence: str


class _PolicySet(Shape):
    policy: dict[str, Any]


class _Sent(Shape):
    source_item_id: str


class _Issued(Shape):
    occurrence: str
    key: str


@dataclass
class _Occ:
    due: str
    opens: str | None
    status: str = OPEN
    issued: set[str] = field(default_factory=set)


@dataclass
class _Item:
    item_id: str
    plan_id: str
    cancelled: bool = False
    version: int = 1
    occurrences: dict[str, _Occ] = field(default_factory=dict)
    task_source: bool = False


class ReminderDueProjection(ReadModel):
    name = "reminder_due"
    cost = 4.0  # see ReadModel.cost
    tables = (reminder_due, reminder_policies)
    # Every event: any change of an item (a progress report, an extension request, a
    # sign-off step) moves its version, after which the pass looks at it again. Only
    # the payloads below are read.
    types = None
    payloads: ClassVar[Shapes] = {
        PLANNED: _Planned,
        RESCHEDULED: _Rescheduled,
        COMPLETED: _OfOccurrence,
        BACKFILLED: _OfOccurrence,
        REOPENED: _OfOccurrence,
        SUBMITTED_FOR_SIGN_OFF: _OfOccurrence,
        CONFIRMED: _OfOccurrence,
        RETURNED: _OfOccurrence,
        EXTENSION_REQUESTED: _OfOccurrence,
        EXTENSION_REJECTED: _OfOccurrence,
        REMINDER_ISSUED: _Issued,
        POLICY_SET: _PolicySet,
        TASK_SENT: _Sent,
    }

    def reads_payload(self, event_type: str) -> bool:
        return event_type in self.payloads

    def window(self) -> Window:
        return _DueWindow()


class _DueWindow(Window):
    """The items and policies met in one or many batches, folded in memory; each item's
    rows are computed and written once."""

    ITEM_BYTES = 2_800  # held with its occurrences (tracemalloc, as the board's)

    def __init__(self) -> None:
        self.items: dict[str, _Item] = {}
        self.policies: dict[str, tuple[dict[str, Any], int]] = {}
        self.touched: set[str] = set()
        self.looked: set[str] = set()  # item ids read from the stored rows (found or not)
        self.stored: set[str] = set()  # those found: their rows are replaced
        self.plans_read: set[str] = set()  # plans whose stored items were read

    def add(self, snapshot: Connection, changes: list[Change]) -> None:
        policies: dict[str, tuple[dict[str, Any], int]] = {}
        for change in changes:
            if change.type == POLICY_SET:
                policies[change.aggregate_id] = (change.data["policy"], change.version)
        changes = [
            c for c in changes if c.type.startswith(_ITEM) or c.type in (POLICY_SET, TASK_SENT)
        ]
        items = self.items
        planned = {c.aggregate_id for c in changes if c.type == PLANNED}
        # Membership tests, not set algebra with the window's own sets: `looked | items`
        # built a set of every item met so far for each batch, a rebuild's quarter.
        looked = self.looked
        earlier = {
            i
            for c in changes
            if c.type != POLICY_SET
            and (i := _item_of(c)) not in planned
            and i not in looked
            and i not in items
        }
        plans = set(policies) - self.plans_read
        found = _load(snapshot, sorted(earlier), sorted(plans))
        self.looked |= earlier
        self.plans_read |= plans
        self.stored.update(found)
        for item_id, item in found.items():
            items.setdefault(item_id, item)  # one folded here already is newer
        self.policies.update(policies)
        for change in changes:
            if change.type != POLICY_SET and _fold(items, change):
                self.touched.add(_item_of(change))

    def weight(self) -> int:
        return len(self.items) * self.ITEM_BYTES

    def writer(self, snapshot: Connection) -> Writer:
        items, policies = self.items, self.policies
        touched = set(self.touched)
        if policies:  # every item of a plan whose policy changed is chased anew
            touched.update(i for i, item in items.items() if item.plan_id in policies)
        plans = {items[i].plan_id for i in touched}
        known = _policies(snapshot, sorted(plans - set(policies)))
        known.update(policies)
        parsed: dict[str, ReminderPolicy] = {}

        def policy_of(plan_id: str) -> ReminderPolicy:
            if plan_id not in parsed:
                stored = known.get(plan_id, ({}, 0))[0]
                parsed[plan_id] = ReminderPolicy.from_stored(stored, plan=plan_id)
            return parsed[plan_id]

        columns = [c.name for c in reminder_due.columns]
        rows = [
            tuple(row[c] for c in columns)
            for item_id in sorted(touched)
            for occ in items[item_id].occurrences.values() or [_Occ(_NO_DEADLINE, None)]
            for row in (_row(items[item_id], occ, policy_of(items[item_id].plan_id)),)
        ]
        replaced = sorted(touched & self.stored)

        def write(conn: Connection) -> None:
            for plan_id, (policy, version) in policies.items():
                conn.execute(
                    reminder_policies.delete().where(reminder_policies.c.plan_id == plan_id)
                )
                conn.execute(
                    reminder_policies.insert().values(
                        plan_id=plan_id, policy=orjson.dumps(policy).decode(), version=version
                    )
                )
            for batch in chunks(replaced, 500):
                conn.execute(reminder_due.delete().where(reminder_due.c.item_id.in_(batch)))
            insert_rows(conn, reminder_due, rows)

        return write


def _item_of(change: Change) -> str:
    """The item a change is about: a task's sending is about its source item."""
    return str(change.data["source_item_id"]) if change.type == TASK_SENT else change.aggregate_id


def _fold(items: dict[str, _Item], change: Change) -> bool:
    """Apply one item event to `items` (as the aggregate's `apply` does, for what
    chasing reads); False when it concerns no item kept here."""
    d = change.data
    if change.type == TASK_SENT:
        source = items.get(_item_of(change))
        if source is None:
            return False
        source.task_source = True  # the item's version stays: sending did not change it
        return True
    if change.type == PLANNED:
        if d.get("plan_id") is None:
            return False
        items[change.aggregate_id] = _Item(
            change.aggregate_id, d["plan_id"], occurrences=_occurrences(d["occurrences"])
        )
    else:
        item = items.get(change.aggregate_id)
        if item is None:
            return False
        if change.type == RESCHEDULED:
            kept = {k: o for k, o in item.occurrences.items() if o.status in CLOSED}
            for key, new in _occurrences(d["occurrences"]).items():
                old = item.occurrences.get(key)
                # the reminders issued for a deadline stay issued when it is kept
                kept[key] = _Occ(new.due, new.opens, issued=old.issued if old else set())
            item.occurrences = kept
        elif change.type == REMINDER_ISSUED:
            occ = item.occurrences.get(d["occurrence"])
            if occ is not None:
                occ.issued.add(d["key"])
        elif change.type in _STATUS_AFTER:
            occ = item.occurrences.get(d["occurrence"])
            if occ is not None:
                occ.status = _STATUS_AFTER[change.type]
        elif change.type == CANCELLED:
            item.cancelled = True
        # any other item event changes nothing chasing reads here, only the version
    items[change.aggregate_id].version = change.version
    return True


def _occurrences(data: list[dict[str, Any]]) -> dict[str, _Occ]:
    return {o["due"]: _Occ(o["due"], o.get("opens")) for o in data}


@lru_cache(maxsize=8192)
def wake_at(
    policy: ReminderPolicy, due: str, opens: str | None, keys: tuple[str, ...]
) -> int | None:
    """Epoch seconds from which the next reminder of an open occurrence can be due.

    Remembered: a federation's unions share their deadlines (month ends, the same task's
    copies) and mostly the default policy, so a busy pass's reminders wake few distinct
    moments, and working each out walks the policy's reminders and the holiday table
    (a third of the catch-up of a busy pass's events). Pure: the same arguments, the
    same moment."""
    nominal = next_nominal(
        policy, date.fromisoformat(due), date.fromisoformat(opens) if opens else None, keys
    )
    return None if nominal is None else int(earliest_send(policy, nominal).timestamp())


#: The row of an item without a deadline (yet): it keeps the item's plan, so that a
#: deadline given to it later is chased. Never due.
_NO_DEADLINE = ""


def _row(item: _Item, occ: _Occ, policy: ReminderPolicy) -> dict[str, Any]:
    keys = sorted(occ.issued)
    chased = (
        not item.cancelled
        and not item.task_source
        and occ.status not in CLOSED
        and occ.status != AWAITING_EXTENSION
        and occ.due != _NO_DEADLINE
    )
    return {
        "item_id": item.item_id,
        "occurrence": occ.due,
        "plan_id": item.plan_id,
        "opens": occ.opens,
        "status": occ.status,
        "cancelled": item.cancelled,
        "task_source": item.task_source,
        "issued_keys": orjson.dumps(keys).decode(),
        "version": item.version,
        "wake_at": wake_at(policy, occ.due, occ.opens, tuple(keys)) if chased else None,
    }


def _load(conn: Connection, item_ids: list[str], plan_ids: list[str]) -> dict[str, _Item]:
    """The stored rows of these items and of every item of these plans."""
    r = reminder_due.c
    found: dict[str, _Item] = {}
    queries = [select(reminder_due).where(r.item_id.in_(b)) for b in chunks(item_ids, 500)]
    queries += [select(reminder_due).where(r.plan_id.in_(b)) for b in chunks(plan_ids, 500)]
    for query in queries:
        for row in conn.execute(query):
            item = found.get(row.item_id)
            if item is None:
                item = found[row.item_id] = _Item(
                    row.item_id,
                    row.plan_id,
                    row.cancelled,
                    row.version,
                    task_source=row.task_source,
                )
            if row.occurrence == _NO_DEADLINE:
                continue
            item.occurrences.setdefault(
                row.occurrence,
                _Occ(row.occurrence, row.opens, row.status, set(orjson.loads(row.issued_keys))),
            )
    return found


def _policies(conn: Connection, plan_ids: list[str]) -> dict[str, tuple[dict[str, Any], int]]:
    p = reminder_policies.c
    found: dict[str, tuple[dict[str, Any], int]] = {}
    for batch in chunks(plan_ids, 500):
        for plan_id, policy, version in conn.execute(
            select(p.plan_id, p.policy, p.version).where(p.plan_id.in_(batch))
        ):
            found[plan_id] = (orjson.loads(policy), version)
    return found
