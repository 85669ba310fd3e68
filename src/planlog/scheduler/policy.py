"""When to remind about an occurrence: the reminder slots and the coalescing rule.

Pure: no I/O and no clock; the caller passes `now` and a workday calendar.

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

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from planlog.scheduler.workdays import WorkdayCalendar, next_workday, previous_workday

# Anything longer than a year ahead is not a reminder but a plan of its own.
MAX_LEAD_DAYS = 366

_FIELDS = (
    "lead_days",
    "on_due_day",
    "opens_notice",
    "overdue_every_days",
    "escalate_after_days",
    "max_chases",
    "send_at",
    "timezone",
)

# Relevance of a kind when two slots share a nominal day; higher wins.
_RANK_OPENS, _RANK_LEAD, _RANK_DUE, _RANK_OVERDUE, _RANK_ESCALATION = range(5)


@dataclass(frozen=True)
class ReminderPolicy:
    lead_days: tuple[int, ...] = (7, 1)
    on_due_day: bool = True
    opens_notice: bool = True
    overdue_every_days: int = 3
    escalate_after_days: int = 7
    max_chases: int = 10
    send_at: time = time(8, 30)
    timezone: str = "Asia/Shanghai"

    def __post_init__(self) -> None:
        # Validated here as well as in from_dict so a policy built in code cannot be
        # invalid either; normalised so equal policies compare equal.
        object.__setattr__(self, "lead_days", _lead_days(self.lead_days))
        _check_bool("on_due_day", self.on_due_day)
        _check_bool("opens_notice", self.opens_notice)
        _check_int("overdue_every_days", self.overdue_every_days, minimum=1)
        _check_int("escalate_after_days", self.escalate_after_days, minimum=1)
        _check_int("max_chases", self.max_chases, minimum=0)
        if not isinstance(self.send_at, time):
            raise ValueError(f"send_at: expected a time of day, got {self.send_at!r}")
        if self.send_at.tzinfo is not None:
            raise ValueError("send_at: must be a local time without tzinfo; use timezone")
        if self.send_at.microsecond:
            raise ValueError(f"send_at: whole seconds only, got {self.send_at.isoformat()}")
        _zone("timezone", self.timezone)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReminderPolicy:
        """A policy from configuration; missing fields take their defaults.

        Raises ValueError naming the offending field for unknown fields and bad values.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"reminder policy: expected a mapping, got {type(data).__name__}")
        unknown = sorted(str(key) for key in data if key not in _FIELDS)
        if unknown:
            raise ValueError(f"{unknown[0]}: unknown reminder policy field")
        kwargs: dict[str, Any] = dict(data)
        if "send_at" in kwargs:
            kwargs["send_at"] = _time_of_day(kwargs["send_at"])
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON/YAML-friendly values; from_dict(to_dict()) gives an equal policy."""
        return {
            "lead_days": list(self.lead_days),
            "on_due_day": self.on_due_day,
            "opens_notice": self.opens_notice,
            "overdue_every_days": self.overdue_every_days,
            "escalate_after_days": self.escalate_after_days,
            "max_chases": self.max_chases,
            "send_at": self.send_at.strftime("%H:%M:%S" if self.send_at.second else "%H:%M"),
            "timezone": self.timezone,
        }


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


def _check_bool(field: str, value: object) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{field}: expected true or false, got {value!r}")


def _check_int(field: str, value: object, *, minimum: int, maximum: int | None = None) -> None:
    # bool is an int subclass; `true` where a number belongs is a configuration mistake.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{field}: expected an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{field}: must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{field}: must be at most {maximum}, got {value}")


def _lead_days(value: object) -> tuple[int, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValueError(f"lead_days: expected a list of whole days, got {value!r}")
    days = list(value)
    for day in days:
        _check_int("lead_days", day, minimum=1, maximum=MAX_LEAD_DAYS)
    if len(set(days)) != len(days):
        raise ValueError(f"lead_days: duplicate values in {days!r}")
    # Furthest first, the order the reminders go out in.
    return tuple(sorted(days, reverse=True))


def _time_of_day(value: object) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        try:
            parsed = time.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            if parsed.tzinfo is None:
                return parsed
    raise ValueError(f"send_at: expected a local time like '08:30', got {value!r}")


def _zone(field: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{field}: expected an IANA time zone name, got {value!r}")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{field}: unknown time zone {value!r}") from exc
