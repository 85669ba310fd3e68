"""What an import produces: a structured, validated plan that no one has saved yet."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from planlog.domain.errors import PlanlogError
from planlog.importer.normalize import canonical

if TYPE_CHECKING:
    from planlog.deadlines import ParsedDeadline


class DocumentError(PlanlogError):
    """A document that cannot be imported: unreadable, empty, or without any task."""

    code = "invalid_document"


def bilingual(zh: str, en: str) -> str:
    """A message for people, Chinese first with English, as every planlog message."""
    return f"{zh}（{en}）"


def document_error(source: str, problem: str, zh: str, en: str, **details: Any) -> DocumentError:
    """A document that cannot be imported: the message names it and the problem."""
    return DocumentError(
        f"{source}：{bilingual(zh, en)}", source=source, problem=problem, **details
    )


@dataclass(frozen=True)
class Target:
    """A measurable target found in the item text (800家, 80%以上, 50万名)."""

    value: float
    unit: str
    text: str
    comparator: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "unit": self.unit,
            "text": self.text,
            "comparator": self.comparator,
        }


@dataclass(frozen=True)
class ImportedItem:
    """One task of the plan as the document states it."""

    section: str
    number: str
    title: str
    goal: str | None
    measures: str | None
    responsible: str | None
    deadline_text: str | None
    deadline: ParsedDeadline | None
    targets: tuple[Target, ...]
    source_text: str
    source_line: int
    warnings: tuple[str, ...]
    # Where the deadline came from: label (时限:), column (a table's 完成时限), sentence
    # (the task's own text) or implicit (nothing found: due at year end).
    deadline_source: str = "implicit"
    # What a reviewer should check: implicit, soft, ambiguous, next_year, ongoing.
    flags: tuple[str, ...] = ()
    helpers: str | None = None  # a helping unit (配合部门): shown, not stored as an event field

    def to_dict(self) -> dict[str, Any]:
        deadline = self.deadline
        # A helping unit is shown only where a table names one, so the JSON of
        # every other plan keeps exactly its documented keys.
        helpers = {"helpers": self.helpers} if self.helpers else {}
        return {
            "section": self.section,
            "number": self.number,
            "title": self.title,
            "goal": self.goal,
            "measures": self.measures,
            "responsible": self.responsible,
            "deadline_text": self.deadline_text,
            "occurrences": [o.to_dict() for o in deadline.occurrences] if deadline else [],
            "rrule": deadline.rrule if deadline else None,
            "soft": deadline.soft if deadline else False,
            "ambiguous": deadline.ambiguous if deadline else False,
            "targets": [t.to_dict() for t in self.targets],
            "source_line": self.source_line,
            "warnings": list(self.warnings),
            "deadline_source": self.deadline_source,
            "flags": list(self.flags),
            **helpers,
        }


@dataclass(frozen=True)
class ImportedPlan:
    """A whole plan: its sections in order and every item found in them."""

    title: str | None
    kind: str
    parts: tuple[str, ...]
    sections: tuple[str, ...]
    items: tuple[ImportedItem, ...]
    fingerprint: str
    warnings: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "kind": self.kind,
            "parts": list(self.parts),
            "sections": list(self.sections),
            "items": [item.to_dict() for item in self.items],
            "fingerprint": self.fingerprint,
            "warnings": list(self.warnings),
        }


def fingerprint(
    title: str | None,
    kind: str,
    parts: tuple[str, ...],
    sections: tuple[str, ...],
    items: tuple[ImportedItem, ...],
) -> str:
    """Hash what the plan says, not how the file stores it.

    Line numbers, warnings and the plan year are left out, and text is folded to
    one character form, so re-saving a document, converting it to another format
    or importing it for another year does not make it look like a new plan.
    """

    def c(text: str | None) -> str | None:
        return None if text is None else canonical(text)

    content = {
        "title": c(title),
        "kind": kind,
        "parts": [c(p) for p in parts],
        "sections": [c(s) for s in sections],
        "items": [
            [
                c(i.section),
                c(i.number),
                c(i.title),
                c(i.goal),
                c(i.measures),
                c(i.responsible),
                c(i.deadline_text),
                [[t.value, t.unit, t.comparator] for t in i.targets],
            ]
            for i in items
        ],
    }
    blob = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
