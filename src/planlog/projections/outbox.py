"""The outbox: every issued reminder and how its delivery went.

Issuing a reminder is an event (`PlanItem.ReminderIssued`); delivering it is a side
effect, done by `planlog.scheduler.dispatch`, the one component that sends and tracks
delivery in these rows. The outbox is a read model of those events whose rows are
never deleted, so a rebuild or replay finds every reminder already there and sends
nothing; rows that a rebuild has to re-create (a wiped read-model database) are
marked `replayed`, never sent. This module holds the tables, the projection and the
report; it sends nothing, so read models never depend on the scheduler.

A row is delivered once every one of its recipients has had it in a digest (one
message per recipient per China day, `reminder_digests` keeps each one sent); until
then it waits (`pending`, `retrying`, `no_channel`) and is never given up on: those
rows are the undelivered reminders the board and `planlog reminders` show.
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
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
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
#: a row whose deadline was done before it could go out: kept, never sent (a channel set
#: mid-year must not deliver months of closed backlog)
OBSOLETE = "obsolete"
#: still to be delivered because delivery was tried and did not succeed: shown as
#: undelivered (a row merely `pending` is on its way, or held for tomorrow's digest)
UNDELIVERED = (NO_CHANNEL, RETRYING, FAILED)

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
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", String(40), nullable=False),
    Column("claimed_at", String(40)),
    Column("sent_at", String(40)),
    # JSON list of [recipient, channel key] pairs done (`delivery.channel_key`, a
    # fingerprint of the URL). Masked channels, as older versions stored them (in pairs,
    # or bare strings for every recipient in rows from before digests), are kept but
    # never match a key: that channel is sent to again rather than perhaps never.
    Column("delivered_to", Text, nullable=False),
    Column("last_error", Text),
    UniqueConstraint("item_id", "occurrence", "key", name="uq_reminder_once"),
)
#: The rows still to go out (or to be shown undelivered): what every delivery run asks
#: for. A partial index holds only them, so its size follows a day's reminders, not the
#: year's sent ones a whole-column index on `status` kept (and walked, at 900 unions,
#: 214,000 entries to find none).
_UNSENT = (PENDING, SENDING, RETRYING, NO_CHANNEL, FAILED)
Index(
    "ix_reminder_outbox_unsent",
    reminder_outbox.c.status,
    reminder_outbox.c.next_attempt_at,
    # PostgreSQL proves each query's status list within this one; SQLite takes a partial
    # index only for the very predicate, so there it indexes every row.
    postgresql_where=reminder_outbox.c.status.in_(_UNSENT),
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

#: One row per digest message sent (or tried) to a recipient's channels: the record
#: behind "one message per person per day" and the figures of the simulated year.
reminder_digests = Table(
    "reminder_digests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("org", Text, nullable=False),
    Column("recipient", Text, nullable=False),
    Column("day", String(10), nullable=False),  # China date the digest went out on
    Column("at", String(40), nullable=False),
    Column("positions", Text, nullable=False),  # JSON list of outbox positions it carried
    Column("channels", Text, nullable=False),  # JSON list of {channel, ok, error}
    Column("ok", Boolean, nullable=False),  # at least one channel took it
    Index("ix_reminder_digests_day", "day", "org", "recipient"),
)

notify_channels = Table(
    "notify_channels",
    metadata,
    Column("org", Text, primary_key=True),
    Column("person", Text, primary_key=True),  # "" means the whole organisation
    Column("urls", Text, nullable=False),  # apprise URLs, space separated
)


def own_channels(conn: Connection, org: str, person_name: str) -> list[str]:
    """A person's own reminder channels (their per-person rows), never the organisation's
    nor the default ones: the only places a one-time sign-in link may go, since a link in
    a group chat would let everyone in the group sign in as that person."""
    c = notify_channels.c
    query = select(c.urls).where(c.org == org, c.person == person_name, c.person != "")
    return [u for text in conn.execute(query).scalars() for u in text.split()]


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
    cost = 1.0  # see ReadModel.cost
    tables = (reminder_outbox, reminder_attempts, reminder_digests)
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
                "next_attempt_at": r.next_attempt_at if r.status in UNDELIVERED else None,
                "last_error": r.last_error,
                "undelivered": r.status in UNDELIVERED,
            }
            for r in conn.execute(query)
        ]


def undelivered_reminders(
    engine: Engine, *, plan_id: str | None = None, orgs: set[str] | None = None
) -> list[dict[str, Any]]:
    """Reminders whose delivery was tried and has not succeeded yet (no channel, a
    failing channel), oldest first: what the board warns about until they go out."""
    o, i, p = reminder_outbox.c, board_items.c, board_plans.c
    query = (
        select(
            o.item_id,
            o.occurrence,
            o.kind,
            o.status,
            o.attempts,
            o.last_error,
            o.issued_at,
            o.recipients,
            i.title,
            p.org,
        )
        .join_from(reminder_outbox, board_items, i.item_id == o.item_id)
        .join(board_plans, p.plan_id == i.plan_id)
        .where(o.status.in_(UNDELIVERED))
        .order_by(o.position)
    )
    if plan_id is not None:
        query = query.where(i.plan_id == plan_id)
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
                "recipients": orjson.loads(r.recipients),
                "status": r.status,
                "attempts": r.attempts,
                "issued_at": r.issued_at,
                "last_error": r.last_error,
            }
            for r in conn.execute(query)
        ]


def undelivered_count(engine: Engine) -> int:
    o = reminder_outbox.c
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(reminder_outbox).where(o.status.in_(UNDELIVERED))
            ).scalar_one()
        )
