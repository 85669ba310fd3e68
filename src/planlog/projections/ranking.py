"""Who is lagging (督办): the unions and districts under an organisation, ranked.

Drawn from what the rollup reads (`planlog.projections.rollup.read_subtree`), so the
ranking shows the same figures as the rollup, whatever the rollup does to read them fast.
A union is an organisation with nothing below it; a district one with organisations
below it (the root itself is neither: it is what is being looked at). Each is ranked by
its overdue occurrences, most first, then by completion, least first, then by name: the
one to chase first is on top. A district's figures are its whole subtree's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.engine import Connection

from planlog.domain.status import percent_done
from planlog.projections.rollup import FigureCache, add_up, read_subtree


def rank_key(row: dict[str, Any]) -> tuple[int, bool, int, str]:
    """Most overdue first, then least complete; one with no deadline counted (shown "—")
    after those with some, not among the least complete at 0 %."""
    return (-row["overdue"], row["occurrences"] == 0, row["percent_done"], row["org"])


def _figures(total: Sequence[int]) -> dict[str, int]:
    """The ranked figures of a subtree's total (in the rollup's `_COUNTS` order)."""
    _, items, occurrences, done, submitted, overdue, open_ = total
    return {
        "overdue": overdue,
        "done": done,
        "submitted": submitted,
        "open": open_,
        "occurrences": occurrences,
        "percent_done": percent_done(done, occurrences),
        "items": items,
    }


def ranking(
    conn: Connection, root: str, today: date, cache: FigureCache | None = None
) -> dict[str, Any]:
    """The root's figures, its districts and its unions, each list ranked (LookupError for
    an organisation the read models do not know); the figures from `cache` when given.

    Drawn from what the rollup reads (`read_subtree`), each organisation's total summed
    once on the way back up: a row per organisation, not the rollup's nested nodes with
    their own figures, which a ranking never shows (a third of a city's ranking)."""
    found = read_subtree(conn, root, today, cache)
    districts: list[dict[str, Any]] = []
    unions: list[dict[str, Any]] = []

    def walk(name: str, parent: str | None, path: list[str]) -> tuple[Sequence[int], int]:
        """`name`'s row (none for the root) and its total; its unions counted."""
        kids = found.children_of(name)
        mine = found.figures_of(name)
        if not kids:
            total: Sequence[int] = mine
            count = 1
        else:
            sums: list[Sequence[int]] = [mine]
            count = 0
            for kid in kids:
                kid_total, kid_unions = walk(kid, name, [*path, kid])
                sums.append(kid_total)
                count += kid_unions
            total = add_up(sums)
        if parent is not None:
            row = {"org": name, "parent": parent, "path": path, **_figures(total)}
            if kids:
                row["unions"] = count
                districts.append(row)
            else:
                unions.append(row)
        return total, count

    total, _ = walk(root, None, [root])
    districts.sort(key=rank_key)
    unions.sort(key=rank_key)
    return {
        "org": root,
        "as_of": today.isoformat(),
        "total": _figures(total),
        "districts": districts,
        "unions": unions,
    }


def lagging(ranked: dict[str, Any]) -> list[dict[str, Any]]:
    """The ranked unions with something overdue (a weekly digest's list)."""
    return [u for u in ranked["unions"] if u["overdue"] > 0]
