"""Bring deadline text to one spelling before the grammar reads it.

Sample plans mix full-width and half-width characters, traditional and
simplified characters, Chinese and Arabic numerals, labels (時限：) and
trailing punctuation. The grammar only sees the result: simplified characters,
ASCII digits and punctuation, no spaces, no label.
"""

from __future__ import annotations

import re
import unicodedata

import cn2an

# Only characters that occur in deadline text or in the words the grammar skips.
_TRADITIONAL = str.maketrans(
    {
        "時": "时",
        "間": "间",
        "週": "周",
        "個": "个",
        "爭": "争",
        "盡": "尽",
        "則": "则",
        "內": "内",
        "節": "节",
        "慶": "庆",
        "國": "国",
        "婦": "妇",
        "師": "师",
        "陽": "阳",
        "樹": "树",
        "兩": "两",
        "號": "号",
        "後": "后",
        "與": "与",
        "終": "终",
        "開": "开",
        "於": "于",
        "須": "须",
        "應": "应",
        "結": "结",
        "來": "来",
        "勞": "劳",
        "動": "动",
        "兒": "儿",
        "軍": "军",
        "黨": "党",
        "為": "为",
        "爲": "为",
        "報": "报",
        "進": "进",
        "長": "长",
        "當": "当",
        "達": "达",
        "實": "实",
        "現": "现",
        "務": "务",
        "會": "会",
        "續": "续",
        "隨": "随",
        "禮": "礼",
        "農": "农",
        "曆": "历",
        "際": "际",
        "項": "项",
        "評": "评",
        "製": "制",
        "畢": "毕",
        "僅": "仅",
        "頭": "头",
        "執": "执",
        "總": "总",
        "組": "组",
        "織": "织",
        "學": "学",
        "習": "习",
        "○": "〇",
        # Dots and dashes people type between numbers (三·八, 3—5月).
        "·": ".",
        "•": ".",
        "・": ".",
        "—": "-",
        "–": "-",
        "―": "-",
        "−": "-",
        "~": "-",
    }
)

_DROP = re.compile(r"[\s“”‘’\"'「」『』《》〈〉【】]+")
_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_LABEL = re.compile(
    r"^(?:完成|截止|工作)?(?:时限|时间安排|时间节点|时间|期限|日期|进度安排|进度)(?:要求)?:?"
)
_EDGE_PUNCTUATION = "。.,;:、!?()"
_CN_RUN = "[〇零一二三四五六七八九十两百]+"
# A numeral is converted only before a unit: 三八, 五一 and 一是 must stay as they are.
_CN_NUMBERS = re.compile(
    rf"(?:{_CN_RUN}(?:、|,|和|及|至|到|-))*{_CN_RUN}(?=个?月|日|号|季|年|个?周|个?星期)"
)
_CN_ONE_RUN = re.compile(_CN_RUN)
_QUARTER_CODE = re.compile(r"[Qq]([1-4])(?!\d)")
# 第3季度 is the 3rd quarter; 每季度第1个月 keeps its 第, the grammar reads it.
_ORDINAL = re.compile(r"第(?=\d+(?!\d)(?!个?月))")
_THIS_YEAR = re.compile(r"今年|本年度?|当年")

SOFT_WORDS = re.compile(r"力争|争取|尽量|尽可能|原则上")


def _to_digits(match: re.Match[str]) -> str:
    def convert(run: re.Match[str]) -> str:
        try:
            return str(int(cn2an.cn2an(run.group(0), "smart")))
        except (ValueError, KeyError):
            # Left as it is, the grammar will not read it and says so.
            return run.group(0)

    return _CN_ONE_RUN.sub(convert, match.group(0))


def normalise(text: str, year: int) -> str:
    """The canonical spelling of `text`; 今年 becomes `year`年."""
    s = unicodedata.normalize("NFKC", text).translate(_TRADITIONAL)
    s = _DROP.sub("", s)
    s = re.sub(r"-+", "-", s)
    s = _ISO_DATE.sub(r"\1年\2月\3日", s)
    s = s.strip(_EDGE_PUNCTUATION)
    s = _LABEL.sub("", s).strip(_EDGE_PUNCTUATION)
    s = _CN_NUMBERS.sub(_to_digits, s)
    s = _QUARTER_CODE.sub(r"\1季度", s)
    s = _ORDINAL.sub("", s)
    s = s.replace("之前", "前").replace("以前", "前")
    s = _THIS_YEAR.sub(f"{year}年", s)
    return s.replace("年年", "年")
