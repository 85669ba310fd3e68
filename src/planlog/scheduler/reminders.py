"""One reminder pass: issue every reminder whose time has come, as events.

The `reminder_due` index says which open occurrences can have a reminder due now
(planlog.projections.reminder_due), with their plan's policy and the keys already
issued; the policy and the calendar say exactly which reminder is due; the item
aggregate has the final word on what was already issued and whether the occurrence
is still chased (not done, not submitted, no extension request awaiting the chair).
Issuing goes through the aggregate's optimistic concurrency, so two schedulers
(or a re-run, or a restart) racing for the same reminder cannot both record it:
the loser reloads, sees it issued, and moves on.

Each plan is handled on its own: whatever goes wrong with one plan (its stored
policy, one of its items) is logged naming the plan and reported, and the pass goes
on with the others, so one union's bad data never stops every union's reminders.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from planlog.domain.chasing import CHAIR, CLOSED, PARENT_CHAIR, last_chase_offset
from planlog.domain.errors import ConcurrencyConflict, NotFound, RuleViolation
from planlog.domain.person import responsible_names
from planlog.projections.board import board_items, board_plans
from planlog.projections.calendar import Deadline, open_deadlines
from planlog.projections.outbox import reminder_outbox
from planlog.projections.reminder_due import reminder_due, reminder_policies
from planlog.projections.rollup import organisations
from planlog.scheduler.dispatch import address
from planlog.scheduler.policy import ReminderPolicy, Slot, due_reminder, reminder_slots
from planlog.scheduler.workdays import WorkdayCalendar
from planlog.service.app import PlanlogApp
from planlog.service.commands import IssueReminder

log = logging.getLogger("planlog.reminders")

UNASSIGNED = "（未指定责任人）"
_ERROR_MAX = 500  # characters of a failed plan's error kept in the pass report
_STREAM_ROWS = 1000  # rows fetched at a time from the index


@dataclass(frozen=True)
class IssuedReminder:
    item_id: str
    occurrence: str
    kind: str
    key: str
    recipients: list[str]
    escalate: bool
    scheduled_for: str
    title: str
    org: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "occurrence": self.occurrence,
            "kind": self.kind,
            "key": self.key,
            "recipients": self.recipients,
            "escalate": self.escalate,
            "scheduled_for": self.scheduled_for,
            "title": self.title,
            "org": self.org,
        }


@dataclass(frozen=True)
class FailedPlan:
    """A plan the pass could not handle; the other plans were handled all the same."""

    plan_id: str
    org: str
    plan_title: str
    error: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan_id,
            "org": self.org,
            "plan_title": self.plan_title,
            "error": self.error,
        }


@dataclass
class IssueRun:
    issued: list[IssuedReminder] = field(default_factory=list)
    failed: list[FailedPlan] = field(default_factory=list)


@dataclass(frozen=True)
class _Policy:
    policy: ReminderPolicy
    version: int  # of the plan when it recorded the policy (0: defaults, or unknown)


@dataclass(frozen=True)
class _Due:
    """One occurrence the pass looks at, from either path (the index or the full scan)."""

    item_id: str
    plan_id: str
    org: str
    plan_title: str
    title: str
    responsible: str | None
    opens: date | None
    due: date
    keys: frozenset[str]
    #: the item version the index row was computed at (0 on the full scan)
    version: int = 0


class _Orgs:
    """Chairs up the organisation tree, read as the pass needs them (once per pass)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._known: dict[str, tuple[str | None, str | None]] = {}

    def _get(self, name: str) -> tuple[str | None, str | None]:
        if name not in self._known:
            o = organisations.c
            row = self.conn.execute(select(o.chair, o.parent).where(o.name == name)).first()
            self._known[name] = (row.chair, row.parent) if row else (None, None)
        return self._known[name]

    def chairs(self, org: str, level: int) -> list[str]:
        """Who is told besides the responsible unit at escalation `level`."""
        found: list[str] = []
        chair, parent = self._get(org)
        if level >= CHAIR and chair:
            found.append(chair)
        if level >= PARENT_CHAIR and parent:
            parent_chair, _ = self._get(parent)
            if parent_chair:  # told through the channels of the organisation above
                found.append(address(parent_chair, parent))
        return found


class ReminderIssuer:
    def __init__(self, app: PlanlogApp, engine: Engine, calendar: WorkdayCalendar) -> None:
        self.app = app
        self.engine = engine
        self.calendar = calendar
        #: occurrences looked at and found not due yet: (item, occurrence) → (the row's
        #: item version, its plan's policy version, the exact moment the next reminder is
        #: due). A row woken early (its index moment is a lower bound) is skipped until
        #: then; only rows still awake are kept, so this stays as small as the awake set.
        self._not_yet: dict[tuple[str, str], tuple[int, int, float]] = {}

    def policy(self, plan_id: str) -> ReminderPolicy:
        """The plan's reminder policy: its own settings over the defaults, as recorded
        now (read once a pass, so a change applies from the next pass), with any value
        stored out of bounds clamped (see ReminderPolicy.from_stored)."""
        overrides = self.app.get_plan(UUID(plan_id)).reminder_policy
        return ReminderPolicy.from_stored(overrides, plan=plan_id)

    def stored_policy(self, plan_id: str, stored: object) -> ReminderPolicy:
        """The policy the index keeps for a plan, read as `policy` reads it."""
        return ReminderPolicy.from_stored(stored, plan=plan_id)

    def run(self, now: datetime, *, dry_run: bool = False, full_scan: bool = False) -> IssueRun:
        """Issue (or, with `dry_run`, only list) every reminder due at `now`, plan by plan.

        Reads only the occurrences whose next reminder can be due by now (the
        `reminder_due` index), as a stream grouped by plan. `full_scan` walks every open
        occurrence instead, replaying each plan for its policy and reading the whole
        outbox, as passes did before the index: kept to compare the two (tests, bench).
        """
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be timezone-aware")
        result = IssueRun()
        with self.engine.connect() as conn:
            orgs = _Orgs(conn)
            groups = self._scanned(conn) if full_scan else self._indexed(conn, now)
            seen: dict[tuple[str, str], tuple[int, int, float]] = {}
            for plan_id, policy_source, rows in groups:
                try:
                    policy = policy_source()
                    for due in rows:
                        self._look_at(due, policy, orgs, now, dry_run, result, seen, full_scan)
                except Exception as exc:  # one plan's failure must not stop the others
                    self._failed(plan_id, rows, exc, result)
            if not full_scan:
                self._not_yet = seen
        return result

    def _look_at(
        self,
        due: _Due,
        policy: _Policy,
        orgs: _Orgs,
        now: datetime,
        dry_run: bool,
        result: IssueRun,
        seen: dict[tuple[str, str], tuple[int, int, float]],
        full_scan: bool = False,
    ) -> None:
        where = (due.item_id, due.due.isoformat())
        stamp = (due.version, policy.version)
        known = self._not_yet.get(where)
        if known is not None and known[:2] == stamp and now.timestamp() < known[2]:
            seen[where] = known
            return
        # The full scan works out every chase, as passes did before (tests compare them).
        last = None if full_scan else last_chase_offset(policy.policy, due.due, due.opens, due.keys)
        slots = reminder_slots(
            due.due, due.opens, policy.policy, self.calendar, until=now, chases_from=last or 0
        )
        slot = due_reminder(slots, set(due.keys), now)
        if slot is None:
            later = [s.send_at.timestamp() for s in slots if s.send_at > now]
            seen[where] = (*stamp, min(later, default=float("inf")))
            return
        reminder = self._reminder(due, slot, orgs.chairs(due.org, slot.level))
        if dry_run or self._issue(due, slots, now, reminder):
            result.issued.append(reminder)
        else:  # refused by the item (a request open, submitted): look again once it changes
            seen[where] = (*stamp, float("inf"))

    def _indexed(self, conn: Connection, now: datetime) -> Iterator[_PlanGroup]:
        r, i, p, pol = reminder_due.c, board_items.c, board_plans.c, reminder_policies.c
        query = (
            select(
                r.item_id,
                r.plan_id,
                p.org,
                p.title.label("plan_title"),
                i.title,
                i.responsible,
                r.opens,
                r.occurrence,
                r.issued_keys,
                r.version,
                pol.policy,
                pol.version.label("policy_version"),
            )
            .join_from(reminder_due, board_items, i.item_id == r.item_id)
            .join(board_plans, p.plan_id == r.plan_id)
            .outerjoin(reminder_policies, pol.plan_id == r.plan_id)
            .where(r.wake_at <= int(now.timestamp()))
            .order_by(r.plan_id, r.item_id, r.occurrence)
        )
        # Streamed: memory follows one plan's due rows, not every row due.
        stream = conn.execution_options(stream_results=True, yield_per=_STREAM_ROWS)
        rows = stream.execute(query)
        for plan_id, group in groupby(rows, key=lambda row: row.plan_id):
            plan_rows = list(group)
            first = plan_rows[0]

            def policy(first: Any = first, plan_id: str = plan_id) -> _Policy:
                stored = orjson.loads(first.policy) if first.policy is not None else {}
                return _Policy(self.stored_policy(plan_id, stored), first.policy_version or 0)

            yield (
                plan_id,
                policy,
                [
                    _Due(
                        item_id=row.item_id,
                        plan_id=row.plan_id,
                        org=row.org,
                        plan_title=row.plan_title,
                        title=row.title,
                        responsible=row.responsible,
                        opens=date.fromisoformat(row.opens) if row.opens else None,
                        due=date.fromisoformat(row.occurrence),
                        keys=frozenset(orjson.loads(row.issued_keys)),
                        version=row.version,
                    )
                    for row in plan_rows
                ],
            )

    def _scanned(self, conn: Connection) -> Iterator[_PlanGroup]:
        deadlines = open_deadlines(conn)
        issued = self._issued_keys(conn)
        by_plan: dict[str, list[Deadline]] = defaultdict(list)
        for deadline in deadlines:
            by_plan[deadline.plan_id].append(deadline)
        for plan_id, plan_deadlines in by_plan.items():
            yield (
                plan_id,
                lambda plan_id=plan_id: _Policy(self.policy(plan_id), 0),  # type: ignore[misc]
                [
                    _Due(
                        item_id=d.item_id,
                        plan_id=d.plan_id,
                        org=d.org,
                        plan_title=d.plan_title,
                        title=d.title,
                        responsible=d.responsible,
                        opens=d.opens,
                        due=d.due,
                        keys=frozenset(issued.get((d.item_id, d.due.isoformat()), set())),
                    )
                    for d in plan_deadlines
                    if d.status not in CLOSED
                ],
            )

    @staticmethod
    def _failed(plan_id: str, rows: list[_Due], exc: Exception, result: IssueRun) -> None:
        org = rows[0].org if rows else ""
        plan_title = rows[0].plan_title if rows else ""
        log.exception(
            "reminder pass: plan %s (%s, %s) failed; going on with the other plans",
            plan_id,
            org,
            plan_title,
        )
        error = f"{type(exc).__name__}: {exc}"
        result.failed.append(FailedPlan(plan_id, org, plan_title, error[:_ERROR_MAX]))

    @staticmethod
    def _issued_keys(conn: Any) -> dict[tuple[str, str], set[str]]:
        keys: dict[tuple[str, str], set[str]] = defaultdict(set)
        o = reminder_outbox.c
        for item_id, occurrence, key in conn.execute(select(o.item_id, o.occurrence, o.key)):
            keys[(item_id, occurrence)].add(key)
        return keys

    @staticmethod
    def _reminder(due: _Due, slot: Slot, chairs: list[str]) -> IssuedReminder:
        # each unit or person named is a recipient of their own: "组织部、宣传部" is two
        recipients = responsible_names(due.responsible) or [UNASSIGNED]
        for chair in chairs:
            if chair not in recipients:
                recipients.append(chair)
        return IssuedReminder(
            item_id=due.item_id,
            occurrence=due.due.isoformat(),
            kind=slot.kind,
            key=slot.key,
            recipients=recipients,
            escalate=slot.escalate,
            scheduled_for=slot.send_at.isoformat(),
            title=due.title,
            org=due.org,
        )

    def _issue(self, due: _Due, slots: list[Slot], now: datetime, reminder: IssuedReminder) -> bool:
        """Record the reminder on the item unless the item itself says it is not due."""
        for _ in range(3):
            try:
                item = self.app.get_item(UUID(due.item_id))
                occ = item.occurrences.get(reminder.occurrence)
                if item.cancelled or occ is None or occ.status in CLOSED:
                    return False  # the read model lagged behind a completion
                if _extension_requested(item, reminder.occurrence):
                    return False  # chasing pauses while the chair decides on a new date
                slot = due_reminder(slots, item.reminders.get(reminder.occurrence, set()), now)
                if slot is None or slot.key != reminder.key:
                    return False  # issued meanwhile, by another pass
                self.app.handle(
                    IssueReminder(
                        item_id=item.id,
                        occurrence=reminder.occurrence,
                        kind=reminder.kind,
                        key=reminder.key,
                        scheduled_for=datetime.fromisoformat(reminder.scheduled_for),
                        recipients=reminder.recipients,
                        escalate=reminder.escalate,
                    )
                )
                return True
            except ConcurrencyConflict:
                continue  # someone wrote the item meanwhile: look again
            except (RuleViolation, NotFound) as refused:
                log.info("reminder %s not issued: %s", reminder.key, refused)
                return False
        return False


def _extension_requested(item: Any, occurrence: str) -> bool:
    """Whether a request to move this deadline awaits the chair (extension requests come
    with sign-off; an item without them has none)."""
    open_request = getattr(item, "open_extension_request", None)
    return open_request is not None and open_request(occurrence) is not None


_PlanGroup = tuple[str, Callable[[], _Policy], list[_Due]]
