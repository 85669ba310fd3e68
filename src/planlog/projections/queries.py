"""Named read queries every door asks: the board (now or as of a past moment), the diff
between two moments, and the day lights are judged on.

They live with the read models because they read them (`planlog.projections.board`,
`planlog.projections.timeline`); the service layer below may not import read models.
The board document itself is built by one function, `planlog.domain.board.build_board`,
whether its rows come from the board read model or from aggregates replayed to a past
moment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Connection

from planlog.auth.tokens import api_tokens
from planlog.domain.board import board_from_aggregates, replayed_sent_document
from planlog.domain.clock import PLAN_TZ
from planlog.domain.errors import PlanlogError, missing
from planlog.domain.model import Plan, PlanItem
from planlog.domain.organisation import RetireBlockers
from planlog.domain.registry import PlanEntry
from planlog.domain.status import due_soon_days
from planlog.projections.audit_view import (
    AuditFilter,
    AuditPage,
    AuditSummary,
    page_of,
    summarise_changes,
)
from planlog.projections.board import board_plans
from planlog.projections.board_read import probing_read, read_board
from planlog.projections.bulk import chunks
from planlog.projections.people import people
from planlog.projections.rollup import organisations
from planlog.projections.timeline import diff
from planlog.service.app import PlanlogApp


def evaluation_day(app: PlanlogApp, now: datetime | None, as_of: datetime | None) -> date:
    """`--now` sets the day lights are judged on; by default today, or the as-of day."""
    if now is not None:
        return now.astimezone(PLAN_TZ).date()
    if as_of is not None:
        return as_of.astimezone(PLAN_TZ).date()
    return app.today()


def plan_entries(engine: Engine, orgs: frozenset[str] | None = None) -> list[PlanEntry]:
    """The plans of `orgs` (every plan when None) from the board read model, ordered by
    organisation, year and title: a listing reads only the plans it shows, never the
    log. (The plans' document fingerprints are not kept there: `PlanlogApp.find_imported`
    answers for a document.)"""
    p = board_plans.c
    query = select(p.plan_id, p.org, p.year, p.title)
    with engine.connect() as conn:
        if orgs is None:
            rows = list(conn.execute(query))
        else:
            parts = chunks(sorted(orgs))
            rows = [r for part in parts for r in conn.execute(query.where(p.org.in_(part)))]
    entries = [PlanEntry(UUID(r.plan_id), r.org, r.year, r.title, None) for r in rows]
    return sorted(entries, key=lambda e: (e.org, e.year, e.title))


def board_document(
    app: PlanlogApp,
    engine: Engine,
    plan_id: UUID,
    *,
    now: datetime | None = None,
    as_of: datetime | None = None,
    plan: Plan | None = None,
    sees: Callable[[str], bool] | None = None,
) -> dict[str, Any]:
    """`plan`: the plan as the caller loaded it already (checking its scope), whose
    reminder policy lights the board. `sees`: whether the caller may read an
    organisation's plans, checked on the board read (404 outside)."""
    today = evaluation_day(app, now, as_of)
    if as_of is not None:
        # The past is replayed from the log itself, not from read models.
        plan = app.get_plan(plan_id, as_of=as_of)
        document = _replayed_board(app, plan, app.plan_items(plan_id, as_of=as_of), today, as_of)
    else:
        # The yellow light starts at the plan's first reminder lead: the plan's as the
        # caller loaded it, else as the read models keep it (no replay of the plan).
        known = plan if plan is not None and plan.id == plan_id else None
        soon_days = due_soon_days(known.reminder_policy) if known is not None else None
        with probing_read(engine) as conn:
            found = read_board(conn, str(plan_id), today, soon_days=soon_days)
        # `sees`: the caller's scope, for a door that did not load the plan to check it
        if found is None or (sees is not None and not sees(found["plan"]["org"])):
            raise missing("plan", plan_id)
        document = found
    document["as_of"] = as_of.isoformat() if as_of else None
    return document


def _replayed_board(
    app: PlanlogApp, plan: Plan, items: list[PlanItem], today: date, as_of: datetime | None
) -> dict[str, Any]:
    """The board replayed from the log, its items sent down by `as_of` marked as such."""
    tasks = app.tasks_sent([i.id for i in items], as_of=as_of)
    sent = {
        str(item_id): replayed_sent_document(str(task.id), len(task.copies))
        for item_id, task in tasks.items()
    }
    return board_from_aggregates(plan, items, today, sent)


def plan_overview(board: dict[str, Any]) -> dict[str, Any]:
    """What a list of plans shows of each (the home page): completion, how many
    deadlines are missed, and the next deadline not yet missed, from its board document."""
    # an item sent down is its unions' to meet: its deadline is not the plan's next
    upcoming = sorted(
        (i["next_due"], i["title"])
        for i in board["items"]
        if i.get("next_due") and not i.get("sent")
    )
    totals = board["totals"]
    return {
        "id": board["plan"]["id"],
        "title": board["plan"]["title"],
        "percent_done": totals["percent_done"],
        # the deadlines the completion is of (0: nothing of the plan's own, shown as —)
        "counted": totals["counted"],
        # open deadlines sent down to its unions (任务下达)
        "sent": totals["sent"],
        "done": totals["done"],
        "occurrences": totals["occurrences"],
        "overdue": totals["overdue"],
        "due_soon": totals["due_soon"],
        "next_due": upcoming[0][0] if upcoming else None,
        "next_title": upcoming[0][1] if upcoming else None,
    }


def ledger_document(
    app: PlanlogApp, plan_id: UUID, *, as_of: datetime | None = None
) -> dict[str, Any]:
    """The board document for a ledger (台账: the print page, the PDF, the XLSX, the CSV),
    now or as recorded at `as_of` (judged on that day).

    Always replayed from the event log, never from the board read model: a ledger shows
    each occurrence's evidence, which the read model does not keep, and a ledger of
    today then reads exactly like one of a past date.
    """
    today = evaluation_day(app, None, as_of)
    plan = app.get_plan(plan_id, as_of=as_of)
    items = app.plan_items(plan_id, as_of=as_of)
    document = _replayed_board(app, plan, items, today, as_of)
    # The board itself has no evidence (its read model keeps none); the ledger has.
    evidence = {str(i.id): {k: o.evidence for k, o in i.occurrences.items()} for i in items}
    for row in document["items"]:
        for occ in row["occurrences"]:
            occ["evidence"] = evidence[row["id"]].get(occ["due"])
    document["as_of"] = as_of.isoformat() if as_of else None
    return document


def diff_document(
    app: PlanlogApp,
    engine: Engine,
    plan_id: UUID,
    start: datetime,
    end: datetime,
    language: str = "zh",
) -> dict[str, Any]:
    """The plan's changes recorded in (start, end]. Doors build the two bounds from what
    a person typed with `planlog.service.app.day_span`, the one rule for dates."""
    if end < start:
        # Every door shows this text: no door's own words (a CLI flag) in it.
        raise PlanlogError(
            f"结束时间 {end.isoformat()} 早于开始时间 {start.isoformat()}"
            f"（the end {end.isoformat()} is before the start {start.isoformat()}）"
        )
    plan = app.get_plan(plan_id)
    with engine.connect() as conn:
        changes = diff(conn, str(plan_id), start, end, language)
    return {
        "plan": {"id": str(plan.id), "org": plan.org, "year": plan.year, "title": plan.title},
        "from": start.isoformat(),
        "to": end.isoformat(),
        "changes": changes,
    }


@dataclass(frozen=True)
class AuditView:
    """The audit page's reading of a period: its summary and one page of its timeline."""

    summary: AuditSummary
    page: AuditPage


def audit_view(
    engine: Engine,
    plan_id: UUID,
    start: datetime,
    end: datetime,
    where: AuditFilter,
    page: int,
    language: str = "zh",
) -> AuditView:
    """The plan's changes recorded in (start, end] (bounds from `day_span`, as the diff's),
    summarised over the whole period, and the `page`-th page of those `where` keeps."""
    if end < start:
        raise PlanlogError(
            f"结束时间 {end.isoformat()} 早于开始时间 {start.isoformat()}"
            f"（the end {end.isoformat()} is before the start {start.isoformat()}）"
        )
    with engine.connect() as conn:
        changes = diff(conn, str(plan_id), start, end, language, data=True, plan_changes=True)
    return AuditView(summarise_changes(changes), page_of(changes, where, page))


def retire_blockers(conn: Connection, name: str) -> RetireBlockers:
    """What the read models show depending on organisation `name` (its member
    organisations, plans, people not retired and tokens not revoked), for
    `RetireOrganisation`: each door reads it the same way, caught up first."""
    o, p, pe, t = organisations.c, board_plans.c, people.c, api_tokens.c
    members = conn.execute(select(o.name).where(o.parent == name).order_by(o.name)).scalars()
    plans = conn.execute(select(func.count()).where(p.org == name)).scalar_one()
    persons = conn.execute(
        select(func.count()).where(pe.org == name, pe.retired.is_(False))
    ).scalar_one()
    tokens = conn.execute(
        select(func.count()).where(t.org == name, t.revoked_at.is_(None))
    ).scalar_one()
    return RetireBlockers(members=tuple(members), plans=plans, people=persons, tokens=tokens)
