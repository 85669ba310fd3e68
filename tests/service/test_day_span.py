"""One meaning for dates in every door: from=D starts at 00:00, to=D ends at 24:00 China."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from planlog.domain.errors import PlanlogError
from planlog.service.app import as_of_moment, day_span, span_bounds

CN = ZoneInfo("Asia/Shanghai")


def test_the_same_day_is_the_whole_day() -> None:
    after, until = day_span("2026-11-25", "2026-11-25")
    # (after, until]: after is the last instant before 00:00, until the last one of the day
    assert after + timedelta(microseconds=1) == datetime(2026, 11, 25, tzinfo=CN)
    assert until + timedelta(microseconds=1) == datetime(2026, 11, 26, tzinfo=CN)


def test_a_moment_means_itself_and_an_open_side_stays_open() -> None:
    after, until = day_span("2026-11-25T10:00+08:00", "2026-11-25T12:00")
    assert after == datetime(2026, 11, 25, 10, tzinfo=CN)
    assert until == datetime(2026, 11, 25, 12, tzinfo=CN)
    assert span_bounds(None, None) == (None, None)


def test_an_end_before_the_start_is_refused_without_cli_words() -> None:
    with pytest.raises(PlanlogError) as refused:
        day_span("2026-11-25", "2026-11-24")
    assert "--" not in str(refused.value) and "早于" in str(refused.value)


def test_as_of_a_day_is_its_end() -> None:
    assert as_of_moment("2026-06-30") + timedelta(microseconds=1) == datetime(2026, 7, 1, tzinfo=CN)
