"""Which days are working days, for moving reminders off weekends and holidays.

Chinese statutory holidays come with 调休: weekend days that become working days to
bridge a long holiday (a Saturday can be a workday, a Tuesday a holiday). chinesecalendar
carries the State Council's published schedule; for a year it has no data for yet
(every January until the package is updated) it raises NotImplementedError, and we
fall back to Monday–Friday rather than stop sending reminders.
"""

from __future__ import annotations

import logging
import threading
from datetime import date, timedelta
from typing import Protocol

import chinese_calendar

logger = logging.getLogger("planlog.workdays")

# A calendar where no working day is found within a year is broken; stop rather than loop.
_MAX_STEPS = 366

CALENDAR_NAMES = ("china", "weekdays", "all")


class WorkdayCalendar(Protocol):
    def is_workday(self, day: date) -> bool: ...


def previous_workday(calendar: WorkdayCalendar, day: date) -> date:
    """The day itself if it is a workday, else the closest workday before it."""
    return _step(calendar, day, -1)


def next_workday(calendar: WorkdayCalendar, day: date) -> date:
    """The day itself if it is a workday, else the closest workday after it."""
    return _step(calendar, day, +1)


def _step(calendar: WorkdayCalendar, day: date, direction: int) -> date:
    candidate = day
    for _ in range(_MAX_STEPS):
        if calendar.is_workday(candidate):
            return candidate
        candidate += timedelta(days=direction)
    raise ValueError(f"no workday within {_MAX_STEPS} days of {day.isoformat()}")


class _Stepping:
    """previous_workday/next_workday for any calendar that answers is_workday."""

    def is_workday(self, day: date) -> bool:
        raise NotImplementedError

    def previous_workday(self, day: date) -> date:
        return previous_workday(self, day)

    def next_workday(self, day: date) -> date:
        return next_workday(self, day)


class ChinaWorkdays(_Stepping):
    """Mainland China's official working days, including 调休 make-up days.

    The fallback warning is logged once per year per instance: the scheduler keeps one
    calendar for its lifetime, so a missing year is reported once, not on every check.
    """

    def __init__(self) -> None:
        self._warned_years: set[int] = set()
        self._lock = threading.Lock()

    def is_workday(self, day: date) -> bool:
        try:
            return bool(chinese_calendar.is_workday(_as_date(day)))
        except NotImplementedError:
            self._warn_once(day.year)
            return day.weekday() < 5

    def _warn_once(self, year: int) -> None:
        with self._lock:
            if year in self._warned_years:
                return
            self._warned_years.add(year)
        logger.warning(
            "chinesecalendar has no holiday data for %d; treating Monday–Friday as "
            "workdays for that year (upgrade chinesecalendar once the State Council "
            "publishes the schedule)",
            year,
        )


class WeekdaysOnly(_Stepping):
    """Monday to Friday, for organisations that ignore statutory holidays."""

    def is_workday(self, day: date) -> bool:
        return day.weekday() < 5


class EveryDay(_Stepping):
    """Every day is a workday: reminders are never moved."""

    def is_workday(self, day: date) -> bool:
        return True


def calendar_for(name: str) -> ChinaWorkdays | WeekdaysOnly | EveryDay:
    """The calendar for a configuration value: "china", "weekdays" or "all"."""
    normalized = name.strip().lower()
    if normalized == "china":
        return ChinaWorkdays()
    if normalized == "weekdays":
        return WeekdaysOnly()
    if normalized == "all":
        return EveryDay()
    raise ValueError(f"workdays: unknown calendar {name!r}; expected one of {CALENDAR_NAMES}")


def _as_date(day: date) -> date:
    # A datetime is a date too; chinesecalendar would accept it, but the lookup is by
    # calendar day, so drop the time to make that explicit.
    return date(day.year, day.month, day.day)
