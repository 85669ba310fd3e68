"""One reminder pass: issue every reminder whose time has come, as events.

The deadline calendar says which occurrences are open; the policy says when each
reminder is due; the item aggregate has the final word on what was already
issued. Issuing goes through the aggregate's optimistic concurrency, so two
schedulers (or a re-run, or a restart) racing for the same reminder cannot both
record it: the loser reloads, sees it issued, and moves on.

Each plan is handled on its own: whatever goes wrong with one plan (its stored
policy, one of its items) is logged naming the plan and reported, and the pass goes
on with the others, so one union's bad data never stops every union's reminders.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Engine, select

from planlog.domain.errors import ConcurrencyConflict, NotFound, RuleViolation
from planlog.projections.calendar import Deadline, open_deadlines
from planlog.projections.outbox import reminder_outbox
from planlog.projections.rollup import organisations
from planlog.scheduler.policy import ReminderPolicy, Slot, due_reminder, reminder_slots
from planlog.scheduler.workdays import WorkdayCalendar
from planlog.service.app import PlanlogApp
from planlog.service.commands import IssueReminder

log = logging.getLogger("planlog.reminders")

UNASSIGNED = "（未指定责任人）"
_ERROR_MAX = 500  # characters of a failed plan's error kept in the pass report


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


class ReminderIssuer:
    def __init__(self, app: PlanlogApp, engine: Engine, calendar: WorkdayCalendar) -> None:
        self.app = app
        self.engine = engine
        self.calendar = calendar

    def policy(self, plan_id: str) -> ReminderPolicy:
        """The plan's reminder policy: its own settings over the defaults, as recorded
        now (read once a pass, so a change applies from the next pass), with any value
        stored out of bounds clamped (see ReminderPolicy.from_stored)."""
        overrides = self.app.get_plan(UUID(plan_id)).reminder_policy
        return ReminderPolicy.from_stored(overrides, plan=plan_id)

    def run(self, now: datetime, *, dry_run: bool = False) -> IssueRun:
        """Issue (or, with `dry_run`, only list) every reminder due at `now`, plan by plan."""
        with self.engine.connect() as conn:
            deadlines = open_deadlines(conn)
            issued = self._issued_keys(conn)
            chairs = dict(conn.execute(select(organisations.c.name, organisations.c.chair)).all())
        by_plan: dict[str, list[Deadline]] = defaultdict(list)
        for deadline in deadlines:
            by_plan[deadline.plan_id].append(deadline)
        result = IssueRun()
        for plan_id, plan_deadlines in by_plan.items():
            try:
                self._run_plan(plan_id, plan_deadlines, issued, chairs, now, dry_run, result)
            except Exception as exc:  # one plan's failure must not stop the others
                first = plan_deadlines[0]
                log.exception(
                    "reminder pass: plan %s (%s, %s) failed; going on with the other plans",
                    plan_id,
                    first.org,
                    first.plan_title,
                )
                error = f"{type(exc).__name__}: {exc}"
                result.failed.append(
                    FailedPlan(plan_id, first.org, first.plan_title, error[:_ERROR_MAX])
                )
        return result

    def _run_plan(
        self,
        plan_id: str,
        deadlines: list[Deadline],
        issued: dict[tuple[str, str], set[str]],
        chairs: dict[str, str | None],
        now: datetime,
        dry_run: bool,
        result: IssueRun,
    ) -> None:
        policy = self.policy(plan_id)
        for deadline in deadlines:
            slots = reminder_slots(deadline.due, deadline.opens, policy, self.calendar)
            already = issued.get((deadline.item_id, deadline.due.isoformat()), set())
            slot = due_reminder(slots, already, now)
            if slot is None:
                continue
            reminder = self._reminder(deadline, slot, chairs.get(deadline.org))
            if dry_run or self._issue(deadline, slots, now, reminder):
                result.issued.append(reminder)

    @staticmethod
    def _issued_keys(conn: Any) -> dict[tuple[str, str], set[str]]:
        keys: dict[tuple[str, str], set[str]] = defaultdict(set)
        o = reminder_outbox.c
        for item_id, occurrence, key in conn.execute(select(o.item_id, o.occurrence, o.key)):
            keys[(item_id, occurrence)].add(key)
        return keys

    @staticmethod
    def _reminder(deadline: Deadline, slot: Slot, chair: str | None) -> IssuedReminder:
        recipients = [deadline.responsible or UNASSIGNED]
        if slot.escalate and chair and chair not in recipients:
            recipients.append(chair)
        return IssuedReminder(
            item_id=deadline.item_id,
            occurrence=deadline.due.isoformat(),
            kind=slot.kind,
            key=slot.key,
            recipients=recipients,
            escalate=slot.escalate,
            scheduled_for=slot.send_at.isoformat(),
            title=deadline.title,
            org=deadline.org,
        )

    def _issue(
        self, deadline: Deadline, slots: list[Slot], now: datetime, reminder: IssuedReminder
    ) -> bool:
        """Record the reminder on the item unless the item itself says it is not due."""
        for _ in range(3):
            try:
                item = self.app.get_item(UUID(deadline.item_id))
                occ = item.occurrences.get(reminder.occurrence)
                if item.cancelled or occ is None or occ.status == "done":
                    return False  # the read model lagged behind a completion
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
