"""The progress board of one plan, evaluated against a given day. Pure.

Both the live board (from the board projection's rows) and the auditor's board
as of a past moment (from replayed aggregates) end in this one shape.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from planlog.domain.model import (
    REQUEST_APPROVED,
    REQUEST_OPEN,
    REQUEST_SUPERSEDED,
    Plan,
    PlanItem,
)
from planlog.domain.schedule import Occurrence, overall_percent
from planlog.domain.status import (
    CANCELLED,
    DONE,
    DUE_SOON,
    DUE_SOON_DAYS,
    FINISHED,
    IN_PROGRESS,
    OPEN,
    OVERDUE,
    SENT,
    SUBMITTED,
    days_overdue,
    due_soon_days,
    light,
    percent_done,
)

TOTAL_KEYS = ("done", "submitted", "overdue", "due_soon", "open", "in_progress")


def request_document(
    request_id: str | None, to: str | None, status: str | None, reason: str | None
) -> dict[str, Any] | None:
    """The latest extension request (延期申请) about a deadline, as the board shows it."""
    if request_id is None:
        return None
    return {"id": request_id, "to": to, "status": status, "reason": reason}


def item_requests(item: PlanItem) -> dict[str, dict[str, Any]]:
    """Each deadline's latest extension request: an open or rejected one where it was
    asked, an approved one on the deadline it moved to."""
    found: dict[str, dict[str, Any]] = {}
    for request in item.extension_requests.values():
        if request.status == REQUEST_SUPERSEDED:
            continue  # its deadline went away; one later put back on that day is a new one
        approved = request.status == REQUEST_APPROVED
        key = request.to.isoformat() if approved else request.occurrence
        if key in item.occurrences:
            found[key] = (
                request_document(
                    request.request_id, request.to.isoformat(), request.status, request.reason
                )
                or {}
            )
    return found


def occurrence_document(
    occ: Occurrence, *, status: str, lit: str | None = None, today: date | None = None
) -> dict[str, Any]:
    """One occurrence as the board and the item view show it (their JSON contract).

    The board's `status` is the light of the day; the item view's `status` is the
    stored one and it adds the light (`lit`), and its note and evidence, beside it.
    Given `today`, it says how many days late the occurrence is (`days_overdue`: open
    work until today, done work until the day it was done, 0 when on time).
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
    if today is not None:
        document["days_overdue"] = days_overdue(occ.status, occ.due, today, occ.done_on)
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
    #: due date → the latest extension request about that deadline (`request_document`)
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the task this item was sent down as (任务下达) and its copies' progress
    #: (`sent_document`); None for an item not sent down
    sent: dict[str, Any] | None = None
    #: the task this item is a union's copy of (上级下达): its deadlines are the
    #: federation's to move; None for the union's own items
    from_task: str | None = None

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
            requests=item_requests(item),
            from_task=str(item.task_id) if item.task_id else None,
        )

    @property
    def open_requests(self) -> int:
        return sum(1 for r in self.requests.values() if r.get("status") == REQUEST_OPEN)

    @property
    def percent(self) -> int:
        return overall_percent(self.occurrences)

    def status(self, today: date, *, soon_days: int = DUE_SOON_DAYS) -> str:
        """The item's light: red while any deadline is missed, else the light of the next
        deadline; work already done on an item (an earlier quarter done, progress
        reported) makes its next deadline "in progress", not "open" (未开始)."""
        if self.cancelled:
            return CANCELLED
        if self.sent is not None and self.next_open() is not None:
            return SENT
        open_ones = [o for o in self.occurrences if o.status not in FINISHED]
        if not open_ones:
            # Finished by the responsible person; done only once every one is signed off.
            if any(o.status == SUBMITTED for o in self.occurrences):
                return SUBMITTED
            return DONE if self.occurrences else OPEN
        if any(o.due < today for o in open_ones):
            return OVERDUE
        upcoming = open_ones[0]
        lit = light(upcoming.status, upcoming.due, today, soon_days=soon_days)
        if lit == OPEN and any(o.status in FINISHED or o.percent > 0 for o in self.occurrences):
            return IN_PROGRESS
        return lit

    def next_open(self) -> Occurrence | None:
        """The earliest occurrence not done, missed or not (what a completion applies to)."""
        if self.cancelled:
            return None
        return next((o for o in self.occurrences if o.status not in FINISHED), None)

    def next_deadline(self, today: date) -> Occurrence | None:
        """The earliest open deadline not yet missed: missed ones are overdue, not next."""
        if self.cancelled:
            return None
        return next(
            (o for o in self.occurrences if o.status not in FINISHED and o.due >= today), None
        )

    def days_overdue(self, today: date) -> int:
        """How late the item's oldest missed open deadline is (0 if none is missed, or if
        the item was sent down: its unions' copies are the late ones)."""
        if self.cancelled or self.sent is not None:
            return 0
        return max(
            (
                days_overdue(o.status, o.due, today)
                for o in self.occurrences
                if o.status not in FINISHED
            ),
            default=0,
        )

    def overdue_count(self, today: date) -> int:
        if self.cancelled or self.sent is not None:
            return 0
        return sum(1 for o in self.occurrences if o.status not in FINISHED and o.due < today)


def build_board(
    plan: dict[str, Any],
    sections: list[dict[str, str]],
    items: list[BoardItem],
    today: date,
    *,
    soon_days: int = DUE_SOON_DAYS,
) -> dict[str, Any]:
    """The board document of the CLI and API contract.

    `soon_days` is when the yellow light starts: the plan's first reminder lead
    (`planlog.domain.status.due_soon_days`), given by whoever read the plan.
    """
    totals: Counter[str] = Counter()
    per_section: dict[str | None, Counter[str]] = {s["id"]: Counter() for s in sections}
    rows = []
    for item in items:
        status = item.status(today, soon_days=soon_days)
        lights = [light(o.status, o.due, today, soon_days=soon_days) for o in item.occurrences]
        if item.sent is not None:
            # its open deadlines are the unions' to meet: counted as sent down, not as late
            lights = [lit if lit in FINISHED or lit == CANCELLED else SENT for lit in lights]
        if status == IN_PROGRESS:
            # The item's next deadline is in progress, as the item is listed
            # (`BoardItem.status`: an earlier half done makes the next one 进行中, not
            # 未开始, issue 14): its light says so, and the 进行中 tile, which counts
            # the lights, agrees with what the 进行中 filter lists.
            upcoming_open = item.next_open()
            lights = [
                IN_PROGRESS if o is upcoming_open and lit == OPEN else lit
                for o, lit in zip(item.occurrences, lights, strict=True)
            ]
        section_counts = per_section.setdefault(item.section_id, Counter())
        for counts in (totals, section_counts):
            counts["items"] += 1
            if item.cancelled:
                counts["cancelled"] += 1
                continue
            counts["occurrences"] += len(lights)
            counts.update(lights)
            counts["requests_open"] += item.open_requests
            if item.sent is not None:
                # its unions' to meet: left out of the completion, done ones too
                counts["sent_occurrences"] += len(lights)
                counts["sent_done"] += lights.count(DONE)
        upcoming = item.next_deadline(today)
        rows.append(
            {
                "id": item.id,
                "title": item.title,
                "section_id": item.section_id,
                "number": item.number,
                "responsible": item.responsible,
                "status": status,
                "percent": item.percent,
                "next_due": upcoming.due.isoformat() if upcoming else None,
                "days_overdue": item.days_overdue(today),
                "overdue": item.overdue_count(today),
                "targets": item.targets,
                "version": item.version,
                "requests_open": item.open_requests,
                # sent down as a task (任务下达): the task and its copies' progress
                "task_id": item.sent["task_id"] if item.sent else None,
                "sent": item.sent,
                "from_task": item.from_task,
                "occurrences": [
                    {
                        **occurrence_document(o, status=lit, today=today),
                        "note": o.note,
                        "request": item.requests.get(o.key),
                    }
                    for o, lit in zip(item.occurrences, lights, strict=True)
                ],
            }
        )
    return {
        "plan": plan,
        "today": today.isoformat(),
        "due_soon_days": soon_days,
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


def sent_document(status: dict[str, Any]) -> dict[str, Any]:
    """What the board says of an item sent down, from its task's status
    (`planlog.projections.tasks.task_status`): the task and how its copies stand."""
    return {
        "task_id": status["task_id"],
        "copies": status["copies"],
        **{k: status[k] for k in (DONE, SUBMITTED, OVERDUE, OPEN)},
    }


def _totals(counts: Counter[str]) -> dict[str, Any]:
    occurrences = counts["occurrences"]
    # "open" is every open occurrence that is not red or yellow, started or not.
    result = {
        "items": counts["items"],
        "occurrences": occurrences,
        "done": counts[DONE],
        # completed by the responsible person, awaiting the chair's sign-off: not done
        "submitted": counts[SUBMITTED],
        "requests_open": counts["requests_open"],
        "overdue": counts[OVERDUE],
        "due_soon": counts[DUE_SOON],
        "open": counts[OPEN] + counts[IN_PROGRESS],
        "in_progress": counts[IN_PROGRESS],
        # open deadlines of items sent down to the unions: their copies carry them
        "sent": counts[SENT],
        "cancelled": counts["cancelled"],
        # Of the deadlines the plan's own organisation is to meet: an item sent down is
        # done through its unions' copies, which count in their own figures, so none of
        # its deadlines count here, as the rollup leaves them out; counted, a city that
        # sent its tasks down read 0 % however far its unions were. `counted` says how
        # many deadlines the figure is of (0: nothing of the plan's own, shown as —).
        "counted": occurrences - counts["sent_occurrences"],
        "percent_done": percent_done(
            counts[DONE] - counts["sent_done"], occurrences - counts["sent_occurrences"]
        ),
    }
    return result


def counted_deadlines(totals: Mapping[str, Any]) -> int:
    """How many deadlines a board's (or a section's) completion is of (totals from
    before `counted` existed: all of them)."""
    return int(totals.get("counted", totals.get("occurrences", 0)))


def counted_percent(totals: Mapping[str, Any]) -> int | None:
    """A board's (or a section's, a rollup's) completion, None when none of its deadlines
    is counted (a plan sent down whole, a union with none yet): 0 % would say nothing
    was done. What every door's bar and figure are drawn from."""
    return int(totals["percent_done"]) if counted_deadlines(totals) else None


def completion_shown(totals: Mapping[str, Any]) -> str:
    """A completion as people read it: "50%", or "—" when no deadline is counted."""
    percent = counted_percent(totals)
    return f"{percent}%" if percent is not None else "—"


def replayed_sent_document(task_id: str, copies: int) -> dict[str, Any]:
    """What a replayed board (as of a day, the ledger) says of an item sent down: the
    task and how many unions hold a copy. How the copies stood is not replayed (that is
    every union's log): their counts are None."""
    return {"task_id": task_id, "copies": copies, **dict.fromkeys((DONE, SUBMITTED, OVERDUE, OPEN))}


def board_from_aggregates(
    plan: Plan,
    items: list[PlanItem],
    today: date,
    sent: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The board replayed from the aggregates; `sent`: item id → `replayed_sent_document`
    of the items sent down by then, lit and counted as the live board does."""
    head = {"id": str(plan.id), "org": plan.org, "year": plan.year, "title": plan.title}
    sections = [{"id": s.section_id, "title": s.title} for s in plan.sections]
    rows = [BoardItem.from_item(i) for i in items]
    for row in rows:
        row.sent = (sent or {}).get(row.id)
    return build_board(head, sections, rows, today, soon_days=due_soon_days(plan.reminder_policy))
