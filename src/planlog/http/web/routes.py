"""Web pages: sign-in, plans, the board, the calendar, the auditor's view, the federation.

Every page reads through the same application, queries and scope rules as the REST
API (`Caller.plan` answers 404 outside the caller's organisations) and reads the read
models through `Services.fresh()`, so a user sees their own write right after the
redirect that follows it. Item pages and forms are in `planlog.http.web.items`, the import
in `planlog.http.web.importing`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

import orjson
from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from planlog.audit.scope import whole_log_refusal
from planlog.auth.caller import AUDIT, READ, Caller, actor_of
from planlog.auth.sessions import close_session, open_session
from planlog.auth.tokens import authenticate
from planlog.domain.errors import NotFound
from planlog.domain.registry import PlanEntry
from planlog.domain.status import ALL_STATUSES
from planlog.http.deps import Services, ServicesDep
from planlog.http.downloads import PLAN_DOWNLOADS
from planlog.http.web import backfill, chair, importing, items, ledger, settings, supervision, tasks
from planlog.http.web import people as people_pages
from planlog.http.web.page_models import (
    QUICK_FILTERS,
    BoardFilters,
    board_sections,
    people,
    target_rows,
    year_calendar,
)
from planlog.http.web.pages import WebRoute, error_page, page
from planlog.http.web.session import (
    SESSION_COOKIE,
    SessionDep,
    check_csrf,
    clear_session_cookie,
    language,
    login_csrf,
    login_csrf_matches,
    login_nonce,
    safe_next,
    set_login_cookie,
    set_session_cookie,
)
from planlog.http.web.text import tr
from planlog.projections.audit_view import AuditFilter
from planlog.projections.chain import verify
from planlog.projections.outbox import undelivered_reminders
from planlog.projections.quarantine import entries
from planlog.projections.queries import (
    audit_view,
    board_document,
    evaluation_day,
    plan_entries,
    plan_overview,
)
from planlog.projections.timeline import DIFF_TYPES, PLAN_DIFF_TYPES
from planlog.service.app import day_span, parse_moment

router = APIRouter(route_class=WebRoute, include_in_schema=False)
router.include_router(items.router)
router.include_router(importing.router)
router.include_router(chair.router)
router.include_router(settings.router)
router.include_router(ledger.router)
router.include_router(backfill.router)
router.include_router(people_pages.router)
router.include_router(supervision.router)
router.include_router(tasks.router)


def _moment(text: str | None) -> datetime | None:
    return parse_moment(text) if text else None


def plan_nav(plan: Any) -> dict[str, Any]:
    return {"id": str(plan.id), "title": plan.title, "org": plan.org, "year": plan.year}


# ------------------------------------------------------------------ signing in


@router.get("/signin")
def signin_help(request: Request, next: str | None = None, out: str | None = None) -> Response:
    """How to sign in: with an API token, exchanged for a session kept in a cookie."""
    message = tr("signed_out", language(request)) if out else None
    return _sign_in_page(request, "signin.html", {"next": safe_next(next), "message": message})


@router.get("/login")
def login(
    request: Request, svc: ServicesDep, token: str | None = None, next: str | None = None
) -> Response:
    """A sign-in link (`/login?token=…`), as `planlog serve` prints it.

    Opening it does not sign anyone in: it asks "sign in as X?", and only the answer,
    a POST bound to this browser's pre-session cookie, starts the session. So a link
    or page elsewhere cannot slip a victim's browser into the attacker's session."""
    if not token or not token.strip():
        return RedirectResponse("/signin", status_code=303)
    principal = authenticate(svc.engine, token.strip())
    if principal is None:
        refused = {"next": safe_next(next), "error": tr("bad_token", language(request))}
        return _sign_in_page(request, "signin.html", refused, status_code=401)
    context: dict[str, Any] = {
        "token": token.strip(),
        "next": safe_next(next),
        "who": actor_of(principal),
        "principal": principal,
    }
    response = _sign_in_page(request, "login_confirm.html", context)
    # The address holds the token: not even our own stylesheet request may repeat it.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.post("/login")
def login_form(
    request: Request,
    svc: ServicesDep,
    token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Start a session. The token comes in the form body (never the address bar again),
    with the value that proves the form came from one of our sign-in pages in this
    browser; then the browser goes on to an address without the token."""
    lang = language(request)
    if not login_csrf_matches(request, csrf):
        context = {"next": safe_next(next), "error": tr("login_csrf_failed", lang)}
        return _sign_in_page(request, "signin.html", context, status_code=403)
    if not token.strip():
        return RedirectResponse("/signin", status_code=303)
    principal = authenticate(svc.engine, token.strip())
    if principal is None:
        context = {"next": safe_next(next), "error": tr("bad_token", lang)}
        return _sign_in_page(request, "signin.html", context, status_code=401)
    earlier = request.cookies.get(SESSION_COOKIE)
    if earlier:
        close_session(svc.engine, earlier)  # one browser, one session
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, request, open_session(svc.engine, principal.token_id))
    return response


def _sign_in_page(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    """A page with a sign-in form, bound to this browser's pre-session cookie."""
    nonce, new = login_nonce(request)
    values = {**context, "login_csrf": login_csrf(nonce)}
    response = page(request, name, values, status_code=status_code)
    if new:
        set_login_cookie(response, request, nonce)
    return response


@router.get("/logout")
def logout(request: Request, svc: ServicesDep) -> Response:
    """Sign out by following a link (kept: sign-in links and bookmarks use it)."""
    return _sign_out(request, svc)


@router.post("/logout")
def logout_form(request: Request, svc: ServicesDep, csrf: Annotated[str, Form()] = "") -> Response:
    """Sign out from a form carrying the session's CSRF token: unlike the GET, another
    page cannot sign a user out by embedding or prefetching the address."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        check_csrf(session_id, csrf)
    return _sign_out(request, svc)


def _sign_out(request: Request, svc: Services) -> Response:
    """The session is revoked on the server, so the old cookie is useless."""
    response = RedirectResponse("/signin?out=1", status_code=303)
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        close_session(svc.engine, session_id)
        clear_session_cookie(response, request)
    return response


# ------------------------------------------------------------------ plans


def plans_in_scope(svc: Services, who: Caller) -> list[PlanEntry]:
    found = plan_entries(svc.fresh(), who.scope)
    return sorted(found, key=lambda e: (-e.year, e.org, e.title))


#: plans the start page lists with their figures (each a board read): past it, a
#: federation's chair sees their own organisation's plans and goes down through the
#: ranking for the others' (a city's 9,000 plans made a 5.7 MB page in 51 s)
HOME_PLANS = 100
#: organisations the federation page shows as a tree: past it, the next level only,
#: each with its ranking (a city's 9,000 unions made a 7.3 MB page in 0.6 s)
TREE_ORGS = 300


@router.get("/")
def home(request: Request, svc: ServicesDep, session: SessionDep) -> Response:
    """Plans in scope; with exactly one, its board is the start page."""
    who = session.caller
    plans = plans_in_scope(svc, who)
    if len(plans) == 1:
        return RedirectResponse(f"/plans/{plans[0].plan_id}", status_code=303)
    below = None
    if len(plans) > HOME_PLANS:
        others = [e for e in plans if e.org != who.principal.org]
        below = {"plans": len(others), "orgs": len({e.org for e in others})}
        plans = [e for e in plans if e.org == who.principal.org]
    # Each plan's completion, lateness and next deadline, from the board read model.
    engine = svc.fresh() if plans else svc.engine
    summaries = {
        e.plan_id: plan_overview(board_document(svc.app, engine, e.plan_id)) for e in plans
    }
    context = {"plans": plans, "summaries": summaries, "below": below, "org": who.principal.org}
    return page(request, "home.html", context, session=session)


@router.get("/plans/{plan_id}")
def board(
    request: Request,
    plan_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    responsible: str | None = None,
    status: str | None = None,
    quick: str | None = None,
    as_of: str | None = None,
    now: str | None = None,
    imported: str | None = None,
) -> Response:
    """The plan by section with lights; `as_of` replays it as recorded then."""
    who = session.caller
    plan = who.plan(svc.app, plan_id)
    moment, judged_on = _moment(as_of), _moment(now)
    try:
        # The session's caller caught the read models up a moment ago (`fresh()`).
        document = board_document(
            svc.app, svc.engine, plan_id, now=judged_on, as_of=moment, plan=plan
        )
    except NotFound as missing:
        if moment is None:
            raise
        # Scope was checked above: the plan exists, only not yet at that moment.
        lang = language(request)
        return error_page(request, 404, tr("not_recorded_yet", lang), missing.message)
    filters = BoardFilters.clean(responsible, status, quick)
    context = {
        "plan": plan_nav(plan),
        "tab": "board",
        "doc": document,
        "sections": board_sections(document, filters),
        "filters": filters,
        "people": people(document["items"]),
        "statuses": ALL_STATUSES,
        "quick_filters": QUICK_FILTERS,
        "as_of": moment,
        "as_of_text": as_of or "",
        "now_text": now or "",
        "imported": imported,
        "target_rows": target_rows,
        # reminders that could not go out yet: now only, never on a past board
        "undelivered": [] if moment else undelivered_reminders(svc.fresh(), plan_id=str(plan_id)),
    }
    return page(request, "board.html", context, session=session)


@router.get("/plans/{plan_id}/calendar")
def plan_calendar(
    request: Request, plan_id: UUID, svc: ServicesDep, session: SessionDep, now: str | None = None
) -> Response:
    """The year's deadlines by month; windows as spans across the year; today marked."""
    plan = session.caller.plan(svc.app, plan_id)
    document = board_document(svc.app, svc.fresh(), plan_id, now=_moment(now))
    context = {"plan": plan_nav(plan), "tab": "calendar", "cal": year_calendar(document)}
    return page(request, "calendar.html", context, session=session)


# ------------------------------------------------------------------ auditors


@router.get("/plans/{plan_id}/audit")
def audit(
    request: Request,
    plan_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    actor: str = "",
    kind: str = "",
    item: str = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
) -> Response:
    """Replay the board as of a date, summarise and page a period's changes (filtered
    by person, kind and item), verify the chain, export."""
    who = session.caller
    who.require((*AUDIT, "editor"), "compare plan states")  # as GET /plans/{id}/diff
    plan = who.plan(svc.app, plan_id)
    today = svc.app.today()
    # By default the plan year so far: auditors replay the year.
    first = start or min(date(plan.year, 1, 1), today).isoformat()
    last = end or today.isoformat()
    # Whole days, both included: the one rule of every door (service.app.day_span).
    after, until = day_span(first, last)
    where = AuditFilter(actor=actor or None, kind=kind or None, item=item or None)
    view = audit_view(svc.fresh(), plan_id, after, until, where, page_number, language(request))
    # Verifying walks the whole log; it is what the API's /audit/verify answers too, and
    # for the same callers only: the report may name another organisation's event.
    chain_refused = whole_log_refusal(svc.app, who.principal.org)
    chain = (
        verify(svc.app, svc.fresh()).to_dict()
        if who.role in AUDIT and chain_refused is None
        else None
    )
    # Events of this plan a read model set aside (projections.quarantine): only this
    # plan's, so that the page says nothing about other organisations.
    with svc.engine.connect() as conn:
        quarantined = entries(conn, aggregate_ids=[str(plan.id), *map(str, plan.item_ids)])
    context = {
        "plan": plan_nav(plan),
        "tab": "audit",
        "today": today,
        "first": first,
        "last": last,
        "summary": view.summary,
        "timeline": view.page,
        "where": where,
        "kinds": [*DIFF_TYPES.values(), *PLAN_DIFF_TYPES.values()],
        "prev_url": _audit_url(plan_id, first, last, where, view.page.page - 1)
        if view.page.page > 1
        else None,
        "next_url": _audit_url(plan_id, first, last, where, view.page.page + 1)
        if view.page.page < view.page.pages
        else None,
        "chain": chain,
        "chain_scoped": who.role in AUDIT and chain_refused is not None,
        "exports": EXPORTS,
        "quarantined": quarantined,
    }
    return page(request, "audit.html", context, session=session)


def _audit_url(plan_id: UUID, first: str, last: str, where: AuditFilter, number: int) -> str:
    """A page of the audit timeline, keeping the period and the filters."""
    query = {
        "from": first[:10],
        "to": last[:10],
        "actor": where.actor,
        "kind": where.kind,
        "item": where.item,
        "page": number,
    }
    kept = {k: v for k, v in query.items() if v}
    return f"/plans/{plan_id}/audit?{urlencode(kept)}#timeline"


#: the export files, as the API serves them, reachable with the session cookie (a link
#: cannot send a bearer token); the key is the file name the API uses, the value the
#: label's text key
EXPORTS = {
    "board.csv": "export_csv",
    "board.xlsx": "export_xlsx",
    "board.pdf": "export_pdf",
    "history.jsonl": "export_history",
    "calendar.ics": "export_ics",
}


@router.get("/plans/{plan_id}/export/{kind}")
def export(
    request: Request, plan_id: UUID, kind: str, svc: ServicesDep, session: SessionDep
) -> Response:
    who = session.caller
    who.require(READ, "read exports")
    download = PLAN_DOWNLOADS.get(kind)
    if download is None:
        raise NotFound(f"没有名为 {kind!r} 的导出（no export named {kind!r}）")
    return download(svc, who, plan_id, request)


# ------------------------------------------------------------------ federation


def _names(nodes: list[dict[str, Any]]) -> Iterator[str]:
    """The organisations of a rollup's nodes, at every level shown."""
    for node in nodes:
        yield node["org"]
        yield from _names(node["children"])


@router.get("/orgs")
def federation(
    request: Request, svc: ServicesDep, session: SessionDep, now: str | None = None
) -> Response:
    """Completion across the organisation tree in scope, from the caller's organisation."""
    who = session.caller
    today = evaluation_day(svc.app, _moment(now), None)
    cut = None if len(who.scope) <= TREE_ORGS else 1
    with svc.fresh().connect() as conn:
        try:
            org = who.principal.org
            nodes = [orjson.loads(svc.rollup_answer(conn, org, today, depth=cut))]
        except LookupError:
            nodes = []  # an organisation with neither a registration nor a plan yet
    plans: dict[str, list[PlanEntry]] = defaultdict(list)
    for entry in plan_entries(svc.engine, frozenset(_names(nodes))):
        plans[entry.org].append(entry)
    context = {"nodes": nodes, "plans": plans, "today": today, "tab": "orgs", "cut": cut}
    return page(request, "orgs.html", context, session=session)
