"""Rollup: completion per organisation and its descendants.

This module keeps the organisation tree; the counts come from the board's
rows at query time, so a federation's figures are never out of step with the
boards of its unions.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any, ClassVar

from sqlalchemy import Column, String, Table, Text, and_, case, func, select
from sqlalchemy.engine import Connection

from planlog.domain.events import event_name
from planlog.domain.organisation import Organisation
from planlog.domain.status import DONE
from planlog.projections.base import ReadModel, metadata
from planlog.projections.board import board_items, board_occurrences, board_plans
from planlog.projections.changes import Change
from planlog.projections.payloads import Shape, Shapes

organisations = Table(
    "organisations",
    metadata,
    Column("name", Text, primary_key=True),
    Column("org_id", String(36), nullable=False, unique=True),
    Column("parent", Text, index=True),
    Column("chair", Text),
    Column("registered_at", String(40), nullable=False),
)

REGISTERED = event_name(Organisation.Registered)
REPARENTED = event_name(Organisation.Reparented)
CHAIR_APPOINTED = event_name(Organisation.ChairAppointed)
ORG_TYPES = frozenset({REGISTERED, REPARENTED, CHAIR_APPOINTED})


class _Registered(Shape):
    name: str
    parent: str | None = None
    chair: str | None = None


class _Reparented(Shape):
    parent: str | None = None


class _ChairAppointed(Shape):
    chair: str | None = None


_COUNTS = ("plans", "items", "occurrences", "done", "overdue", "open")


class RollupProjection(ReadModel):
    name = "rollup"
    cost = 0.1  # µs per event in bench/rebuild_rate.py
    tables = (organisations,)
    types = ORG_TYPES
    payloads: ClassVar[Shapes] = {
        REGISTERED: _Registered,
        REPARENTED: _Reparented,
        CHAIR_APPOINTED: _ChairAppointed,
    }

    def apply(self, conn: Connection, changes: list[Change]) -> None:
        for change in changes:
            d = change.data
            if change.type == REGISTERED:
                conn.execute(
                    organisations.insert().values(
                        name=d["name"],
                        org_id=change.aggregate_id,
                        parent=d.get("parent"),
                        chair=d.get("chair"),
                        registered_at=change.recorded_at,
                    )
                )
                continue
            values = (
                {"parent": d.get("parent")}
                if change.type == REPARENTED
                else {"chair": d.get("chair")}
            )
            conn.execute(
                organisations.update()
                .where(organisations.c.org_id == change.aggregate_id)
                .values(values)
            )


def org_tree(conn: Connection) -> dict[str, dict[str, Any]]:
    """Every organisation, registered or only named by a plan, with its parent and chair."""
    tree: dict[str, dict[str, Any]] = {
        r.name: {"org": r.name, "parent": r.parent, "chair": r.chair}
        for r in conn.execute(select(organisations))
    }
    for (org,) in conn.execute(select(board_plans.c.org).distinct()):
        tree.setdefault(org, {"org": org, "parent": None, "chair": None})
    for node in list(tree.values()):
        if node["parent"] and node["parent"] not in tree:
            tree[node["parent"]] = {"org": node["parent"], "parent": None, "chair": None}
    return tree


def descendants(tree: dict[str, dict[str, Any]], root: str) -> list[str]:
    children: dict[str | None, list[str]] = {}
    for name, node in tree.items():
        children.setdefault(node["parent"], []).append(name)
    found, stack = [], [root]
    while stack:
        name = stack.pop()
        found.append(name)
        stack.extend(sorted(children.get(name, []), reverse=True))
    return found


def _own_counts(conn: Connection, today: date) -> dict[str, Counter[str]]:
    o, i, p = board_occurrences.c, board_items.c, board_plans.c
    query = (
        select(
            p.org,
            func.count(func.distinct(p.plan_id)),
            func.count(func.distinct(i.item_id)),
            func.count(o.due),
            # Done is confirmed: with sign-off on, a submitted deadline is not done yet.
            func.sum(case((o.status == DONE, 1), else_=0)),
            func.sum(case((and_(o.status != "done", o.due < today.isoformat()), 1), else_=0)),
        )
        .join_from(board_plans, board_items, i.plan_id == p.plan_id)
        .join(board_occurrences, o.item_position == i.position)
        .where(i.cancelled.is_(False))
        .group_by(p.org)
    )
    counts: dict[str, Counter[str]] = {}
    for org, plans, items, occurrences, done, overdue in conn.execute(query):
        counts[org] = Counter(
            plans=plans,
            items=items,
            occurrences=occurrences,
            done=int(done or 0),
            overdue=int(overdue or 0),
            open=occurrences - int(done or 0),
        )
    return counts


def _figures(counts: Counter[str]) -> dict[str, Any]:
    result: dict[str, Any] = {k: counts[k] for k in _COUNTS}
    occurrences = counts["occurrences"]
    result["percent_done"] = round(100 * counts["done"] / occurrences) if occurrences else 0
    return result


def rollup(conn: Connection, root: str | None, today: date) -> list[dict[str, Any]]:
    """Each organisation under `root` (all roots when None) with its own and subtree figures."""
    tree = org_tree(conn)
    own = _own_counts(conn, today)
    if root is not None and root not in tree:
        raise LookupError(root)
    roots = [root] if root is not None else sorted(n for n, v in tree.items() if not v["parent"])

    def node(name: str) -> dict[str, Any]:
        kids = sorted(k for k, v in tree.items() if v["parent"] == name)
        children = [node(k) for k in kids]
        total = Counter(own.get(name, Counter()))
        for child in children:
            total.update({k: child["total"][k] for k in _COUNTS})
        return {
            **tree[name],
            "own": _figures(own.get(name, Counter())),
            "total": _figures(total),
            "children": children,
        }

    return [node(r) for r in roots]
