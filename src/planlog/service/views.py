"""Plain-dict views of plans and items, shared by the CLI's --json and the HTTP API."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from planlog.domain.board import BoardItem, occurrence_document
from planlog.domain.model import Plan, PlanItem
from planlog.domain.organisation import Organisation
from planlog.domain.schedule import Occurrence
from planlog.domain.status import DUE_SOON_DAYS, due_soon_days, light


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


def occurrence_view(
    item: PlanItem, occ: Occurrence, today: date, *, soon_days: int = DUE_SOON_DAYS
) -> dict[str, Any]:
    """The board's occurrence document with the stored status, its light, note and
    evidence."""
    status = item.occurrence_status(occ)
    document = occurrence_document(
        occ, status=status, lit=light(status, occ.due, today, soon_days=soon_days), today=today
    )
    return {**document, "note": occ.note, "evidence": occ.evidence}


def item_view(
    item: PlanItem, today: date, plan: Plan | None = None, *, sent: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The item's document. `sent`: the task it was sent down as and its copies' progress
    (`planlog.domain.board.sent_document`), when the item is a federation's task source."""
    section = None
    if plan is not None and item.section_id is not None:
        section = next((s.title for s in plan.sections if s.section_id == item.section_id), None)
    # The board's rules decide the item's status and next deadline, here as on the board.
    soon_days = due_soon_days(plan.reminder_policy) if plan is not None else DUE_SOON_DAYS
    row = BoardItem.from_item(item)
    row.sent = sent
    upcoming = row.next_deadline(today)
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
        "helpers": d.helpers,
        "targets": [t.to_dict() for t in d.targets],
        "target_lines": [target_display(t.to_dict())["text"] for t in d.targets],
        "deadline_text": item.deadline_text,
        "rrule": item.rrule,
        "soft": item.soft,
        "status": row.status(today, soon_days=soon_days),
        "percent": item.percent,
        "next_due": upcoming.due.isoformat() if upcoming else None,
        "days_overdue": row.days_overdue(today),
        "cancelled": item.cancelled,
        "cancel_reason": item.cancel_reason,
        "occurrences": [
            occurrence_view(item, o, today, soon_days=soon_days) for o in item.ordered_occurrences()
        ],
        "extension_requests": [r.to_dict() for r in item.extension_requests.values()],
        "source": item.source,
        # a union's copy of a federation task (任务下达): its deadlines are the federation's
        # …or the task this item was sent down as, with its copies' progress
        "task_id": str(item.task_id) if item.task_id else (sent["task_id"] if sent else None),
        "sent": sent,
        # every attachment, oldest first (download: GET /api/v1/evidence/{sha256})
        "evidence_files": [dict(f) for f in item.evidence_files],
        "modified_at": item.modified_on.isoformat(),
    }


#: a target's trailing number and unit (新建基层工会800家, 建会率达到80%以上), cut off the label
_TARGET_TAIL = re.compile(
    r"(?:达到|不少于|不低于|超过)?\s*[0-9０-９.,，]+\s*\S{0,3}?(?:以上|以内)?\s*$"
)


def target_display(target: Mapping[str, Any]) -> dict[str, Any]:
    """What a target counts and how far it got: `新建基层工会 50/50家`.

    `label` is the target's text without its trailing number (the thing counted),
    `current` and `value` the numbers (current is None before anyone reported),
    `unit` what is counted in, and `text` the line a page or a ledger shows.
    """
    raw = str(target.get("text") or "").strip()
    # A target read as only its number ("4个") names nothing counted: no label, or the
    # number would be shown twice.
    label = _TARGET_TAIL.sub("", raw).strip()
    value, unit, current = target.get("value"), target.get("unit") or "", target.get("current")
    shown = f"{_number(current)}/{_number(value)}" if current is not None else _number(value)
    return {
        "label": label,
        "current": current,
        "value": value,
        "unit": unit,
        "text": f"{label} {shown}{unit}".strip(),
    }


def _number(value: Any) -> str:
    # Targets are stored as floats; 800.0 reads as 800 in a plan.
    if value is None:
        return "?"
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:g}"


def org_view(org: Organisation) -> dict[str, Any]:
    return {
        "id": str(org.id),
        "name": org.name,
        "parent": org.parent,
        "chair": org.chair,
        "retired": org.retired,
    }
