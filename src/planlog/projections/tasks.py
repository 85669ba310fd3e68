"""Federation tasks (任务下达) as the read side keeps them: each task, and which union holds
which copy. A copy's status is not stored: it is read from the board's rows of the copy
when asked, so the task's figures are never out of step with the unions' boards (like
the rollup's).

Per union, a copy is
- `done` when every occurrence of it is done,
- `submitted` when nothing is overdue and what is not done is submitted for sign-off,
- `overdue` when an occurrence not done is past due on the day asked,
- `open` otherwise: not done, not submitted, not overdue (a copy not projected onto the
  board yet counts as open).
A cancelled copy is `cancelled` and counts in none of done / submitted / overdue / open, so
those four add up to the copies not cancelled. (The rollup's `open` is another figure: it
counts deadlines not done, overdue ones included; see planlog.projections.rollup.)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date
from typing import Any, ClassVar

from sqlalchemy import Column, Integer, String, Table, Text, select
from sqlalchemy.engine import Connection

from planlog.domain.board import sent_document
from planlog.domain.events import event_name
from planlog.domain.status import CANCELLED, DONE, FINISHED, OPEN, OVERDUE, SUBMITTED
from planlog.domain.task import FederationTask
from planlog.projections.base import ReadModel, metadata
from planlog.projections.board import board_items, board_occurrences
from planlog.projections.bulk import insert_rows
from planlog.projections.changes import Change
from planlog.projections.payloads import Shape, Shapes

tasks = Table(
    "tasks",
    metadata,
    Column("task_id", String(36), primary_key=True),
    Column("org", Text, nullable=False, index=True),
    Column("source_item_id", String(36), nullable=False),
    Column("year", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("sent_at", String(40), nullable=False),
)

task_copies = Table(
    "task_copies",
    metadata,
    Column("task_id", String(36), primary_key=True),
    Column("org", Text, primary_key=True),
    Column("item_id", String(36), nullable=False, unique=True),
)

SENT = event_name(FederationTask.Sent)
COPIES_MADE = event_name(FederationTask.CopiesMade)

_ORDER = {OVERDUE: 0, OPEN: 1, SUBMITTED: 2, DONE: 3, CANCELLED: 4}


class _Sent(Shape):
    org: str
    source_item_id: str
    year: int
    title: str


class _CopiesMade(Shape):
    copies: dict[str, str]


class TasksProjection(ReadModel):
    name = "tasks"
    cost = 0.1  # see ReadModel.cost
    tables = (tasks, task_copies)
    types = frozenset({SENT, COPIES_MADE})
    payloads: ClassVar[Shapes] = {SENT: _Sent, COPIES_MADE: _CopiesMade}

    def apply(self, conn: Connection, changes: list[Change]) -> None:
        for change in changes:
            d = change.data
            if change.type == SENT:
                insert_rows(
                    conn,
                    tasks,
                    [
                        (
                            change.aggregate_id,
                            d["org"],
                            d["source_item_id"],
                            d["year"],
                            d["title"],
                            change.recorded_at,
                        )
                    ],
                )
            else:
                rows = [(change.aggregate_id, org, item) for org, item in d["copies"].items()]
                insert_rows(conn, task_copies, rows)


def copy_status(occurrences: list[tuple[str, str]], cancelled: bool, today: date) -> str:
    """One copy's status from its occurrences' (status, due) on `today` (see the module)."""
    if cancelled:
        return CANCELLED
    day = today.isoformat()
    if any(s not in FINISHED and due < day for s, due in occurrences):
        return OVERDUE
    if occurrences and all(s == DONE for s, _ in occurrences):
        return DONE
    if occurrences and all(s in FINISHED for s, _ in occurrences):
        return SUBMITTED
    return OPEN


def task_row(conn: Connection, task_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(tasks).where(tasks.c.task_id == task_id)).first()
    return dict(row._mapping) if row is not None else None


def task_status(
    conn: Connection, task_id: str, today: date, orgs: Collection[str] | None = None
) -> dict[str, Any] | None:
    """The task's figures and, per union, its copy's status; None for an unknown task.
    `orgs`: only those unions' copies (a union sees its own, a district its unions')."""
    task = task_row(conn, task_id)
    if task is None:
        return None
    c, i, o = task_copies.c, board_items.c, board_occurrences.c
    query = (
        select(c.org, c.item_id, i.cancelled, o.status, o.due)
        .select_from(task_copies)
        .outerjoin(board_items, i.item_id == c.item_id)
        .outerjoin(board_occurrences, o.item_position == i.position)
        .where(c.task_id == task_id)
    )
    copies: dict[str, dict[str, Any]] = {}
    occurrences: dict[str, list[tuple[str, str]]] = defaultdict(list)
    wanted = None if orgs is None else set(orgs)
    for org, item_id, cancelled, occ_status, due in conn.execute(query):
        if wanted is not None and org not in wanted:
            continue
        copies.setdefault(org, {"org": org, "item_id": item_id, "cancelled": bool(cancelled)})
        if due is not None:
            occurrences[org].append((occ_status, due))
    unions = [
        {
            "org": org,
            "status": copy_status(occurrences[org], copy["cancelled"], today),
            "item_id": copy["item_id"],
        }
        for org, copy in copies.items()
    ]
    unions.sort(key=lambda u: (_ORDER[u["status"]], u["org"]))
    counts = {k: sum(u["status"] == k for u in unions) for k in (DONE, OVERDUE, OPEN)}
    return {
        "task_id": task_id,
        "title": task["title"],
        "org": task["org"],
        "year": task["year"],
        "source_item_id": task["source_item_id"],
        **counts,
        "submitted": sum(u["status"] == SUBMITTED for u in unions),
        "copies": len(unions),
        "unions": unions,
    }


def tasks_of(conn: Connection, orgs: Collection[str]) -> list[dict[str, Any]]:
    """The tasks sent by these organisations, newest first (a federation's board lists them)."""
    query = select(tasks).where(tasks.c.org.in_(list(orgs))).order_by(tasks.c.sent_at.desc())
    return [dict(r._mapping) for r in conn.execute(query)]


def past_deadlines(conn: Connection, source_item_id: str, today: date) -> list[str]:
    """The task's own open deadlines already past on `today` (its source item's, ISO
    dates): copies made now are overdue from the start."""
    o, i = board_occurrences.c, board_items.c
    query = (
        select(o.due)
        .join_from(board_occurrences, board_items, o.item_position == i.position)
        .where(i.item_id == source_item_id, o.status.not_in(sorted(FINISHED)))
        .where(o.due < today.isoformat())
        .order_by(o.due)
    )
    return list(conn.execute(query).scalars())


def sent_of_item(conn: Connection, item_id: str, today: date) -> dict[str, Any] | None:
    """The task this item was sent down as and how its copies stand on `today`
    (`sent_document`), or None for an item not sent down."""
    task_id = conn.scalar(select(tasks.c.task_id).where(tasks.c.source_item_id == item_id))
    found = task_status(conn, str(task_id), today) if task_id is not None else None
    return sent_document(found) if found is not None else None


def task_of_item(conn: Connection, item_id: str) -> str | None:
    """The task whose copy or source this item is, if any."""
    found = conn.scalar(select(task_copies.c.task_id).where(task_copies.c.item_id == item_id))
    if found is not None:
        return str(found)
    found = conn.scalar(select(tasks.c.task_id).where(tasks.c.source_item_id == item_id))
    return str(found) if found is not None else None


def org_parents(conn: Connection) -> dict[str, str | None]:
    """The organisation tree as a task decides with it: name → parent."""
    # imported here: the rollup reads this module's `tasks` (a task source is not open)
    from planlog.projections.rollup import org_tree

    return {name: node["parent"] for name, node in org_tree(conn).items()}
