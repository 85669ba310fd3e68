"""Each plan's figures for the rollup, kept by the board as it writes the rows they count.

The federation's rollup once grouped every board row of the subtree on every request: at
the city that was every occurrence of every union. These tables hold what that grouping
gave, per plan, so a rollup reads one row per plan and, for `overdue` (which depends on
the day asked), one row per plan and due date still open: `due < today` is then a range
over the few past deadlines not finished, not over the occurrences.

- `plan_counts`: per plan, its items not cancelled that have occurrences, their
  occurrences, the done ones and the submitted ones (a plan without such items has no
  row, so the rows of an organisation's plans are its `plans`);
- `plan_open_dues`: per plan and due date, the occurrences of those items not finished
  (neither done nor submitted) — `overdue` on any day is the sum of the rows before it.

The board keeps them in its own batch (`BoardProjection`): it tallies the items it loaded
before the batch changes them (`tally`) and the rows it writes, and adds the difference
(`change`, `save`), so the cost follows the items a batch touches, never the federation.
Whether an item is a federation task's source (neither open nor overdue for the rollup)
belongs to the tasks read model and is left out here: the rollup subtracts the sources'
own occurrences when it reads (`planlog.projections.rollup`), so the two read models
never write each other's figures, whichever is ahead in a rebuild's lanes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Column, Integer, String, Table, select
from sqlalchemy.engine import Connection

from planlog.domain.status import DONE, FINISHED, SUBMITTED
from planlog.projections.base import ADDED_TABLE, CLUSTERED, metadata
from planlog.projections.bulk import chunks, insert_rows
from planlog.projections.item_state import ItemRow

plan_counts = Table(
    "plan_counts",
    metadata,
    Column("plan_id", String(36), primary_key=True),
    Column("items", Integer, nullable=False),
    Column("occurrences", Integer, nullable=False),
    Column("done", Integer, nullable=False),
    Column("submitted", Integer, nullable=False),
    info=ADDED_TABLE,
    **CLUSTERED,
)

plan_open_dues = Table(
    "plan_open_dues",
    metadata,
    Column("plan_id", String(36), primary_key=True),
    Column("due", String(10), primary_key=True),
    Column("unfinished", Integer, nullable=False),
    info=ADDED_TABLE,
    **CLUSTERED,
)

#: the figures of a `plan_counts` row, in its column order
FIGURES = ("items", "occurrences", "done", "submitted")
_ZERO = (0, 0, 0, 0)


@dataclass(slots=True)
class Tally:
    """Figures of some items: per plan (`FIGURES`), and per (plan, due) not finished."""

    plans: dict[str, list[int]] = field(default_factory=dict)
    dues: Counter[tuple[str, str]] = field(default_factory=Counter)


def tally(rows: Iterable[ItemRow]) -> Tally:
    """What these items add to their plans' figures. Read at once: the board folds the
    batch's events into the same rows afterwards."""
    found = Tally()
    for row in rows:
        if row.cancelled or not row.occurrences:
            continue
        figures = found.plans.setdefault(row.plan_id, [0, 0, 0, 0])
        figures[0] += 1
        figures[1] += len(row.occurrences)
        for occurrence in row.occurrences.values():
            if occurrence.status == DONE:
                figures[2] += 1
            elif occurrence.status == SUBMITTED:
                figures[3] += 1
            if occurrence.status not in FINISHED:
                found.dues[(row.plan_id, occurrence.due)] += 1
    return found


def change(before: Tally, after: Tally) -> Tally:
    """`after` − `before`, keeping only what moved (figures may be negative)."""
    moved = Tally()
    for plan in before.plans.keys() | after.plans.keys():
        old = before.plans.get(plan, _ZERO)
        new = after.plans.get(plan, _ZERO)
        diff = [n - o for n, o in zip(new, old, strict=True)]
        if any(diff):
            moved.plans[plan] = diff
    for key in before.dues.keys() | after.dues.keys():
        by = after.dues[key] - before.dues[key]
        if by:
            moved.dues[key] = by
    return moved


def save(conn: Connection, moved: Tally) -> None:
    """Add `moved` to the stored figures of its plans: their rows are read, summed and
    written again (a few rows per plan), and a figure that reaches zero leaves no row."""
    dues_of: dict[str, dict[str, int]] = {}
    for (plan, due), n in moved.dues.items():
        dues_of.setdefault(plan, {})[due] = n
    c, d = plan_counts.c, plan_open_dues.c
    for chunk in chunks(sorted(moved.plans.keys() | dues_of.keys())):
        counts = {
            plan: list(figures)
            for plan, *figures in conn.execute(select(plan_counts).where(c.plan_id.in_(chunk)))
        }
        dues: Counter[tuple[str, str]] = Counter(
            {
                (plan, due): n
                for plan, due, n in conn.execute(select(plan_open_dues).where(d.plan_id.in_(chunk)))
            }
        )
        for plan in chunk:
            if plan in moved.plans:
                stored = counts.get(plan, _ZERO)
                counts[plan] = [s + n for s, n in zip(stored, moved.plans[plan], strict=True)]
            for due, n in dues_of.get(plan, {}).items():
                dues[(plan, due)] += n
        conn.execute(plan_counts.delete().where(c.plan_id.in_(chunk)))
        conn.execute(plan_open_dues.delete().where(d.plan_id.in_(chunk)))
        insert_rows(
            conn,
            plan_counts,
            [(plan, *figures) for plan, figures in sorted(counts.items()) if figures[0]],
        )
        insert_rows(
            conn,
            plan_open_dues,
            [(plan, due, n) for (plan, due), n in sorted(dues.items()) if n],
        )
