"""Organisations in the caller's scope, the rollup across them, and reminders."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from planlog.auth.caller import MANAGE, READ, Caller
from planlog.auth.errors import Forbidden
from planlog.auth.tokens import token_org_exists
from planlog.domain.errors import missing_organisation
from planlog.domain.organisation import name_in_use
from planlog.http.api.schemas import PROBLEMS, OrgCreate, OrgRetire
from planlog.http.deps import ServicesDep, role_caller
from planlog.projections.outbox import reminders_report
from planlog.projections.queries import evaluation_day, retire_blockers
from planlog.projections.rollup import org_tree
from planlog.service.app import parse_moment
from planlog.service.commands import RegisterOrganisation, RetireOrganisation
from planlog.service.views import org_view

router = APIRouter(prefix="/api/v1", tags=["organisations"])
Reader = Annotated[Caller, Depends(role_caller(READ, "read"))]
Manager = Annotated[Caller, Depends(role_caller(MANAGE, "register organisations"))]
Retirer = Annotated[Caller, Depends(role_caller(MANAGE, "retire organisations"))]


@router.get("/orgs", responses=PROBLEMS)
def list_orgs(svc: ServicesDep, who: Reader) -> list[dict[str, Any]]:
    with svc.fresh().connect() as conn:
        tree = org_tree(conn)
    return [tree[name] for name in sorted(who.scope) if name in tree]


@router.post("/orgs", status_code=status.HTTP_201_CREATED, responses=PROBLEMS)
def create_org(body: OrgCreate, svc: ServicesDep, who: Manager) -> dict[str, Any]:
    """Register a new member union under an organisation in the caller's scope.

    Only a name nobody uses: an organisation that exists — registered, named by plans,
    or holding API tokens — is refused with one answer wherever it sits, so that
    registering can neither adopt another union's plans nor tell where a union is.
    Moving an existing organisation is the administrator's `planlog org move`."""
    if body.parent is None or not who.sees_org(body.parent.strip()):
        raise Forbidden(
            "新组织须登记在您的组织或其下属工会之下（a new organisation must be placed "
            "under one in your scope）"
        )
    name = body.name.strip()
    if token_org_exists(svc.engine, name):
        raise name_in_use(name)
    org = svc.app.handle(
        RegisterOrganisation(
            name=name,
            parent=body.parent.strip(),
            chair=body.chair,
            actor=who.actor,
            only_new_name=True,
        )
    )
    return org_view(org)


@router.post("/orgs/{name}/retire", responses=PROBLEMS)
def retire_org(name: str, body: OrgRetire, svc: ServicesDep, who: Retirer) -> dict[str, Any]:
    """Retire (注销) a member union registered by mistake (a misspelt name) or dissolved:
    it leaves the tree, for good. Only one below the caller's own organisation, and only
    while no organisation, plan, person or token depends on it (422
    `organisation_in_use` names them)."""
    name = who.visible_org(name)
    if name == who.principal.org:
        raise Forbidden("不能注销本组织（a union cannot retire itself）")
    # Caught up on every write so far, waiting if need be (not `fresh`, which serves
    # the read models as they are): what depends on the union is judged on all of it.
    svc.runner.catch_up()
    with svc.runner.engine.connect() as conn:
        below = retire_blockers(conn, name)
    org = svc.app.handle(
        RetireOrganisation(name=name, reason=body.reason, actor=who.actor, below=below)
    )
    return org_view(org)


@router.get("/orgs/{name}/rollup", responses=PROBLEMS, response_model=dict[str, Any])
def org_rollup(
    name: str,
    svc: ServicesDep,
    who: Reader,
    now: str | None = None,
    rank: bool = False,
    depth: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    """Completion of an organisation and its descendants; with `rank=true`, its districts
    and unions ranked by overdue (most first), then completion (least first). `depth`
    keeps the tree to that many levels below the organisation (totals still whole), for
    drill-down views; the ranking always covers every union."""
    name = who.visible_org(name)
    today = evaluation_day(svc.app, parse_moment(now) if now else None, None)

    with svc.fresh().connect() as conn:
        try:
            answer = svc.rollup_answer(conn, name, today, rank=rank, depth=depth)
        except LookupError:
            raise missing_organisation(name) from None
    return Response(answer, media_type="application/json")


@router.get("/reminders", responses=PROBLEMS, tags=["reminders"])
def list_reminders(svc: ServicesDep, who: Reader) -> list[dict[str, Any]]:
    """Issued reminders and their delivery status, newest first."""
    return reminders_report(svc.fresh(), orgs=set(who.scope))
