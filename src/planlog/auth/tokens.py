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

from planlog.domain.errors import NotFound, PlanlogError
from planlog.projections.base import metadata

ROLES = ("chair", "editor", "auditor")
FEED_KINDS = ("plan", "org", "person")

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


@dataclass(frozen=True)
class Principal:
    token_id: int
    org: str
    role: str
    name: str | None


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


def authenticate(engine: Engine, token: str) -> Principal | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(api_tokens).where(
                api_tokens.c.hash == _digest(token), api_tokens.c.revoked_at.is_(None)
            )
        ).first()
    if row is None:
        return None
    return Principal(row.id, row.org, row.role, row.name)


def revoke_token(engine: Engine, token_id: int) -> None:
    with engine.begin() as conn:
        done = conn.execute(
            update(api_tokens)
            .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=_now())
        )
    if done.rowcount != 1:
        raise NotFound(f"no active token with id {token_id}")


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
        raise NotFound(f"no active feed with id {feed_id}")
