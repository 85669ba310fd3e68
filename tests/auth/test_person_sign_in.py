"""A person's sign-in: one-time links, sessions bound to the person, passwords, tokens."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine

from planlog.auth import links, passwords
from planlog.auth.caller import actor_of
from planlog.auth.sessions import session_principal
from planlog.auth.tokens import (
    SIGN_IN_MARK,
    Principal,
    authenticate,
    create_person_token,
    revoke_token,
)
from planlog.domain.values import InvalidValue
from planlog.projections.people import people, person_row
from planlog.projections.runner import ReadModelRunner
from planlog.service.app import PlanlogApp
from planlog.service.commands import ChangePerson, RegisterPerson, RetirePerson


@pytest.fixture
def site(app: PlanlogApp) -> Iterator[Any]:
    app.register_organisation("市总工会", actor="admin")
    person = app.handle(
        RegisterPerson(
            org="市总工会", name="张三", department="组织部", mobile="13800138000", actor="a"
        )
    )
    runner = ReadModelRunner(app)
    runner.catch_up()

    class Site:
        engine: Engine = runner.engine
        person_id = str(person.id)

        def catch_up(self) -> None:
            runner.catch_up()

    yield Site()
    runner.close()


def code_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["code"][0]


def test_a_sign_in_link_opens_a_session_of_that_person(site: Any) -> None:
    url = links.sign_in_url(site.engine, site.person_id, "http://127.0.0.1:8000/")
    assert url.startswith("http://127.0.0.1:8000/login/link?code=")
    redeemed = links.redeem(site.engine, code_of(url))
    assert redeemed is not None
    session_id, found = redeemed
    assert found.next_path == "/me"
    principal = session_principal(site.engine, session_id)
    assert principal is not None
    assert (principal.person_id, principal.org, principal.role) == (
        site.person_id,
        "市总工会",
        "editor",
    )
    assert actor_of(principal) == "张三（组织部）"


def test_a_link_works_once(site: Any) -> None:
    code = code_of(links.sign_in_url(site.engine, site.person_id, "http://x"))
    assert links.redeem(site.engine, code) is not None
    assert links.redeem(site.engine, code) is None
    assert links.peek(site.engine, code) is None


def test_looking_at_a_link_does_not_use_it(site: Any) -> None:
    code = code_of(links.sign_in_url(site.engine, site.person_id, "http://x"))
    found = links.peek(site.engine, code)
    assert found is not None and found.person.name == "张三"
    assert links.redeem(site.engine, code) is not None


def test_a_link_expires_after_seven_days(site: Any) -> None:
    code = links.create_link(site.engine, site.person_id)
    later = datetime.now(UTC) + links.LIFETIME + timedelta(minutes=1)
    assert links.redeem(site.engine, code, now=later) is None


def test_a_link_never_leads_to_another_site(site: Any) -> None:
    code = links.create_link(site.engine, site.person_id, next_path="//evil.example/")
    found = links.peek(site.engine, code)
    assert found is not None and found.next_path == "/me"


def test_a_new_link_leaves_older_ones_working(site: Any) -> None:
    first = links.create_link(site.engine, site.person_id)
    links.create_link(site.engine, site.person_id)
    assert links.redeem(site.engine, first) is not None


def test_retiring_a_person_ends_their_sessions_links_and_tokens(app: PlanlogApp, site: Any) -> None:
    code = links.create_link(site.engine, site.person_id)
    redeemed = links.redeem(site.engine, links.create_link(site.engine, site.person_id))
    assert redeemed is not None
    with site.engine.connect() as conn:
        person = person_row(conn, site.person_id)
    assert person is not None
    _, token = create_person_token(site.engine, person)
    app.handle(RetirePerson(person_id=site.person_id, actor="a"))
    site.catch_up()
    assert session_principal(site.engine, redeemed[0]) is None
    assert links.redeem(site.engine, code) is None
    assert authenticate(site.engine, token) is None


def test_a_persons_token_takes_role_and_name_from_the_person_now(
    app: PlanlogApp, site: Any
) -> None:
    with site.engine.connect() as conn:
        person = person_row(conn, site.person_id)
    assert person is not None
    _, token = create_person_token(site.engine, person)
    app.handle(ChangePerson(person_id=site.person_id, changes={"role": "chair"}, actor="a"))
    site.catch_up()
    principal = authenticate(site.engine, token)
    assert principal is not None
    assert (principal.role, principal.person_id, actor_of(principal)) == (
        "chair",
        site.person_id,
        "张三（组织部）",
    )


def test_revoking_a_persons_api_token_keeps_their_browser_session(site: Any) -> None:
    with site.engine.connect() as conn:
        person = person_row(conn, site.person_id)
    assert person is not None
    token_id, _ = create_person_token(site.engine, person)
    redeemed = links.redeem(site.engine, links.create_link(site.engine, site.person_id))
    assert redeemed is not None
    revoke_token(site.engine, token_id)
    assert session_principal(site.engine, redeemed[0]) is not None


def test_a_password_signs_in_with_mobile_and_is_stored_hashed(site: Any) -> None:
    passwords.set_password(site.engine, site.person_id, "correct horse")
    found = passwords.person_by_password(site.engine, "13800138000", "correct horse")
    assert found is not None and found.id == site.person_id
    assert passwords.person_by_password(site.engine, "13800138000", "wrong one") is None
    assert passwords.person_by_password(site.engine, "13900000000", "correct horse") is None
    with site.engine.connect() as conn:
        stored = conn.execute(passwords.person_passwords.select()).one()
    assert stored.hash.startswith("$argon2id$") and "correct horse" not in stored.hash


def test_a_short_password_is_refused(site: Any) -> None:
    with pytest.raises(InvalidValue) as refused:
        passwords.set_password(site.engine, site.person_id, "short")
    assert refused.value.field == "password"


def test_the_printed_link_records_the_person_it_names_not_its_mark() -> None:
    principal = Principal(1, "市总工会", "chair", f"张主席{SIGN_IN_MARK}")
    assert actor_of(principal) == "张主席"
    assert actor_of(Principal(2, "市总工会", "chair", "serve sign-in link")) == "chair@市总工会"


def test_a_persons_session_survives_a_restart(app: PlanlogApp, site: Any, store_url: str) -> None:
    redeemed = links.redeem(site.engine, links.create_link(site.engine, site.person_id))
    assert redeemed is not None
    restarted = PlanlogApp(store_url)
    runner = ReadModelRunner(restarted)
    try:
        principal = session_principal(runner.engine, redeemed[0])
        assert principal is not None and principal.person_id == site.person_id
    finally:
        runner.close()
        restarted.close()


def test_a_persons_token_keeps_working_while_the_people_read_model_is_rebuilt(
    app: PlanlogApp, site: Any
) -> None:
    with site.engine.connect() as conn:
        person = person_row(conn, site.person_id)
    assert person is not None
    _, token = create_person_token(site.engine, person)
    with site.engine.begin() as conn:
        conn.execute(people.delete())  # what a rebuild does first, before projecting again
    during = authenticate(site.engine, token)
    assert during is not None
    assert (during.org, during.role, during.person_id) == ("市总工会", "editor", site.person_id)
    app.handle(RetirePerson(person_id=site.person_id, actor="a"))
    runner = ReadModelRunner(app)
    try:
        runner.rebuild(["people"])
    finally:
        runner.close()
    assert authenticate(site.engine, token) is None  # once projected, the retirement holds
