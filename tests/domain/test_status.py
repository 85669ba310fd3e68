from datetime import date

import pytest

from planlog.domain.status import light

DUE = date(2026, 6, 30)


@pytest.mark.parametrize(
    ("status", "today", "expected"),
    [
        ("open", date(2026, 6, 1), "open"),
        ("in_progress", date(2026, 6, 1), "in_progress"),
        ("open", date(2026, 6, 27), "due_soon"),
        ("in_progress", date(2026, 6, 30), "due_soon"),
        ("open", date(2026, 7, 1), "overdue"),
        ("done", date(2026, 7, 1), "done"),
        ("cancelled", date(2026, 7, 1), "cancelled"),
    ],
)
def test_traffic_light_of_an_occurrence(status: str, today: date, expected: str) -> None:
    assert light(status, DUE, today) == expected
