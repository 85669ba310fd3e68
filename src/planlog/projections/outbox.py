"""The outbox: every issued reminder, delivered once through its channels.

Issuing a reminder is an event (`PlanItem.ReminderIssued`); delivering it is a
side effect done here, by the one component that tracks delivery. The outbox is a
projection of those events whose rows are never deleted, so a rebuild or replay
finds every reminder already there and sends nothing; rows that a rebuild has to
re-create (a wiped read-model database) are marked `replayed`, never sent.

Delivery is **at-least-once**: a row is claimed (status `sending`) and committed
before anything is sent, and marked `sent` after. A crash between the two leaves
the row claimed; once its lease runs out it is sent again. That window is the
only way a reminder can arrive twice. Channels that succeeded are remembered per
row, so a retry after a partial failure goes only to the channels that failed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
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
    and_,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection

from planlog.projections.base import Projection, metadata
from planlog.projections.board import board_items, board_occurrences, board_plans
from planlog.projections.bulk import insert_rows
from planlog.projections.changes import Change
from planlog.projections.payloads import Shape, Shapes, iso_time
from planlog.projections.rollup import organisations
from planlog.scheduler.delivery import MAX_ATTEMPTS, Attempt, next_retry_delay, parse_urls
from planlog.scheduler.delivery import send as apprise_send
from planlog.scheduler.messages import ReminderNotice, render

PENDING, SENDING, SENT, RETRYING, FAILED = "pending", "sending", "sent", "retrying", "failed"
REPLAYED, NO_CHANNEL = "replayed", "no_channel"
LEASE = timedelta(minutes=10)

log = logging.getLogger("planlog.delivery")

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


class OutboxProjection(Projection):
    name = "outbox"
    cost = 0.2  # µs per event in bench/rebuild_rate.py
    tables = (reminder_outbox, reminder_attempts)
    types = frozenset({"PlanItem.ReminderIssued"})
    payloads: ClassVar[Shapes] = {"PlanItem.ReminderIssued": _ReminderIssued}
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
                    _iso(datetime.fromisoformat(c.data["scheduled_for"])),
                    None,
                    None,
                    "[]",
                    None,
                )
                for c in changes
                if c.position not in known
            ],
        )


# ------------------------------------------------------------------ channels


def set_channels(engine: Engine, org: str, person: str | None, urls: list[str]) -> None:
    """Where reminders for an organisation (person None) or one of its people go."""
    cleaned = parse_urls(" ".join(urls))
    key = {"org": org, "person": person or ""}
    with engine.begin() as conn:
        conn.execute(
            notify_channels.delete().where(
                notify_channels.c.org == org, notify_channels.c.person == key["person"]
            )
        )
        if cleaned:
            conn.execute(notify_channels.insert().values(**key, urls=" ".join(cleaned)))


def list_channels(engine: Engine) -> list[dict[str, Any]]:
    from planlog.scheduler.delivery import mask

    with engine.connect() as conn:
        return [
            {
                "org": r.org,
                "person": r.person or None,
                "channels": [mask(u) for u in r.urls.split()],
            }
            for r in conn.execute(select(notify_channels).order_by(notify_channels.c.org))
        ]


def default_urls() -> list[str]:
    return parse_urls(os.environ.get("PLANLOG_NOTIFY_URLS"))


def _channels_for(conn: Connection, org: str, people: list[str]) -> list[str]:
    wanted = ["", *people]
    rows = conn.execute(
        select(notify_channels.c.urls).where(
            notify_channels.c.org == org, notify_channels.c.person.in_(wanted)
        )
    ).scalars()
    urls: list[str] = []
    for text in rows:
        urls.extend(u for u in text.split() if u not in urls)
    return urls or default_urls()


# ------------------------------------------------------------------ delivery

Sender = Callable[[list[str], str, str], list[Attempt]]


@dataclass(frozen=True)
class Delivery:
    position: int
    item_id: str
    occurrence: str
    kind: str
    status: str
    channels: list[Attempt]

    def to_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "item_id": self.item_id,
            "occurrence": self.occurrence,
            "kind": self.kind,
            "status": self.status,
            "channels": [{"channel": a.url, "ok": a.ok, "error": a.error} for a in self.channels],
        }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def deliver_pending(
    engine: Engine,
    now: datetime,
    *,
    sender: Sender | None = None,
    link_base: str | None = None,
    lang: str = "zh",
    today: date | None = None,
) -> list[Delivery]:
    """Send every reminder whose time to (re)try has come; returns what happened."""
    send = sender or (lambda urls, title, body: apprise_send(urls, title, body))
    o = reminder_outbox.c
    due = (
        select(reminder_outbox)
        .where(
            or_(
                and_(o.status.in_((PENDING, RETRYING)), o.next_attempt_at <= _iso(now)),
                and_(o.status == SENDING, o.claimed_at <= _iso(now - LEASE)),
            )
        )
        .order_by(o.position)
    )
    with engine.connect() as conn:
        rows = list(conn.execute(due))
    delivered = []
    for row in rows:
        try:
            done = _deliver_one(engine, row, now, send, link_base, lang, today)
        except Exception as exc:  # one reminder's failure must not hold up the others
            log.exception(
                "delivery of reminder %s (item %s, %s) failed", row.key, row.item_id, row.occurrence
            )
            try:
                done = _record_error(engine, row, now, f"{type(exc).__name__}: {exc}"[:500])
            except Exception:  # the database itself: the lease returns the row later
                log.exception("could not record the failure of reminder %s", row.key)
                done = None
        if done is not None:
            delivered.append(done)
    return delivered


def _record_error(engine: Engine, row: Any, now: datetime, error: str) -> Delivery | None:
    """Count an unexpected failure as a failed attempt, retried with backoff like any
    other, rather than leaving the row claimed until its lease runs out every time."""
    status = FAILED if row.attempts + 1 >= MAX_ATTEMPTS else RETRYING
    o = reminder_outbox.c
    with engine.begin() as conn:
        changed = conn.execute(
            update(reminder_outbox)
            .where(o.position == row.position, o.status == SENDING)
            .values(
                status=status,
                attempts=row.attempts + 1,
                next_attempt_at=_iso(now + next_retry_delay(row.attempts + 1)),
                last_error=error,
            )
        )
    if changed.rowcount != 1:
        return None  # not claimed by us (the claim itself failed), or recorded meanwhile
    return Delivery(row.position, row.item_id, row.occurrence, row.kind, status, [])


def _claim(engine: Engine, row: Any, now: datetime) -> bool:
    o = reminder_outbox.c
    with engine.begin() as conn:
        claimed = conn.execute(
            update(reminder_outbox)
            .where(o.position == row.position, o.status == row.status, o.attempts == row.attempts)
            .values(status=SENDING, claimed_at=_iso(now))
        )
        return claimed.rowcount == 1


def _deliver_one(
    engine: Engine,
    row: Any,
    now: datetime,
    send: Sender,
    link_base: str | None,
    lang: str,
    today: date | None,
) -> Delivery | None:
    if not _claim(engine, row, now):
        return None  # another worker took it
    with engine.connect() as conn:
        notice, org = _notice(conn, row, now, link_base, today)
        recipients = orjson.loads(row.recipients)
        urls = _channels_for(conn, org, recipients) if notice is not None else []
    done = set(orjson.loads(row.delivered_to))
    todo = [u for u in urls if _masked(u) not in done]
    attempts: list[Attempt] = []
    error: str | None
    if notice is None:
        status, error = FAILED, "the item is no longer on the board"
    elif not urls:
        status = NO_CHANNEL
        error = f"no notification channel for {org} or {', '.join(recipients)}"
    else:
        title, body = render(notice, lang)
        attempts = send(todo, title, body)
        done.update(a.url for a in attempts if a.ok)
        failures = [a for a in attempts if not a.ok]
        error = "; ".join(f"{a.url}: {a.error}" for a in failures) or None
        if not failures:
            status = SENT
        elif row.attempts + 1 >= MAX_ATTEMPTS:
            status = FAILED
        else:
            status = RETRYING
    with engine.begin() as conn:
        conn.execute(
            update(reminder_outbox)
            .where(reminder_outbox.c.position == row.position)
            .values(
                status=status,
                attempts=row.attempts + 1,
                sent_at=_iso(now) if status == SENT else None,
                next_attempt_at=_iso(now + next_retry_delay(row.attempts + 1)),
                delivered_to=orjson.dumps(sorted(done)).decode(),
                last_error=error,
            )
        )
        if attempts:
            conn.execute(
                reminder_attempts.insert(),
                [
                    {
                        "position": row.position,
                        "at": _iso(now),
                        "channel": a.url,
                        "ok": a.ok,
                        "error": a.error,
                    }
                    for a in attempts
                ],
            )
    return Delivery(row.position, row.item_id, row.occurrence, row.kind, status, attempts)


def _masked(url: str) -> str:
    from planlog.scheduler.delivery import mask

    return mask(url)


def _notice(
    conn: Connection, row: Any, now: datetime, link_base: str | None, today: date | None
) -> tuple[ReminderNotice | None, str]:
    from planlog.service.app import PLAN_TZ

    i, p, oc = board_items.c, board_plans.c, board_occurrences.c
    found = conn.execute(
        select(i.title, i.responsible, p.org, p.title.label("plan_title"), oc.opens)
        .join_from(board_items, board_plans, p.plan_id == i.plan_id)
        .outerjoin(
            board_occurrences, and_(oc.item_position == i.position, oc.due == row.occurrence)
        )
        .where(i.item_id == row.item_id)
    ).first()
    if found is None:
        return None, ""
    chair = conn.execute(
        select(organisations.c.chair).where(organisations.c.name == found.org)
    ).scalar()
    notice = ReminderNotice(
        plan_title=found.plan_title,
        org=found.org,
        item_title=found.title,
        responsible=found.responsible,
        chair=chair,
        occurrence_due=date.fromisoformat(row.occurrence),
        opens=date.fromisoformat(found.opens) if found.opens else None,
        kind=row.kind,
        escalate=row.escalate,
        today=today or now.astimezone(PLAN_TZ).date(),
        link=f"{link_base.rstrip('/')}/items/{row.item_id}" if link_base else None,
    )
    return notice, found.org


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
