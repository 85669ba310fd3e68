"""One-time sign-in links for people: the chair sends one, the person opens it, a browser
session bound to that person begins.

A link carries a random code (`secrets.token_urlsafe(32)`); only its SHA-256 is stored,
in a table of the read-model database beside `api_tokens`, so a backup of the database
hands out no live links. A code works once and for `LIFETIME` (7 days). Links are
credentials, not history: never in the event log.

Chat apps and mail scanners open links to preview them, so opening the link (a GET)
never uses it up: the web asks "以 张三 身份登录？" and the POST of that page redeems it
(`redeem`). Making a new link never revokes older ones, and nothing here is touched
when `planlog serve` starts: a server that fails to start leaves every link working.

Every link made is also recorded in `sign_in_links_issued` — who made it, when, for
whom — and that record is never pruned (the codes' table forgets expired links): a
link is a credential, so handing one out must leave a trace (`links_issued`). Who may
hand one out (`check_issuer`): a chair, for a person whose role is editor or auditor,
or for themselves; a link for another chair only through the CLI (the administrator).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from sqlalchemy import Column, Engine, Integer, String, Table, Text, delete, select, update

from planlog.auth.errors import Forbidden
from planlog.auth.sessions import open_session
from planlog.auth.tokens import person_web_token
from planlog.domain.errors import NotFound, PlanlogError
from planlog.projections.base import metadata
from planlog.projections.people import PersonRow, person_row

LIFETIME = timedelta(days=7)
#: Where a link leads when it names no page: the person's own tasks.
LANDING = "/me"
LINK_PATH = "/login/link"

sign_in_links = Table(
    "sign_in_links",
    metadata,
    Column("code_hash", String(64), primary_key=True),  # SHA-256 of the link's code
    Column("person_id", String(36), nullable=False, index=True),
    Column("next_path", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),
    Column("used_at", String(40)),
)


sign_in_links_issued = Table(
    "sign_in_links_issued",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("person_id", String(36), nullable=False, index=True),  # for whom
    Column("issued_by", Text, nullable=False),  # who: the actor, as every door names it
    Column("issued_at", String(40), nullable=False),
)
#: the roles a chair may hand sign-in links to (besides themselves)
LINKS_BY_CHAIR = frozenset({"editor", "auditor"})


def check_issuer(issuer_person_id: str | None, person: PersonRow) -> None:
    """A chair (on the web or the API) may make links for editors, auditors and
    themselves: a link for another chair would let one chair act as another."""
    if person.retired:
        return  # no link at all: `create_link` refuses a retired person (422)
    if person.role in LINKS_BY_CHAIR or (
        issuer_person_id is not None and issuer_person_id == person.id
    ):
        return
    raise Forbidden(
        f"只能为编辑或审计角色的人员或您本人生成登录链接；{person.name} 的角色是"
        f" {person.role}，请由管理员用 planlog person link 生成"
        f"（a chair may make sign-in links only for editors, auditors or themselves;"
        f" {person.name} is a {person.role}: the administrator makes it with planlog person link）"
    )


def links_issued(engine: Engine, person_id: str) -> list[dict[str, str]]:
    """Every sign-in link made for the person: who made it and when, oldest first."""
    c = sign_in_links_issued.c
    query = select(c.issued_by, c.issued_at).where(c.person_id == person_id).order_by(c.id)
    with engine.connect() as conn:
        return [{"issued_by": r.issued_by, "issued_at": r.issued_at} for r in conn.execute(query)]


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def site_path(path: str | None) -> str:
    """A page of this site to land on: never another host (an open redirect)."""
    if path and path.startswith("/") and not path.startswith(("//", "/\\")):
        return path
    return LANDING


def active_person(engine: Engine, person_id: str) -> PersonRow:
    with engine.connect() as conn:
        person = person_row(conn, person_id)
    if person is None:
        raise NotFound(f"没有编号为 {person_id} 的人员（no person with id {person_id}）")
    if person.retired:
        raise PlanlogError(
            f"{person.name} 已停用，不能登录（{person.name} is retired and cannot sign in）"
        )
    return person


def create_link(
    engine: Engine,
    person_id: str,
    next_path: str | None = None,
    now: datetime | None = None,
    issued_by: str = "",
) -> str:
    """A new one-time code for the person; returns the code (shown once). The code and
    the record of who issued it are written together."""
    person = active_person(engine, str(person_id))
    moment = _now(now)
    code = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        # Links past their end can never be used: forget them, so the table stays small.
        conn.execute(delete(sign_in_links).where(sign_in_links.c.expires_at < _stamp(moment)))
        conn.execute(
            sign_in_links.insert().values(
                code_hash=_digest(code),
                person_id=person.id,
                next_path=site_path(next_path),
                created_at=_stamp(moment),
                expires_at=_stamp(moment + LIFETIME),
            )
        )
        conn.execute(
            sign_in_links_issued.insert().values(
                person_id=person.id, issued_by=issued_by or "?", issued_at=_stamp(moment)
            )
        )
    return code


def sign_in_url(
    engine: Engine,
    person_id: str,
    base_url: str,
    next_path: str | None = None,
    issued_by: str = "",
) -> str:
    """A one-time sign-in link for the person, on the site at `base_url`; `issued_by`
    names who asked for it (kept in `sign_in_links_issued`)."""
    code = create_link(engine, person_id, next_path, issued_by=issued_by)
    return f"{base_url.rstrip('/')}{LINK_PATH}?code={quote(code)}"


@dataclass(frozen=True)
class LinkFor:
    person: PersonRow
    next_path: str


def _usable(code: str, moment: datetime) -> object:
    c = sign_in_links.c
    return (c.code_hash == _digest(code)) & c.used_at.is_(None) & (c.expires_at > _stamp(moment))


def peek(engine: Engine, code: str, now: datetime | None = None) -> LinkFor | None:
    """Whom an unused, unexpired link signs in, without using it (the question page)."""
    c = sign_in_links.c
    with engine.connect() as conn:
        row = conn.execute(
            select(c.person_id, c.next_path).where(_usable(code, _now(now)))  # type: ignore[arg-type]
        ).first()
        person = None if row is None else person_row(conn, row.person_id)
    if row is None or person is None or person.retired:
        return None
    return LinkFor(person, row.next_path)


def redeem(engine: Engine, code: str, now: datetime | None = None) -> tuple[str, LinkFor] | None:
    """Use the link: a new browser session for its person, and where to go. None if the
    link is unknown, used, expired, or its person retired. Two tabs redeeming the same
    link at once: the conditional update lets exactly one of them through."""
    found = peek(engine, code, now)
    if found is None:
        return None
    moment = _now(now)
    with engine.begin() as conn:
        used = conn.execute(
            update(sign_in_links)
            .where(_usable(code, moment))  # type: ignore[arg-type]
            .values(used_at=_stamp(moment))
        )
    if used.rowcount != 1:
        return None
    session_id = open_session(engine, person_web_token(engine, found.person), moment)
    return session_id, found
