from __future__ import annotations

import logging
from datetime import date

import pytest

from planlog.scheduler.workdays import (
    ChinaWorkdays,
    EveryDay,
    WeekdaysOnly,
    WorkdayCalendar,
    calendar_for,
    next_workday,
    previous_workday,
)

# Far enough ahead that no chinesecalendar release will carry its holidays for years.
UNKNOWN_YEAR = 2099


def test_national_day_2026_week_is_off() -> None:
    china = ChinaWorkdays()
    for day in range(1, 8):
        assert not china.is_workday(date(2026, 10, day)), f"2026-10-0{day}"
    assert china.is_workday(date(2026, 10, 8))
    assert china.is_workday(date(2026, 9, 30))


@pytest.mark.parametrize(
    "make_up_day",
    [
        date(2026, 9, 20),  # Sunday, 国庆调休
        date(2026, 10, 10),  # Saturday, 国庆调休
        date(2026, 2, 14),  # Saturday, 春节调休
        date(2026, 2, 28),  # Saturday, 春节调休
        date(2026, 1, 4),  # Sunday, 元旦调休
        date(2026, 5, 9),  # Saturday, 劳动节调休
    ],
)
def test_2026_make_up_weekend_days_are_workdays(make_up_day: date) -> None:
    assert make_up_day.weekday() >= 5
    assert ChinaWorkdays().is_workday(make_up_day)
    assert not WeekdaysOnly().is_workday(make_up_day)


def test_spring_festival_2026() -> None:
    china = ChinaWorkdays()
    holiday = [date(2026, 2, day) for day in range(15, 24)]
    assert [china.is_workday(day) for day in holiday] == [False] * len(holiday)
    assert china.is_workday(date(2026, 2, 13))
    assert china.is_workday(date(2026, 2, 24))


def test_an_ordinary_weekend_is_off() -> None:
    china = ChinaWorkdays()
    assert not china.is_workday(date(2026, 3, 21))
    assert not china.is_workday(date(2026, 3, 22))
    assert china.is_workday(date(2026, 3, 23))


@pytest.mark.parametrize(
    ("day", "previous", "following"),
    [
        (date(2026, 10, 1), date(2026, 9, 30), date(2026, 10, 8)),
        (date(2026, 10, 7), date(2026, 9, 30), date(2026, 10, 8)),
        (date(2026, 10, 11), date(2026, 10, 10), date(2026, 10, 12)),  # Sun; Sat before is 调休
        (date(2026, 2, 22), date(2026, 2, 14), date(2026, 2, 24)),
        (date(2026, 3, 25), date(2026, 3, 25), date(2026, 3, 25)),  # a workday is itself
    ],
)
def test_previous_and_next_workday(day: date, previous: date, following: date) -> None:
    china = ChinaWorkdays()
    assert china.previous_workday(day) == previous
    assert china.next_workday(day) == following
    assert previous_workday(china, day) == previous
    assert next_workday(china, day) == following


def test_unknown_year_falls_back_to_weekdays_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    china = ChinaWorkdays()
    # 2099-01-01 is a Thursday: a holiday in fact, but without data only Mon–Fri is known.
    with caplog.at_level(logging.WARNING, logger="planlog.workdays"):
        week = [date(UNKNOWN_YEAR, 1, day) for day in range(1, 8)]
        answers = [china.is_workday(day) for day in week]
        assert answers == [day.weekday() < 5 for day in week]
        assert china.next_workday(date(UNKNOWN_YEAR, 1, 3)) == date(UNKNOWN_YEAR, 1, 5)
        assert china.previous_workday(date(UNKNOWN_YEAR, 1, 4)) == date(UNKNOWN_YEAR, 1, 2)

    warnings = [r for r in caplog.records if r.name == "planlog.workdays"]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    assert str(UNKNOWN_YEAR) in warnings[0].getMessage()


def test_each_unknown_year_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    china = ChinaWorkdays()
    with caplog.at_level(logging.WARNING, logger="planlog.workdays"):
        for _ in range(3):
            china.is_workday(date(UNKNOWN_YEAR, 6, 1))
            china.is_workday(date(UNKNOWN_YEAR - 1, 6, 1))
            china.is_workday(date(2026, 6, 1))
    messages = [r.getMessage() for r in caplog.records if r.name == "planlog.workdays"]
    assert len(messages) == 2
    assert any(str(UNKNOWN_YEAR) in m for m in messages)
    assert any(str(UNKNOWN_YEAR - 1) in m for m in messages)


def test_years_before_the_data_fall_back_too() -> None:
    assert ChinaWorkdays().is_workday(date(1999, 10, 1))  # a Friday, no data for 1999


def test_weekdays_only_and_every_day() -> None:
    saturday = date(2026, 10, 10)
    national_day = date(2026, 10, 1)
    assert not WeekdaysOnly().is_workday(saturday)
    assert WeekdaysOnly().is_workday(national_day)
    assert WeekdaysOnly().previous_workday(date(2026, 10, 11)) == date(2026, 10, 9)
    assert WeekdaysOnly().next_workday(saturday) == date(2026, 10, 12)
    assert EveryDay().is_workday(saturday)
    assert EveryDay().previous_workday(national_day) == national_day
    assert EveryDay().next_workday(national_day) == national_day


@pytest.mark.parametrize(
    ("name", "kind"),
    [("china", ChinaWorkdays), ("weekdays", WeekdaysOnly), (" ALL ", EveryDay)],
)
def test_calendar_for_configuration(name: str, kind: type) -> None:
    assert isinstance(calendar_for(name), kind)


def test_calendar_for_unknown_name() -> None:
    with pytest.raises(ValueError, match="workdays: unknown calendar 'lunar'"):
        calendar_for("lunar")


def test_a_calendar_without_workdays_is_reported_not_looped() -> None:
    class Never:
        def is_workday(self, day: date) -> bool:
            return False

    never: WorkdayCalendar = Never()
    with pytest.raises(ValueError, match="no workday"):
        next_workday(never, date(2026, 1, 1))
