"""Federation tasks (任务下达): send an item down to the unions, read its status, move its
deadlines. Scope as everywhere: an item, task or organisation outside the caller's tree
answers 404; a target the caller may not write to answers 403."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import Field

from planlog.auth.caller import MANAGE, READ, Caller
from planlog.domain.errors import NotFound
from planlog.domain.task import MAX_TARGETS
from planlog.domain.values import NAME_MAX
from planlog.http.api.schemas import PROBLEMS, REASON, WRITE_PROBLEMS, Body, Window
from planlog.http.deps import Services, ServicesDep, role_caller
from planlog.projections.queries import evaluation_day
from planlog.projections.tasks import org_parents, task_row, task_status
from planlog.service.app import parse_moment
from planlog.service.commands import AdjustTask, SendTask

router = APIRouter(prefix="/api/v1", tags=["tasks"])
Reader = Annotated[Caller, Depends(role_caller(READ, "read"))]
Sender = Annotated[Caller, Depends(role_caller(MANAGE, "send tasks down"))]


class SendBody(Body):
    to: list[Annotated[str, Field(min_length=1, max_length=NAME_MAX)]] = Field(
        min_length=1, max_length=MAX_TARGETS, examples=[["某区总工会"]]
    )
    dry_run: bool = Field(
        default=False, description="say what the send would do (copies, past_due); record nothing"
    )


class AdjustBody(Body):
    reason: str = REASON
    dues: list[date] = Field(default_factory=list, max_length=400)
    windows: list[Window] = Field(default_factory=list, max_length=50)


def _no_task(task_id: UUID) -> NotFound:
    return NotFound(f"没有此任务（no task with id {task_id}）", id=str(task_id))


@router.post("/items/{item_id}/send", responses=WRITE_PROBLEMS)
def send_task(item_id: UUID, body: SendBody, svc: ServicesDep, who: Sender) -> dict[str, Any]:
    """Send the item to every union below the organisations `to` (each union gets its own
    copy in its plan for the item's year; a union that has one is skipped)."""
    who.item(svc.app, item_id)  # 404 outside the caller's organisations
    for target in body.to:
        who.require_own_org(target)
    with svc.fresh().connect() as conn:
        parents = org_parents(conn)
    sent = svc.app.handle(
        SendTask(
            item_id=item_id, to=body.to, parents=parents, actor=who.actor, dry_run=body.dry_run
        )
    )
    return sent.document()


def visible_status(
    svc: Services, who: Caller, task_id: UUID, now: str | None = None
) -> dict[str, Any]:
    """The task as the caller may see it: its sender's side sees every copy in its tree; a
    district or union only the copies of its own unions; anyone else a 404."""
    today = evaluation_day(svc.app, parse_moment(now) if now else None, None)
    with svc.fresh().connect() as conn:
        found = task_status(conn, str(task_id), today, orgs=who.scope)
    if found is None or (not found["unions"] and found["org"] not in who.scope):
        raise _no_task(task_id)
    return found


@router.get("/tasks/{task_id}", responses=PROBLEMS)
def get_task(
    task_id: UUID, svc: ServicesDep, who: Reader, now: str | None = None
) -> dict[str, Any]:
    """How many unions are done, overdue and open, and each union's copy."""
    return visible_status(svc, who, task_id, now)


@router.post("/tasks/{task_id}/adjust", responses=WRITE_PROBLEMS)
def adjust_task(task_id: UUID, body: AdjustBody, svc: ServicesDep, who: Sender) -> dict[str, Any]:
    """Move the task's deadlines: the federation's own item and every union's copy."""
    with svc.fresh().connect() as conn:
        task = task_row(conn, str(task_id))
    if task is None or task["org"] not in who.scope:
        raise _no_task(task_id)
    moved = svc.app.handle(
        AdjustTask(
            task_id=task_id,
            dues=body.dues,
            windows=[(w.opens, w.due) for w in body.windows],
            reason=body.reason,
            actor=who.actor,
        )
    )
    return {"task_id": str(moved.task_id), "copies": moved.copies}
