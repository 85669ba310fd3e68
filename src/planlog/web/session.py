"""Browser sessions: the API token in an HttpOnly cookie, and CSRF tokens for forms.

The cookie carries the token itself rather than a server-side session id: there is
no session table to keep, and revoking the token (`planlog token revoke`) signs every
browser that used it out at its next request. Because the token is re-checked on
every request, a role change takes effect at once too.

CSRF: every form carries HMAC-SHA256(token, purpose). A page on another site cannot
read the HttpOnly cookie, so it cannot compute the value; SameSite=Lax already keeps
the cookie off cross-site POSTs, and the form token covers older browsers and
same-site subdomains.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response

from planlog.api.deps import Caller, ServicesDep, org_scope
from planlog.api.tokens import Principal, authenticate
from planlog.web.text import LANGS

SESSION_COOKIE = "planlog_session"
LANG_COOKIE = "lang"
_CSRF_PURPOSE = b"planlog-web-form"


class SignInRequired(Exception):
    """No cookie, or a token that is unknown or revoked: the browser must sign in."""


class CsrfRejected(Exception):
    """A POST whose form token does not belong to the session."""


def csrf_for(token: str) -> str:
    return hmac.new(token.encode(), _CSRF_PURPOSE, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class WebSession:
    caller: Caller
    token: str

    @property
    def csrf(self) -> str:
        return csrf_for(self.token)

    def check_csrf(self, submitted: str | None) -> None:
        if not submitted or not hmac.compare_digest(submitted, self.csrf):
            raise CsrfRejected

    @property
    def principal(self) -> Principal:
        return self.caller.principal


def web_session(request: Request, svc: ServicesDep) -> WebSession:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequired
    principal = authenticate(svc.engine, token)
    if principal is None:
        raise SignInRequired
    # The same scope rule as the API: the token's organisation and those below it.
    return WebSession(Caller(principal, org_scope(svc.fresh(), principal.org)), token)


SessionDep = Annotated[WebSession, Depends(web_session)]


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def language(request: Request) -> str:
    """`?lang=` wins (and is remembered in a cookie), then the cookie, then Chinese."""
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return asked
    remembered = request.cookies.get(LANG_COOKIE)
    return remembered if remembered in LANGS else "zh"


def remember_language(request: Request, response: Response) -> None:
    asked = request.query_params.get("lang")
    if asked in LANGS:
        response.set_cookie(
            LANG_COOKIE,
            asked,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another host."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"
