"""Plain-dict views of plans and items, shared by the CLI's --json and the HTTP API."""

from __future__ import annotations

from datetime import date
from typing import Any

from planlog.domain.board import BoardItem, occurrence_document
from planlog.domain.model import Plan, PlanItem
from planlog.domain.organisation import Organisation
from planlog.domain.schedule import Occurrence
from planlog.domain.status import occurrence_light


def plan_view(plan: Plan) -> dict[str, Any]:
    return {
        "id": str(plan.id),
        "org": plan.org,
        "year": plan.year,
        "title": plan.title,
        "version": plan.version,
        "sections": [{"id": s.section_id, "title": s.title} for s in plan.sections],
        "items": len(plan.item_ids),
        "created_at": plan.created_on.isoformat(),
        "source": plan.source,
    }


def occurrence_view(item: PlanItem, occ: Occurrence, today: date) -> dict[str, Any]:
    """The board's occurrence document with the stored status, its light, note and
    evidence."""
    document = occurrence_document(
        occ, status=item.occurrence_status(occ), lit=occurrence_light(item, occ, today)
    )
    return {**document, "note": occ.note, "evidence": occ.evidence}


def item_view(item: PlanItem, today: date, plan: Plan | None = None) -> dict[str, Any]:
    section = None
    if plan is not None and item.section_id is not None:
        section = next((s.title for s in plan.sections if s.section_id == item.section_id), None)
    # The board's rules decide the item's status and next deadline, here as on the board.
    row = BoardItem.from_item(item)
    upcoming = row.next_open()
    d = item.details
    return {
        "id": str(item.id),
        "plan_id": str(item.plan_id),
        "version": item.version,
        "section_id": item.section_id,
        "section": section,
        "number": d.number,
        "title": d.title,
        "goal": d.goal,
        "measures": d.measures,
        "responsible": d.responsible,
        "targets": [t.to_dict() for t in d.targets],
        "deadline_text": item.deadline_text,
        "rrule": item.rrule,
        "soft": item.soft,
        "status": row.status(today),
        "percent": item.percent,
        "next_due": upcoming.due.isoformat() if upcoming else None,
        "cancelled": item.cancelled,
        "cancel_reason": item.cancel_reason,
        "occurrences": [occurrence_view(item, o, today) for o in item.ordered_occurrences()],
        "source": item.source,
        "modified_at": item.modified_on.isoformat(),
    }


def org_view(org: Organisation) -> dict[str, Any]:
    return {"id": str(org.id), "name": org.name, "parent": org.parent, "chair": org.chair}
