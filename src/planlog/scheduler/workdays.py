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
from datetime import date

from planlog.domain.workdays import (
    WorkdayCalendar,
    next_workday,
    official_workday,
    previous_workday,
)

logger = logging.getLogger("planlog.workdays")

CALENDAR_NAMES = ("china", "weekdays", "all")

# Re-exported: the reminder policy and its tests import them from here.
__all__ = [
    "CALENDAR_NAMES",
    "ChinaWorkdays",
    "EveryDay",
    "WeekdaysOnly",
    "WorkdayCalendar",
    "calendar_for",
    "next_workday",
    "previous_workday",
]


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
        official = official_workday(day)
        if official is None:
            self._warn_once(day.year)
            return day.weekday() < 5
        return official

    def _warn_once(self, year: int) -> None:
        with self._lock:
            if year in self._warned_years:
                return
            self._warned_years.add(year)
        logger.warning(
            "节假日数据缺少%d年：该年按周一至周五为工作日计算（国务院公布安排后请升级 "
            "chinesecalendar）/ chinesecalendar has no holiday data for %d; treating "
            "Monday–Friday as workdays for that year (upgrade chinesecalendar once the "
            "State Council publishes the schedule)",
            year,
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
