"""Deadlines written in a task's own sentences, where real plans put them.

A plan rarely labels its dates: a step starts with its month or window (四月份举办…,
七月至九月，各单位可…), a clause ends with one (…，三季度全部完成; …，10月底前完成验收),
one task has two stages (一季度完成摸底，三季度完成整改), a festival anchors the work
(“八一”前夕…, 元宵节前…). A date is taken only where a deadline stands:

- at the start of a clause (after 力争, 计划, 拟于, 从…), or
- anywhere, when it ends in a deadline word (前, 底, 内, 前夕) or a completing verb
  follows it (完成, 验收, 召开…), or
- as a recurrence the task repeats on (每季度召开一次).

Everything the grammar (`planlog.deadlines`) cannot read right is left out, and so is
what only looks like a date: a page's publication time (2012-03-05 10:21), an award's
name (五一劳动奖章), a document number (〔2026〕3号), a bare festival name (三八红旗手),
a past year (2025年完成…, refused by the grammar), a date qualified by 以来, 起, 中….
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache

from planlog.deadlines import FLAGS, DeadlineError, ParsedDeadline, parse_deadline
from planlog.deadlines.festivals import BY_ALIAS
from planlog.domain.schedule import Occurrence
from planlog.importer.normalize import fold
from planlog.importer.phrases import deadline_phrases

# Blanked out before anything is read (same length, so offsets stay valid).
_NOT_DEADLINES = (
    # A page's publication time: 2012-03-05 10:21, 2012年3月5日 10:21
    re.compile(r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?\s*\d{1,2}:\d{2}(?::\d{2})?"),
    # A page's own dates: 发布时间：2026-03-05, 更新日期:2026年3月5日
    re.compile(r"(?:发布|更新|发表|上传|录入|印发)(?:时间|日期|于)?\s*:?\s*[\d年月日./\-\s:]+"),
    # A document number: 〔2026〕3号, [2026]12号, (2026)3号, 工发〔2026〕3号
    re.compile(r"[〔\[［【(]\s*(?:19|20)\d{2}\s*[〕\]］】)]\s*(?:第\s*)?\d+\s*号"),
    # An award or a title named after a festival: 五一劳动奖章, 三八红旗手, 五四青年奖章
    re.compile(
        r"(?:五一|五四|三八|八一|七一|六一|五.一|三.八)"
        r"(?:国际)?(?:劳动)?(?:奖章|奖状|红旗手|红旗集体|红旗|巾帼|青年奖章|先锋号|文明岗|杯|标兵)"
    ),
)
_SENTENCE_END = re.compile(r"[。;!?！？；\n]")
_CLAUSE_END = re.compile(r"[,，:：]")
# Matched at a clause's start with match(s, pos): no ^, which would only match at 0.
_LEAD = re.compile(
    r"(?:[(（]?[一二三四五六七八九十\d]+[)）、.]\s*)?"  # a number the reader left on
    r"(?:力争|争取|计划|预计|拟定?于?|拟在|定于|将于|要在|须在|应在|于|在|从|自|截至|截止到?|到|利用|结合|借助|趁|围绕|抓住)*"
)
# Words the grammar skips after a date (3月底前完成); the scanner wants them after it.
_TRAILING_FILLER = re.compile(r"(?:完成|结束|办结|为止|止)$")
_LONGEST = 16
# Right after a date: a completing verb makes it a deadline anywhere in a clause.
_COMPLETING = re.compile(
    r"(?:全部|全面|基本|要|须|必须|均|都|务必|前|之前|以前|底前)?"
    r"(?:完成|结束|办结|完工|到位|验收|上报|报送|报|提交|召开|举办|举行|启动|部署|评选|表彰|开展|组织)"
)
_DEADLINE_END = re.compile(r"(?:前|底|末|内|前夕|前后|之前|以前)$")
# A date followed by these is not a deadline: 6月份以来, 3月起, 三季度中, 国庆期间.
_QUALIFIED = re.compile(r"以来|以后|之后|后(?!续)|起|开始|中(?!旬)|期间|左右|\d|第|首月|末月|最后")
# Where a date may start: a numeral, 上/下半年, 年底, 全年, 今年, 次年, or a festival.
_STARTS = set(
    "0123456789〇零一二三四五六七八九十两上下年全今本当次翌明来每元春端中国教重植长经常日平持贯"
)
_STARTS |= {alias[0] for alias in BY_ALIAS} | set("“\"'‘")  # “八一”前夕
_NUMERALS = set("0123456789〇零一二三四五六七八九十两百")
_AFTER_NO_START = _NUMERALS | {"年", "度"}
_SOFT = re.compile(r"力争|争取|尽量|尽可能")
_BARE_FESTIVAL = re.compile(
    "|".join(
        sorted((re.escape(a) for a in BY_ALIAS if not a.endswith("节")), key=len, reverse=True)
    )
)


@dataclass(frozen=True)
class Found:
    """A deadline read from running text: the snippet as written and its reading."""

    snippet: str
    deadline: ParsedDeadline


def _blank(folded: str) -> str:
    for pattern in _NOT_DEADLINES:
        folded = pattern.sub(lambda m: "#" * len(m.group(0)), folded)
    return folded


# The same few phrases recur across a plan (每季度, 年底前); a reading is immutable.
@lru_cache(maxsize=4096)
def _read(snippet: str, year: int) -> ParsedDeadline | None:
    cleaned = snippet.strip("“”\"'‘’ ")
    if not cleaned:
        return None
    # 三八, 五一 alone: more often a name (三八红旗手, 五一劳动竞赛) than a date.
    if _BARE_FESTIVAL.fullmatch(cleaned.replace("“", "").replace("”", "")):
        return None
    try:
        parsed = parse_deadline(snippet, year, sentence=False)
    except DeadlineError:
        return None
    return parsed if parsed.occurrences else None


# Cheap filters before the grammar is asked (it is asked for every candidate, and a
# document may hold 500 000 characters): where a phrase can start and end.
_ALIASES = "|".join(sorted((re.escape(a) for a in BY_ALIAS), key=len, reverse=True))
_START = re.compile(
    r"[\d〇零一二三四五六七八九十两]{1,4}(?:个?月|季|年|[日号]|[-至到、和及,.~])"
    r"|[上下]半年|[今本当次翌明来去前后]年|下[一1]?个?年|年[底末内终度初]|全年|常年|[每按]"
    r"|长期坚持|经常性|常态化|贯穿全年|持续|日常|平时"
    rf"|[“\"'‘]?(?:\d{{1,2}}\.\d{{1,2}})?(?:{_ALIASES})"
)
_END_CHARS = set("月份季度日号旬初底末内终前夕后年节天束当次午上期拜性化持展行进抓")
_END_CHARS |= _NUMERALS | {alias[-1] for alias in BY_ALIAS}


def _longest_at(
    text: str, folded: str, i: int, end: int, year: int
) -> tuple[int, ParsedDeadline] | None:
    if not _START.match(folded, i, end):
        return None
    for j in range(min(end, i + _LONGEST), i, -1):
        # A date never ends inside a number (the 1 of 12月).
        if j < end and folded[j - 1] in _NUMERALS and folded[j] in _NUMERALS:
            continue
        if folded[j - 1] not in _END_CHARS:
            continue
        parsed = _read(text[i:j], year)
        if parsed is not None:
            return j, parsed
    return None


def _clause_deadlines(text: str, folded: str, start: int, end: int, year: int) -> list[Found]:
    found: list[Found] = []
    lead = _LEAD.match(folded, start, end)
    i = lead.end() if lead else start
    first = True
    while i < end:
        # Never inside a number, nor right after a year (去年12月, 2025年3月): the phrase
        # with its year was tried from the year's first character, and refused.
        if folded[i] not in _STARTS or (i > start and folded[i - 1] in _AFTER_NO_START):
            i += 1
            first = False
            continue
        hit = _longest_at(text, folded, i, end, year)
        if hit is None:
            i += 1
            first = False
            continue
        j, parsed = hit
        if filler := _TRAILING_FILLER.search(folded, i, j):
            j = filler.start()
        snippet = text[i:j]
        after = folded[j:end]
        if _QUALIFIED.match(after):
            i = j
            first = False
            continue
        if first or _DEADLINE_END.search(fold(snippet)) or _COMPLETING.match(after):
            if not parsed.soft and _SOFT.search(folded, start, i):
                # 力争在今年五月完成: the clause makes the date a target.
                on = {*parsed.flags, "soft"}
                flags = tuple(flag for flag in FLAGS if flag in on)
                parsed = replace(parsed, soft=True, flags=flags)
            found.append(Found(snippet.strip(), parsed))
        i, first = j, False
    return found


def sentence_deadlines(text: str, year: int) -> list[Found]:
    """Every deadline the running text states, in order."""
    folded = _blank(fold(text))
    found: list[Found] = []
    for sentence in _spans(folded, _SENTENCE_END, 0, len(folded)):
        for a, b in _spans(folded, _CLAUSE_END, *sentence):
            while a < b and folded[a] in " \t":
                a += 1
            found.extend(_clause_deadlines(text, folded, a, b, year))
    # The phrases planlog has always taken anywhere (每季度召开一次, 利用3.12植树节, 在9月份完成).
    if not found:
        for phrase in deadline_phrases(text):
            try:
                parsed = parse_deadline(phrase, year)
            except DeadlineError:
                continue
            found.append(Found(phrase, parsed))
            break
    return found


def _spans(s: str, separator: re.Pattern[str], start: int, end: int) -> list[tuple[int, int]]:
    spans, a = [], start
    for m in separator.finditer(s, start, end):
        spans.append((a, m.start()))
        a = m.end()
    spans.append((a, end))
    return [(x, y) for x, y in spans if y > x]


def combine(found: list[Found]) -> Found | None:
    """One deadline for an item from what its sentences state.

    Dates from several clauses are the stages of one task (一季度完成摸底，三季度完成整改):
    one occurrence each. A recurrence stands alone: the first one stated wins, unless the
    text states the same frequency again more fully (每个季度组织一次…每季度中间月份): a
    bare 每季度 falls due at the quarter's end only by default, the fuller phrase says when.
    """
    unique: list[Found] = []
    for f in found:
        if all(f.deadline.occurrences != u.deadline.occurrences for u in unique):
            unique.append(f)
    if not unique:
        return None
    recurring = [f for f in unique if f.deadline.rrule]
    if recurring:
        first = recurring[0]
        same = [
            f for f in recurring if len(f.deadline.occurrences) == len(first.deadline.occurrences)
        ]
        chosen = max(same, key=lambda f: len(f.snippet))  # max keeps the first of equals
        left_out = [f.snippet for f in unique if f not in same]
        if not left_out:
            return chosen
        # Dated stages or another frequency beside the recurrence: read the recurrence,
        # and say what was left out instead of dropping it silently.
        flags = {*chosen.deadline.flags, "ambiguous"}
        note = (
            f"另有时限未采用：{'；'.join(left_out)}（also stated, not used: {'; '.join(left_out)}）"
        )
        return Found(
            chosen.snippet,
            replace(
                chosen.deadline,
                ambiguous=True,
                note="; ".join(n for n in (chosen.deadline.note, note) if n),
                flags=tuple(flag for flag in FLAGS if flag in flags),
            ),
        )
    if len(unique) == 1:
        return unique[0]
    by_due: dict[date, Occurrence] = {}
    for f in unique:
        for occ in f.deadline.occurrences:
            by_due.setdefault(occ.due, occ)
    snippet = "；".join(f.snippet for f in unique)
    notes = [f.deadline.note for f in unique if f.deadline.note]
    on = {flag for f in unique for flag in f.deadline.flags}
    merged = ParsedDeadline(
        text=snippet,
        occurrences=tuple(by_due[d] for d in sorted(by_due)),
        rrule=None,
        soft=any(f.deadline.soft for f in unique),
        ambiguous=any(f.deadline.ambiguous for f in unique),
        note="; ".join(notes) if notes else None,
        flags=tuple(flag for flag in FLAGS if flag in on),
    )
    return Found(snippet, merged)
