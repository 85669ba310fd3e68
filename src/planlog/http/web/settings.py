"""A plan's settings page, for chairs only: the plan's title, sections (added, renamed,
reordered), the reminder policy, where reminders
go (with a test message), and calendar feeds.

Writes are the same as elsewhere: the title, sections and the policy are commands
(RenamePlan, AddSection, RenameSection, ReorderSections, SetReminderPolicy: events with who
and why); channels and feeds are
sign-in data kept beside the read models (planlog.scheduler.dispatch, planlog.auth.tokens),
as the CLI (`planlog reminders channel …`) and the API (`/api/v1/feeds`) keep them. The
test message goes out through the reminders' own delivery code and records nothing.
Other roles get a 403 page.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Path, Request, Response
from fastapi.responses import RedirectResponse

from planlog.auth.caller import MANAGE, Caller
from planlog.auth.tokens import create_feed, list_feeds, revoke_feed
from planlog.domain.errors import PlanlogError
from planlog.domain.model import Plan
from planlog.domain.policy import INT_RANGES
from planlog.domain.values import NAME_MAX, TYPED_ITEM_TITLE_MAX, TYPED_REASON_MAX
from planlog.http.deps import Services, ServicesDep
from planlog.http.downloads import link_base
from planlog.http.web.chair import plan_head
from planlog.http.web.items import FormError, form_text
from planlog.http.web.page_models import people
from planlog.http.web.pages import WebRoute, explain, form_status, page
from planlog.http.web.session import SessionDep, WebSession, language
from planlog.http.web.text import tr
from planlog.projections.queries import board_document
from planlog.scheduler.delivery import Attempt
from planlog.scheduler.dispatch import list_channels, send_test, set_channels
from planlog.scheduler.policy import ReminderPolicy, stored_overrides
from planlog.service import commands

router = APIRouter(route_class=WebRoute, include_in_schema=False)

FormText = Annotated[str, Form()]
FormList = Annotated[list[str], Form()]
#: The domain's limit on a typed reason, as the API's.
REASON_MAX = TYPED_REASON_MAX
#: A plan's title is typed under the same limit as an item's.
TITLE_MAX = TYPED_ITEM_TITLE_MAX
FeedId = Annotated[int, Path(ge=1, le=2**31 - 1)]
FLASHES = {
    "title": "saved_title",
    "order": "saved_order",
    "section": "saved_section",
    "policy": "saved_policy",
    "channels": "saved_channels",
    "revoked": "revoked",
}
#: The policy's whole-number fields, in the order the form shows them.
NUMBER_FIELDS = (
    "overdue_every_days",
    "widen_after_days",
    "overdue_later_every_days",
    "escalate_after_days",
    "escalate_parent_after_days",
    "max_chases",
)
SWITCHES = ("on_due_day", "opens_notice")


def _chair_plan(svc: Services, session: WebSession, plan_id: UUID, csrf: str | None) -> Plan:
    if csrf is not None:
        session.check_csrf(csrf)
    who = session.caller
    who.require(MANAGE, "change the plan's settings")
    return who.plan(svc.app, plan_id)


def _feeds(svc: Services, who: Caller, plan: Plan) -> list[dict[str, Any]]:
    """The feeds that concern this plan: of the plan, of its union, of people."""
    found = list_feeds(svc.engine, set(who.scope))
    return [
        f
        for f in found
        if (f["kind"] == "plan" and f["target"] == str(plan.id))
        or (f["kind"] == "org" and f["target"] == plan.org)
        or f["kind"] == "person"
    ]


def section_moves(order: list[str]) -> list[dict[str, list[str] | None]]:
    """Per section, the whole order after moving it one up and one down (None at an end):
    each arrow is a form that posts the full order, as ReorderSections wants it."""
    moves: list[dict[str, list[str] | None]] = []
    for n in range(len(order)):
        up = down = None
        if n > 0:
            up = [*order[: n - 1], order[n], order[n - 1], *order[n + 1 :]]
        if n < len(order) - 1:
            down = [*order[:n], order[n + 1], order[n], *order[n + 2 :]]
        moves.append({"up": up, "down": down})
    return moves


def render_settings(
    request: Request,
    svc: Services,
    session: WebSession,
    plan: Plan,
    *,
    flash: str | None = None,
    error: str | None = None,
    which: str | None = None,
    form: dict[str, str] | None = None,
    tested: list[Attempt] | None = None,
    new_feed: str | None = None,
    status_code: int = 200,
) -> Response:
    lang = language(request)
    policy = ReminderPolicy.from_stored(plan.reminder_policy, plan=str(plan.id)).to_dict()
    document = board_document(svc.app, svc.fresh(), plan.id)
    channels = [c for c in list_channels(svc.engine) if c["org"] == plan.org]
    context = {
        "plan": plan_head(plan),
        "tab": "settings",
        "sections": plan.sections,
        "moves": section_moves([s.section_id for s in plan.sections]),
        "policy": policy,
        "number_fields": NUMBER_FIELDS,
        "ranges": INT_RANGES,
        "switches": SWITCHES,
        "channels": channels,
        "people": people(document["items"]),
        "feeds": _feeds(svc, session.caller, plan),
        "flash": tr(FLASHES[flash], lang) if flash in FLASHES else None,
        "error": error,
        "which": which,
        "form": form or {},
        "tested": tested,
        "new_feed": new_feed,
        "limits": {"name": NAME_MAX, "reason": REASON_MAX, "title": TITLE_MAX},
    }
    return page(request, "settings.html", context, session=session, status_code=status_code)


def _done(plan: Plan, flash: str, anchor: str) -> Response:
    return RedirectResponse(f"/plans/{plan.id}/settings?done={flash}#{anchor}", status_code=303)


def _refused(
    request: Request,
    svc: Services,
    session: WebSession,
    plan: Plan,
    refused: PlanlogError,
    which: str,
    form: dict[str, str],
) -> Response:
    return render_settings(
        request,
        svc,
        session,
        svc.app.get_plan(plan.id),
        error=explain(refused, language(request)),
        which=which,
        form=form,
        status_code=form_status(refused),
    )


@router.get("/plans/{plan_id}/settings")
def settings_page(
    request: Request, plan_id: UUID, svc: ServicesDep, session: SessionDep, done: str | None = None
) -> Response:
    plan = _chair_plan(svc, session, plan_id, None)
    return render_settings(request, svc, session, plan, flash=done)


# ------------------------------------------------------------------ the plan's title


@router.post("/plans/{plan_id}/settings/title")
def rename_plan(
    request: Request,
    plan_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    csrf: FormText = "",
    title: FormText = "",
    reason: FormText = "",
) -> Response:
    plan = _chair_plan(svc, session, plan_id, csrf)
    lang = language(request)
    try:
        command = commands.RenamePlan(
            plan_id=plan_id,
            title=title,
            actor=session.caller.actor,
            reason=form_text(reason, REASON_MAX, lang),
        )
        svc.app.handle(command)
    except PlanlogError as refused:
        form = {"title": title, "reason": reason}
        return _refused(request, svc, session, plan, refused, "title", form)
    return _done(plan, "title", "title")


# ------------------------------------------------------------------ sections


@router.post("/plans/{plan_id}/sections")
def add_section(
    request: Request,
    plan_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    csrf: FormText = "",
    title: FormText = "",
) -> Response:
    plan = _chair_plan(svc, session, plan_id, csrf)
    actor = session.caller.actor
    try:
        svc.app.handle(commands.AddSection(plan_id=plan_id, title=title, actor=actor))
    except PlanlogError as refused:
        return _refused(request, svc, session, plan, refused, "section_new", {"title": title})
    return _done(plan, "section", "sections")


@router.post("/plans/{plan_id}/settings/sections-order")
def reorder_sections(
    request: Request,
    plan_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    csrf: FormText = "",
    order: FormList = [],  # noqa: B006 - FastAPI copies the default per request
) -> Response:
    """The whole new order, as the arrow's form holds it; the plan checks it names every
    section once (a stale page, after another chair added one, is refused by name)."""
    plan = _chair_plan(svc, session, plan_id, csrf)
    try:
        command = commands.ReorderSections(
            plan_id=plan_id, order=list(order), actor=session.caller.actor
        )
        svc.app.handle(command)
    except PlanlogError as refused:
        return _refused(request, svc, session, plan, refused, "order", {})
    return _done(plan, "order", "sections")


@router.post("/plans/{plan_id}/sections/{section_id}")
def rename_section(
    request: Request,
    plan_id: UUID,
    section_id: str,
    svc: ServicesDep,
    session: SessionDep,
    csrf: FormText = "",
    title: FormText = "",
    reason: FormText = "",
) -> Response:
    plan = _chair_plan(svc, session, plan_id, csrf)
    lang = language(request)
    try:
        command = commands.RenameSection(
            plan_id=plan_id,
            section_id=section_id,
            title=title,
            actor=session.caller.actor,
            reason=form_text(reason, REASON_MAX, lang),
        )
        svc.app.handle(command)
    except PlanlogError as refused:
        form = {"title": title, "reason": reason}
        return _refused(request, svc, session, plan, refused, f"section_{section_id}", form)
    return _done(plan, "section", "sections")


# ------------------------------------------------------------------ the reminder policy


def _whole(value: str) -> object:
    """A whole number as typed; anything else goes on as text for the policy's own check
    to refuse by name (planlog.domain.policy), as the CLI and the API do."""
    cleaned = value.strip()
    return int(cleaned) if cleaned.isdecimal() and len(cleaned) <= 6 else cleaned


@router.post("/plans/{plan_id}/settings/policy")
def set_policy(
    request: Request,
    plan_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    csrf: FormText = "",
    lead_days: FormText = "",
    on_due_day: FormText = "",
    opens_notice: FormText = "",
    overdue_every_days: FormText = "",
    escalate_after_days: FormText = "",
    max_chases: FormText = "",
    widen_after_days: FormText = "",
    overdue_later_every_days: FormText = "",
    escalate_parent_after_days: FormText = "",
    send_at: FormText = "",
    timezone: FormText = "",
    reason: FormText = "",
) -> Response:
    plan = _chair_plan(svc, session, plan_id, csrf)
    typed = {
        "lead_days": lead_days,
        "overdue_every_days": overdue_every_days,
        "escalate_after_days": escalate_after_days,
        "max_chases": max_chases,
        "widen_after_days": widen_after_days,
        "overdue_later_every_days": overdue_later_every_days,
        "escalate_parent_after_days": escalate_parent_after_days,
        "send_at": send_at,
        "timezone": timezone,
        "on_due_day": on_due_day,
        "opens_notice": opens_notice,
        "reason": reason,
    }
    lang = language(request)
    # Fields left empty keep what the plan has (a policy stored before the bounds is
    # read clamped, as the CLI does, so one field can still be changed).
    policy: dict[str, Any] = dict(stored_overrides(plan.reminder_policy, plan=str(plan.id)))
    pieces = [p for p in lead_days.replace("，", ",").split(",") if p.strip()]
    if pieces:
        policy["lead_days"] = [_whole(p) for p in pieces]
    for name in NUMBER_FIELDS:
        if typed[name].strip():
            policy[name] = _whole(typed[name])
    for name in ("send_at", "timezone"):
        if typed[name].strip():
            policy[name] = typed[name].strip()
    # An unticked checkbox sends nothing: the form says "off" by leaving it out.
    policy |= {"on_due_day": bool(on_due_day), "opens_notice": bool(opens_notice)}
    try:
        command = commands.SetReminderPolicy(
            plan_id=plan_id,
            policy=policy,
            actor=session.caller.actor,
            reason=form_text(reason, REASON_MAX, lang),
        )
        svc.app.handle(command)
    except PlanlogError as refused:
        return _refused(request, svc, session, plan, refused, "policy", typed)
    return _done(plan, "policy", "policy")


# ------------------------------------------------------------------ reminder channels


@router.post("/plans/{plan_id}/settings/channels")
def set_plan_channels(
    request: Request,
    plan_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    csrf: FormText = "",
    person: FormText = "",
    urls: FormText = "",
) -> Response:
    plan = _chair_plan(svc, session, plan_id, csrf)
    lang = language(request)
    try:
        who = form_text(person, NAME_MAX, lang)
        try:
            set_channels(svc.engine, plan.org, who, urls.split())
        except ValueError as bad:  # apprise cannot use a URL: the message names it, masked
            raise FormError(f"{tr('channel_unusable', lang)} {bad}") from None
    except PlanlogError as refused:
        form = {"person": person, "urls": urls}
        return _refused(request, svc, session, plan, refused, "channels", form)
    return _done(plan, "channels", "channels")


@router.post("/plans/{plan_id}/settings/channels/test")
def test_channels(
    request: Request,
    plan_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    csrf: FormText = "",
    person: FormText = "",
) -> Response:
    """Send a test message now and show each channel's answer on the page (no redirect:
    the answer is the point, and sending it again on reload is harmless)."""
    plan = _chair_plan(svc, session, plan_id, csrf)
    lang = language(request)
    try:
        who = form_text(person, NAME_MAX, lang)
    except PlanlogError as refused:
        return _refused(request, svc, session, plan, refused, "test", {"person": person})
    attempts = send_test(
        svc.engine,
        plan.org,
        who,
        tr("test_title", lang),
        tr("test_body", lang, plan=f"{plan.org} · {plan.title}"),
    )
    return render_settings(
        request, svc, session, plan, tested=attempts, which="test", form={"person": person}
    )


# ------------------------------------------------------------------ calendar feeds


@router.post("/plans/{plan_id}/settings/feeds")
def new_feed(
    request: Request,
    plan_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    csrf: FormText = "",
    kind: FormText = "plan",
    person: FormText = "",
) -> Response:
    """A feed link, shown once on the page that answers (only its hash is kept)."""
    plan = _chair_plan(svc, session, plan_id, csrf)
    who = session.caller
    lang = language(request)
    try:
        if kind == "person":
            target = form_text(person, NAME_MAX, lang)
            if not target:
                raise FormError(tr("person_needed", lang))
        elif kind == "org":
            target = who.visible_org(plan.org)
        else:
            kind, target = "plan", str(plan.id)
        _, token = create_feed(svc.engine, who.principal, kind, target)
    except PlanlogError as refused:
        form = {"kind": kind, "person": person}
        return _refused(request, svc, session, plan, refused, "feeds", form)
    url = f"{link_base(svc, request)}/feeds/{token}.ics"
    response = render_settings(request, svc, session, plan, new_feed=url, which="feeds")
    response.headers["Referrer-Policy"] = "no-referrer"  # the page holds a credential
    return response


@router.post("/plans/{plan_id}/settings/feeds/{feed_id}/revoke")
def revoke_plan_feed(
    request: Request,
    plan_id: UUID,
    feed_id: FeedId,
    svc: ServicesDep,
    session: SessionDep,
    csrf: FormText = "",
) -> Response:
    plan = _chair_plan(svc, session, plan_id, csrf)
    revoke_feed(svc.engine, feed_id, set(session.caller.scope))  # 404 outside the scope
    return _done(plan, "revoked", "feeds")
