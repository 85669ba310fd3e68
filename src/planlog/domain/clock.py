"""The recording clock: the only source of an event's recorded time.

Callers never pass a recorded time. The application sets the clock (the system
clock in production, a simulated one in tests and in the demo's simulated year)
and every event takes its timestamp from it, in UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]
#: Plan dates are China dates: a deadline "6月30日" ends on that day in China.
PLAN_TZ = ZoneInfo("Asia/Shanghai")


def system_clock() -> datetime:
    return datetime.now(tz=UTC)


_current_clock: ContextVar[Clock] = ContextVar("planlog_clock", default=system_clock)


def now() -> datetime:
    """The current recording time, always timezone-aware UTC."""
    moment = _current_clock.get()()
    if moment.tzinfo is None:
        raise ValueError("the recording clock must return timezone-aware datetimes")
    return moment.astimezone(UTC)


@contextmanager
def recording_clock(clock: Clock) -> Iterator[None]:
    token = _current_clock.set(clock)
    try:
        yield
    finally:
        _current_clock.reset(token)
