"""API tokens and calendar-feed tokens: stored hashed, revocable.

Tokens are access credentials, not history: they live in a table of the
read-model database (never in the event log, which cannot forget a secret).
Only a SHA-256 of each token is stored; the token itself is shown once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Engine, Integer, String, Table, Text, select, update
from sqlalchemy.sql import Select

from planlog.domain.errors import NotFound, PlanlogError
from planlog.domain.person import display_name
from planlog.projections.base import metadata
from planlog.projections.people import PersonRow, people

ROLES = ("chair", "editor", "auditor")
FEED_KINDS = ("plan", "org", "person")
#: The token `planlog serve` prints as a sign-in link is named for whom the log records
#: (the organisation's chair, else the administrator) with this mark, so that the next
#: start finds and replaces it, and so that the log records the person, not the mark.
SIGN_IN_MARK = "（本机登录链接 sign-in link）"
#: What such tokens were named before the mark: never recorded as an actor again.
LEGACY_SIGN_IN_NAME = "serve sign-in link"

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hash", String(64), nullable=False, unique=True),
    Column("org", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("name", Text),
    Column("created_at", String(40), nullable=False),
    Column("revoked_at", String(40)),
)

feed_tokens = Table(
    "feed_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hash", String(64), nullable=False, unique=True),
    Column("org", Text, nullable=False),  # the scope of the token that made the feed
    Column("kind", String(16), nullable=False),
    Column("target", Text, nullable=False),  # plan id, organisation or person
    Column("created_at", String(40), nullable=False),
    Column("revoked_at", String(40)),
)

#: Which API token made each feed: a feed is a credential derived from that token and
#: stops working when the token is revoked. A table of its own rather than a column, so
#: that stores made before it need no migration (create_all adds a missing table).
feed_issuers = Table(
    "feed_issuers",
    metadata,
    Column("feed_id", Integer, primary_key=True),
    Column("token_id", Integer, nullable=False, index=True),
)


#: Which tokens belong to a person: their organisation, role and name are then the
#: person's, read on every request (a change or a retirement takes effect at once).
#: `kind` is "web" for the token behind a person's browser sessions (one per person,
#: made when they first sign in) and "api" for tokens given with `token create
#: --person`, so that revoking an API token never signs the person out of the web.
#: A table of its own, like `feed_issuers`: stores made before it need no migration.
person_tokens = Table(
    "person_tokens",
    metadata,
    Column("token_id", Integer, primary_key=True, autoincrement=False),
    Column("person_id", String(36), nullable=False, index=True),
    Column("kind", String(8), nullable=False),
)


@dataclass(frozen=True)
class Principal:
    token_id: int
    org: str
    role: str
    name: str | None
    #: the person this token belongs to, if any (`planlog.domain.person.Person`)
    person_id: str | None = None


@dataclass(frozen=True)
class Feed:
    feed_id: int
    org: str
    kind: str
    target: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat()


def create_token(engine: Engine, org: str, role: str, name: str | None = None) -> tuple[int, str]:
    if role not in ROLES:
        raise PlanlogError(f"role {role!r} is not one of {', '.join(ROLES)}")
    token = "pl_" + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        result = conn.execute(
            api_tokens.insert().values(
                hash=_digest(token), org=org, role=role, name=name, created_at=_now()
            )
        )
        token_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    return token_id, token


def principal_query() -> Select[Any]:
    """The columns `principal_of` reads: a token with, when it is a person's, the person."""
    t, pt, pe = api_tokens.c, person_tokens.c, people.c
    return select(
        t.id.label("token_id"),
        t.org,
        t.role,
        t.name,
        pt.person_id,
        pe.org.label("person_org"),
        pe.role.label("person_role"),
        pe.name.label("person_name"),
        pe.department.label("person_department"),
        pe.retired.label("person_retired"),
    ).select_from(
        api_tokens.outerjoin(person_tokens, pt.token_id == t.id).outerjoin(
            people, pe.id == pt.person_id
        )
    )


def principal_of(row: Any) -> Principal | None:
    """Who a `principal_query` row stands for; None for a retired (or unknown) person."""
    if row.person_id is None:
        return Principal(row.token_id, row.org, row.role, row.name)
    if row.person_name is None:
        # People rows are never deleted, only emptied by a rebuild of the read models:
        # meanwhile the token's own organisation and role (stored when it was given)
        # stand in, so that a rebuild does not sign everyone out. The person's current
        # role, or a retirement, applies again as soon as their row is projected.
        return Principal(row.token_id, row.org, row.role, row.name, row.person_id)
    if row.person_retired:
        return None
    return Principal(
        row.token_id,
        row.person_org,
        row.person_role,
        display_name(row.person_name, row.person_department),
        row.person_id,
    )


def authenticate(engine: Engine, token: str) -> Principal | None:
    query = principal_query().where(
        api_tokens.c.hash == _digest(token), api_tokens.c.revoked_at.is_(None)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else principal_of(row)


def create_person_token(engine: Engine, person: PersonRow, kind: str = "api") -> tuple[int, str]:
    """A token of `person` (see `person_tokens`): their organisation and role."""
    if person.retired:
        raise PlanlogError(
            f"{person.name} 已停用，不能发放令牌（{person.name} is retired: no token）"
        )
    token = "pl_" + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        result = conn.execute(
            api_tokens.insert().values(
                hash=_digest(token),
                org=person.org,
                role=person.role,
                name=person.display_name,
                created_at=_now(),
            )
        )
        token_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        conn.execute(
            person_tokens.insert().values(token_id=token_id, person_id=person.id, kind=kind)
        )
    return token_id, token


def person_web_token(engine: Engine, person: PersonRow) -> int:
    """The token behind the person's browser sessions, made the first time."""
    pt, t = person_tokens.c, api_tokens.c
    query = (
        select(t.id)
        .join(person_tokens, pt.token_id == t.id)
        .where(pt.person_id == person.id, pt.kind == "web", t.revoked_at.is_(None))
        .order_by(t.id)
    )
    with engine.connect() as conn:
        found = conn.execute(query).scalar()
    if found is not None:
        return int(found)
    token_id, _ = create_person_token(engine, person, kind="web")
    return token_id


def person_token_ids(engine: Engine) -> set[int]:
    """Ids of every token that belongs to a person."""
    with engine.connect() as conn:
        return set(conn.execute(select(person_tokens.c.token_id)).scalars())


def revoke_token(engine: Engine, token_id: int) -> None:
    with engine.begin() as conn:
        done = conn.execute(
            update(api_tokens)
            .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=_now())
        )
    if done.rowcount != 1:
        raise NotFound(f"没有编号为 {token_id} 的有效令牌（no active token with id {token_id}）")


def list_tokens(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [
            {
                "id": r.id,
                "org": r.org,
                "role": r.role,
                "name": r.name,
                "created_at": r.created_at,
                "revoked_at": r.revoked_at,
            }
            for r in conn.execute(select(api_tokens).order_by(api_tokens.c.id))
        ]


def token_org_exists(engine: Engine, org: str) -> bool:
    """Whether some API token (active or not) was made for this organisation: the
    administrator created it, so the name is taken even if nobody registered it."""
    with engine.connect() as conn:
        found = conn.execute(select(api_tokens.c.id).where(api_tokens.c.org == org).limit(1))
        return found.first() is not None


def create_feed(engine: Engine, issuer: Principal, kind: str, target: str) -> tuple[int, str]:
    """A feed in the scope of `issuer`'s organisation, alive while `issuer` is."""
    if kind not in FEED_KINDS:
        raise PlanlogError(f"feed kind {kind!r} is not one of {', '.join(FEED_KINDS)}")
    token = "cal_" + secrets.token_urlsafe(24)
    with engine.begin() as conn:
        result = conn.execute(
            feed_tokens.insert().values(
                hash=_digest(token), org=issuer.org, kind=kind, target=target, created_at=_now()
            )
        )
        feed_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        conn.execute(feed_issuers.insert().values(feed_id=feed_id, token_id=issuer.token_id))
    return feed_id, token


def find_feed(engine: Engine, token: str) -> Feed | None:
    """The feed of a calendar URL, if neither it nor the token that made it is revoked."""
    f, i, t = feed_tokens.c, feed_issuers.c, api_tokens.c
    issuer_active = (
        select(api_tokens.c.id).where(t.id == i.token_id, t.revoked_at.is_(None)).exists()
    )
    # Feeds made before issuers were recorded: alive while a chair token of the feed's
    # organisation that existed when the feed was made is still active (one of them
    # made it; when all are revoked, so is the feed).
    legacy_issuer_active = (
        select(api_tokens.c.id)
        .where(
            t.org == f.org,
            t.role == "chair",
            t.created_at <= f.created_at,
            t.revoked_at.is_(None),
        )
        .exists()
    )
    query = (
        select(f.id, f.org, f.kind, f.target)
        .select_from(feed_tokens.outerjoin(feed_issuers, i.feed_id == f.id))
        .where(
            f.hash == _digest(token),
            f.revoked_at.is_(None),
            ((i.token_id.is_not(None)) & issuer_active)
            | ((i.token_id.is_(None)) & legacy_issuer_active),
        )
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else Feed(row.id, row.org, row.kind, row.target)


def list_feeds(engine: Engine, org_scope: set[str]) -> list[dict[str, Any]]:
    """Feeds not revoked, made within `org_scope`, oldest first; never their tokens
    (only hashes are stored: a link is shown once, when it is made)."""
    f = feed_tokens.c
    query = (
        select(f.id, f.org, f.kind, f.target, f.created_at)
        .where(f.org.in_(org_scope), f.revoked_at.is_(None))
        .order_by(f.id)
    )
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def revoke_feed(engine: Engine, feed_id: int, org_scope: set[str]) -> None:
    with engine.begin() as conn:
        done = conn.execute(
            update(feed_tokens)
            .where(
                feed_tokens.c.id == feed_id,
                feed_tokens.c.org.in_(org_scope),
                feed_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=_now())
        )
    if done.rowcount != 1:
        raise NotFound(f"没有编号为 {feed_id} 的有效订阅（no active feed with id {feed_id}）")
