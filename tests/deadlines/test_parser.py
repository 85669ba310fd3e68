"""Deadline text of annual plans (时限) read into schedules, for plan year 2026 unless stated."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest

from planlog.deadlines import DeadlineError, ParsedDeadline, parse_deadline
from planlog.domain.errors import PlanlogError
from planlog.domain.workdays import official_workday

YEAR = 2026

Expected = list[tuple[date | None, date]]


def day(month_day: str, year: int = YEAR) -> tuple[date | None, date]:
    """Due on one day: "03-25"."""
    return (None, date.fromisoformat(f"{year}-{month_day}"))


def window(opens: str, due: str, year: int = YEAR) -> tuple[date | None, date]:
    return (date.fromisoformat(f"{year}-{opens}"), date.fromisoformat(f"{year}-{due}"))


def month_ends(*months: int, year: int = YEAR) -> Expected:
    return [(None, date(year, m, calendar.monthrange(year, m)[1])) for m in months]


def monthly_on(day_of_month: int, year: int = YEAR) -> Expected:
    return [(None, date(year, m, day_of_month)) for m in range(1, 13)]


def every(first: str, step_days: int, year: int = YEAR) -> Expected:
    """Every `step_days` days from `first` to the end of the year (weekly rules)."""
    current = date.fromisoformat(f"{year}-{first}")
    out: Expected = []
    while current.year == year:
        out.append((None, current))
        current += timedelta(days=step_days)
    return out


MONTHLY = "FREQ=MONTHLY;BYMONTHDAY=-1"
QUARTERLY = "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1"
HALF_YEARLY = "FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=-1"
BIMONTHLY = "FREQ=YEARLY;BYMONTH=2,4,6,8,10,12;BYMONTHDAY=-1"
FRIDAYS = "FREQ=WEEKLY;BYDAY=FR"

# (text, occurrences as (opens, due), rrule, soft, ambiguous)
CASES: list[tuple[str, Expected, str | None, bool, bool]] = [
    # A single day is due that day; 前 on a day keeps the day.
    ("3月25日前", [day("03-25")], None, False, False),
    ("3月25日", [day("03-25")], None, False, False),
    ("3月25号", [day("03-25")], None, False, False),
    ("3月25号前", [day("03-25")], None, False, False),
    ("3月25日之前", [day("03-25")], None, False, False),
    ("三月二十五日", [day("03-25")], None, False, False),
    ("2026-03-05", [day("03-05")], None, False, False),
    # A month is a window from its first to its last day.
    ("9月份", [window("09-01", "09-30")], None, False, False),
    ("9月", [window("09-01", "09-30")], None, False, False),
    ("9月份完成", [window("09-01", "09-30")], None, False, False),
    ("五月", [window("05-01", "05-31")], None, False, False),
    ("一月", [window("01-01", "01-31")], None, False, False),
    ("三月份", [window("03-01", "03-31")], None, False, False),
    ("十二月", [window("12-01", "12-31")], None, False, False),
    ("2月", [window("02-01", "02-28")], None, False, False),
    ("二〇二六年九月", [window("09-01", "09-30")], None, False, False),
    ("二○二六年九月", [window("09-01", "09-30")], None, False, False),
    ("2026年9月", [window("09-01", "09-30")], None, False, False),
    ("今年五月", [window("05-01", "05-31")], None, False, False),
    ("力争在今年五月完成", [window("05-01", "05-31")], None, True, False),
    # X底前, X底, X末, X内: due on X's last day, no opening.
    ("3月底前", [day("03-31")], None, False, False),
    ("4月底前完成", [day("04-30")], None, False, False),
    ("3月底", [day("03-31")], None, False, False),
    ("3月末", [day("03-31")], None, False, False),
    ("十一月底", [day("11-30")], None, False, False),
    ("2026年3月底前", [day("03-31")], None, False, False),
    ("截至6月底", [day("06-30")], None, False, False),
    ("6月底之前", [day("06-30")], None, False, False),
    ("2月底前", [day("02-28")], None, False, False),
    ("5月内", [day("05-31")], None, False, False),
    # X月前: before X starts (stricter) and ambiguous, unless that leaves the year.
    ("5月前", [day("04-30")], None, False, True),
    ("12月前", [day("11-30")], None, False, True),
    ("1月前", [day("01-31")], None, False, False),
    # The year.
    ("年底前", [day("12-31")], None, False, False),
    ("年内", [day("12-31")], None, False, False),
    ("年底", [day("12-31")], None, False, False),
    ("年末", [day("12-31")], None, False, False),
    ("年度内", [day("12-31")], None, False, False),
    ("今年内", [day("12-31")], None, False, False),
    ("今年年底前", [day("12-31")], None, False, False),
    ("2026年底前", [day("12-31")], None, False, False),
    ("全年", [window("01-01", "12-31")], None, False, False),
    ("常年", [window("01-01", "12-31")], None, False, False),
    # Lists: one occurrence per item.
    ("6月;12月", [window("06-01", "06-30"), window("12-01", "12-31")], None, False, False),
    ("3月;11月", [window("03-01", "03-31"), window("11-01", "11-30")], None, False, False),
    ("4月;10月", [window("04-01", "04-30"), window("10-01", "10-31")], None, False, False),
    ("3、11月", [window("03-01", "03-31"), window("11-01", "11-30")], None, False, False),
    ("3、11月,", [window("03-01", "03-31"), window("11-01", "11-30")], None, False, False),
    ("1、4季度", [window("01-01", "03-31"), window("10-01", "12-31")], None, False, False),
    ("一、四季度", [window("01-01", "03-31"), window("10-01", "12-31")], None, False, False),
    ("第一、四季度", [window("01-01", "03-31"), window("10-01", "12-31")], None, False, False),
    ("12月前;6月前", [day("05-31"), day("11-30")], None, False, True),
    ("1月、12月", [window("01-01", "01-31"), window("12-01", "12-31")], None, False, False),
    ("1月、12月。", [window("01-01", "01-31"), window("12-01", "12-31")], None, False, False),
    ("1月、7月", [window("01-01", "01-31"), window("07-01", "07-31")], None, False, False),
    ("3月,9月", [window("03-01", "03-31"), window("09-01", "09-30")], None, False, False),
    ("3月和9月", [window("03-01", "03-31"), window("09-01", "09-30")], None, False, False),
    ("时限：3、11月,", [window("03-01", "03-31"), window("11-01", "11-30")], None, False, False),
    ("时限：1月、12月。", [window("01-01", "01-31"), window("12-01", "12-31")], None, False, False),
    ("時限：6月；12月", [window("06-01", "06-30"), window("12-01", "12-31")], None, False, False),
    ("６月；１２月", [window("06-01", "06-30"), window("12-01", "12-31")], None, False, False),
    ("6月底前;12月底前", [day("06-30"), day("12-31")], None, False, False),
    ("3、11月底前", [day("03-31"), day("11-30")], None, False, False),
    ("3月1、15日", [day("03-01"), day("03-15")], None, False, False),
    ("上、下半年", [window("01-01", "06-30"), window("07-01", "12-31")], None, False, False),
    # Ranges: one window.
    ("六月至八月", [window("06-01", "08-31")], None, False, False),
    ("3月至5月", [window("03-01", "05-31")], None, False, False),
    ("1-12月", [window("01-01", "12-31")], None, False, False),
    ("3—5月", [window("03-01", "05-31")], None, False, False),
    ("6月到8月", [window("06-01", "08-31")], None, False, False),
    ("6至8月", [window("06-01", "08-31")], None, False, False),
    ("3-5月份", [window("03-01", "05-31")], None, False, False),
    ("3月至5月底", [window("03-01", "05-31")], None, False, False),
    ("3月1日至15日", [window("03-01", "03-15")], None, False, False),
    ("3月中旬至4月上旬", [window("03-11", "04-10")], None, False, False),
    ("1至2季度", [window("01-01", "06-30")], None, False, False),
    ("3月25日-4月5日", [window("03-25", "04-05")], None, False, False),
    ("2026年3月至5月", [window("03-01", "05-31")], None, False, False),
    ("春节至元宵节", [window("02-17", "03-03")], None, False, False),
    # Quarters.
    ("一季度", [window("01-01", "03-31")], None, False, False),
    ("第二季度", [window("04-01", "06-30")], None, False, False),
    ("四季度", [window("10-01", "12-31")], None, False, False),
    ("第四季度", [window("10-01", "12-31")], None, False, False),
    ("Q2", [window("04-01", "06-30")], None, False, False),
    ("三季度末", [day("09-30")], None, False, False),
    ("3季度底前", [day("09-30")], None, False, False),
    ("二季度内", [day("06-30")], None, False, False),
    ("三季度前", [day("06-30")], None, False, True),
    ("Q3前", [day("06-30")], None, False, True),
    ("Ｑ３前", [day("06-30")], None, False, True),
    ("一季度前", [day("03-31")], None, False, False),
    # Half years.
    ("上半年", [window("01-01", "06-30")], None, False, False),
    ("下半年", [window("07-01", "12-31")], None, False, False),
    ("上半年底前", [day("06-30")], None, False, False),
    ("下半年末", [day("12-31")], None, False, False),
    ("上半年前", [day("06-30")], None, False, False),
    ("下半年前", [day("06-30")], None, False, True),
    # 上旬/中旬/下旬.
    ("3月上旬", [window("03-01", "03-10")], None, False, False),
    ("3月中旬", [window("03-11", "03-20")], None, False, False),
    ("3月下旬", [window("03-21", "03-31")], None, False, False),
    ("2月下旬", [window("02-21", "02-28")], None, False, False),
    ("3月中下旬", [window("03-11", "03-31")], None, False, False),
    ("3月初", [window("03-01", "03-10")], None, False, False),
    ("3月上旬前", [day("03-10")], None, False, False),
    # Festivals: the day itself; X前 is the day before; 元旦前 is the coming New Year's Eve.
    ("三八", [day("03-08")], None, False, False),
    ("三.八", [day("03-08")], None, False, False),
    ("“三八”", [day("03-08")], None, False, False),
    ("三八妇女节", [day("03-08")], None, False, False),
    ("三八节前", [day("03-07")], None, False, False),
    ("五一", [day("05-01")], None, False, False),
    ("五一前", [day("04-30")], None, False, False),
    ("五四", [day("05-04")], None, False, False),
    ("六一", [day("06-01")], None, False, False),
    ("七一", [day("07-01")], None, False, False),
    ("七一前", [day("06-30")], None, False, False),
    ("八一", [day("08-01")], None, False, False),
    ("教师节", [day("09-10")], None, False, False),
    ("教师节前", [day("09-09")], None, False, False),
    ("国庆", [day("10-01")], None, False, False),
    ("国庆节前", [day("09-30")], None, False, False),
    ("國慶節前", [day("09-30")], None, False, False),
    ("十一前", [day("09-30")], None, False, False),
    ("元旦", [day("01-01")], None, False, False),
    ("元旦前", [day("12-31")], None, False, False),
    ("春节", [day("02-17")], None, False, False),
    ("春节前", [day("02-16")], None, False, False),
    ("元宵节", [day("03-03")], None, False, False),
    ("中秋", [day("09-25")], None, False, False),
    ("中秋节前", [day("09-24")], None, False, False),
    ("端午", [day("06-19")], None, False, False),
    ("重阳节", [day("10-18")], None, False, False),
    ("植树节", [day("03-12")], None, False, False),
    ("3.12植树节", [day("03-12")], None, False, False),
    # Recurrences: an RRULE, expanded in the year.
    ("每月", month_ends(*range(1, 13)), MONTHLY, False, False),
    ("每个月", month_ends(*range(1, 13)), MONTHLY, False, False),
    ("每月底前", month_ends(*range(1, 13)), MONTHLY, False, False),
    ("每月一次", month_ends(*range(1, 13)), MONTHLY, False, False),
    ("每月底", month_ends(*range(1, 13)), MONTHLY, False, False),
    ("每两月", month_ends(2, 4, 6, 8, 10, 12), BIMONTHLY, False, False),
    ("每两个月", month_ends(2, 4, 6, 8, 10, 12), BIMONTHLY, False, False),
    ("每个季度", month_ends(3, 6, 9, 12), QUARTERLY, False, False),
    ("每季度", month_ends(3, 6, 9, 12), QUARTERLY, False, False),
    ("每季度一次", month_ends(3, 6, 9, 12), QUARTERLY, False, False),
    ("按季度", month_ends(3, 6, 9, 12), QUARTERLY, False, False),
    (
        "每季度中间月份",
        month_ends(2, 5, 8, 11),
        "FREQ=YEARLY;BYMONTH=2,5,8,11;BYMONTHDAY=-1",
        False,
        False,
    ),
    ("每半年", month_ends(6, 12), HALF_YEARLY, False, False),
    ("每半年一次", month_ends(6, 12), HALF_YEARLY, False, False),
    ("半年一次", month_ends(6, 12), HALF_YEARLY, False, False),
    ("每年", [day("12-31")], "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31", False, False),
    ("每月15日前", monthly_on(15), "FREQ=MONTHLY;BYMONTHDAY=15", False, False),
    ("每月15号", monthly_on(15), "FREQ=MONTHLY;BYMONTHDAY=15", False, False),
    ("每月上旬", monthly_on(10), "FREQ=MONTHLY;BYMONTHDAY=10", False, False),
    # 2 January 2026 is the first Friday of the year.
    ("每周", every("01-02", 7), FRIDAYS, False, False),
    ("每周五", every("01-02", 7), FRIDAYS, False, False),
    ("每周五下午", every("01-02", 7), FRIDAYS, False, False),
    ("每週五", every("01-02", 7), FRIDAYS, False, False),
    ("每周一", every("01-05", 7), "FREQ=WEEKLY;BYDAY=MO", False, False),
    ("每两周", every("01-02", 14), "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", False, False),
    ("每两周一次", every("01-02", 14), "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", False, False),
    # Soft targets.
    ("争取6月底前完成", [day("06-30")], None, True, False),
    ("尽量在年内", [day("12-31")], None, True, False),
    ("力爭3月底前", [day("03-31")], None, True, False),
    ("原则上每季度", month_ends(3, 6, 9, 12), QUARTERLY, True, False),
    # Labels, spaces and punctuation.
    ("完成时限：4月底前", [day("04-30")], None, False, False),
    ("时间:9月", [window("09-01", "09-30")], None, False, False),
    (" 3 月 底 前 。", [day("03-31")], None, False, False),
    ("時限：上半年", [window("01-01", "06-30")], None, False, False),
    # Sentences: every deadline phrase in them.
    ("此项工作在3月底前完成", [day("03-31")], None, False, False),
    ("于国庆节前组织开展", [day("09-30")], None, False, False),
    ("三八红旗手评选5月底前", [day("05-31")], None, False, False),
    (
        "评比方案4月底前制定完成,年底前开展评比活动",
        [day("04-30"), day("12-31")],
        None,
        False,
        False,
    ),
]


@pytest.mark.parametrize(
    ("text", "occurrences", "rrule", "soft", "ambiguous"), CASES, ids=[c[0] for c in CASES]
)
def test_reads_deadline(
    text: str, occurrences: Expected, rrule: str | None, soft: bool, ambiguous: bool
) -> None:
    parsed = parse_deadline(text, YEAR)
    assert [(o.opens, o.due) for o in parsed.occurrences] == occurrences
    assert parsed.rrule == rrule
    assert parsed.soft is soft
    assert parsed.ambiguous is ambiguous


def test_the_table_has_at_least_a_hundred_distinct_cases() -> None:
    assert len({c[0] for c in CASES}) == len(CASES) >= 100


def test_occurrences_are_sorted_by_due_date() -> None:
    parsed = parse_deadline("12月;3月", YEAR)
    assert [o.due for o in parsed.occurrences] == [date(2026, 3, 31), date(2026, 12, 31)]


def test_text_is_kept_as_given() -> None:
    assert parse_deadline("時限：6月；12月", YEAR).text == "時限：6月；12月"


@pytest.mark.parametrize(
    "text", ["尽快", "随时", "", "   ", "asdf qwer", "年中", "长期", "年前", "下一年度"]
)
def test_unreadable_text_raises_deadline_error_naming_the_text(text: str) -> None:
    with pytest.raises(DeadlineError) as caught:
        parse_deadline(text, YEAR)
    assert repr(text) in caught.value.message
    assert caught.value.details["text"] == text


def test_deadline_error_is_a_planlog_error_with_its_own_code() -> None:
    with pytest.raises(PlanlogError) as caught:
        parse_deadline("尽快", YEAR)
    assert isinstance(caught.value, DeadlineError)
    assert caught.value.to_dict()["code"] == "invalid_deadline"


@pytest.mark.parametrize("text", ["2025年3月底前", "二〇二七年九月", "2027年底前", "2025年春节前"])
def test_an_explicit_year_other_than_the_plan_year_is_refused(text: str) -> None:
    with pytest.raises(DeadlineError) as caught:
        parse_deadline(text, YEAR)
    assert "2026" in caught.value.message
    assert str(caught.value.details["found"]) in caught.value.message


# Issue 13: the next year is read up to the end of its first quarter (see test_next_year
# below); later in the next year, and any earlier year, is still refused.
@pytest.mark.parametrize("text", ["明年4月", "次年6月底前", "明年底", "去年12月"])
def test_next_and_last_year_are_refused(text: str) -> None:
    with pytest.raises(DeadlineError, match="outside the plan year"):
        parse_deadline(text, YEAR)


def test_other_year_words_elsewhere_in_a_sentence_do_not_refuse_it() -> None:
    parsed = parse_deadline("为明年工作打基础,年底前完成", YEAR)
    assert [o.due for o in parsed.occurrences] == [date(2026, 12, 31)]


@pytest.mark.parametrize("word", ["力争", "争取", "尽量", "尽可能", "原则上", "力爭", "爭取"])
def test_soft_words_make_a_target_not_a_hard_deadline(word: str) -> None:
    parsed = parse_deadline(f"{word}5月底前完成", YEAR)
    assert parsed.soft is True
    assert [o.due for o in parsed.occurrences] == [date(2026, 5, 31)]
    assert parse_deadline("5月底前完成", YEAR).soft is False


def test_ambiguous_reading_has_a_note_naming_both_readings() -> None:
    parsed = parse_deadline("三季度前", YEAR)
    assert parsed.ambiguous is True
    assert parsed.note is not None
    assert "2026-06-30" in parsed.note and "2026-09-30" in parsed.note
    assert "stricter" in parsed.note


def test_unambiguous_reading_has_no_note() -> None:
    for text in ("3月底前", "3月25日前", "年底前"):
        parsed = parse_deadline(text, YEAR)
        assert parsed.ambiguous is False
        assert parsed.note is None


@pytest.mark.parametrize(
    ("text", "year", "due"),
    [
        ("春节", 2026, date(2026, 2, 17)),
        ("中秋", 2026, date(2026, 9, 25)),
        ("春节", 2027, date(2027, 2, 6)),
        ("中秋", 2027, date(2027, 9, 15)),
        ("春节前", 2027, date(2027, 2, 5)),
        ("中秋节前", 2027, date(2027, 9, 14)),
    ],
)
def test_lunar_festivals_follow_the_lunar_calendar(text: str, year: int, due: date) -> None:
    assert [o.due for o in parse_deadline(text, year).occurrences] == [due]


def test_february_ends_on_the_29th_in_a_leap_year() -> None:
    feb = parse_deadline("2月", 2028).occurrences
    assert [(o.opens, o.due) for o in feb] == [(date(2028, 2, 1), date(2028, 2, 29))]
    assert [o.due for o in parse_deadline("2月底前", 2028).occurrences] == [date(2028, 2, 29)]
    assert parse_deadline("每月", 2028).occurrences[1].due == date(2028, 2, 29)
    assert parse_deadline("2月下旬", 2028).occurrences[0].due == date(2028, 2, 29)


def test_to_dict_shape() -> None:
    assert parse_deadline("三季度前", YEAR).to_dict() == {
        "text": "三季度前",
        "occurrences": [{"opens": None, "due": "2026-06-30"}],
        "rrule": None,
        "soft": False,
        "ambiguous": True,
        "note": parse_deadline("三季度前", YEAR).note,
        "flags": ["ambiguous"],
    }
    assert parse_deadline("6月;12月", YEAR).to_dict()["occurrences"] == [
        {"opens": "2026-06-01", "due": "2026-06-30"},
        {"opens": "2026-12-01", "due": "2026-12-31"},
    ]
    assert parse_deadline("每半年一次", YEAR).to_dict()["rrule"] == HALF_YEARLY


def test_parsed_deadline_is_immutable() -> None:
    parsed = parse_deadline("3月", YEAR)
    assert isinstance(parsed, ParsedDeadline)
    with pytest.raises(AttributeError):
        parsed.soft = True  # type: ignore[misc]


def test_every_half_year_is_june_and_december_not_an_interval_from_january() -> None:
    parsed = parse_deadline("每半年一次", YEAR)
    assert parsed.rrule == HALF_YEARLY
    assert "INTERVAL" not in parsed.rrule


@pytest.mark.parametrize("text", ["13月", "2月30日", "5季度"])
def test_impossible_calendar_values_are_refused(text: str) -> None:
    with pytest.raises(DeadlineError):
        parse_deadline(text, YEAR)


def test_a_range_that_runs_backwards_is_refused() -> None:
    with pytest.raises(DeadlineError, match="backwards"):
        parse_deadline("5月至3月", YEAR)


def test_a_recurrence_cannot_be_listed_with_dates() -> None:
    with pytest.raises(DeadlineError, match="recurrence"):
        parse_deadline("每月;12月", YEAR)


def test_two_items_due_the_same_day_are_refused() -> None:
    with pytest.raises(DeadlineError, match="2026-06-30"):
        parse_deadline("6月;6月底前", YEAR)


def test_a_monthly_day_missing_from_short_months_is_refused() -> None:
    with pytest.raises(DeadlineError, match="每月底"):
        parse_deadline("每月30日", YEAR)


def test_a_written_festival_date_must_match_the_festival() -> None:
    with pytest.raises(DeadlineError, match="植树节"):
        parse_deadline("3.11植树节", YEAR)


def test_a_sentence_with_two_deadlines_gives_one_occurrence_for_each() -> None:
    """A plan line that names two steps gives both due dates rather than being refused."""
    parsed = parse_deadline("评比方案4月底前制定完成,年底前开展评比活动", YEAR)
    assert [o.due for o in parsed.occurrences] == [date(2026, 4, 30), date(2026, 12, 31)]


@pytest.mark.parametrize("text", ["3月中", "3月5", "5月左右", "5月中旬前后", "自3月起"])
def test_a_phrase_qualified_by_words_not_read_is_refused_rather_than_guessed(text: str) -> None:
    with pytest.raises(DeadlineError, match="qualified"):
        parse_deadline(text, YEAR)


def test_festivals_run_together_are_refused() -> None:
    with pytest.raises(DeadlineError, match="festivals run together"):
        parse_deadline("元旦春节前", YEAR)


def test_a_bare_festival_name_inside_a_sentence_is_not_a_deadline() -> None:
    with pytest.raises(DeadlineError):
        parse_deadline("开展五一劳动竞赛", YEAR)


# ---------------------------------------------------------------------------
# Issue 13: the next year, around a day, ongoing work, qualified recurrences
# ---------------------------------------------------------------------------


def _dues(text: str, year: int = YEAR) -> list[date]:
    return [o.due for o in parse_deadline(text, year).occurrences]


@pytest.mark.parametrize(
    ("text", "opens", "due"),
    [
        ("次年2月底前", None, date(2027, 2, 28)),
        ("翌年一月", date(2027, 1, 1), date(2027, 1, 31)),
        ("下一年度一季度", date(2027, 1, 1), date(2027, 3, 31)),
        ("明年1月15日前", None, date(2027, 1, 15)),
        ("来年春节前", None, date(2027, 2, 5)),
        ("2027年3月底前", None, date(2027, 3, 31)),
        ("次年1月至2月", date(2027, 1, 1), date(2027, 2, 28)),
        ("次年1月10日", None, date(2027, 1, 10)),
        ("年度总结于次年1月底前报送", None, date(2027, 1, 31)),
    ],
)
def test_next_year_is_read_up_to_its_first_quarter_and_flagged(
    text: str, opens: date | None, due: date
) -> None:
    parsed = parse_deadline(text, YEAR)
    assert [(o.opens, o.due) for o in parsed.occurrences] == [(opens, due)]
    assert "next_year" in parsed.flags
    assert parsed.to_dict()["flags"] == list(parsed.flags)


@pytest.mark.parametrize("text", ["次年4月", "翌年二季度", "次年上半年", "2027年6月", "下一年度"])
def test_next_year_beyond_its_first_quarter_is_refused_in_both_languages(text: str) -> None:
    with pytest.raises(DeadlineError) as caught:
        parse_deadline(text, YEAR)
    message = caught.value.message
    assert repr(text) in message
    assert "无法识别时限" in message and "cannot read deadline" in message


def test_a_plan_year_date_has_no_next_year_flag() -> None:
    assert parse_deadline("12月底前", YEAR).flags == ()


@pytest.mark.parametrize(
    ("text", "opens", "due"),
    [
        ("国庆节前后", date(2026, 9, 24), date(2026, 10, 8)),
        ("春节前后", date(2026, 2, 10), date(2026, 2, 24)),
        ("“五一”前后", date(2026, 4, 24), date(2026, 5, 8)),
        ("6月15日前后", date(2026, 6, 8), date(2026, 6, 22)),
    ],
)
def test_around_a_day_is_a_soft_window_a_week_either_side(
    text: str, opens: date, due: date
) -> None:
    parsed = parse_deadline(text, YEAR)
    assert [(o.opens, o.due) for o in parsed.occurrences] == [(opens, due)]
    assert parsed.soft is True
    assert "soft" in parsed.flags


@pytest.mark.parametrize("text", ["元旦前后", "5月前后", "三季度前后", "年底前后"])
def test_around_a_period_or_across_the_year_end_is_refused(text: str) -> None:
    with pytest.raises(DeadlineError, match="无法识别时限"):
        parse_deadline(text, YEAR)


@pytest.mark.parametrize("text", ["长期坚持", "经常性", "常态化", "全年", "常年", "全年持续开展"])
def test_ongoing_work_is_open_all_year_and_due_at_its_end(text: str) -> None:
    parsed = parse_deadline(text, YEAR)
    assert [(o.opens, o.due) for o in parsed.occurrences] == [
        (date(2026, 1, 1), date(2026, 12, 31))
    ]
    assert parsed.flags == ("ongoing",)


@pytest.mark.parametrize(
    ("text", "dues"),
    [
        (
            "每季度第一个月15日前",
            [date(2026, 1, 15), date(2026, 4, 15), date(2026, 7, 15), date(2026, 10, 15)],
        ),
        (
            "每季度第二个月底",
            [date(2026, 2, 28), date(2026, 5, 31), date(2026, 8, 31), date(2026, 11, 30)],
        ),
        (
            "每季度末月10日",
            [date(2026, 3, 10), date(2026, 6, 10), date(2026, 9, 10), date(2026, 12, 10)],
        ),
    ],
)
def test_a_month_of_every_quarter(text: str, dues: list[date]) -> None:
    parsed = parse_deadline(text, YEAR)
    assert [o.due for o in parsed.occurrences] == dues
    assert parsed.rrule is not None


def test_a_quarter_has_no_fourth_month() -> None:
    with pytest.raises(DeadlineError, match="month 4"):
        parse_deadline("每季度第四个月", YEAR)


def test_the_first_working_day_of_every_month_follows_the_official_calendar() -> None:
    dues = _dues("每月第一个工作日")
    assert len(dues) == 12
    # 2026: 1-3 January is the New Year holiday and Sunday 4 January a make-up workday
    # (调休); the May Day holiday runs 1-5 May.
    assert dues[0] == date(2026, 1, 4)
    assert dues[4] == date(2026, 5, 6)
    assert dues[9] == date(2026, 10, 8)
    # The same calendar the reminders use.
    assert all(official_workday(day) for day in dues)


def test_the_last_working_day_of_every_quarter() -> None:
    assert _dues("每季度最后一个工作日") == [
        date(2026, 3, 31),
        date(2026, 6, 30),
        date(2026, 9, 30),
        date(2026, 12, 31),
    ]


@pytest.mark.parametrize(
    ("text", "dues"),
    [
        ("每年4月和10月", [date(2026, 4, 30), date(2026, 10, 31)]),
        ("每年6月、12月", [date(2026, 6, 30), date(2026, 12, 31)]),
        ("每年3月、9月底前", [date(2026, 3, 31), date(2026, 9, 30)]),
        ("每年春节前", [date(2026, 2, 16)]),
        ("每月5日和20日", [date(2026, m, d) for m in range(1, 13) for d in (5, 20)]),
    ],
)
def test_a_list_under_one_recurrence(text: str, dues: list[date]) -> None:
    assert _dues(text) == dues


def test_refusals_name_the_text_in_chinese_first_then_english() -> None:
    with pytest.raises(DeadlineError) as caught:
        parse_deadline("13月", YEAR)
    message = caught.value.message
    assert message.index("没有13月") < message.index("there is no month 13")
    assert message.startswith("无法识别时限 '13月'")


@pytest.mark.parametrize("text", ["每半年第一个月", "每月第三个周五", "中秋国庆前后"])
def test_a_recurrence_or_window_narrowed_by_words_not_read_is_refused(text: str) -> None:
    with pytest.raises(DeadlineError, match="无法识别时限"):
        parse_deadline(text, YEAR)


def test_the_working_days_of_a_year_without_official_data_are_flagged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import planlog.deadlines.parser as parser

    monkeypatch.setattr(parser, "official_workday", lambda day: None)
    parsed = parse_deadline("每月第一个工作日", YEAR)
    assert parsed.occurrences[0].due == date(2026, 1, 1)  # Monday to Friday
    assert parsed.ambiguous and "ambiguous" in parsed.flags
    assert parsed.note is not None and "Monday to Friday" in parsed.note
