"""Plans: create, list, their items, the board (now or as of), the diff, the policy."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends, Query, Response, status

from planlog.auth.caller import AUDIT, MANAGE, READ, Caller
from planlog.domain.policy import ReminderPolicy
from planlog.http.api.schemas import (
    PROBLEMS,
    BoardOut,
    Created,
    ItemCreate,
    PlanCreate,
    PlanRename,
    SectionOrder,
)
from planlog.http.deps import ServicesDep, role_caller
from planlog.projections.queries import board_document, diff_document, plan_entries
from planlog.service.app import day_span, parse_moment
from planlog.service.commands import (
    AddItem,
    CreatePlan,
    NewItem,
    RenamePlan,
    ReorderSections,
    SetReminderPolicy,
)
from planlog.service.views import item_view, plan_view

router = APIRouter(prefix="/api/v1/plans", tags=["plans"])

Manager = Annotated[Caller, Depends(role_caller(MANAGE, "create or change plans"))]
Reader = Annotated[Caller, Depends(role_caller(READ, "read plans"))]
Auditor = Annotated[Caller, Depends(role_caller((*AUDIT, "editor"), "compare plan states"))]
Moment = Annotated[
    str | None, Query(description="ISO 8601; a bare date means the end of that day in China")
]


def _moment(text: str | None) -> datetime | None:
    return parse_moment(text) if text else None


@router.get("", responses=PROBLEMS)
def list_plans(svc: ServicesDep, who: Reader) -> list[dict[str, Any]]:
    """Plans of the caller's organisation and its descendants."""
    return [e.to_dict() for e in plan_entries(svc.fresh(), who.scope)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Created, responses=PROBLEMS)
def create_plan(body: PlanCreate, svc: ServicesDep, who: Manager) -> dict[str, str]:
    """Create an empty plan for a registered organisation in the caller's scope."""
    who.require_own_org(body.org)
    # A chair never registers an organisation by naming it: the administrator does.
    plan = svc.app.handle(
        CreatePlan(
            org=body.org,
            year=body.year,
            title=body.title,
            actor=who.actor,
            register_missing_org=False,
        )
    )
    return {"id": str(plan.id)}


@router.get("/{plan_id}", responses=PROBLEMS)
def get_plan(plan_id: UUID, svc: ServicesDep, who: Reader, as_of: Moment = None) -> dict[str, Any]:
    moment = _moment(as_of)
    plan = who.plan(svc.app, plan_id)
    return plan_view(svc.app.get_plan(plan_id, as_of=moment) if moment else plan)


@router.patch("/{plan_id}", responses=PROBLEMS)
def rename_plan(plan_id: UUID, body: PlanRename, svc: ServicesDep, who: Manager) -> dict[str, Any]:
    """Rename the plan (`title`, with an optional `reason`); answers the plan."""
    who.plan(svc.app, plan_id)
    plan = svc.app.handle(
        RenamePlan(plan_id=plan_id, title=body.title, actor=who.actor, reason=body.reason)
    )
    return plan_view(plan)


@router.put("/{plan_id}/sections/order", responses=PROBLEMS)
def reorder_sections(
    plan_id: UUID, body: SectionOrder, svc: ServicesDep, who: Manager
) -> dict[str, Any]:
    """Put the sections in this order (every section id once); answers the plan."""
    who.plan(svc.app, plan_id)
    plan = svc.app.handle(
        ReorderSections(plan_id=plan_id, order=body.order, actor=who.actor, reason=body.reason)
    )
    return plan_view(plan)


@router.get("/{plan_id}/items", responses=PROBLEMS)
def list_items(
    plan_id: UUID, svc: ServicesDep, who: Reader, as_of: Moment = None
) -> list[dict[str, Any]]:
    who.plan(svc.app, plan_id)
    moment = _moment(as_of)
    plan = svc.app.get_plan(plan_id, as_of=moment)
    today = svc.app.today()
    return [item_view(i, today, plan) for i in svc.app.plan_items(plan_id, as_of=moment)]


@router.post(
    "/{plan_id}/items",
    status_code=status.HTTP_201_CREATED,
    response_model=Created,
    responses=PROBLEMS,
)
def add_item(
    plan_id: UUID, body: ItemCreate, svc: ServicesDep, who: Manager, response: Response
) -> dict[str, str]:
    """Plan an item: due dates, windows, an RRULE, or a 时限 text (deadline)."""
    who.plan(svc.app, plan_id)  # 404 outside the caller's organisations
    spec = NewItem(
        title=body.title,
        section=body.section,
        number=body.number,
        goal=body.goal,
        measures=body.measures,
        responsible=body.responsible,
        dues=list(body.dues),
        windows=[(w.opens, w.due) for w in body.windows],
        rrule=body.rrule,
    )
    item = svc.app.handle(
        AddItem.typed(plan_id=plan_id, spec=spec, deadline=body.deadline, actor=who.actor)
    )
    response.headers["Location"] = f"/api/v1/items/{item.id}"
    response.headers["ETag"] = f'"{item.version}"'
    return {"id": str(item.id)}


@router.get("/{plan_id}/board", response_model=BoardOut, responses=PROBLEMS)
def board(
    plan_id: UUID, svc: ServicesDep, who: Reader, now: Moment = None, as_of: Moment = None
) -> Response:
    """The board: totals, sections, items with traffic lights (now, or as recorded then)."""
    moment = _moment(as_of)
    # The past is replayed from the log, the plan with it; today's board is read from the
    # read models alone, its scope checked on the plan they hold (replaying the plan
    # for that was a tenth of a board request).
    plan = who.plan(svc.app, plan_id) if moment is not None else None
    # The caller's dependency caught the read models up a moment ago (`fresh()`): a
    # second catch-up would only ask the log's head again.
    document = board_document(
        svc.app,
        svc.engine,
        plan_id,
        now=_moment(now),
        as_of=moment,
        plan=plan,
        sees=who.sees_org,
    )
    # Serialised here (BoardOut stays the documented shape): FastAPI's response-model
    # path walked the board's every value in Python, as long again as building it.
    return Response(orjson.dumps(document), media_type="application/json")


@router.get("/{plan_id}/diff", responses=PROBLEMS)
def diff(
    plan_id: UUID,
    svc: ServicesDep,
    who: Auditor,
    start: Annotated[str, Query(alias="from")],
    end: Annotated[str, Query(alias="to")],
    lang: Annotated[Literal["zh", "en"], Query(description="language of the summaries")] = "zh",
) -> dict[str, Any]:
    """What changed between two recorded times: added, completed, rescheduled, …"""
    who.plan(svc.app, plan_id)
    after, until = day_span(start, end)
    return diff_document(svc.app, svc.fresh(), plan_id, after, until, lang)


@router.get("/{plan_id}/history", responses=PROBLEMS)
def plan_history(plan_id: UUID, svc: ServicesDep, who: Auditor) -> list[dict[str, Any]]:
    who.plan(svc.app, plan_id)
    return svc.app.history(plan_id)


@router.get("/{plan_id}/policy", responses=PROBLEMS)
def get_policy(plan_id: UUID, svc: ServicesDep, who: Reader) -> dict[str, Any]:
    """The plan's reminder policy (defaults filled in; a stored value out of bounds is
    shown as the scheduler uses it, clamped)."""
    plan = who.plan(svc.app, plan_id)
    return ReminderPolicy.from_stored(plan.reminder_policy, plan=str(plan_id)).to_dict()


@router.put("/{plan_id}/policy", responses=PROBLEMS)
def set_policy(
    plan_id: UUID, body: dict[str, Any], svc: ServicesDep, who: Manager
) -> dict[str, Any]:
    """Replace the plan's policy overrides. Every field is bounded (see
    planlog.domain.policy); a bad one is a 422 naming the field, and nothing is recorded."""
    who.plan(svc.app, plan_id)
    plan = svc.app.handle(SetReminderPolicy(plan_id=plan_id, policy=body, actor=who.actor))
    return ReminderPolicy.from_dict(plan.reminder_policy).to_dict()
