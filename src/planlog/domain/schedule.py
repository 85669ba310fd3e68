"""The schedule of a plan item: one or more occurrences, each due on a date.

Pure code. A recurrence is kept as an RFC 5545 RRULE and expanded with
python-dateutil inside the plan year, so a half-yearly report becomes two
occurrences that are done (or not) on their own.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from dateutil.rrule import rrulestr

from planlog.domain.errors import RuleViolation, ScheduleError
from planlog.domain.status import FINISHED, OPEN
from planlog.domain.values import InvalidValue, check_text_chars

#: Longest rule text, in characters (the API has always refused longer ones). Every
#: rule planlog writes itself is under 60.
RRULE_MAX = 300
#: Most occurrences one item may have in its plan year: one a day, in a leap year.
MAX_OCCURRENCES = 366
#: Largest INTERVAL: a longer step has at most one occurrence in the year anyway, and
#: INTERVAL=0 would make dateutil repeat its first date for ever.
INTERVAL_MAX = 366

#: A plan item is due on days; a finer frequency makes millions of occurrences a year.
_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_FINER_THAN_DAILY = ("HOURLY", "MINUTELY", "SECONDLY")
_TIME_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
#: Rule parts and the range of each number in their lists (RFC 5545 3.3.10); a value
#: outside its range can never match, and dateutil would search for it until year 9999.
_LIST_RANGES = {
    "BYMONTH": (1, 12, False),
    "BYMONTHDAY": (1, 31, True),
    "BYYEARDAY": (1, 366, True),
    "BYWEEKNO": (1, 53, True),
    "BYSETPOS": (1, 366, True),
}
_PARTS = ("FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY", *_LIST_RANGES)
_BYDAY = re.compile(r"([+-]?)(\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
_INTEGER = re.compile(r"[+-]?\d{1,3}")
_DAY = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2}))?")

#: dateutil stops an UNTIL-bounded rule only when it yields a date past UNTIL, and a
#: rule that yields nothing more (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30) only at year 9999:
#: 36 s of searching from 2026 (measured). So the plan year is expanded on a year just below 9999
#: that has exactly the same calendar (leap year and weekdays, for the year before and
#: after too), where that search ends within 30 years, and the dates are moved back.
_LAST_STAND_IN = 9998


@dataclass(frozen=True, order=True)
class Occurrence:
    """One due date of an item, with an optional opening date for a window (六月至八月),
    and how far the work for it got.

    The schedule (a parsed deadline, a reschedule) makes occurrences with only `due` and
    `opens`, and events store only those two (`to_dict`); the item folds its progress
    events into the other fields. One class for both, so the aggregate, the board and
    the item view all speak of the same thing. Frozen: `PlanItem`'s `apply` replaces an
    occurrence rather than changing it, so a value handed out is never changed behind
    its holder's back.
    """

    due: date
    opens: date | None = None
    status: str = OPEN  # the stored status: open / in_progress / done (cancelled on boards)
    percent: int = 0
    done_on: date | None = None
    note: str | None = None
    evidence: str | None = None

    def __post_init__(self) -> None:
        if self.opens is not None and self.opens > self.due:
            raise ScheduleError(
                f"window opens {self.opens.isoformat()} after it is due {self.due.isoformat()}"
            )

    @property
    def key(self) -> str:
        """Occurrences of one item are told apart by their due date."""
        return self.due.isoformat()

    @property
    def shown_percent(self) -> int:
        """Progress as shown and summed: a done (or submitted) occurrence counts as 100 %."""
        return 100 if self.status in FINISHED else self.percent

    def to_dict(self) -> dict[str, str | None]:
        """The scheduled part, as events store it: {"opens", "due"}; never the progress."""
        return {"opens": self.opens.isoformat() if self.opens else None, "due": self.key}

    @classmethod
    def from_dict(cls, data: dict[str, str | None]) -> Occurrence:
        due = data.get("due")
        if not due:
            raise ScheduleError("an occurrence needs a due date")
        opens = data.get("opens")
        return cls(due=date.fromisoformat(due), opens=date.fromisoformat(opens) if opens else None)


def overall_percent(occurrences: Collection[Occurrence]) -> int:
    """An item's progress: the mean of its occurrences', a done one counting as 100 %."""
    if not occurrences:
        return 0
    return round(sum(o.shown_percent for o in occurrences) / len(occurrences))


def _refused(problem: str, zh: str, en: str) -> ScheduleError:
    """A refused rule, worded like `planlog.domain.values.InvalidValue`."""
    return ScheduleError(f"重复规则{zh}（recurrence rule: {en}）", field="rrule", problem=problem)


def expand_rrule(rule: str, year: int, *, limit: int = MAX_OCCURRENCES) -> list[Occurrence]:
    """Expand an RRULE into the occurrences that fall inside the plan year.

    The rule starts on 1 January of the plan year unless it carries its own
    DTSTART (in the plan year or the year before). An unbounded rule is cut at
    31 December, so `FREQ=WEEKLY;BYDAY=FR` yields every Friday of the year.

    Refused, in milliseconds: frequencies finer than daily (and BYHOUR, BYMINUTE,
    BYSECOND), rules longer than RRULE_MAX characters, parts or values RFC 5545 does
    not allow, and rules with more than `limit` occurrences in the year (the expansion
    stops at the first one past the cap rather than making them all). A rule that
    passes the checks falls at most once a day, so the cap is the last line of defence.
    """
    if not 2 <= year <= _LAST_STAND_IN:
        raise _refused("year", f"的计划年度 {year} 无效", f"plan year {year} is out of range")
    dtstart_text, parts = _read(rule)
    start = _dtstart(dtstart_text, year)
    until = _until(parts.pop("UNTIL", None))
    stand_in = _stand_in_year(year)
    shift = stand_in - year

    def moved(moment: datetime) -> datetime:
        # Same month and day: the stand-in years have the same calendar, 29 February too.
        return moment.replace(year=moment.year + shift)

    first, last = datetime(year, 1, 1), datetime(year, 12, 31, 23, 59, 59)
    if until is not None:
        if until < start:
            raise _no_occurrence(rule, year)
        parts["UNTIL"] = moved(min(until, last)).strftime("%Y%m%dT%H%M%S")
    text = ";".join(f"{name}={value}" for name, value in parts.items())
    try:
        parsed = rrulestr(text, dtstart=moved(start), forceset=False)
    except (ValueError, TypeError, OverflowError) as exc:
        raise _refused("invalid", f"无效：{rule!r}", f"not a valid RRULE {rule!r}: {exc}") from None
    dues: list[date] = []
    # Compared on the stand-in year: only it and the years beside it share the calendar.
    stand_in_first, stand_in_last = moved(first), moved(last)
    for moment in _bounded(iter(parsed), rule):
        if moment > stand_in_last:
            break
        if moment < stand_in_first:
            continue  # DTSTART in the year before: counted for COUNT and INTERVAL only
        dues.append(moment.replace(year=year).date())
        if len(dues) > limit:
            raise _refused(
                "too_many",
                f" {rule!r} 在一年内超过 {limit} 次",
                f"{rule!r} has more than {limit} occurrences in {year}",
            )
    if not dues:
        raise _no_occurrence(rule, year)
    return [Occurrence(due=d) for d in dues]


def _no_occurrence(rule: str, year: int) -> ScheduleError:
    return _refused(
        "empty", f" {rule!r} 在 {year} 年没有日期", f"RRULE {rule!r} has no occurrence in {year}"
    )


def _bounded(moments: Iterator[datetime], rule: str) -> Iterator[datetime]:
    """dateutil's dates, with its late errors (a date past year 9999) as refusals."""
    while True:
        try:
            moment = next(moments)
        except StopIteration:
            return
        except (ValueError, OverflowError) as exc:
            raise _refused(
                "invalid", f"无效：{rule!r}", f"not a valid RRULE {rule!r}: {exc}"
            ) from None
        yield moment


def _read(rule: object) -> tuple[str | None, dict[str, str]]:
    """Split the rule text into its DTSTART value and its checked RRULE parts."""
    if not isinstance(rule, str):
        raise _refused("not_text", "应为文字", "must be text")
    text = rule.replace("\r\n", "\n").strip()
    if len(text) > RRULE_MAX:
        raise _refused(
            "too_long",
            f"过长：{len(text)} 个字符，最多 {RRULE_MAX} 个",
            f"is too long: {len(text)} characters, at most {RRULE_MAX}",
        )
    try:
        check_text_chars(text, "rrule")
    except InvalidValue as bad:
        raise ScheduleError(bad.message, field="rrule", problem=bad.problem) from None
    dtstart: str | None = None
    body: str | None = None
    for line in (line.strip() for line in text.split("\n")):
        upper = line.upper()
        if not line:
            continue
        if upper.startswith("DTSTART") and dtstart is None:
            dtstart = line
        elif upper.startswith("RRULE:") and body is None:
            body = line[len("RRULE:") :]
        elif ":" not in line and body is None:
            body = line
        else:
            raise _refused(
                "lines",
                f"只能有一行 RRULE 和至多一行 DTSTART：{line!r}",
                f"may have one RRULE line and at most one DTSTART line, not {line!r}",
            )
    if not body:
        raise _refused("required", "不能为空", "is required")
    return dtstart, _parts(body, rule)


def _parts(body: str, rule: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for pair in body.split(";"):
        if not pair.strip():
            continue  # "FREQ=DAILY;" is common and harmless
        name, sep, value = pair.partition("=")
        name, value = name.strip().upper(), value.strip().upper()
        if name in _TIME_PARTS:
            raise _finer_than_daily(rule, name)
        if not sep or name not in _PARTS:
            raise _refused(
                "invalid", f"无效：{rule!r} 中的 {pair!r}", f"not a valid RRULE part {pair!r}"
            )
        if name in parts:
            raise _refused("duplicate", f"重复了 {name}", f"names {name} twice")
        parts[name] = value
    freq = parts.get("FREQ")
    if freq in _FINER_THAN_DAILY:
        raise _finer_than_daily(rule, f"FREQ={freq}")
    if freq not in _FREQUENCIES:
        raise _refused(
            "invalid",
            f"无效：{rule!r}，FREQ 应为 {'/'.join(_FREQUENCIES)}",
            f"not a valid RRULE {rule!r}: FREQ must be one of {', '.join(_FREQUENCIES)}",
        )
    if "COUNT" in parts and "UNTIL" in parts:
        raise _refused("count_and_until", "不能同时有 COUNT 和 UNTIL", "has both COUNT and UNTIL")
    _check_number(parts, "INTERVAL", 1, INTERVAL_MAX, signed=False)
    _check_number(parts, "COUNT", 1, 10_000, signed=False)
    for name, (low, high, signed) in _LIST_RANGES.items():
        for value in parts.get(name, "").split(",") if name in parts else ():
            _check_value(name, value, low, high, signed)
    if "WKST" in parts and parts["WKST"] not in _WEEKDAYS:
        raise _bad_value("WKST", parts["WKST"])
    for value in parts["BYDAY"].split(",") if "BYDAY" in parts else ():
        match = _BYDAY.fullmatch(value)
        if match is None:
            raise _bad_value("BYDAY", value)
        if match.group(2) is not None:
            _check_value("BYDAY", match.group(1) + match.group(2), 1, 53, True)
    return parts


def _check_number(parts: dict[str, str], name: str, low: int, high: int, signed: bool) -> None:
    if name in parts:
        _check_value(name, parts[name], low, high, signed)


def _check_value(name: str, value: str, low: int, high: int, signed: bool) -> None:
    if _INTEGER.fullmatch(value) is None or (not signed and value[0] in "+-"):
        raise _bad_value(name, value)
    number = abs(int(value))
    if not low <= number <= high:
        bounds = f"±{low}…±{high}" if signed else f"{low}…{high}"
        raise _refused(
            "out_of_range",
            f"的 {name} 须在 {bounds} 之间，而不是 {value}",
            f"{name} must be within {bounds}, not {value}",
        )


def _bad_value(name: str, value: str) -> ScheduleError:
    return _refused("invalid", f"的 {name} 无效：{value!r}", f"{name} is not valid: {value!r}")


def _finer_than_daily(rule: str, part: str) -> ScheduleError:
    return _refused(
        "finer_than_daily",
        f"不能比每天更频繁（{part}）：计划事项按日期到期",
        f"may not repeat more often than daily ({part}): plan items fall due on days",
    )


def _dtstart(line: str | None, year: int) -> datetime:
    """The rule's own start, which must lie in the plan year or the year before it."""
    if line is None:
        return datetime(year, 1, 1)
    name, _, value = line.partition(":")
    if name.upper() not in ("DTSTART", "DTSTART;VALUE=DATE", "DTSTART;VALUE=DATE-TIME"):
        raise _refused(
            "dtstart",
            f"的 DTSTART 只能是本地日期或时间：{line!r}",
            f"DTSTART must be a local date or date-time (no TZID): {line!r}",
        )
    start = _moment(value.strip(), "DTSTART")
    if not year - 1 <= start.year <= year:
        raise _refused(
            "dtstart",
            f"的 DTSTART 须在 {year - 1} 或 {year} 年：{value}",
            f"DTSTART must be in {year - 1} or {year}, not {value}",
        )
    return start


def _until(value: str | None) -> datetime | None:
    return None if value is None else _moment(value, "UNTIL")


def _moment(value: str, name: str) -> datetime:
    match = _DAY.fullmatch(value.upper())
    if match is None:
        raise _refused(
            "invalid",
            f"的 {name} 应为 YYYYMMDD 或 YYYYMMDDTHHMMSS：{value!r}",
            f"{name} must be YYYYMMDD or YYYYMMDDTHHMMSS (local time), not {value!r}",
        )
    year, month, day, hour, minute, second = (int(g or 0) for g in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        raise _bad_value(name, value) from None


@lru_cache(maxsize=256)
def _stand_in_year(year: int) -> int:
    """The latest year up to _LAST_STAND_IN whose calendar, and that of the years on
    either side, is the plan year's: same length, and 1 January on the same weekday."""

    def shape(y: int) -> tuple[tuple[bool, int], ...]:
        return tuple((calendar.isleap(y + d), date(y + d, 1, 1).weekday()) for d in (-1, 0, 1))

    wanted = shape(year)
    # 9901–9999 follow the four-year rule, so every shape recurs within 28 years.
    for candidate in range(_LAST_STAND_IN, _LAST_STAND_IN - 3 * 28, -1):
        if shape(candidate) == wanted:
            return candidate
    raise AssertionError(f"no stand-in year for {year}")  # pragma: no cover


def normalise(occurrences: list[Occurrence]) -> list[Occurrence]:
    """Sort occurrences by due date and refuse two with the same due date."""
    ordered = sorted(occurrences, key=lambda o: o.due)
    seen: set[date] = set()
    for occ in ordered:
        if occ.due in seen:
            raise ScheduleError(f"two occurrences are due on {occ.key}")
        seen.add(occ.due)
    return ordered


def last_due_day(year: int) -> date:
    """The last day an item of the plan of `year` may fall due: 31 March of the next year.
    An annual report or a year-end review falls due after the plan year; a later date
    belongs to the next year's plan."""
    return date(year + 1, 3, 31)


def check_in_plan_year(
    occurrences: Collection[Occurrence], year: int, *, where: object, title: str
) -> None:
    """An item of a plan falls due within the plan's year, or in the first quarter after
    it (a year-end report): the one rule for a new item, a new schedule and a moved
    occurrence alike."""
    last = last_due_day(year)
    for occ in occurrences:
        if not date(year, 1, 1) <= occ.due <= last:
            raise RuleViolation(
                where,
                "due_in_plan_year",
                f"'{title}': due date {occ.key} is outside the plan year {year} "
                f"(and its following first quarter, to {last.isoformat()})",
            )
