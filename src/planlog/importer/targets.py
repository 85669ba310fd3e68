"""Measurable targets in item text: 800家, 80%以上, 50万名, 不少于2篇.

Only arabic numbers followed by a counting unit are read. Chinese numerals are
left alone on purpose: in plans they are mostly names (十二五, 三个率先, 三八,
五一) or vague counts (一次, 二次), and reading them would flood the result.
Dates, years and list numbers never carry a counting unit, so the unit is what
keeps them out.
"""

from __future__ import annotations

import re

from planlog.importer.limits import MAX_TARGETS_PER_ITEM
from planlog.importer.model import Target
from planlog.importer.normalize import fold

# Longest first: 万元 before 元, 人次 before 人, 个百分点 before 个.
_UNITS = (
    "个百分点",
    "万元",
    "人次",
    "小时",
    "课时",
    "%",
    "家",
    "名",
    "个",
    "篇",
    "分",
    "元",
    "次",
    "户",
    "人",
    "项",
    "场",
    "期",
    "所",
    "支",
    "本",
    "份",
    "天",
    "件",
    "条",
    "组",
    "队",
    "批",
    "处",
    "套",
    "台",
)
_MULTIPLIERS = {"万": 10_000.0, "千": 1_000.0, "亿": 100_000_000.0}

_NUMBER = r"\d+(?:\.\d+)?"
_PATTERN = re.compile(
    rf"(?<![\d.第])(?P<value>{_NUMBER})"
    rf"(?:\s*[-~至到]\s*(?P<upper>{_NUMBER}))?"
    r"(?P<mult>[万千亿])?"
    r"(?P<approx>[余多])?"
    rf"(?P<unit>{'|'.join(re.escape(u) for u in _UNITS)})"
    # 3分钟 is a duration, 1元旦 a festival, 3分之一 a fraction: none is a target.
    r"(?!钟|旦|之一)"
    r"(?P<suffix>及以上|以上|及以下|以下|以内)?"
)

_AT_LEAST = ("不少于", "不低于", "至少", "最少", "达到", "达", "超过")
_AT_MOST = ("不超过", "不高于", "最多", "控制在")
_CLAUSE_BREAK = re.compile(r"[。,;:!?、()]")
_LOOKBACK = 12


def _comparator(folded: str, start: int, match: re.Match[str]) -> str:
    suffix = match.group("suffix") or ""
    if "以上" in suffix or match.group("approx") or match.group("upper"):
        return ">="
    if suffix:
        return "<="
    window = folded[max(0, start - _LOOKBACK) : start]
    breaks = list(_CLAUSE_BREAK.finditer(window))
    if breaks:
        window = window[breaks[-1].end() :]
    # The word nearest the number decides; at the same place the longer word
    # (不超过 over 超过).
    best, best_key = "=", (-1, 0)
    for words, comparator in ((_AT_LEAST, ">="), (_AT_MOST, "<=")):
        for word in words:
            at = window.rfind(word)
            key = (at + len(word), len(word))
            if at >= 0 and key > best_key:
                best, best_key = comparator, key
    return best


def _quoted_spans(folded: str) -> list[tuple[int, int]]:
    """Spans of 《document names》, whose numbers name things rather than count them."""
    return [(m.start(), m.end()) for m in re.finditer(r"《[^《》]*》", folded)]


def find_targets(text: str) -> tuple[Target, ...]:
    """The measurable targets in `text`, in the order written (at most
    `MAX_TARGETS_PER_ITEM`: past that the numbers are no list of targets)."""
    folded = fold(text)
    quoted = _quoted_spans(folded)
    found: list[Target] = []
    for match in _PATTERN.finditer(folded):
        if len(found) == MAX_TARGETS_PER_ITEM:
            break
        start, end = match.start(), match.end()
        if any(a <= start < b for a, b in quoted):
            continue
        value = float(match.group("value"))
        mult = match.group("mult")
        if mult:
            value *= _MULTIPLIERS[mult]
        found.append(
            Target(
                value=value,
                unit=match.group("unit"),
                text=text[start:end],
                comparator=_comparator(folded, start, match),
            )
        )
    return tuple(found)
