"""Server-side browser sessions and the sign-in exchange, on both stores.

Each test is named for a defect of the old design (the cookie was the bearer token,
`/login?token=` signed in on a plain GET, logout only asked the browser to forget).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from planlog.auth.sessions import (
    IDLE,
    LIFETIME,
    close_session,
    open_session,
    session_principal,
    web_sessions,
)
from planlog.auth.tokens import authenticate, create_token, revoke_token
from planlog.config import Settings
from planlog.http.app import create_app
from planlog.http.web.session import csrf_for

HOSPITAL = "某医院工会"


@dataclass
class Site:
    url: str
    app: Any
    client: TestClient
    tokens: dict[str, str]

    @property
    def engine(self) -> Engine:
        engine: Engine = self.app.state.services.engine
        return engine

    def browser(self, cookie: str | None = None) -> TestClient:
        """Another browser on the same server, optionally holding a session cookie."""
        other = TestClient(self.app)
        if cookie is not None:
            other.cookies.set("planlog_session", cookie)
        return other

    def token_id(self, who: str) -> int:
        principal = authenticate(self.engine, self.tokens[who])
        assert principal is not None
        return principal.token_id


def signed_in(client: TestClient) -> bool:
    """Whether the home page opens (rather than sending the browser to sign in)."""
    response = client.get("/", follow_redirects=False)
    assert response.status_code in (200, 303), response.text
    return response.status_code == 200


def _site(url: str) -> Iterator[Site]:
    app = create_app(Settings(database_url=url), background=False)
    with TestClient(app) as client:
        svc = app.state.services
        svc.app.register_organisation(HOSPITAL, actor="admin")
        tokens = {
            "chair": create_token(svc.engine, HOSPITAL, "chair", "王主席")[1],
            "editor": create_token(svc.engine, HOSPITAL, "editor", "李明")[1],
        }
        yield Site(url, app, client, tokens)


@pytest.fixture
def site(store_url: str) -> Iterator[Site]:
    yield from _site(store_url)


# --------------------------------------------------------------------------- login CSRF


def test_opening_a_sign_in_link_does_not_sign_in_by_itself(site: Site) -> None:
    response = site.client.get(f"/login?token={site.tokens['editor']}", follow_redirects=False)
    assert response.status_code == 200
    assert "以 李明 身份登录？" in response.text and HOSPITAL in response.text
    set_cookie = response.headers.get("set-cookie", "")
    assert "planlog_session" not in set_cookie
    # Only the pre-session value, which a cross-site POST never carries.
    assert set_cookie.startswith("planlog_login=") and "HttpOnly" in set_cookie
    assert "samesite=strict" in set_cookie.lower()
    # The address holds the token: no Referer may carry it anywhere, our CSS included.
    assert response.headers["referrer-policy"] == "no-referrer"
    assert not signed_in(site.client)
    english = site.client.get(f"/login?token={site.tokens['editor']}&lang=en")
    assert "Sign in as 李明?" in english.text


def test_login_via_a_forged_cross_site_form_is_refused(site: Site, sign_in: Any) -> None:
    # The attacker opens their own sign-in link and copies what its form would post.
    attacker = site.browser()
    page = attacker.get(f"/login?token={site.tokens['chair']}").text
    forged = {
        "token": site.tokens["chair"],
        "next": "/",
        "csrf": _field(page, "csrf"),
    }
    # A victim's browser posts that form from the attacker's site: without the
    # pre-session cookie (SameSite=Strict keeps it off cross-site posts, and the
    # attacker cannot set it), and with one of its own that the value does not match.
    fresh_victim = site.browser()
    visited_victim = site.browser()
    visited_victim.get("/signin")
    assert "planlog_login" in visited_victim.cookies
    for victim in (fresh_victim, visited_victim):
        for data in (forged, {**forged, "csrf": ""}, {k: forged[k] for k in ("token", "next")}):
            refused = victim.post("/login", data=data, follow_redirects=False)
            assert refused.status_code == 403, refused.text
            assert "登录请求无法验证" in refused.text
            assert "planlog_session" not in refused.headers.get("set-cookie", "")
            assert "planlog_session" not in victim.cookies
            assert not signed_in(victim)
    # The refusal page is itself a working sign-in form for the victim's own token.
    assert sign_in(visited_victim, site.tokens["editor"]).status_code == 303
    assert signed_in(visited_victim)


def test_after_sign_in_the_address_has_no_token(site: Site, sign_in: Any) -> None:
    response = sign_in(site.client, site.tokens["editor"], next="/orgs")
    assert response.status_code == 303
    assert response.headers["location"] == "/orgs"
    assert site.tokens["editor"] not in response.headers["location"]


# --------------------------------------------------------------------------- the cookie


def test_the_session_cookie_is_not_the_bearer_token(site: Site, sign_in: Any) -> None:
    token = site.tokens["editor"]
    response = sign_in(site.client, token)
    session_id = site.client.cookies["planlog_session"]
    assert token not in response.headers["set-cookie"]
    assert session_id != token and token not in session_id and len(session_id) >= 43
    # Only a digest of the id is stored: the table does not hold usable sessions either.
    with site.engine.connect() as conn:
        stored = conn.execute(select(web_sessions.c.id_hash)).scalars().all()
    assert stored and session_id not in stored
    # And the two are not interchangeable.
    api = site.browser()
    assert api.get("/api/v1/plans", headers={"Authorization": f"Bearer {token}"}).is_success
    as_bearer = api.get("/api/v1/plans", headers={"Authorization": f"Bearer {session_id}"})
    assert as_bearer.status_code == 401


def test_the_bearer_token_no_longer_works_as_a_cookie(site: Site) -> None:
    old_style = site.browser(cookie=site.tokens["chair"])
    response = old_style.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/signin")
    assert 'planlog_session=""' in response.headers["set-cookie"]  # and it is forgotten


def test_logout_makes_the_old_cookie_useless(site: Site, sign_in: Any) -> None:
    sign_in(site.client, site.tokens["chair"])
    session_id = site.client.cookies["planlog_session"]
    assert signed_in(site.browser(cookie=session_id))
    out = site.client.get("/logout", follow_redirects=False)
    assert out.status_code == 303 and 'planlog_session=""' in out.headers["set-cookie"]
    # Someone who copied the cookie before the sign-out replays it: refused.
    assert not signed_in(site.browser(cookie=session_id))
    with site.engine.connect() as conn:
        revoked = conn.execute(select(web_sessions.c.revoked_at)).scalars().all()
    assert len(revoked) == 1 and revoked[0] is not None


def test_logout_by_form_needs_the_sessions_csrf_token(site: Site, sign_in: Any) -> None:
    sign_in(site.client, site.tokens["chair"])
    session_id = site.client.cookies["planlog_session"]
    # A page elsewhere cannot sign the user out: it does not know the form token.
    forged = site.client.post("/logout", data={"csrf": "x"}, follow_redirects=False)
    assert forged.status_code == 403 and signed_in(site.browser(cookie=session_id))
    out = site.client.post("/logout", data={"csrf": csrf_for(session_id)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/signin?out=1"
    assert 'planlog_session=""' in out.headers["set-cookie"]
    assert not signed_in(site.browser(cookie=session_id))


def test_signing_in_again_ends_the_previous_session(site: Site, sign_in: Any) -> None:
    sign_in(site.client, site.tokens["chair"])
    first = site.client.cookies["planlog_session"]
    sign_in(site.client, site.tokens["editor"])
    assert site.client.cookies["planlog_session"] != first
    assert not signed_in(site.browser(cookie=first))
    assert "李明" in site.client.get("/").text


def test_revoking_the_token_ends_its_sessions(site: Site, sign_in: Any) -> None:
    phone, desk = site.browser(), site.browser()
    for browser in (phone, desk):
        sign_in(browser, site.tokens["editor"])
        assert signed_in(browser)
    chair = site.browser()
    sign_in(chair, site.tokens["chair"])
    revoke_token(site.engine, site.token_id("editor"))  # `planlog token revoke`
    assert not signed_in(phone) and not signed_in(desk)
    assert signed_in(chair)  # another token's session is untouched


def test_a_session_survives_a_restart(store_url: str, sign_in: Any) -> None:
    first = _site(store_url)
    site = next(first)
    sign_in(site.client, site.tokens["editor"])
    session_id = site.client.cookies["planlog_session"]
    first.close()  # the server stops: its lifespan closes the store

    again = create_app(Settings(database_url=store_url), background=False)
    with TestClient(again) as client:
        client.cookies.set("planlog_session", session_id)
        page = client.get("/", follow_redirects=False)
    assert page.status_code == 200 and "李明" in page.text


# --------------------------------------------------------------------------- lifetimes


def test_a_session_ends_after_idle_hours_and_after_its_lifetime(site: Site) -> None:
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    token_id = site.token_id("editor")

    idle = open_session(site.engine, token_id, now=start)
    later = start + IDLE - timedelta(minutes=1)
    assert session_principal(site.engine, idle, now=later) is not None  # and now seen then
    assert session_principal(site.engine, idle, now=later + IDLE - timedelta(minutes=1))
    assert session_principal(site.engine, idle, now=later + 2 * IDLE) is None

    busy = open_session(site.engine, token_id, now=start)
    moment = start
    while moment + timedelta(hours=6) < start + LIFETIME:
        moment += timedelta(hours=6)  # used all week, never idle for long
        assert session_principal(site.engine, busy, now=moment) is not None
    assert session_principal(site.engine, busy, now=start + LIFETIME) is None

    closed = open_session(site.engine, token_id, now=start)
    close_session(site.engine, closed, now=start)
    assert session_principal(site.engine, closed, now=start) is None


def test_expired_sessions_are_forgotten(site: Site) -> None:
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    token_id = site.token_id("editor")
    for _ in range(3):
        open_session(site.engine, token_id, now=start)
    open_session(site.engine, token_id, now=start + LIFETIME + timedelta(seconds=1))
    with site.engine.connect() as conn:
        assert len(conn.execute(select(web_sessions)).all()) == 1


def _field(page: str, name: str) -> str:
    import html
    import re

    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no {name} field"
    return html.unescape(found.group(1))
