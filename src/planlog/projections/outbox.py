"""The outbox: every issued reminder and how its delivery went.

Issuing a reminder is an event (`PlanItem.ReminderIssued`); delivering it is a side
effect, done by `planlog.scheduler.dispatch`, the one component that sends and tracks
delivery in these rows. The outbox is a read model of those events whose rows are
never deleted, so a rebuild or replay finds every reminder already there and sends
nothing; rows that a rebuild has to re-create (a wiped read-model database) are
marked `replayed`, never sent. This module holds the tables, the projection and the
report; it sends nothing, so read models never depend on the scheduler.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

import orjson
from pydantic import AfterValidator
from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.engine import Connection

from planlog.domain.events import event_name
from planlog.domain.model import PlanItem
from planlog.projections.base import ReadModel, metadata
from planlog.projections.board import board_items, board_plans
from planlog.projections.bulk import insert_rows
from planlog.projections.changes import Change
from planlog.projections.payloads import Shape, Shapes, iso_time

REMINDER_ISSUED = event_name(PlanItem.ReminderIssued)

#: a row's delivery status (`planlog.scheduler.dispatch` moves it along)
PENDING, SENDING, SENT, RETRYING, FAILED = "pending", "sending", "sent", "retrying", "failed"
REPLAYED, NO_CHANNEL = "replayed", "no_channel"

reminder_outbox = Table(
    "reminder_outbox",
    metadata,
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("item_id", String(36), nullable=False, index=True),
    Column("occurrence", String(10), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("key", String(32), nullable=False),
    Column("escalate", Boolean, nullable=False),
    Column("recipients", Text, nullable=False),  # JSON list of names
    Column("issued_at", String(40), nullable=False),
    Column("scheduled_for", String(40), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", String(40), nullable=False),
    Column("claimed_at", String(40)),
    Column("sent_at", String(40)),
    Column("delivered_to", Text, nullable=False),  # JSON list of masked channels done
    Column("last_error", Text),
    UniqueConstraint("item_id", "occurrence", "key", name="uq_reminder_once"),
)

reminder_attempts = Table(
    "reminder_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("position", Integer, nullable=False, index=True),
    Column("at", String(40), nullable=False),
    Column("channel", Text, nullable=False),  # masked apprise URL
    Column("ok", Boolean, nullable=False),
    Column("error", Text),
)

notify_channels = Table(
    "notify_channels",
    metadata,
    Column("org", Text, primary_key=True),
    Column("person", Text, primary_key=True),  # "" means the whole organisation
    Column("urls", Text, nullable=False),  # apprise URLs, space separated
)


class _ReminderIssued(Shape):
    """What the outbox reads of a reminder: a payload without it is quarantined."""

    occurrence: str
    kind: str
    key: str
    escalate: bool
    recipients: list[str]
    scheduled_for: Annotated[str, AfterValidator(iso_time)]


class OutboxProjection(ReadModel):
    name = "outbox"
    cost = 0.2  # µs per event in bench/rebuild_rate.py
    tables = (reminder_outbox, reminder_attempts)
    types = frozenset({REMINDER_ISSUED})
    payloads: ClassVar[Shapes] = {REMINDER_ISSUED: _ReminderIssued}
    rebuildable = False

    def reset(self, conn: Connection) -> None:
        """Delivery records are history, not a cache: a rebuild keeps them."""

    def apply(self, conn: Connection, changes: list[Change]) -> None:
        positions = [c.position for c in changes]
        known = set(
            conn.execute(
                select(reminder_outbox.c.position).where(
                    reminder_outbox.c.position.between(min(positions), max(positions))
                )
            ).scalars()
        )
        status = REPLAYED if self.replaying else PENDING
        insert_rows(
            conn,
            reminder_outbox,
            [
                (
                    c.position,
                    c.aggregate_id,
                    c.data["occurrence"],
                    c.data["kind"],
                    c.data["key"],
                    c.data["escalate"],
                    orjson.dumps(c.data["recipients"]).decode(),
                    c.recorded_at,
                    c.data["scheduled_for"],
                    status,
                    0,
                    # the first attempt is due when the reminder was, not when it was recorded
                    utc_iso(datetime.fromisoformat(c.data["scheduled_for"])),
                    None,
                    None,
                    "[]",
                    None,
                )
                for c in changes
                if c.position not in known
            ],
        )


def utc_iso(moment: datetime) -> str:
    """The form every time in the outbox is stored in (and compared as text)."""
    return moment.astimezone(UTC).isoformat()


def reminders_report(engine: Engine, orgs: set[str] | None = None) -> list[dict[str, Any]]:
    """Issued reminders with their delivery status, newest first (of `orgs` only, if given)."""
    o, i, p = reminder_outbox.c, board_items.c, board_plans.c
    query = (
        select(reminder_outbox, i.title, p.org)
        .join_from(reminder_outbox, board_items, i.item_id == o.item_id, isouter=True)
        .join(board_plans, p.plan_id == i.plan_id, isouter=True)
        .order_by(o.position.desc())
    )
    if orgs is not None:
        query = query.where(p.org.in_(sorted(orgs)))
    with engine.connect() as conn:
        return [
            {
                "item_id": r.item_id,
                "title": r.title,
                "org": r.org,
                "occurrence": r.occurrence,
                "kind": r.kind,
                "key": r.key,
                "recipients": orjson.loads(r.recipients),
                "escalate": r.escalate,
                "issued_at": r.issued_at,
                "status": r.status,
                "attempts": r.attempts,
                "sent_at": r.sent_at,
                "next_attempt_at": r.next_attempt_at if r.status == RETRYING else None,
                "last_error": r.last_error,
            }
            for r in conn.execute(query)
        ]
