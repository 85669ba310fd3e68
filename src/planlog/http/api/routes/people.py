"""People of the caller's organisations (chairs manage them), and the caller's own tasks.

A person outside the caller's organisation tree answers 404, as if they did not exist,
like plans and items: a token never learns who works for another union.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request, status
from pydantic import Field

from planlog.auth.caller import MANAGE, Caller
from planlog.auth.errors import Forbidden
from planlog.auth.links import check_issuer, links_issued, sign_in_url
from planlog.domain.errors import NotFound
from planlog.domain.person import EMAIL_MAX, IM_ID_MAX, MOBILE_MAX
from planlog.domain.values import NAME_MAX, TYPED_CHAIR_MAX, TYPED_REASON_MAX
from planlog.http.api.schemas import PROBLEMS, Body
from planlog.http.deps import CallerDep, ServicesDep, role_caller
from planlog.projections.people import PersonRow, people_in, person_row, tasks_for
from planlog.service.commands import ChangePerson, RegisterPerson, RetirePerson

router = APIRouter(prefix="/api/v1", tags=["people"])
Chair = Annotated[Caller, Depends(role_caller(MANAGE, "manage people"))]
Role = Literal["editor", "chair", "auditor"]


class PersonCreate(Body):
    org: str = Field(min_length=1, max_length=NAME_MAX, examples=["某医院工会"])
    name: str = Field(min_length=1, max_length=TYPED_CHAIR_MAX, examples=["张三"])
    department: str | None = Field(default=None, max_length=NAME_MAX, examples=["组织部"])
    role: Role = "editor"
    mobile: str | None = Field(default=None, max_length=MOBILE_MAX, examples=["13800138000"])
    email: str | None = Field(default=None, max_length=EMAIL_MAX)
    im_id: str | None = Field(default=None, max_length=IM_ID_MAX, description="WeCom/DingTalk id")


class PersonChange(Body):
    """Only the fields sent change; `null` clears an optional one. `retired: true`
    retires the person (for good)."""

    name: str | None = Field(default=None, min_length=1, max_length=TYPED_CHAIR_MAX)
    department: str | None = Field(default=None, max_length=NAME_MAX)
    role: Role | None = None
    mobile: str | None = Field(default=None, max_length=MOBILE_MAX)
    email: str | None = Field(default=None, max_length=EMAIL_MAX)
    im_id: str | None = Field(default=None, max_length=IM_ID_MAX)
    retired: Literal[True] | None = None
    reason: str | None = Field(default=None, max_length=TYPED_REASON_MAX)


class LinkRequest(Body):
    next: str | None = Field(default=None, max_length=500, examples=["/me"])


def _person(svc: Any, who: Caller, person_id: str) -> PersonRow:
    """The person, if the caller's organisations include theirs; else 404."""
    with svc.fresh().connect() as conn:
        found = person_row(conn, person_id)
    if found is None or not who.sees_org(found.org):
        raise NotFound(f"没有编号为 {person_id} 的人员（no person with id {person_id}）")
    return found


@router.get("/people", responses=PROBLEMS)
def list_people(svc: ServicesDep, who: Chair, retired: bool = False) -> list[dict[str, Any]]:
    """The people of the caller's organisation and those below it."""
    with svc.fresh().connect() as conn:
        return [p.to_dict() for p in people_in(conn, who.scope, include_retired=retired)]


@router.post("/people", status_code=status.HTTP_201_CREATED, responses=PROBLEMS)
def add_person(body: PersonCreate, svc: ServicesDep, who: Chair) -> dict[str, Any]:
    who.require_own_org(body.org)
    person = svc.app.handle(RegisterPerson(**body.model_dump(), actor=who.actor))
    return _person(svc, who, str(person.id)).to_dict()


@router.get("/people/{person_id}", responses=PROBLEMS)
def get_person(person_id: str, svc: ServicesDep, who: Chair) -> dict[str, Any]:
    """The person, with `links_issued`: every sign-in link made for them (who, when)."""
    found = _person(svc, who, person_id)
    return {**found.to_dict(), "links_issued": links_issued(svc.engine, found.id)}


@router.patch("/people/{person_id}", responses=PROBLEMS)
def change_person(
    person_id: str, body: PersonChange, svc: ServicesDep, who: Chair
) -> dict[str, Any]:
    found = _person(svc, who, person_id)
    sent = body.model_dump(include=body.model_fields_set - {"retired", "reason"})
    if sent:
        svc.app.handle(
            ChangePerson(
                person_id=UUID(found.id), changes=sent, actor=who.actor, reason=body.reason
            )
        )
    if body.retired:
        svc.app.handle(RetirePerson(person_id=UUID(found.id), actor=who.actor, reason=body.reason))
    return _person(svc, who, found.id).to_dict()


@router.post("/people/{person_id}/link", responses=PROBLEMS)
def person_link(
    person_id: str,
    request: Request,
    svc: ServicesDep,
    who: Chair,
    body: LinkRequest | None = None,
) -> dict[str, str]:
    """A one-time sign-in link for the person (works once, for 7 days), to send them.
    Only for an editor, an auditor or the chair themselves (403 otherwise: a link for
    another chair is the administrator's, `planlog person link`); each is recorded."""
    found = _person(svc, who, person_id)
    check_issuer(who.principal.person_id, found)
    base = svc.settings.base_url or str(request.base_url)
    url = sign_in_url(svc.engine, found.id, base, body.next if body else None, issued_by=who.actor)
    return {"url": url}


@router.get("/me", responses=PROBLEMS, tags=["me"])
def me(svc: ServicesDep, who: CallerDep) -> dict[str, Any]:
    """Who the token is: the person, with their organisation and role."""
    return _own_person(svc, who).to_dict()


@router.get("/me/tasks", responses=PROBLEMS, tags=["me"])
def my_tasks(svc: ServicesDep, who: CallerDep) -> list[dict[str, Any]]:
    """The caller's open deadlines (我的任务): items of their organisation whose
    responsible or helping units name them or their department; overdue first, then by
    due date. `days_left` is negative when overdue."""
    person = _own_person(svc, who)
    with svc.fresh().connect() as conn:
        return [t.to_dict() for t in tasks_for(conn, person, svc.app.today())]


def _own_person(svc: Any, who: Caller) -> PersonRow:
    if who.principal.person_id is None:
        raise Forbidden(
            "此令牌不属于任何人员，没有“我的任务”；请用 planlog token create --person 发放"
            "（this token is not a person's: give one with planlog token create --person）"
        )
    with svc.fresh().connect() as conn:
        found = person_row(conn, who.principal.person_id)
    if found is None:
        raise NotFound("没有此人员（no such person）")
    return found
