"""Rollup: completion per organisation and its descendants.

This module keeps the organisation tree; the counts are the figures the board keeps in
step with its rows by organisation (`planlog.projections.plan_counts`), read for the
organisations of the subtree asked about, so a federation's figures are never out of step with the
boards of its unions and a city's rollup reads a row per plan, not every occurrence
(tests/projections/test_plan_counts.py holds the grouping of the board's rows themselves
that the kept figures are tested against).
"""

from __future__ import annotations

import difflib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from sqlalchemy import (
    CTE,
    Column,
    Select,
    String,
    Subquery,
    Table,
    Text,
    and_,
    case,
    exists,
    func,
    literal,
    select,
    true,
    union,
)
from sqlalchemy.engine import Connection

from planlog.domain.events import event_name
from planlog.domain.organisation import Organisation
from planlog.domain.status import DONE, FINISHED, SUBMITTED, percent_done
from planlog.projections.base import ReadModel, metadata, tracking
from planlog.projections.board import (
    BoardProjection,
    board_items,
    board_occurrences,
    board_plans,
)
from planlog.projections.bulk import chunks
from planlog.projections.changes import Change
from planlog.projections.payloads import Shape, Shapes
from planlog.projections.plan_counts import org_moves, org_open_dues, plan_counts
from planlog.projections.tasks import tasks

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
ORG_RETIRED = event_name(Organisation.Retired)
ORG_TYPES = frozenset({REGISTERED, REPARENTED, CHAIR_APPOINTED, ORG_RETIRED})


class _Registered(Shape):
    name: str
    parent: str | None = None
    chair: str | None = None


class _Reparented(Shape):
    parent: str | None = None


class _ChairAppointed(Shape):
    chair: str | None = None


#: `open` is every occurrence not yet done (confirmed): overdue and submitted ones
#: included; a task source counts in no figure (its copies do, see `_counts_query`);
#: `overdue` is past due and not finished (a submitted deadline is reported finished, so
#: it is counted as `submitted`, not overdue, as task status and chasing do).
_COUNTS = ("plans", "items", "occurrences", "done", "submitted", "overdue", "open")


class RollupProjection(ReadModel):
    name = "rollup"
    cost = 0.3  # see ReadModel.cost
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
            if change.type == ORG_RETIRED:  # out of the tree (the domain refused it while
                # the read models showed anything under it)
                conn.execute(
                    organisations.delete().where(organisations.c.org_id == change.aggregate_id)
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
    return _walk(_children(tree), root)


def _children(tree: dict[str, dict[str, Any]]) -> dict[str | None, list[str]]:
    """Each organisation's children, indexed once: finding them by scanning the whole
    tree for every node made a federation's rollup quadratic in its organisations."""
    children: dict[str | None, list[str]] = {}
    for name, node in tree.items():
        if node["parent"] != name:  # never its own child: it would be walked forever
            children.setdefault(node["parent"], []).append(name)
    for kids in children.values():
        kids.sort()
    return children


def _walk(children: dict[str | None, list[str]], root: str) -> list[str]:
    found, stack = [], [root]
    while stack:
        name = stack.pop()
        found.append(name)
        stack.extend(reversed(children.get(name, [])))
    return found


def outline(tree: dict[str, dict[str, Any]]) -> list[tuple[int, str]]:
    """Every organisation of `tree` as (depth, name), each under its parent, siblings in
    name order: the tree as a listing prints it. An organisation no root leads to (a
    parent cycle, which the domain refuses) is listed at the top all the same."""
    children = _children(tree)
    listed: list[tuple[int, str]] = []
    seen: set[str] = set()
    # the roots first; then, in name order, whatever no root led to
    for root in children.get(None, []) + sorted(tree):
        stack = [(0, root)]
        while stack:
            depth, name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            listed.append((depth, name))
            stack.extend((depth + 1, kid) for kid in reversed(children.get(name, [])))
    return listed


def subtree_query(root: str) -> CTE:
    """`root` and every registered organisation below it, by following `parent` down
    from `root` (its index): the cost follows the subtree, not the federation. UNION, not
    UNION ALL, so a cycle (which the domain refuses) could not loop."""
    o = organisations.c
    sub = select(literal(root, Text).label("name")).cte("subtree", recursive=True)
    return sub.union(select(o.name).join(sub, o.parent == sub.c.name))


def subtree(conn: Connection, root: str) -> list[str]:
    """The names `descendants(org_tree(conn), root)` gives, read from `root` down only.
    Fetched at once: every request of a city's token reads its scope, 9,000 names at
    9,000 unions, which row by row cost more than the query."""
    sub = subtree_query(root)
    return list(conn.execute(select(sub.c.name)).scalars().all())


def similar_names(conn: Connection, name: str) -> list[str]:
    """Organisations named almost like `name` (a character missing or changed): what a
    typo of an existing name looks like, to be asked about before a new one is made."""
    name = name.strip()
    names = [n for n in org_tree(conn) if n != name]
    return difflib.get_close_matches(name, names, n=3, cutoff=_typo_cutoff(name))


def _typo_cutoff(name: str) -> float:
    """How alike a name must be to look like a typo of it: 0.8, or less for a short name,
    so that one character changed still counts (甲厂公会 for 甲厂工会 is 0.75 alike)."""
    return min(0.8, max(0.66, (len(name) - 1) / max(len(name), 1)))


def has_below(conn: Connection, name: str) -> bool:
    """Whether any organisation is registered under `name` (a task of its can go down)."""
    o = organisations.c
    return conn.execute(select(o.name).where(o.parent == name).limit(1)).first() is not None


def _known(conn: Connection, name: str) -> bool:
    """Whether `org_tree` would hold `name`: registered, named as a parent, or named by a
    plan."""
    o, p = organisations.c, board_plans.c
    query = select(
        exists().where(o.name == name)
        | exists().where(o.parent == name)
        | exists().where(p.org == name)
    )
    return bool(conn.execute(query).scalar())


def _is_top(conn: Connection, name: str) -> bool:
    """Whether `name` has no parent (registered without one, or only named)."""
    o = organisations.c
    return conn.execute(select(o.parent).where(o.name == name)).scalar() is None


def _registered(conn: Connection) -> dict[str, dict[str, Any]]:
    """Every registered organisation, as `org_tree` holds it."""
    o = organisations.c
    return {
        name: {"org": name, "parent": parent, "chair": chair}
        for name, parent, chair in conn.execute(select(o.name, o.parent, o.chair)).all()
    }


def _subtree_tree(conn: Connection, root: str) -> dict[str, dict[str, Any]]:
    """`org_tree` restricted to `root`'s subtree (root's own parent as the tree has it)."""
    sub = subtree_query(root)
    o = organisations.c
    query = select(o.name, o.parent, o.chair).join(sub, o.name == sub.c.name)
    # fetched at once and unpacked by position: a city's subtree is thousands of rows
    tree = {
        name: {"org": name, "parent": parent, "chair": chair}
        for name, parent, chair in conn.execute(query).all()
    }
    tree.setdefault(root, {"org": root, "parent": None, "chair": None})
    return tree


#: an organisation's figures in the order of `_COUNTS`
Figures = tuple[int, int, int, int, int, int, int]
_NONE: Figures = (0, 0, 0, 0, 0, 0, 0)


def _counts_query(today: date, names: Select[Any] | Sequence[str] | None) -> Subquery:
    """Per organisation (of those `names` selects or lists when given), its kept figures: the rows
    of its plans, of its past due dates not finished, and of its task sources, as
    columns `org` and `_COUNTS`. The kept rows carry their organisation: neither is
    joined to the plans."""
    c, d = plan_counts.c, org_open_dues.c
    plans = select(
        c.org.label("org"),
        func.count().label("plans"),
        func.sum(c["items"]).label("items"),
        func.sum(c.occurrences).label("occurrences"),
        func.sum(c.done).label("done"),
        func.sum(c.submitted).label("submitted"),
    ).group_by(c.org)
    late = (
        select(d.org.label("org"), func.sum(d.unfinished).label("overdue"))
        .where(d.due < today.isoformat())
        .group_by(d.org)
    )
    sources = _sources(today)
    if names is not None:
        plans, late = plans.where(c.org.in_(names)), late.where(d.org.in_(names))
        sources = sources.where(board_plans.c.org.in_(names))
    k, lt, s = plans.subquery(), late.subquery(), sources.subquery()

    # A federation's item sent down as a task is done through its unions' copies, which
    # their own figures count: the source itself counts for nothing here (neither its
    # deadlines nor their completion), or a city whose unions had done everything would
    # stay short of 100 %. Worked out in the statement, so each row is an
    # organisation's figures as they are served.
    def less(column: Any, source: Any) -> Any:
        return (column - func.coalesce(source, 0)).label(column.name)

    occurrences, done = less(k.c.occurrences, s.c.occurrences), less(k.c.done, s.c.done)
    return (
        select(
            k.c.org,
            k.c.plans,
            less(k.c["items"], s.c["items"]),
            occurrences,
            done,
            less(k.c.submitted, s.c.submitted),
            (func.coalesce(lt.c.overdue, 0) - func.coalesce(s.c.late, 0)).label("overdue"),
            (
                k.c.occurrences
                - func.coalesce(s.c.occurrences, 0)
                - k.c.done
                + func.coalesce(s.c.done, 0)
            ).label("open"),
        )
        .outerjoin(lt, lt.c.org == k.c.org)
        .outerjoin(s, s.c.org == k.c.org)
        .subquery()
    )


def _kept_counts(conn: Connection, today: date, root: str | None = None) -> dict[str, Figures]:
    """Each organisation's own figures (`_COUNTS`), from the kept figures: a row per plan
    of the subtree, a row per organisation and past due date not finished, and the rows of the
    task sources in the subtree, whatever else the boards hold. One statement, so the
    three are read from one state of the tables; fetched at once (`all`), since a city
    has thousands of rows."""
    names = select(subtree_query(root).c.name) if root is not None else None
    counts = _counts_query(today, names)
    rows = conn.execute(select(counts)).all()
    return {row[0]: tuple(row[1:]) for row in rows}


class FigureCache:
    """Every organisation's own figures (`_COUNTS`), held in the process between reads
    and brought up to date from the organisations whose figures moved since
    (`org_moves`).

    A city's rollup reads every organisation's figures (30 ms of SQL at 9,000 unions),
    and any write anywhere in the federation makes its kept answer (`answers`) stale: a
    busy federation's chair would pay the whole read on every look. Held here, a read
    after a handful of writes reads the figures of their organisations and of the
    organisations that sent tasks (their sources' figures are the tasks read model's,
    which records no moves). Everything is read again for a new version of the board (a
    rebuild, a retry, a release), for a log position lower than the one held (a store
    restored under a running server), and past `MANY` organisations moved. Held per day
    (overdue counts the deadlines before it), for the `DAYS` days asked last.
    Thread-safe: a dict handed out is never changed afterwards."""

    #: past this many organisations moved since, reading them all costs less
    MANY = 1_000
    #: days held at once: today's and one asked with `now` (a report of another day)
    DAYS = 2

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: day → (board version, highest position read, figures by organisation)
        self._held: OrderedDict[date, tuple[int | None, int, dict[str, Figures]]] = OrderedDict()

    def figures(self, conn: Connection, today: date) -> dict[str, Figures]:
        with self._lock:
            held = self._held.get(today)
        t, m = tracking.c, org_moves.c
        heads = select(
            select(t.version)
            .where(t.name == BoardProjection.name)
            .scalar_subquery()
            .label("version"),
            select(func.max(m.position)).scalar_subquery().label("position"),
        ).subquery()
        moved: list[str] | None = None
        if held is not None:
            # The board's version and the highest position first, then the figures of
            # the organisations moved, by key (the planner, not told how many a subquery
            # selects, scanned every table). A write landing between the two is recorded
            # above the position read, so it is read again next time whatever this read
            # saw: one answer may show part of such a write, the next shows all of it.
            since = union(select(m.org).where(m.position > held[1]), select(tasks.c.org)).subquery()
            rows = conn.execute(select(heads, since).select_from(heads).outerjoin(since, true()))
            found = rows.all()
            version, position = found[0][0], found[0][1] or 0
            if version == held[0] and position >= held[1]:
                moved = [org for _, _, org in found if org is not None]
                if len(moved) > self.MANY:
                    moved = None
        if moved is None:
            counts = _counts_query(today, None)
            every = select(heads, counts).select_from(heads).outerjoin(counts, true())
            found = conn.execute(every).all()
            version, position = found[0][0], found[0][1] or 0
            own = {row[2]: tuple(row[3:]) for row in found if row[2] is not None}
        else:
            assert held is not None
            own = dict(held[2])
            for org in moved:  # moved, but no plan of it counted any more: no row
                own.pop(org, None)
            for chunk in chunks(moved):
                for org, *figures in conn.execute(select(_counts_query(today, chunk))):
                    own[org] = tuple(figures)
        with self._lock:
            now_held = self._held.get(today)
            if now_held is None or now_held[0] != version or now_held[1] <= position:
                self._held[today] = (version, position, own)
            self._held.move_to_end(today)
            while len(self._held) > self.DAYS:
                self._held.popitem(last=False)
        return own


def _sources(today: date) -> Select[Any]:
    """Per organisation, what its task sources (tasks read model) add to the kept
    figures (items, occurrences, done, submitted) and their occurrences past due and not
    finished, of items not cancelled as the kept figures are. A federation sends few
    tasks: this reads their rows only."""
    o, i, p = board_occurrences.c, board_items.c, board_plans.c
    sent = select(tasks.c.source_item_id.label("item_id")).distinct().subquery()
    return (
        select(
            p.org.label("org"),
            func.count(func.distinct(i.item_id)).label("items"),
            func.count(o.due).label("occurrences"),
            func.sum(case((o.status == DONE, 1), else_=0)).label("done"),
            func.sum(case((o.status == SUBMITTED, 1), else_=0)).label("submitted"),
            func.sum(
                case(
                    (and_(o.status.not_in(sorted(FINISHED)), o.due < today.isoformat()), 1),
                    else_=0,
                )
            ).label("late"),
        )
        .select_from(sent)
        .join(board_items, i.item_id == sent.c.item_id)
        .join(board_plans, p.plan_id == i.plan_id)
        .join(board_occurrences, o.item_position == i.position)
        .where(i.cancelled.is_(False))
        .group_by(p.org)
    )


@dataclass(frozen=True, slots=True)
class OrgFigures:
    """The organisations under some roots (one root, or every root) and each one's own
    figures (in the order of `_COUNTS`), as read for a rollup: what the rollup and the
    ranking are drawn from."""

    roots: list[str]
    #: name → {"org", "parent", "chair"}, as `org_tree` holds it
    tree: dict[str, dict[str, Any]]
    own: dict[str, Figures]
    children: dict[str | None, list[str]]

    def figures_of(self, name: str) -> Figures:
        """`name`'s own figures (zeros without a plan counted)."""
        return self.own.get(name, _NONE)

    def children_of(self, name: str) -> Sequence[str]:
        """The names of `name`'s children (none for a union)."""
        return self.children.get(name, ())


def read_subtree(
    conn: Connection, root: str | None, today: date, cache: FigureCache | None = None
) -> OrgFigures:
    """The organisations under `root` (every root when None) with their own figures.

    With a root, only its subtree is read (the organisations below it and their plans'
    rows), so a union's or a district's rollup costs what that subtree holds
    (LookupError for a root the read models do not know). Every organisation's figures
    come from `cache` when given (a served process's, held between requests)."""
    scope = root
    if root is not None:
        if not _known(conn, root):
            raise LookupError(root)
        if _is_top(conn, root):
            # A federation's top (the city): its subtree is, in practice, every
            # organisation. Reading them all, walked from the root here, costs less than
            # following the tree down in the database and filtering the figures by it
            # (only the root's descendants are visited, whatever else is read).
            tree, scope = _registered(conn), None
            tree.setdefault(root, {"org": root, "parent": None, "chair": None})
        else:
            tree = _subtree_tree(conn, root)
        roots = [root]
    else:
        tree = org_tree(conn)
        roots = sorted(n for n, v in tree.items() if not v["parent"])
    # Two statements, not one joining the tree to the figures: PostgreSQL cannot tell
    # the subtree's size, estimated such a join at millions of rows, and compiled it
    # (JIT) for longer than the two reads take.
    if scope is None and cache is not None:
        own = cache.figures(conn, today)
    else:
        own = _kept_counts(conn, today, scope)
    return OrgFigures(roots, tree, own, _children(tree))


def rollup(
    conn: Connection,
    root: str | None,
    today: date,
    depth: int | None = None,
    cache: FigureCache | None = None,
) -> list[dict[str, Any]]:
    """Each organisation under `root` (all roots when None) with its own and subtree
    figures (see `read_subtree`). With a `depth`, organisations more than `depth` levels
    below a root are left out of the answer (`children` empty at that level; 0 is the
    roots alone), still counted in the totals above them: a drill-down view of a city
    need not carry its 9,000 unions."""
    found = read_subtree(conn, root, today, cache)
    tree, own, children = found.tree, found.own, found.children

    def leaf(name: str) -> tuple[dict[str, Any], Sequence[int]]:
        """A union's node: its total is its own figures (one dict, never changed)."""
        mine = own.get(name, _NONE)
        figures = _as_figures(mine)
        return {**tree[name], "own": figures, "total": figures, "children": []}, mine

    # Plain tuples, a node's children summed figure by figure at once: a city's tree has
    # thousands of nodes, and Counters per node cost the rollup more than reading its
    # figures. Most nodes are unions, made where their parent meets them (`leaf`).
    def node(name: str, level: int) -> tuple[dict[str, Any], Sequence[int]]:
        if name not in children:
            return leaf(name)
        mine = own.get(name, _NONE)
        if level == depth:
            below = sum_below(name)
            return {
                **tree[name],
                "own": _as_figures(mine),
                "total": _as_figures(below),
                "children": [],
            }, below
        kids: list[dict[str, Any]] = []
        totals: list[Sequence[int]] = [mine]
        for kid in children[name]:
            child, below = leaf(kid) if kid not in children else node(kid, level + 1)
            kids.append(child)
            totals.append(below)
        total = add_up(totals)
        found_node = {**tree[name], "own": _as_figures(mine), "total": _as_figures(total)}
        found_node["children"] = kids
        return found_node, total

    def sum_below(name: str) -> Sequence[int]:
        """`name`'s figures and its descendants', without their nodes."""
        totals: list[Sequence[int]] = [own.get(name, _NONE)]
        totals.extend(sum_below(kid) for kid in found.children_of(name))
        return add_up(totals)

    return [node(r, 0)[0] for r in found.roots]


def add_up(figures: Sequence[Sequence[int]]) -> list[int]:
    """Organisations' figures summed figure by figure (a subtree's total)."""
    return [sum(column) for column in zip(*figures, strict=True)]


def _as_figures(counts: Sequence[int]) -> dict[str, Any]:
    """An organisation's figures (in the order of `_COUNTS`) with its `percent_done`."""
    plans, items, occurrences, done, submitted, overdue, open_ = counts
    return {
        "plans": plans,
        "items": items,
        "occurrences": occurrences,
        "done": done,
        "submitted": submitted,
        "overdue": overdue,
        "open": open_,
        "percent_done": percent_done(done, occurrences),
    }
