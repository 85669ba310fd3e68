"""The progress board of one plan, evaluated against a given day. Pure.

Both the live board (from the board projection's rows) and the auditor's board
as of a past moment (from replayed aggregates) end in this one shape.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from planlog.domain.model import Plan, PlanItem
from planlog.domain.schedule import Occurrence, overall_percent
from planlog.domain.status import CANCELLED, DONE, DUE_SOON, IN_PROGRESS, OPEN, OVERDUE, light

TOTAL_KEYS = ("done", "overdue", "due_soon", "open", "in_progress")


def occurrence_document(occ: Occurrence, *, status: str, lit: str | None = None) -> dict[str, Any]:
    """One occurrence as the board and the item view show it (their JSON contract).

    The board's `status` is the light of the day; the item view's `status` is the
    stored one and it adds the light (`lit`), and its note and evidence, beside it.
    """
    document: dict[str, Any] = {
        "opens": occ.opens.isoformat() if occ.opens else None,
        "due": occ.key,
        "status": status,
    }
    if lit is not None:
        document["light"] = lit
    document["percent"] = occ.shown_percent
    document["done_on"] = occ.done_on.isoformat() if occ.done_on else None
    return document


@dataclass
class BoardItem:
    """One row of the board, whether read from the projection or from a replayed item."""

    id: str
    title: str
    section_id: str | None
    number: str | None
    responsible: str | None
    cancelled: bool
    #: in due order; an open occurrence of a cancelled item has the status `cancelled`
    occurrences: list[Occurrence] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)
    version: int = 0

    @classmethod
    def from_item(cls, item: PlanItem) -> BoardItem:
        return cls(
            id=str(item.id),
            title=item.title,
            section_id=item.section_id,
            number=item.details.number,
            responsible=item.responsible,
            cancelled=item.cancelled,
            occurrences=[
                replace(o, status=item.occurrence_status(o)) for o in item.ordered_occurrences()
            ],
            targets=[t.to_dict() for t in item.details.targets],
            version=item.version,
        )

    @property
    def percent(self) -> int:
        return overall_percent(self.occurrences)

    def status(self, today: date) -> str:
        if self.cancelled:
            return CANCELLED
        upcoming = self.next_open()
        if upcoming is None:
            return DONE if self.occurrences else OPEN
        return light(upcoming.status, upcoming.due, today)

    def next_open(self) -> Occurrence | None:
        if self.cancelled:
            return None
        return next((o for o in self.occurrences if o.status != DONE), None)


def build_board(
    plan: dict[str, Any],
    sections: list[dict[str, str]],
    items: list[BoardItem],
    today: date,
) -> dict[str, Any]:
    """The board document of the CLI and API contract."""
    totals: Counter[str] = Counter()
    per_section: dict[str | None, Counter[str]] = {s["id"]: Counter() for s in sections}
    rows = []
    for item in items:
        lights = [light(o.status, o.due, today) for o in item.occurrences]
        section_counts = per_section.setdefault(item.section_id, Counter())
        for counts in (totals, section_counts):
            counts["items"] += 1
            if item.cancelled:
                counts["cancelled"] += 1
                continue
            counts["occurrences"] += len(lights)
            counts.update(lights)
        upcoming = item.next_open()
        rows.append(
            {
                "id": item.id,
                "title": item.title,
                "section_id": item.section_id,
                "number": item.number,
                "responsible": item.responsible,
                "status": item.status(today),
                "percent": item.percent,
                "next_due": upcoming.due.isoformat() if upcoming else None,
                "targets": item.targets,
                "version": item.version,
                "occurrences": [
                    occurrence_document(o, status=lit)
                    for o, lit in zip(item.occurrences, lights, strict=True)
                ],
            }
        )
    return {
        "plan": plan,
        "today": today.isoformat(),
        "totals": _totals(totals),
        "sections": [
            {"id": s["id"], "title": s["title"], **_totals(per_section[s["id"]])} for s in sections
        ]
        + (
            [{"id": None, "title": None, **_totals(per_section[None])}]
            if per_section.get(None)
            else []
        ),
        "items": rows,
    }


def _totals(counts: Counter[str]) -> dict[str, Any]:
    occurrences = counts["occurrences"]
    # "open" is every open occurrence that is not red or yellow, started or not.
    result = {
        "items": counts["items"],
        "occurrences": occurrences,
        "done": counts[DONE],
        "overdue": counts[OVERDUE],
        "due_soon": counts[DUE_SOON],
        "open": counts[OPEN] + counts[IN_PROGRESS],
        "in_progress": counts[IN_PROGRESS],
        "cancelled": counts["cancelled"],
        "percent_done": round(100 * counts[DONE] / occurrences) if occurrences else 0,
    }
    return result


def board_from_aggregates(plan: Plan, items: list[PlanItem], today: date) -> dict[str, Any]:
    head = {"id": str(plan.id), "org": plan.org, "year": plan.year, "title": plan.title}
    sections = [{"id": s.section_id, "title": s.title} for s in plan.sections]
    return build_board(head, sections, [BoardItem.from_item(i) for i in items], today)
