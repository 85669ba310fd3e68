"""Sending the outbox's reminders: claim a due row, word it, send it, record the outcome.

The outbox rows (`planlog.projections.outbox`) are a read model of the issued reminders;
this is the side effect that reads them and sends, once, through each channel.

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
from datetime import date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Engine, and_, or_, select, update
from sqlalchemy.engine import Connection

from planlog.domain.clock import PLAN_TZ
from planlog.projections.board import board_items, board_occurrences, board_plans
from planlog.projections.outbox import (
    FAILED,
    NO_CHANNEL,
    PENDING,
    RETRYING,
    SENDING,
    SENT,
    notify_channels,
    reminder_attempts,
    reminder_outbox,
    utc_iso,
)
from planlog.projections.rollup import organisations
from planlog.scheduler.delivery import MAX_ATTEMPTS, Attempt, mask, next_retry_delay, parse_urls
from planlog.scheduler.delivery import send as apprise_send
from planlog.scheduler.messages import ReminderNotice, render

LEASE = timedelta(minutes=10)

log = logging.getLogger("planlog.delivery")


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


def send_test(
    engine: Engine,
    org: str,
    person: str | None,
    title: str,
    body: str,
    *,
    sender: Sender | None = None,
) -> list[Attempt]:
    """A test message through the channels a reminder to `person` of `org` (or to the
    whole organisation) would take, sent the way reminders are; one Attempt per channel,
    none when there is no channel. Nothing is recorded: it is not a reminder."""
    with engine.connect() as conn:
        urls = _channels_for(conn, org, [person] if person else [])
    if not urls:
        return []
    send = sender or (lambda urls, title, body: apprise_send(urls, title, body))
    return send(urls, title, body)


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
                and_(o.status.in_((PENDING, RETRYING)), o.next_attempt_at <= utc_iso(now)),
                and_(o.status == SENDING, o.claimed_at <= utc_iso(now - LEASE)),
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
                next_attempt_at=utc_iso(now + next_retry_delay(row.attempts + 1)),
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
            .values(status=SENDING, claimed_at=utc_iso(now))
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
    todo = [u for u in urls if mask(u) not in done]
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
                sent_at=utc_iso(now) if status == SENT else None,
                next_attempt_at=utc_iso(now + next_retry_delay(row.attempts + 1)),
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
                        "at": utc_iso(now),
                        "channel": a.url,
                        "ok": a.ok,
                        "error": a.error,
                    }
                    for a in attempts
                ],
            )
    return Delivery(row.position, row.item_id, row.occurrence, row.kind, status, attempts)


def _notice(
    conn: Connection, row: Any, now: datetime, link_base: str | None, today: date | None
) -> tuple[ReminderNotice | None, str]:
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
