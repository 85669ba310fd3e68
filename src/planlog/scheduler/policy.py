"""When to remind about an occurrence: the reminder slots and the coalescing rule.

Pure: no I/O and no clock (the caller passes `now` and a workday calendar), apart from
the warning logged when a stored policy has to be clamped.

The policy itself is checked in one place, `validate_policy`, whichever door it comes
through: every field is bounded, because a pass works out every chase of every open
deadline. A policy recorded before those bounds is read with `ReminderPolicy.from_stored`,
which clamps it rather than fail.

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

import logging
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from planlog.domain.values import InvalidValue, integer, required_text
from planlog.scheduler.workdays import WorkdayCalendar, next_workday, previous_workday

log = logging.getLogger("planlog.reminders")

# Bounds of every field. A reminder pass works out every chase of every open deadline,
# so an unbounded max_chases (10**30) made each pass loop for minutes and crash.
# Anything longer than a year ahead is not a reminder but a plan of its own.
MAX_LEAD_DAYS = 366
MAX_LEAD_COUNT = 10
# A chase less often than quarterly is not a chase.
MAX_OVERDUE_EVERY_DAYS = 90
MAX_ESCALATE_AFTER_DAYS = 366
MAX_CHASES = 100
_SEND_AT_MAX = 16  # "08:30:00" and a little room
_TIMEZONE_MAX = 64  # the longest IANA name is 32

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
#: Whole-number fields and their ranges (lead_days holds numbers of the first range).
_INT_RANGES = {
    "lead_days": (1, MAX_LEAD_DAYS),
    "overdue_every_days": (1, MAX_OVERDUE_EVERY_DAYS),
    "escalate_after_days": (1, MAX_ESCALATE_AFTER_DAYS),
    "max_chases": (0, MAX_CHASES),
}

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
        # Validated here, so a policy built in code cannot be invalid either, and
        # normalised so equal policies compare equal. Raises InvalidValue naming the field.
        for name in _FIELDS:
            object.__setattr__(self, name, _CHECKS[name](getattr(self, name)))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReminderPolicy:
        """A policy from configuration; missing fields take their defaults.

        Raises InvalidValue naming the offending field for unknown fields and bad values.
        """
        if not isinstance(data, Mapping):
            raise InvalidValue(
                "reminder_policy",
                "not_mapping",
                f"应为键值对象，而不是 {type(data).__name__}",
                f"expected a mapping, got {type(data).__name__}",
            )
        unknown = sorted(_short(key) for key in data if key not in _FIELDS)
        if unknown:
            raise InvalidValue(
                "reminder_policy",
                "unknown_field",
                f"没有这个设置：{unknown[0]}（可用：{'、'.join(_FIELDS)}）",
                f"{unknown[0]}: unknown reminder policy field (known: {', '.join(_FIELDS)})",
            )
        return cls(**dict(data))

    @classmethod
    def from_stored(cls, data: object, *, plan: str) -> ReminderPolicy:
        """The policy stored on a plan, made usable whatever it holds.

        A policy recorded before the bounds existed (max_chases 10**30) must not stop a
        reminder pass, nor the page that shows it: each value out of bounds is clamped
        into its range (or, when it is not even a number, replaced by the default) with
        a warning naming the plan and the field.
        """
        return cls.from_dict(stored_overrides(data, plan=plan))

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


def validate_policy(data: Mapping[str, Any]) -> dict[str, Any]:
    """The one check of a plan's reminder policy, whichever door it came through.

    Returns the overrides to record: only the fields given, normalised (lead_days
    furthest first, send_at as "HH:MM"), so the defaults still apply to the rest.
    Raises InvalidValue naming the field (Chinese first, then English).
    """
    effective = ReminderPolicy.from_dict(data).to_dict()
    return {name: effective[name] for name in _FIELDS if name in data}


def stored_overrides(data: object, *, plan: str) -> dict[str, Any]:
    """The overrides stored on a plan with every value brought within bounds (see
    ReminderPolicy.from_stored); unknown fields are dropped. Logs a warning for each."""
    if not isinstance(data, Mapping):
        log.warning("plan %s: stored reminder policy is not a mapping; using the defaults", plan)
        return {}
    usable: dict[str, Any] = {}
    for name, value in data.items():
        if name not in _FIELDS:
            log.warning("plan %s: stored reminder policy field %s ignored", plan, _short(name))
            continue
        try:
            usable[name] = _CHECKS[name](value)
        except InvalidValue as bad:
            fixed = _clamped(name, value)
            log.warning(
                "plan %s: stored reminder policy %s=%s is out of bounds (%s); using %s",
                plan,
                name,
                _short(value),
                bad.message,
                "the default" if fixed is None else _short(fixed),
            )
            if fixed is not None:
                usable[name] = fixed
    return usable


def _clamped(name: str, value: object) -> Any:
    """A stored value brought within bounds, or None for the default."""
    if name == "lead_days":
        if not isinstance(value, list | tuple):
            return None
        low, high = _INT_RANGES[name]
        days = {_clamp(day, low, high) for day in value[: 10 * MAX_LEAD_COUNT]}
        # The reminders closest to the due date matter most.
        kept = sorted(day for day in days if day is not None)[:MAX_LEAD_COUNT]
        return tuple(sorted(kept, reverse=True)) if kept or not value else None
    if name in _INT_RANGES:
        return _clamp(value, *_INT_RANGES[name])
    return None


def _clamp(value: object, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        value = high if value > high else low if value < low else int(value)
    return max(low, min(high, value))


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_bool(name: str) -> Callable[[object], bool]:
    def check(value: object) -> bool:
        if not isinstance(value, bool):
            raise InvalidValue(
                name,
                "not_bool",
                f"应为 true 或 false，而不是 {_short(value)}",
                f"must be true or false, not {_short(value)}",
            )
        return value

    return check


def _check_int(name: str) -> Callable[[object], int]:
    low, high = _INT_RANGES[name]
    return lambda value: integer(value, name, low=low, high=high)


def _lead_days(value: object) -> tuple[int, ...]:
    if not isinstance(value, list | tuple):
        raise InvalidValue(
            "lead_days",
            "not_list",
            f"应为天数列表，例如 [7, 1]，而不是 {_short(value)}",
            f"must be a list of whole days such as [7, 1], not {_short(value)}",
        )
    if len(value) > MAX_LEAD_COUNT:
        raise InvalidValue(
            "lead_days",
            "too_many",
            f"最多 {MAX_LEAD_COUNT} 个，而不是 {len(value)} 个",
            f"may hold at most {MAX_LEAD_COUNT} days, not {len(value)}",
        )
    low, high = _INT_RANGES["lead_days"]
    days = [integer(day, "lead_days", low=low, high=high) for day in value]
    if len(set(days)) != len(days):
        raise InvalidValue(
            "lead_days", "duplicate", f"有重复的天数：{days}", f"has duplicate days: {days}"
        )
    # Furthest first, the order the reminders go out in.
    return tuple(sorted(days, reverse=True))


def _send_at(value: object) -> time:
    parsed: time | None = None
    if isinstance(value, time):
        parsed = value
    elif isinstance(value, str) and len(value) <= _SEND_AT_MAX:
        try:
            parsed = time.fromisoformat(value.strip())
        except ValueError:
            parsed = None
    if parsed is None or parsed.tzinfo is not None or parsed.microsecond:
        raise InvalidValue(
            "send_at",
            "not_time",
            f"应为当地时刻，例如 08:30，而不是 {_short(value)}",
            f"must be a local time of day such as 08:30 (whole seconds, no zone; "
            f"use timezone), not {_short(value)}",
        )
    return parsed


def _timezone(value: object) -> str:
    name = required_text(value, "timezone", max_len=_TIMEZONE_MAX, multiline=False)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue(
            "timezone",
            "unknown",
            f"不是已知的时区：{_short(name)}，例如 Asia/Shanghai",
            f"is not a known IANA time zone: {_short(name)} (e.g. Asia/Shanghai)",
        ) from None
    return name


#: One check per field; each returns the normalised value or raises InvalidValue.
_CHECKS: dict[str, Callable[[Any], Any]] = {
    "lead_days": _lead_days,
    "on_due_day": _check_bool("on_due_day"),
    "opens_notice": _check_bool("opens_notice"),
    "overdue_every_days": _check_int("overdue_every_days"),
    "escalate_after_days": _check_int("escalate_after_days"),
    "max_chases": _check_int("max_chases"),
    "send_at": _send_at,
    "timezone": _timezone,
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
