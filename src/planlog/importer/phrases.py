"""Small text recognisers shared by every format: labels, deadline phrases, titles.

All patterns run on `fold(text)` (simplified characters, ASCII punctuation) and
report spans that are valid in the original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from planlog.importer.normalize import fold, strip_punct

TITLE_LIMIT = 60

# Labels that stand on their own line (时限:6月;12月) or close an item's text.
_DEADLINE_WORDS = r"(?:完成时限|时限|期限|完成时间|时间节点|时间安排|时间)"
_RESPONSIBLE_WORDS = (
    r"(?:责任人|责任部门|责任单位|责任科室|责任领导|牵头单位|牵头部门|负责人|负责部门|负责单位)"
)
_LABEL_LINE = re.compile(
    rf"^(?:(?P<deadline>{_DEADLINE_WORDS})\s*:"
    rf"|(?P<responsible>{_RESPONSIBLE_WORDS})\s*[:\s]"
    r"|(?P<goal>(?:工作|具体|主要)?目标)\s*:"
    r"|(?P<measures>(?:工作|具体|主要)?措施)\s*(?::|$))"
    r"\s*"
)
# The value runs to the end of the sentence or of a bracket: 时限:6月;12月 is one list, and
# （时限：6月;12月） inside a title is read too. _value_end cuts what follows the list.
_INLINE_DEADLINE = re.compile(r"(?:^|(?<=[。;,(\s]))(?:完成)?时限\s*:\s*(?P<v>[^。\n)]+)")
# A list continues after ; or , only with another date: 6月;12月, not 6月;各单位…
_LIST_GOES_ON = re.compile(r"[;,]\s*(?=[\d〇一二三四五六七八九十上下全年每次翌明春元国]|[1-4]季)")
_LIST_BREAK = re.compile(r"[;,]")
_INLINE_RESPONSIBLE = re.compile(
    rf"(?:^|(?<=[。;,\s])){_RESPONSIBLE_WORDS}\s*:\s*(?P<v>[^;。,\n]+)"
)


@dataclass(frozen=True)
class Label:
    kind: str  # "deadline", "responsible", "goal" or "measures"
    value: str  # as written, trimmed; "" for a bare 措施 heading


def read_label(line: str) -> Label | None:
    """The label a line consists of, if it is one (时限:3月25日前, 责任人:工会女工, 措施)."""
    match = _LABEL_LINE.match(fold(line))
    if match is None:
        return None
    kind = next(k for k in ("deadline", "responsible", "goal", "measures") if match.group(k))
    return Label(kind, strip_punct(line[match.end() :]))


def inline_label(text: str, kind: str) -> str | None:
    """A 时限:/责任人: label written inside an item's own text."""
    pattern = _INLINE_DEADLINE if kind == "deadline" else _INLINE_RESPONSIBLE
    folded = fold(text)
    match = pattern.search(folded)
    if match is None:
        return None
    start, end = match.start("v"), match.end("v")
    if kind == "deadline":
        end = _value_end(folded, start, end)
    return strip_punct(text[start:end]) or None


def _value_end(folded: str, start: int, end: int) -> int:
    """Where a 时限 list written inside running text ends."""
    for sep in _LIST_BREAK.finditer(folded, start, end):
        if not _LIST_GOES_ON.match(folded, sep.start()):
            return sep.start()
    return end


# Deadline phrases inside item text. Deliberately few: a phrase is only taken
# when parse_deadline reads it, and a missed deadline is cheaper than a wrong one.
_MONTH = r"(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
_IMPLICIT = (
    # 3月底前, 3月25日前, 4月中旬前
    re.compile(rf"(?<![\d.])(?:今年)?{_MONTH}月份?(?:\d{{1,2}}日|底|末|初|上旬|中旬|下旬)?之?前"),
    # 拟在9月份完成, 力争在今年五月完成
    re.compile(rf"(?<=[在于])(?:今年)?(?P<p>{_MONTH}月份?(?:底|末|上旬|中旬|下旬)?)(?=前?完成)"),
    re.compile(r"年底前|年末前"),
    # 每两周组织一次, 每个季度开展一次, 每半年报告一次, 每半年一次
    re.compile(
        r"每(?:两|二|三)?个?(?:周|星期|月|季度|季|半年|年)"
        r"(?:都|要|须)?(?:组织|开展|召开|举办|举行|报告|报送|进行|出刊)?(?:一|1)次"
    ),
    re.compile(r"每周[一二三四五六日天](?:上午|下午|晚上)?"),
    # 利用3.12植树节
    re.compile(r"(?<![\d.])\d{1,2}\.\d{1,2}[\u4e00-\u9fff]{0,3}节"),
)


def deadline_phrases(text: str) -> list[str]:
    """Candidate deadline phrases in `text`, as written, in the order they appear."""
    folded = fold(text)
    spans: list[tuple[int, int]] = []
    for pattern in _IMPLICIT:
        for match in pattern.finditer(folded):
            group = "p" if "p" in pattern.groupindex else 0
            spans.append((match.start(group), match.end(group)))
    # At one position the longer phrase wins: 3月底前 over 3月底.
    spans.sort(key=lambda span: (span[0], -span[1]))
    return [text[a:b] for a, b in spans]


# ASCII ? and ! are not clause ends: in Chinese text they are mostly mojibake
# (經?;化), while real ones are full-width and stay unfolded here.
_CLAUSE_END = re.compile(r"[。;:；：！？]")
_LONG_TITLE = 20
_MIN_CLAUSE = 6


def short_title(text: str) -> str:
    """The first sentence or clause of `text`, at most TITLE_LIMIT characters."""
    text = strip_punct(text.strip().splitlines()[0] if text.strip() else "")
    folded = fold(text)
    match = _CLAUSE_END.search(text)
    # 组织健全:各级工会建立… is titled by its lead-in, so a colon ends the clause too.
    if match is not None and match.start() > 0:
        text, folded = text[: match.start()], folded[: match.start()]
    # A board row reads best with the lead clause alone: 定期召开工会工作会议,每半年一次…
    first_comma = folded.find(",", _MIN_CLAUSE)
    if len(text) > _LONG_TITLE and 0 < first_comma <= TITLE_LIMIT:
        text = text[:first_comma]
    elif len(text) > TITLE_LIMIT:
        comma = folded.rfind(",", 0, TITLE_LIMIT)
        text = text[:comma] if comma >= 10 else text[:TITLE_LIMIT]
    return strip_punct(text)
