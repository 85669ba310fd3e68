"""Exports: the board as CSV and XLSX, the history as JSON Lines, calendars as ICS.

Calendar apps cannot send a bearer token, so a calendar can also be subscribed to
through a feed URL carrying a revocable feed token (`POST /api/v1/feeds`).
Exports carry the audit chain's head, so an auditor who keeps one can later prove
that the history up to it was only appended to.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Request, Response, status
from fastapi.responses import StreamingResponse

from planlog.audit.anchor import export_head
from planlog.auth.tokens import create_feed, find_feed, revoke_feed
from planlog.domain.errors import NotFound
from planlog.exports import board_csv, board_xlsx, calendar_ics, history_jsonl
from planlog.http.api.schemas import PROBLEMS, FeedCreate, FeedCreated
from planlog.http.deps import AUDIT, MANAGE, READ, Caller, Services, ServicesDep, role_caller
from planlog.projections.calendar import open_deadlines
from planlog.projections.queries import board_document

router = APIRouter(tags=["exports"])
Reader = Annotated[Caller, Depends(role_caller(READ, "read exports"))]
Auditor = Annotated[Caller, Depends(role_caller((*AUDIT, "editor"), "export the history"))]
Manager = Annotated[Caller, Depends(role_caller(MANAGE, "manage calendar feeds"))]

ICS = "text/calendar; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(content: bytes, media_type: str, filename: str) -> Response:
    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


def _board(svc: Services, who: Caller, plan_id: UUID) -> dict[str, Any]:
    who.plan(svc, plan_id)
    return board_document(svc.app, svc.fresh(), plan_id)


@router.get("/api/v1/plans/{plan_id}/board.csv", responses=PROBLEMS)
def board_as_csv(plan_id: UUID, svc: ServicesDep, who: Reader) -> Response:
    board = _board(svc, who, plan_id)
    return _download(board_csv(board), "text/csv; charset=utf-8", f"{board['plan']['title']}.csv")


@router.get("/api/v1/plans/{plan_id}/board.xlsx", responses=PROBLEMS)
def board_as_xlsx(plan_id: UUID, svc: ServicesDep, who: Reader) -> Response:
    board = _board(svc, who, plan_id)
    content = board_xlsx(board, chain_head=export_head(svc.app, svc.engine))
    return _download(content, XLSX, f"{board['plan']['title']}.xlsx")


def plan_history(svc: Services, plan_id: UUID) -> list[dict[str, Any]]:
    """Every event of a plan and its items, in recorded order."""
    plan = svc.app.get_plan(plan_id)
    entries = [{"aggregate_id": str(plan_id), **e} for e in svc.app.history(plan_id)]
    for item_id in plan.item_ids:
        entries += [{"aggregate_id": str(item_id), **e} for e in svc.app.history(item_id)]
    return sorted(entries, key=lambda e: (e["recorded_at"], e["aggregate_id"], e["version"]))


@router.get("/api/v1/plans/{plan_id}/history.jsonl", responses=PROBLEMS)
def history_as_jsonl(plan_id: UUID, svc: ServicesDep, who: Auditor) -> StreamingResponse:
    """The plan's event history, one JSON object per line, ending with the chain head."""
    who.plan(svc, plan_id)
    entries = plan_history(svc, plan_id)
    chain = export_head(svc.app, svc.fresh())

    def lines() -> Iterator[bytes]:
        for line in history_jsonl(entries, chain_head=chain):
            yield line.encode()

    return StreamingResponse(
        lines(),
        media_type="application/x-ndjson; charset=utf-8",
        headers={"Content-Disposition": "attachment; filename=history.jsonl"},
    )


@router.get("/api/v1/plans/{plan_id}/calendar.ics", responses=PROBLEMS)
def plan_calendar(plan_id: UUID, svc: ServicesDep, who: Reader, request: Request) -> Response:
    """Every open deadline of the plan as an iCalendar feed (one VEVENT per occurrence)."""
    plan = who.plan(svc, plan_id)
    with svc.fresh().connect() as conn:
        deadlines = open_deadlines(conn, plan_id=str(plan_id))
    return Response(
        calendar_ics(deadlines, name=plan.title, link_base=_link_base(svc, request)), media_type=ICS
    )


def _link_base(svc: Services, request: Request) -> str:
    return svc.settings.base_url or str(request.base_url).rstrip("/")


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
            raise NotFound(f"no plan with id {body.target!r}") from None
        who.plan(svc, plan_id)
    elif body.kind == "org":
        target = who.visible_org(target)  # one answer whether it exists elsewhere or nowhere
    feed_id, token = create_feed(svc.engine, who.principal, body.kind, target)
    return {"id": feed_id, "url": f"{_link_base(svc, request)}/feeds/{token}.ics"}


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
    from planlog.http.deps import org_scope

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
        calendar_ics(visible, name=name, link_base=_link_base(svc, request)), media_type=ICS
    )
