"""Plain text (pasted, .txt, .md, docx paragraphs) -> plan structure.

How a document is read, in order:

1. **Clutter.** Download-site boilerplate (格式:doc, 大小:, 文档页数, `/ 7`, the numbered
   下载/预览/退款/客服 disclaimers, 本站为你精心整理…, 小编整理了…供大家参考) is dropped
   and counted. Disclaimers are numbered 1、2、3、 like real items, so they are known
   by their words, never by their position.
2. **Tokens.** Each remaining line is a heading (第一部分, 一、, （一）), an item (1、 1.
   1） 2.1, （1） ①), a label (目标: 措施 时限: 责任人:) or body text.
3. **Parts.** A section heading numbered 一 after a section that already had content
   starts a new plan: the document is a compilation (一 again after a 第二部分
   heading does not: that is one plan in parts). The body paragraphs right
   before the restart are the next plan's introduction, not the last item's text
   (a section made only of body text keeps its first paragraph).
4. **Sections.** 一、 headings are sections (（一） when there are no 一、, 第一部分 when
   there is neither; otherwise 第一部分 prefixes the section name). Preamble sections
   (指导思想, 基本原则, 总体要求, 工作思路, …的目标) and the introduction before the
   first section hold no tasks and are skipped with a warning.
5. **Sub-headings.** A （一） under 一、 is a sub-heading when numbered items follow it,
   or when it is a short phrase followed by text; its name is appended to the
   section name (`职工之家建设的内容 / 围绕公司中心工作,把握建家重点`). Otherwise it is
   an item numbered （一）.
6. **Items.** Numbered lines are items; a lower-level number under an item is a
   sub-item numbered `6.(1)`. A paragraph that starts with 一是 (or contains 一是…二是…)
   is split into items 一是, 二是, …. Unnumbered text after an item continues it. A
   section without items but with text (or a 目标) is itself one item.
7. **Labels.** 目标: sets the section goal (items inherit it). 时限: applies to the
   items since the previous 时限: of the section. 责任人:/责任部门:/牵头单位: applies to
   every item of the section that has none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from planlog.importer.build import DEFAULT_SECTION, Draft, finish_plan
from planlog.importer.limits import ItemBudget, check_chars, check_lines
from planlog.importer.model import ImportedPlan, bilingual, document_error
from planlog.importer.normalize import fold, strip_punct
from planlog.importer.phrases import Label, inline_label, read_label

_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUM = "一二三四五六七八九十"


def cn_value(numeral: str) -> int:
    """一 -> 1, 十二 -> 12, 二十三 -> 23 (plan numbering never goes past 九十九)."""
    if numeral.isdigit():
        return int(numeral)
    if "十" not in numeral:
        return _CN_DIGITS.get(numeral, 0)
    tens, _, units = numeral.partition("十")
    return (_CN_DIGITS.get(tens, 0) if tens else 1) * 10 + _CN_DIGITS.get(units, 0)


# --- 1. clutter -------------------------------------------------------------------

_CLUTTER_LINE = re.compile(
    r"^(?:格式\s*:\s*\w+|大小\s*:\s*[\d.]+\s*[kmg]?b|文档页数\s*:?\s*\d*|下载文档原格式"
    r"|第?\s*\d*\s*/\s*\d+\s*页?|[\d\s/.]*)$",
    re.IGNORECASE,
)
_CLUTTER_WORDS = (
    "下载",
    "文档",
    "客服",
    "侵犯",
    "预览",
    "退款",
    "本站",
    "小编",
    "范文",
    "供大家参考",
    "一起来看看",
    "版权",
    "转载",
)


# A page's navigation, not the plan: 相关推荐, 上一篇：…, 发布时间：…, a breadcrumb.
_NAV_LINE = re.compile(
    r"^(?:上一篇|下一篇|上一页|下一页|返回列表|返回顶部|返回首页|打印本页|关闭窗口|分享到"
    r"|当前位置|您的位置|你的位置|所在位置)"
    r"|^(?:相关推荐|相关文章|相关阅读|相关范文|推荐阅读|猜你喜欢|热门推荐|热门文章|最新文章"
    r"|延伸阅读|精彩推荐|精选文章|更多相关|热门搜索)\s*[:>]?\s*$"
    r"|^(?:发布时间|发布日期|发表时间|更新时间|上传时间|浏览次数|点击次数|阅读次数|来源|作者|责任编辑"
    r"|编辑|文章来源|免责声明|声明)\s*:"
    r"|^(?:扫一扫|分享到|收藏本文|举报|点赞|展开全文|阅读全文|查看更多|查看全文|下载全文|版权所有"
    r"|copyright|©)"
    r"|icp备"
    r"|^[(]?(?:本文)?(?:共\s*\d+\s*页\s*[,]?\s*(?:当前)?第\s*\d+\s*页|第\s*\d+\s*页\s*[,]?\s*共\s*\d+\s*页)"
)
_BREADCRUMB = re.compile(r"(?:首页|主页|网站首页)\s*[>»›/→]|[>»›]\s*[^>»›]+\s*[>»›]")
# A signature date (落款) or a listed article's date: a date alone, or closing a line.
_DATE = (
    r"(?:(?:19|20)\d\d[-/.]\d{1,2}[-/.]\d{1,2}(?:\s+\d{1,2}:\d\d(?::\d\d)?)?"
    r"|(?:19|20)\d\d年\d{1,2}月\d{1,2}日"
    r"|二[〇零o0][〇零一二三四五六七八九o0]{2}年[一二三四五六七八九十]{1,2}月[一二三四五六七八九十]{1,3}日)"
)
_DATE_LINE = re.compile(rf"^[(\[]?{_DATE}[)\]]?$")
_DATED_ENTRY = re.compile(rf"\s[(\[]?{_DATE}[)\]]?$")
# Markers after which a page holds only its related-articles list.
_TAIL_MARK = re.compile(
    r"^(?:上一篇|下一篇|相关推荐|相关文章|相关阅读|相关范文|推荐阅读|猜你喜欢|热门推荐|热门文章"
    r"|最新文章|延伸阅读|精彩推荐|精选文章|更多相关)"
)


def is_mojibake(line: str) -> bool:
    """UTF-8 text that was decoded as GBK (鍦ㄧぞ鍖哄伐浼…) or as Latin-1 (å·¥ä¼š).

    Such a line re-encodes into bytes that read as UTF-8 again; real Chinese in
    GBK bytes does not. A line of Latin-1 mojibake is mostly accented letters.
    """
    text = line.strip()
    if len(text) < 6:
        return False
    accented = sum(1 for ch in text if "\u00c0" <= ch <= "\u00ff")
    if accented * 3 >= len(text):
        return True
    if sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff") * 2 < len(text):
        return False
    repaired = text.encode("gbk", errors="replace").decode("utf-8", errors="replace")
    # A replacement character already in the line was a byte lost in the first
    # decoding; it costs the repair a character or two, it does not count against it.
    lost = text.count("\ufffd")
    bad = repaired.count("\ufffd") + repaired.count("?") - text.count("?") - 2 * lost
    cjk = sum(1 for ch in repaired if "\u4e00" <= ch <= "\u9fff")
    return cjk >= 4 and bad * 5 <= len(repaired)


def is_clutter(line: str) -> bool:
    """Download-site boilerplate: a known line shape, two of the site's own words, the
    page's navigation, a date alone, or a garbled line."""
    folded = fold(line)
    if _CLUTTER_LINE.match(folded) or _DATE_LINE.match(folded.strip()):
        return True
    if _NAV_LINE.search(folded.lower()) or _BREADCRUMB.search(folded):
        return True
    if sum(word in folded for word in _CLUTTER_WORDS) >= 2:
        return True
    return is_mojibake(line)


def page_tail(lines: list[tuple[int, str]]) -> int:
    """Where a web page's trailer starts (上一篇/下一篇, related articles, the
    signature before them): every line from there is clutter. len(lines) if none.

    Only after the plan has begun (a numbered line), so a 相关推荐 above the
    plan's title is one clutter line, not the end of the document.
    """
    # The related-articles list runs to the end: found backwards in one pass, so a
    # long document costs one look per line.
    list_start = len(lines)
    for index in range(len(lines) - 1, -1, -1):
        raw = lines[index][1]
        text = clean_line(raw)
        if text and not _is_listed_article(raw) and not _TAIL_MARK.match(fold(text)):
            break
        list_start = index
    begun = False
    for index, (_, raw) in enumerate(lines):
        folded = fold(clean_line(raw))
        if not begun:
            begun = bool(_SECTION.match(folded) or _ARABIC.match(folded) or _SUB.match(folded))
            continue
        if _TAIL_MARK.match(folded) or (index >= list_start and _is_listed_article(raw)):
            return _signature_start(lines, index)
    return _signature_start(lines, len(lines))


def _is_listed_article(raw: str) -> bool:
    """工会2026年度工作计划  2025-10-21: a title and its date, not a numbered task."""
    text = clean_line(raw)
    return bool(_DATED_ENTRY.search(fold(text))) and tokenise(0, text).kind == "body"


_SIGNATURE_MAX = 30


def _signature_start(lines: list[tuple[int, str]], end: int) -> int:
    """A closing date (2025年12月28日), and the short name line right above it, sign the
    document: they are not the last item's text."""
    index = end
    while index > 0:
        # Past blank lines and a site's footer (版权所有, ICP备) to the date.
        text = clean_line(lines[index - 1][1])
        if text and (_DATE_LINE.match(fold(text)) or not is_clutter(text)):
            break
        index -= 1
    if index == 0 or not _DATE_LINE.match(fold(clean_line(lines[index - 1][1]))):
        return end
    index -= 1
    above = index
    while above > 0 and not clean_line(lines[above - 1][1]):
        above -= 1
    if above > 0:
        name = clean_line(lines[above - 1][1])
        folded = fold(name)
        if (
            len(name) <= _SIGNATURE_MAX
            and not re.search(r"[。,;:!?]", folded)
            and tokenise(0, name).kind == "body"
        ):
            return above - 1
    return index


_DECORATION = re.compile(r"^(?:#{1,6}\s*|[•·●▪◆■□▶►]\s*|[-*+]\s+)+")


def clean_line(line: str) -> str:
    """A line without its layout: indentation, markdown heading marks and bullets."""
    return _DECORATION.sub("", line.strip(" \t\u3000\ufeff")).strip(" \t\u3000")


# --- 2. tokens --------------------------------------------------------------------

# A well-formed numeral only: 三八、五一 open sentences about festivals, not sections.
_NUMERAL = "(?:[二三四五六七八九]?十[一二三四五六七八九]?|[一二三四五六七八九])"
_PART = re.compile(rf"^第({_NUMERAL}|\d+)(?:部分|章|篇)\s*[、.:]?\s*")
_SECTION = re.compile(rf"^({_NUMERAL})\s*(?:、|\.(?![{_CN_NUM}\d]))\s*")
_SUB = re.compile(rf"^\(\s*({_NUMERAL})\s*\)\s*[、.,]?\s*")
# A plan may run past item 99, and past 999 (to be refused by the item limit rather
# than merged into item 999); but 2025、2026年… opens a sentence about years.
_ITEM_NUMBER = r"(?!(?:19|20)\d\d)\d{1,4}"
_DOTTED = re.compile(r"^(\d{1,3}(?:\.\d{1,3})+)(?:\s+|、)")
_ARABIC = re.compile(rf"^({_ITEM_NUMBER})\s*(?:[、,]|\.(?!\d)|\))\s*")
_PAREN = re.compile(rf"^\(\s*({_ITEM_NUMBER})\s*\)\s*[、.,]?\s*")
_CIRCLED = re.compile(r"^([①-⑳])\s*")
# A narrative plan numbers its paragraphs in words: 首先，… 其次，… 第三，… 最后，…
_ORDINAL = re.compile(rf"^(首先|其次|再次|其三|第{_NUMERAL}|最后)\s*[,、:]\s*")
_ORDINAL_VALUES = {"首先": 1, "其次": 2, "再次": 3, "其三": 3, "最后": 99}
# Only a document that opens such a run (首先, 其次, 第一, 第二) numbers paragraphs
# this way; a lone 最后，… elsewhere is a closing sentence.
_ORDINAL_OPENERS = re.compile(r"^(?:首先|其次|第[一二])$")

HEADING_KINDS = ("part", "section", "sub")
ITEM_LEVELS = {"sub": 2, "arabic": 3, "paren": 4, "ordinal": 4}
INLINE_LEVEL = 5


@dataclass
class Token:
    kind: str  # part | section | sub | arabic | paren | label | body
    line: int
    raw: str  # the cleaned line as written
    text: str  # what follows the number, as written
    number: str = ""  # the number as written: 一, （二）, 1, (1), 2.1
    value: int = 0
    label: Label | None = None


def tokenise(line_no: int, raw: str) -> Token:
    folded = fold(raw)
    for kind, pattern in (
        ("part", _PART),
        ("section", _SECTION),
        ("sub", _SUB),
        ("arabic", _DOTTED),
        ("arabic", _ARABIC),
        ("paren", _PAREN),
        ("paren", _CIRCLED),
    ):
        match = pattern.match(folded)
        if match is None:
            continue
        text = raw[match.end() :].strip()
        numeral = match.group(1)
        if kind in ("sub", "paren") and pattern is not _CIRCLED:
            number = raw[: match.end()].strip().rstrip("、.,，．")
        else:
            number = raw[match.start(1) : match.end(1)]
        if pattern is _CIRCLED:
            value = ord(numeral) - ord("①") + 1
        elif pattern is _DOTTED:
            value = int(numeral.split(".")[-1])
        else:
            value = cn_value(numeral)
        return Token(kind, line_no, raw, text, number, value)
    label = read_label(raw)
    if label is not None:
        return Token("label", line_no, raw, label.value, label=label)
    match = _ORDINAL.match(folded)
    if match is not None:
        word = raw[match.start(1) : match.end(1)]
        value = _ORDINAL_VALUES.get(fold(word)) or cn_value(fold(word)[1:])
        return Token("ordinal", line_no, raw, raw[match.end() :].strip(), word, value)
    return Token("body", line_no, raw, raw)


_CLOSING_CALL = re.compile(r"让我们|同志们|努力奋斗|!$|！$")


def narrative_ordinals(tokens: list[Token]) -> list[Token]:
    """Ordinal paragraphs are items only in a document that opens a run of them, and
    only up to the run's 最后: a second 最后 is the closing word, as is a 最后 that calls
    on the reader (最后，让我们…奋斗！) rather than naming a task."""
    if not any(t.kind == "ordinal" and _ORDINAL_OPENERS.match(fold(t.number)) for t in tokens):
        return [Token("body", t.line, t.raw, t.raw) if t.kind == "ordinal" else t for t in tokens]
    result: list[Token] = []
    closed = False
    for tok in tokens:
        if tok.kind in HEADING_KINDS:
            closed = False
        elif tok.kind == "ordinal":
            last = fold(tok.number) == "最后"
            if closed or (last and _CLOSING_CALL.search(fold(tok.text).strip())):
                tok = Token("body", tok.line, tok.raw, tok.raw)
            closed = closed or last
        result.append(tok)
    return result


# --- inline 一是…二是… ----------------------------------------------------------------

# 一是…二是…, and its spoken variant 一要…二要… (never mixed in one run).
_INLINE = re.compile(rf"(?:^|(?<=[。;,!?\s:]))([{_CN_NUM}]{{1,2}})([是要])")


def split_inline(text: str, expected: int, at_start: bool) -> tuple[str, list[tuple[str, str]]]:
    """Split 一是…，二是…，三是… into (prefix, [(number, text), …]).

    Numbers must run on from `expected`, so a stray 这就是 or 三是 out of sequence is
    text. With `at_start` the first number must open the paragraph; otherwise a
    run of at least two is needed before a mid-paragraph 一是 counts.
    """
    folded = fold(text)
    marks: list[tuple[int, int]] = []
    want = expected
    verb = ""
    for match in _INLINE.finditer(folded):
        if cn_value(match.group(1)) == want and verb in ("", match.group(2)):
            marks.append((match.start(), match.end()))
            verb = match.group(2)
            want += 1
    if not marks:
        return text, []
    if at_start and marks[0][0] != 0:
        return text, []
    if not at_start and marks[0][0] != 0 and len(marks) < 2:
        return text, []
    pieces: list[tuple[str, str]] = []
    for i, (start, end) in enumerate(marks):
        stop = marks[i + 1][0] if i + 1 < len(marks) else len(text)
        pieces.append((text[start:end], text[end:stop].strip().rstrip(",，;；")))
    return text[: marks[0][0]].strip(), pieces


# --- 5-7. sections and items -------------------------------------------------------

_PREAMBLE_WORDS = (
    "指导思想",
    "基本原则",
    "总体要求",
    "工作思路",
    "总体思路",
    "指导原则",
    "工作原则",
    "基本思路",
)


def is_preamble(title: str) -> bool:
    folded = strip_punct(fold(title))
    if any(word in folded for word in _PREAMBLE_WORDS):
        return True
    # 三、职工之家建设的目标 states aims; the tasks that serve them come later.
    return folded.endswith("目标") and len(folded) <= 15


_TITLE_SEARCH = 8
_PLAN_WORDS = re.compile(r"(?:计划|方案|要点|安排|意见|打算|规划|任务|分解|清单|进度|台账|部署)")


_ATTACHMENT = re.compile(r"^附件\s*\d*\s*[:]?$|^\d+$")


def choose_title(lines: list[str]) -> int | None:
    """Which of a document's opening lines is its title, if any.

    The plan's own title line names the kind of document (…工作计划, …方案, …分解表);
    without one, the first line is taken when it is short, as a person would. An
    attachment number (附件2), a page number and a listed article with its date
    are never the title.
    """
    candidates = [
        (i, text)
        for i, text in enumerate(lines[:_TITLE_SEARCH])
        if text
        and _is_title_like(text)
        and not _DATED_ENTRY.search(fold(text))
        and not _ATTACHMENT.match(strip_punct(fold(text)))
    ]
    named = [i for i, text in candidates if _PLAN_WORDS.search(fold(text))]
    if named:
        return named[0]
    first = next((i for i, text in enumerate(lines) if text), None)
    return first if first is not None and any(i == first for i, _ in candidates) else None


def _is_title_like(text: str) -> bool:
    folded = strip_punct(fold(text))
    return 2 <= len(folded) <= 40 and not re.search(r"[。,;:!?]", folded)


def _split_heading(text: str) -> tuple[str, str]:
    """一、指导思想：以…为指导 -> (指导思想, 以…为指导)."""
    folded = fold(text)
    match = re.search(r"[。:]", folded)
    if match is not None:
        rest = text[match.end() :].strip()
        if rest:
            return strip_punct(text[: match.start()]), rest
    return strip_punct(text), ""


@dataclass
class Context:
    """A section or sub-section: the scope of 目标, 时限 and 责任人 labels."""

    name: str
    numeral: str
    heading: str
    line: int
    raw: str
    parent: Context | None = None
    goal: str | None = None
    expect_goal: bool = False
    items: list[Draft] = field(default_factory=list)
    all_items: list[Draft] = field(default_factory=list)  # with those of sub-sections
    body: list[Token] = field(default_factory=list)
    stack: list[tuple[int, int, Draft]] = field(default_factory=list)  # level, value, draft
    deadline_mark: int = 0
    pending_deadline: str | None = None
    pending_deadline_mark: int = 0
    responsible: str | None = None
    last_arabic: int = 0


@dataclass
class PartResult:
    drafts: list[Draft]
    sections: list[str]
    warnings: list[str]
    title: str | None
    first_section: str | None


class PartBuilder:
    """Builds the items of one plan (a whole document, or one part of a compilation)."""

    def __init__(
        self,
        section_kind: str | None,
        has_groups: bool,
        *,
        detect_title: bool,
        budget: ItemBudget,
    ) -> None:
        self.section_kind = section_kind
        self.budget = budget  # shared by the parts of a compilation
        self.has_groups = has_groups
        # Only the document's first lines can hold its title; a later part's lone
        # line (工作任务) is introduction like the rest.
        self.detect_title = detect_title
        self.drafts: list[Draft] = []
        self.warnings: list[str] = []
        self.section: Context | None = None
        self.sub: Context | None = None
        self.group: str | None = None
        self.title: str | None = None
        self.first_section: str | None = None
        self.seq = 0
        # Items with items under them: id -> (item, how many)
        self.listed: dict[int, tuple[Draft, int]] = {}
        self._parent_of: dict[int, int] = {}  # id of a 一是 item -> id of its parent

    # -- driving --

    def run(self, tokens: list[Token]) -> PartResult:
        intro: list[Token] = []
        stray: list[Token] = []  # after a 第一部分 group heading, before its first section
        intro_done = False
        skipping: Token | None = None
        skipped: list[Token] = []
        for index, tok in enumerate(tokens):
            if not intro_done and (
                tok.kind == self.section_kind
                or (self.section_kind is None and self._starts_items(tok))
            ):
                self._report_intro(intro)
                intro_done = True
            if tok.kind == self.section_kind:
                self._close_section()
                self._flush_skipped(skipping, skipped)
                skipped = []
                title, rest = _split_heading(tok.text)
                if is_preamble(title):
                    skipping = tok
                    continue
                skipping = None
                self._open_section(tok, title, rest)
                continue
            if tok.kind == "part" and self.has_groups:
                self._close_section()
                self._flush_skipped(skipping, skipped)
                skipping, skipped = None, []
                self.group = _split_heading(tok.text)[0] or tok.raw
                continue
            if skipping is not None:
                skipped.append(tok)
                continue
            if self.section is None:
                if self.section_kind is None and self._starts_items(tok):
                    name = self.title or DEFAULT_SECTION
                    self.section = Context(name, "", name, tok.line, "")
                else:
                    (stray if intro_done else intro).append(tok)
                    continue
            if (
                tok.kind == "sub"
                and self.section_kind == "section"
                and self._is_subheading(tokens, index)
            ):
                self._open_sub(tok)
                continue
            self._handle(self.sub or self.section, tok)
        self._close_section()
        self._flush_skipped(skipping, skipped)
        if not intro_done:
            self._report_intro(intro)
        if stray:
            self.warnings.append(
                bilingual(
                    f"跳过了不属于任何部分的 {len(stray)} 行：{_lines_zh(stray)}",
                    f"skipped {len(stray)} line(s) outside any section ({_lines(stray)})",
                )
            )
        self._drop_list_headings()
        return PartResult(
            drafts=self.drafts,
            sections=list(dict.fromkeys(d.section for d in self.drafts)),
            warnings=self.warnings,
            title=self.title,
            first_section=self.first_section,
        )

    def _starts_items(self, tok: Token) -> bool:
        if tok.kind in ("arabic", "paren", "sub", "ordinal"):
            return True
        return tok.kind == "body" and bool(split_inline(tok.text, 1, at_start=True)[1])

    def _drop_list_headings(self) -> None:
        """An item with two or more items under it (一是…二是… in its line or on lines
        of their own, (1) (2) …) is their heading: they are the tasks, as a section
        heading is no item when tasks follow it (a 其次 paragraph listing 一是…四是 is
        four items). Its responsible unit and deadline, if it states them, hold for
        them; its text stays in the source lines of the document."""
        headings: set[int] = set()
        for draft, count in self.listed.values():
            if count >= 2:
                headings.add(id(draft))
        if not headings:
            return
        parents = {id(d): d for d, _ in self.listed.values()}
        for draft in self.drafts:
            parent = parents.get(self._parent_of.get(id(draft), 0))
            if parent is not None and id(parent) in headings:
                draft.responsible = draft.responsible or parent.responsible
                draft.deadline_text = draft.deadline_text or parent.deadline_text
        self.drafts = [d for d in self.drafts if id(d) not in headings]

    def _report_intro(self, intro: list[Token]) -> None:
        rest = list(intro)
        if self.detect_title:
            at = choose_title([t.text if t.kind == "body" else "" for t in rest])
            if at is not None:
                self.title = strip_punct(rest[at].text)
                rest = rest[:at] + rest[at + 1 :]
        if rest:
            self.warnings.append(
                bilingual(
                    f"跳过了第一个部分之前的引言 {len(rest)} 行（{_lines_zh(rest)}）："
                    "引言中没有任务",
                    f"skipped {len(rest)} introduction line(s) before the first section "
                    f"({_lines(rest)}): an introduction holds no tasks",
                )
            )

    def _flush_skipped(self, heading: Token | None, skipped: list[Token]) -> None:
        if heading is None:
            return
        name = strip_punct(heading.text)
        self.warnings.append(
            bilingual(
                f"跳过了前言部分“{name}”（第 {heading.line} 行，其下 {len(skipped)} 行）："
                "指导思想、基本原则、总体要求、目标 不含任务",
                f"skipped preamble section '{name}' (line {heading.line}, "
                f"{len(skipped)} line(s) under it): 指导思想/基本原则/总体要求/目标 hold no tasks",
            )
        )

    def _is_subheading(self, tokens: list[Token], index: int) -> bool:
        following: list[Token] = []
        for tok in tokens[index + 1 :]:
            if tok.kind in HEADING_KINDS:
                break
            following.append(tok)
        if any(t.kind in ("arabic", "paren", "ordinal") for t in following):
            return True
        title = strip_punct(fold(tokens[index].text))
        short = len(title) <= 30 and "。" not in title
        return short and bool(following) and following[0].kind in ("body", "label")

    # -- sections --

    def _name(self, title: str) -> str:
        return f"{self.group} / {title}" if self.group else title

    def _open_section(self, tok: Token, title: str, rest: str) -> None:
        name = self._name(title or tok.number)
        self.section = Context(name, tok.number, title, tok.line, tok.raw)
        if self.first_section is None:
            self.first_section = title
        if rest:
            self._handle(self.section, Token("body", tok.line, rest, rest))

    def _open_sub(self, tok: Token) -> None:
        assert self.section is not None
        self._close(self.sub)
        title, rest = _split_heading(tok.text)
        parent = self.section
        self.sub = Context(
            f"{parent.name} / {title}", tok.number, title, tok.line, tok.raw, parent=parent
        )
        if rest:
            self._handle(self.sub, Token("body", tok.line, rest, rest))

    def _close_section(self) -> None:
        self._close(self.sub)
        self.sub = None
        self._close(self.section)
        self.section = None

    def _close(self, ctx: Context | None) -> None:
        if ctx is None:
            return
        if not ctx.all_items:
            if ctx.body or ctx.goal:
                self._whole_section_item(ctx)
            else:
                self.warnings.append(
                    bilingual(
                        f"部分“{ctx.name}”（第 {ctx.line} 行）既没有任务也没有文字，未导入",
                        f"section '{ctx.name}' (line {ctx.line}) has no items and no text: "
                        "left out",
                    )
                )
                return
        elif ctx.body:
            self.warnings.append(
                bilingual(
                    f"部分“{ctx.name}”第一个任务之前的文字（{_lines_zh(ctx.body)}）是引言，不是任务",
                    f"section '{ctx.name}': text before its first item ({_lines(ctx.body)}) "
                    "is an introduction, not an item",
                )
            )
        if ctx.pending_deadline:
            for draft in ctx.items[ctx.pending_deadline_mark :]:
                if draft.deadline_text is None:
                    draft.deadline_text = ctx.pending_deadline
        for draft in ctx.all_items:
            if draft.responsible is None and ctx.responsible:
                draft.responsible = ctx.responsible
            if draft.goal is None and ctx.goal:
                draft.goal = ctx.goal
        if ctx.parent is not None:
            ctx.parent.all_items.extend(ctx.all_items)

    def _whole_section_item(self, ctx: Context) -> None:
        draft = self._draft(ctx, ctx.numeral, "\n".join(t.text for t in ctx.body), ctx.line)
        draft.title = ctx.heading
        draft.source_lines = [ctx.raw, *(t.raw for t in ctx.body)]
        draft.item_goal = ctx.goal is not None
        ctx.body = []

    # -- items --

    def _draft(self, ctx: Context, number: str, text: str, line: int) -> Draft:
        self.budget.add()
        self.seq += 1
        draft = Draft(
            section=ctx.name,
            number=number,
            text=text,
            source_line=line,
            order=(line, self.seq),
            deadline_text=inline_label(text, "deadline"),
            responsible=inline_label(text, "responsible"),
        )
        ctx.items.append(draft)
        ctx.all_items.append(draft)
        self.drafts.append(draft)
        return draft

    def _item(self, ctx: Context, level: int, tok: Token, number: str, text: str) -> Draft:
        while ctx.stack and ctx.stack[-1][0] >= level:
            ctx.stack.pop()
        parent = ctx.stack[-1][2] if ctx.stack else None
        if level == ITEM_LEVELS["arabic"] and parent is None:
            if tok.value == 1 and ctx.last_arabic >= 2:
                self.warnings.append(
                    bilingual(
                        f"部分“{ctx.name}”的编号在第 {tok.line} 行重新从 1 开始",
                        f"numbering restarts at 1 on line {tok.line} in section '{ctx.name}'",
                    )
                )
            ctx.last_arabic = tok.value
        full = f"{parent.number}.{number}" if parent else number
        draft = self._draft(ctx, full, text, tok.line)
        if parent is not None:
            _, count = self.listed.get(id(parent), (parent, 0))
            self.listed[id(parent)] = (parent, count + 1)
            self._parent_of[id(draft)] = id(parent)
        draft.source_lines = [tok.raw] if level != INLINE_LEVEL else [f"{number}{text}"]
        ctx.stack.append((level, tok.value, draft))
        return draft

    def _inline_items(self, ctx: Context, tok: Token, pieces: list[tuple[str, str]]) -> None:
        for number, text in pieces:
            value = cn_value(fold(number)[:-1])
            self._item(
                ctx,
                INLINE_LEVEL,
                Token("body", tok.line, tok.raw, text, number, value),
                number,
                text,
            )

    def _handle(self, ctx: Context | None, tok: Token) -> None:
        assert ctx is not None
        if tok.kind == "label" and tok.label is not None:
            self._label(ctx, tok.label, tok)
        elif tok.kind in ITEM_LEVELS:
            # 其次，扎实做好服务工作。一是…；二是…: the 一是… in the item's own line are
            # items under it, as they are when they start lines of their own.
            prefix, pieces = split_inline(tok.text, 1, at_start=False)
            if len(pieces) < 2:
                prefix, pieces = tok.text, []
            self._item(ctx, ITEM_LEVELS[tok.kind], tok, tok.number, prefix)
            if pieces:
                self._inline_items(ctx, tok, pieces)
        else:
            self._body(ctx, tok)

    def _body(self, ctx: Context, tok: Token) -> None:
        if ctx.expect_goal:
            ctx.goal, ctx.expect_goal = tok.text, False
            return
        if ctx.stack:
            top_level, top_value, top = ctx.stack[-1]
            expected = top_value + 1 if top_level == INLINE_LEVEL else 1
            _, pieces = split_inline(tok.text, expected, at_start=True)
            if not pieces and expected != 1:
                _, pieces = split_inline(tok.text, 1, at_start=True)
            if pieces:
                self._inline_items(ctx, tok, pieces)
            else:
                top.append(tok.text)
            return
        prefix, pieces = split_inline(tok.text, 1, at_start=False)
        if pieces:
            if prefix:
                ctx.body.append(Token("body", tok.line, prefix, prefix))
            self._inline_items(ctx, tok, pieces)
        else:
            ctx.body.append(tok)

    def _label(self, ctx: Context, label: Label, tok: Token) -> None:
        if label.kind == "goal":
            if not label.value:
                ctx.expect_goal = True
            elif ctx.items:
                ctx.items[-1].goal = label.value
                ctx.items[-1].item_goal = True
            else:
                ctx.goal = label.value
        elif label.kind == "measures":
            if label.value:
                self._body(ctx, Token("body", tok.line, tok.raw, label.value))
        elif label.kind == "deadline":
            if not label.value:
                return
            since = ctx.items[ctx.deadline_mark :]
            if since:
                for draft in since:
                    if draft.deadline_text is None:
                        draft.deadline_text = label.value
            else:
                ctx.pending_deadline = label.value
                ctx.pending_deadline_mark = len(ctx.items)
            ctx.deadline_mark = len(ctx.items)
        elif label.value:
            for draft in ctx.all_items:
                if draft.responsible is None:
                    draft.responsible = label.value
            ctx.responsible = label.value


def _lines(tokens: list[Token]) -> str:
    first, last = tokens[0].line, tokens[-1].line
    return f"line {first}" if first == last else f"lines {first}-{last}"


def _lines_zh(tokens: list[Token]) -> str:
    first, last = tokens[0].line, tokens[-1].line
    return f"第 {first} 行" if first == last else f"第 {first}-{last} 行"


# --- 3. parts ---------------------------------------------------------------------


def split_parts(tokens: list[Token], section_kind: str | None) -> list[list[Token]]:
    """Cut a compilation where section numbering restarts at 一 after a finished section."""
    parts: list[list[Token]] = [[]]
    if section_kind is None:
        parts[0] = list(tokens)
        return parts
    section_has_content = False
    in_section = False
    for tok in tokens:
        if tok.kind == section_kind:
            if tok.value == 1 and section_has_content:
                parts.append(_take_trailing_intro(parts[-1], section_kind))
                section_has_content = False
            in_section = True
        elif tok.kind == "part":
            # 第二部分 legitimately starts its sections again at 一.
            section_has_content = in_section = False
        elif in_section:
            section_has_content = True
        parts[-1].append(tok)
    return parts


def _take_trailing_intro(part: list[Token], section_kind: str) -> list[Token]:
    last_heading = max(i for i, t in enumerate(part) if t.kind == section_kind)
    start = len(part)
    while start > last_heading + 1 and part[start - 1].kind == "body":
        start -= 1
    if start == last_heading + 1:
        # The section is only text: its first paragraph is its own, the rest introduce.
        start += 1
    moved = part[start:]
    del part[start:]
    return moved


# --- entry points -----------------------------------------------------------------


def parse_lines(lines: list[tuple[int, str]], year: int, *, source: str = "text") -> ImportedPlan:
    """Parse numbered lines (line number, text) of a plan. Pure."""
    tokens: list[Token] = []
    clutter: list[int] = []
    read = 0
    tail = page_tail(lines)
    for index, (line_no, raw) in enumerate(lines):
        text = clean_line(raw)
        if not text:
            continue
        read += 1
        check_lines(source, read)
        if index >= tail or is_clutter(text):
            clutter.append(line_no)
            continue
        tokens.append(tokenise(line_no, text))
    if not tokens and not clutter:
        raise document_error(source, "empty", "文档是空的", "the document is empty")
    warnings: list[str] = []
    if clutter:
        single = len(clutter) == 1
        where = f"line {clutter[0]}" if single else f"lines {clutter[0]}-{clutter[-1]}"
        where_zh = f"第 {clutter[0]} 行" if single else f"第 {clutter[0]}-{clutter[-1]} 行"
        warnings.append(
            bilingual(
                f"跳过了 {len(clutter)} 行网页杂项，即下载网站的套话：{where_zh}",
                f"skipped {len(clutter)} page-clutter line(s) (download-site boilerplate, {where})",
            )
        )
    tokens = narrative_ordinals(tokens)
    kinds = {t.kind for t in tokens}
    section_kind = next((k for k in ("section", "sub", "part") if k in kinds), None)
    has_groups = "part" in kinds and section_kind != "part"

    results: list[PartResult] = []
    title: str | None = None
    budget = ItemBudget(source)
    for index, part in enumerate(split_parts(tokens, section_kind)):
        builder = PartBuilder(section_kind, has_groups, detect_title=index == 0, budget=budget)
        result = builder.run(part)
        if index == 0:
            title = result.title
        results.append(result)

    with_items = [r for r in results if r.drafts]
    parts: tuple[str, ...] = ()
    drafts: list[Draft] = []
    if len(with_items) > 1:
        names: list[str] = []
        for number, result in enumerate(with_items, start=1):
            prefix = f"第{number}部分"
            names.append(f"{prefix} {_short(result.first_section or result.sections[0])}")
            for draft in result.drafts:
                draft.section = f"{prefix} · {draft.section}"
        parts = tuple(names)
        warnings.append(
            bilingual(
                f"这是 {len(with_items)} 份计划的汇编（部分编号重新从“一”开始），"
                "各部分名称前加上了所属的计划",
                f"the document is a compilation of {len(with_items)} plans (section numbering "
                "restarts at 一); sections are prefixed with their part",
            )
        )
    for result in results:
        drafts.extend(result.drafts)
        warnings.extend(result.warnings)
    return finish_plan(drafts, year, title=title, parts=parts, warnings=warnings, source=source)


def _short(title: str) -> str:
    folded = fold(title)
    comma = folded.find(",")
    if 0 < comma <= 20:
        return title[:comma]
    return title[:20]


def parse_text(text: str, year: int, *, source: str = "text") -> ImportedPlan:
    """Parse a pasted plan. Pure: no I/O."""
    check_chars(source, len(text))
    return parse_lines(list(enumerate(text.splitlines(), start=1)), year, source=source)
