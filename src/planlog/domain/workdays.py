"""Which days are working days in mainland China: the one calendar that deadlines
(每月第一个工作日) and reminders (moved off weekends and holidays) both use.

Chinese statutory holidays come with 调休: weekend days that become working days to
bridge a long holiday (a Saturday can be a workday, a Tuesday a holiday). chinesecalendar
carries the State Council's published schedule; for a year it has no data for yet
(every January until the package is updated) `official_workday` answers None, and each
caller decides how to fall back (reminders: Monday–Friday; deadlines: Monday–Friday,
flagged as uncertain).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Protocol

import chinese_calendar

# A calendar where no working day is found within a year is broken; stop rather than loop.
_MAX_STEPS = 366


class WorkdayCalendar(Protocol):
    def is_workday(self, day: date) -> bool: ...


def official_workday(day: date) -> bool | None:
    """Whether `day` is an official working day, or None when the year has no data."""
    # A datetime is a date too; the lookup is by calendar day, so drop the time.
    plain = date(day.year, day.month, day.day)
    try:
        return bool(chinese_calendar.is_workday(plain))
    except NotImplementedError:
        return None


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
