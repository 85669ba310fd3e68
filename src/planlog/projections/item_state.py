"""The state of plan items as read models see it, folded from PlanItem events.

The board and the deadline calendar both need an item's current occurrences;
this is the one place that knows how each event changes them. It mirrors the
aggregate's `apply` methods on plain rows (no domain objects), because a
rebuild folds hundreds of thousands of events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from planlog.projections.changes import Change

ITEM_TYPES = frozenset(
    {
        "PlanItem.Planned",
        "PlanItem.Revised",
        "PlanItem.Rescheduled",
        "PlanItem.Reassigned",
        "PlanItem.ProgressReported",
        "PlanItem.OccurrenceCompleted",
        "PlanItem.OccurrenceReopened",
        "PlanItem.Cancelled",
    }
)


@dataclass(slots=True)
class OccurrenceRow:
    due: str
    opens: str | None
    status: str = "open"
    percent: int = 0
    done_on: str | None = None
    note: str | None = None


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


def _occurrences(data: list[dict[str, Any]]) -> dict[str, OccurrenceRow]:
    return {o["due"]: OccurrenceRow(due=o["due"], opens=o.get("opens")) for o in data}


def fold(items: dict[str, ItemRow], change: Change) -> ItemRow | None:
    """Apply one PlanItem event to `items`; returns the changed row (None if unknown)."""
    d = change.data
    if change.type == "PlanItem.Planned":
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
    kept = {k: o for k, o in row.occurrences.items() if o.status == "done"}
    kept.update(_occurrences(d["occurrences"]))
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
            if occ.status == "open" and percent > 0:
                occ.status = "in_progress"
        occ.note = d.get("note") or occ.note
    index = d.get("target_index")
    if index is not None and 0 <= index < len(row.targets):
        row.targets[index] = {**row.targets[index], "current": d.get("target_value")}


def _completed(row: ItemRow, d: dict[str, Any]) -> None:
    occ = row.occurrences.get(d["occurrence"])
    if occ is not None:
        occ.status, occ.done_on = "done", d["done_on"]
        occ.note = d.get("note") or occ.note


def _reopened(row: ItemRow, d: dict[str, Any]) -> None:
    occ = row.occurrences.get(d["occurrence"])
    if occ is not None:
        occ.status = "in_progress" if occ.percent > 0 else "open"
        occ.done_on = None


def _cancelled(row: ItemRow, d: dict[str, Any]) -> None:
    row.cancelled = True


_APPLY = {
    "PlanItem.Revised": _revised,
    "PlanItem.Rescheduled": _rescheduled,
    "PlanItem.Reassigned": _reassigned,
    "PlanItem.ProgressReported": _progress,
    "PlanItem.OccurrenceCompleted": _completed,
    "PlanItem.OccurrenceReopened": _reopened,
    "PlanItem.Cancelled": _cancelled,
}
