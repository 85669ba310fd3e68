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
            warnings = [f"{warning}：{exc.message}"]
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
    sections = tuple(dict.fromkeys(item.section for item in items))
    kind = "compilation" if parts else "plan"
    return ImportedPlan(
        title=title,
        kind=kind,
        parts=parts,
        sections=sections,
        items=items,
        fingerprint=fingerprint(title, kind, parts, sections, items),
        warnings=tuple(warnings or ()),
    )
