"""The rollup's figures grouped from scratch from the board's rows: the reference the kept
figures (`planlog.projections.plan_counts`, read by `planlog.projections.rollup`) are
tested against."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Connection

from planlog.domain.status import DONE, FINISHED, SUBMITTED
from planlog.projections import rollup
from planlog.projections.board import board_items, board_occurrences, board_plans
from planlog.projections.tasks import tasks


def own_counts(conn: Connection, today: date, root: str | None = None) -> dict[str, Counter[str]]:
    """Each organisation's own figures (its plans' occurrences), only of `root`'s
    subtree when given, grouped from every board row: how the rollup computed them before
    it kept them, and the reference the kept figures are tested against."""
    o, i, p = board_occurrences.c, board_items.c, board_plans.c
    # A federation's item sent down as a task (任务下达) is done through its unions'
    # copies, which their own figures count: the source itself counts for nothing here
    # (the tasks read model knows which items were sent; sending records nothing on the
    # source item).
    source = i.item_id.in_(select(tasks.c.source_item_id))
    own = ~source

    def counted(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    query = (
        select(
            p.org,
            func.count(func.distinct(p.plan_id)),
            func.count(func.distinct(case((own, i.item_id)))),
            counted(own),
            # Done is confirmed: with sign-off on, a submitted deadline is not done yet.
            counted(and_(own, o.status == DONE)),
            counted(and_(own, o.status == SUBMITTED)),
            counted(and_(own, o.status.not_in(sorted(FINISHED)), o.due < today.isoformat())),
        )
        .join_from(board_plans, board_items, i.plan_id == p.plan_id)
        .join(board_occurrences, o.item_position == i.position)
        .where(i.cancelled.is_(False))
        .group_by(p.org)
    )
    if root is not None:
        sub = rollup.subtree_query(root)
        query = query.where(p.org.in_(select(sub.c.name)))
    counts: dict[str, Counter[str]] = {}
    for org, plans, items, occurrences, done, submitted, overdue in conn.execute(query):
        counts[org] = Counter(
            plans=plans,
            items=items,
            occurrences=int(occurrences or 0),
            done=int(done or 0),
            submitted=int(submitted or 0),
            overdue=int(overdue or 0),
            open=int(occurrences or 0) - int(done or 0),
        )
    return counts


def figures(counts: Counter[str]) -> dict[str, Any]:
    """`own_counts` figures as the rollup answers them, with `percent_done`."""
    result: dict[str, Any] = {k: counts[k] for k in rollup._COUNTS}
    occurrences = counts["occurrences"]
    result["percent_done"] = round(100 * counts["done"] / occurrences) if occurrences else 0
    return result
