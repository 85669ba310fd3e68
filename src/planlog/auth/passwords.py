"""Optional passwords for people, hashed with Argon2id (argon2-cffi's defaults).

A person signs in with a one-time link; a union that prefers passwords sets one per
person. Only the Argon2 hash is kept, in a table of the read-model database beside the
tokens (never in the event log). A person signs in with their mobile number or e-mail
address (or their person id) and the password.
"""

from __future__ import annotations

from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Column, Engine, String, Table, Text, delete, select

from planlog.auth.links import active_person
from planlog.domain.values import InvalidValue, check_text_chars
from planlog.projections.base import metadata
from planlog.projections.people import PersonRow, people

PASSWORD_MIN = 8
PASSWORD_MAX = 128

_hasher = PasswordHasher()
#: Verified when no person matches, so that an unknown account costs as long as a wrong
#: password: the answer's timing does not tell which mobile numbers have an account.
_DUMMY = _hasher.hash("planlog-no-such-person")

person_passwords = Table(
    "person_passwords",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("hash", Text, nullable=False),
    Column("set_at", String(40), nullable=False),
)


def check_password(password: object) -> str:
    if not isinstance(password, str):
        raise InvalidValue("password", "not_text", "应为文字", "must be text")
    check_text_chars(password, "password")
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise InvalidValue(
            "password",
            "length",
            f"须为 {PASSWORD_MIN} 到 {PASSWORD_MAX} 个字符",
            f"must be {PASSWORD_MIN} to {PASSWORD_MAX} characters",
        )
    return password


def set_password(engine: Engine, person_id: str, password: str) -> None:
    person = active_person(engine, person_id)
    hashed = _hasher.hash(check_password(password))
    with engine.begin() as conn:
        conn.execute(delete(person_passwords).where(person_passwords.c.person_id == person.id))
        conn.execute(
            person_passwords.insert().values(
                person_id=person.id,
                hash=hashed,
                set_at=datetime.now(UTC).isoformat(timespec="seconds"),
            )
        )


def clear_password(engine: Engine, person_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(person_passwords).where(person_passwords.c.person_id == person_id))


def has_password(engine: Engine, person_id: str) -> bool:
    with engine.connect() as conn:
        found = conn.execute(
            select(person_passwords.c.person_id).where(person_passwords.c.person_id == person_id)
        )
        return found.first() is not None


def person_by_password(engine: Engine, account: str, password: str) -> PersonRow | None:
    """The active person whose mobile, e-mail or id is `account` and whose password this
    is; None otherwise (the same for an unknown account and a wrong password)."""
    account = account.strip()
    p, pw = people.c, person_passwords.c
    query = (
        select(p.id, pw.hash)
        .join(person_passwords, pw.person_id == p.id)
        .where((p.mobile == account) | (p.email == account) | (p.id == account))
        .where(p.retired.is_(False))
    )
    with engine.connect() as conn:
        candidates = list(conn.execute(query))
    if not candidates:
        _matches(_DUMMY, password)
        return None
    for candidate in candidates:
        if _matches(candidate.hash, password):
            return active_person(engine, candidate.id)
    return None


def _matches(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False
