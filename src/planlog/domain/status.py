"""Traffic lights: the status of open work evaluated against a given day. Pure."""

from __future__ import annotations

from datetime import date

from planlog.domain.model import CANCELLED, DONE, IN_PROGRESS, OPEN, OccurrenceState, PlanItem

DUE_SOON = "due_soon"
OVERDUE = "overdue"
DUE_SOON_DAYS = 3  # the supervision systems' yellow light: due within three days

ALL_STATUSES = (OPEN, IN_PROGRESS, DUE_SOON, OVERDUE, DONE, CANCELLED)


def light(status: str, due: date, today: date) -> str:
    """`overdue` (red) and `due_soon` (yellow) override open work; done and cancelled stay."""
    if status in (DONE, CANCELLED):
        return status
    if due < today:
        return OVERDUE
    if (due - today).days <= DUE_SOON_DAYS:
        return DUE_SOON
    return status


def occurrence_light(item: PlanItem, occ: OccurrenceState, today: date) -> str:
    return light(item.occurrence_status(occ), occ.due, today)
