"""`planlog backup` and `planlog restore`: the whole log (and the evidence files) in one
file, back into an empty store with the same chain head and the same boards."""

from __future__ import annotations

import hashlib
import tarfile
import threading
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from tests.ops.conftest import Cli, boards

from planlog.demo import load_demo
from planlog.ops.backup import last_backup
from planlog.service.app import PlanlogApp
from planlog.service.store import parse_database_url


@pytest.fixture
def demo_store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'source.db'}"
    load_demo(url, date.today())
    return url


def _evidence(tmp_path: Path) -> str:
    """An evidence file where the evidence store keeps it beside the SQLite file."""
    data = b"%PDF-1.4 minutes of the meeting"
    sha = hashlib.sha256(data).hexdigest()
    folder = tmp_path / "source-evidence" / sha[:2]
    folder.mkdir(parents=True)
    (folder / sha).write_bytes(data)
    return sha


def test_restore_gives_the_same_chain_head_and_boards(
    cli: Cli, demo_store: str, tmp_path: Path, store_url: str
) -> None:
    backup_file = tmp_path / "planlog-backup.tar.gz"
    cli("backup", str(backup_file), db=demo_store)
    restored = cli("restore", str(backup_file), "--db", store_url, "--json")
    original = cli("audit", "verify", "--json", db=demo_store)
    assert restored["events"] == original["checked"] > 100
    assert restored["head"] == original["head"]  # on PostgreSQL too (scheme 3)
    assert cli("audit", "verify", "--json", db=store_url)["ok"] is True
    assert boards(cli, store_url) == boards(cli, demo_store)


def test_backup_holds_the_evidence_files_and_restore_puts_them_back(
    cli: Cli, demo_store: str, tmp_path: Path
) -> None:
    sha = _evidence(tmp_path)
    backup_file = tmp_path / "b.tar.gz"
    cli("backup", str(backup_file), db=demo_store)
    with tarfile.open(backup_file) as tar:
        names = tar.getnames()
    assert {"manifest.json", "events.jsonl", f"evidence/{sha[:2]}/{sha}"} <= set(names)
    target = tmp_path / "restored.db"
    cli("restore", str(backup_file), "--db", f"sqlite:///{target}", "--json")
    kept = tmp_path / "restored-evidence" / sha[:2] / sha
    assert hashlib.sha256(kept.read_bytes()).hexdigest() == sha


def test_restore_refuses_a_store_that_holds_events(
    cli: Cli, demo_store: str, tmp_path: Path
) -> None:
    backup_file = tmp_path / "b.tar.gz"
    cli("backup", str(backup_file), db=demo_store)
    before = cli("audit", "verify", "--json", db=demo_store)["checked"]
    refused = cli("restore", str(backup_file), "--db", demo_store, "--json", expect_exit=1)
    assert refused["error"]["code"] == "target_not_empty"
    assert "已有" in refused["error"]["message"]
    assert cli("audit", "verify", "--json", db=demo_store)["checked"] == before


def test_restore_refuses_a_file_that_is_not_a_backup(cli: Cli, tmp_path: Path) -> None:
    bogus = tmp_path / "notes.tar.gz"
    bogus.write_bytes(b"not a backup")
    refused = cli(
        "restore", str(bogus), "--db", f"sqlite:///{tmp_path / 'x.db'}", "--json", expect_exit=1
    )
    assert refused["error"]["code"] == "bad_backup"


def test_backup_while_writes_go_on_is_a_consistent_copy(
    cli: Cli, demo_store: str, tmp_path: Path
) -> None:
    app = PlanlogApp(demo_store)
    stop = threading.Event()

    def write_on() -> None:
        number = 0
        while not stop.is_set():
            number += 1
            app.register_organisation(f"第{number}工会", actor="admin")

    writer = threading.Thread(target=write_on)
    writer.start()
    try:
        backup_file = tmp_path / "during.tar.gz"
        cli("backup", str(backup_file), db=demo_store)
    finally:
        stop.set()
        writer.join()
        app.close()
    restored = cli("restore", str(backup_file), "--db", f"sqlite:///{tmp_path / 'r.db'}", "--json")
    assert cli("audit", "verify", "--json", db=f"sqlite:///{tmp_path / 'r.db'}")["ok"] is True
    assert restored["events"] > 100


def test_doctor_reads_the_last_backup(cli: Cli, demo_store: str, tmp_path: Path) -> None:
    backup_file = tmp_path / "daily.tar.gz"
    cli("backup", str(backup_file), db=demo_store)
    last = last_backup(parse_database_url(demo_store))
    assert last is not None and last["file"] == str(backup_file.resolve())
    report = cli("doctor", "--json", db=demo_store)
    check = next(c for c in report["checks"] if c["name"] == "backup")
    assert check["status"] == "ok" and check["data"]["file"] == str(backup_file.resolve())


@pytest.fixture
def second_pg_url(pg_url: str) -> Iterator[str]:
    """Another fresh PostgreSQL schema beside `pg_url`'s, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    base = pg_url.split("?")[0]
    yield f"{base}?schema={schema}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.mark.postgres
def test_a_postgresql_store_backs_up_and_restores_with_its_chain_head(
    cli: Cli, tmp_path: Path, pg_url: str, second_pg_url: str
) -> None:
    load_demo(pg_url, date.today())
    backup_file = tmp_path / "pg.tar.gz"
    cli("backup", str(backup_file), db=pg_url)
    restored = cli("restore", str(backup_file), "--db", second_pg_url, "--json")
    assert restored["head"] == cli("audit", "verify", "--json", db=pg_url)["head"]
    assert boards(cli, second_pg_url) == boards(cli, pg_url)
