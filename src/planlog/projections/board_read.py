"""Today's board of one plan, read from the read models in three statements.

A board request is the busiest read there is (every person, every plan, every page of
the web). Its parts live in four read models: the plan and its items in the board, the
plan's reminder policy in the reminder index, the tasks sent down and their copies in
the tasks model. Read part by part they cost eleven round trips; here they are three:
the plan with its policy, its sections, and its items with their occurrences and task
links. A federation's plan adds the progress of each task it sent down (`task_status`,
two more for each). On PostgreSQL each is a probe by key, which only the planner can
get wrong (`probing_read`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import orjson
from sqlalchemy import select, text
from sqlalchemy.engine import Connection, Engine

from planlog.domain.board import BoardItem, build_board, sent_document
from planlog.domain.status import due_soon_days
from planlog.projections.board import (
    board_item,
    board_items,
    board_occurrences,
    board_plans,
    board_sections,
    item_row,
)
from planlog.projections.item_state import ItemRow, OccurrenceRow
from planlog.projections.reminder_due import reminder_policies
from planlog.projections.tasks import task_copies, task_status, tasks


@contextmanager
def probing_read(engine: Engine) -> Iterator[Connection]:
    """A connection for reads of rows by key, in a transaction of its own that is rolled
    back at the end. On PostgreSQL the planner may not scan a table in it: without
    statistics (a table just filled by a rebuild, a restored copy, autovacuum off) it
    takes a join, or a list of keys, to match a quarter of a table and reads every
    union's rows for one plan (30–70 ms at 200 unions, under 1 ms probed). The setting
    is the transaction's (`set_config(…, true)`), so it ends with the rollback: one
    statement, where a savepoint to set and restore it took four."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT set_config('enable_seqscan', 'off', true)"))
        yield conn


def read_board(
    conn: Connection, plan_id: str, today: date, *, soon_days: int | None = None
) -> dict[str, Any] | None:
    """The plan's board from the read models, or None for a plan they do not hold; the
    yellow light from the plan's policy as kept (`reminder_policies`) unless `soon_days`
    is given. Read it on a `probing_read` connection."""
    p, r = board_plans.c, reminder_policies.c
    head = conn.execute(
        select(p.plan_id, p.org, p.year, p.title, r.policy)
        .outerjoin(reminder_policies, r.plan_id == p.plan_id)
        .where(p.plan_id == plan_id)
    ).first()
    if head is None:
        return None
    plan = {"id": head.plan_id, "org": head.org, "year": head.year, "title": head.title}
    if soon_days is None:
        kept = orjson.loads(head.policy) if head.policy is not None else {}
        soon_days = due_soon_days(kept if isinstance(kept, dict) else {})
    s = board_sections.c
    sections = [
        {"id": section_id, "title": title}
        for section_id, title in conn.execute(
            select(s.section_id, s.title).where(s.plan_id == plan_id).order_by(s.position)
        )
    ]
    items, sent = _items(conn, plan_id, plan["org"])
    for item, task_id in sent:
        found = task_status(conn, task_id, today)
        item.sent = sent_document(found) if found is not None else None
    return build_board(plan, sections, items, today, soon_days=soon_days)


def _items(
    conn: Connection, plan_id: str, org: str
) -> tuple[list[BoardItem], list[tuple[BoardItem, str]]]:
    """The plan's items in order, each with its occurrences and the task it is a copy of
    (上级下达); and those of them `org` sent down, with their task's id. One statement:
    an item's columns repeat on each of its occurrence rows."""
    i, o, t, c = board_items.c, board_occurrences.c, tasks.c, task_copies.c
    occurrence = [o.due, o.opens, o.status, o.percent, o.done_on, o.note]
    occurrence += [o.request_id, o.request_to, o.request_status, o.request_reason]
    query = (
        select(board_items, t.task_id.label("sent_task"), c.task_id.label("from_task"))
        .add_columns(*occurrence)
        .outerjoin(board_occurrences, o.item_position == i.position)
        .outerjoin(tasks, (t.source_item_id == i.item_id) & (t.org == org))
        .outerjoin(task_copies, c.item_id == i.item_id)
        .where(i.plan_id == plan_id)
        .order_by(i.position)
    )
    rows: dict[int, tuple[ItemRow, Any, Any]] = {}
    width = len(occurrence)
    for row in conn.execute(query):
        found = rows.get(row.position)
        if found is None:
            found = rows[row.position] = (item_row(row), row.sent_task, row.from_task)
        due, *rest = row[-width:]
        if due is not None:
            found[0].occurrences[due] = OccurrenceRow(due, *rest)
    items: list[BoardItem] = []
    sent: list[tuple[BoardItem, str]] = []
    for item, sent_task, from_task in rows.values():
        board = board_item(item)
        board.from_task = from_task
        if sent_task is not None:
            sent.append((board, sent_task))
        items.append(board)
    return items, sent
