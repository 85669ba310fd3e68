"""Who is lagging (督办): the unions and districts under an organisation, ranked.

Built on the rollup's public query (`planlog.projections.rollup.rollup`), so the ranking
shows the same figures as the rollup, whatever the rollup does to compute them fast.
A union is an organisation with nothing below it; a district one with organisations
below it (the root itself is neither: it is what is being looked at). Each is ranked by
its overdue occurrences, most first, then by completion, least first, then by name: the
one to chase first is on top. A district's figures are its whole subtree's.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.engine import Connection

from planlog.projections.rollup import rollup

_FIGURES = ("overdue", "done", "submitted", "open", "occurrences", "percent_done", "items")


def rank_key(row: dict[str, Any]) -> tuple[int, int, str]:
    return (-row["overdue"], row["percent_done"], row["org"])


def _row(node: dict[str, Any], parent: str | None, path: list[str]) -> dict[str, Any]:
    total = node["total"]
    return {
        "org": node["org"],
        "parent": parent,
        "path": path,
        **{k: total[k] for k in _FIGURES},
    }


def ranking(conn: Connection, root: str, today: date) -> dict[str, Any]:
    """The root's figures, its districts and its unions, each list ranked (LookupError for
    an organisation the read models do not know)."""
    (top,) = rollup(conn, root, today)
    districts: list[dict[str, Any]] = []
    unions: list[dict[str, Any]] = []

    def walk(node: dict[str, Any], path: list[str]) -> None:
        for child in node["children"]:
            where = [*path, child["org"]]
            row = _row(child, node["org"], where)
            if child["children"]:
                row["unions"] = _count_unions(child)
                districts.append(row)
                walk(child, where)
            else:
                unions.append(row)

    walk(top, [top["org"]])
    districts.sort(key=rank_key)
    unions.sort(key=rank_key)
    return {
        "org": top["org"],
        "as_of": today.isoformat(),
        "total": {k: top["total"][k] for k in _FIGURES},
        "districts": districts,
        "unions": unions,
    }


def _count_unions(node: dict[str, Any]) -> int:
    if not node["children"]:
        return 1
    return sum(_count_unions(child) for child in node["children"])


def lagging(ranked: dict[str, Any]) -> list[dict[str, Any]]:
    """The ranked unions with something overdue (a weekly digest's list)."""
    return [u for u in ranked["unions"] if u["overdue"] > 0]
