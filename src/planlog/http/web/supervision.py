"""Extension requests (延期申请) and sign-off (办结审核) in the web: the item page's forms
and the chair's list of what awaits a decision (/plans/{id}/pending).

Each form is one command through the item page's shared submit (`items._submit`): the
same role rules, form token, version check and refusal page as every other item form.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from planlog.auth.caller import MANAGE
from planlog.domain.errors import PlanlogError
from planlog.domain.model import REQUEST_OPEN
from planlog.domain.status import SUBMITTED
from planlog.http.deps import ServicesDep
from planlog.http.web.items import (
    REASON_MAX,
    FormError,
    FormText,
    _day,
    _occurrence,
    _reason,
    _submit,
    form_text,
    form_version,
)
from planlog.http.web.pages import WebRoute, explain, form_status, page
from planlog.http.web.session import SessionDep, language
from planlog.http.web.text import tr
from planlog.projections.queries import board_document
from planlog.service import commands

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.post("/items/{item_id}/extension-requests")
def request_extension(
    request: Request,
    item_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    csrf: FormText = "",
    version: FormText = "",
    occurrence: FormText = "",
    to: FormText = "",
    reason: FormText = "",
) -> Response:
    form = dict(csrf=csrf, occurrence=occurrence, to=to, reason=reason)
    actor = session.caller.actor

    def command(lang: str) -> commands.Command[Any]:
        key, new_due = _occurrence(occurrence, lang), _day(to, lang)
        if key is None or new_due is None:
            raise FormError(tr("date_invalid", lang))
        return commands.RequestExtension(
            item_id=item_id,
            occurrence=key,
            to=new_due,
            reason=_reason(reason, lang),
            actor=actor,
            expected_version=form_version(version),
        )

    return _submit(request, svc, session, item_id, form, "request", command)


def _decide(
    request: Request,
    svc: Any,
    session: Any,
    item_id: UUID,
    request_id: str,
    form: dict[str, str],
    version: str,
    *,
    approve: bool,
) -> Response:
    actor = session.caller.actor

    def command(lang: str) -> commands.Command[Any]:
        decision = commands.DecideExtension.of(
            request_id,
            approve=approve,
            actor=actor,
            reason=_reason(form["reason"], lang) if not approve else None,
            expected_version=form_version(version),
        )
        if decision.item_id != item_id:  # a request of another item: not this page's
            raise FormError(tr("bad_input", lang))
        return decision

    return _submit(
        request, svc, session, item_id, form, "approve" if approve else "reject", command
    )


@router.post("/items/{item_id}/extension-requests/{request_id}/approve")
def approve(
    request: Request,
    item_id: UUID,
    request_id: str,
    svc: ServicesDep,
    session: SessionDep,
    csrf: FormText = "",
    version: FormText = "",
) -> Response:
    form = dict(csrf=csrf, reason="")
    return _decide(request, svc, session, item_id, request_id, form, version, approve=True)


@router.post("/items/{item_id}/extension-requests/{request_id}/reject")
def reject(
    request: Request,
    item_id: UUID,
    request_id: str,
    svc: ServicesDep,
    session: SessionDep,
    csrf: FormText = "",
    version: FormText = "",
    reason: FormText = "",
) -> Response:
    form = dict(csrf=csrf, reason=reason)
    return _decide(request, svc, session, item_id, request_id, form, version, approve=False)


def _sign_off(
    request: Request,
    svc: Any,
    session: Any,
    item_id: UUID,
    form: dict[str, str],
    version: str,
    *,
    confirm: bool,
) -> Response:
    actor = session.caller.actor

    def command(lang: str) -> commands.Command[Any]:
        key = _occurrence(form["occurrence"], lang)
        if key is None:
            raise FormError(tr("date_invalid", lang))
        return commands.SignOff(
            item_id=item_id,
            occurrence=key,
            confirm=confirm,
            reason=form_text(form["reason"], REASON_MAX, lang)
            if confirm
            else _reason(form["reason"], lang),
            actor=actor,
            expected_version=form_version(version),
        )

    return _submit(
        request, svc, session, item_id, form, "confirm" if confirm else "return", command
    )


@router.post("/items/{item_id}/confirm")
def confirm(
    request: Request,
    item_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    csrf: FormText = "",
    version: FormText = "",
    occurrence: FormText = "",
    reason: FormText = "",
) -> Response:
    form = dict(csrf=csrf, occurrence=occurrence, reason=reason)
    return _sign_off(request, svc, session, item_id, form, version, confirm=True)


@router.post("/items/{item_id}/return")
def return_submission(
    request: Request,
    item_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    csrf: FormText = "",
    version: FormText = "",
    occurrence: FormText = "",
    reason: FormText = "",
) -> Response:
    form = dict(csrf=csrf, occurrence=occurrence, reason=reason)
    return _sign_off(request, svc, session, item_id, form, version, confirm=False)


# ------------------------------------------------------------------ the chair's list


def pending_rows(board: dict[str, Any]) -> list[dict[str, Any]]:
    """What awaits the chair on a board: each open extension request and each submitted
    deadline, with its item, earliest deadline first."""
    rows = []
    for item in board["items"]:
        for occ in item["occurrences"]:
            request = occ.get("request")
            if request and request["status"] == REQUEST_OPEN:
                rows.append({"kind": "request", "item": item, "occ": occ, "request": request})
            if occ["status"] == SUBMITTED:
                rows.append({"kind": "submitted", "item": item, "occ": occ, "request": None})
    return sorted(rows, key=lambda r: (r["occ"]["due"], r["item"]["title"]))


@router.get("/plans/{plan_id}/pending")
def pending(
    request: Request,
    plan_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    done: str | None = None,
    error: str | None = None,
) -> Response:
    who = session.caller
    who.require(MANAGE, "decide extension requests and sign-offs")
    plan = who.plan(svc.app, plan_id)
    board = board_document(svc.app, svc.fresh(), plan_id)
    lang = language(request)
    context = {
        "plan": {"id": str(plan.id), "title": plan.title, "org": plan.org, "year": plan.year},
        "tab": "pending",
        "rows": pending_rows(board),
        "sign_off": plan.sign_off,
        "flash": tr("saved_sign_off", lang) if done == "sign_off" else None,
        "error": error,
    }
    return page(request, "pending.html", context, session=session)


@router.post("/plans/{plan_id}/pending/sign-off")
def set_sign_off(
    request: Request,
    plan_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    csrf: FormText = "",
    on: FormText = "",
) -> Response:
    """Switch the plan's sign-off: the other policy fields stay as they are."""
    session.check_csrf(csrf)
    who = session.caller
    who.require(MANAGE, "change the plan's settings")
    plan = who.plan(svc.app, plan_id)
    policy = {**plan.reminder_policy, "sign_off": on == "1"}
    try:
        svc.app.handle(commands.SetReminderPolicy(plan_id=plan_id, policy=policy, actor=who.actor))
    except PlanlogError as refused:
        lang = language(request)
        context = {
            "plan": {"id": str(plan.id), "title": plan.title, "org": plan.org, "year": plan.year},
            "tab": "pending",
            "rows": [],
            "sign_off": plan.sign_off,
            "flash": None,
            "error": explain(refused, lang),
        }
        return page(
            request, "pending.html", context, session=session, status_code=form_status(refused)
        )
    return RedirectResponse(f"/plans/{plan_id}/pending?done=sign_off", status_code=303)
