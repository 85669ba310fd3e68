"""`planlog migrate` and `planlog restore` keep the audit chain's head, hash for hash, on
every pair of stores (SQLite ↔ PostgreSQL, and stores of one kind), also for a store whose
chain began under hash scheme 2, and anchors signed on the source verify on the copy."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import text
from tests.ops.conftest import Cli

from planlog.audit.anchor import PUBLIC_KEY, write_anchor
from planlog.demo import load_demo
from planlog.projections.chain import ChainProjection, Layout, chain_as, layout
from planlog.projections.runner import ReadModelRunner
from planlog.service.app import PlanlogApp


@pytest.fixture
def other_pg_url(pg_url: str) -> Iterator[str]:
    """Another fresh PostgreSQL schema beside `pg_url`'s, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    base = pg_url.split("?")[0]
    yield f"{base}?schema={schema}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _url(kind: str, name: str, tmp_path: Path, pg_url: str, other_pg_url: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / name}.db"
    return pg_url if name == "source" else other_pg_url


def store_upgraded_from_scheme_2(url: str, anchors: Path) -> None:
    """The demo chained as a planlog of scheme 2 did, anchored; then more events chained
    under the current scheme, anchored again."""
    load_demo(url, date.today())
    app = PlanlogApp(url)
    runner = ReadModelRunner(app, [ChainProjection()])
    try:
        with runner.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_chain"))
        upto = int(app.recorder.max_notification_id() or 0)
        chain_as(app, runner.engine, Layout.uniform(2), upto)
        assert write_anchor(app, anchors, engine=runner.engine) is not None
        app.create_plan(org="市总工会", year=2027, title="2027年工作计划", actor="chair")
        runner.catch_up()
        assert [s for _, s in layout(runner.engine).ranges] == [2, 3]
        assert write_anchor(app, anchors, engine=runner.engine) is not None
    finally:
        runner.close()
        app.close()


def anchors_hold(cli: Cli, url: str, anchors: Path) -> None:
    report = cli(
        "audit",
        "prove",
        "--anchor",
        str(anchors / "anchors.jsonl"),
        "--key",
        str(anchors / PUBLIC_KEY),
        "--json",
        db=url,
    )
    assert report["ok"] is True and report["checked"] == 2, report


PAIRS = [
    pytest.param("sqlite", "postgresql", marks=pytest.mark.postgres, id="sqlite-to-postgresql"),
    pytest.param("postgresql", "sqlite", marks=pytest.mark.postgres, id="postgresql-to-sqlite"),
    pytest.param("sqlite", "sqlite", id="sqlite-to-sqlite"),
    pytest.param("postgresql", "postgresql", marks=pytest.mark.postgres, id="pg-to-pg"),
]


@pytest.mark.parametrize(("source_kind", "target_kind"), PAIRS)
def test_migrate_keeps_the_chain_head_and_the_sources_anchors_verify_on_the_target(
    cli: Cli, tmp_path: Path, request: pytest.FixtureRequest, source_kind: str, target_kind: str
) -> None:
    pg = request.getfixturevalue("pg_url") if "postgresql" in (source_kind, target_kind) else ""
    other = request.getfixturevalue("other_pg_url") if pg else ""
    source = _url(source_kind, "source", tmp_path, pg, other)
    target = _url(target_kind, "target", tmp_path, pg, other)
    anchors = tmp_path / "anchors"
    store_upgraded_from_scheme_2(source, anchors)
    original = cli("audit", "verify", "--json", db=source)
    result = cli("migrate", "--from", source, "--to", target, "--json")
    assert result["head"] == result["source_head"] == original["head"]
    copied = cli("audit", "verify", "--json", db=target)
    assert copied["ok"] is True and copied["head"] == original["head"]
    anchors_hold(cli, target, anchors)


@pytest.mark.parametrize(("source_kind", "target_kind"), PAIRS)
def test_restore_keeps_the_chain_head_on_any_kind_of_store(
    cli: Cli, tmp_path: Path, request: pytest.FixtureRequest, source_kind: str, target_kind: str
) -> None:
    pg = request.getfixturevalue("pg_url") if "postgresql" in (source_kind, target_kind) else ""
    other = request.getfixturevalue("other_pg_url") if pg else ""
    source = _url(source_kind, "source", tmp_path, pg, other)
    target = _url(target_kind, "target", tmp_path, pg, other)
    anchors = tmp_path / "anchors"
    store_upgraded_from_scheme_2(source, anchors)
    original = cli("audit", "verify", "--json", db=source)
    backup_file = tmp_path / "backup.tar.gz"
    cli("backup", str(backup_file), db=source)
    restored = cli("restore", str(backup_file), "--db", target, "--json")
    assert restored["head"] == original["head"]
    assert cli("audit", "verify", "--json", db=target)["head"] == original["head"]
    anchors_hold(cli, target, anchors)


def test_a_backup_without_chain_schemes_is_restored_as_chained_under_scheme_2(
    cli: Cli, tmp_path: Path, store_url: str
) -> None:
    """Backups written before the manifest named the chain's schemes were made by a
    planlog of scheme 2: their head is kept on restore."""
    import io
    import json
    import tarfile

    source = f"sqlite:///{tmp_path / 'old.db'}"
    anchors = tmp_path / "anchors"
    load_demo(source, date.today())
    app = PlanlogApp(source)
    runner = ReadModelRunner(app, [ChainProjection()])
    try:
        with runner.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_chain"))
        chain_as(app, runner.engine, Layout.uniform(2), int(app.recorder.max_notification_id()))
        assert write_anchor(app, anchors, engine=runner.engine) is not None
    finally:
        runner.close()
        app.close()
    original = cli("audit", "verify", "--json", db=source)
    new_file, old_file = tmp_path / "new.tar.gz", tmp_path / "old.tar.gz"
    cli("backup", str(new_file), db=source)
    with tarfile.open(new_file, "r:gz") as tar, tarfile.open(old_file, "w:gz") as out:
        for member in tar.getmembers():
            data: Any = tar.extractfile(member)
            if member.name == "manifest.json":
                manifest = json.load(data)
                assert manifest.pop("chain") == [[original["head"]["position"], 2]]
                blob = json.dumps(manifest).encode()
                member.size, data = len(blob), io.BytesIO(blob)
            out.addfile(member, data)
    restored = cli("restore", str(old_file), "--db", store_url, "--json")
    assert restored["head"] == original["head"]
