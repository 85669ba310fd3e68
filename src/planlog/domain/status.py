"""Traffic lights: the status of open work evaluated against a given day. Pure."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the model imports these statuses; it is needed here for types only
    from planlog.domain.model import PlanItem
    from planlog.domain.schedule import Occurrence

#: The stored status of an occurrence. An item's own status is one of these too, and
#: `cancelled` stands for every open occurrence of a cancelled item.
OPEN = "open"
IN_PROGRESS = "in_progress"
DONE = "done"
CANCELLED = "cancelled"

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


def occurrence_light(item: PlanItem, occ: Occurrence, today: date) -> str:
    return light(item.occurrence_status(occ), occ.due, today)
