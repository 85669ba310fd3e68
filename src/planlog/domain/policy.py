"""A plan's reminder policy: its fields, their bounds and the one check of them.

A domain rule, not scheduler configuration: every door (API, CLI, web, code) records a
policy through `Plan.set_reminder_policy`, which checks it here, so a policy that would
make a reminder pass loop for minutes (max_chases 10**30) is refused wherever it comes
from. How a policy is applied (the reminder slots, clamping a policy stored before these
bounds) stays in planlog.scheduler.policy.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import time
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from planlog.domain.values import InvalidValue, integer, required_text

log = logging.getLogger("planlog.reminders")

# Bounds of every field. A reminder pass works out every chase of every open deadline,
# so an unbounded max_chases (10**30) made each pass loop for minutes and crash.
# Anything longer than a year ahead is not a reminder but a plan of its own.
MAX_LEAD_DAYS = 366
MAX_LEAD_COUNT = 10
# A chase less often than quarterly is not a chase.
MAX_OVERDUE_EVERY_DAYS = 90
MAX_ESCALATE_AFTER_DAYS = 366
#: Chasing never gives up by default (issue 15: the longest-overdue tasks stopped after 10
#: reminders); a plan may still cap it, within this bound.
MAX_CHASES = 100
#: The widened interval may be at most quarterly, like the first one; the phase changes
#: and the escalation to the union above within a year of the deadline.
MAX_WIDEN_AFTER_DAYS = 366
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
    # Not a reminder setting but the plan's other switch, recorded with the policy:
    # completions wait for the chair's sign-off (办结审核). Off by default.
    "sign_off",
    "widen_after_days",
    "overdue_later_every_days",
    "escalate_parent_after_days",
)
#: Whole-number fields and their ranges (lead_days holds numbers of the first range).
_INT_RANGES = {
    "lead_days": (1, MAX_LEAD_DAYS),
    "overdue_every_days": (1, MAX_OVERDUE_EVERY_DAYS),
    "escalate_after_days": (1, MAX_ESCALATE_AFTER_DAYS),
    "max_chases": (0, MAX_CHASES),
    "widen_after_days": (1, MAX_WIDEN_AFTER_DAYS),
    "overdue_later_every_days": (1, MAX_OVERDUE_EVERY_DAYS),
    "escalate_parent_after_days": (1, MAX_ESCALATE_AFTER_DAYS),
}
#: The same ranges for a door that says them before anyone types (a form's min and max).
INT_RANGES: Mapping[str, tuple[int, int]] = MappingProxyType(_INT_RANGES)


@dataclass(frozen=True)
class ReminderPolicy:
    """When to remind about a deadline (applied by planlog.scheduler.policy).

    After the deadline the chasing goes on until the occurrence is closed: every
    `overdue_every_days` until `widen_after_days` overdue, then every
    `overdue_later_every_days` (never more often than before). From
    `escalate_after_days` overdue the union's chair is told too, from
    `escalate_parent_after_days` also the chair of the union above. `max_chases`
    None (the default) never stops; a number caps the chases after the deadline.
    """

    lead_days: tuple[int, ...] = (7, 1)
    on_due_day: bool = True
    opens_notice: bool = True
    overdue_every_days: int = 3
    escalate_after_days: int = 7
    max_chases: int | None = None
    send_at: time = time(8, 30)
    timezone: str = "Asia/Shanghai"
    sign_off: bool = False
    widen_after_days: int = 14
    overdue_later_every_days: int = 7
    escalate_parent_after_days: int = 30

    def __post_init__(self) -> None:
        # Validated here, so a policy built in code cannot be invalid either, and
        # normalised so equal policies compare equal. Raises InvalidValue naming the field.
        for name in _FIELDS:
            object.__setattr__(self, name, _CHECKS[name](getattr(self, name)))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def later_every_days(self) -> int:
        """The interval after `widen_after_days`: it widens, it never narrows."""
        return max(self.overdue_every_days, self.overdue_later_every_days)

    @property
    def parent_after_days(self) -> int:
        """The chair of the union above is told no earlier than the union's own chair."""
        return max(self.escalate_after_days, self.escalate_parent_after_days)

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
            "sign_off": self.sign_off,
            "widen_after_days": self.widen_after_days,
            "overdue_later_every_days": self.overdue_later_every_days,
            "escalate_parent_after_days": self.escalate_parent_after_days,
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


def _max_chases(value: object) -> int | None:
    """None: chase until the occurrence is closed; a number: at most that many chases."""
    if value is None:
        return None
    low, high = _INT_RANGES["max_chases"]
    return integer(value, "max_chases", low=low, high=high)


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
    "max_chases": _max_chases,
    "send_at": _send_at,
    "timezone": _timezone,
    "sign_off": _check_bool("sign_off"),
    "widen_after_days": _check_int("widen_after_days"),
    "overdue_later_every_days": _check_int("overdue_later_every_days"),
    "escalate_parent_after_days": _check_int("escalate_parent_after_days"),
}
