"""When to remind about an occurrence: the reminder slots and the coalescing rule.

Pure: no I/O and no clock (the caller passes `now` and a workday calendar), apart from
the warning logged when a stored policy has to be clamped.

The policy itself (its fields, bounds and the one check, `validate_policy`) is a domain
rule in `planlog.domain.policy`: `Plan.set_reminder_policy` checks it whichever door it
comes through. This module is how a policy is applied.

Schedule for one occurrence (due date `due`, optional window opening `opens`):

- "opens": on the opening day of a window, moved to the NEXT workday. Dropped when that
  day is after the due date (a window that opens and closes over a weekend).
- f"{n}d" for n in lead_days: n days before due, moved to the PREVIOUS workday so the
  reminder still precedes the deadline. For a window, a lead slot that would be sent
  before the window opens is dropped: "还有30天" before the work may even start is noise,
  and the opens notice already names the due date.
- "due": on the due date, moved to the PREVIOUS workday.
- chases after the due date until the occurrence is closed ("overdue+N", then from
  escalate_after_days on "escalation+N"; see planlog.domain.chasing for the widening
  interval and the escalation levels), moved to the NEXT workday. `max_chases`, when a
  plan sets it, caps them (counted on the nominal schedule).

Keys carry nominal offsets (days relative to due, before any workday shift), so a key
means the same thing whatever the calendar says and stays stable when holidays are
published later.

Two slots on the same instant (e.g. a due date on Sunday: "1d" on Saturday and "due" on
Sunday both move to Friday) keep only the more relevant one: the later nominal day, and
on equal days the later kind (opens < lead < due < overdue < escalation). Chasing is
endless, so the slots are worked out up to a moment (`until`): the pass asks for those
up to now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from planlog.domain.chasing import (
    RANK_DUE,
    RANK_LEAD,
    RANK_OPENS,
    RESPONSIBLE,
    chase,
    chase_offsets,
)

# The policy and its bounds are a domain rule (checked by Plan.set_reminder_policy);
# re-exported so `planlog.scheduler.policy` still names everything about reminders.
from planlog.domain.policy import (
    MAX_CHASES,
    MAX_ESCALATE_AFTER_DAYS,
    MAX_LEAD_COUNT,
    MAX_LEAD_DAYS,
    MAX_OVERDUE_EVERY_DAYS,
    ReminderPolicy,
    stored_overrides,
    validate_policy,
)
from planlog.scheduler.workdays import WorkdayCalendar, next_workday, previous_workday

__all__ = [
    "MAX_CHASES",
    "MAX_ESCALATE_AFTER_DAYS",
    "MAX_LEAD_COUNT",
    "MAX_LEAD_DAYS",
    "MAX_OVERDUE_EVERY_DAYS",
    "ReminderPolicy",
    "Slot",
    "due_reminder",
    "reminder_slots",
    "stored_overrides",
    "validate_policy",
]

#: Without a moment to stop at, chases are worked out this long after the due date.
DEFAULT_HORIZON = timedelta(days=366)


@dataclass(frozen=True)
class Slot:
    kind: str
    key: str
    send_at: datetime
    escalate: bool
    #: who is chased: planlog.domain.chasing RESPONSIBLE, CHAIR or PARENT_CHAIR
    level: int = RESPONSIBLE

    def local_day(self, timezone: str = "Asia/Shanghai") -> date:
        """The calendar day the slot is sent on, where the plan lives."""
        return self.send_at.astimezone(ZoneInfo(timezone)).date()


@dataclass(frozen=True)
class _Candidate:
    slot: Slot
    nominal: date
    rank: int

    @property
    def relevance(self) -> tuple[date, int]:
        return (self.nominal, self.rank)


def reminder_slots(
    due: date,
    opens: date | None,
    policy: ReminderPolicy,
    calendar: WorkdayCalendar,
    until: datetime | None = None,
    *,
    chases_from: int = 0,
) -> list[Slot]:
    """Every reminder for one occurrence, sorted by send_at (see the module docstring):
    those before the deadline, and the chases up to `until` (default: a year after the
    due date) plus the first one after it. `chases_from` leaves out the chases before
    that offset (one at or after it was issued: those can no longer be sent, and the
    pass of a long-overdue occurrence need not work out months of them)."""
    if opens is not None and opens > due:
        raise ValueError(f"opens ({opens.isoformat()}) is after due ({due.isoformat()})")

    zone = policy.zone
    moments: dict[date, datetime] = {}  # a long chase lands on the same days again and again

    def at(day: date) -> datetime:
        moment = moments.get(day)
        if moment is None:
            moment = datetime.combine(day, policy.send_at, tzinfo=zone).astimezone(UTC)
            moments[day] = moment
        return moment

    candidates: list[_Candidate] = []

    if opens is not None and policy.opens_notice:
        day = next_workday(calendar, opens)
        if day <= due:
            candidates.append(_Candidate(Slot("opens", "opens", at(day), False), opens, RANK_OPENS))

    for lead in policy.lead_days:
        nominal = due - timedelta(days=lead)
        day = previous_workday(calendar, nominal)
        if opens is not None and day < opens:
            continue
        key = f"{lead}d"
        candidates.append(_Candidate(Slot(key, key, at(day), False), nominal, RANK_LEAD))

    if policy.on_due_day:
        day = previous_workday(calendar, due)
        candidates.append(_Candidate(Slot("due", "due", at(day), False), due, RANK_DUE))

    if until is None:
        until = at(due) + DEFAULT_HORIZON
    candidates.extend(_chases(due, policy, calendar, at, until, chases_from))
    return _resolve_collisions(candidates)


def _chases(
    due: date,
    policy: ReminderPolicy,
    calendar: WorkdayCalendar,
    at: Callable[[date], datetime],
    until: datetime,
    chases_from: int,
) -> list[_Candidate]:
    kept: list[_Candidate] = []
    for offset in chase_offsets(policy):
        if offset < chases_from:
            continue
        nominal = chase(policy, due, offset)
        day = next_workday(calendar, nominal.day)
        slot = Slot(nominal.kind, nominal.key, at(day), nominal.level > RESPONSIBLE, nominal.level)
        candidate = _Candidate(slot, nominal.day, nominal.rank)
        if kept and kept[-1].slot.send_at == candidate.slot.send_at:
            # A long holiday folds several chases into one day: send the latest only.
            kept[-1] = candidate
        elif kept and kept[-1].slot.send_at > until:
            break  # the first one after `until` is known, and no later one can fold into it
        else:
            kept.append(candidate)
    return kept


def _resolve_collisions(candidates: list[_Candidate]) -> list[Slot]:
    best: dict[datetime, _Candidate] = {}
    for candidate in candidates:
        current = best.get(candidate.slot.send_at)
        if current is None or candidate.relevance > current.relevance:
            best[candidate.slot.send_at] = candidate
    return [best[instant].slot for instant in sorted(best)]


def due_reminder(slots: list[Slot], issued_keys: set[str], now: datetime) -> Slot | None:
    """The one slot to issue now, or None.

    Among the slots whose time has come, only the latest may be sent, and only if neither
    it nor any slot at or after it was issued already. After downtime the missed earlier
    slots are thereby folded into the single most relevant reminder, and a slot passed
    over once is never sent later.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    ordered = sorted(slots, key=lambda slot: slot.send_at)
    latest_index: int | None = None
    for index, slot in enumerate(ordered):
        if slot.send_at <= now:
            latest_index = index
        else:
            break
    if latest_index is None:
        return None
    if any(slot.key in issued_keys for slot in ordered[latest_index:]):
        return None
    return ordered[latest_index]
