"""Traffic lights: the status of open work evaluated against a given day. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from planlog.domain.policy import ReminderPolicy
from planlog.domain.values import InvalidValue

if TYPE_CHECKING:  # the model imports these statuses; it is needed here for types only
    from planlog.domain.model import PlanItem
    from planlog.domain.schedule import Occurrence

#: The stored status of an occurrence. An item's own status is one of these too, and
#: `cancelled` stands for every open occurrence of a cancelled item.
OPEN = "open"
IN_PROGRESS = "in_progress"
DONE = "done"
CANCELLED = "cancelled"
#: Completed by the responsible person on a plan with sign-off (办结审核) on, waiting for
#: the chair to confirm it (then `done`) or return it (then open again). Nobody chases a
#: submitted occurrence: the work is reported finished.
SUBMITTED = "submitted"
#: The responsible person's work is finished: done, or submitted for sign-off.
FINISHED = frozenset({DONE, SUBMITTED})

DUE_SOON = "due_soon"
OVERDUE = "overdue"
#: an item of a federation's plan sent down to its unions (任务下达) with deadlines still
#: open: the unions' copies are chased, so the item itself is neither late nor due
SENT = "sent"
#: The yellow light starts with the first reminder (the longest lead), so the light and
#: the first reminder say the same thing: the default policy's 7 days when no plan is at
#: hand (a workload list, a calendar), the plan's own first lead on its board
#: (`due_soon_days`). It was once a separate 3 days that no reminder matched.
DUE_SOON_DAYS = max(ReminderPolicy().lead_days)

#: every status an item can show on a board, in the order a board's filter offers them
ALL_STATUSES = (OPEN, IN_PROGRESS, DUE_SOON, OVERDUE, SENT, SUBMITTED, DONE, CANCELLED)


def light(status: str, due: date, today: date, *, soon_days: int = DUE_SOON_DAYS) -> str:
    """`overdue` (red) and `due_soon` (yellow, from `soon_days` before the due date)
    override open work; done, submitted and cancelled stay."""
    if status in (DONE, SUBMITTED, CANCELLED):
        return status
    if due < today:
        return OVERDUE
    if (due - today).days <= soon_days:
        return DUE_SOON
    return status


def due_soon_days(policy_overrides: Mapping[str, Any] | None) -> int:
    """The plan's yellow light: its first (longest) reminder lead, 7 days by default.

    A policy stored before the bounds of `planlog.domain.policy` existed may no longer
    validate; the board must still show, so such a policy lights from the default lead.
    """
    try:
        policy = ReminderPolicy.from_dict(policy_overrides or {})
    except InvalidValue:
        policy = ReminderPolicy()
    return max(policy.lead_days, default=DUE_SOON_DAYS)


def days_overdue(status: str, due: date, today: date, done_on: date | None = None) -> int:
    """How many days late an occurrence is: open work counts until today, done work
    until the day it was done (or submitted); 0 when it is on time (or cancelled)."""
    if status == CANCELLED:
        return 0
    end = done_on if status in FINISHED else today
    if end is None:
        return 0
    return max((end - due).days, 0)


def occurrence_light(item: PlanItem, occ: Occurrence, today: date) -> str:
    return light(item.occurrence_status(occ), occ.due, today)


def percent_done(done: int, occurrences: int) -> int:
    """Occurrences done, in whole percent of the occurrences (0 without any): the one
    completion figure of a board, a rollup and a ranking."""
    return round(100 * done / occurrences) if occurrences else 0
