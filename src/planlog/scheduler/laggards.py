"""The weekly digest of lagging unions (督办周报) to each district's chairs.

A district is an organisation with unions (organisations with nothing below them)
directly below it. Once per ISO week (China time), each district with at least one union
behind (an overdue occurrence) gets a digest: its lagging unions, ranked as the ranking
page ranks them (`planlog.projections.ranking`, on the district's subtree only, so a
digest costs what its district holds).

Issuing is an event, `Organisation.DigestIssued`, refused a second time for the same
organisation and week: two schedulers, a re-run or a restart issue it once. It names the
district's chairs as registered people, by id (`chairs_of`): its active people with the
role `chair`, and the people its chair (the organisation's free-text chair) names, by
their name only (a department named like the chair, 办公室, is not a chair), at most
CHAIRS_MAX of them. Each chair gets their own message; with no chair registered it goes
to the district as before, and the event says so (`addressed_to`: "chairs" or "unit").
At send time only those still chairs are sent it: a chair who retired or whose role
changed since gets no digest and no sign-in link.

Where a message goes is found the way reminders find it (`planlog.scheduler.dispatch`):
a chair with channels of their own (`own_channels`, minus any the district shares) gets
it there, with a one-time sign-in link to the district's ranking; chairs without any are
@mentioned in one message to the district's channels (`channels_for`: the district's,
else PLANLOG_NOTIFY_URLS), which never carries a sign-in link: anyone in a group chat
could use it. A person who chairs two districts is registered in each (a person belongs
to one organisation), and gets one digest per district: each is that district's own
督办 record, its sign-in link opens that district's ranking as its chair, and one
district's failing or waiting channel does not hold up the other's.

Sending is the digest outbox's side effect (`planlog.projections.digests`), at least
once: a row is marked sent only after every chair had it on every channel (recorded by
a fingerprint of each channel's full URL, never its mask: two DingTalk robots mask
alike), and retried with the reminders' backoff for as long as it takes
(`planlog.scheduler.delivery`), only to those still waiting; one waiting for a channel
goes as soon as one is set. A row that fails in any way is retried on its own: the run
goes on with the others.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import orjson
from sqlalchemy import Engine, and_, or_, select, update
from sqlalchemy.engine import Connection

from planlog.auth.links import sign_in_url
from planlog.domain.clock import PLAN_TZ
from planlog.domain.errors import ConcurrencyConflict, PlanlogError, RuleViolation
from planlog.domain.organisation import CHAIRS_MAX
from planlog.domain.person import responsible_names
from planlog.i18n import count_of
from planlog.projections.digests import UNIT_RECIPIENT, digest_outbox
from planlog.projections.outbox import (
    NO_CHANNEL,
    PENDING,
    RETRYING,
    SENT,
    own_channels,
    utc_iso,
)
from planlog.projections.people import PersonRow, people_in, person_row
from planlog.projections.ranking import lagging, ranking
from planlog.projections.rollup import org_tree, organisations
from planlog.projections.runner import ReadModelRunner
from planlog.scheduler.delivery import (
    Attempt,
    Mention,
    by_channel,
    channel_key,
    mask,
    next_retry_delay,
)
from planlog.scheduler.dispatch import WAITING, Sender, channels_for, default_sender
from planlog.service.app import PlanlogApp

log = logging.getLogger("planlog.laggards")

#: the role a registered person chairs their organisation with (`planlog.domain.person`)
CHAIR_ROLE = "chair"


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def districts(tree: dict[str, dict[str, Any]]) -> list[str]:
    """Organisations with at least one union (a leaf) directly below them."""
    parents: dict[str, str | None] = {name: node["parent"] for name, node in tree.items()}
    has_children = {p for p in parents.values() if p is not None}
    return sorted({p for n, p in parents.items() if p is not None and n not in has_children})


@dataclass(frozen=True)
class DigestRun:
    week: str
    issued: list[str]  # districts whose digest was issued now
    sent: int  # digests delivered now (this week's and earlier retries)


def is_chair(person: PersonRow, named_chair: str | None) -> bool:
    """Whether a person chairs their organisation: the role `chair`, or the name its
    free-text chair gives. By name only: unlike a reminder's responsible text, a chair
    named "办公室" does not make everyone of the office a chair with a sign-in link."""
    return person.role == CHAIR_ROLE or person.name in responsible_names(named_chair)


def chairs_of(conn: Connection, org: str, named_chair: str | None) -> list[dict[str, str]]:
    """The organisation's registered chairs, by person id (`is_chair`), by name then id:
    at most CHAIRS_MAX, as a digest takes no more (the first by that order, so every
    scheduler picks the same)."""
    found = [p for p in people_in(conn, [org]) if is_chair(p, named_chair)]
    found.sort(key=lambda p: (p.name, p.id))
    return [{"person_id": p.id, "name": p.name} for p in found[:CHAIRS_MAX]]


def issue_digests(app: PlanlogApp, runner: ReadModelRunner, now: datetime) -> list[str]:
    """Issue this week's digest to each district with lagging unions that has none yet."""
    today = now.astimezone(PLAN_TZ).date()
    week = iso_week(today)
    runner.catch_up()
    wanted: dict[str, tuple[list[dict[str, Any]], list[dict[str, str]]]] = {}
    with runner.engine.connect() as conn:
        # The job runs hourly: a week already issued is known before anything is ranked.
        done = set(
            conn.execute(select(digest_outbox.c.org).where(digest_outbox.c.week == week)).scalars()
        )
        tree = org_tree(conn)
        for district in districts(tree):
            if district in done:
                continue
            behind = lagging(ranking(conn, district, today))  # its own subtree only
            if behind:
                wanted[district] = (behind, chairs_of(conn, district, tree[district]["chair"]))
    issued: list[str] = []
    for district, (behind, chairs) in wanted.items():
        org = app.find_organisation(district)
        if org is None or week in org.digest_weeks:
            continue  # a name only plans use, or already issued this week
        try:
            org.issue_digest(week, behind, chairs=chairs, actor="planlog")
            app.save_all(org)
        except (RuleViolation, ConcurrencyConflict):
            continue  # another scheduler issued it first: once is enough
        except PlanlogError:  # one district's bad data must not hold up the others
            log.exception("could not issue the laggard digest of %s (%s)", district, week)
            continue
        issued.append(district)
    return issued


def ranking_path(org: str) -> str:
    """The web page of the organisation's ranking (督办), where a digest's link leads."""
    return f"/orgs/{quote(org, safe='')}/rollup"


def digest_text(
    org: str,
    week: str,
    rows: list[dict[str, object]],
    more: int,
    *,
    to: list[str] | None = None,
    mention: Mention | None = None,
    link: str | None = None,
    sign_in: bool = False,
) -> tuple[str, str]:
    """The digest's title and body: Chinese first, English after. `to` names whom it is
    for; `link` is the ranking page, a one-time sign-in link to it when `sign_in`."""
    count = len(rows) + more
    title = f"【督办周报】{org} {week}：{count} 个基层工会有逾期事项"
    lines = []
    if to:
        lines.append(f"致 {'、'.join(to)}：")
    if mention:
        lines.append(" ".join(f"@{m}" for m in (*mention.mobiles, *mention.user_ids)))
    lines.extend(
        f"{n}. {row['org']}：逾期 {row['overdue']} 项，完成率 {row['percent_done']}%"
        for n, row in enumerate(rows, 1)
    )
    if more:
        lines.append(f"……另有 {more} 个工会有逾期事项")
    lines.append("")
    whom = f" for {', '.join(to)}" if to else ""
    lines.append(
        f"Weekly digest {week}{whom}: {count_of(count, 'union')} of {org} with overdue work."
    )
    if link:  # once, in both languages: a sign-in link is one link, used once
        zh, en = ("（一次性登录链接）", " (one-time sign-in link)") if sign_in else ("", "")
        lines.append(f"查看督办排名{zh} / The ranking{en}:")
        lines.append(link)
    return title, "\n".join(lines)


@dataclass
class _Message:
    """One message of a digest: to whom (recipient keys), through which channels."""

    recipients: list[str]  # person ids, or UNIT_RECIPIENT
    urls: list[str]
    to: list[str]  # the names it greets
    own: PersonRow | None = None  # the one person whose own channels these are
    mention: Mention | None = None


@dataclass
class _Plan:
    """A digest row's messages, and its recipients that have no channel at all."""

    messages: list[_Message] = field(default_factory=list)
    no_channel: list[str] = field(default_factory=list)  # names


def _current_chair(conn: Connection, org: str) -> str | None:
    """The organisation's free-text chair now (it may have changed since issuing)."""
    return conn.execute(
        select(organisations.c.chair).where(organisations.c.name == org)
    ).scalar_one_or_none()


def _plan(conn: Connection, org: str, chairs: list[dict[str, str]], names: list[str]) -> _Plan:
    """Whom a digest goes to and through which channels, looked up as reminders do:
    each chair still active and still a chair (`is_chair` now: a role changed since
    issuing takes the digest and its sign-in link away) through their own channels,
    those without any together through the district's (or the default) channels; with
    no chair left, the district."""
    shared = channels_for(conn, org, [])  # the district's channels, else the default
    people = [person_row(conn, c["person_id"]) for c in chairs]
    named = _current_chair(conn, org)
    active = [p for p in people if p is not None and not p.retired and is_chair(p, named)]
    plan = _Plan()
    if not active:  # none registered (or all retired since): the district, as before
        if shared:  # greeting the chair named in free text, never one who has left
            plan.messages.append(_Message([UNIT_RECIPIENT], shared, [] if chairs else names))
        else:
            plan.no_channel.append(org)
        return plan
    grouped: list[PersonRow] = []
    for person in active:
        # A channel the district shares is a group's, never the person's own.
        own = [u for u in own_channels(conn, person.org, person.name) if u not in shared]
        if own:
            plan.messages.append(_Message([person.id], own, [person.name], own=person))
        else:
            grouped.append(person)
    if grouped and shared:
        mention = Mention(
            mobiles=tuple(p.mobile for p in grouped if p.mobile),
            user_ids=tuple(p.im_id for p in grouped if p.im_id),
        )
        plan.messages.append(
            _Message([p.id for p in grouped], shared, [p.name for p in grouped], None, mention)
        )
    elif grouped:
        plan.no_channel.extend(p.name for p in grouped)
    return plan


def _send(send: Sender, message: _Message, urls: list[str], title: str, body: str) -> list[Attempt]:
    try:
        return send(urls, title, body, message.mention or None)
    except Exception as exc:  # a sender must never take the run down
        log.exception("sending a laggard digest to %s failed", ", ".join(message.to))
        return [Attempt(mask(u), False, f"{type(exc).__name__}: {exc}"[:300]) for u in urls]


def deliver_digests(
    engine: Engine,
    now: datetime,
    *,
    sender: Sender | None = None,
    link_base: str | None = None,
) -> int:
    """Send every digest whose time to (re)try has come (waiting as reminders wait:
    pending, retrying, without a channel, or given up on by an earlier version), to each
    of its recipients still waiting for it; how many digests were fully delivered now."""
    send = sender or default_sender
    moment = utc_iso(now)
    with engine.connect() as conn:
        rows = conn.execute(
            select(digest_outbox).where(
                or_(  # a new digest goes at once, whenever the scheduler's clock says it is
                    digest_outbox.c.status == PENDING,
                    and_(
                        digest_outbox.c.status.in_(WAITING),
                        digest_outbox.c.next_attempt_at <= moment,
                    ),
                )
            )
        ).all()
    sent = 0
    for row in rows:
        # What this row's sending did so far, kept even when it fails half-way: a retry
        # then goes only to those still waiting, nobody has it twice.
        done = {(str(k), str(c)) for k, c in orjson.loads(row.delivered_to or "[]")}
        try:
            values = _deliver_row(engine, row, now, send, link_base, done)
        except Exception as exc:  # one digest's failure must not hold up the others
            log.exception("delivering the laggard digest of %s (%s) failed", row.org, row.week)
            values = _retrying(row, now, done, [f"{type(exc).__name__}: {exc}"])
        try:
            with engine.begin() as conn:
                conn.execute(
                    update(digest_outbox)
                    .where(digest_outbox.c.position == row.position)
                    .where(digest_outbox.c.status == row.status)
                    .values(**values)
                )
        except Exception:  # unrecorded: it goes again (at least once), the others go on
            log.exception("recording the laggard digest of %s (%s) failed", row.org, row.week)
            continue
        if values["status"] == SENT:
            sent += 1
    return sent


def _retrying(
    row: Any, now: datetime, done: set[tuple[str, str]], failed: list[str]
) -> dict[str, Any]:
    """A row's values after a failed attempt: retried with backoff, never given up."""
    tries = row.attempts + 1
    return {
        "status": RETRYING,
        "attempts": tries,
        "next_attempt_at": utc_iso(now + next_retry_delay(tries)),
        "delivered_to": _delivered(done),
        "last_error": "; ".join(failed)[:300],
    }


def _delivered(done: set[tuple[str, str]]) -> str:
    return orjson.dumps(sorted([k, c] for k, c in done)).decode()


def _deliver_row(
    engine: Engine,
    row: Any,
    now: datetime,
    send: Sender,
    link_base: str | None,
    done: set[tuple[str, str]],
) -> dict[str, Any]:
    """Send one digest to whoever has not had it yet, adding to `done` each (recipient,
    channel_key) it reached; the row's new values. A pair an older version stored with
    the masked channel never matches a key, so that channel gets the digest again: a
    mask may stand for several channels (two DingTalk robots), so it cannot say which
    one had it, and counting it delivered could lose a digest; sending twice cannot."""
    chairs = list(orjson.loads(row.chairs or "[]"))
    with engine.connect() as conn:
        plan = _plan(conn, row.org, chairs, list(orjson.loads(row.recipients)))
    lagging_rows = orjson.loads(row.lagging)
    failed: list[str] = []
    for message in plan.messages:
        todo = [
            u
            for u in message.urls
            if any((k, channel_key(u)) not in done for k in message.recipients)
        ]
        if not todo:
            continue  # had it on every channel in an earlier attempt
        link = None
        if link_base:  # a sign-in link only to the person's own channels
            link = f"{link_base.rstrip('/')}{ranking_path(row.org)}"
            if message.own is not None:
                link = sign_in_url(engine, message.own.id, link_base, ranking_path(row.org))
        title, body = digest_text(
            row.org,
            row.week,
            lagging_rows,
            int(row.more),
            to=message.to,
            mention=message.mention,
            link=link,
            sign_in=message.own is not None and link is not None,
        )
        for url, attempt in by_channel(todo, _send(send, message, todo, title, body)):
            if attempt.ok:  # keyed by the full URL: attempt.url is only its mask
                done.update((k, channel_key(url)) for k in message.recipients)
            else:
                failed.append(f"{attempt.url}: {attempt.error}")
    reached = all(
        (k, channel_key(u)) in done for m in plan.messages for k in m.recipients for u in m.urls
    )
    if failed:  # retried with backoff for as long as it takes, never given up
        return _retrying(row, now, done, failed)
    tries = row.attempts + 1
    if reached and not plan.no_channel:
        return {
            "status": SENT,
            "sent_at": utc_iso(now),
            "attempts": tries,
            "delivered_to": _delivered(done),
            "last_error": None,
        }
    # waits for a channel: setting one wakes it (dispatch.set_channels)
    return {
        "status": NO_CHANNEL,
        "attempts": tries,
        "next_attempt_at": utc_iso(now + next_retry_delay(tries)),
        "delivered_to": _delivered(done),
        "last_error": f"no notification channel for {', '.join(plan.no_channel)} ({row.org})",
    }


def weekly_digest(
    app: PlanlogApp,
    runner: ReadModelRunner,
    now: datetime,
    *,
    sender: Sender | None = None,
    link_base: str | None = None,
) -> DigestRun:
    """The scheduler's job: issue this week's digests (once), then send what is due."""
    issued = issue_digests(app, runner, now)
    runner.catch_up()
    sent = deliver_digests(runner.engine, now, sender=sender, link_base=link_base)
    if issued or sent:
        log.info("laggard digests: %d issued, %d sent", len(issued), sent)
    return DigestRun(iso_week(now.astimezone(PLAN_TZ).date()), issued, sent)
