"""What the pages show, shaped from the board document and the rollup. Pure.

The board document (`planlog.projections.queries.board_document`) is the one source for the
board, the calendar and the as-of replay, so the pages cannot disagree with the
CLI, the API or the exports about a light or a percent.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from planlog.deadlines import parse_deadline
from planlog.domain.errors import PlanlogError
from planlog.domain.schedule import expand_rrule
from planlog.domain.status import ALL_STATUSES
from planlog.service.views import target_display

QUICK_FILTERS = ("month", "next30", "overdue")
NEXT_DAYS = 30
CLOSED = ("done", "submitted", "cancelled")


def _d(text: str) -> date:
    return date.fromisoformat(text)


def _month_bounds(today: date) -> tuple[date, date]:
    last = calendar.monthrange(today.year, today.month)[1]
    return today.replace(day=1), today.replace(day=last)


def _matches_quick(item: dict[str, Any], quick: str, today: date) -> bool:
    if quick == "overdue":
        return any(o["status"] == "overdue" for o in item["occurrences"])
    if item["status"] == "cancelled":
        return False
    if quick == "month":
        # Due this month, done or not (what falls due), or a window open during it.
        first, last = _month_bounds(today)
        return any(
            _d(o["opens"] or o["due"]) <= last and _d(o["due"]) >= first
            for o in item["occurrences"]
        )
    if quick == "next30":
        horizon = today + timedelta(days=NEXT_DAYS)
        return any(
            o["status"] not in CLOSED and today <= _d(o["due"]) <= horizon
            for o in item["occurrences"]
        )
    return True


@dataclass
class BoardFilters:
    responsible: str | None = None
    status: str | None = None
    quick: str | None = None

    @classmethod
    def clean(cls, responsible: str | None, status: str | None, quick: str | None) -> BoardFilters:
        """Unknown values are ignored rather than refused: a filter link never breaks."""
        return cls(
            responsible=responsible or None,
            status=status if status in ALL_STATUSES else None,
            quick=quick if quick in QUICK_FILTERS else None,
        )

    @property
    def active(self) -> bool:
        return bool(self.responsible or self.status or self.quick)

    def keep(self, item: dict[str, Any], today: date) -> bool:
        if self.responsible and item["responsible"] != self.responsible:
            return False
        if self.status and item["status"] != self.status:
            return False
        return not self.quick or _matches_quick(item, self.quick, today)


@dataclass
class BoardSection:
    id: str | None
    title: str | None
    counts: dict[str, Any]
    items: list[dict[str, Any]] = field(default_factory=list)


def board_sections(document: dict[str, Any], filters: BoardFilters) -> list[BoardSection]:
    """The plan by section, in plan order, keeping only items the filters let through."""
    today = _d(document["today"])
    sections = {
        s["id"]: BoardSection(s["id"], s["title"], {k: v for k, v in s.items() if k != "title"})
        for s in document["sections"]
    }
    for item in document["items"]:
        if filters.keep(item, today):
            section = sections.setdefault(
                item["section_id"], BoardSection(item["section_id"], None, {})
            )
            section.items.append(item)
    return [s for s in sections.values() if s.items]


def people(items: Iterable[dict[str, Any]]) -> list[str]:
    return sorted({i["responsible"] for i in items if i.get("responsible")})


@dataclass
class CalendarEntry:
    item_id: str
    number: str | None
    title: str
    responsible: str | None
    opens: date | None
    due: date
    status: str


@dataclass
class CalendarMonth:
    month: int
    is_current: bool
    before_today: list[CalendarEntry]
    after_today: list[CalendarEntry]

    @property
    def entries(self) -> list[CalendarEntry]:
        return self.before_today + self.after_today


@dataclass
class WindowBar:
    entry: CalendarEntry
    left: float  # percent of the year before the window opens
    width: float  # percent of the year the window covers


@dataclass
class YearCalendar:
    year: int
    today: date
    months: list[CalendarMonth]
    windows: list[WindowBar]
    today_at: float | None  # where today falls on the year's bar, percent; None if not this year


def _entries(document: dict[str, Any]) -> list[CalendarEntry]:
    entries = [
        CalendarEntry(
            item_id=item["id"],
            number=item["number"],
            title=item["title"],
            responsible=item["responsible"],
            opens=_d(o["opens"]) if o["opens"] else None,
            due=_d(o["due"]),
            status="cancelled" if item["status"] == "cancelled" else o["status"],
        )
        for item in document["items"]
        for o in item["occurrences"]
    ]
    return sorted(entries, key=lambda e: (e.due, e.opens or e.due))


def _year_share(year: int, day: date) -> float:
    start = date(year, 1, 1)
    days = (date(year + 1, 1, 1) - start).days
    return round(100 * (day - start).days / days, 2)


def year_calendar(document: dict[str, Any]) -> YearCalendar:
    """The plan year's deadlines by month, windows as spans, today marked."""
    year = int(document["plan"]["year"])
    today = _d(document["today"])
    entries = [e for e in _entries(document) if e.due.year == year]
    months = []
    for month in range(1, 13):
        due = [e for e in entries if e.due.month == month]
        current = today.year == year and today.month == month
        cut = sum(1 for e in due if e.due < today) if current else len(due)
        months.append(CalendarMonth(month, current, due[:cut], due[cut:]))
    windows = [
        WindowBar(
            e,
            _year_share(year, e.opens),
            max(_year_share(year, e.due + timedelta(days=1)) - _year_share(year, e.opens), 0.5),
        )
        for e in entries
        if e.opens is not None and e.opens.year == year
    ]
    today_at = _year_share(year, today) if today.year == year else None
    return YearCalendar(year, today, months, windows, today_at)


def clamp_percent(value: Any) -> int:
    """Widths for bars: a number between 0 and 100, whatever the document says."""
    try:
        return max(0, min(100, round(float(value))))
    except (TypeError, ValueError):
        return 0


def target_rows(targets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Targets with their current value and, where it can be judged, how far along."""
    rows = []
    for number, target in enumerate(targets, start=1):
        value, current = target.get("value"), target.get("current")
        share = None
        if isinstance(value, int | float) and value and isinstance(current, int | float):
            share = clamp_percent(100 * current / value)
        rows.append({**target, "number": number, "share": share, "display": target_display(target)})
    return rows


# ------------------------------------------------------------------ the chair's forms


@dataclass
class DeadlineReading:
    """How a typed 时限 reads in the plan's year, shown before anything is saved."""

    text: str
    occurrences: list[dict[str, str | None]] = field(default_factory=list)
    rrule: str | None = None
    soft: bool = False
    note: str | None = None
    error: str | None = None


def read_deadline(text: str, year: int) -> DeadlineReading:
    """The reading the handler will make of the same text (planlog.deadlines), so what
    the preview shows is what is saved; a refusal is its message, not an exception."""
    cleaned = text.strip()
    if not cleaned:
        return DeadlineReading(text="")
    try:
        parsed = parse_deadline(cleaned, year)
        occurrences = list(parsed.occurrences) or []
        if parsed.rrule:
            occurrences = expand_rrule(parsed.rrule, year)
    except PlanlogError as refused:
        return DeadlineReading(text=cleaned, error=refused.message)
    return DeadlineReading(
        text=cleaned,
        occurrences=[o.to_dict() for o in occurrences],
        rrule=parsed.rrule,
        soft=parsed.soft,
        note=parsed.note if parsed.ambiguous else None,
    )


def parse_dates(text: str) -> tuple[list[date], list[tuple[date, date]], int | None]:
    """Due dates and windows typed one a line (2026-06-30 or 2026-06-01~2026-08-31).

    Returns the dues, the windows and the number of the first line that does not read
    (None when all do), so the page can say which line is wrong."""
    dues: list[date] = []
    windows: list[tuple[date, date]] = []
    for number, raw in enumerate(text.replace("；", "\n").replace(";", "\n").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        parts = [p.strip() for p in line.replace("～", "~").replace("至", "~").split("~")]
        try:
            days = [date.fromisoformat(p) for p in parts]
        except ValueError:
            return dues, windows, number
        if len(days) == 1:
            dues.append(days[0])
        elif len(days) == 2 and days[0] <= days[1]:
            windows.append((days[0], days[1]))
        else:
            return dues, windows, number
    return dues, windows, None


# ------------------------------------------------------------------ home and ledger
