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
from functools import lru_cache
from typing import Protocol

import chinese_calendar

# A calendar where no working day is found within a year is broken; stop rather than loop.
_MAX_STEPS = 366


class WorkdayCalendar(Protocol):
    def is_workday(self, day: date) -> bool: ...


def official_workday(day: date) -> bool | None:
    """Whether `day` is an official working day, or None when the year has no data."""
    table = _year_table(day.year)
    if table is None:
        return None
    # A datetime is a date too; the lookup is by calendar day, so the time is ignored.
    return table[day.toordinal() - date(day.year, 1, 1).toordinal()]


@lru_cache(maxsize=32)
def _year_table(year: int) -> tuple[bool, ...] | None:
    """Every day of `year` looked up once, or None when chinesecalendar has no data for it.

    chinesecalendar recomputes the min and max of its whole holiday table on each
    `is_workday` call: measured, that was 71 % of a reminder pass (issue 17). Its data
    only changes with the package, so one table per year for the process's lifetime
    answers the same, in a tuple index.
    """
    if not date.min.year < year < date.max.year:
        return None
    first = date(year, 1, 1)
    days = (date(year + 1, 1, 1) - first).days
    try:
        return tuple(
            bool(chinese_calendar.is_workday(first + timedelta(days=n))) for n in range(days)
        )
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
