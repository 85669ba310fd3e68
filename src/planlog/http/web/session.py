"""Browser sessions: a server-side session id in an HttpOnly cookie, CSRF tokens for forms.

The cookie holds only a random session id (see `planlog.auth.sessions`), never the API
token: signing out revokes the session on the server, so a replayed cookie is refused;
revoking the token (`planlog token revoke`) ends its sessions at the next request, and
since the token is re-read on every request a role change takes effect at once too.

CSRF: every form carries HMAC-SHA256(session id, purpose). A page on another site cannot
read the HttpOnly cookie, so it cannot compute the value; SameSite=Lax already keeps
the cookie off cross-site POSTs, and the form token covers older browsers and
same-site subdomains.

Login CSRF (a forged sign-in form putting a victim's browser into the attacker's
session) is stopped with a pre-session value: the sign-in pages set a random
`planlog_login` cookie (SameSite=Strict, so a cross-site POST never carries it) and put
an HMAC of it into their form; POST /login signs in only when the two match.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request, Response

from planlog.auth.caller import Caller
from planlog.auth.sessions import session_principal
from planlog.auth.tokens import Principal
from planlog.http.deps import ServicesDep
from planlog.http.web.text import LANGS

SESSION_COOKIE = "planlog_session"
LOGIN_COOKIE = "planlog_login"
LANG_COOKIE = "lang"
_CSRF_PURPOSE = b"planlog-web-form"
_LOGIN_PURPOSE = b"planlog-sign-in"


class SignInRequired(Exception):
    """No cookie, or a session that is unknown, ended or revoked: the browser must sign in."""


class CsrfRejected(Exception):
    """A POST whose form token does not belong to the session."""


def csrf_for(secret: str, purpose: bytes = _CSRF_PURPOSE) -> str:
    return hmac.new(secret.encode(), purpose, hashlib.sha256).hexdigest()


def check_csrf(session_id: str, submitted: str | None) -> None:
    """Refuse a form whose token was not made for this session id."""
    if not submitted or not hmac.compare_digest(submitted, csrf_for(session_id)):
        raise CsrfRejected


@dataclass(frozen=True)
class WebSession:
    caller: Caller
    session_id: str

    @property
    def csrf(self) -> str:
        return csrf_for(self.session_id)

    def check_csrf(self, submitted: str | None) -> None:
        check_csrf(self.session_id, submitted)

    @property
    def principal(self) -> Principal:
        return self.caller.principal


def web_session(request: Request, svc: ServicesDep) -> WebSession:
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        raise SignInRequired
    principal = session_principal(svc.engine, session_id)
    if principal is None:
        raise SignInRequired
    # The same scope rule as the API: the token's organisation and those below it.
    return WebSession(Caller.of(principal, svc.fresh()), session_id)


SessionDep = Annotated[WebSession, Depends(web_session)]


def _cookie(
    response: Response,
    request: Request,
    name: str,
    value: str,
    samesite: Literal["lax", "strict"] = "lax",
) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite=samesite,
        secure=request.url.scheme == "https",
        path="/",
    )


def set_session_cookie(response: Response, request: Request, session_id: str) -> None:
    _cookie(response, request, SESSION_COOKIE, session_id)


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def login_nonce(request: Request) -> tuple[str, bool]:
    """This browser's pre-session value, and whether it is new (then the response must
    set it with `set_login_cookie`). An existing one is kept, so two sign-in tabs work."""
    nonce = request.cookies.get(LOGIN_COOKIE)
    if nonce and len(nonce) >= 32:
        return nonce, False
    return secrets.token_urlsafe(32), True


def login_csrf(nonce: str) -> str:
    """The value a sign-in form carries for the pre-session value `nonce`."""
    return csrf_for(nonce, _LOGIN_PURPOSE)


def set_login_cookie(response: Response, request: Request, nonce: str) -> None:
    # Strict: a form on another site posting to /login never carries it.
    _cookie(response, request, LOGIN_COOKIE, nonce, samesite="strict")


def login_csrf_matches(request: Request, submitted: str | None) -> bool:
    nonce = request.cookies.get(LOGIN_COOKIE)
    if not nonce or not submitted:
        return False
    return hmac.compare_digest(submitted, login_csrf(nonce))


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
