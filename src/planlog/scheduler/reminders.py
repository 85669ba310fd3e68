"""One reminder pass: issue every reminder whose time has come, as events.

The `reminder_due` index says which open occurrences can have a reminder due now
(planlog.projections.reminder_due), with their plan's policy and the keys already
issued; the policy and the calendar say exactly which reminder is due; the item
aggregate has the final word on what was already issued and whether the occurrence
is still chased (not done, not submitted, no extension request awaiting the chair).
Issuing goes through the aggregate's optimistic concurrency, so two schedulers
(or a re-run, or a restart) racing for the same reminder cannot both record it:
the loser reloads, sees it issued, and moves on.

What a pass costs follows the reminders due, not the store (issue 17): the index is
read a page at a time where its moment has come, the reminders found due are issued
in batches (`IssueReminders`: their items read in one query, one transaction, the
item deciding on each as above), and the chairs an escalation names are read once per
batch. A pass with nothing due reads one empty page.

Each plan is handled on its own: whatever goes wrong with one plan (its stored
policy, one of its items) is logged naming the plan and reported, and the pass goes
on with the others, so one union's bad data never stops every union's reminders (a
batch that fails is issued again reminder by reminder, plan by plan).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import Engine, select, tuple_
from sqlalchemy.engine import Connection

from planlog.domain.chasing import CHAIR, CLOSED, PARENT_CHAIR, last_chase_offset
from planlog.domain.errors import ConcurrencyConflict, NotFound, RuleViolation
from planlog.domain.person import responsible_names
from planlog.projections.board import board_items, board_plans
from planlog.projections.bulk import chunks
from planlog.projections.calendar import Deadline, open_deadlines
from planlog.projections.outbox import reminder_outbox
from planlog.projections.reminder_due import reminder_due, reminder_policies
from planlog.projections.rollup import organisations
from planlog.scheduler.dispatch import address
from planlog.scheduler.policy import ReminderPolicy, Slot, due_reminder, reminder_slots
from planlog.scheduler.workdays import WorkdayCalendar
from planlog.service.app import PlanlogApp
from planlog.service.commands import IssueReminder, IssueReminders

log = logging.getLogger("planlog.reminders")

UNASSIGNED = "（未指定责任人）"
_ERROR_MAX = 500  # characters of a failed plan's error kept in the pass report
_PAGE_ROWS = 1000  # index rows read at a time
#: reminders issued per transaction (IssueReminders): a crash or a lost race costs one batch
_ISSUE_BATCH = 500


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
    """Chairs up the organisation tree, read in bulk for the reminders of a batch (each
    organisation once per pass), never one query per reminder."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._known: dict[str, tuple[str | None, str | None]] = {}

    def read(self, names: set[str]) -> None:
        """Know these organisations and the ones above them, in a query per 500."""
        o = organisations.c
        for _ in range(2):  # the organisations, then their parents
            todo = sorted(n for n in names if n not in self._known)
            for batch in chunks(todo, 500):
                query = select(o.name, o.chair, o.parent).where(o.name.in_(batch))
                for name, chair, parent in self.conn.execute(query):
                    self._known[name] = (chair, parent)
            self._known.update((n, (None, None)) for n in todo if n not in self._known)
            names = {parent for n in names if (parent := self._known[n][1])}

    def _get(self, name: str) -> tuple[str | None, str | None]:
        if name not in self._known:
            self.read({name})
        return self._known[name]

    def chair(self, org: str) -> str | None:
        """The organisation's chair, if one is registered."""
        return self._get(org)[0]

    def chairs(self, org: str, level: int) -> list[str]:
        """Who is told besides the responsible unit at escalation `level`."""
        found: list[str] = []
        if level < CHAIR:
            return found  # the responsible unit alone: nothing to read
        chair, parent = self._get(org)
        if level >= CHAIR and chair:
            found.append(chair)
        if level >= PARENT_CHAIR and parent:
            parent_chair, _ = self._get(parent)
            if parent_chair:  # told through the channels of the organisation above
                found.append(address(parent_chair, parent))
        return found


@dataclass(frozen=True)
class _Pending:
    """A reminder the pass found due, waiting to be issued with the rest of its batch."""

    plan_id: str
    due: _Due
    slot: Slot
    slots: list[Slot]
    #: the row's item and policy versions, kept with a refusal (see `_not_yet`)
    stamp: tuple[int, int]


@dataclass
class _Pass:
    """What one pass carries from batch to batch."""

    orgs: _Orgs
    now: datetime
    dry_run: bool
    result: IssueRun = field(default_factory=IssueRun)
    #: occurrences looked at and not issued now, as `ReminderIssuer._not_yet` keeps them
    seen: dict[tuple[str, str], tuple[int, int, float]] = field(default_factory=dict)

    def refused(self, p: _Pending, occurrence: str) -> None:
        """The item refused this reminder (a request open, submitted): look again once
        the item or its policy changes."""
        self.seen[(p.due.item_id, occurrence)] = (*p.stamp, float("inf"))


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
        `reminder_due` index), a page at a time, by plan. `full_scan` walks every open
        occurrence instead, replaying each plan for its policy and reading the whole
        outbox, as passes did before the index: kept to compare the two (tests, bench).

        The reminders found due are issued in batches (`IssueReminders`: one read of the
        items, one transaction), so a busy pass costs a few queries per batch, not a few
        per reminder; a batch that fails is issued again reminder by reminder, each plan
        on its own, so one plan's trouble still stops none of the others.
        """
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be timezone-aware")
        with self.engine.connect() as conn:
            run = _Pass(_Orgs(conn), now, dry_run)
            result, seen = run.result, run.seen
            groups = self._scanned(conn) if full_scan else self._indexed(conn, now)
            pending: list[_Pending] = []
            for plan_id, policy_source, rows in groups:
                if any(f.plan_id == plan_id for f in result.failed):
                    continue  # failed on an earlier page: its other rows wait as well
                try:
                    policy = policy_source()
                    for due in rows:
                        found = self._look_at(due, policy, now, seen, full_scan)
                        if found is not None:
                            pending.append(found)
                except Exception as exc:  # one plan's failure must not stop the others
                    self._failed(plan_id, rows, exc, result)
                if len(pending) >= _ISSUE_BATCH:
                    self._flush(pending, run)
                    pending = []
            self._flush(pending, run)
            if not full_scan:
                self._not_yet = seen
        return result

    def _look_at(
        self,
        due: _Due,
        policy: _Policy,
        now: datetime,
        seen: dict[tuple[str, str], tuple[int, int, float]],
        full_scan: bool = False,
    ) -> _Pending | None:
        """The reminder due now for this occurrence, if any (else noted in `seen` with
        the moment the next one is due)."""
        where = (due.item_id, due.due.isoformat())
        stamp = (due.version, policy.version)
        known = self._not_yet.get(where)
        if known is not None and known[:2] == stamp and now.timestamp() < known[2]:
            seen[where] = known
            return None
        # The full scan works out every chase, as passes did before (tests compare them).
        last = None if full_scan else last_chase_offset(policy.policy, due.due, due.opens, due.keys)
        slots = reminder_slots(
            due.due, due.opens, policy.policy, self.calendar, until=now, chases_from=last or 0
        )
        slot = due_reminder(slots, set(due.keys), now)
        if slot is None:
            later = [s.send_at.timestamp() for s in slots if s.send_at > now]
            seen[where] = (*stamp, min(later, default=float("inf")))
            return None
        return _Pending(due.plan_id, due, slot, slots, stamp)

    def _flush(self, pending: list[_Pending], run: _Pass) -> None:
        """Issue a batch of reminders found due (on a dry run, only list them)."""
        if not pending:
            return
        orgs = run.orgs
        try:
            orgs.read(
                {p.due.org for p in pending if p.slot.level >= CHAIR or not p.due.responsible}
            )
            reminders = [self._reminder(p.due, p.slot, orgs) for p in pending]
            if run.dry_run:
                run.result.issued.extend(reminders)
                return
            recorded = self._issue_all(pending, reminders)
        except Exception:
            log.warning(
                "a batch of %d reminders failed; issuing them one by one",
                len(pending),
                exc_info=True,
            )
            self._one_by_one(pending, run)
            return
        for p, reminder in zip(pending, reminders, strict=True):
            if (p.due.item_id, reminder.occurrence, reminder.key) in recorded:
                run.result.issued.append(reminder)
            else:
                run.refused(p, reminder.occurrence)

    def _issue_all(
        self, pending: list[_Pending], reminders: list[IssuedReminder]
    ) -> set[tuple[str, str, str]]:
        """Record the batch in one command; the (item, occurrence, key) recorded."""
        commands = [_command(r) for r in reminders]
        stale_if = [_stale_if(p.slots, p.slot) for p in pending]
        recorded = self.app.handle(IssueReminders(reminders=commands, stale_if=stale_if))
        return {(str(c.item_id), c.occurrence, c.key) for c in recorded}

    def _one_by_one(self, pending: list[_Pending], run: _Pass) -> None:
        """A failed batch again, each reminder on its own and each plan apart, as passes
        issued them before batches: a plan's failure is reported, the others go on."""
        for plan_id, group in groupby(pending, key=lambda p: p.plan_id):
            plan_pending = list(group)
            try:
                for p in plan_pending:
                    reminder = self._reminder(p.due, p.slot, run.orgs)
                    if run.dry_run or self._issue(p.due, p.slots, run.now, reminder):
                        run.result.issued.append(reminder)
                    else:
                        run.refused(p, reminder.occurrence)
            except Exception as exc:
                self._failed(plan_id, [p.due for p in plan_pending], exc, run.result)

    def _indexed(self, conn: Connection, now: datetime) -> Iterator[_PlanGroup]:
        """The index rows whose moment has come, a page at a time in `wake_at` order
        (each page's plans in turn): memory follows one page, never every row due.

        Each page is read from the `wake_at` index alone, then its items, plans and
        policies by their keys: the query has no plan other than the index to take,
        whatever the planner's statistics say (a join from the index row estimate of a
        table never analysed read every board item)."""
        r = reminder_due.c
        moment = int(now.timestamp())
        after: tuple[int, str, str] | None = None
        while True:
            query = select(
                r.wake_at, r.item_id, r.plan_id, r.opens, r.occurrence, r.issued_keys, r.version
            ).where(r.wake_at <= moment)
            if after is not None:
                query = query.where(tuple_(r.wake_at, r.item_id, r.occurrence) > tuple_(*after))
            page = conn.execute(
                query.order_by(r.wake_at, r.item_id, r.occurrence).limit(_PAGE_ROWS)
            ).all()
            if not page:
                return
            last = page[-1]
            after = (last.wake_at, last.item_id, last.occurrence)
            yield from self._page_groups(conn, page)
            if len(page) < _PAGE_ROWS:
                return

    def _page_groups(self, conn: Connection, page: Sequence[Any]) -> Iterator[_PlanGroup]:
        i, p, pol = board_items.c, board_plans.c, reminder_policies.c
        item_ids = sorted({row.item_id for row in page})
        plan_ids = sorted({row.plan_id for row in page})
        items = {
            row.item_id: row
            for batch in chunks(item_ids, 500)
            for row in conn.execute(
                select(i.item_id, i.title, i.responsible).where(i.item_id.in_(batch))
            )
        }
        plans = {
            row.plan_id: row
            for batch in chunks(plan_ids, 500)
            for row in conn.execute(
                select(
                    p.plan_id,
                    p.org,
                    p.title,
                    pol.policy,
                    pol.version.label("policy_version"),
                )
                .outerjoin(reminder_policies, pol.plan_id == p.plan_id)
                .where(p.plan_id.in_(batch))
            )
        }
        # Only what is on the board is chased (an item or plan it lost is nobody's).
        kept = sorted(
            (row for row in page if row.item_id in items and row.plan_id in plans),
            key=lambda row: (row.plan_id, row.item_id, row.occurrence),
        )
        for plan_id, group in groupby(kept, key=lambda row: row.plan_id):
            plan = plans[plan_id]

            def policy(plan: Any = plan, plan_id: str = plan_id) -> _Policy:
                stored = orjson.loads(plan.policy) if plan.policy is not None else {}
                return _Policy(self.stored_policy(plan_id, stored), plan.policy_version or 0)

            yield (
                plan_id,
                policy,
                [
                    _Due(
                        item_id=row.item_id,
                        plan_id=row.plan_id,
                        org=plan.org,
                        plan_title=plan.title,
                        title=items[row.item_id].title,
                        responsible=items[row.item_id].responsible,
                        opens=date.fromisoformat(row.opens) if row.opens else None,
                        due=date.fromisoformat(row.occurrence),
                        keys=frozenset(orjson.loads(row.issued_keys)),
                        version=row.version,
                    )
                    for row in group
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
        if any(f.plan_id == plan_id for f in result.failed):
            return  # reported once, whichever page or batch failed first
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
    def _reminder(due: _Due, slot: Slot, orgs: _Orgs) -> IssuedReminder:
        # each unit or person named is a recipient of their own: "组织部、宣传部" is two;
        # with nobody named (a task just sent down, say), the union's chair is told: a
        # reminder to nobody chased nobody
        named = responsible_names(due.responsible)
        recipients = named or [orgs.chair(due.org) or UNASSIGNED]
        chairs = orgs.chairs(due.org, slot.level)
        for chair in chairs:
            if chair not in recipients:
                recipients.append(chair)
        return IssuedReminder(
            item_id=due.item_id,
            occurrence=due.due.isoformat(),
            kind=slot.kind,
            key=slot.key,
            recipients=recipients,
            # an escalation says it was reported to the chair (已报主席督办): only if one
            # was (a union without a registered chair has none to report to)
            escalate=slot.escalate and bool(chairs),
            scheduled_for=slot.send_at.isoformat(),
            title=due.title,
            org=due.org,
        )

    def _issue(self, due: _Due, slots: list[Slot], now: datetime, reminder: IssuedReminder) -> bool:
        """Record the reminder on the item unless the item itself says it is not due."""
        for _ in range(3):
            try:
                item = self.app.get_item(UUID(due.item_id))
                if not item.wants_chasing(reminder.occurrence):
                    return False  # the read model lagged behind a completion or a request
                slot = due_reminder(slots, item.reminders.get(reminder.occurrence, set()), now)
                if slot is None or slot.key != reminder.key:
                    return False  # issued meanwhile, by another pass
                self.app.handle(_command(reminder))
                return True
            except ConcurrencyConflict:
                continue  # someone wrote the item meanwhile: look again
            except (RuleViolation, NotFound) as refused:
                log.info("reminder %s not issued: %s", reminder.key, refused)
                return False
        return False


def _stale_if(slots: list[Slot], slot: Slot) -> list[str]:
    """The keys whose issue makes `slot` no longer due: its own and every later one's
    (`due_reminder` sends the latest slot whose time has come, and only if none at or
    after it was issued)."""
    ordered = sorted(slots, key=lambda s: s.send_at)
    return [s.key for s in ordered[ordered.index(slot) :]]


def _command(reminder: IssuedReminder) -> IssueReminder:
    """The command that records a reminder found due, alone or in a batch."""
    return IssueReminder(
        item_id=UUID(reminder.item_id),
        occurrence=reminder.occurrence,
        kind=reminder.kind,
        key=reminder.key,
        scheduled_for=datetime.fromisoformat(reminder.scheduled_for),
        recipients=reminder.recipients,
        escalate=reminder.escalate,
    )


_PlanGroup = tuple[str, Callable[[], _Policy], list[_Due]]
