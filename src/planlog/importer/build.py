"""From what a reader found (drafts) to the validated, frozen result.

Every format reader (text, docx, xlsx, YAML) produces `Draft`s; the rules that do
not depend on the format live here: titles, targets, reading deadlines, the
fingerprint and the refusal of a plan without tasks.
"""

from __future__ import annotations

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
from planlog.importer.phrases import deadline_phrases, short_title
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
    targets: tuple[Target, ...] | None = None  # stated explicitly (YAML)
    warnings: list[str] = field(default_factory=list)

    def append(self, text: str) -> None:
        self.text = f"{self.text}\n{text}" if self.text else text
        self.source_lines.append(text)


def read_deadline(text: str, year: int) -> ParsedDeadline:
    """parse_deadline, named here so every reader reports the same way."""
    return parse_deadline(text, year)


def _deadline(draft: Draft, year: int) -> tuple[str | None, ParsedDeadline | None, list[str]]:
    if draft.deadline_text:
        try:
            return draft.deadline_text, read_deadline(draft.deadline_text, year), []
        except DeadlineError as exc:
            return (
                draft.deadline_text,
                None,
                [
                    bilingual(
                        f"无法识别时限“{draft.deadline_text}”",
                        f"时限 '{draft.deadline_text}' could not be read: {exc}",
                    )
                ],
            )
    # A phrase in running text is only a guess: an unreadable one is dropped quietly.
    for phrase in deadline_phrases(draft.text):
        try:
            return phrase, read_deadline(phrase, year), []
        except DeadlineError:
            continue
    return None, None, []


def finish_item(draft: Draft, year: int) -> ImportedItem:
    deadline_text, deadline, warnings = _deadline(draft, year)
    if draft.targets is not None:
        targets = draft.targets
    else:
        scanned = draft.text
        if draft.item_goal and draft.goal:
            scanned = f"{draft.goal}\n{scanned}"
        targets = find_targets(scanned)
    measures = draft.measures if draft.measures is not None else (draft.text or None)
    title = short_title(draft.title or draft.text) or draft.number
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
        targets=targets,
        source_text=source_text,
        source_line=draft.source_line,
        warnings=(*draft.warnings, *warnings),
    )


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
