"""The weekly digest of lagging unions (督办周报) to each district's chair.

A district is an organisation with unions (organisations with nothing below them)
directly below it. Once per ISO week (China time), each district with at least one union
behind (an overdue occurrence) gets a digest: its lagging unions, ranked as the ranking
page ranks them (`planlog.projections.ranking`).

Issuing is an event, `Organisation.DigestIssued`, refused a second time for the same
organisation and week: two schedulers, a re-run or a restart issue it once. Sending is
the digest outbox's side effect (`planlog.projections.digests`), at least once: a row is
marked sent only after every channel took it, and retried with the reminders' backoff
for as long as it takes (`planlog.scheduler.delivery`); one waiting for a channel goes
as soon as one is set. Channels are the district chair's own when the chair is a known
person with channels of their own, else the district's (`planlog notify set`), else
PLANLOG_NOTIFY_URLS.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import Engine, and_, or_, select, update

from planlog.domain.clock import PLAN_TZ
from planlog.domain.errors import ConcurrencyConflict, RuleViolation
from planlog.projections.digests import digest_outbox
from planlog.projections.outbox import (
    NO_CHANNEL,
    PENDING,
    RETRYING,
    SENT,
    own_channels,
    utc_iso,
)
from planlog.projections.people import people_for
from planlog.projections.ranking import lagging, ranking
from planlog.projections.rollup import org_tree
from planlog.projections.runner import ReadModelRunner
from planlog.scheduler.delivery import Attempt, next_retry_delay
from planlog.scheduler.delivery import send as apprise_send
from planlog.scheduler.dispatch import WAITING, channels_for
from planlog.service.app import PlanlogApp

log = logging.getLogger("planlog.laggards")

Sender = Callable[[list[str], str, str], list[Attempt]]


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


def issue_digests(app: PlanlogApp, runner: ReadModelRunner, now: datetime) -> list[str]:
    """Issue this week's digest to each district with lagging unions that has none yet."""
    today = now.astimezone(PLAN_TZ).date()
    week = iso_week(today)
    runner.catch_up()
    with runner.engine.connect() as conn:
        # The job runs hourly: a week already issued is known before anything is ranked.
        done = set(
            conn.execute(select(digest_outbox.c.org).where(digest_outbox.c.week == week)).scalars()
        )
        todo = [d for d in districts(org_tree(conn)) if d not in done]
        wanted = {d: lagging(ranking(conn, d, today)) for d in todo}
    issued: list[str] = []
    for district, behind in wanted.items():
        if not behind:
            continue
        org = app.find_organisation(district)
        if org is None or week in org.digest_weeks:
            continue  # a name only plans use, or already issued this week
        try:
            org.issue_digest(week, behind, actor="planlog")
            app.save_all(org)
        except (RuleViolation, ConcurrencyConflict):
            continue  # another scheduler issued it first: once is enough
        issued.append(district)
    return issued


def _channels(engine: Engine, org: str, recipients: list[str]) -> list[str]:
    """The district chair's own channels when the chair is a known person who has some;
    else the district's, else PLANLOG_NOTIFY_URLS."""
    with engine.connect() as conn:
        for chair in recipients:
            if people_for(conn, org, [chair]):
                urls = own_channels(conn, org, chair)
                if urls:
                    return urls
        return channels_for(conn, org, [])


def digest_text(org: str, week: str, rows: list[dict[str, object]], more: int) -> tuple[str, str]:
    """The digest's title and body: Chinese first, English after."""
    title = f"【督办周报】{org} {week}：{len(rows) + more} 个基层工会有逾期事项"
    lines = [
        f"{n}. {row['org']}：逾期 {row['overdue']} 项，完成率 {row['percent_done']}%"
        for n, row in enumerate(rows, 1)
    ]
    if more:
        lines.append(f"……另有 {more} 个工会")
    lines.append("")
    lines.append(f"Weekly digest {week}: {len(rows) + more} union(s) of {org} have overdue work.")
    return title, "\n".join(lines)


def deliver_digests(engine: Engine, now: datetime, *, sender: Sender | None = None) -> int:
    """Send every digest whose time to (re)try has come (waiting as reminders wait:
    pending, retrying, without a channel, or given up on by an earlier version); how
    many went out."""
    send = sender or (lambda urls, title, body: apprise_send(urls, title, body))
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
        urls = _channels(engine, row.org, list(orjson.loads(row.recipients)))
        values: dict[str, object]
        tries = row.attempts + 1
        if not urls:  # waits for a channel: setting one wakes it (dispatch.set_channels)
            values = {
                "status": NO_CHANNEL,
                "attempts": tries,
                "next_attempt_at": utc_iso(now + next_retry_delay(tries)),
                "last_error": f"no notification channel for {row.org}",
            }
        else:
            title, body = digest_text(row.org, row.week, orjson.loads(row.lagging), int(row.more))
            attempts = send(urls, title, body)
            failed = [a for a in attempts if not a.ok]
            if not failed:
                values = {"status": SENT, "sent_at": moment, "attempts": tries}
                sent += 1
            else:  # retried with backoff for as long as it takes, never given up
                values = {
                    "status": RETRYING,
                    "attempts": tries,
                    "next_attempt_at": utc_iso(now + next_retry_delay(tries)),
                    "last_error": "; ".join(a.error or "" for a in failed)[:300],
                }
        with engine.begin() as conn:
            conn.execute(
                update(digest_outbox)
                .where(digest_outbox.c.position == row.position)
                .where(digest_outbox.c.status == row.status)
                .values(**values)
            )
    return sent


def weekly_digest(
    app: PlanlogApp, runner: ReadModelRunner, now: datetime, *, sender: Sender | None = None
) -> DigestRun:
    """The scheduler's job: issue this week's digests (once), then send what is due."""
    issued = issue_digests(app, runner, now)
    runner.catch_up()
    sent = deliver_digests(runner.engine, now, sender=sender)
    if issued or sent:
        log.info("laggard digests: %d issued, %d sent", len(issued), sent)
    return DigestRun(iso_week(now.astimezone(PLAN_TZ).date()), issued, sent)
