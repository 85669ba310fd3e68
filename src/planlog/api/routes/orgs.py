"""Organisations in the caller's scope, the rollup across them, and reminders."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, status

from planlog.api.deps import MANAGE, READ, Caller, ServicesDep, role_caller
from planlog.api.problems import Forbidden
from planlog.api.schemas import PROBLEMS, OrgCreate
from planlog.application import parse_moment
from planlog.domain.errors import NotFound
from planlog.projections.rollup import org_tree, rollup
from planlog.queries import evaluation_day
from planlog.scheduler.outbox import reminders_report
from planlog.views import org_view

router = APIRouter(prefix="/api/v1", tags=["organisations"])
Reader = Annotated[Caller, Depends(role_caller(READ, "read"))]
Manager = Annotated[Caller, Depends(role_caller(MANAGE, "register organisations"))]


@router.get("/orgs", responses=PROBLEMS)
def list_orgs(svc: ServicesDep, who: Reader) -> list[dict[str, Any]]:
    with svc.fresh().connect() as conn:
        tree = org_tree(conn)
    return [tree[name] for name in sorted(who.scope) if name in tree]


@router.post("/orgs", status_code=status.HTTP_201_CREATED, responses=PROBLEMS)
def create_org(body: OrgCreate, svc: ServicesDep, who: Manager) -> dict[str, Any]:
    """Register a member union under an organisation in the caller's scope."""
    if body.parent is None or not who.sees_org(body.parent):
        raise Forbidden("a new organisation must be placed under one in your scope")
    org = svc.app.register_organisation(
        body.name, parent=body.parent, chair=body.chair, actor=who.actor
    )
    return org_view(org)


@router.get("/orgs/{name}/rollup", responses=PROBLEMS)
def org_rollup(name: str, svc: ServicesDep, who: Reader, now: str | None = None) -> dict[str, Any]:
    """Completion of an organisation and its descendants."""
    if not who.sees_org(name):
        raise NotFound(f"no organisation named {name!r}")
    today = evaluation_day(svc.app, parse_moment(now) if now else None, None)
    with svc.fresh().connect() as conn:
        try:
            (node,) = rollup(conn, name, today)
        except LookupError:
            raise NotFound(f"no organisation named {name!r}") from None
    return node


@router.get("/reminders", responses=PROBLEMS, tags=["reminders"])
def list_reminders(svc: ServicesDep, who: Reader) -> list[dict[str, Any]]:
    """Issued reminders and their delivery status, newest first."""
    return reminders_report(svc.fresh(), orgs=set(who.scope))
