"""The state of plan items as read models see it, folded from PlanItem events.

The board and the deadline calendar both need an item's current occurrences;
this is the one place that knows how each event changes them. It mirrors the
aggregate's `apply` methods on plain rows (it builds no domain objects, and takes
only the event classes' names from the domain), because a rebuild folds hundreds of
thousands of events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from sys import intern
from typing import Any

from pydantic import Field

from planlog.domain.events import event_name
from planlog.domain.model import (
    REQUEST_APPROVED,
    REQUEST_OPEN,
    REQUEST_REJECTED,
    REQUEST_SUPERSEDED,
    PlanItem,
)
from planlog.domain.status import DONE, FINISHED, IN_PROGRESS, OPEN, SUBMITTED
from planlog.projections.changes import Change
from planlog.projections.payloads import Shape

PLANNED = event_name(PlanItem.Planned)
ITEM_TYPES = frozenset(
    {
        PLANNED,
        event_name(PlanItem.Revised),
        event_name(PlanItem.Rescheduled),
        event_name(PlanItem.Reassigned),
        event_name(PlanItem.ProgressReported),
        event_name(PlanItem.OccurrenceCompleted),
        event_name(PlanItem.OccurrenceBackfilled),
        event_name(PlanItem.OccurrenceReopened),
        event_name(PlanItem.Cancelled),
        event_name(PlanItem.OccurrenceSubmitted),
        event_name(PlanItem.OccurrenceConfirmed),
        event_name(PlanItem.OccurrenceReturned),
        event_name(PlanItem.ExtensionRequested),
        event_name(PlanItem.ExtensionApproved),
        event_name(PlanItem.ExtensionRejected),
        event_name(PlanItem.ExtensionSuperseded),
    }
)


@dataclass(slots=True)
class OccurrenceRow:
    """The read side's one row for an occurrence (`planlog.domain.schedule.Occurrence`
    as stored in `board_occurrences`): plain ISO strings, mutable, because a rebuild
    folds hundreds of thousands of events into these and converts dates only when a
    board is read."""

    due: str
    opens: str | None
    status: str = OPEN
    percent: int = 0
    done_on: str | None = None
    note: str | None = None
    #: the latest extension request (延期申请) about this deadline: its id, the date
    #: asked for, its state (open / approved / rejected / superseded) and the reason given
    request_id: str | None = None
    request_to: str | None = None
    request_status: str | None = None
    request_reason: str | None = None


@dataclass(slots=True)
class ItemRow:
    item_id: str
    plan_id: str
    position: int
    title: str
    section_id: str | None = None
    number: str | None = None
    responsible: str | None = None
    targets: list[dict[str, Any]] = field(default_factory=list)
    deadline_text: str | None = None
    cancelled: bool = False
    version: int = 1
    updated_at: str = ""
    occurrences: dict[str, OccurrenceRow] = field(default_factory=dict)


# What `fold` reads of each event's payload (planlog.projections.payloads): a field it
# reads with `[]` is required, one it reads with `.get()` has a default.


class _Occurrence(Shape):
    due: str
    opens: str | None = None


class _Planned(Shape):
    plan_id: str
    title: str
    section_id: str | None = None
    number: str | None = None
    responsible: str | None = None
    targets: list[dict[str, Any]] | None = None
    deadline_text: str | None = None
    occurrences: list[_Occurrence]


class _Changes(Shape):
    # a revised field is replaced as it is: the title may not become empty, targets
    # stay a list of targets
    title: str = ""
    section_id: str | None = None
    number: str | None = None
    targets: list[dict[str, Any]] = Field(default_factory=list)


class _Revised(Shape):
    changes: _Changes


class _Rescheduled(Shape):
    occurrences: list[_Occurrence]
    deadline_text: str | None = None


class _Reassigned(Shape):
    responsible: str | None = None


class _Progress(Shape):
    occurrence: str | None = None
    percent: int | None = None
    note: str | None = None
    target_index: int | None = None
    target_value: float | None = None


class _Completed(Shape):
    occurrence: str
    done_on: str
    note: str | None = None


class _Reopened(Shape):
    occurrence: str


class _Requested(Shape):
    request_id: str
    occurrence: str
    to: str
    reason: str | None = None


class _Decided(Shape):
    request_id: str
    occurrence: str
    to: str | None = None
    request_reason: str | None = None


ITEM_PAYLOADS: dict[str, type[Shape]] = {
    PLANNED: _Planned,
    event_name(PlanItem.Revised): _Revised,
    event_name(PlanItem.Rescheduled): _Rescheduled,
    event_name(PlanItem.Reassigned): _Reassigned,
    event_name(PlanItem.ProgressReported): _Progress,
    event_name(PlanItem.OccurrenceCompleted): _Completed,
    # a backfill is a completion recorded later: the same payload, the same effect
    event_name(PlanItem.OccurrenceBackfilled): _Completed,
    event_name(PlanItem.OccurrenceReopened): _Reopened,
    # a submission changes the occurrence as a completion does, then waits
    event_name(PlanItem.OccurrenceSubmitted): _Completed,
    event_name(PlanItem.OccurrenceConfirmed): _Reopened,
    event_name(PlanItem.OccurrenceReturned): _Reopened,
    event_name(PlanItem.ExtensionRequested): _Requested,
    event_name(PlanItem.ExtensionApproved): _Decided,
    event_name(PlanItem.ExtensionRejected): _Decided,
    event_name(PlanItem.ExtensionSuperseded): _Decided,
}


def _occurrences(data: list[dict[str, Any]]) -> dict[str, OccurrenceRow]:
    # Dates are interned: a federation's items share a few hundred of them, and a
    # rebuild holds every item of a window in memory (runner.replay).
    return {
        (due := intern(o["due"])): OccurrenceRow(due=due, opens=_day(o.get("opens"))) for o in data
    }


def _day(value: Any) -> Any:
    return intern(value) if type(value) is str else value


def fold(items: dict[str, ItemRow], change: Change) -> ItemRow | None:
    """Apply one PlanItem event to `items`; returns the changed row (None if unknown)."""
    d = change.data
    if change.type == PLANNED:
        row = ItemRow(
            item_id=change.aggregate_id,
            plan_id=d["plan_id"],
            position=change.position,
            title=d["title"],
            section_id=d.get("section_id"),
            number=d.get("number"),
            responsible=d.get("responsible"),
            targets=list(d.get("targets") or []),
            deadline_text=d.get("deadline_text"),
            occurrences=_occurrences(d["occurrences"]),
        )
        items[row.item_id] = row
    else:
        found = items.get(change.aggregate_id)
        if found is None:
            return None
        row = found
        _APPLY[change.type](row, d)
    row.version = change.version
    row.updated_at = change.recorded_at
    return row


def _revised(row: ItemRow, d: dict[str, Any]) -> None:
    for name, value in d["changes"].items():
        if name in ("title", "section_id", "number", "targets"):
            setattr(row, name, value)


def _rescheduled(row: ItemRow, d: dict[str, Any]) -> None:
    kept = {k: o for k, o in row.occurrences.items() if o.status in FINISHED}
    # An occurrence the new schedule keeps keeps its open extension request.
    earlier = row.occurrences
    kept.update(_occurrences(d["occurrences"]))
    for key, occ in kept.items():
        was = earlier.get(key)
        if was is not None and occ is not was and was.request_status == REQUEST_OPEN:
            occ.request_id, occ.request_to = was.request_id, was.request_to
            occ.request_status, occ.request_reason = was.request_status, was.request_reason
    row.occurrences = kept
    row.deadline_text = d.get("deadline_text")


def _reassigned(row: ItemRow, d: dict[str, Any]) -> None:
    row.responsible = d.get("responsible")


def _progress(row: ItemRow, d: dict[str, Any]) -> None:
    key = d.get("occurrence")
    if key is not None and key in row.occurrences:
        occ = row.occurrences[key]
        percent = d.get("percent")
        if percent is not None:
            occ.percent = percent
            if occ.status == OPEN and percent > 0:
                occ.status = IN_PROGRESS
        occ.note = d.get("note") or occ.note
    index = d.get("target_index")
    if index is not None and 0 <= index < len(row.targets):
        row.targets[index] = {**row.targets[index], "current": d.get("target_value")}


def _completed(row: ItemRow, d: dict[str, Any]) -> None:
    occ = row.occurrences.get(d["occurrence"])
    if occ is not None:
        occ.status, occ.done_on = DONE, _day(d["done_on"])
        occ.note = d.get("note") or occ.note


def _reopened(row: ItemRow, d: dict[str, Any]) -> None:
    occ = row.occurrences.get(d["occurrence"])
    if occ is not None:
        occ.status = IN_PROGRESS if occ.percent > 0 else OPEN
        occ.done_on = None


def _submitted(row: ItemRow, d: dict[str, Any]) -> None:
    _completed(row, d)
    occ = row.occurrences.get(d["occurrence"])
    if occ is not None:
        occ.status = SUBMITTED


def _confirmed(row: ItemRow, d: dict[str, Any]) -> None:
    occ = row.occurrences.get(d["occurrence"])
    if occ is not None:
        occ.status = DONE


def _requested(row: ItemRow, d: dict[str, Any]) -> None:
    occ = row.occurrences.get(d["occurrence"])
    if occ is not None:
        occ.request_id, occ.request_to = d["request_id"], d["to"]
        occ.request_status, occ.request_reason = REQUEST_OPEN, d.get("reason")


def _decided(status: str) -> Any:
    def decide(row: ItemRow, d: dict[str, Any]) -> None:
        # An approved request moved its deadline (Rescheduled came first): the outcome is
        # shown on the deadline it moved to; a rejected one stays where it was.
        for occ in row.occurrences.values():
            if occ.request_id == d["request_id"] or (
                status == REQUEST_APPROVED and occ.due == d.get("to")
            ):
                occ.request_id = d["request_id"]
                occ.request_status = status
                if status == REQUEST_APPROVED:
                    occ.request_to, occ.request_reason = occ.due, d.get("request_reason")

    return decide


def _cancelled(row: ItemRow, d: dict[str, Any]) -> None:
    row.cancelled = True


_APPLY = {
    event_name(PlanItem.Revised): _revised,
    event_name(PlanItem.Rescheduled): _rescheduled,
    event_name(PlanItem.Reassigned): _reassigned,
    event_name(PlanItem.ProgressReported): _progress,
    event_name(PlanItem.OccurrenceCompleted): _completed,
    event_name(PlanItem.OccurrenceBackfilled): _completed,
    event_name(PlanItem.OccurrenceReopened): _reopened,
    event_name(PlanItem.Cancelled): _cancelled,
    event_name(PlanItem.OccurrenceSubmitted): _submitted,
    event_name(PlanItem.OccurrenceConfirmed): _confirmed,
    event_name(PlanItem.OccurrenceReturned): _reopened,
    event_name(PlanItem.ExtensionRequested): _requested,
    event_name(PlanItem.ExtensionApproved): _decided(REQUEST_APPROVED),
    event_name(PlanItem.ExtensionRejected): _decided(REQUEST_REJECTED),
    # its deadline is gone (the reschedule before it): closed wherever it is still shown
    event_name(PlanItem.ExtensionSuperseded): _decided(REQUEST_SUPERSEDED),
}
