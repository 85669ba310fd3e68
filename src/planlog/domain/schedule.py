"""The schedule of a plan item: one or more occurrences, each due on a date.

Pure code. A recurrence is kept as an RFC 5545 RRULE and expanded with
python-dateutil inside the plan year, so a half-yearly report becomes two
occurrences that are done (or not) on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from dateutil.rrule import rrulestr

from planlog.domain.errors import ScheduleError


@dataclass(frozen=True, order=True)
class Occurrence:
    """One due date of an item, with an optional opening date for a window (六月至八月)."""

    due: date
    opens: date | None = None

    def __post_init__(self) -> None:
        if self.opens is not None and self.opens > self.due:
            raise ScheduleError(
                f"window opens {self.opens.isoformat()} after it is due {self.due.isoformat()}"
            )

    @property
    def key(self) -> str:
        """Occurrences of one item are told apart by their due date."""
        return self.due.isoformat()

    def to_dict(self) -> dict[str, str | None]:
        return {"opens": self.opens.isoformat() if self.opens else None, "due": self.key}

    @classmethod
    def from_dict(cls, data: dict[str, str | None]) -> Occurrence:
        due = data.get("due")
        if not due:
            raise ScheduleError("an occurrence needs a due date")
        opens = data.get("opens")
        return cls(due=date.fromisoformat(due), opens=date.fromisoformat(opens) if opens else None)


def expand_rrule(rule: str, year: int) -> list[Occurrence]:
    """Expand an RRULE into the occurrences that fall inside the plan year.

    The rule starts on 1 January of the plan year unless it carries its own
    DTSTART. An unbounded rule is cut at 31 December, so `FREQ=WEEKLY;BYDAY=FR`
    yields every Friday of the year.
    """
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :]
    try:
        parsed = rrulestr(text, dtstart=datetime(year, 1, 1), forceset=False)
    except (ValueError, TypeError) as exc:
        raise ScheduleError(f"not a valid RRULE {rule!r}: {exc}") from exc
    start, end = datetime(year, 1, 1), datetime(year, 12, 31, 23, 59, 59)
    dates = parsed.between(start, end, inc=True)
    if not dates:
        raise ScheduleError(f"RRULE {rule!r} has no occurrence in {year}")
    return [Occurrence(due=d.date()) for d in dates]


def normalise(occurrences: list[Occurrence]) -> list[Occurrence]:
    """Sort occurrences by due date and refuse two with the same due date."""
    ordered = sorted(occurrences, key=lambda o: o.due)
    seen: set[date] = set()
    for occ in ordered:
        if occ.due in seen:
            raise ScheduleError(f"two occurrences are due on {occ.key}")
        seen.add(occ.due)
    return ordered
