"""Workload: open, due-soon and overdue occurrences per responsible person of each
organisation (two unions' 工会办公室 are two offices, not one).

A query over the deadline calendar: who carries what is the calendar seen
from the people's side, so it has no table of its own to drift out of step.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy.engine import Connection

from planlog.domain.status import DUE_SOON, OVERDUE, light
from planlog.projections.calendar import open_deadlines

UNASSIGNED = "（未指定）"


def workload(
    conn: Connection,
    today: date,
    *,
    plan_id: str | None = None,
    org: str | None = None,
    below: bool = False,
) -> list[dict[str, Any]]:
    people: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"open": 0, "due_soon": 0, "overdue": 0, "next_due": None}
    )
    for deadline in open_deadlines(conn, plan_id=plan_id, org=org, below=below):
        person = people[(deadline.org, deadline.responsible or UNASSIGNED)]
        person["open"] += 1
        lit = light(deadline.status, deadline.due, today)
        if lit == OVERDUE:
            person["overdue"] += 1
        elif lit == DUE_SOON:
            person["due_soon"] += 1
        if lit != OVERDUE and person["next_due"] is None:
            person["next_due"] = deadline.due.isoformat()
    return sorted(
        (
            {"responsible": name, "org": union, **figures}
            for (union, name), figures in people.items()
        ),
        key=lambda p: (-p["overdue"], -p["open"], p["org"], p["responsible"]),
    )
