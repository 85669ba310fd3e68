"""Federation pages: send an item down to the unions (任务下达), read the task's status,
and the ranking of who is lagging (督办) with drill-down city → district → union.

The same commands and queries as the API (SendTask, `task_status`, `ranking`) and the
same scope: an item, task or organisation outside the caller's tree is a 404 page, a
target outside it a 403; only chairs send.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from planlog.auth.caller import MANAGE, READ
from planlog.domain.errors import NotFound, missing_organisation
from planlog.domain.task import unions_below
from planlog.http.deps import ServicesDep
from planlog.http.web.pages import WebRoute, page
from planlog.http.web.session import SessionDep
from planlog.projections.queries import evaluation_day, plan_entries
from planlog.projections.rollup import descendants
from planlog.projections.tasks import org_parents, past_deadlines, task_of_item, task_status
from planlog.service.app import parse_moment
from planlog.service.commands import SendTask

router = APIRouter(route_class=WebRoute, include_in_schema=False)

#: Unions listed on a ranking page (a city has thousands; the worst come first).
UNIONS_SHOWN = 100


def _targets(parents: dict[str, str | None], org: str, scope: frozenset[str]) -> list[str]:
    """What a task of `org` may be sent to: `org` and the organisations below it that
    have unions below them (a district), then the unions, in the caller's scope."""
    tree = {name: {"parent": parent} for name, parent in parents.items()}
    below = [n for n in descendants(tree, org) if n in scope] if org in tree else []
    groups = [n for n in below if unions_below(parents, n) != [n]]
    return groups + [n for n in below if n not in groups]


@router.get("/items/{item_id}/send")
def send_form(request: Request, item_id: UUID, svc: ServicesDep, session: SessionDep) -> Response:
    who = session.caller
    who.require(MANAGE, "send tasks down")
    item, plan = who.item(svc.app, item_id)
    with svc.fresh().connect() as conn:
        parents = org_parents(conn)
        task_id = task_of_item(conn, str(item.id))
        # said before the send, not only after it: the copies would start overdue
        past_due = [] if task_id else past_deadlines(conn, str(item.id), svc.app.today())
    context = {
        "past_due": past_due,
        "item": item,
        "plan": {"id": str(plan.id), "title": plan.title, "org": plan.org, "year": plan.year},
        "targets": [t for t in _targets(parents, plan.org, who.scope) if t != plan.org],
        "org": plan.org,
        "task_id": task_id,
        "tab": "orgs",
    }
    return page(request, "task_send.html", context, session=session)


@router.post("/items/{item_id}/send")
def send(
    item_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    csrf: Annotated[str, Form()] = "",
    to: Annotated[list[str] | None, Form()] = None,
) -> Response:
    session.check_csrf(csrf)
    who = session.caller
    who.require(MANAGE, "send tasks down")
    who.item(svc.app, item_id)
    for target in to or []:
        who.require_own_org(target)
    with svc.fresh().connect() as conn:
        parents = org_parents(conn)
    sent = svc.app.handle(SendTask(item_id=item_id, to=to or [], parents=parents, actor=who.actor))
    # just sent: the task page says so if its deadlines had already passed
    return RedirectResponse(f"/tasks/{sent.task_id}?sent=1", status_code=303)


@router.get("/tasks/{task_id}")
def task_page(
    request: Request,
    task_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    now: str | None = None,
    sent: str | None = None,
) -> Response:
    who = session.caller
    who.require(READ, "read")
    today = evaluation_day(svc.app, parse_moment(now) if now else None, None)
    with svc.fresh().connect() as conn:
        found = task_status(conn, str(task_id), today, orgs=who.scope)
        # Just sent: its open deadlines already past, worked out from the task as it is
        # (the address says only that it was just sent, so a bookmark kept after the
        # deadlines moved warns of nothing).
        late = []
        if found is not None and sent == "1":
            late = past_deadlines(conn, found["source_item_id"], today)
    if found is None or (not found["unions"] and found["org"] not in who.scope):
        raise NotFound(f"没有此任务（no task with id {task_id}）", id=str(task_id))
    context = {"task": found, "today": today, "tab": "orgs", "past_due": late}
    return page(request, "task_status.html", context, session=session)


@router.get("/orgs/{name}/rollup")
def ranking_page(
    request: Request,
    name: str,
    svc: ServicesDep,
    session: SessionDep,
    now: str | None = None,
) -> Response:
    """The organisation's districts and unions ranked (督办); each links one level down.
    The page is the ranking whether or not the address says `?rank=true` (the API's
    form of the same question)."""
    who = session.caller
    who.require(READ, "read")
    name = who.visible_org(name)
    today = evaluation_day(svc.app, parse_moment(now) if now else None, None)
    with svc.fresh().connect() as conn:
        try:
            ranked = orjson.loads(svc.rollup_answer(conn, name, today, rank=True))
        except LookupError:
            raise missing_organisation(name) from None
        parent = org_parents(conn).get(name)
    # The organisation's own plans from the board read model (caught up above), not
    # from every plan creation in the log.
    plans = plan_entries(svc.engine, frozenset({name}))
    context: dict[str, Any] = {
        "ranked": ranked,
        "unions": ranked["unions"][:UNIONS_SHOWN],
        "more": max(0, len(ranked["unions"]) - UNIONS_SHOWN),
        "up": parent if parent and who.sees_org(parent) else None,
        "plans": plans,
        "today": today,
        "tab": "orgs",
    }
    return page(request, "ranking.html", context, session=session)
