"""Sending the outbox's reminders as daily digests: one message per person per day.

The outbox rows (`planlog.projections.outbox`) are a read model of the issued reminders,
one row per `ReminderIssued`; this is the side effect that reads them and sends.

A run takes every row whose time to (re)try has come, groups the rows by recipient
(organisation and name) and sends each recipient one digest listing all their items,
overdue first (`messages.render_digest`). Rows are marked per recipient: a row is
`sent` once every one of its recipients has had it in a digest.

- **Never lost.** A row that could not go out (no channel, a failing channel) waits,
  retried with a backoff of at most six hours, for as long as it takes; setting a channel
  wakes the organisation's waiting rows at once. Nothing is given up on.
- **One message per person per day.** A recipient who already had a digest today gets
  the rows that arrived since in tomorrow's, at the time of day today's went out; only a
  digest that was already tried today (a retry) may go again.
- **At-least-once.** Rows are claimed (status `sending`) and committed before anything is
  sent, and marked after; a crash in between leaves them claimed until their lease runs
  out, and the digest is sent again. Channels that succeeded are remembered per row and
  recipient, by a fingerprint of their full URL (never the mask, which two robots may
  share), so a retry goes only to the channels that failed.
- **In parallel.** Digests are sent by a bounded pool of threads, each as soon as it is
  worded; the database work (claiming, wording, recording) stays on the calling thread,
  in batches, and reads the batch's channels, people and digests of the day once, not
  once per recipient.
"""

from __future__ import annotations

import logging
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Engine, and_, bindparam, or_, select, update
from sqlalchemy.engine import Connection

from planlog.auth.links import sign_in_url
from planlog.domain.clock import PLAN_TZ
from planlog.domain.person import answers_for, responsible_names
from planlog.projections.board import board_items, board_occurrences, board_plans
from planlog.projections.bulk import chunks
from planlog.projections.digests import digest_outbox
from planlog.projections.outbox import (
    FAILED,
    NO_CHANNEL,
    OBSOLETE,
    PENDING,
    RETRYING,
    SENDING,
    SENT,
    notify_channels,
    reminder_digests,
    reminder_outbox,
    utc_iso,
)
from planlog.projections.people import PersonRow, people_for, people_in
from planlog.scheduler.delivery import (
    Attempt,
    Mention,
    by_channel,
    channel_key,
    mask,
    next_retry_delay,
    parse_urls,
)
from planlog.scheduler.delivery import send as channel_send
from planlog.scheduler.messages import Digest, DigestItem, render_digest

LEASE = timedelta(minutes=10)
#: how soon a reminder that found no channel is looked at again (a channel set for its
#: organisation or one of its people wakes it at once; the environment's default, read
#: at start, is found within this)
NO_CHANNEL_RECHECK = timedelta(hours=1)
#: How long a batch may send before it stops handing out messages: what is left goes
#: out on the next pass. The rest of the lease is for recording the outcomes, so that no
#: other pass claims the batch (and sends it again) while this one still works on it.
SENDING_WINDOW = LEASE * 0.8
#: Threads sending digests at once: enough to hide each channel's round trip, few
#: enough not to swamp a webhook or an SMTP relay.
WORKERS = 16
#: Digests claimed, sent and recorded together: a crash resends at most one batch.
BATCH = 2000

log = logging.getLogger("planlog.delivery")

#: statuses of rows still to be delivered; `failed` too: rows an earlier version gave up
#: on after eight attempts go out now, and a vanished item's row is looked at again
#: (the weekly laggard digests wait the same way)
WAITING = _WAITING = (PENDING, RETRYING, NO_CHANNEL, FAILED)
#: how long a row whose item left the board waits before it is looked at again
_VANISHED_RECHECK = timedelta(hours=6)


# ------------------------------------------------------------------ channels


def set_channels(engine: Engine, org: str, person: str | None, urls: list[str]) -> None:
    """Where reminders for an organisation (person None) or one of its people go.

    Reminders of the organisation that are waiting for a channel (none set, or one
    failing) are due again at once: a channel set is a channel to try now."""
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
            _wake(conn, org)


def _wake(conn: Connection, org: str) -> None:
    conn.execute(  # the organisation's weekly laggard digests waiting for a channel too
        update(digest_outbox)
        .where(
            digest_outbox.c.org == org,
            digest_outbox.c.status.in_((NO_CHANNEL, RETRYING, FAILED)),
        )
        .values(next_attempt_at="")
    )
    o, i, p = reminder_outbox.c, board_items.c, board_plans.c
    items_of_org = (
        select(i.item_id).join_from(board_items, board_plans, p.plan_id == i.plan_id)
    ).where(p.org == org)
    conn.execute(
        update(reminder_outbox)
        .where(o.status.in_((NO_CHANNEL, RETRYING, FAILED)), o.item_id.in_(items_of_org))
        .values(next_attempt_at="")  # sorts before every time: due now
    )


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


def address(name: str, org: str) -> str:
    """How a reminder names a recipient of another organisation than the item's (the
    chair above a lagging union): "name@org". A bare name is of the item's organisation,
    as every reminder issued before this was."""
    return f"{name}@{org}"


def recipient_org(item_org: str, recipient: str) -> tuple[str, str]:
    """(organisation, name) whose channels and people a recipient is looked up in."""
    name, at, org = recipient.rpartition("@")
    if at and name and org:
        return org, name
    return item_org, recipient


def default_urls() -> list[str]:
    return parse_urls(os.environ.get("PLANLOG_NOTIFY_URLS"))


def channels_for(conn: Connection, org: str, people: list[str]) -> list[str]:
    """The organisation's channels and those of `people` in it, else the default ones."""
    return _channels_for(conn, org, people)


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


# ------------------------------------------------------------------ people

#: (org, recipient) → the person's contact for mentions and their sign-in links
PersonLookup = Callable[[Connection, str, str], "Contact | None"]


@dataclass(frozen=True)
class Contact:
    """Who a recipient is, when the people register knows: for @mentions and links."""

    person_ids: tuple[str, ...]
    mention: Mention
    #: the people's names: whose own channels (`own_channels`) may carry a sign-in link
    names: tuple[str, ...] = ()


def _contact(conn: Connection, org: str, recipient: str) -> Contact | None:
    return _contact_of(people_for(conn, org, [recipient]))


def _contact_of(found: list[PersonRow]) -> Contact | None:
    if not found:
        return None
    return Contact(
        tuple(str(p.id) for p in found),
        Mention(
            mobiles=tuple(p.mobile for p in found if p.mobile),
            user_ids=tuple(p.im_id for p in found if p.im_id),
        ),
        tuple(p.name for p in found),
    )


class _Directory:
    """The channels and the people of the organisations of one batch of digests, read
    in a query or two per 500 organisations: a digest costs no query of its own (one
    channel query and one people query each were most of its wording time)."""

    def __init__(self, conn: Connection, orgs: set[str], people: PersonLookup) -> None:
        self._conn = conn
        self._lookup = people
        #: org → person ("" for the organisation itself) → urls, in (org, person) order
        self._urls: dict[str, dict[str, list[str]]] = {org: {} for org in orgs}
        self._people: dict[str, list[PersonRow]] = {org: [] for org in orgs}
        c = notify_channels.c
        for batch in chunks(sorted(orgs), 500):
            query = (
                select(c.org, c.person, c.urls).where(c.org.in_(batch)).order_by(c.org, c.person)
            )
            for org, person, urls in conn.execute(query):
                self._urls[org][person] = urls.split()
            if people is _contact:  # the register itself: read once for the batch
                for row in people_in(conn, batch):
                    self._people[row.org].append(row)

    def channels_for(self, org: str, people: list[str]) -> list[str]:
        """As `channels_for`, from what was read."""
        found = self._urls.get(org, {})
        urls: list[str] = []
        for person in sorted({"", *people}):
            urls.extend(u for u in found.get(person, ()) if u not in urls)
        return urls or default_urls()

    def own_channels(self, org: str, person_name: str) -> list[str]:
        """As `own_channels`, from what was read."""
        return list(self._urls.get(org, {}).get(person_name, ())) if person_name else []

    def contact(self, org: str, recipient: str) -> Contact | None:
        if self._lookup is not _contact:  # a lookup of the caller's own
            return self._lookup(self._conn, org, recipient)
        wanted = responsible_names(recipient)
        if not wanted:
            return None
        return _contact_of(
            [p for p in self._people.get(org, ()) if answers_for(p.name, p.department, wanted)]
        )


LinkMaker = Callable[[Engine, str, str, str], str]


def _sign_in_link(engine: Engine, person_id: str, base_url: str, next_path: str) -> str:
    return sign_in_url(engine, person_id, base_url, next_path)


# ------------------------------------------------------------------ delivery

#: (urls, title, body, mention) → one Attempt per URL; the real one is delivery.send
Sender = Callable[[list[str], str, str, Mention | None], list[Attempt]]


def default_sender(
    urls: list[str], title: str, body: str, mention: Mention | None
) -> list[Attempt]:
    """The real `Sender` (apprise, robots @mentioning), for reminders and digests alike."""
    return channel_send(urls, title, body, mention=mention)


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
    return (sender or default_sender)(urls, title, body, None)


@dataclass(frozen=True)
class Delivery:
    """What became of one outbox row in a run."""

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


@dataclass(frozen=True)
class DigestSent:
    """One digest message (to one recipient, all their channels) and how it went."""

    org: str
    recipient: str
    day: str
    positions: list[int]
    channels: list[Attempt]

    @property
    def ok(self) -> bool:
        return any(a.ok for a in self.channels)


@dataclass
class DeliveryRun:
    rows: list[Delivery] = field(default_factory=list)
    digests: list[DigestSent] = field(default_factory=list)


def deliver_pending(
    engine: Engine,
    now: datetime,
    *,
    sender: Sender | None = None,
    link_base: str | None = None,
    lang: str = "zh",
    today: date | None = None,
    workers: int = WORKERS,
) -> list[Delivery]:
    """Send every reminder whose time to (re)try has come; what became of each row."""
    run = deliver(
        engine, now, sender=sender, link_base=link_base, lang=lang, today=today, workers=workers
    )
    return run.rows


def deliver(
    engine: Engine,
    now: datetime,
    *,
    sender: Sender | None = None,
    link_base: str | None = None,
    lang: str = "zh",
    today: date | None = None,
    workers: int = WORKERS,
    people: PersonLookup = _contact,
    link_maker: LinkMaker = _sign_in_link,
) -> DeliveryRun:
    """Send every due reminder as digests; the rows and the digests of this run."""
    day = today or now.astimezone(PLAN_TZ).date()
    run = DeliveryRun()
    rows = _due_rows(engine, now)
    if not rows:
        return run
    run.rows.extend(_drop_vanished(engine, rows, now))
    run.rows.extend(_drop_obsolete(engine, rows, now))
    groups = _group(rows)
    keys = list(groups)
    for start in range(0, len(keys), BATCH):
        batch = {key: groups[key] for key in keys[start : start + BATCH]}
        _run_batch(
            engine,
            batch,
            now,
            day,
            run,
            _Wording(sender or default_sender, link_base, lang, people, link_maker),
            workers,
        )
    return run


@dataclass(frozen=True)
class _Wording:
    send: Sender
    link_base: str | None
    lang: str
    people: PersonLookup
    link_maker: LinkMaker


@dataclass
class _Row:
    """An outbox row being delivered: what it is about, and whom it reached so far."""

    position: int
    item_id: str
    occurrence: str
    kind: str
    escalate: bool
    recipients: list[str]
    attempts: int
    status: str
    claimed_at: str | None
    # (recipient, channel_key). A pair an older version stored with the masked channel
    # never matches a key, so that channel is sent to again: masks collide (two DingTalk
    # robots mask alike), so a masked record cannot say which channel had it, and
    # counting it delivered could lose a message; sending twice cannot.
    done: set[tuple[str, str]]
    everyone: set[str]  # masked channels done for all (rows from before digests): as above
    org: str | None
    item_title: str
    plan_title: str
    responsible: str | None
    opens: str | None
    percent: int | None
    note: str | None
    closed: bool
    submitted: bool
    #: outcome of this run
    reached: set[str] = field(default_factory=set)  # recipients fully delivered to
    failed: list[str] = field(default_factory=list)
    no_channel: list[str] = field(default_factory=list)
    held_until: datetime | None = None
    tried: bool = False
    attempts_seen: list[Attempt] = field(default_factory=list)

    def channel_done(self, recipient: str, channel: str) -> bool:
        return channel in self.everyone or (recipient, channel) in self.done

    def as_recorded(self, org: str, name: str) -> str:
        """The recipient as this row records it ("name", or "name@org" for a recipient
        of another organisation than the item's)."""
        assert self.org is not None
        for recipient in self.recipients:
            if recipient_org(self.org, recipient) == (org, name):
                return recipient
        return name


def _due_rows(engine: Engine, now: datetime) -> list[_Row]:
    o, i, p, oc = reminder_outbox.c, board_items.c, board_plans.c, board_occurrences.c
    query = (
        select(
            o.position,
            o.item_id,
            o.occurrence,
            o.kind,
            o.escalate,
            o.recipients,
            o.attempts,
            o.status,
            o.claimed_at,
            o.delivered_to,
            p.org,
            i.title,
            p.title.label("plan_title"),
            i.responsible,
            oc.opens,
            oc.percent,
            oc.note,
            oc.status.label("occ_status"),
        )
        .join_from(reminder_outbox, board_items, i.item_id == o.item_id, isouter=True)
        .join(board_plans, p.plan_id == i.plan_id, isouter=True)
        .join(
            board_occurrences,
            and_(oc.item_position == i.position, oc.due == o.occurrence),
            isouter=True,
        )
        .where(
            or_(
                and_(o.status.in_(_WAITING), o.next_attempt_at <= utc_iso(now)),
                and_(o.status == SENDING, o.claimed_at <= utc_iso(now - LEASE)),
            )
        )
        .order_by(o.position)
    )
    rows = []
    with engine.connect() as conn:
        for r in conn.execute(query):
            pairs = orjson.loads(r.delivered_to)
            rows.append(
                _Row(
                    position=r.position,
                    item_id=r.item_id,
                    occurrence=r.occurrence,
                    kind=r.kind,
                    escalate=bool(r.escalate),
                    recipients=list(orjson.loads(r.recipients)),
                    attempts=r.attempts,
                    status=r.status,
                    claimed_at=r.claimed_at,
                    done={(a, b) for a, b in (p for p in pairs if isinstance(p, list))},
                    everyone={p for p in pairs if isinstance(p, str)},
                    org=r.org,
                    item_title=r.title or "",
                    plan_title=r.plan_title or "",
                    responsible=r.responsible,
                    opens=r.opens,
                    percent=r.percent,
                    note=r.note,
                    # done: no longer to be told; handed in: awaiting the chair (待确认办结)
                    closed=r.occ_status == "done",
                    submitted=r.occ_status == "submitted",
                )
            )
    return rows


def _drop_vanished(engine: Engine, rows: list[_Row], now: datetime) -> list[Delivery]:
    """Rows of items that are no longer on the board cannot be worded: they fail (the
    only way a row ends undelivered, and it is shown as such)."""
    gone = [r for r in rows if r.org is None]
    if not gone:
        return []
    o = reminder_outbox.c
    with engine.begin() as conn:
        conn.execute(
            update(reminder_outbox)
            .where(o.position.in_([r.position for r in gone]), o.status != SENT)
            .values(
                status=FAILED,
                last_error="the item is no longer on the board",
                next_attempt_at=utc_iso(now + _VANISHED_RECHECK),
            )
        )
    rows[:] = [r for r in rows if r.org is not None]
    return [Delivery(r.position, r.item_id, r.occurrence, r.kind, FAILED, []) for r in gone]


def _drop_obsolete(engine: Engine, rows: list[_Row], now: datetime) -> list[Delivery]:
    """Rows whose deadline was done before they went out are not sent: they are marked
    `obsolete` (kept, shown by `planlog reminders`), so a channel set mid-year does not
    deliver months of closed backlog."""
    done = [r for r in rows if r.closed]
    if not done:
        return []
    o = reminder_outbox.c
    with engine.begin() as conn:
        conn.execute(
            update(reminder_outbox)
            .where(o.position.in_([r.position for r in done]), o.status != SENT)
            .values(status=OBSOLETE, last_error=None, next_attempt_at=utc_iso(now))
        )
    rows[:] = [r for r in rows if not r.closed]
    return [Delivery(r.position, r.item_id, r.occurrence, r.kind, OBSOLETE, []) for r in done]


def _group(rows: list[_Row]) -> dict[tuple[str, str], list[_Row]]:
    """Rows by (organisation, recipient): a recipient is looked up in the organisation
    they belong to, the chair above a union in the organisation above."""
    groups: dict[tuple[str, str], list[_Row]] = defaultdict(list)
    for row in rows:
        assert row.org is not None
        for recipient in row.recipients:
            groups[recipient_org(row.org, recipient)].append(row)
    return groups


def _fully_done(row: _Row, recipient: str, urls: list[str]) -> bool:
    """Whether `recipient` had this row on every channel in `urls`."""
    return all(row.channel_done(recipient, channel_key(u)) for u in urls)


@dataclass
class _Job:
    org: str
    recipient: str
    urls: list[str]
    rows: list[_Row]
    title: str
    body: str
    mention: Mention | None


def _run_batch(
    engine: Engine,
    groups: dict[tuple[str, str], list[_Row]],
    now: datetime,
    day: date,
    run: DeliveryRun,
    wording: _Wording,
    workers: int,
) -> None:
    rows = {r.position: r for rs in groups.values() for r in rs}
    claimed = _claim(engine, list(rows.values()), now)
    until = time.monotonic() + SENDING_WINDOW.total_seconds()
    groups = {key: [r for r in rs if r.position in claimed] for key, rs in groups.items()}
    mine = [rows[p] for p in claimed]
    sent_today = _sent_today(engine, {key for key, rs in groups.items() if rs}, day)

    def jobs() -> Iterator[_Job]:
        """Each digest as soon as it is worded: the first go out while the rest are."""
        with engine.connect() as conn:
            directory = _Directory(
                conn, {org for (org, _), rs in groups.items() if rs}, wording.people
            )
            for (org, recipient), group in groups.items():
                if not group:
                    continue
                try:
                    yield from _prepare(
                        directory, engine, org, recipient, group, now, day, sent_today, wording
                    )
                except Exception as exc:  # one recipient's failure must not hold up the others
                    log.exception("could not word the digest of %s (%s)", recipient, org)
                    for row in group:  # a failed attempt, retried with backoff like any other
                        row.tried = True
                        row.failed.append(f"{type(exc).__name__}: {exc}"[:500])

    sent: list[DigestSent] = []
    for job, attempts in _send_all(jobs(), wording.send, workers, until):
        _note_outcome(job, attempts)
        positions = [r.position for r in job.rows]
        sent.append(DigestSent(job.org, job.recipient, day.isoformat(), positions, attempts))
    run.rows.extend(_record(engine, mine, sent, now))
    run.digests.extend(sent)


def _claim(engine: Engine, rows: list[_Row], now: datetime) -> set[int]:
    """Claim the rows still due (another worker may have taken some); returns ours."""
    o = reminder_outbox.c
    ours: set[int] = set()
    with engine.begin() as conn:
        for chunk in _chunks([r.position for r in rows], 500):
            result = conn.execute(
                update(reminder_outbox)
                .where(
                    o.position.in_(chunk),
                    or_(
                        and_(o.status.in_(_WAITING), o.next_attempt_at <= utc_iso(now)),
                        and_(o.status == SENDING, o.claimed_at <= utc_iso(now - LEASE)),
                    ),
                )
                .values(status=SENDING, claimed_at=utc_iso(now))
                .returning(o.position)
            )
            ours.update(result.scalars())
    return ours


def _chunks(values: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _sent_today(
    engine: Engine, keys: set[tuple[str, str]], day: date
) -> dict[tuple[str, str], datetime]:
    """When each of these recipients first had a digest today (those who had one)."""
    d = reminder_digests.c
    first: dict[tuple[str, str], datetime] = {}
    if not keys:
        return first
    with engine.connect() as conn:
        # Only the batch's organisations: the day's other digests are not read again for
        # every batch of a busy day.
        for orgs in chunks(sorted({org for org, _ in keys}), 500):
            query = select(d.org, d.recipient, d.at).where(
                d.day == day.isoformat(), d.org.in_(orgs), d.ok.is_(True)
            )
            for org, recipient, at in conn.execute(query):
                key = (org, recipient)
                moment = datetime.fromisoformat(at)
                if key in keys and (key not in first or moment < first[key]):
                    first[key] = moment
    return first


def _tried_today(row: _Row, day: date) -> bool:
    """Whether this row was already in a digest attempted today (so it may go again):
    a claim left by a run that died, or an attempt earlier today."""
    if row.status == SENDING:
        return True
    return (
        row.claimed_at is not None
        and row.attempts > 0
        and datetime.fromisoformat(row.claimed_at).astimezone(PLAN_TZ).date() == day
    )


def _prepare(
    directory: _Directory,
    engine: Engine,
    org: str,
    recipient: str,
    group: list[_Row],
    now: datetime,
    day: date,
    sent_today: dict[tuple[str, str], datetime],
    wording: _Wording,
) -> list[_Job]:
    """The messages of one recipient's digest (one per set of channels with the same
    rows still to receive; usually one), or none when they wait."""
    first = sent_today.get((org, recipient))
    if first is not None:
        # Already had today's digest: only a retry of it goes now, the rest tomorrow.
        later = [r for r in group if not _tried_today(r, day)]
        for row in later:
            until = first + timedelta(days=1)
            row.held_until = until if row.held_until is None else min(row.held_until, until)
        group = [r for r in group if _tried_today(r, day)]
        if not group:
            return []
    name = recipient
    urls = directory.channels_for(org, [name])
    if not urls:
        for row in group:
            row.no_channel.append(row.as_recorded(org, name))
            row.tried = True
        return []
    contact = directory.contact(org, name)
    private = _private_channels(directory, org, contact, urls)
    # One message per set of rows still to receive and per kind of channel: only a
    # message to the person's own channels carries their sign-in link.
    by_rows: dict[tuple[tuple[int, ...], bool], list[str]] = defaultdict(list)
    for url in urls:
        todo = tuple(
            r.position
            for r in group
            if not r.channel_done(r.as_recorded(org, name), channel_key(url))
        )
        if todo:
            by_rows[(todo, url in private)].append(url)
    for row in group:
        if _fully_done(row, row.as_recorded(org, name), urls):
            row.reached.add(row.as_recorded(org, name))
    jobs = []
    rows_at = {r.position: r for r in group}
    for (positions, own), channel_urls in by_rows.items():
        rows = [rows_at[p] for p in positions]
        sign_in = _sign_in(engine, contact, wording) if own else None
        digest = _digest(org, name, rows, day, contact, wording, sign_in)
        title, body = render_digest(digest, wording.lang)
        jobs.append(
            _Job(
                org,
                recipient,
                channel_urls,
                rows,
                title,
                body,
                contact.mention if contact else None,
            )
        )
    return jobs


def _private_channels(
    directory: _Directory, org: str, contact: Contact | None, urls: list[str]
) -> set[str]:
    """Which of `urls` are the own channels of the one person a recipient is (none for
    a department of several people, or an unknown recipient). A URL also configured for
    the organisation is not private, whoever else lists it."""
    if contact is None or len(contact.person_ids) != 1 or len(contact.names) != 1:
        return set()
    shared = set(directory.channels_for(org, []))
    return {u for u in directory.own_channels(org, contact.names[0]) if u in urls} - shared


def _sign_in(engine: Engine, contact: Contact | None, wording: _Wording) -> str | None:
    """One one-time link per message, to the person's task list (我的任务)."""
    if not wording.link_base or contact is None or len(contact.person_ids) != 1:
        return None
    return wording.link_maker(engine, contact.person_ids[0], wording.link_base, "/me")


def _digest(
    org: str,
    recipient: str,
    rows: list[_Row],
    day: date,
    contact: Contact | None,
    wording: _Wording,
    sign_in: str | None = None,
) -> Digest:
    # Several reminders of one deadline (a backlog, a lead and a due) are one item.
    merged: dict[tuple[str, str], list[_Row]] = defaultdict(list)
    for row in rows:
        merged[(row.item_id, row.occurrence)].append(row)
    items = []
    for (item_id, occurrence), same in merged.items():
        row = same[0]
        items.append(
            DigestItem(
                item_title=row.item_title,
                plan_title=row.plan_title,
                responsible=row.responsible,
                occurrence_due=date.fromisoformat(occurrence),
                opens=date.fromisoformat(row.opens) if row.opens else None,
                escalate=any(r.escalate for r in same),
                percent=row.percent,
                note=row.note,
                closed=row.closed,
                submitted=row.submitted,
                link=_link(item_id, wording),
            )
        )
    mention = None
    if contact is not None:
        mention = " ".join(f"@{m}" for m in (*contact.mention.mobiles, *contact.mention.user_ids))
    return Digest(recipient, org, day, tuple(items), mention or None, sign_in)


def _link(item_id: str, wording: _Wording) -> str | None:
    """The task's plain page: whoever opens it signs in as themselves."""
    if not wording.link_base:
        return None
    return f"{wording.link_base.rstrip('/')}/items/{item_id}"


def _send_all(
    jobs: Iterable[_Job], send: Sender, workers: int, until: float
) -> Iterable[tuple[_Job, list[Attempt]]]:
    """Send each job as it comes (the pool starts on the first while the others are
    worded); the outcomes once every job is handed over, on the calling thread.

    Nothing is sent after `until` (time.monotonic()): a job not started by then is left
    untried, its rows due again on the next pass; one still sending is given up as
    failed, to be retried, never recorded as sent. Each message has its own deadline
    (delivery.send's `timeout`); this one bounds the batch as a whole by its lease."""
    if workers <= 1:
        for job in jobs:
            if time.monotonic() >= until:
                return
            yield job, _send_guarded(job, send)
        return
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="planlog-send")
    try:
        futures = {pool.submit(_send_guarded, job, send): job for job in jobs}
        pending = set(futures)
        try:
            for future in as_completed(futures, timeout=max(0.0, until - time.monotonic())):
                pending.discard(future)
                yield futures[future], future.result()
        except TimeoutError:
            for future in pending:
                job = futures[future]
                if future.done():
                    yield job, future.result()
                elif not future.cancel():
                    log.warning(
                        "gave up the digest of %s (%s): lease ending", job.recipient, job.org
                    )
                    yield job, [Attempt(mask(u), False, "batch lease ending") for u in job.urls]
    finally:
        # A send still under way must not hold up recording the rest before the lease ends.
        pool.shutdown(wait=False, cancel_futures=True)


def _send_guarded(job: _Job, send: Sender) -> list[Attempt]:
    try:
        return send(job.urls, job.title, job.body, job.mention)
    except Exception as exc:  # a sender must never take the run down
        log.exception("sending the digest of %s (%s) failed", job.recipient, job.org)
        error = f"{type(exc).__name__}: {exc}"[:300]
        return [Attempt(mask(u), False, error) for u in job.urls]


def _note_outcome(job: _Job, attempts: list[Attempt]) -> None:
    for row in job.rows:
        recipient = row.as_recorded(job.org, job.recipient)
        row.tried = True
        row.attempts_seen.extend(attempts)
        for url, attempt in by_channel(job.urls, attempts):
            if attempt.ok:  # keyed by the full URL: attempt.url is only its mask
                row.done.add((recipient, channel_key(url)))
            else:
                row.failed.append(f"{attempt.url}: {attempt.error}")
        if all(row.channel_done(recipient, channel_key(u)) for u in job.urls):
            row.reached.add(recipient)


def _record(
    engine: Engine, rows: list[_Row], digests: list[DigestSent], now: datetime
) -> list[Delivery]:
    """Write what became of every claimed row, and the digests sent, in one transaction."""
    updates = []
    deliveries = []
    for row in rows:
        waiting_for = [r for r in row.recipients if r not in row.reached]
        attempts = row.attempts + (1 if row.tried else 0)
        if not waiting_for and not row.failed:  # a channel that failed is never "sent"
            status, error, next_at = SENT, None, now
        elif row.failed:
            status, error = RETRYING, "; ".join(dict.fromkeys(row.failed))[:500]
            next_at = now + next_retry_delay(max(attempts, 1))
        elif row.no_channel:
            status = NO_CHANNEL
            error = f"no notification channel for {row.org} or {', '.join(row.no_channel)}"
            # Nothing to retry until someone sets a channel, and setting one of the
            # organisation's wakes its rows (`_wake`): looked at again hourly at most,
            # not after a minute (at 9,000 unions without channels, the next pass read
            # and rewrote 23,000 such rows: 4.3 s).
            next_at = now + max(next_retry_delay(max(attempts, 1)), NO_CHANNEL_RECHECK)
        else:  # held for tomorrow's digest (or its channels changed meanwhile: try again)
            status, error, next_at = PENDING, None, row.held_until or now
        if row.held_until is not None and status != SENT:
            next_at = min(next_at, row.held_until)
        done = sorted(row.everyone) + [list(p) for p in sorted(row.done)]
        updates.append(
            {
                "p": row.position,
                "status": status,
                "attempts": attempts,
                "sent_at": utc_iso(now) if status == SENT else None,
                "next_attempt_at": utc_iso(next_at),
                "delivered_to": orjson.dumps(done).decode(),
                "last_error": error,
            }
        )
        deliveries.append(
            Delivery(row.position, row.item_id, row.occurrence, row.kind, status, row.attempts_seen)
        )
    o = reminder_outbox.c
    with engine.begin() as conn:
        if updates:
            conn.execute(
                update(reminder_outbox)
                # Only rows still ours: one this pass held past its lease may have been
                # claimed again, and what the other pass records is the truth about it.
                .where(o.position == bindparam("p"), o.claimed_at == utc_iso(now))
                .values(
                    status=bindparam("status"),
                    attempts=bindparam("attempts"),
                    sent_at=bindparam("sent_at"),
                    next_attempt_at=bindparam("next_attempt_at"),
                    delivered_to=bindparam("delivered_to"),
                    last_error=bindparam("last_error"),
                ),
                updates,
            )
        if digests:
            conn.execute(
                reminder_digests.insert(),
                [
                    {
                        "org": d.org,
                        "recipient": d.recipient,
                        "day": d.day,
                        "at": utc_iso(now),
                        "positions": orjson.dumps(d.positions).decode(),
                        "channels": orjson.dumps(
                            [{"channel": a.url, "ok": a.ok, "error": a.error} for a in d.channels]
                        ).decode(),
                        "ok": d.ok,
                    }
                    for d in digests
                ],
            )
    return deliveries
