"""From what a reader found (drafts) to the validated, frozen result.

Every format reader (text, docx, xlsx, YAML) produces `Draft`s; the rules that do
not depend on the format live here: titles, targets, reading deadlines, the
fingerprint and the refusal of a plan without tasks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from planlog.deadlines import DeadlineError, ParsedDeadline, parse_deadline
from planlog.importer.limits import check_items
from planlog.importer.model import (
    ImportedItem,
    ImportedPlan,
    Target,
    bilingual,
    document_error,
    fingerprint,
)
from planlog.importer.normalize import fold
from planlog.importer.phrases import short_title
from planlog.importer.sentences import combine, sentence_deadlines
from planlog.importer.targets import find_targets

DEFAULT_SECTION = "工作任务"


@dataclass
class Draft:
    """An item as a reader found it, before titles, targets and deadlines are read."""

    section: str
    number: str
    text: str  # the item's own text; titles, targets and implicit deadlines come from it
    source_line: int
    source_lines: list[str] = field(default_factory=list)
    order: tuple[int, int] = (0, 0)
    title: str | None = None  # when the format names it apart from the text
    measures: str | None = None  # when the format names it apart from the text
    goal: str | None = None
    item_goal: bool = False  # the goal belongs to this item, so its targets count
    responsible: str | None = None
    helpers: str | None = None  # a helping unit (配合部门), never the responsible one
    deadline_text: str | None = None  # stated as a 时限, not found in running text
    # Where deadline_text was stated: a 时限 "label" or a table "column".
    deadline_origin: str = "label"
    targets: tuple[Target, ...] | None = None  # stated explicitly (YAML)
    warnings: list[str] = field(default_factory=list)

    def append(self, text: str) -> None:
        self.text = f"{self.text}\n{text}" if self.text else text
        self.source_lines.append(text)


def read_deadline(text: str, year: int) -> ParsedDeadline:
    """parse_deadline, named here so every reader reports the same way."""
    return parse_deadline(text, year)


@dataclass(frozen=True)
class _Deadline:
    text: str | None  # as written: the 时限, the column, or the snippet of the sentence
    parsed: ParsedDeadline | None
    source: str  # label | column | sentence | implicit
    warnings: list[str]


def _deadline(draft: Draft, year: int) -> _Deadline:
    if draft.deadline_text:
        try:
            parsed = read_deadline(draft.deadline_text, year)
            return _Deadline(draft.deadline_text, parsed, draft.deadline_origin, [])
        except DeadlineError as exc:
            warning = bilingual(
                f"无法识别时限“{draft.deadline_text}”",
                f"时限 '{draft.deadline_text}' could not be read",
            )
            # The grammar's reason, itself Chinese first with English.
            reason = exc.message.split("：", 1)[-1]  # the text is named once, above
            warnings = [f"{warning}：{reason}"]
            return _Deadline(draft.deadline_text, None, draft.deadline_origin, warnings)
    # A date in running text is taken only where a deadline stands (sentences.py); what
    # the grammar cannot read right is left to the implicit year-end deadline.
    scanned = [draft.text]
    if draft.title and draft.title not in draft.text:
        scanned.insert(0, draft.title)
    if draft.item_goal and draft.goal:
        scanned.append(draft.goal)
    best = combine([f for text in scanned for f in sentence_deadlines(text, year)])
    if best is None:
        return _Deadline(None, None, "implicit", [])
    return _Deadline(best.snippet, best.deadline, "sentence", [])


# （时限：6月;12月） written inside a title belongs to the deadline, not to the title.
_TITLE_DEADLINE = re.compile(r"\s*[(（]\s*(?:完成)?时限\s*[:：][^)）]*[)）]")


def finish_item(draft: Draft, year: int) -> ImportedItem:
    found = _deadline(draft, year)
    deadline_text, deadline, warnings = found.text, found.parsed, found.warnings
    if draft.targets is not None:
        targets = draft.targets
    else:
        scanned = draft.text
        if draft.item_goal and draft.goal:
            scanned = f"{draft.goal}\n{scanned}"
        targets = find_targets(scanned)
    measures = draft.measures if draft.measures is not None else (draft.text or None)
    title = short_title(_TITLE_DEADLINE.sub("", draft.title or draft.text)) or draft.number
    source_text = "\n".join(draft.source_lines) if draft.source_lines else draft.text
    return ImportedItem(
        section=draft.section,
        number=draft.number,
        title=title,
        goal=draft.goal or None,
        measures=measures or None,
        responsible=draft.responsible or None,
        helpers=draft.helpers or None,
        deadline_text=deadline_text,
        deadline=deadline,
        deadline_source=found.source,
        flags=_flags(found),
        targets=targets,
        source_text=source_text,
        source_line=draft.source_line,
        warnings=(*draft.warnings, *warnings),
    )


def _flags(found: _Deadline) -> tuple[str, ...]:
    if found.parsed is None:
        return ("implicit",)
    return found.parsed.flags


_WRITTEN_YEAR = re.compile(
    r"(?<![\d〇零一二三四五六七八九])((?:19|20)\d{2}|[一二][〇零一二三四五六七八九]{3})\s*年"
)
_CN_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")


def _years(text: str) -> set[int]:
    return {int(m.group(1).translate(_CN_DIGITS)) for m in _WRITTEN_YEAR.finditer(fold(text))}


def year_warnings(title: str | None, drafts: list[Draft], year: int) -> list[str]:
    """A document that names another year than the plan's: say where, do not stay silent.

    The title must name the plan year; an item may also name the year before (last year's
    figures) and the year after (an annual report due in January)."""
    lines: dict[int, list[int]] = {}
    for found in sorted(_years(title or "") - {year}):
        lines.setdefault(found, [])
    for draft in drafts:
        text = "\n".join(draft.source_lines) if draft.source_lines else draft.text
        for found in sorted(_years(text) - {year - 1, year, year + 1}):
            lines.setdefault(found, []).append(draft.source_line)
    warnings = []
    for found, at in sorted(lines.items()):
        shown = sorted(set(at))[:5]
        where_zh = "标题" if not shown else "第 " + "、".join(map(str, shown)) + " 行"
        where = "the title" if not shown else "line(s) " + ", ".join(map(str, shown))
        if len(set(at)) > len(shown):
            where_zh, where = where_zh + "等", where + " and more"
        warnings.append(
            bilingual(
                f"文件写的是{found}年（{where_zh}），却按{year}年的计划导入：请核对年份",
                f"the document says {found} ({where}) but is imported as a {year} plan: "
                "check the year",
            )
        )
    return warnings


def finish_plan(
    drafts: list[Draft],
    year: int,
    *,
    title: str | None,
    parts: tuple[str, ...] = (),
    warnings: list[str] | None = None,
    source: str = "document",
) -> ImportedPlan:
    """Freeze the drafts into a plan, or refuse a plan in which no task was found."""
    if not drafts:
        raise document_error(
            source,
            "no_items",
            "没有找到工作任务：应有“1、”“一是”这样编号的任务，或“一、”这样的部分及其下的文字",
            "no task item found (expected numbered items such as 1、 or 一是, "
            "or sections such as 一、 with text under them)",
        )
    check_items(source, len(drafts))
    ordered = sorted(drafts, key=lambda d: d.order)
    items = tuple(finish_item(d, year) for d in ordered)
    warnings = [*(warnings or ()), *year_warnings(title, ordered, year)]
    sections = tuple(dict.fromkeys(item.section for item in items))
    kind = "compilation" if parts else "plan"
    return ImportedPlan(
        title=title,
        kind=kind,
        parts=parts,
        sections=sections,
        items=items,
        fingerprint=fingerprint(title, kind, parts, sections, items),
        warnings=tuple(warnings),
    )
