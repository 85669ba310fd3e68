from datetime import date

import pytest

from planlog.domain.errors import ScheduleError
from planlog.domain.schedule import Occurrence, expand_rrule, normalise


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
