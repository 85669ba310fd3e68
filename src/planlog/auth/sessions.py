"""Browser sessions, kept on the server: a random id in the cookie, the rest in a table.

The cookie used to carry the API token itself, so a copied cookie was the bearer
token, signing out could not take it back, and the token had to travel through the
sign-in URL every time. Now the browser holds only a random session id
(`secrets.token_urlsafe(32)`); the table says which API token it stands for, when it
expires, and whether it was revoked. Like tokens, only a SHA-256 of the id is stored,
so a copy of the database (a backup) does not hand out live sessions. The table lives
in the read-model database beside `api_tokens`, so sessions survive a restart and are
shared by every web worker.

A person's session stands for their web token (`tokens.person_web_token`), and the
person is read with it on every request: retiring a person ends their sessions, a new
role applies at once.

A session is valid only while its token is: the lookup joins `api_tokens` and wants
it unrevoked, so `planlog token revoke` ends every session of that token at the next
request, whichever way the token was revoked.

Lifetimes: a session ends after 12 hours without a request, and in any case 7 days
after sign-in. Twelve idle hours cover a working day of looking at the board now and
then without signing in again, yet a browser left signed in on a shared office
computer is signed out by the next morning; the 7-day cap bounds what a stolen cookie
is worth even if someone keeps it busy.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, Engine, Integer, String, Table, delete, update

from planlog.auth.tokens import Principal, api_tokens, principal_of, principal_query
from planlog.projections.base import metadata

IDLE = timedelta(hours=12)
LIFETIME = timedelta(days=7)
#: `seen_at` is written at most this often, so that reading pages does not mean a
#: database write per request
TOUCH = timedelta(minutes=5)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),  # SHA-256 of the cookie's session id
    Column("token_id", Integer, nullable=False, index=True),
    Column("created_at", String(40), nullable=False),
    Column("seen_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),  # the absolute end
    Column("revoked_at", String(40)),
)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _stamp(moment: datetime) -> str:
    """UTC, whole seconds: stamps of one format compare correctly as text."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def open_session(engine: Engine, token_id: int, now: datetime | None = None) -> str:
    """A new session for an (already authenticated) API token; returns its id."""
    moment = _now(now)
    session_id = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        # Sessions past their absolute end can never be used again: forget them here,
        # so that the table does not grow without bound.
        conn.execute(delete(web_sessions).where(web_sessions.c.expires_at < _stamp(moment)))
        conn.execute(
            web_sessions.insert().values(
                id_hash=_digest(session_id),
                token_id=token_id,
                created_at=_stamp(moment),
                seen_at=_stamp(moment),
                expires_at=_stamp(moment + LIFETIME),
            )
        )
    return session_id


def session_principal(
    engine: Engine, session_id: str, now: datetime | None = None
) -> Principal | None:
    """Who a session id stands for; None if it is unknown, revoked, expired, or its
    token has been revoked."""
    moment = _now(now)
    key = _digest(session_id)
    query = (
        principal_query()
        .add_columns(web_sessions.c.seen_at, web_sessions.c.expires_at)
        .join(web_sessions, web_sessions.c.token_id == api_tokens.c.id)
        .where(
            web_sessions.c.id_hash == key,
            web_sessions.c.revoked_at.is_(None),
            api_tokens.c.revoked_at.is_(None),
        )
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    seen = datetime.fromisoformat(row.seen_at)
    if moment >= datetime.fromisoformat(row.expires_at) or moment >= seen + IDLE:
        return None
    if moment - seen >= TOUCH:
        with engine.begin() as conn:
            conn.execute(
                update(web_sessions)
                .where(web_sessions.c.id_hash == key)
                .values(seen_at=_stamp(moment))
            )
    return principal_of(row)


def close_session(engine: Engine, session_id: str, now: datetime | None = None) -> None:
    """Sign out: the id is refused from now on, even if the cookie is replayed."""
    open_one = (web_sessions.c.id_hash == _digest(session_id)) & web_sessions.c.revoked_at.is_(None)
    with engine.begin() as conn:
        conn.execute(update(web_sessions).where(open_one).values(revoked_at=_stamp(_now(now))))
