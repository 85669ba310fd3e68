"""Where the event log lives: a database URL → eventsourcing's persistence settings.

The recorders are eventsourcing's native ones: on SQLite they saved ~3x and read
~2x faster than eventsourcing-sqlalchemy (see ARCHITECTURE.md and bench/), and
on PostgreSQL the native recorder is the one that can LISTEN/NOTIFY.
"""

from __future__ import annotations

import getpass
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlparse

from planlog.domain.errors import PlanlogError

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger("planlog.store")

DEFAULT_DATABASE_URL = "sqlite:///planlog.db"
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class StoreConfigError(PlanlogError):
    code = "invalid_database_url"


@dataclass(frozen=True)
class StoreSettings:
    url: str
    kind: str  # "sqlite" or "postgresql"
    env: dict[str, str]
    sqlite_path: Path | None = None
    pg_schema: str | None = None

    @property
    def sqlalchemy_url(self) -> str:
        """The same database for SQLAlchemy (read models, job store)."""
        if self.kind == "sqlite":
            return f"sqlite:///{self.sqlite_path}"
        e = self.env
        auth = e["POSTGRES_USER"] + (f":{e['POSTGRES_PASSWORD']}" if e["POSTGRES_PASSWORD"] else "")
        return (
            f"postgresql+psycopg://{auth}@{e['POSTGRES_HOST']}:{e['POSTGRES_PORT']}/"
            f"{e['POSTGRES_DBNAME']}"
        )

    @property
    def display(self) -> str:
        """The URL without its password, for messages and logs."""
        if self.kind == "sqlite":
            return f"sqlite:///{self.sqlite_path}"
        e = self.env
        schema = f"?schema={self.pg_schema}" if self.pg_schema else ""
        return (
            f"postgresql://{e['POSTGRES_USER']}@{e['POSTGRES_HOST']}:{e['POSTGRES_PORT']}/"
            f"{e['POSTGRES_DBNAME']}{schema}"
        )


def parse_database_url(url: str) -> StoreSettings:
    """Accept `sqlite:///path`, a bare file path, or `postgresql://user@host:port/db[?schema=s]`."""
    url = url.strip()
    if not url:
        raise StoreConfigError("the database URL is empty")
    if "://" not in url:
        return _sqlite(url, url)
    parsed = urlparse(url)
    scheme = parsed.scheme.split("+")[0]
    if scheme == "sqlite":
        path = unquote(url.split("://", 1)[1])
        # sqlite:///relative.db → "/relative.db"; sqlite:////abs.db → "//abs.db"
        path = path[1:] if path.startswith("/") else path
        if not path or path == ":memory:":
            raise StoreConfigError(
                f"{url!r}: planlog needs a SQLite file (the log must outlive the process)"
            )
        return _sqlite(url, path)
    if scheme in ("postgresql", "postgres"):
        return _postgres(url, parsed)
    raise StoreConfigError(
        f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql://USER@HOST:PORT/DB"
    )


def _sqlite(url: str, path: str) -> StoreSettings:
    file = Path(path).expanduser()
    if file.exists() and file.is_dir():
        raise StoreConfigError(f"{path!r} is a directory, not a SQLite file")
    if not file.parent.exists():
        raise StoreConfigError(f"folder {str(file.parent)!r} for the SQLite file does not exist")
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(file),
        # Writers queue for up to 10 s instead of failing at once when another
        # process holds the write lock.
        "SQLITE_LOCK_TIMEOUT": "10",
    }
    return StoreSettings(url=url, kind="sqlite", env=env, sqlite_path=file)


def _postgres(url: str, parsed: object) -> StoreSettings:
    from urllib.parse import ParseResult

    assert isinstance(parsed, ParseResult)
    dbname = parsed.path.lstrip("/")
    if not dbname:
        raise StoreConfigError(f"{url!r} names no database")
    schema = (parse_qs(parsed.query).get("schema") or [""])[0] or None
    if schema is not None and not _SCHEMA_NAME.match(schema):
        raise StoreConfigError(f"schema {schema!r} must be a lower-case SQL identifier")
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": parsed.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parsed.port or 5432),
        "POSTGRES_USER": unquote(parsed.username) if parsed.username else getpass.getuser(),
        "POSTGRES_PASSWORD": unquote(parsed.password) if parsed.password else "",
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_SCHEMA": schema or "",
    }
    return StoreSettings(url=url, kind="postgresql", env=env, pg_schema=schema)


def pg_connect(settings: StoreSettings) -> psycopg.Connection[tuple[Any, ...]]:
    """A plain autocommit connection, for locks, LISTEN and DDL outside eventsourcing."""
    import psycopg

    e = settings.env
    return psycopg.connect(
        dbname=e["POSTGRES_DBNAME"],
        host=e["POSTGRES_HOST"],
        port=int(e["POSTGRES_PORT"]),
        user=e["POSTGRES_USER"],
        password=e["POSTGRES_PASSWORD"] or None,
        connect_timeout=5,
        autocommit=True,
    )


@contextmanager
def ddl_lock(settings: StoreSettings) -> Iterator[None]:
    """Serialise table creation across processes.

    Several processes starting at once (uvicorn workers, a worker, the CLI) would
    otherwise race on CREATE TABLE / CREATE FUNCTION, which PostgreSQL answers with
    "tuple concurrently updated". SQLite serialises DDL by itself.
    """
    if settings.kind != "postgresql":
        yield
        return
    with pg_connect(settings) as conn:
        key = f"planlog-ddl:{settings.pg_schema or 'public'}"
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))


@contextmanager
def try_store_lock(settings: StoreSettings, name: str, *, wait: bool = False) -> Iterator[bool]:
    """A lock named `name` for this store across processes: yields whether this caller
    got it (a PostgreSQL advisory lock, or a lock file beside the SQLite file), held
    until the block ends; with `wait`, once whoever holds it lets go."""
    if settings.kind != "postgresql":
        from filelock import FileLock, Timeout

        lock = FileLock(f"{settings.sqlite_path}.{name}.lock")
        try:
            lock.acquire(timeout=-1 if wait else 0)
        except Timeout:
            yield False
            return
        try:
            yield True
        finally:
            lock.release()
        return
    import psycopg

    with pg_connect(settings) as conn:
        key = f"planlog-{name}:{settings.pg_schema or 'public'}"
        if wait:
            conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
            held = True
        else:
            got = conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (key,)).fetchone()
            held = bool(got and got[0])
        try:
            yield held
        finally:
            if held:
                try:
                    conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))
                except psycopg.Error as error:  # the session is gone, and its lock with it
                    log.warning("store lock %s: could not unlock: %s", name, error)


def ensure_postgres_schema(settings: StoreSettings) -> None:
    """eventsourcing creates tables but not the schema that holds them."""
    if settings.kind != "postgresql" or not settings.pg_schema:
        return
    with pg_connect(settings) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{settings.pg_schema}"')
