from datetime import date, datetime

import pytest
from dateutil.rrule import rrulestr

from planlog.domain.errors import ScheduleError
from planlog.domain.schedule import MAX_OCCURRENCES, Occurrence, expand_rrule, normalise


def test_half_yearly_rrule_falls_at_the_end_of_june_and_december() -> None:
    dues = [o.due for o in expand_rrule("FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=-1", 2026)]
    assert dues == [date(2026, 6, 30), date(2026, 12, 31)]


def test_monthly_interval_trap_is_expanded_literally_not_corrected() -> None:
    # The reason half-yearly deadlines use BYMONTH: this rule lands on Jan and Jul.
    dues = [o.due for o in expand_rrule("FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=-1", 2026)]
    assert dues == [date(2026, 1, 31), date(2026, 7, 31)]


def test_weekly_rule_is_cut_at_the_end_of_the_plan_year() -> None:
    dues = [o.due for o in expand_rrule("RRULE:FREQ=WEEKLY;BYDAY=FR", 2026)]
    assert len(dues) == 52
    assert dues[0] == date(2026, 1, 2) and dues[-1] == date(2026, 12, 25)


def test_invalid_rrule_is_refused_with_the_rule_in_the_message() -> None:
    with pytest.raises(ScheduleError, match="FREQ=SOMETIMES"):
        expand_rrule("FREQ=SOMETIMES", 2026)


def test_window_that_opens_after_its_due_date_is_refused() -> None:
    with pytest.raises(ScheduleError, match="opens 2026-09-01 after it is due 2026-08-31"):
        Occurrence(due=date(2026, 8, 31), opens=date(2026, 9, 1))


def test_two_occurrences_on_one_day_are_refused() -> None:
    with pytest.raises(ScheduleError, match="2026-06-30"):
        normalise([Occurrence(date(2026, 6, 30)), Occurrence(date(2026, 6, 30))])


def test_occurrence_round_trips_through_its_dict() -> None:
    occ = Occurrence(due=date(2026, 8, 31), opens=date(2026, 6, 1))
    assert occ.to_dict() == {"opens": "2026-06-01", "due": "2026-08-31"}
    assert Occurrence.from_dict(occ.to_dict()) == occ


# -- bounds (issue 16): a rule is refused in milliseconds, never expanded without end ------


def refused_before_expanding(rule: str, year: int = 2026, **kwargs: int) -> ScheduleError:
    """The old code took from 2 s to minutes (or never ended) on each of these; the
    refusal happens before any expansion, so the suite's per-test timeout is the guard
    (speed itself is measured in bench/, never asserted in a test)."""
    with pytest.raises(ScheduleError) as refused:
        expand_rrule(rule, year, **kwargs)
    return refused.value


@pytest.mark.parametrize(
    ("rule", "part"),
    [
        ("FREQ=SECONDLY", "FREQ=SECONDLY"),
        ("FREQ=MINUTELY;INTERVAL=1", "FREQ=MINUTELY"),
        ("RRULE:FREQ=HOURLY", "FREQ=HOURLY"),
        ("freq=secondly", "FREQ=SECONDLY"),
        ("FREQ=DAILY;BYHOUR=8,9", "BYHOUR"),
        ("FREQ=DAILY;BYMINUTE=0,30", "BYMINUTE"),
        ("FREQ=WEEKLY;BYSECOND=1", "BYSECOND"),
        ("FREQ=DAILY;FREQ=SECONDLY", "FREQ"),
    ],
)
def test_secondly_rrule_is_refused_not_expanded(rule: str, part: str) -> None:
    # FREQ=SECONDLY took 108 s and 2 GB before being refused for its size.
    error = refused_before_expanding(rule)
    assert part in error.message
    if part != "FREQ":  # a second FREQ is refused as a duplicate part
        assert error.message.startswith("重复规则不能比每天更频繁")
        assert "may not repeat more often than daily" in error.message
        assert error.details == {"field": "rrule", "problem": "finer_than_daily"}


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",  # 36 s: dateutil searched to year 9999
        "FREQ=WEEKLY;BYMONTH=4;BYMONTHDAY=31",
        "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=DAILY;BYWEEKNO=1;BYMONTH=6",
        "FREQ=WEEKLY;BYDAY=MO;BYSETPOS=2",
        "FREQ=DAILY;UNTIL=20251231",
    ],
)
def test_rrule_that_never_falls_in_the_year_is_refused(rule: str) -> None:
    error = refused_before_expanding(rule)
    assert "has no occurrence in 2026" in error.message and error.message.startswith("重复规则")


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL must be within 1…366, not 0"),  # looped for ever
        ("FREQ=YEARLY;INTERVAL=0;BYMONTH=6", "INTERVAL must be within 1…366"),
        ("FREQ=MONTHLY;BYMONTHDAY=40", "BYMONTHDAY must be within ±1…±31, not 40"),
        ("FREQ=YEARLY;BYMONTH=13", "BYMONTH must be within 1…12, not 13"),
        ("FREQ=YEARLY;BYWEEKNO=60", "BYWEEKNO must be within ±1…±53"),
        ("FREQ=YEARLY;BYDAY=60MO", "BYDAY must be within ±1…±53, not 60"),
        ("FREQ=YEARLY;BYEASTER=0", "not a valid RRULE part"),
        ("FREQ=DAILY;COUNT=2;UNTIL=20261231", "both COUNT and UNTIL"),
        ("FREQ=DAILY;WKST=XX", "WKST is not valid"),
        ("FREQ=DAILY;UNTIL=20261231T000000Z", "UNTIL must be YYYYMMDD"),
        ("DTSTART;TZID=Asia/Shanghai:20260101T090000\nRRULE:FREQ=MONTHLY", "no TZID"),
        ("DTSTART:19000101\nRRULE:FREQ=DAILY", "DTSTART must be in 2025 or 2026"),
        ("FREQ=DAILY\nEXDATE:20260101", "one RRULE line"),
        ("FREQ=DAILY;BYMONTH=\x00", "control character"),
        ("FREQ=YEARLY;" + "BYMONTH=1;" * 40, "at most 300"),
        ("", "is required"),
    ],
)
def test_rrule_parts_out_of_range_are_refused_naming_the_part(rule: str, words: str) -> None:
    error = refused_before_expanding(rule)
    assert words in error.message, error.message
    assert error.message.startswith("重复规则")


def test_rrule_with_more_occurrences_than_the_cap_is_refused_naming_the_cap() -> None:
    error = refused_before_expanding("FREQ=DAILY", limit=10)
    assert "more than 10 occurrences in 2026" in error.message
    assert "超过 10 次" in error.message
    assert error.details["problem"] == "too_many"


def test_daily_rrule_fills_a_leap_year_exactly_at_the_cap() -> None:
    assert len(expand_rrule("FREQ=DAILY", 2028)) == MAX_OCCURRENCES == 366
    assert len(expand_rrule("FREQ=DAILY", 2026)) == 365


@pytest.mark.parametrize("year", [2024, 2026, 2027, 2028, 2099, 2100, 2101])
@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=-1",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        "FREQ=YEARLY;BYWEEKNO=1,52,53;BYDAY=MO",
        "FREQ=YEARLY;BYYEARDAY=1,60,-1",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=28,29",
        "FREQ=DAILY;COUNT=40",
        "FREQ=WEEKLY;WKST=SU;BYWEEKNO=-1;BYDAY=SA,SU",
        "DTSTART:{prev}1230\nRRULE:FREQ=DAILY;INTERVAL=3",
        "DTSTART:{prev}0301\nRRULE:FREQ=MONTHLY;COUNT=14",
        "FREQ=DAILY;UNTIL={year}0305",
    ],
)
def test_bounded_expansion_gives_the_dates_dateutil_gives(rule: str, year: int) -> None:
    # The plan year is expanded on a calendar-identical year near 9999 and moved back;
    # the dates must be exactly those of the plain expansion in the plan year itself.
    text = rule.format(prev=year - 1, year=year)
    plain = rrulestr(text, dtstart=datetime(year, 1, 1)).between(
        datetime(year, 1, 1), datetime(year, 12, 31, 23, 59, 59), inc=True
    )
    assert [o.due for o in expand_rrule(text, year)] == [d.date() for d in plain]


def test_rule_text_written_by_the_deadline_reader_still_expands() -> None:
    assert len(expand_rrule("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;", 2026)) == 261
    assert len(expand_rrule("rrule:freq=monthly;bymonthday=-1", 2026)) == 12
