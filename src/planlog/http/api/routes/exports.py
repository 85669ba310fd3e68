"""Exports: the board as CSV and XLSX, the history as JSON Lines, calendars as ICS.

Calendar apps cannot send a bearer token, so a calendar can also be subscribed to
through a feed URL carrying a revocable feed token (`POST /api/v1/feeds`).
Exports carry the audit chain's head, so an auditor who keeps one can later prove
that the history up to it was only appended to.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from planlog.auth.caller import AUDIT, MANAGE, READ, Caller, org_scope
from planlog.auth.tokens import create_feed, find_feed, revoke_feed
from planlog.domain.errors import NotFound
from planlog.exports import calendar_ics
from planlog.http import downloads
from planlog.http.api.schemas import PROBLEMS, FeedCreate, FeedCreated
from planlog.http.deps import ServicesDep, role_caller
from planlog.http.downloads import ICS, link_base
from planlog.projections.calendar import open_deadlines

router = APIRouter(tags=["exports"])
Reader = Annotated[Caller, Depends(role_caller(READ, "read exports"))]
Auditor = Annotated[Caller, Depends(role_caller((*AUDIT, "editor"), "export the history"))]
Manager = Annotated[Caller, Depends(role_caller(MANAGE, "manage calendar feeds"))]


#: Declared for the OpenAPI document; `planlog.http.downloads` reads it from the request,
#: as the web's export links pass it too.
AsOf = Annotated[
    str | None,
    Query(description="A past date (as recorded at its end, China time) or ISO 8601 moment"),
]


@router.get("/api/v1/plans/{plan_id}/board.csv", responses=PROBLEMS)
def board_as_csv(
    plan_id: UUID, svc: ServicesDep, who: Reader, request: Request, as_of: AsOf = None
) -> Response:
    return downloads.board_as_csv(svc, who, plan_id, request)


@router.get("/api/v1/plans/{plan_id}/board.xlsx", responses=PROBLEMS)
def board_as_xlsx(
    plan_id: UUID, svc: ServicesDep, who: Reader, request: Request, as_of: AsOf = None
) -> Response:
    return downloads.board_as_xlsx(svc, who, plan_id, request)


@router.get(
    "/api/v1/plans/{plan_id}/board.pdf",
    responses={**PROBLEMS, 200: {"content": {"application/pdf": {}}}},
)
def board_as_pdf(
    plan_id: UUID, svc: ServicesDep, who: Reader, request: Request, as_of: AsOf = None
) -> Response:
    """The ledger (台账): the board as an A4 landscape PDF, now or as of a past date."""
    return downloads.board_as_pdf(svc, who, plan_id, request)


@router.get("/api/v1/plans/{plan_id}/history.jsonl", responses=PROBLEMS)
def history_as_jsonl(
    plan_id: UUID, svc: ServicesDep, who: Auditor, request: Request
) -> StreamingResponse:
    """The plan's event history, one JSON object per line, ending with the chain head."""
    return downloads.history_as_jsonl(svc, who, plan_id, request)


@router.get("/api/v1/plans/{plan_id}/calendar.ics", responses=PROBLEMS)
def plan_calendar(plan_id: UUID, svc: ServicesDep, who: Reader, request: Request) -> Response:
    """Every open deadline of the plan as an iCalendar feed (one VEVENT per occurrence)."""
    return downloads.plan_calendar(svc, who, plan_id, request)


@router.post(
    "/api/v1/feeds",
    status_code=status.HTTP_201_CREATED,
    response_model=FeedCreated,
    responses=PROBLEMS,
)
def new_feed(body: FeedCreate, svc: ServicesDep, who: Manager, request: Request) -> dict[str, Any]:
    """A calendar-feed URL for a plan, an organisation or a responsible person."""
    target = body.target
    if body.kind == "plan":
        try:
            plan_id = UUID(body.target)
        except ValueError:
            raise NotFound(
                f"没有编号为 {body.target!r} 的计划（no plan with id {body.target!r}）"
            ) from None
        who.plan(svc.app, plan_id)
    elif body.kind == "org":
        target = who.visible_org(target)  # one answer whether it exists elsewhere or nowhere
    feed_id, token = create_feed(svc.engine, who.principal, body.kind, target)
    return {"id": feed_id, "url": f"{link_base(svc, request)}/feeds/{token}.ics"}


@router.delete(
    "/api/v1/feeds/{feed_id}", status_code=status.HTTP_204_NO_CONTENT, responses=PROBLEMS
)
def delete_feed(
    feed_id: Annotated[int, Path(ge=1, le=2**31 - 1)], svc: ServicesDep, who: Manager
) -> Response:
    revoke_feed(svc.engine, feed_id, set(who.scope))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/feeds/{token}.ics", responses={404: PROBLEMS[404]})
def feed(token: str, svc: ServicesDep, request: Request) -> Response:
    """A subscribed calendar; the token in the URL is the credential. It stops working
    when the feed, or the API token that made it, is revoked."""
    found = find_feed(svc.engine, token)
    if found is None:
        raise NotFound(
            "没有这个日历订阅（已撤销或地址有误）(no such calendar feed: revoked or mistyped)"
        )
    scope = org_scope(svc.fresh(), found.org)
    with svc.engine.connect() as conn:
        if found.kind == "plan":
            deadlines = open_deadlines(conn, plan_id=found.target)
            name = "工作计划"
        elif found.kind == "org":
            deadlines = open_deadlines(conn, org=found.target)
            name = found.target
        else:
            deadlines = open_deadlines(conn, responsible=found.target)
            name = f"{found.target}的工作时限"
    visible = [d for d in deadlines if d.org in scope]
    return Response(
        calendar_ics(visible, name=name, link_base=link_base(svc, request)),
        media_type=ICS,
    )
