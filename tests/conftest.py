"""Shared fixtures: real stores (a SQLite file, the PostgreSQL server) and a controllable clock."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from planlog.service.app import PlanlogApp

PG_DSN = os.environ.get("PLANLOG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_required() -> bool:
    """In CI an unreachable PostgreSQL fails the suite; nothing is silently skipped."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes") or bool(
        os.environ.get("PLANLOG_REQUIRE_POSTGRES")
    )


def _pg_connect() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(PG_DSN, autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def postgres_available() -> None:
    try:
        with _pg_connect() as conn:
            conn.execute("select 1")
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL at {PG_DSN} is unreachable: {exc}"
        if postgres_required():
            pytest.fail(message)
        pytest.skip(message + " (set CI=true to make this a failure)")


@pytest.fixture
def pg_url(postgres_available: None) -> Iterator[str]:
    """A fresh schema per test, dropped afterwards, so tests never see each other's rows."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield f"{PG_DSN}?schema={schema}"
    with _pg_connect() as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'planlog.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str:
    """The same integration test on both real stores."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name))


class SimulatedClock:
    """A clock the test moves by hand; every recorded event takes its time from it."""

    def __init__(self, start: datetime) -> None:
        self.moment = start

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> datetime:
        self.moment += timedelta(**delta)
        return self.moment


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(datetime(2026, 1, 5, 1, 0, tzinfo=UTC))


@pytest.fixture
def app(store_url: str, clock: SimulatedClock) -> Iterator[PlanlogApp]:
    application = PlanlogApp(store_url, clock=clock)
    yield application
    application.close()
