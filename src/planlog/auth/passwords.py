"""Optional passwords for people, hashed with Argon2id (argon2-cffi's defaults).

A person signs in with a one-time link; a union that prefers passwords sets one per
person. Only the Argon2 hash is kept, in a table of the read-model database beside the
tokens (never in the event log). A person signs in with their mobile number or e-mail
address (or their person id) and the password.

Guessing is throttled in two ways. Argon2 is slow and memory-hungry on purpose, so at
most `VERIFY_AT_ONCE` verifications run at a time in a process (a burst of sign-in
attempts queues instead of exhausting memory and cores). And `SignInThrottle` refuses
an account, or a client address, after `FAILURES_ALLOWED` failures within `WINDOW`
seconds, until the oldest of them is older than the window. The throttle is kept in
memory, per process: it holds no secret worth a table, it must be cheap on every
attempt, and it forgets on restart — with N web workers an attacker gets at most N times
the allowance, which still turns guessing a password into years of work.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
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
#: Argon2 verifications running at once in a process (each takes ~64 MiB and a core)
VERIFY_AT_ONCE = 2
#: failed sign-ins allowed per account and per client address within `WINDOW` seconds
FAILURES_ALLOWED = 5
WINDOW = 15 * 60
#: keys the throttle remembers at most; past it, the ones with the oldest failures go
_KEYS_KEPT = 10_000

_verifying = threading.BoundedSemaphore(VERIFY_AT_ONCE)

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
    with _verifying:
        try:
            return _hasher.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return False


class SignInThrottle:
    """Failed sign-ins per key (an account, a client address), in memory (see the module
    docstring for why). Thread-safe: the web answers sign-ins from a thread pool."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        allowed: int = FAILURES_ALLOWED,
        window: float = WINDOW,
    ) -> None:
        self.clock = clock
        self.allowed = allowed
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        kept = self._failures.get(key, deque())
        while kept and kept[0] <= now - self.window:
            kept.popleft()
        if not kept:
            self._failures.pop(key, None)
        return kept

    def wait(self, *keys: str) -> int:
        """Seconds until any of `keys` may try again; 0 when all may try now."""
        now = self.clock()
        longest = 0.0
        with self._lock:
            for key in keys:
                recent = self._recent(key, now)
                if len(recent) >= self.allowed:
                    longest = max(longest, recent[-self.allowed] + self.window - now)
        return math.ceil(longest) if longest > 0 else 0

    def failed(self, *keys: str) -> None:
        now = self.clock()
        with self._lock:
            for key in keys:
                recent = self._recent(key, now)
                recent.append(now)
                self._failures[key] = recent
            if len(self._failures) > _KEYS_KEPT:
                by_age = sorted(self._failures, key=lambda k: self._failures[k][-1])
                for key in by_age[: len(self._failures) - _KEYS_KEPT]:
                    del self._failures[key]

    def succeeded(self, key: str) -> None:
        """A right password clears its account's failures (not its address's: one known
        account must not reset the count for guesses at others)."""
        with self._lock:
            self._failures.pop(key, None)


def throttle_keys(account: str, client: str | None) -> tuple[str, str]:
    """The account (as typed, trimmed, any case) and the client address, as keys."""
    return f"account:{account.strip().casefold()}", f"client:{client or '?'}"


def wait_message(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return (
        f"登录失败次数过多，请 {minutes} 分钟后再试"
        f"（too many failed sign-ins: try again in {minutes} minutes）"
    )
