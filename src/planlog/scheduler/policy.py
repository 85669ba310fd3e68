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
- "overdue+N" every overdue_every_days after due while N < escalate_after_days, then
  "escalation+N" from N = escalate_after_days on, every overdue_every_days; moved to the
  NEXT workday. At most max_chases of them.

Keys carry nominal offsets (days relative to due, before any workday shift), so a key
means the same thing whatever the calendar says and stays stable when holidays are
published later.

Two slots on the same instant (e.g. a due date on Sunday: "1d" on Saturday and "due" on
Sunday both move to Friday) keep only the more relevant one: the later nominal day, and
on equal days the later kind (opens < lead < due < overdue < escalation). A collision
among chases keeps the later one and does not use up max_chases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

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

# Relevance of a kind when two slots share a nominal day; higher wins.
_RANK_OPENS, _RANK_LEAD, _RANK_DUE, _RANK_OVERDUE, _RANK_ESCALATION = range(5)


@dataclass(frozen=True)
class Slot:
    kind: str
    key: str
    send_at: datetime
    escalate: bool

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
) -> list[Slot]:
    """Every reminder for one occurrence, sorted by send_at (see the module docstring)."""
    if opens is not None and opens > due:
        raise ValueError(f"opens ({opens.isoformat()}) is after due ({due.isoformat()})")

    def at(day: date) -> datetime:
        return datetime.combine(day, policy.send_at, tzinfo=policy.zone).astimezone(UTC)

    candidates: list[_Candidate] = []

    if opens is not None and policy.opens_notice:
        day = next_workday(calendar, opens)
        if day <= due:
            candidates.append(
                _Candidate(Slot("opens", "opens", at(day), False), opens, _RANK_OPENS)
            )

    for lead in policy.lead_days:
        nominal = due - timedelta(days=lead)
        day = previous_workday(calendar, nominal)
        if opens is not None and day < opens:
            continue
        key = f"{lead}d"
        candidates.append(_Candidate(Slot(key, key, at(day), False), nominal, _RANK_LEAD))

    if policy.on_due_day:
        day = previous_workday(calendar, due)
        candidates.append(_Candidate(Slot("due", "due", at(day), False), due, _RANK_DUE))

    candidates.extend(_chases(due, policy, calendar, at))
    return _resolve_collisions(candidates)


def _chases(
    due: date,
    policy: ReminderPolicy,
    calendar: WorkdayCalendar,
    at: Callable[[date], datetime],
) -> list[_Candidate]:
    kept: list[_Candidate] = []
    for offset in _chase_offsets(policy):
        escalate = offset >= policy.escalate_after_days
        kind = "escalation" if escalate else "overdue"
        nominal = due + timedelta(days=offset)
        day = next_workday(calendar, nominal)
        rank = _RANK_ESCALATION if escalate else _RANK_OVERDUE
        candidate = _Candidate(Slot(kind, f"{kind}+{offset}", at(day), escalate), nominal, rank)
        if kept and kept[-1].slot.send_at == candidate.slot.send_at:
            # A long holiday folds several chases into one day: send the latest only.
            kept[-1] = candidate
        elif len(kept) < policy.max_chases:
            kept.append(candidate)
        else:
            break
    return kept


def _chase_offsets(policy: ReminderPolicy) -> Iterator[int]:
    every = policy.overdue_every_days
    offset = every
    while offset < policy.escalate_after_days:
        yield offset
        offset += every
    offset = policy.escalate_after_days
    while True:
        yield offset
        offset += every


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
