"""The grammar of 时限 (deadline) text in annual work plans.

`parse_deadline("4月底前完成", 2026)` reads the text into occurrences inside the
plan year. The text is first normalised (normalise.py); then, in order:

1. a recurrence (每月, 每半年一次, 每周五下午) becomes an RRULE, expanded in the year;
2. a list (6月;12月, 3、11月, 1、4季度) becomes one reading per item;
3. each item is a range (六月至八月, 1-12月) or a single term with a suffix
   (3月底前, 三季度前, 春节前, 上半年);
4. if the whole text is not a deadline, it is read as a sentence and every
   deadline phrase in it is taken (此项工作在3月底前完成).

Conventions are those of the product spec: a month, quarter or half year alone
is a window due on its last day; `X底前`/`X内` is due on X's last day; `X前` is
due before X starts when X is a period (and flagged ambiguous), on X when X is a
day, and the day before X when X is a festival.
"""

from __future__ import annotations

import calendar
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from planlog.deadlines.festivals import ALIAS_PATTERN, BY_ALIAS, NEW_YEAR, Festival
from planlog.deadlines.normalise import SOFT_WORDS, normalise
from planlog.domain.errors import PlanlogError, ScheduleError
from planlog.domain.schedule import Occurrence, expand_rrule, last_due_day
from planlog.domain.workdays import official_workday


class DeadlineError(PlanlogError):
    """Deadline text that cannot be read; the message names the text and what failed."""

    code = "invalid_deadline"


@dataclass(frozen=True)
class ParsedDeadline:
    text: str
    occurrences: tuple[Occurrence, ...]
    rrule: str | None
    soft: bool
    ambiguous: bool
    note: str | None = None
    # What a reader should check (FLAGS): soft, ambiguous, next_year, ongoing.
    flags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "occurrences": [occ.to_dict() for occ in self.occurrences],
            "rrule": self.rrule,
            "soft": self.soft,
            "ambiguous": self.ambiguous,
            "note": self.note,
            "flags": list(self.flags),
        }


#: Flags in the order they are reported. soft: a target (力争) or a window around a day
#: (国庆节前后); ambiguous: read the stricter way, see the note; next_year: due after the
#: plan year (次年2月底前), at the latest by the end of the next year's first quarter;
#: ongoing: open all year (长期坚持, 常态化), due 31 December.
FLAGS = ("soft", "ambiguous", "next_year", "ongoing")


def next_year_limit(year: int) -> date:
    """The last due date a plan of `year` may name in the following year: the domain's
    own rule (planlog.domain.schedule.last_due_day), so what is read can be recorded."""
    return last_due_day(year)


class _NoMatch(Exception):
    """The grammar does not recognise this (sub)string; in a sentence, keep looking."""


class _Refusal(Exception):
    """Recognised, but wrong (another year, 13月, a range that runs backwards): stop.

    The reason is given in Chinese and in English: a chair reads the first, a log the second.
    """

    def __init__(self, zh: str, en: str, **details: Any) -> None:
        super().__init__(en)
        self.zh = zh
        self.reason = en
        self.details = details


@dataclass
class _Reading:
    occurrences: list[Occurrence]
    rrule: str | None = None
    notes: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    # A festival name with neither 节 nor 前 (三八, 五一): inside a sentence it is more
    # often part of a name (三八红旗手, 五一劳动竞赛) than a deadline.
    bare_festival: bool = False


@dataclass(frozen=True)
class _Span:
    """The days a term covers, before its suffix says what is due."""

    start: date
    end: date
    kind: str  # day | xun | month | quarter | half | year | year_end | festival
    label: str
    festival: Festival | None = None
    bare: bool = False
    next_year: bool = False  # read in the year after the plan year (次年2月)


def parse_deadline(text: str, year: int, *, sentence: bool = True) -> ParsedDeadline:
    """Read deadline text of an annual plan for `year`; raise DeadlineError if unreadable.

    With `sentence=False` the whole text must be one deadline phrase (a list, a range or a
    recurrence): the importer looks for phrases in running text itself."""
    if not isinstance(text, str) or not text.strip():
        raise DeadlineError(_message(text, "时限为空", "it is empty"), text=text)
    if not 1900 <= year <= 2099:
        raise DeadlineError(
            _message(
                text, f"计划年度{year}不在1900-2099之间", f"plan year {year} is outside 1900-2099"
            ),
            text=text,
            year=year,
        )
    cleaned = normalise(text, year)
    soft = SOFT_WORDS.search(cleaned) is not None
    cleaned = SOFT_WORDS.sub("", cleaned)
    try:
        try:
            reading = _read_phrase(_strip_filler(cleaned), year)
        except _NoMatch:
            if not sentence:
                raise
            reading = _read_sentence(cleaned, year)
    except _Refusal as exc:
        raise DeadlineError(_message(text, exc.zh, exc.reason), text=text, **exc.details) from None
    except _NoMatch:
        zh, en = _why_unreadable(cleaned)
        raise DeadlineError(_message(text, zh, en), text=text) from None
    soft = soft or "soft" in reading.flags
    ambiguous = bool(reading.notes)
    on = reading.flags | {
        name for name, is_on in (("soft", soft), ("ambiguous", ambiguous)) if is_on
    }
    return ParsedDeadline(
        text=text,
        occurrences=tuple(reading.occurrences),
        rrule=reading.rrule,
        soft=soft,
        ambiguous=ambiguous,
        note="; ".join(reading.notes) if reading.notes else None,
        flags=tuple(flag for flag in FLAGS if flag in on),
    )


def _message(text: object, zh: str, en: str) -> str:
    """Chinese first with English, naming the text as written."""
    return f"无法识别时限 {text!r}：{zh}（cannot read deadline {text!r}: {en}）"


# 下一年度 arrives as 下1年度: the normaliser turns 一 before 年 into a digit.
_NEXT_YEAR = re.compile(r"明年|次年|翌年|来年|下[1一]?个?年度?")
_OTHER_YEAR = re.compile(r"明年|次年|翌年|来年|下[1一]?个?年度?|去年|上[1一]?个?年度?|前年|后年")
_VAGUE = re.compile(r"尽快|随时|及时|立即|马上|长期|经常|适时|视情况|另行|待定")
# Work that goes on all year: open from 1 January, due 31 December, flagged ongoing.
# 长期 alone is not here: "long-term" may reach beyond the plan year.
_ONGOING = re.compile(
    r"(?:全年|常年)?(?:长期坚持|坚持长期|经常性|常态化|常年|全年度?|贯穿全年|持续|日常|平时)"
    r"(?:坚持|开展|进行|推进|抓|性)?"
)


def _why_unreadable(cleaned: str) -> tuple[str, str]:
    if match := _OTHER_YEAR.search(cleaned):
        word = match.group(0)
        return f"{word}不在计划年度内", f"{word} is outside the plan year"
    if match := _VAGUE.search(cleaned):
        word = match.group(0)
        return f"“{word}”没有指明日期", f"{word} names no date"
    return (
        "没有找到日期、月份、季度、节日或周期",
        "no date, month, quarter, festival or recurrence found",
    )


# Words around a deadline that do not change it: 在3月底前完成, 截至6月.
_LEADING_FILLER = re.compile(r"^(?:须|要|应|必须|务必|最迟|最晚)?(?:在|于|截至|截止到?|到)?")
_TRAILING_FILLER = re.compile(r"(?:完成|结束|办结|为止|止)$")


def _strip_filler(s: str) -> str:
    return _TRAILING_FILLER.sub("", _LEADING_FILLER.sub("", s))


# ---------------------------------------------------------------------------
# Sentences
# ---------------------------------------------------------------------------

_LONGEST_PHRASE = 30
# Words right after a phrase that change what it means (3月中, 5月左右, 年底前后, 3月起);
# reading the phrase without them would be a silent guess.
# 每半年第一个月: a recurrence narrowed by an ordinal the grammar did not read as a whole.
_QUALIFIER = re.compile(r"\d|中|左右|前后|期间|以后|之后|后|起|开始|以来|第|首月|末月|最后")


def _read_sentence(s: str, year: int) -> _Reading:
    """Take every deadline phrase out of a sentence, left to right, longest first."""
    found: list[_Reading] = []
    bare_festival_end = -1
    i = 0
    while i < len(s):
        # A phrase never starts inside a number (the 5 of 15日).
        phrase = None if i > 0 and s[i - 1].isdigit() else _longest_phrase_at(s, i, year)
        if phrase is None:
            i += 1
            continue
        reading, j = phrase
        if reading.bare_festival:
            bare_festival_end = j
        elif i == bare_festival_end:
            # 元旦春节前: is the first festival's deadline the day before it, or 春节前?
            raise _Refusal(
                f"{s[i:j]}之前连写了两个节日，请每个时限只写一个节日",
                f"festivals run together before {s[i:j]}; name one per deadline",
            )
        elif qualifier := _QUALIFIER.match(s, j):
            raise _Refusal(
                f"{s[i:j]}后面的“{qualifier.group(0)}”无法确定日期",
                f"{s[i:j]} is qualified by {qualifier.group(0)}, which is not read",
            )
        else:
            found.append(reading)
        i = j
    if not found:
        raise _NoMatch()
    return _combine(found)


def _longest_phrase_at(s: str, i: int, year: int) -> tuple[_Reading, int] | None:
    for j in range(min(len(s), i + _LONGEST_PHRASE), i, -1):
        try:
            return _read_phrase(s[i:j], year), j
        except _NoMatch:
            continue
    return None


# ---------------------------------------------------------------------------
# Phrases: a recurrence, or a list of items
# ---------------------------------------------------------------------------

_COMPACT_LIST = re.compile(
    r"(?P<nums>\d{1,2}(?:(?:、|,|和|及)\d{1,2})+)(?P<unit>月份?|季度?|[日号])"
    r"(?P<suffix>底前|末前|底|末|内|前)?"
)
_LIST_SEPARATOR = re.compile(r"以及|;|,|、|和|及|与")
_RANGE_SEPARATOR = re.compile(r"-|至|到")


def _expand_compact(match: re.Match[str]) -> str:
    unit, suffix = match.group("unit"), match.group("suffix") or ""
    nums = re.split(r"、|,|和|及", match.group("nums"))
    return ";".join(f"{n}{unit}{suffix}" for n in nums)


def _read_phrase(s: str, year: int) -> _Reading:
    if not s:
        raise _NoMatch()
    if _ONGOING.fullmatch(s):
        return _ongoing(year)
    recurrence = _read_recurrence(s, year)
    if recurrence is not None:
        return recurrence
    s = _COMPACT_LIST.sub(_expand_compact, s).replace("上、下半年", "上半年;下半年")
    readings: list[_Reading] = []
    month: str | None = None
    for item in _LIST_SEPARATOR.split(s):
        if not item:
            raise _NoMatch()
        # 3月1日、15日: a bare day belongs to the month named before it.
        if month and re.match(r"\d{1,2}[日号]", item):
            item = f"{month}月{item}"
        readings.append(_read_item(item, year))
        if named := re.findall(r"(\d{1,2})月", item):
            month = named[-1]
    return _combine(readings)


def _combine(readings: list[_Reading]) -> _Reading:
    if len(readings) == 1:
        return readings[0]
    if any(r.rrule for r in readings):
        raise _Refusal(
            "周期性时限不能与其他日期并列", "a recurrence cannot be combined with other dates"
        )
    # Sorted by due alone: domain.schedule.normalise compares whole Occurrences, which
    # raises TypeError when two share a due date and only one has an opening.
    ordered = sorted((occ for r in readings for occ in r.occurrences), key=lambda o: o.due)
    for earlier, later in itertools.pairwise(ordered):
        if earlier.due == later.due:
            raise _Refusal(f"有两次都在{later.key}截止", f"two occurrences are due on {later.key}")
    return _Reading(
        occurrences=ordered,
        notes=[note for r in readings for note in r.notes],
        flags=set().union(*(r.flags for r in readings)),
        bare_festival=all(r.bare_festival for r in readings),
    )


def _ongoing(year: int) -> _Reading:
    return _Reading([Occurrence(due=date(year, 12, 31), opens=date(year, 1, 1))], flags={"ongoing"})


def _within_next_year_limit(reading: _Reading, text: str, year: int) -> _Reading:
    """A next-year reading is kept only up to the end of the next year's first quarter."""
    limit = next_year_limit(year)
    for occ in reading.occurrences:
        if occ.due > limit:
            raise _Refusal(
                f"{text}在{occ.key}截止，晚于次年一季度末（{limit.isoformat()}），"
                f"不属于{year}年的计划",
                f"{text} falls due on {occ.key}, after the end of the next year's first "
                f"quarter ({limit.isoformat()}); it is outside the plan year {year}",
                year=year,
                found=occ.due.year,
            )
    reading.flags.add("next_year")
    return reading


def _read_item(item: str, year: int) -> _Reading:
    parts = _RANGE_SEPARATOR.split(item)
    if len(parts) == 1:
        span, suffix = _read_term(item, year)
        if not span.next_year:
            return _apply_suffix(span, suffix, item, year)
        return _within_next_year_limit(_apply_suffix(span, suffix, item, year + 1), item, year)
    if len(parts) == 2:
        return _read_range(parts[0], parts[1], year)
    raise _NoMatch()


_BARE_NUMBER_END = re.compile(r"\d{1,2}$")
_LEADING_UNIT = re.compile(r"\d{1,2}(月份?|季度?|[日号])")


def _read_range(left: str, right: str, year: int) -> _Reading:
    """六月至八月, 1-12月, 3月1日至15日: one window, from the first start to the last end."""
    if not left or not right:
        raise _NoMatch()
    unit = _LEADING_UNIT.match(right)
    # 3-5月: the unit written once after the range applies to both ends.
    if unit and _BARE_NUMBER_END.search(left):
        left += unit.group(1)
    # 3月1日-15日: the right end is in the left end's month.
    month = re.search(r"(\d{1,2})月", left)
    if month and re.match(r"\d{1,2}[日号]", right):
        right = f"{month.group(1)}月{right}"
    first, first_suffix = _read_term(left, year)
    last, last_suffix = _read_term(right, year)
    if first.next_year and not last.next_year:
        # 次年1月至2月: the right end is in the left end's year.
        last, last_suffix = _read_term_in_year(right, year + 1)
        last = replace(last, next_year=True)
    if first_suffix is not None or (last_suffix is not None and last_suffix not in _END):
        raise _NoMatch()
    if first.start > last.start:
        raise _Refusal(f"起止{left}-{right}前后颠倒", f"the range {left}-{right} runs backwards")
    reading = _Reading([Occurrence(due=last.end, opens=first.start)])
    if last.next_year:
        return _within_next_year_limit(reading, f"{left}-{right}", year)
    return reading


# ---------------------------------------------------------------------------
# Terms: one day, month, quarter, half year, year or festival
# ---------------------------------------------------------------------------

_SUFFIX = r"(?P<suffix>底前|末前|底|末|终|结束前|结束|以内|之内|内|前夕|前后|前|当天|当日)?"
_END = frozenset({"底前", "末前", "底", "末", "终", "结束前", "结束", "以内", "之内", "内"})
_EXPLICIT_YEAR = re.compile(r"(\d{4})(?=年)")

_XUN_DAYS = {
    "上旬": (1, 10),
    "初": (1, 10),
    "中旬": (11, 20),
    "下旬": (21, 31),
    "上中旬": (1, 20),
    "中下旬": (11, 31),
}

_MONTH_NAMES = (
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _month(value: str) -> int:
    month = int(value)
    if not 1 <= month <= 12:
        raise _Refusal(f"没有{month}月", f"there is no month {month}")
    return month


def _day_term(m: re.Match[str], year: int) -> _Span:
    month, day = _month(m.group("m")), int(m.group("d"))
    try:
        due = date(year, month, day)
    except ValueError:
        raise _Refusal(
            f"{year}年没有{month}月{day}日", f"{year} has no day {month}月{day}日"
        ) from None
    return _Span(due, due, "day", due.isoformat())


def _xun_term(m: re.Match[str], year: int) -> _Span:
    month = _month(m.group("m"))
    first, last = _XUN_DAYS[m.group("xun")]
    end = min(last, _last_day(year, month).day)
    return _Span(date(year, month, first), date(year, month, end), "xun", m.group(0))


def _month_term(m: re.Match[str], year: int) -> _Span:
    month = _month(m.group("m"))
    return _Span(date(year, month, 1), _last_day(year, month), "month", _MONTH_NAMES[month])


def _quarter_term(m: re.Match[str], year: int) -> _Span:
    quarter = int(m.group("q"))
    if not 1 <= quarter <= 4:
        raise _Refusal(f"没有第{quarter}季度", f"there is no quarter {quarter}")
    first = 3 * quarter - 2
    return _Span(date(year, first, 1), _last_day(year, first + 2), "quarter", f"Q{quarter}")


def _half_term(m: re.Match[str], year: int) -> _Span:
    if m.group("h") == "上":
        return _Span(date(year, 1, 1), date(year, 6, 30), "half", "the first half-year")
    return _Span(date(year, 7, 1), date(year, 12, 31), "half", "the second half-year")


def _whole_year_term(m: re.Match[str], year: int) -> _Span:
    return _Span(date(year, 1, 1), date(year, 12, 31), "year", str(year))


def _year_end_term(m: re.Match[str], year: int) -> _Span:
    return _Span(date(year, 1, 1), date(year, 12, 31), "year_end", str(year))


def _festival_term(m: re.Match[str], year: int) -> _Span:
    alias = m.group("fest")
    festival = BY_ALIAS[alias]
    try:
        day = festival.on(year)
    except ValueError:
        raise _Refusal(
            f"无法推算{year}年的{alias}", f"cannot compute {festival.name} in {year}"
        ) from None
    if m.group("fm") is not None:
        written = (int(m.group("fm")), int(m.group("fd")))
        if not festival.written_as(*written, year):
            raise _Refusal(
                f"{written[0]}.{written[1]}不是{alias}的日期（{day.isoformat()}）",
                f"{written[0]}.{written[1]} is not the date of {alias} ({day.isoformat()})",
            )
    bare = m.group("jie") is None and m.group("suffix") is None and not alias.endswith("节")
    return _Span(day, day, "festival", festival.name, festival=festival, bare=bare)


_TermBuilder = Callable[[re.Match[str], int], _Span]

_TERMS: tuple[tuple[re.Pattern[str], _TermBuilder], ...] = tuple(
    (re.compile(pattern + _SUFFIX), builder)
    for pattern, builder in (
        (r"(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]", _day_term),
        (r"(?P<m>\d{1,2})月份?(?P<xun>上中旬|中下旬|上旬|中旬|下旬|初)", _xun_term),
        (r"(?P<m>\d{1,2})月份?", _month_term),
        (r"(?P<q>\d)季度?", _quarter_term),
        (r"(?P<h>[上下])半年", _half_term),
        (r"全年度?|常年", _whole_year_term),
        (r"年度?", _year_end_term),
        (
            rf"(?:(?P<fm>\d{{1,2}})\.(?P<fd>\d{{1,2}}))?(?P<fest>{ALIAS_PATTERN})(?P<jie>节)?",
            _festival_term,
        ),
    )
)


def _read_term(s: str, year: int) -> tuple[_Span, str | None]:
    """A single term and its suffix (底前, 前, 内…), with an optional explicit year."""
    if explicit := _EXPLICIT_YEAR.match(s):
        written = int(explicit.group(1))
        rest = s[explicit.end() :]
        try:
            # 2026年底 shares its 年; 2026年3月 does not.
            span, suffix = _read_term_in_year(rest, year)
        except _NoMatch:
            span, suffix = _read_term_in_year(rest[1:], year)
        if written == year + 1:
            return _read_next_year(rest, year)
        if written != year:
            raise _Refusal(
                f"它在{written}年，不在计划年度{year}年内",
                f"it is in {written}, not in the plan year {year}",
                year=year,
                found=written,
            )
        return span, suffix
    if following := _NEXT_YEAR.match(s):
        return _read_next_year(s[following.end() :], year)
    if other := _OTHER_YEAR.match(s):
        rest = s[other.end() :]
        try:
            _read_term_in_year(rest, year)
        except _NoMatch:
            # 去年底 shares its 年 with 年底.
            _read_term_in_year("年" + rest, year)
        word = other.group(0)
        raise _Refusal(
            f"{word}不在计划年度{year}年内", f"{word} is outside the plan year {year}", year=year
        )
    return _read_term_in_year(s, year)


def _read_next_year(rest: str, year: int) -> tuple[_Span, str | None]:
    """次年2月底前, 翌年1月, 2027年1季度: the term read in the year after the plan year."""
    try:
        span, suffix = _read_term_in_year(rest, year + 1)
    except _NoMatch:
        # 次年底 and 2027年底 share their 年 with 年底; 2027年3月 does not.
        span, suffix = _read_term_in_year(
            rest[1:] if rest.startswith("年") else "年" + rest, year + 1
        )
    if span.kind == "year":
        raise _NoMatch()
    return replace(span, next_year=True), suffix


def _read_term_in_year(s: str, year: int) -> tuple[_Span, str | None]:
    for pattern, builder in _TERMS:
        if m := pattern.fullmatch(s):
            span, suffix = builder(m, year), m.group("suffix")
            if span.kind == "year_end" and suffix is None:
                # 年 alone (the 年 of 2026年) is no deadline; 年底, 年内 are.
                raise _NoMatch()
            return span, suffix
    raise _NoMatch()


def _apply_suffix(span: _Span, suffix: str | None, text: str, year: int) -> _Reading:
    if span.kind in ("day", "festival"):
        return _apply_to_day(span, suffix, year)
    if span.kind == "year" and suffix in (None, "内", "以内", "之内"):
        return _ongoing(year)
    if suffix is None:
        return _Reading([Occurrence(due=span.end, opens=span.start)])
    if suffix == "前后":
        raise _Refusal(
            f"{text}的“前后”只对某一天或节日可读，对一段时间无法确定",
            f"{text} is qualified by 前后, which is read only around a day or a festival",
        )
    if suffix in _END:
        return _Reading([Occurrence(due=span.end)])
    if suffix != "前":
        raise _NoMatch()
    if span.kind == "year_end":
        raise _Refusal(
            "“年前”可能指年底前，也可能指春节前",
            "年前 may mean before year end or before the Spring Festival",
        )
    # 3月上旬前 means by the 10th: a 旬 is too short for "before it starts" to be meant.
    if span.kind == "xun" or span.start == date(year, 1, 1):
        # 1月前, 一季度前: "before it starts" would fall outside the plan year.
        return _Reading([Occurrence(due=span.end)])
    before = span.start - timedelta(days=1)
    note = (
        f"{text} read as before {span.label} starts (due {before.isoformat()}), "
        f"the stricter reading; it may mean by the end of {span.label} ({span.end.isoformat()})"
    )
    return _Reading([Occurrence(due=before)], notes=[note])


# 国庆节前后: the week either side of the day.
_AROUND = timedelta(days=7)


def _apply_to_day(span: _Span, suffix: str | None, year: int) -> _Reading:
    due = span.start
    if suffix == "前后":
        opens, due = due - _AROUND, due + _AROUND
        if opens.year != year or due.year != year:
            name = span.festival.aliases[0] if span.festival else span.label
            raise _Refusal(
                f"{name}前后跨越了{year}年的年界",
                f"the week either side of {span.label} crosses the end of {year}",
            )
        return _Reading([Occurrence(due=due, opens=opens)], flags={"soft"})
    if suffix in ("前", "前夕") and span.festival is not None:
        # In an annual plan 元旦前 is the coming New Year's Eve, the end of the plan year.
        due = date(year, 12, 31) if span.festival is NEW_YEAR else due - timedelta(days=1)
    elif suffix not in (None, "前", "当天", "当日"):
        raise _NoMatch()
    return _Reading([Occurrence(due=due)], bare_festival=span.bare)


# ---------------------------------------------------------------------------
# Recurrences
# ---------------------------------------------------------------------------

_WEEKDAYS = {
    "一": "MO",
    "二": "TU",
    "三": "WE",
    "四": "TH",
    "五": "FR",
    "六": "SA",
    "日": "SU",
    "天": "SU",
    "1": "MO",
    "2": "TU",
    "3": "WE",
    "4": "TH",
    "5": "FR",
    "6": "SA",
    "7": "SU",
}
_XUN_RULE_DAY = {"上旬": 10, "中旬": 20, "下旬": -1}
_ONCE = re.compile(r"(?:各)?(?:一|1)次$")


def _every_n_months(n: int) -> str:
    if n == 1:
        return "FREQ=MONTHLY;BYMONTHDAY=-1"
    if 12 % n:
        raise _Refusal(
            f"每{n}个月不能整分一年", f"every {n} months does not divide the year evenly"
        )
    # Explicit months read better than INTERVAL, which counts from 1 January.
    months = ",".join(str(m) for m in range(n, 13, n))
    return f"FREQ=YEARLY;BYMONTH={months};BYMONTHDAY=-1"


def _monthly_on(m: re.Match[str]) -> str:
    day = int(m.group("d"))
    if not 1 <= day <= 28:
        # RFC 5545 skips months without that day; 每月底 says month end plainly.
        raise _Refusal(
            f"有的月份没有{day}日，月底请写“每月底”",
            f"day {day} is missing from some months; write 每月底 for month end",
        )
    return f"FREQ=MONTHLY;BYMONTHDAY={day}"


def _weekly(m: re.Match[str]) -> str:
    interval = int(m.group("n") or 1)
    if interval < 1:
        raise _Refusal("每0周无意义", "every 0 weeks")
    # Without a weekday, a week's work is due at the end of the working week.
    day = _WEEKDAYS[m.group("wd")] if m.group("wd") else "FR"
    if interval == 1:
        return f"FREQ=WEEKLY;BYDAY={day}"
    return f"FREQ=WEEKLY;INTERVAL={interval};BYDAY={day}"


_END_OPT = r"(?:底|末)?(?:前)?"
_RECURRENCES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = tuple(
    (re.compile(pattern), rule)
    for pattern, rule in (
        (r"(?:每|按)个?月" + _END_OPT, lambda m: _every_n_months(1)),
        (r"每个?月(?P<d>\d{1,2})[日号](?:前)?", _monthly_on),
        (
            r"每个?月(?P<x>上旬|中旬|下旬)(?:末|前)?",
            lambda m: f"FREQ=MONTHLY;BYMONTHDAY={_XUN_RULE_DAY[m.group('x')]}",
        ),
        (r"每(?P<n>\d{1,2})个?月" + _END_OPT, lambda m: _every_n_months(int(m.group("n")))),
        (r"(?:每|按)个?季度?" + _END_OPT, lambda m: _every_n_months(3)),
        (
            r"每个?季度?中间月份?",
            lambda m: "FREQ=YEARLY;BYMONTH=2,5,8,11;BYMONTHDAY=-1",
        ),
        (r"(?:每|按)半年" + _END_OPT, lambda m: _every_n_months(6)),
        (r"(?:每|按)年度?" + _END_OPT, lambda m: "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31"),
        (
            r"(?:每|按)(?P<n>\d{1,2})?个?(?:周|星期|礼拜)(?:周|星期)?"
            r"(?P<wd>[一二三四五六日天1-7])?(?:上午|下午|晚上)?(?:前)?",
            _weekly,
        ),
        (r"每个?工作日", lambda m: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
        (r"每(?:天|日)", lambda m: "FREQ=DAILY"),
    )
)


def _quarter_month(m: re.Match[str]) -> str:
    """每季度第一个月15日前: the nth month of every quarter, on a day or at its end."""
    if m.group("first"):
        n = 1
    elif m.group("last"):
        n = 3
    else:
        n = int(m.group("n"))
        if not 1 <= n <= 3:
            raise _Refusal(f"一个季度没有第{n}个月", f"a quarter has no month {n}")
    months = ",".join(str(n + 3 * q) for q in range(4))
    if m.group("d"):
        day = int(m.group("d"))
        if not 1 <= day <= 28:
            raise _Refusal(
                f"有的月份没有{day}日，月底请写“底”",
                f"day {day} is missing from some months; write 底 for month end",
            )
        return f"FREQ=YEARLY;BYMONTH={months};BYMONTHDAY={day}"
    if m.group("x"):
        return f"FREQ=YEARLY;BYMONTH={months};BYMONTHDAY={_XUN_RULE_DAY[m.group('x')]}"
    return f"FREQ=YEARLY;BYMONTH={months};BYMONTHDAY=-1"


def _monthly_days(m: re.Match[str]) -> str:
    days = [int(d) for d in re.findall(r"\d{1,2}", m.group("ds"))]
    for day in days:
        if not 1 <= day <= 28:
            raise _Refusal(
                f"有的月份没有{day}日，月底请写“每月底”",
                f"day {day} is missing from some months; write 每月底 for month end",
            )
    if len(set(days)) != len(days):
        raise _Refusal("同一天写了两次", "the same day is listed twice")
    return f"FREQ=MONTHLY;BYMONTHDAY={','.join(str(d) for d in sorted(days))}"


_QUARTER_MONTH = re.compile(
    r"每个?季度?(?:的)?(?:第(?P<n>\d)个?月份?|(?P<first>首月|首个月)|(?P<last>末月|最后1个月))"
    r"(?:(?P<d>\d{1,2})[日号]|(?P<x>上旬|中旬|下旬)|底|末)?(?:前)?"
)
_MONTHLY_DAYS = re.compile(
    r"每个?月(?:的)?(?P<ds>\d{1,2}[日号]?(?:(?:、|,|和|及)\d{1,2}[日号]?)+)前?"
)
_CN_ORDINALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
_WORKDAY = re.compile(
    r"每个?(?P<unit>月|季度?)(?:的)?"
    r"(?:第(?P<n>[1-5一二三四五])个?|(?P<last>最后(?:一|1)?个?))工作日(?:前)?"
)
_EVERY_YEAR = re.compile(r"(?:每|按)年度?(?:的)?")


def _workdays(m: re.Match[str], year: int) -> _Reading:
    """每月第一个工作日, 每季度最后一个工作日: working days of the official calendar."""
    n = 0 if m.group("last") else _CN_ORDINALS.get(m.group("n")) or int(m.group("n"))
    step = 1 if m.group("unit") == "月" else 3
    occurrences, guessed = [], False
    for first_month in range(1, 13, step):
        start = date(year, first_month, 1)
        end = _last_day(year, first_month + step - 1)
        days = []
        day = start
        while day <= end:
            official = official_workday(day)
            if official is None:
                guessed, official = True, day.weekday() < 5
            if official:
                days.append(day)
            day += timedelta(days=1)
        if len(days) < max(n, 1):
            raise _Refusal(
                f"{start.isoformat()}所在的月份没有第{n}个工作日",
                f"the month of {start.isoformat()} has no working day number {n}",
            )
        occurrences.append(Occurrence(due=days[n - 1] if n else days[-1]))
    notes = []
    if guessed:
        notes.append(
            f"there is no official holiday schedule for {year} yet: working days are "
            "counted Monday to Friday"
        )
    return _Reading(occurrences, notes=notes)


def _read_recurrence(s: str, year: int) -> _Reading | None:
    if re.fullmatch(r"半年(?:一|1)次", s):
        s = "每半年"
    if not s.startswith(("每", "按")):
        return None
    s = _ONCE.sub("", s)
    if m := _WORKDAY.fullmatch(s):
        return _workdays(m, year)
    for pattern, rule_of in (
        (_QUARTER_MONTH, _quarter_month),
        (_MONTHLY_DAYS, _monthly_days),
        *_RECURRENCES,
    ):
        if m := pattern.fullmatch(s):
            rule = rule_of(m)
            try:
                occurrences = expand_rrule(rule, year)
            except ScheduleError as exc:
                raise _Refusal(exc.message, exc.message) from None
            return _Reading(occurrences, rrule=rule)
    if (every := _EVERY_YEAR.match(s)) and every.end() < len(s):
        # 每年4月和10月, 每年6月、12月, 每年春节前: the dates of one year, named for each.
        rest = s[every.end() :]
        if rest.startswith(("每", "按", "底", "末", "前", "终", "年")):
            return None
        reading = _read_phrase(rest, year)
        if reading.rrule or "next_year" in reading.flags:
            raise _Refusal(
                f"“每年”之后的{rest}不是一年中的日期",
                f"{rest} after 每年 is not a date of the year",
            )
        return reading
    return None
