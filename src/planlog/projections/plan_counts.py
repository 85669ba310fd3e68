"""The rollup's figures, kept by the board as it writes the rows they count, by organisation.

The federation's rollup once grouped every board row of the subtree on every request: at
the city that was every occurrence of every union. These tables hold what that grouping
gave, keyed by the organisation whose plans they count, so a rollup reads them by
organisation without going through the plans: a row per plan for the counts and, for
`overdue` (which depends on the day asked), a row per organisation and due date still
open: `due < today` is then a range over the few past deadlines not finished, not over
the occurrences.

- `plan_counts`: per plan and its organisation, its items not cancelled that have
  occurrences, their occurrences, the done ones and the submitted ones (a plan without
  such items has no row, so the rows of an organisation are its `plans`);
- `org_open_dues`: per organisation and due date, the occurrences of its plans' items not
  finished (neither done nor submitted) — `overdue` on any day is the sum of the rows
  before it;
- `org_moves`: per organisation, the log position of the last batch that moved its
  figures, so a reader holding every organisation's figures reads again only those of
  the organisations moved since (`planlog.projections.rollup.FigureCache`). Not an
  added table that makes the board project again: an empty one is right for a reader
  that starts, as every one does, by reading all the figures.

A plan's organisation is set when it is created and never changes (no event moves a plan,
and organisations are reparented, never renamed), so it is written once with the figures.
The board keeps them in its own batch (`BoardProjection`): it tallies the items it loaded
before the batch changes them (`tally`) and the rows it writes, and adds the difference
(`change`, `save`), so the cost follows the items a batch touches, never the federation.
Items of a plan the board has no row for are not counted, as a join with the plans left
them out before. Whether an item is a federation task's source (neither open nor overdue
for the rollup) belongs to the tasks read model and is left out here: the rollup
subtracts the sources' own occurrences when it reads (`planlog.projections.rollup`), so
the two read models never write each other's figures, whichever is ahead in a rebuild's
lanes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import BigInteger, Column, Integer, String, Table, Text, select
from sqlalchemy.engine import Connection

from planlog.domain.status import DONE, FINISHED, SUBMITTED
from planlog.projections.base import ADDED_TABLE, CLUSTERED, metadata
from planlog.projections.bulk import chunks, insert_rows
from planlog.projections.item_state import ItemRow

plan_counts = Table(
    "plan_counts",
    metadata,
    Column("plan_id", String(36), primary_key=True),
    # the plan's organisation, so a rollup reads its organisations' rows directly
    Column("org", Text, nullable=False, index=True),
    Column("items", Integer, nullable=False),
    Column("occurrences", Integer, nullable=False),
    Column("done", Integer, nullable=False),
    Column("submitted", Integer, nullable=False),
    info=ADDED_TABLE,
    **CLUSTERED,
)

#: The primary key (org, due) is what a rollup reads: for a subtree, each organisation's
#: past due dates; for all, a run through the table (its rows are the open deadlines).
org_open_dues = Table(
    "org_open_dues",
    metadata,
    Column("org", Text, primary_key=True),
    Column("due", String(10), primary_key=True),
    Column("unfinished", Integer, nullable=False),
    info=ADDED_TABLE,
    **CLUSTERED,
)

org_moves = Table(
    "org_moves",
    metadata,
    Column("org", Text, primary_key=True),
    Column("position", BigInteger, nullable=False, index=True),
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


def tally(rows: Iterable[ItemRow], into: Tally | None = None) -> Tally:
    """What these items add to their plans' figures (added to `into` when given: a
    window of the board tallies the items it loads batch after batch). Read at once: the
    board folds the batch's events into the same rows afterwards."""
    found = Tally() if into is None else into
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


def save(conn: Connection, moved: Tally, orgs: Mapping[str, str], position: int) -> None:
    """Add `moved` to the stored figures of its plans, whose organisations `orgs` gives
    (a plan missing from it is not counted): their rows are read, summed and written
    again (a few rows per plan or organisation), and a figure that reaches zero leaves no
    row. Each organisation whose figures moved gets `position`, that of the last event
    written with them (`org_moves`): batches commit in log order, so a later commit
    writes a higher one."""
    by_org: Counter[tuple[str, str]] = Counter()
    for (plan, due), n in moved.dues.items():
        if plan in orgs:
            by_org[(orgs[plan], due)] += n
    c, d = plan_counts.c, org_open_dues.c
    for chunk in chunks(sorted(p for p in moved.plans if p in orgs)):
        counts = {
            plan: list(figures)
            for plan, _, *figures in conn.execute(select(plan_counts).where(c.plan_id.in_(chunk)))
        }
        for plan in chunk:
            stored = counts.get(plan, _ZERO)
            counts[plan] = [s + n for s, n in zip(stored, moved.plans[plan], strict=True)]
        conn.execute(plan_counts.delete().where(c.plan_id.in_(chunk)))
        insert_rows(
            conn,
            plan_counts,
            [(p, orgs[p], *figures) for p, figures in sorted(counts.items()) if figures[0]],
        )
    dues_of: dict[str, dict[str, int]] = {}
    for (org, due), n in by_org.items():
        if n:
            dues_of.setdefault(org, {})[due] = n
    for chunk in chunks(sorted(dues_of)):
        dues: Counter[tuple[str, str]] = Counter(
            {
                (org, due): n
                for org, due, n in conn.execute(select(org_open_dues).where(d.org.in_(chunk)))
            }
        )
        for org in chunk:
            for due, n in dues_of[org].items():
                dues[(org, due)] += n
        conn.execute(org_open_dues.delete().where(d.org.in_(chunk)))
        insert_rows(
            conn,
            org_open_dues,
            [(org, due, n) for (org, due), n in sorted(dues.items()) if n],
        )
    movers = sorted({orgs[p] for p in moved.plans if p in orgs} | {org for org, _ in by_org})
    m = org_moves.c
    for chunk in chunks(movers):
        conn.execute(org_moves.delete().where(m.org.in_(chunk)))
        insert_rows(conn, org_moves, [(org, position) for org in chunk])
