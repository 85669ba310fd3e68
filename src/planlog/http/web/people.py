"""People in the browser: signing in as a person, "my tasks", and the chair's people page.

- `/login/link?code=…` is a person's one-time sign-in link (`planlog.auth.links`).
  Opening it only asks "以 张三（组织部） 身份登录？": chat apps and mail scanners open
  links to preview them, and a preview must not use the link up. The answer, a POST
  bound to this browser's pre-session cookie, redeems it and opens the session.
- `/login/password`: a person's password (`planlog.auth.passwords`), from the sign-in page.
- `/me` (我的任务): the signed-in person's open deadlines, overdue first, phone first,
  each with a one-step progress form (a note alone is a report) that records the same
  `ReportProgress` command as every other door.
- `/people`: the chair's list of the people of their organisation tree, with add,
  edit, retire and "sign-in link" (shown, or sent through the person's reminder channel).
"""

from __future__ import annotations

import threading
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import RedirectResponse

from planlog.auth.caller import MANAGE, REPORT
from planlog.auth.errors import Forbidden
from planlog.auth.links import check_issuer, peek, redeem, sign_in_url, site_path
from planlog.auth.passwords import (
    SignInThrottle,
    clear_password,
    has_password,
    person_by_password,
    set_password,
    throttle_keys,
    wait_message,
)
from planlog.auth.sessions import close_session, open_session
from planlog.auth.tokens import person_web_token
from planlog.domain.errors import NotFound, PlanlogError
from planlog.domain.person import ROLES
from planlog.domain.values import NAME_MAX, TYPED_CHAIR_MAX, TYPED_NOTE_MAX
from planlog.http.deps import Services, ServicesDep
from planlog.http.downloads import link_base
from planlog.http.web.items import FormError, form_text
from planlog.http.web.pages import WebRoute, explain, form_status, page
from planlog.http.web.session import (
    SESSION_COOKIE,
    SessionDep,
    WebSession,
    language,
    login_csrf,
    login_csrf_matches,
    login_nonce,
    set_login_cookie,
    set_session_cookie,
)
from planlog.http.web.text import tr
from planlog.http.web.uploads import FILE_FIELD, Uploads
from planlog.projections.outbox import own_channels
from planlog.projections.people import PersonRow, people_in, person_row, tasks_for
from planlog.scheduler.delivery import send as send_message
from planlog.service.commands import ChangePerson, RegisterPerson, ReportProgress, RetirePerson

router = APIRouter(route_class=WebRoute, include_in_schema=False)

FormText = Annotated[str, Form()]
#: what a person's details may be typed as (the domain checks them again)
DETAILS = ("name", "department", "role", "mobile", "email", "im_id")
_LIMITS = {"name": TYPED_CHAIR_MAX, "department": NAME_MAX, "role": 16}
_LIMITS |= {"mobile": 20, "email": 254, "im_id": 64}
ME_FLASHES = {"reported": "me_reported"}
PEOPLE_FLASHES = {"added": "person_added", "saved": "person_saved", "retired": "person_retired"}


# ------------------------------------------------------------------ sign-in


def _sign_in_page(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    """A page with a sign-in form, bound to this browser's pre-session cookie."""
    nonce, new = login_nonce(request)
    response = page(
        request, name, {**context, "login_csrf": login_csrf(nonce)}, status_code=status_code
    )
    # The address holds the link's code: not even our stylesheet request may repeat it.
    response.headers["Referrer-Policy"] = "no-referrer"
    if new:
        set_login_cookie(response, request, nonce)
    return response


def _bad_link(request: Request, status_code: int = 401) -> Response:
    context = {"next": "/me", "error": tr("bad_link", language(request))}
    return _sign_in_page(request, "signin.html", context, status_code=status_code)


def _start_session(request: Request, svc: Services, session_id: str, target: str) -> Response:
    earlier = request.cookies.get(SESSION_COOKIE)
    if earlier:
        close_session(svc.engine, earlier)  # one browser, one session
    response = RedirectResponse(site_path(target), status_code=303)
    set_session_cookie(response, request, session_id)
    return response


@router.get("/login/link")
def link_question(request: Request, svc: ServicesDep, code: str = "") -> Response:
    """Whom the link signs in, asked before it is used (see the module docstring)."""
    found = peek(svc.fresh(), code.strip()) if code.strip() else None
    if found is None:
        return _bad_link(request)
    context = {"code": code.strip(), "who": found.person.display_name, "person": found.person}
    return _sign_in_page(request, "login_link.html", context)


@router.post("/login/link")
def link_sign_in(
    request: Request, svc: ServicesDep, code: FormText = "", csrf: FormText = ""
) -> Response:
    if not login_csrf_matches(request, csrf):
        context = {"next": "/me", "error": tr("login_csrf_failed", language(request))}
        return _sign_in_page(request, "signin.html", context, status_code=403)
    redeemed = redeem(svc.fresh(), code.strip()) if code.strip() else None
    if redeemed is None:
        return _bad_link(request)
    session_id, found = redeemed
    return _start_session(request, svc, session_id, found.next_path)


_throttle_made = threading.Lock()


def sign_in_throttle(request: Request) -> SignInThrottle:
    """This app's throttle of failed password sign-ins (one per app, so per process)."""
    state = request.app.state
    with _throttle_made:
        if getattr(state, "sign_in_throttle", None) is None:
            state.sign_in_throttle = SignInThrottle()
    throttle: SignInThrottle = state.sign_in_throttle
    return throttle


@router.post("/login/password")
def password_sign_in(
    request: Request,
    svc: ServicesDep,
    account: FormText = "",
    password: FormText = "",
    next: FormText = "/me",
    csrf: FormText = "",
) -> Response:
    lang = language(request)
    if not login_csrf_matches(request, csrf):
        context = {"next": next, "error": tr("login_csrf_failed", lang)}
        return _sign_in_page(request, "signin.html", context, status_code=403)
    throttle = sign_in_throttle(request)
    # behind nginx, uvicorn takes the client's address from X-Forwarded-For
    keys = throttle_keys(account[:300], request.client.host if request.client else None)
    wait = throttle.wait(*keys)
    if wait:
        context = {"next": next, "error": wait_message(wait), "account": account[:300]}
        response = _sign_in_page(request, "signin.html", context, status_code=429)
        response.headers["Retry-After"] = str(wait)
        return response
    found = person_by_password(svc.fresh(), account[:300], password[:300])
    if found is None:
        throttle.failed(*keys)
        context = {"next": next, "error": tr("bad_password", lang), "account": account[:300]}
        return _sign_in_page(request, "signin.html", context, status_code=401)
    throttle.succeeded(keys[0])
    session_id = open_session(svc.engine, person_web_token(svc.engine, found))
    target = next if next and next != "/" else "/me"
    return _start_session(request, svc, session_id, target)


# ------------------------------------------------------------------ my tasks


def _me(svc: Services, session: WebSession) -> PersonRow | None:
    person_id = session.principal.person_id
    if person_id is None:
        return None
    with svc.fresh().connect() as conn:
        return person_row(conn, person_id)


def _render_me(
    request: Request,
    svc: Services,
    session: WebSession,
    *,
    flash: str | None = None,
    error: str | None = None,
    failed: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    person = _me(svc, session)
    tasks = []
    if person is not None:
        with svc.fresh().connect() as conn:
            tasks = tasks_for(conn, person, svc.app.today())
    context = {
        "tab": "me",
        "person": person,
        "tasks": tasks,
        "may_report": session.caller.role in REPORT,
        "flash": flash,
        "error": error,
        "failed": failed or {},
        "note_max": TYPED_NOTE_MAX,
        **FILE_FIELD,
    }
    return page(request, "me.html", context, session=session, status_code=status_code)


@router.get("/me")
def my_tasks(request: Request, svc: ServicesDep, session: SessionDep) -> Response:
    """我的任务: the signed-in person's open deadlines, overdue first."""
    saved = request.query_params.get("saved")
    flash = tr(ME_FLASHES[saved], language(request)) if saved in ME_FLASHES else None
    return _render_me(request, svc, session, flash=flash)


@router.post("/me/progress")
def report(
    request: Request,
    svc: ServicesDep,
    session: SessionDep,
    item_id: FormText = "",
    occurrence: FormText = "",
    percent: FormText = "",
    note: FormText = "",
    csrf: FormText = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """One step: a note, a percent, a photo (or other evidence file), for one of the
    person's deadlines; the file is kept as on the item page (`uploads`)."""
    session.check_csrf(csrf)
    lang = language(request)
    who = session.caller
    who.require(REPORT, "report progress")
    failed = {"item_id": item_id, "occurrence": occurrence, "percent": percent, "note": note}
    uploads = Uploads(svc)
    try:
        try:
            target = UUID(item_id.strip())
        except ValueError:
            raise NotFound(
                f"没有编号为 {item_id!r} 的事项（no item with id {item_id!r}）"
            ) from None
        who.item(svc.app, target)  # 404 outside the caller's organisations
        share, written = _percent(percent, lang), form_text(note, TYPED_NOTE_MAX, lang)
        svc.app.handle(
            ReportProgress(
                item_id=target,
                actor=who.actor,
                occurrence=occurrence.strip() or None,
                percent=share,
                note=written,
                files=uploads.keep(file),
            )
        )
    except PlanlogError as error:
        uploads.forget()  # a refused report keeps no file
        return _render_me(
            request,
            svc,
            session,
            error=explain(error, lang),
            failed=failed,
            status_code=form_status(error),
        )
    anchor = f"#task-{target}-{occurrence.strip()}" if occurrence.strip() else ""
    return RedirectResponse(f"/me?saved=reported{anchor}", status_code=303)


def _percent(value: str, lang: str) -> int | None:
    if not value.strip():
        return None
    try:
        return int(value.strip())  # the domain checks its range
    except ValueError:
        raise FormError(tr("percent_invalid", lang)) from None


# ------------------------------------------------------------------ people (chairs)


def _chair(session: WebSession, csrf: str | None = None) -> None:
    if csrf is not None:
        session.check_csrf(csrf)
    session.caller.require(MANAGE, "manage people")


def _person(svc: Services, session: WebSession, person_id: str) -> PersonRow:
    with svc.fresh().connect() as conn:
        found = person_row(conn, person_id)
    if found is None or not session.caller.sees_org(found.org):
        raise NotFound(f"没有编号为 {person_id} 的人员（no person with id {person_id}）")
    return found


def _render_people(
    request: Request,
    svc: Services,
    session: WebSession,
    *,
    flash: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with svc.fresh().connect() as conn:
        everyone = people_in(conn, session.caller.scope, include_retired=True)
    context = {
        "tab": "people",
        "people": everyone,
        "orgs": sorted(session.caller.scope),
        "roles": ROLES,
        "flash": flash,
        "error": error,
        "form": form or {"org": session.principal.org, "role": "editor"},
    }
    return page(request, "people.html", context, session=session, status_code=status_code)


@router.get("/people")
def people_page(request: Request, svc: ServicesDep, session: SessionDep) -> Response:
    _chair(session)
    done = request.query_params.get("saved")
    flash = tr(PEOPLE_FLASHES[done], language(request)) if done in PEOPLE_FLASHES else None
    return _render_people(request, svc, session, flash=flash)


def _details(form: dict[str, str], lang: str) -> dict[str, str | None]:
    return {k: form_text(form.get(k, ""), _LIMITS[k], lang) for k in DETAILS}


@router.post("/people")
def add_person(
    request: Request,
    svc: ServicesDep,
    session: SessionDep,
    org: FormText = "",
    name: FormText = "",
    department: FormText = "",
    role: FormText = "editor",
    mobile: FormText = "",
    email: FormText = "",
    im_id: FormText = "",
    csrf: FormText = "",
) -> Response:
    _chair(session, csrf)
    lang = language(request)
    form = {"org": org, "name": name, "department": department, "role": role}
    form |= {"mobile": mobile, "email": email, "im_id": im_id}
    try:
        session.caller.require_own_org(org)
        details = _details(form, lang)
        made = svc.app.handle(
            RegisterPerson(
                org=org.strip(),
                name=details["name"] or "",
                department=details["department"],
                role=details["role"] or "editor",
                mobile=details["mobile"],
                email=details["email"],
                im_id=details["im_id"],
                actor=session.caller.actor,
            )
        )
    except PlanlogError as error:
        message = explain(error, lang)
        return _render_people(
            request, svc, session, error=message, form=form, status_code=form_status(error)
        )
    return RedirectResponse(f"/people?saved=added#person-{made.id}", status_code=303)


def _render_person(
    request: Request,
    svc: Services,
    session: WebSession,
    person: PersonRow,
    *,
    flash: str | None = None,
    error: str | None = None,
    link: str | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "tab": "people",
        "person": person,
        "roles": ROLES,
        "form": form or person.to_dict(),
        "flash": flash,
        "error": error,
        "link": link,
        "has_password": has_password(svc.engine, person.id),
    }
    return page(request, "person.html", context, session=session, status_code=status_code)


@router.get("/people/{person_id}")
def person_page(
    request: Request, svc: ServicesDep, session: SessionDep, person_id: str
) -> Response:
    _chair(session)
    person = _person(svc, session, person_id)
    done = request.query_params.get("saved")
    flash = tr(PEOPLE_FLASHES[done], language(request)) if done in PEOPLE_FLASHES else None
    return _render_person(request, svc, session, person, flash=flash)


@router.post("/people/{person_id}")
def edit_person(
    request: Request,
    svc: ServicesDep,
    session: SessionDep,
    person_id: str,
    name: FormText = "",
    department: FormText = "",
    role: FormText = "editor",
    mobile: FormText = "",
    email: FormText = "",
    im_id: FormText = "",
    csrf: FormText = "",
) -> Response:
    _chair(session, csrf)
    lang = language(request)
    person = _person(svc, session, person_id)
    form = {"name": name, "department": department, "role": role}
    form |= {"mobile": mobile, "email": email, "im_id": im_id}
    try:
        details = _details(form, lang)
        changes = {k: v for k, v in details.items() if v != getattr(person, k)}
        if changes:
            svc.app.handle(
                ChangePerson(person_id=UUID(person.id), changes=changes, actor=session.caller.actor)
            )
    except PlanlogError as error:
        return _render_person(
            request,
            svc,
            session,
            person,
            error=explain(error, lang),
            form=form,
            status_code=form_status(error),
        )
    return RedirectResponse(f"/people/{person.id}?saved=saved", status_code=303)


@router.post("/people/{person_id}/retire")
def retire_person(
    request: Request,
    svc: ServicesDep,
    session: SessionDep,
    person_id: str,
    reason: FormText = "",
    csrf: FormText = "",
) -> Response:
    _chair(session, csrf)
    person = _person(svc, session, person_id)
    try:
        svc.app.handle(
            RetirePerson(
                person_id=UUID(person.id),
                actor=session.caller.actor,
                reason=form_text(reason, 500, language(request)),
            )
        )
    except PlanlogError as error:
        return _render_person(
            request,
            svc,
            session,
            person,
            error=explain(error, language(request)),
            status_code=form_status(error),
        )
    return RedirectResponse("/people?saved=retired", status_code=303)


@router.post("/people/{person_id}/link")
def person_link(
    request: Request,
    svc: ServicesDep,
    session: SessionDep,
    person_id: str,
    send: FormText = "",
    csrf: FormText = "",
) -> Response:
    """A new one-time sign-in link, shown to the chair, and sent through the person's
    reminder channel when asked (the same channels and sender as reminders)."""
    _chair(session, csrf)
    lang = language(request)
    person = _person(svc, session, person_id)
    try:
        # editors, auditors and the chair themselves; another chair's: the CLI only
        check_issuer(session.principal.person_id, person)
        url = sign_in_url(
            svc.engine, person.id, link_base(svc, request), issued_by=session.caller.actor
        )
    except PlanlogError as error:
        if isinstance(error, Forbidden):  # says whose link it is instead: not a role's
            return _render_person(request, svc, session, person, error=str(error), status_code=403)
        return _render_person(
            request, svc, session, person, error=explain(error, lang), status_code=422
        )
    flash = None
    if send:
        urls = _own_channels(svc, person)
        sent = False
        if urls:
            title = tr("link_message_title", lang)
            body = tr("link_message_body", lang, who=person.display_name, url=url)
            attempts = send_message(urls, title, body)
            sent = bool(attempts) and all(a.ok for a in attempts)
        flash = tr("link_sent" if sent else "link_not_sent", lang)
    return _render_person(request, svc, session, person, link=url, flash=flash)


def _own_channels(svc: Services, person: PersonRow) -> list[str]:
    """The person's own reminder channels, never the organisation's: a sign-in link in
    a group chat would let everyone in the group sign in as that person."""
    with svc.engine.connect() as conn:
        return own_channels(conn, person.org, person.name)


@router.post("/people/{person_id}/password")
def person_password(
    request: Request,
    svc: ServicesDep,
    session: SessionDep,
    person_id: str,
    password: FormText = "",
    clear: FormText = "",
    csrf: FormText = "",
) -> Response:
    _chair(session, csrf)
    person = _person(svc, session, person_id)
    try:
        if clear:
            clear_password(svc.engine, person.id)
        else:
            set_password(svc.engine, person.id, password)
    except PlanlogError as error:
        return _render_person(
            request,
            svc,
            session,
            person,
            error=explain(error, language(request)),
            status_code=form_status(error),
        )
    return RedirectResponse(f"/people/{person.id}?{urlencode({'saved': 'saved'})}", 303)
