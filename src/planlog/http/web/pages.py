"""Rendering: the template environment, the page helper, and errors shown as pages.

Web routes use `WebRoute`, which turns what the API reports as problem+json (rules,
scope, roles, bad input) into readable pages, sends a browser without a session to
the sign-in help instead, and adds the headers every page needs. Nothing a user can
type should end in a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.exceptions import HTTPException as StarletteHTTPException

from planlog.auth.errors import Unauthorized
from planlog.domain.board import completion_shown, counted_percent
from planlog.domain.errors import ConcurrencyConflict, PlanlogError, RuleViolation
from planlog.http.web import TEMPLATES_DIR
from planlog.http.web.page_models import clamp_percent
from planlog.http.web.session import (
    SESSION_COOKIE,
    CsrfRejected,
    SignInRequired,
    WebSession,
    clear_session_cookie,
    language,
    remember_language,
)
from planlog.http.web.text import day, moment, month_name, number, span, tr
from planlog.i18n import delivery_status
from planlog.service.outcomes import Outcome, outcome

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def _plan_year(context: Context) -> int | None:
    plan = context.get("plan")
    year = plan.get("year") if isinstance(plan, dict) else getattr(plan, "year", None)
    return year if isinstance(year, int) else None


@pass_context
def _day(context: Context, value: Any, lang: str = "zh") -> str:
    # On a plan's pages a date outside the plan year says its year.
    return day(value, lang, _plan_year(context))


@pass_context
def _span(context: Context, opens: Any, due: Any, lang: str = "zh") -> str:
    return span(opens, due, lang, _plan_year(context))


templates.env.filters.update(day=_day, span=_span, moment=moment, month_name=month_name, num=number)
templates.env.globals["clamp"] = clamp_percent
templates.env.globals["completion"] = completion_shown
templates.env.globals["counted_percent"] = counted_percent

#: Scripts only from this site (there are none today); inline styles are allowed for the
#: computed widths of progress bars and calendar spans, which are numbers we write.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def query_url(request: Request, **changes: str | int | None) -> str:
    """This page's path with some query parameters changed (None removes one)."""
    params = {k: v for k, v in request.query_params.items() if k != "lang"}
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    return request.url.path + (f"?{urlencode(params)}" if params else "")


def lang_url(request: Request, lang: str) -> str:
    params = {k: v for k, v in request.query_params.items() if k != "lang"}
    params["lang"] = lang
    return f"{request.url.path}?{urlencode(params)}"


def page(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    session: WebSession | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    lang = language(request)
    values: dict[str, Any] = {
        "lang": lang,
        "_": partial(tr, lang=lang),
        "delivery_status": partial(delivery_status, language=lang),
        "session": session,
        "role": session.caller.role if session else None,
        "csrf": session.csrf if session else "",
        "query_url": partial(query_url, request),
        "lang_url": partial(lang_url, request),
        **(context or {}),
    }
    return templates.TemplateResponse(request, name, values, status_code=status_code)


def explain(error: PlanlogError, lang: str) -> str:
    """A rule's refusal in the reader's language; other messages as planlog words them."""
    if isinstance(error, ConcurrencyConflict):
        return tr("conflict", lang)
    if isinstance(error, RuleViolation):
        rule = str(error.details.get("rule", ""))
        worded = tr(rule, lang)
        # the rule's own words (the message adds the item's id and the rule's code,
        # which a refusal page shows below it, small, and a re-shown form leaves out)
        return worded if worded != rule else error.reason
    kind = outcome(error)
    if kind is Outcome.NOT_FOUND:
        return tr("not_found_page", lang)
    if kind is Outcome.FORBIDDEN:
        return tr("forbidden_page", lang)
    return error.message


#: The web's one table: what a refusal means (planlog.service.outcomes) as a page status.
#: Anything else is shown as a refusal (422) with the reason.
PAGE_STATUS = {Outcome.NOT_FOUND: 404, Outcome.FORBIDDEN: 403}
#: A form re-rendered with its refusal: a lost race says "reload" (409).
FORM_STATUS = {Outcome.CONFLICT: 409}


def refusal_page(request: Request, error: PlanlogError, lang: str) -> Response:
    message = explain(error, lang)
    status = PAGE_STATUS.get(outcome(error), 422)
    if status != 422:
        return error_page(request, status, message, error.message)
    detail = error.message if message != error.message else ""
    return error_page(request, 422, tr("refused_page", lang) + message, detail)


def form_status(error: PlanlogError) -> int:
    return FORM_STATUS.get(outcome(error), 422)


def error_page(request: Request, status_code: int, message: str, detail: str = "") -> Response:
    return page(
        request,
        "error.html",
        {"status": status_code, "message": message, "detail": detail},
        status_code=status_code,
    )


def sign_in_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        target = request.url.path  # a form cannot be replayed from a redirect
    response = RedirectResponse(f"/signin?{urlencode({'next': target})}", status_code=303)
    if request.cookies.get(SESSION_COOKIE):
        clear_session_cookie(response, request)  # revoked: forget it
    return response


def _validation_message(error: RequestValidationError) -> tuple[int, str]:
    errors = list(error.errors())
    if any(tuple(e.get("loc", ()))[:1] == ("path",) for e in errors):
        return 404, ""
    first = errors[0] if errors else {}
    where = ".".join(str(p) for p in first.get("loc", ())[1:])
    return 422, f"{where}: {first.get('msg', '')}".strip(": ")


def _secure(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    # Pages show one person's view of live (or replayed) data: never from a cache.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


class WebRoute(APIRoute):
    """An API route whose errors are pages (see the module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            lang = language(request)
            try:
                response = await handler(request)
            except (SignInRequired, Unauthorized):
                response = sign_in_redirect(request)
            except CsrfRejected:
                response = error_page(request, 403, tr("csrf_failed", lang))
            except PlanlogError as error:
                response = refusal_page(request, error, lang)
            except RequestValidationError as error:
                status, detail = _validation_message(error)
                message = tr("not_found_page" if status == 404 else "bad_input", lang)
                response = error_page(request, status, message, detail)
            except StarletteHTTPException as error:
                # e.g. a form field over the form parser's size limit
                key = {404: "not_found_page", 403: "forbidden_page"}.get(error.status_code)
                message = tr(key or "bad_input", lang)
                response = error_page(request, error.status_code, message, str(error.detail))
            remember_language(request, response)
            return _secure(response)

        return run
